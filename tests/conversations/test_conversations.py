"""The conversation suite against the real stack (the session ``bot`` fixture): one test
per conversation of tests/conversations/*.yml. A conversation with ``xfail:`` is expected
to fail (not strictly). A failure names the turn, the check and the bot's reply."""

from __future__ import annotations

import pytest

from tests.conversations.client import RestBot
from tests.conversations.runner import load_all, run_conversation

pytestmark = pytest.mark.slow

CONVERSATIONS = load_all()


def _param(conv):
    marks = [pytest.mark.xfail(reason=conv.xfail, strict=False)] if conv.xfail else []
    return pytest.param(conv, id=conv.id, marks=marks)


@pytest.fixture(scope="module")
def rest_bot(bot):
    return RestBot(bot.rasa_url, bot.auth_token)


@pytest.mark.parametrize("conv", [_param(c) for c in CONVERSATIONS])
def test_conversation(conv, rest_bot):
    result = run_conversation(conv, rest_bot.send, rest_bot.slots)
    if not result.passed:
        pytest.fail(f"{result.describe()}\n\ntranscript:\n{result.transcript_text()}", pytrace=False)
