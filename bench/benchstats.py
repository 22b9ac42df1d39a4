"""Pure parts of ``bench/rasa_bench.py``: percentiles, ratios, the markdown table and the
targets. No Rasa, no network, no processes, so tests/bench/ can check them directly."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between the closest ranks,
    as numpy's default and ``statistics.quantiles(method="inclusive")``.

    percentile([1, 2, 3, 4], 95) == 3.85; one value is every percentile of itself."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0..100")
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


@dataclass
class LevelStats:
    """What one bot did at one concurrency level."""

    concurrency: int
    messages: int          # messages sent (answered or not)
    errors: int            # non-200, not a JSON list, empty reply, apology, timeout
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    per_second: float      # messages answered (without error) per second of wall time


def summarize(concurrency: int, latencies_ms: Sequence[float], errors: int,
              wall_seconds: float) -> LevelStats:
    """Latency percentiles over every message sent (errors included: a slow failure is still
    what the visitor waited for) and the answered messages per second."""
    if not latencies_ms:
        raise ValueError("no messages were sent")
    if wall_seconds <= 0:
        raise ValueError("wall time must be positive")
    n = len(latencies_ms)
    return LevelStats(
        concurrency=concurrency, messages=n, errors=errors,
        p50_ms=percentile(latencies_ms, 50), p95_ms=percentile(latencies_ms, 95),
        p99_ms=percentile(latencies_ms, 99), mean_ms=sum(latencies_ms) / n,
        max_ms=max(latencies_ms), per_second=(n - errors) / wall_seconds,
    )


def ratio(ours: Optional[float], stock: Optional[float]) -> Optional[float]:
    """ours / stock, or None when either is missing or the stock figure is zero."""
    if ours is None or stock is None or stock == 0:
        return None
    return ours / stock


def fmt_ratio(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.2f}×"


def fmt_value(value: Optional[float], unit: str) -> str:
    """A figure with its unit: ms below 10 with one decimal, seconds with one decimal
    below 100, MiB and counts as integers."""
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 10 else f"{value:,.0f} ms"
    if unit == "s":
        return f"{value:.1f} s" if value < 100 else f"{value:,.0f} s"
    if unit == "MiB":
        return f"{value:,.0f} MiB"
    if unit == "msg/s":
        return f"{value:.1f} msg/s"
    if unit == "count":
        return f"{value:,.0f}"
    raise ValueError(f"unknown unit {unit!r}")


@dataclass
class Row:
    label: str
    ours: Optional[float]
    stock: Optional[float]
    unit: str
    ours_text: Optional[str] = None    # replaces the formatted figure (e.g. "0 of 500")
    stock_text: Optional[str] = None
    show_ratio: bool = True

    def cells(self) -> List[str]:
        ours = self.ours_text if self.ours_text is not None else fmt_value(self.ours, self.unit)
        stock = self.stock_text if self.stock_text is not None else fmt_value(self.stock, self.unit)
        r = fmt_ratio(ratio(self.ours, self.stock)) if self.show_ratio else "—"
        return [self.label, ours, stock, r]


HEADER = ["figure", "this bot", "stock bot (`rasa init`)", "ratio (this / stock)"]


def markdown_table(rows: Sequence[Row], header: Sequence[str] = HEADER) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [line(header), "|" + "|".join("---" for _ in header) + "|"]
    out.extend(line(r.cells()) for r in rows)
    return "\n".join(out)


@dataclass
class Target:
    name: str
    passed: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.detail}"


def evaluate_targets(p95_ours_ms: float, p95_stock_ms: float, errors_at_50: int,
                     messages_at_50: int, rss_ours_mib: float, rss_stock_mib: float,
                     limit: float = 1.3) -> List[Target]:
    """The three targets of the benchmark: p95 latency at one conversation and resident
    memory at most ``limit`` times the stock bot's, no error at 50 conversations."""
    p95_ratio = ratio(p95_ours_ms, p95_stock_ms)
    rss_ratio = ratio(rss_ours_mib, rss_stock_mib)
    return [
        Target(
            f"p95 latency at 1 conversation ≤ {limit}× stock",
            p95_ratio is not None and p95_ratio <= limit,
            f"{fmt_value(p95_ours_ms, 'ms')} vs {fmt_value(p95_stock_ms, 'ms')} = {fmt_ratio(p95_ratio)}",
        ),
        Target(
            "no errors at 50 concurrent conversations",
            errors_at_50 == 0 and messages_at_50 > 0,
            f"{errors_at_50} errors in {messages_at_50} messages",
        ),
        Target(
            f"resident memory ≤ {limit}× stock",
            rss_ratio is not None and rss_ratio <= limit,
            f"{fmt_value(rss_ours_mib, 'MiB')} vs {fmt_value(rss_stock_mib, 'MiB')} = {fmt_ratio(rss_ratio)}",
        ),
    ]


def rounds_for(conversations: int, concurrency: int, max_rounds: int = 2) -> List[int]:
    """Split a level's conversations into alternating rounds (ours, stock, stock, ours…) so
    that load from other processes falls on both bots alike; a round never holds fewer
    conversations than the concurrency it is meant to show."""
    if conversations < 1 or concurrency < 1:
        raise ValueError("conversations and concurrency must be positive")
    rounds = max(1, min(max_rounds, conversations // concurrency))
    base, extra = divmod(conversations, rounds)
    return [base + (1 if i < extra else 0) for i in range(rounds)]


def conversations_for(messages: int, script_length: int, concurrency: int) -> int:
    """Enough whole conversations for at least ``messages`` messages, and at least one
    conversation per concurrent slot."""
    if script_length < 1:
        raise ValueError("empty script")
    return max(concurrency, math.ceil(messages / script_length))


def reply_error(status: int, body: object, apology: Optional[str] = None) -> Optional[str]:
    """Why a REST reply counts as an error, or None when it is a real answer: not 200, not a
    JSON list, an empty list, no text/buttons/image in it, or the checked channel's apology
    (it replaces the silence stock Rasa gives when the bot could not answer)."""
    if status != 200:
        return f"HTTP {status}"
    if not isinstance(body, list):
        return "not a JSON list"
    if not body:
        return "empty reply"
    if not any(isinstance(m, dict) and (m.get("text") or m.get("buttons") or m.get("image")
                                        or m.get("custom")) for m in body):
        return "reply without content"
    if apology and any(isinstance(m, dict) and m.get("text") == apology for m in body):
        return "apology (bot could not answer)"
    return None


def mib(kib: float) -> float:
    return kib / 1024.0


def breakdown(parts: Dict[str, float]) -> str:
    """'Rasa 612 + actions 154' from {'Rasa': 612.3, 'actions': 154.0} (MiB)."""
    return " + ".join(f"{name} {value:,.0f}" for name, value in parts.items())
