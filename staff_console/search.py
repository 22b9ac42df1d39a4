"""Substring search over visitors' messages, for Japanese (no spaces between words).

Text is normalised with NFKC (全角 ＡＢＣ１２３ → ABC123, 半角 ｶﾅ → カナ) and compared
case-insensitively, so 「ＬＩＮＥ」 finds "line". Index per database:

``search_text`` holds each visitor message folded that way, one a line.

* SQLite: an FTS5 table of character bigrams (``console_search``). Each run of letters and
  digits in a message becomes its overlapping bigrams (「断られ」 → 「断ら」「られ」), so a
  query is a phrase of consecutive bigrams — a substring test that an inverted index
  answers exactly for a term of letters and digits (runs are kept apart by a token no query
  can contain). A term with punctuation inside is pre-filtered by its runs and checked with
  ``instr``; a one-character term (no bigram) scans the text.
* PostgreSQL: pg_trgm's GIN index on ``search_text`` answers ``LIKE '%…%'`` directly
  (3+ characters through the index, shorter ones by a scan that PostgreSQL still does
  quickly on 100,000 rows; see bench/console_bench.py).
"""

from __future__ import annotations

import unicodedata
from typing import List, Optional, Tuple

MAX_QUERY_CHARS = 100


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def fold(text: str) -> str:
    """What comparisons use: NFKC and lower case (ASCII and beyond)."""
    return normalise(text).lower()


def _is_word_char(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in ("L", "N") or cat == "Co"


def runs(text: str) -> List[str]:
    """Maximal runs of letters/digits of the folded text (what FTS5's unicode61 keeps)."""
    out, cur = [], []
    for ch in fold(text):
        if _is_word_char(ch):
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def bigrams_of_run(run: str) -> List[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


# Between runs (and messages) the document carries this 3-letter token. Every other token is
# a bigram, so no query phrase can contain it: a phrase can never match across punctuation or
# from one message into the next, and a term made only of letters and digits is found by the
# index alone, exactly.
BOUNDARY = "qqq"


def document_grams(search_text: str) -> str:
    """The FTS5 document for a conversation: the bigrams of every run, runs separated."""
    parts: List[str] = []
    for line in (search_text or "").split("\n"):
        for run in runs(line):
            grams = bigrams_of_run(run)
            if grams:
                parts.append(" ".join(grams))
    return f" {BOUNDARY} ".join(parts)


def is_single_run(term: str) -> bool:
    """A folded term of 2+ letters/digits and nothing else: the FTS5 phrase is exact."""
    rs = runs(term)
    return len(rs) == 1 and rs[0] == term and len(term) >= 2


def fts_query(query: str) -> Optional[str]:
    """An FTS5 MATCH expression for the query, or None when it has no bigram (1 character).
    Each run becomes a quoted phrase of its bigrams; runs are ANDed. Bigrams are letters
    and digits only, so nothing in a user's query can be FTS5 syntax."""
    phrases = []
    for run in runs(query):
        grams = bigrams_of_run(run)
        if grams:
            phrases.append('"' + " ".join(grams) + '"')
    return " AND ".join(phrases) if phrases else None


def clean_query(raw: Optional[str]) -> str:
    q = normalise((raw or "").strip())
    q = " ".join(q.split())  # collapse whitespace, including 全角 spaces after NFKC
    return q[:MAX_QUERY_CHARS]


def terms(query: str) -> List[str]:
    """Space-separated terms, each folded; a conversation must contain every one."""
    return [fold(t) for t in clean_query(query).split(" ") if t][:10]


def like_pattern(term: str) -> Tuple[str, str]:
    """A LIKE pattern matching the term anywhere, with % _ and \\ escaped."""
    escaped = fold(term).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%", "\\"


def snippet(search_text: str, query: str, width: int = 60) -> Optional[str]:
    """The first message containing the query, cut around the match (for the list)."""
    needles = terms(query)
    if not needles:
        return None
    for line in (search_text or "").split("\n"):
        pos = line.find(needles[0])
        if pos >= 0:
            start = max(0, pos - width // 3)
            end = min(len(line), start + width)
            return ("…" if start else "") + line[start:end] + ("…" if end < len(line) else "")
    return None
