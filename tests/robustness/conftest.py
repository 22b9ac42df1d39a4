"""Fixtures for the fault and bad-input tests: a real Stack (action server + Rasa with the
REST, socket.io and LINE channels) on loopback, with the checked REST channel
(channels/rest.py) in place of Rasa's ``rest`` (credentials.yml already uses it). The
helpers to post raw bodies, restart services and read the tracker store are in
tests/support (clients, stack, trackers)."""

from __future__ import annotations

import pytest

from tests.support.fake_line import FakeLine
from tests.support.line import ACCESS_TOKEN
from tests.support.stack import start_stack
from tests.support.trackers import Events, stack_events


@pytest.fixture(scope="session")
def rob_fake_line():
    with FakeLine(ACCESS_TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def rob_stack(trained_model, rob_fake_line, tmp_path_factory):
    with start_stack(trained_model, tmp_path_factory.mktemp("robust-var"), line=rob_fake_line) as stack:
        yield stack


@pytest.fixture(scope="session")
def rob_events(rob_stack) -> Events:
    return stack_events(rob_stack)
