"""Train the custom components in a real (tiny) Rasa NLU graph, load it, parse."""

import asyncio
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "smoke"


@pytest.fixture(scope="module")
def interpreter(tmp_path_factory):
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    out = tmp_path_factory.mktemp("smoke-model")
    model = train_nlu(str(HERE / "config.yml"), str(HERE / "nlu.yml"), str(out),
                      fixed_model_name="smoke")
    assert model and Path(model).exists()
    return Agent.load(model)


def parse(agent, text):
    return asyncio.run(agent.parse_message(text))


@pytest.mark.slow
def test_components_run_in_a_trained_graph(interpreter):
    result = parse(interpreter, "ﾌﾟﾛﾐｽと銀行のカードローンで計２５０万、３社です")
    ents = {(e["entity"], e["value"], e["extractor"]) for e in result["entities"]}
    assert ("lender_type", "consumer_finance", "JapaneseLookupExtractor") in ents
    assert ("amount", 2500000, "JapaneseNumberExtractor") in ents
    assert ("count", 3, "JapaneseNumberExtractor") in ents
    # 「カードローン」 wins over the shorter 「カード」 inside it
    values = [e["value"] for e in result["entities"] if e["entity"] == "lender_type"]
    assert "bank_card_loan" in values and "credit_card" not in values
    for e in result["entities"]:
        assert result["text"][e["start"]:e["end"]]


@pytest.mark.slow
def test_annotations_become_patterns(interpreter):
    result = parse(interpreter, "にんい整理じゃなくて任意整理で")
    procs = [(e["value"], result["text"][e["start"]:e["end"]])
             for e in result["entities"] if e["entity"] == "procedure"]
    assert procs == [("voluntary_settlement", "任意整理")]
    assert parse(interpreter, "こんにちは")["intent"]["name"] == "greet"


@pytest.mark.slow
def test_message_guard_forces_distress_in_a_trained_graph(interpreter):
    story = "借金が300万あって毎月の返済がきついです。" * 40 + "正直、朝が来なければいいと思う日もあります。"
    result = parse(interpreter, story)
    assert result["intent"]["name"] == "express_distress"
    assert result["intent_ranking"][0]["name"] == "express_distress"
    assert parse(interpreter, "Hello, can you help me?")["intent"]["name"] == "other_language"
