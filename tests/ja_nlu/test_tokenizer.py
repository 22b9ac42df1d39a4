"""The Japanese tokenizer: token texts, offsets into the original text, folded lemmas."""

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from ja_nlu import analyzers
from ja_nlu.tokenizer import JapaneseTokenizer


def make(**config):
    return JapaneseTokenizer({**JapaneseTokenizer.get_default_config(), **config})


def tokens(text, **config):
    message = Message(data={TEXT: text})
    make(**config).process([message])
    return message.get(TOKENS_NAMES[TEXT])


def test_splits_japanese_with_offsets():
    text = "任意整理を断られました"
    toks = tokens(text)
    assert [t.text for t in toks] == ["任意", "整理", "を", "断ら", "れ", "まし", "た"]
    for t in toks:
        assert text[t.start:t.end] == t.text


@pytest.mark.parametrize("analyzer", analyzers.ANALYZERS)
def test_offsets_point_into_the_original_text(analyzer):
    text = "　ＡＣＯＭと ﾌﾟﾛﾐｽで計２５０万、  過払い金ありますか？😢"
    toks = tokens(text, analyzer=analyzer)
    assert toks, "no tokens"
    for t in toks:
        assert text[t.start:t.end] == t.text
        assert t.text.strip(), "whitespace became a token"
    starts = [t.start for t in toks]
    assert starts == sorted(starts)


def test_widths_reach_the_featurizers_as_one_form():
    wide = {t.lemma for t in tokens("ＣＩＣの開示、ﾌﾟﾛﾐｽ、２５０万")}
    narrow = {t.lemma for t in tokens("CICの開示、プロミス、250万")}
    assert wide == narrow
    assert "cic" in wide and "プロミス" in wide


def test_long_input_is_tokenized_whole():
    text = "借金が300万円あって、毎月の返済がつらいです。" * 600   # ~14,000 chars, > Sudachi's limit in bytes
    toks = tokens(text)
    assert toks[-1].end == len(text)
    for t in toks[:50] + toks[-50:]:
        assert text[t.start:t.end] == t.text


def test_empty_text():
    assert tokens("") == []


def test_bad_config_is_a_clear_error():
    with pytest.raises(ValueError, match="analyzer"):
        make(analyzer="kuromoji")
    with pytest.raises(ValueError, match="split_mode"):
        make(split_mode="D")


def test_dictionary_loaded_once_per_process():
    analyzers.analyze("一回目")
    first = analyzers._dictionaries["sudachi"]
    make()
    make()
    analyzers.analyze("二回目")
    assert analyzers._dictionaries["sudachi"] is first
