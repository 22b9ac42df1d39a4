"""The benchmark's arithmetic: a wrong percentile or ratio would put false figures in the
README, so they are checked against numpy and by properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.benchstats import (
    conversations_for,
    evaluate_targets,
    percentile,
    reply_error,
    rounds_for,
    summarize,
)

latencies = st.lists(st.floats(min_value=0.1, max_value=1e5, allow_nan=False), min_size=1, max_size=300)


@given(latencies, st.floats(min_value=0, max_value=100))
def test_percentile_agrees_with_numpy(values, q):
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-9, abs=1e-9)


@given(latencies)
def test_percentiles_are_ordered_and_within_the_samples(values):
    s = summarize(1, values, 0, 1.0)
    assert min(values) <= s.p50_ms <= s.p95_ms <= s.p99_ms <= s.max_ms == max(values)


def test_percentile_refuses_nonsense():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_throughput_counts_only_answered_messages():
    s = summarize(10, [100.0] * 20, errors=5, wall_seconds=3.0)
    assert s.messages == 20 and s.per_second == pytest.approx(5.0)


@given(st.integers(1, 2000), st.integers(1, 60))
def test_rounds_hold_every_conversation(conversations, concurrency):
    rounds = rounds_for(conversations, concurrency)
    assert sum(rounds) == conversations and 1 <= len(rounds) <= 2
    if len(rounds) > 1:
        assert min(rounds) >= concurrency


@given(st.integers(1, 5000), st.integers(1, 30), st.integers(1, 60))
def test_enough_conversations_for_the_messages(messages, script, concurrency):
    n = conversations_for(messages, script, concurrency)
    assert n * script >= messages and n >= concurrency


@pytest.mark.parametrize("status, body, why", [
    (500, [], "HTTP 500"),
    (200, {"a": 1}, "not a JSON list"),
    (200, [], "empty reply"),
    (200, [{"recipient_id": "x"}], "reply without content"),
    (200, [{"text": "申し訳ありません"}], "apology (bot could not answer)"),
])
def test_what_counts_as_an_error(status, body, why):
    assert reply_error(status, body, apology="申し訳ありません") == why


def test_a_real_answer_is_not_an_error():
    assert reply_error(200, [{"text": "こんにちは"}], apology="申し訳ありません") is None


def test_targets_pass_and_fail_on_the_ratio_limit():
    ok = evaluate_targets(130, 100, 0, 500, 1300, 1000)
    assert [t.passed for t in ok] == [True, True, True]
    bad = evaluate_targets(131, 100, 1, 500, 1301, 1000)
    assert [t.passed for t in bad] == [False, False, False]
    assert "1.31" in bad[0].detail
