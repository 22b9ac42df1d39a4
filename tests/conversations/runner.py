"""Conversation suite runner: load the YAML conversations, drive each through a bot, check.

Pure: no HTTP, no Rasa. A conversation is driven through two callables,

    send(sender, text) -> list[dict]   # the bot's messages, as Rasa's REST channel returns them
    slots(sender) -> dict              # the tracker's slots after the last message

so the same code runs against the real stack (tests/conversations/client.py), a running
``make run``, or a fake bot in the unit tests. The format is documented in README.md and
checked by schema.json.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

import yaml

HERE = Path(__file__).resolve().parent
SCHEMA_PATH = HERE / "schema.json"

Send = Callable[[str, str], List[Dict[str, Any]]]
Slots = Callable[[str], Dict[str, Any]]

# Texts that mean "not understood" or "no answer": a reply containing one of them to an
# in-scope message fails `no_fallback` (a turn may allow it with `allow_fallback: true`).
FALLBACK_MARKERS = (
    "うまく読み取れませんでした",                # debt_rules.dialogue.clarify / flow step
    "まだ用意できていません",                    # actions/topics.py: a topic without text
    "ただいま応答できません",                    # channels/rest.py: APOLOGY (bot could not answer)
    "Sorry, I didn't get that",                  # Rasa's default utter_default
)

CONVERSATION_CHECKS = ("always_replies", "no_fallback", "no_repeated_question")
DEFAULT_CHECKS = CONVERSATION_CHECKS
REPEAT_LIMIT = 3          # the same question sentence in this many turns fails


# -- loading -------------------------------------------------------------------------

class SuiteError(ValueError):
    """A conversation file is malformed; the message names the file and the place."""


def load_schema() -> Dict[str, Any]:
    """The schema, with the fact and slot names filled in from their one source each
    (debt_rules FACT_FIELDS and domain.yml), so a new fact or slot needs no edit here."""
    import yaml

    from debt_rules.facts import FACT_FIELDS

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    domain = yaml.safe_load((SCHEMA_PATH.parents[2] / "domain.yml").read_text(encoding="utf-8"))
    schema["$defs"]["fact_name"] = {"enum": sorted(FACT_FIELDS)}
    schema["$defs"]["slot_name"] = {"enum": sorted(domain["slots"])}
    return schema


def validate(data: Any, source: str = "<data>") -> None:
    """Raise SuiteError listing every schema violation of one file's data."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:20]:
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            lines.append(f"  {where}: {e.message[:300]}")
        raise SuiteError(f"{source}: {len(errors)} schema error(s)\n" + "\n".join(lines))


@dataclass
class Conversation:
    id: str
    persona: str
    turns: List[Dict[str, Any]]
    checks: Sequence[str] = DEFAULT_CHECKS
    final: Dict[str, Any] = field(default_factory=dict)
    xfail: Optional[str] = None
    source: str = ""

    @classmethod
    def from_dict(cls, d: Dict[str, Any], source: str = "") -> Conversation:
        return cls(id=d["id"], persona=d["persona"], turns=list(d["turns"]),
                   checks=tuple(d.get("checks", DEFAULT_CHECKS)), final=d.get("final") or {},
                   xfail=d.get("xfail"), source=source)


def load_file(path: Path) -> List[Conversation]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    validate(data, str(path.name))
    return [Conversation.from_dict(d, path.name) for d in data]


def load_all(directory: Path = HERE) -> List[Conversation]:
    """Every conversation of every ``*.yml`` in ``directory``, ids unique across files."""
    out: List[Conversation] = []
    seen: Dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yml")):
        for conv in load_file(path):
            if conv.id in seen:
                raise SuiteError(f"{path.name}: id {conv.id!r} is also used in {seen[conv.id]}")
            seen[conv.id] = path.name
            out.append(conv)
    return out


# -- text helpers --------------------------------------------------------------------

def norm(text: str) -> str:
    """NFKC (full-width digits and letters, half-width kana folded) and case-folded."""
    return unicodedata.normalize("NFKC", text or "").casefold()


_SPACE = re.compile(r"\s+")


def contains(haystack_norm: str, needle: str) -> bool:
    """``needle`` in an already normalised text, also ignoring whitespace (line breaks
    inside a Japanese sentence)."""
    n = norm(needle)
    return n in haystack_norm or _SPACE.sub("", n) in _SPACE.sub("", haystack_norm)


def texts_of(messages: Iterable[Dict[str, Any]]) -> List[str]:
    return [m.get("text") or "" for m in messages if m.get("text")]


def buttons_of(messages: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [b for m in messages for b in (m.get("buttons") or [])]


def excerpt(text: str, limit: int = 240) -> str:
    one = " / ".join(line.strip() for line in (text or "").splitlines() if line.strip())
    return one if len(one) <= limit else one[: limit - 1] + "…"


_SENTENCE_END = re.compile(r"(?<=[。!?])|\n")
_ENGLISH_SENTENCE = re.compile(r"[A-Za-z][A-Za-z'’,-]*(?:\s+[A-Za-z][A-Za-z'’,.-]*){4,}")


def question_sentences(text: str) -> List[str]:
    """Sentences of a bot text that ask something (end with ? or か。), normalised."""
    out = []
    for s in _SENTENCE_END.split(norm(text)):
        s = s.strip()
        if s and (s.endswith("?") or s.endswith("か。") or s.endswith("か")):
            out.append(s)
    return out


def has_english_sentence(text: str) -> bool:
    return bool(_ENGLISH_SENTENCE.search(text or ""))


# -- results ---------------------------------------------------------------------------

@dataclass
class Failure:
    check: str
    detail: str
    turn: Optional[int] = None        # 1-based turn of the YAML; None: conversation level
    user: str = ""
    reply: str = ""

    def describe(self) -> str:
        where = f"turn {self.turn}" if self.turn else "conversation"
        head = f"{where} [{self.check}] {self.detail}"
        if self.user:
            head += f"\n    user: {excerpt(self.user, 120)}"
        if self.turn or self.reply:
            head += f"\n    bot:  {excerpt(self.reply) or '(no reply)'}"
        return head


@dataclass
class Exchange:
    turn: int
    user: str          # what the visitor typed or clicked (the button title for a click)
    sent: str          # what was sent (the button payload for a click)
    messages: List[Dict[str, Any]]
    slots: Optional[Dict[str, Any]] = None

    @property
    def text(self) -> str:
        return "\n".join(texts_of(self.messages))


@dataclass
class ConversationResult:
    id: str
    source: str
    persona: str
    xfail: Optional[str]
    failures: List[Failure] = field(default_factory=list)
    transcript: List[Exchange] = field(default_factory=list)
    error: Optional[str] = None        # the bot could not be reached; conversation stopped

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None

    def describe(self) -> str:
        lines = [f"{self.id} ({self.source}): {'passed' if self.passed else 'FAILED'}"]
        if self.error:
            lines.append(f"  error: {self.error}")
        lines += ["  " + f.describe().replace("\n", "\n  ") for f in self.failures]
        return "\n".join(lines)

    def transcript_text(self) -> str:
        out = []
        for ex in self.transcript:
            shown = ex.user if ex.user == ex.sent else f"{ex.user}  [{ex.sent}]"
            out.append(f"[{ex.turn}] user: {shown}")
            for m in ex.messages:
                out.append(f"    bot: {m.get('text') or ''}")
                titles = [b.get("title") for b in m.get("buttons") or []]
                if titles:
                    out.append(f"         buttons: {titles}")
        return "\n".join(out)


# -- checks on one reply ----------------------------------------------------------------

def _facts_of(slots: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    return dict((slots or {}).get("facts") or {})


def _fact_matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):   # {min, max}
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return False
        return expected.get("min", actual) <= actual <= expected.get("max", actual)
    if isinstance(expected, list):   # the stored list holds every expected item
        return isinstance(actual, list) and all(item in actual for item in expected)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return float(actual) == float(expected)
    return actual == expected


def _fact_excluded(actual: Any, forbidden: Any) -> bool:
    """True when ``actual`` avoids ``forbidden`` (a value, or list items none may be present)."""
    if isinstance(forbidden, list):
        return not (isinstance(actual, list) and any(item in actual for item in forbidden))
    return actual is None or not _fact_matches(actual, forbidden)


def needs_slots(expect: Dict[str, Any]) -> bool:
    return any(k in expect for k in ("facts", "facts_absent", "facts_not", "slots"))


def check_expect(expect: Dict[str, Any], messages: List[Dict[str, Any]],
                 slots: Optional[Dict[str, Any]], turn: Optional[int] = None,
                 user: str = "") -> List[Failure]:
    """Failures of one ``expect`` (or ``final``) block against the bot's messages and the
    slots after them."""
    texts = texts_of(messages)
    joined = "\n".join(texts)
    text = norm(joined)
    out: List[Failure] = []

    def fail(check: str, detail: str) -> None:
        out.append(Failure(check, detail, turn, user, joined))

    if "reply_has_any" in expect:
        wanted = expect["reply_has_any"]
        if not any(contains(text, w) for w in wanted):
            fail("reply_has_any", f"none of {wanted}")
    for item in expect.get("reply_has_all", []):
        alts = [item] if isinstance(item, str) else list(item)
        if not any(contains(text, w) for w in alts):
            fail("reply_has_all", f"missing {alts[0] if len(alts) == 1 else alts}")
    for bad in expect.get("reply_lacks", []):
        if contains(text, bad):
            fail("reply_lacks", f"contains {bad!r}")
    if "first_reply_has_any" in expect:
        wanted = expect["first_reply_has_any"]
        first = norm(texts[0]) if texts else ""
        if not any(contains(first, w) for w in wanted):
            fail("first_reply_has_any", f"first message has none of {wanted}")
    if "reply_matches_any" in expect:
        patterns = expect["reply_matches_any"]
        if not any(re.search(p, unicodedata.normalize("NFKC", joined)) for p in patterns):
            fail("reply_matches_any", f"no match for {patterns}")
    if expect.get("reply_english") and not has_english_sentence(joined):
        fail("reply_english", "no English sentence in the reply")
    if "buttons_any" in expect:
        titles = [b.get("title") or "" for b in buttons_of(messages)]
        wanted = expect["buttons_any"]
        if not any(contains(norm(t), w) for t in titles for w in wanted):
            fail("buttons_any", f"no button like {wanted}; buttons were {titles}")

    if needs_slots(expect):
        if slots is None:
            fail("slots", "the tracker's slots could not be read")
            return out
        facts = _facts_of(slots)
        for name, value in (expect.get("facts") or {}).items():
            if not _fact_matches(facts.get(name), value):
                fail("facts", f"{name}: expected {value!r}, stored {facts.get(name)!r}")
        for name in expect.get("facts_absent", []):
            if facts.get(name) not in (None, [], ""):
                fail("facts_absent", f"{name} should be unknown, stored {facts.get(name)!r}")
        for name, value in (expect.get("facts_not") or {}).items():
            if not _fact_excluded(facts.get(name), value):
                fail("facts_not", f"{name}: must not be {value!r}, stored {facts.get(name)!r}")
        for name, value in (expect.get("slots") or {}).items():
            actual = slots.get(name)
            ok = (actual is value) if isinstance(value, bool) or value is None else actual == value
            if not ok:
                fail("slots", f"{name}: expected {value!r}, got {actual!r}")
    return out


# -- conversation-level checks -------------------------------------------------------------

def is_fallback(messages: List[Dict[str, Any]]) -> Optional[str]:
    text = norm("\n".join(texts_of(messages)))
    return next((m for m in FALLBACK_MARKERS if contains(text, m)), None)


def conversation_checks(conv: Conversation, transcript: List[Exchange]) -> List[Failure]:
    out: List[Failure] = []
    turns_by_index = {i + 1: t for i, t in enumerate(conv.turns)}
    if "always_replies" in conv.checks:
        for ex in transcript:
            if not texts_of(ex.messages):
                out.append(Failure("always_replies", "the bot sent no text", ex.turn, ex.user, ""))
    if "no_fallback" in conv.checks:
        for ex in transcript:
            if turns_by_index.get(ex.turn, {}).get("allow_fallback"):
                continue
            marker = is_fallback(ex.messages)
            if marker:
                out.append(Failure("no_fallback", f"not understood ({marker!r})", ex.turn, ex.user, ex.text))
    if "no_repeated_question" in conv.checks:
        seen: Dict[str, List[int]] = {}
        for pos, ex in enumerate(transcript):
            for q in dict.fromkeys(question_sentences(ex.text)):
                seen.setdefault(q, []).append(pos)
        for q, positions in seen.items():
            if len(positions) >= REPEAT_LIMIT:
                ex = transcript[positions[REPEAT_LIMIT - 1]]
                turns = [transcript[p].turn for p in positions]
                out.append(Failure("no_repeated_question",
                                   f"asked {len(positions)} times (turns {turns}): {excerpt(q, 120)}",
                                   ex.turn, ex.user, ex.text))
    return out


# -- driving ----------------------------------------------------------------------------------

def _find_button(messages: List[Dict[str, Any]], title: str) -> Optional[Dict[str, Any]]:
    buttons = buttons_of(messages)
    want = norm(title).strip()
    for b in buttons:
        if norm(b.get("title") or "").strip() == want:
            return b
    for b in buttons:
        if want and want in norm(b.get("title") or ""):
            return b
    return None


def _until_met(until: Dict[str, Any], messages: List[Dict[str, Any]]) -> bool:
    text = norm("\n".join(texts_of(messages)))
    return any(contains(text, w) for w in until["reply_has_any"])


def _read_slots(slots: Slots, sender: str, result: ConversationResult, turn: Optional[int],
                user: str) -> Optional[Dict[str, Any]]:
    try:
        return slots(sender)
    except Exception as exc:  # the tracker could not be read: the slot checks of this turn fail
        result.failures.append(Failure("slots", f"reading the tracker failed: {exc}", turn, user))
        return None


def new_sender(conv_id: str) -> str:
    return f"conv-{conv_id[:80]}-{uuid.uuid4().hex[:10]}"


def run_conversation(conv: Conversation, send: Send, slots: Slots,
                     sender: Optional[str] = None) -> ConversationResult:
    """Play ``conv`` to the bot as one visitor and check every expectation."""
    sender = sender or new_sender(conv.id)
    result = ConversationResult(conv.id, conv.source, conv.persona, conv.xfail)
    previous: List[Dict[str, Any]] = []
    for index, turn in enumerate(conv.turns, start=1):
        expect = turn.get("expect") or {}
        if "click" in turn:
            title = turn["click"]
            button = _find_button(previous, title)
            if button is None:
                titles = [b.get("title") for b in buttons_of(previous)]
                result.failures.append(Failure(
                    "click", f"no button {title!r} to click; buttons were {titles} (typed instead)",
                    index, title, "\n".join(texts_of(previous))))
                user, sent = title, title
            else:
                user, sent = title, button.get("payload") or title
        else:
            user = sent = turn["user"]
        until = turn.get("repeat_until")
        attempts = until["max"] if until else 1
        messages: List[Dict[str, Any]] = []
        if until is not None and any(_until_met(until, ex.messages) for ex in result.transcript):
            continue    # already there: the visitor has nothing more to answer
        for attempt in range(attempts):
            try:
                messages = send(sender, sent) or []
            except Exception as exc:  # the bot is down or answered with an HTTP error
                result.error = f"turn {index}: sending {excerpt(sent, 60)!r} failed: {exc}"
                result.failures += conversation_checks(conv, result.transcript)
                return result
            result.transcript.append(Exchange(index, user, sent, messages))
            if until is None or _until_met(until, messages):
                break
        else:
            if until is not None:
                result.failures.append(Failure(
                    "repeat_until", f"after {attempts} tries, none of {until['reply_has_any']}",
                    index, user, "\n".join(texts_of(messages))))
        turn_slots = None
        if needs_slots(expect):
            turn_slots = _read_slots(slots, sender, result, index, user)
            result.transcript[-1].slots = turn_slots
        result.failures += check_expect(expect, messages, turn_slots, index, user)
        previous = messages
    if conv.final:
        last_slots = _read_slots(slots, sender, result, None, "") if needs_slots(conv.final) else None
        everything = [m for ex in result.transcript for m in ex.messages]
        for f in check_expect(conv.final, everything, last_slots):
            f.check = f"final.{f.check}"
            f.reply = ""
            result.failures.append(f)
    result.failures += conversation_checks(conv, result.transcript)
    return result


# -- summary ------------------------------------------------------------------------------------

def summarize(results: List[ConversationResult]) -> Dict[str, Any]:
    passed = sum(r.passed for r in results)
    by_check: Dict[str, int] = {}
    for r in results:
        for check in dict.fromkeys(f.check for f in r.failures):
            by_check[check] = by_check.get(check, 0) + 1
        if r.error:
            by_check["error"] = by_check.get("error", 0) + 1
    total = len(results)
    return {"passed": passed, "total": total,
            "percent": round(100.0 * passed / total, 1) if total else 0.0,
            "failed_conversations_by_check": dict(sorted(by_check.items(), key=lambda kv: -kv[1]))}


def report_markdown(results: List[ConversationResult], header: str = "") -> str:
    s = summarize(results)
    lines = ["# Conversation suite", ""]
    if header:
        lines += [header, ""]
    lines += [f"**{s['passed']}/{s['total']} conversations passed ({s['percent']}%)**", ""]
    by_file: Dict[str, List[ConversationResult]] = {}
    for r in results:
        by_file.setdefault(r.source, []).append(r)
    lines += ["| file | passed |", "|---|---|"]
    for source, rs in by_file.items():
        lines.append(f"| {source} | {sum(r.passed for r in rs)}/{len(rs)} |")
    lines += ["", "Failed conversations by check (a conversation counts once per check):", ""]
    lines += [f"- {check}: {n}" for check, n in s["failed_conversations_by_check"].items()] or ["- none"]
    failed = [r for r in results if not r.passed]
    if failed:
        lines += ["", "## Failures", ""]
        for r in failed:
            lines += [f"### {r.id} ({r.source})" + (f" — xfail: {r.xfail}" if r.xfail else ""), "",
                      f"_{r.persona}_", ""]
            if r.error:
                lines.append(f"- error: {r.error}")
            for f in r.failures:
                where = f"turn {f.turn}" if f.turn else "conversation"
                lines.append(f"- {where} `{f.check}`: {f.detail}")
                if f.user:
                    lines.append(f"  - user: {excerpt(f.user, 160)}")
                if f.turn:
                    lines.append(f"  - bot: {excerpt(f.reply, 300) or '(no reply)'}")
            lines += ["", "<details><summary>transcript</summary>", "", "```",
                      r.transcript_text(), "```", "", "</details>", ""]
    passed = [r.id for r in results if r.passed]
    if passed:
        lines += ["", "## Passed", "", ", ".join(passed), ""]
    return "\n".join(lines)
