"""Fixtures for the LINE channel tests: the fake LINE API and a real Stack (action server +
Rasa with the LINE channel) whose LINE_API_BASE_URL points at it, over loopback HTTP.
The helpers they use are in tests/support (line, fake_line, trackers)."""

from __future__ import annotations

import pytest

from tests.support.fake_line import FakeLine
from tests.support.line import ACCESS_TOKEN, LineWebhook
from tests.support.stack import start_stack
from tests.support.trackers import stack_events


@pytest.fixture(scope="module")
def fake_line():
    with FakeLine(ACCESS_TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def line_stack(trained_model, fake_line, tmp_path_factory):
    with start_stack(trained_model, tmp_path_factory.mktemp("line-var"), line=fake_line) as stack:
        yield stack


@pytest.fixture(scope="module")
def webhook(line_stack):
    return LineWebhook(line_stack.rasa_port)


@pytest.fixture(scope="module")
def tracker_db(line_stack):
    return stack_events(line_stack)
