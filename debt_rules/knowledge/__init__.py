"""The assistant's topic knowledge: the office's prepared answer texts and reference tables.

Every text a visitor reads about debt relief comes from the YAML files in this directory,
written from the two seed documents (shared/seeds) and owned by the office's lawyers; code
never composes legal content. Where a seed disagrees with a statute the text follows the
statute and the entry's ``note`` says so.

The files are read once per process, lazily on the first call, and checked on load: a
malformed file raises :class:`KnowledgeError` naming the file, the place in it and the
problem. :func:`knowledge_version` is a short hash of the files, so staff can see which
version of the texts answered a conversation. Only the standard library and PyYAML.
"""

from __future__ import annotations

import copy
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

__all__ = [
    "KnowledgeError", "UnknownTopic", "Topic",
    "topic", "has_topic", "topic_title", "topic_intents", "refusal_question", "documents_for",
    "refusal_risk_text", "refusal_risk_keys", "comparison_table", "comparison_columns",
    "procedure_label", "procedure_steps", "durations", "fees", "credit_record_periods",
    "kanpo_info", "interest_caps", "overpayment_time_limits", "scrivener_limit", "notice",
    "hotlines", "knowledge_version", "reload",
    "PROCEDURES", "REFUSAL_CASES", "REFUSAL_RISKS", "REQUIRED_TOPICS",
]

DIRECTORY = Path(__file__).resolve().parent

PROCEDURES = ("voluntary_settlement", "individual_rehabilitation", "bankruptcy",
              "specific_mediation", "overpayment_claim")
REFUSAL_CASES = ("creditor_refused", "firm_declined", "worried")
REFUSAL_RISKS = ("seizure_or_lawsuit", "unstable_income", "servicer", "long_repayment",
                 "earlier_relief")

# Intents that must have a prepared answer (shared/spec/intents.md, minus the ones the
# guided flows or the NLU handle: affirm, deny, dont_know, inform, request_diagnosis),
# plus `fallback`, the reply when a message was not understood.
REQUIRED_TOPICS = (
    "ask_debt_consolidation", "ask_voluntary_settlement", "ask_settlement_refused",
    "ask_renegotiation_timing", "ask_overpayment", "ask_overpayment_deadline",
    "request_recalculation", "ask_individual_rehabilitation", "ask_bankruptcy",
    "ask_specific_mediation", "ask_compare_procedures", "ask_cost", "ask_duration",
    "ask_credit_record", "ask_credit_report_check", "ask_family_impact", "ask_work_impact",
    "ask_property_impact", "ask_kanpo", "ask_excluded_debts", "ask_guarantor", "ask_documents",
    "ask_lawyer_or_scrivener", "ask_choose_firm", "ask_free_consultation",
    "ask_lawsuit_seizure", "ask_stop_collection", "ask_card_after", "ask_gambling_debt",
    "ask_consultation_tips", "ask_negotiation_tips", "ask_servicer",
    "greet", "goodbye", "thank", "bot_challenge", "ask_capabilities", "request_human",
    "out_of_scope", "express_distress", "start_over", "fallback",
)

# Buttons may also lead to these intents, which start a guided flow instead of a text.
FLOW_INTENTS = frozenset({"request_diagnosis", "request_booking", "withdraw_booking"})

TITLE_MAX = 20      # LINE quick-reply label limit
MESSAGES_MAX = 5    # LINE: at most 5 messages per reply
BUTTONS_MAX = 13    # LINE: at most 13 quick-reply items

# Every top-level section and whether it may appear in several files (only `topics`).
_SECTIONS = ("topics", "procedures", "refusal_question", "refusal_risks", "comparison",
             "procedure_steps", "durations", "fees", "credit_records", "kanpo", "interest_caps",
             "overpayment_time_limits", "scrivener_limit", "documents", "notice", "hotlines")


class KnowledgeError(ValueError):
    """A knowledge file is missing, unreadable or malformed."""


class UnknownTopic(LookupError):
    """No prepared answer exists for the intent (or risk key) asked for."""


@dataclass(frozen=True)
class Topic:
    """One prepared answer: messages to send in order, buttons for the last one.

    Each button is a dict with ``title``, ``intent`` and ``entities`` (possibly empty);
    the buttons of :func:`refusal_question` also carry ``case``."""

    intent: str
    messages: List[str]
    buttons: List[Dict[str, Any]]
    source: str = ""


# ---- loading and validation -------------------------------------------------------

class _Knowledge:
    def __init__(self, data: Dict[str, Any], version: str) -> None:
        self.data = data
        self.version = version
        self.topics: Dict[str, Dict[str, Any]] = data["topics"]


class _Checker:
    """Collects the file being checked so every error names file and place."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, problem: str) -> None:
        raise KnowledgeError(f"{self.file}: {where}: {problem}")

    def mapping(self, value: Any, where: str, *, required=(), optional=()) -> Dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, f"must be a mapping, got {type(value).__name__}")
        for key in value:
            if not isinstance(key, str):
                self.fail(where, f"keys must be strings, got {key!r}")
        if required or optional:
            unknown = [k for k in value if k not in required and k not in optional]
            if unknown:
                self.fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(list(required) + list(optional))})")
            for key in required:
                if key not in value:
                    self.fail(where, f"missing required key {key!r}")
        return value

    def text(self, value: Any, where: str, *, max_len: Optional[int] = None) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"must be a non-empty string, got {value!r}")
        if max_len is not None and len(value) > max_len:
            self.fail(where, f"must be at most {max_len} characters (got {len(value)}: {value!r})")
        return value

    def texts(self, value: Any, where: str, *, min_items: int = 1, max_items: Optional[int] = None) -> List[str]:
        if not isinstance(value, list):
            self.fail(where, f"must be a list, got {type(value).__name__}")
        if len(value) < min_items:
            self.fail(where, f"must have at least {min_items} item(s)")
        if max_items is not None and len(value) > max_items:
            self.fail(where, f"must have at most {max_items} items (got {len(value)})")
        for i, item in enumerate(value):
            self.text(item, f"{where}[{i}]")
        return value

    def integer(self, value: Any, where: str, *, nullable: bool = False) -> Optional[int]:
        if value is None and nullable:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(where, f"must be a non-negative integer{' or null' if nullable else ''}, got {value!r}")
        return value

    def procedure_keys(self, value: Dict[str, Any], where: str, *, complete: bool) -> None:
        for key in value:
            if key not in PROCEDURES:
                self.fail(where, f"unknown procedure {key!r} (one of {', '.join(PROCEDURES)})")
        if complete:
            for p in PROCEDURES:
                if p not in value:
                    self.fail(where, f"missing procedure {p!r}")

    # -- topics

    def button(self, value: Any, where: str, *, with_case: bool = False) -> None:
        b = self.mapping(value, where, required=("title", "intent"),
                         optional=("entities",) + (("case",) if with_case else ()))
        self.text(b["title"], f"{where}.title", max_len=TITLE_MAX)
        self.text(b["intent"], f"{where}.intent")
        entities = b.get("entities")
        if entities is not None:
            self.mapping(entities, f"{where}.entities")
            for name, val in entities.items():
                self.text(val, f"{where}.entities.{name}")
            if "procedure" in entities and entities["procedure"] not in PROCEDURES:
                self.fail(f"{where}.entities.procedure", f"unknown procedure {entities['procedure']!r}")
        if with_case:
            if b.get("case") not in REFUSAL_CASES:
                self.fail(f"{where}.case", f"must be one of {', '.join(REFUSAL_CASES)}, got {b.get('case')!r}")

    def buttons(self, value: Any, where: str, *, with_case: bool = False) -> None:
        if not isinstance(value, list):
            self.fail(where, f"must be a list, got {type(value).__name__}")
        if len(value) > BUTTONS_MAX:
            self.fail(where, f"must have at most {BUTTONS_MAX} buttons (got {len(value)})")
        for i, b in enumerate(value):
            self.button(b, f"{where}[{i}]", with_case=with_case)

    def variant(self, value: Any, where: str) -> None:
        v = self.mapping(value, where, required=("messages",), optional=("buttons", "source", "note"))
        self.texts(v["messages"], f"{where}.messages", max_items=MESSAGES_MAX)
        if "buttons" in v:
            self.buttons(v["buttons"], f"{where}.buttons")
        for key in ("source", "note"):
            if key in v:
                self.text(v[key], f"{where}.{key}")

    def topic(self, value: Any, where: str) -> None:
        t = self.mapping(value, where, required=("title", "messages", "buttons", "source"),
                         optional=("note", "by_procedure", "by_case"))
        self.text(t["title"], f"{where}.title", max_len=TITLE_MAX)
        self.texts(t["messages"], f"{where}.messages", max_items=MESSAGES_MAX)
        self.buttons(t["buttons"], f"{where}.buttons")
        self.text(t["source"], f"{where}.source")
        if "note" in t:
            self.text(t["note"], f"{where}.note")
        if "by_procedure" in t:
            variants = self.mapping(t["by_procedure"], f"{where}.by_procedure")
            self.procedure_keys(variants, f"{where}.by_procedure", complete=False)
            for p, v in variants.items():
                self.variant(v, f"{where}.by_procedure.{p}")
        if "by_case" in t:
            variants = self.mapping(t["by_case"], f"{where}.by_case")
            for c, v in variants.items():
                if c not in REFUSAL_CASES:
                    self.fail(f"{where}.by_case", f"unknown case {c!r} (one of {', '.join(REFUSAL_CASES)})")
                self.variant(v, f"{where}.by_case.{c}")

    # -- the other sections

    def section(self, name: str, value: Any) -> None:
        getattr(self, "_" + name)(value, name)

    def _topics(self, value, where):
        for intent, entry in self.mapping(value, where).items():
            self.topic(entry, f"{where}.{intent}")

    def _procedures(self, value, where):
        self.procedure_keys(self.mapping(value, where), where, complete=True)
        for p, label in value.items():
            self.text(label, f"{where}.{p}")

    def _refusal_question(self, value, where):
        q = self.mapping(value, where, required=("messages", "buttons", "source"))
        self.texts(q["messages"], f"{where}.messages", max_items=MESSAGES_MAX)
        self.buttons(q["buttons"], f"{where}.buttons", with_case=True)
        cases = [b["case"] for b in q["buttons"]]
        if sorted(cases) != sorted(REFUSAL_CASES):
            self.fail(f"{where}.buttons", f"must offer each case once ({', '.join(REFUSAL_CASES)}), got {cases}")
        self.text(q["source"], f"{where}.source")

    def _refusal_risks(self, value, where):
        self.mapping(value, where)
        for key in REFUSAL_RISKS:
            if key not in value:
                self.fail(where, f"missing risk {key!r}")
        for key, risk in value.items():
            if key not in REFUSAL_RISKS:
                self.fail(where, f"unknown risk {key!r} (one of {', '.join(REFUSAL_RISKS)})")
            r = self.mapping(risk, f"{where}.{key}", required=("text", "source"), optional=("note",))
            for k in r:
                self.text(r[k], f"{where}.{key}.{k}")

    def _comparison(self, value, where):
        c = self.mapping(value, where, required=("columns", "rows"))
        if not isinstance(c["columns"], list) or not c["columns"]:
            self.fail(f"{where}.columns", "must be a non-empty list")
        keys = []
        for i, col in enumerate(c["columns"]):
            col = self.mapping(col, f"{where}.columns[{i}]", required=("key", "label"))
            keys.append(self.text(col["key"], f"{where}.columns[{i}].key"))
            self.text(col["label"], f"{where}.columns[{i}].label")
        if not isinstance(c["rows"], list):
            self.fail(f"{where}.rows", "must be a list")
        seen = []
        for i, row in enumerate(c["rows"]):
            row = self.mapping(row, f"{where}.rows[{i}]", required=("procedure", "source", *keys),
                               optional=("note",))
            if row["procedure"] not in PROCEDURES or row["procedure"] in seen:
                self.fail(f"{where}.rows[{i}].procedure", f"unknown or repeated procedure {row['procedure']!r}")
            seen.append(row["procedure"])
            for k in row:
                self.text(row[k], f"{where}.rows[{i}].{k}")
        if sorted(seen) != sorted(PROCEDURES):
            self.fail(f"{where}.rows", f"must have one row per procedure, got {seen}")

    def _procedure_steps(self, value, where):
        self.procedure_keys(self.mapping(value, where), where, complete=True)
        for p, steps in value.items():
            self.texts(steps, f"{where}.{p}")

    def _durations(self, value, where):
        self.procedure_keys(self.mapping(value, where), where, complete=True)
        for p, d in value.items():
            d = self.mapping(d, f"{where}.{p}", required=("min_months", "max_months", "text", "source"),
                             optional=("to_settlement_months", "repayment_years"))
            lo = self.integer(d["min_months"], f"{where}.{p}.min_months", nullable=True)
            hi = self.integer(d["max_months"], f"{where}.{p}.max_months", nullable=True)
            if lo is not None and hi is not None and lo > hi:
                self.fail(f"{where}.{p}", f"min_months {lo} exceeds max_months {hi}")
            self.text(d["text"], f"{where}.{p}.text")
            self.text(d["source"], f"{where}.{p}.source")

    def _fees(self, value, where):
        self.mapping(value, where)
        for group, items in value.items():
            if group != "consultation" and group not in PROCEDURES:
                self.fail(where, f"unknown fee group {group!r}")
            if not isinstance(items, list) or not items:
                self.fail(f"{where}.{group}", "must be a non-empty list")
            for i, item in enumerate(items):
                at = f"{where}.{group}[{i}]"
                item = self.mapping(item, at, required=("label", "min", "max", "per", "source"), optional=("text",))
                lo = self.integer(item["min"], f"{at}.min", nullable=True)
                hi = self.integer(item["max"], f"{at}.max", nullable=True)
                if (lo is None) != (hi is None):
                    self.fail(at, "min and max must both be numbers or both be null")
                if lo is not None and lo > hi:
                    self.fail(at, f"min {lo} exceeds max {hi}")
                if lo is None and "text" not in item:
                    self.fail(at, "an item without figures needs a `text`")
                for k in ("label", "per", "source", "text"):
                    if k in item:
                        self.text(item[k], f"{at}.{k}")
        self.procedure_keys({k: v for k, v in value.items() if k != "consultation"}, where, complete=True)

    def _credit_records(self, value, where):
        c = self.mapping(value, where, required=("agencies", "note"), optional=("seed_says",))
        if not isinstance(c["agencies"], list) or not c["agencies"]:
            self.fail(f"{where}.agencies", "must be a non-empty list")
        for i, a in enumerate(c["agencies"]):
            a = self.mapping(a, f"{where}.agencies[{i}]", required=("key", "name", "period", "years"),
                             optional=("kanpo_years",))
            for k in ("key", "name", "period"):
                self.text(a[k], f"{where}.agencies[{i}].{k}")
            self.integer(a["years"], f"{where}.agencies[{i}].years")
            if "kanpo_years" in a:
                self.integer(a["kanpo_years"], f"{where}.agencies[{i}].kanpo_years")
        self.text(c["note"], f"{where}.note")

    def _kanpo(self, value, where):
        self.procedure_keys(self.mapping(value, where), where, complete=True)
        for p, k in value.items():
            k = self.mapping(k, f"{where}.{p}", required=("published", "when"))
            if not isinstance(k["published"], bool):
                self.fail(f"{where}.{p}.published", "must be true or false")
            self.texts(k["when"], f"{where}.{p}.when", min_items=1 if k["published"] else 0)

    def _interest_caps(self, value, where):
        if not isinstance(value, list) or not value:
            self.fail(where, "must be a non-empty list")
        for i, cap in enumerate(value):
            cap = self.mapping(cap, f"{where}[{i}]", required=("below", "percent"))
            self.integer(cap["below"], f"{where}[{i}].below", nullable=True)
            if not isinstance(cap["percent"], (int, float)) or isinstance(cap["percent"], bool):
                self.fail(f"{where}[{i}].percent", f"must be a number, got {cap['percent']!r}")

    def _overpayment_time_limits(self, value, where):
        t = self.mapping(value, where, required=("years_from_end_of_dealings", "years_from_knowledge",
                                                 "knowledge_rule_from", "basis", "note"))
        self.integer(t["years_from_end_of_dealings"], f"{where}.years_from_end_of_dealings")
        self.integer(t["years_from_knowledge"], f"{where}.years_from_knowledge")
        for k in ("knowledge_rule_from", "basis", "note"):
            self.text(t[k], f"{where}.{k}")

    def _scrivener_limit(self, value, where):
        s = self.mapping(value, where, required=("amount", "per", "basis", "note"))
        self.integer(s["amount"], f"{where}.amount")
        for k in ("per", "basis", "note"):
            self.text(s[k], f"{where}.{k}")

    def _documents(self, value, where):
        d = self.mapping(value, where, required=("common", "by_procedure", "source"), optional=("note",))
        self.texts(d["common"], f"{where}.common")
        self.procedure_keys(self.mapping(d["by_procedure"], f"{where}.by_procedure"),
                            f"{where}.by_procedure", complete=False)
        for p, items in d["by_procedure"].items():
            self.texts(items, f"{where}.by_procedure.{p}")
        self.text(d["source"], f"{where}.source")

    def _notice(self, value, where):
        self.text(value, where)

    def _hotlines(self, value, where):
        if not isinstance(value, list) or not value:
            self.fail(where, "must be a non-empty list")
        for i, h in enumerate(value):
            h = self.mapping(h, f"{where}[{i}]", required=("name", "number"))
            self.text(h["name"], f"{where}[{i}].name")
            number = h["number"]
            if not isinstance(number, str) or not re.fullmatch(r"0\d{1,4}-\d{1,4}-\d{3,4}", number):
                self.fail(f"{where}[{i}].number", f"must be a phone number like 0570-783-556 (quoted), got {number!r}")


def _load_from(directory: Path) -> _Knowledge:
    """Read, check and merge every ``*.yml`` in ``directory``."""
    files = sorted(Path(directory).glob("*.yml"))
    if not files:
        raise KnowledgeError(f"{directory}: no knowledge files (*.yml) found")
    digest = hashlib.sha256()
    merged: Dict[str, Any] = {"topics": {}}
    origin: Dict[str, str] = {}
    for path in files:
        raw = path.read_bytes()
        digest.update(path.name.encode("utf-8") + b"\0" + raw + b"\0")
        check = _Checker(path.name)
        try:
            doc = yaml.safe_load(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise KnowledgeError(f"{path.name}: not UTF-8 ({exc})") from None
        except yaml.YAMLError as exc:
            raise KnowledgeError(f"{path.name}: invalid YAML: {exc}") from None
        if doc is None:
            continue
        check.mapping(doc, "(top level)", optional=_SECTIONS)
        for name, value in doc.items():
            check.section(name, value)
            if name == "topics":
                for intent, entry in value.items():
                    if intent in merged["topics"]:
                        check.fail(f"topics.{intent}", f"already defined in {origin['topics.' + intent]}")
                    merged["topics"][intent] = entry
                    origin["topics." + intent] = path.name
            else:
                if name in merged:
                    check.fail(name, f"section already defined in {origin[name]}")
                merged[name] = value
                origin[name] = path.name
    _check_whole(merged, origin)
    return _Knowledge(merged, digest.hexdigest()[:12])


def _check_whole(data: Dict[str, Any], origin: Dict[str, str]) -> None:
    """Checks across files: every section present, every required topic present, every
    button leading somewhere, the distress reply carrying the hotlines first."""
    for name in _SECTIONS:
        if name not in data:
            raise KnowledgeError(f"knowledge: section {name!r} is missing from every file")
    topics = data["topics"]
    for intent in REQUIRED_TOPICS:
        if intent not in topics:
            raise KnowledgeError(f"knowledge: no topic for required intent {intent!r}")
    known = set(topics) | FLOW_INTENTS
    for intent, entry in topics.items():
        file = origin["topics." + intent]
        places = [(f"topics.{intent}.buttons", entry["buttons"])]
        for kind in ("by_procedure", "by_case"):
            for key, variant in (entry.get(kind) or {}).items():
                places.append((f"topics.{intent}.{kind}.{key}.buttons", variant.get("buttons") or []))
        for where, buttons in places:
            for i, b in enumerate(buttons):
                if b["intent"] not in known:
                    raise KnowledgeError(f"{file}: {where}[{i}].intent: {b['intent']!r} has no topic and is not a flow")
    for i, b in enumerate(data["refusal_question"]["buttons"]):
        if b["intent"] != "ask_settlement_refused":
            raise KnowledgeError(f"{origin['refusal_question']}: refusal_question.buttons[{i}].intent: "
                                 f"must be 'ask_settlement_refused', got {b['intent']!r}")
    first = topics["express_distress"]["messages"][0]
    for h in data["hotlines"]:
        if h["number"] not in first:
            raise KnowledgeError(f"{origin['topics.express_distress']}: topics.express_distress.messages[0]: "
                                 f"must give the hotline {h['name']} {h['number']} first")


_lock = threading.Lock()
_cache: Optional[_Knowledge] = None


def _get() -> _Knowledge:
    global _cache
    k = _cache
    if k is None:
        with _lock:
            if _cache is None:
                _cache = _load_from(DIRECTORY)
            k = _cache
    return k


def reload() -> str:
    """Read the files again (after staff edited them); returns the new version."""
    global _cache
    fresh = _load_from(DIRECTORY)
    with _lock:
        _cache = fresh
    return fresh.version


# ---- the API ----------------------------------------------------------------------

def _button_out(b: Dict[str, Any]) -> Dict[str, Any]:
    out = {"title": b["title"], "intent": b["intent"], "entities": dict(b.get("entities") or {})}
    if "case" in b:
        out["case"] = b["case"]
        out["entities"].setdefault("refusal_case", b["case"])
    return out


def topic(intent: str, *, procedure: Optional[str] = None, case: Optional[str] = None) -> Topic:
    """The prepared answer for ``intent``; the variant for ``case`` or ``procedure`` when the
    entry has one (case first), else the base entry. A variant without its own buttons uses
    the base entry's. Raises :class:`UnknownTopic` (a LookupError) for an unknown intent."""
    entry = _get().topics.get(intent) if isinstance(intent, str) else None
    if entry is None:
        raise UnknownTopic(f"no prepared answer for intent {intent!r}")
    variant = None
    if isinstance(case, str):
        variant = (entry.get("by_case") or {}).get(case)
    if variant is None and isinstance(procedure, str):
        variant = (entry.get("by_procedure") or {}).get(procedure)
    chosen = variant if variant is not None else entry
    buttons = chosen["buttons"] if "buttons" in chosen else entry["buttons"]
    return Topic(intent=intent, messages=list(chosen["messages"]),
                 buttons=[_button_out(b) for b in buttons],
                 source=chosen.get("source", entry["source"]))


def has_topic(intent: str) -> bool:
    return isinstance(intent, str) and intent in _get().topics


def topic_title(intent: str) -> str:
    """A short label (≤ 20 characters) for a button that leads to ``intent``'s answer."""
    if not has_topic(intent):
        raise UnknownTopic(f"no prepared answer for intent {intent!r}")
    return _get().topics[intent]["title"]


def topic_intents() -> List[str]:
    return sorted(_get().topics)


def refusal_question() -> Topic:
    """Which 任意整理-refusal case is it? Each button has ``case`` (and the same value as
    the ``refusal_case`` entity)."""
    q = _get().data["refusal_question"]
    return Topic(intent="ask_settlement_refused", messages=list(q["messages"]),
                 buttons=[_button_out(b) for b in q["buttons"]], source=q["source"])


def documents_for(procedure: Optional[str]) -> List[str]:
    """What to bring: the common list, plus the procedure's own items when it has any."""
    docs = _get().data["documents"]
    items = list(docs["common"])
    if isinstance(procedure, str):
        for item in docs["by_procedure"].get(procedure, []):
            if item not in items:
                items.append(item)
    return items


def refusal_risk_text(key: str) -> str:
    """The visitor-facing sentence for a 任意整理 refusal risk (risk, then remedy)."""
    risk = _get().data["refusal_risks"].get(key) if isinstance(key, str) else None
    if risk is None:
        raise UnknownTopic(f"no refusal risk {key!r} (one of {', '.join(REFUSAL_RISKS)})")
    return risk["text"]


def refusal_risk_keys() -> List[str]:
    return list(REFUSAL_RISKS)


def comparison_columns() -> List[Dict[str, str]]:
    """The comparison table's columns in display order: ``key`` and Japanese ``label``."""
    return copy.deepcopy(_get().data["comparison"]["columns"])


def comparison_table() -> List[Dict[str, str]]:
    """One row per procedure, in :data:`PROCEDURES` order: ``procedure``, ``name`` and one
    entry per column key (summary, reduction, court, kanpo, property, occupation, duration,
    cost)."""
    data = _get().data
    keys = [c["key"] for c in data["comparison"]["columns"]]
    rows = {r["procedure"]: r for r in data["comparison"]["rows"]}
    out = []
    for p in PROCEDURES:
        row = {"procedure": p, "name": data["procedures"][p]}
        row.update({k: rows[p][k] for k in keys})
        out.append(row)
    return out


def procedure_label(procedure: str) -> str:
    label = _get().data["procedures"].get(procedure) if isinstance(procedure, str) else None
    if label is None:
        raise UnknownTopic(f"unknown procedure {procedure!r}")
    return label


def procedure_steps(procedure: str) -> List[str]:
    procedure_label(procedure)
    return list(_get().data["procedure_steps"][procedure])


def durations() -> Dict[str, Dict[str, Any]]:
    """Per procedure: ``min_months``/``max_months`` (null when the seeds give no figure) and
    the ``text`` a visitor reads."""
    return copy.deepcopy(_get().data["durations"])


def fees(procedure: Optional[str] = None) -> Any:
    """Fee ranges in yen: all groups (``consultation`` and each procedure) as a dict, or one
    procedure's items. Each item: label, min, max (null when only words), per, text?"""
    table = _get().data["fees"]
    if procedure is None:
        return copy.deepcopy(table)
    procedure_label(procedure)
    return copy.deepcopy(table[procedure])


def credit_record_periods() -> List[Dict[str, Any]]:
    """The credit bureaus (CIC, JICC, KSC): key, name, period (text), years, kanpo_years?"""
    return copy.deepcopy(_get().data["credit_records"]["agencies"])


def kanpo_info(procedure: str) -> Dict[str, Any]:
    """Whether ``procedure`` is published in the 官報, and at which decisions."""
    procedure_label(procedure)
    return copy.deepcopy(_get().data["kanpo"][procedure])


def interest_caps() -> List[Dict[str, Any]]:
    return copy.deepcopy(_get().data["interest_caps"])


def overpayment_time_limits() -> Dict[str, Any]:
    """The statute's time limits: ``years_from_end_of_dealings`` (10) and
    ``years_from_knowledge`` (5, for overpayments from ``knowledge_rule_from``)."""
    return copy.deepcopy(_get().data["overpayment_time_limits"])


def scrivener_limit() -> Dict[str, Any]:
    """The 司法書士's limit of representation: ``amount`` in yen, ``per`` claim, ``basis``."""
    return copy.deepcopy(_get().data["scrivener_limit"])


def notice() -> str:
    """The one-sentence notice every result carries."""
    return _get().data["notice"]


def hotlines() -> List[Dict[str, str]]:
    """The crisis hotlines, in order: ``name`` and ``number``."""
    return [{"name": h["name"], "number": h["number"]} for h in _get().data["hotlines"]]


def knowledge_version() -> str:
    """12 hex digits of a SHA-256 over the knowledge files: changes with any edit."""
    return _get().version
