"""The width-folding lookup extractor, without training a model."""

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from ja_nlu.lookup_extractor import JapaneseLookupExtractor, fold
from ja_nlu.tokenizer import JapaneseTokenizer

PATTERNS = {
    fold(s)[0]: v for s, v in {
        "アコム": ["lender_type", "consumer_finance"],
        "プロミス": ["lender_type", "consumer_finance"],
        "カード": ["lender_type", "credit_card"],
        "カードローン": ["lender_type", "bank_card_loan"],
        "銀行カードローン": ["lender_type", "bank_card_loan"],
        "親": ["lender_type", "family_or_friend"],
        "親から": ["lender_type", "family_or_friend"],
        "任意整理": ["procedure", "voluntary_settlement"],
    }.items()
}


@pytest.fixture(scope="module")
def extractor(tmp_path_factory):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    return JapaneseLookupExtractor(
        JapaneseLookupExtractor.get_default_config(), storage, Resource("lookup"), PATTERNS
    )


TOKENIZER = JapaneseTokenizer(JapaneseTokenizer.get_default_config())


def extract(extractor, text):
    message = Message(data={TEXT: text})
    TOKENIZER.process([message])
    return [(e["value"], text[e["start"]:e["end"]])
            for e in extractor.extract(text, message.get(TOKENS_NAMES[TEXT]))]


def test_fold_keeps_a_map_to_the_original():
    folded, origin = fold("ＡＣＯＭとﾌﾟﾛﾐｽ")
    assert folded == "acomとぷろみす"
    assert origin == [0, 1, 2, 3, 4, 5, 7, 8, 9]


@pytest.mark.parametrize("text, expected", [
    ("アコムとプロミス", [("consumer_finance", "アコム"), ("consumer_finance", "プロミス")]),
    ("ﾌﾟﾛﾐｽで借りた", [("consumer_finance", "ﾌﾟﾛﾐｽ")]),
    ("あこむです", [("consumer_finance", "あこむ")]),
    ("銀行カードローンがある", [("bank_card_loan", "銀行カードローン")]),
    ("カードローンとカード", [("bank_card_loan", "カードローン"), ("credit_card", "カード")]),
    ("親切な人", []),
    ("にんいせいり", []),
    ("任意整理したい", [("voluntary_settlement", "任意整理")]),
])
def test_longest_match_folded_on_token_boundaries(extractor, text, expected):
    assert extract(extractor, text) == expected
