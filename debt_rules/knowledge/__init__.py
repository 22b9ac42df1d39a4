"""The assistant's topic knowledge: the office's prepared answer texts, reference tables
and the fixed sentences of the guided conversations (phrases_*.yml, see :func:`phrase`).

Every text a visitor reads about debt relief comes from the YAML files in this directory,
written from the two seed documents (shared/seeds) and owned by the office's lawyers; code
never composes legal content. Where a seed disagrees with a statute the text follows the
statute and the entry's ``note`` says so.

The files are read once per process, lazily on the first call, and checked on load: a
malformed file raises :class:`KnowledgeError` naming the file, the place in it and the
problem. The shape of each file is stated in ``schema.json`` (JSON Schema 2020-12, checked
with ``jsonschema``); the loader adds the checks across files and between values that a
schema cannot express. :func:`knowledge_version` is a short hash of the files, so staff can
see which version of the texts answered a conversation.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
import string
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml
from jsonschema import Draft202012Validator, ValidationError

__all__ = [
    "KnowledgeError", "UnknownTopic", "Topic",
    "topic", "has_topic", "topic_title", "topic_intents", "refusal_question", "documents_for",
    "refusal_risk_text", "refusal_risk_keys", "comparison_table", "comparison_columns",
    "procedure_label", "procedure_steps", "durations", "fees", "credit_record_periods",
    "kanpo_info", "interest_caps", "overpayment_time_limits", "scrivener_limit", "notice",
    "hotlines", "phrase", "phrase_group", "knowledge_version", "reload",
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

# The limits of LINE (title ≤ 20 characters, ≤ 5 messages, ≤ 13 buttons) are in schema.json.

# Every top-level section and whether it may appear in several files (only `topics`).
_SECTIONS = ("topics", "procedures", "refusal_question", "refusal_risks", "comparison",
             "procedure_steps", "durations", "fees", "credit_records", "kanpo", "interest_caps",
             "overpayment_time_limits", "scrivener_limit", "documents", "notice", "hotlines", "phrases")
# Sections whose entries (topics) or groups (phrases) may be spread over several files.
_MERGED = ("topics", "phrases")


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
        # per intent, its by_keyword variants in file order, each with its compiled `when`
        self.keywords: Dict[str, List[Tuple[List[re.Pattern[str]], Dict[str, Any]]]] = {
            intent: [([re.compile(w, re.IGNORECASE) for w in v["when"]], v) for v in entry["by_keyword"]]
            for intent, entry in self.topics.items() if entry.get("by_keyword")}


SCHEMA_FILE = DIRECTORY / "schema.json"

_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "true or false", "null": "null"}


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    """The JSON Schema (draft 2020-12) every knowledge file must satisfy, read once."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _where(path: Iterable[Any]) -> str:
    """``["topics", "ask_cost", "buttons", 0, "title"]`` -> ``topics.ask_cost.buttons[0].title``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _problem(error: ValidationError) -> str:
    """One schema error in the words of the old hand-written checker: the schema's own
    ``x-messages`` when it has one for the failing keyword, else a plain default."""
    keyword, limit, value = error.validator, error.validator_value, error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    key = None
    if keyword == "required":
        key = next((k for k in limit if isinstance(value, dict) and k not in value), None)
    elif keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(value, dict):
        allowed = list(schema.get("properties") or {})
        key = next((k for k in value if k not in allowed), None)
    messages = schema.get("x-messages") or {}
    template = messages.get(keyword) or messages.get("*")
    fields = {"value": value, "limit": limit, "key": key,
              "count": len(value) if isinstance(value, (str, list, dict)) else None,
              "options": ", ".join(map(str, limit)) if isinstance(limit, list) else limit}
    if template:
        return template.format(**fields)
    if keyword == "required":
        return f"missing required key {key!r}"
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        allowed = list(schema.get("properties") or {})
        return f"unknown key {key!r}" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    if keyword == "type":
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in (limit if isinstance(limit, list) else [limit]))
        return f"must be {wanted}, got {type(value).__name__}"
    if keyword == "minItems":
        return f"must have at least {limit} item(s)"
    if keyword == "maxItems":
        return f"must have at most {limit} items (got {len(value)})"
    if keyword == "maxLength":
        return f"must be at most {limit} characters (got {len(value)}: {value!r})"
    if keyword == "const":
        return f"must be {limit!r}, got {value!r}"
    if keyword == "enum":
        return f"must be one of {fields['options']}, got {value!r}"
    return error.message


def _non_string_keys(node: Any, path: List[Any]) -> Optional[str]:
    """YAML allows keys JSON does not (``yes:`` is True, ``1:`` an int): refuse them first."""
    if isinstance(node, dict):
        for k, v in node.items():
            if not isinstance(k, str):
                return f"{_where(path)}: keys must be strings, got {k!r}"
            found = _non_string_keys(v, path + [k])
            if found:
                return found
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found = _non_string_keys(v, path + [i])
            if found:
                return found
    return None


def _check_file(name: str, doc: Any) -> None:
    """Every schema error of one file, each as ``file: place: problem``, in file order."""
    bad_key = _non_string_keys(doc, [])
    if bad_key:
        raise KnowledgeError(f"{name}: {bad_key}")
    errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        lines = list(dict.fromkeys(f"{name}: {_where(e.absolute_path)}: {_problem(e)}" for e in errors))
        raise KnowledgeError("\n".join(lines))


def _load_from(directory: Path) -> _Knowledge:
    """Read, check and merge every ``*.yml`` in ``directory``."""
    files = sorted(Path(directory).glob("*.yml"))
    if not files:
        raise KnowledgeError(f"{directory}: no knowledge files (*.yml) found")
    digest = hashlib.sha256()
    merged: Dict[str, Any] = {"topics": {}, "phrases": {}}
    origin: Dict[str, str] = {}
    for path in files:
        raw = path.read_bytes()
        digest.update(path.name.encode("utf-8") + b"\0" + raw + b"\0")
        try:
            doc = yaml.safe_load(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise KnowledgeError(f"{path.name}: not UTF-8 ({exc})") from None
        except yaml.YAMLError as exc:
            raise KnowledgeError(f"{path.name}: invalid YAML: {exc}") from None
        if doc is None:
            continue
        _check_file(path.name, doc)
        _check_file_values(path.name, doc)
        for name, value in doc.items():
            if name in _MERGED:
                for key, entry in value.items():
                    if key in merged[name]:
                        raise KnowledgeError(f"{path.name}: {name}.{key}: already defined in "
                                             f"{origin[name + '.' + key]}")
                    merged[name][key] = entry
                    origin[name + "." + key] = path.name
            else:
                if name in merged:
                    raise KnowledgeError(f"{path.name}: {name}: section already defined in {origin[name]}")
                merged[name] = value
                origin[name] = path.name
    _check_whole(merged, origin)
    return _Knowledge(merged, digest.hexdigest()[:12])


def _check_file_values(file: str, doc: Dict[str, Any]) -> None:
    """What the schema cannot say about one file: relations between values."""
    def fail(where: str, problem: str) -> None:
        raise KnowledgeError(f"{file}: {where}: {problem}")

    for intent, entry in (doc.get("topics") or {}).items():
        for i, variant in enumerate(entry.get("by_keyword") or []):
            for j, pattern in enumerate(variant["when"]):
                normal = unicodedata.normalize("NFKC", pattern)
                if normal != pattern:
                    fail(f"topics.{intent}.by_keyword[{i}].when[{j}]",
                         f"is matched against NFKC-normalised text, so write it as {normal!r}, not {pattern!r}")
    if "refusal_question" in doc:
        cases = [b["case"] for b in doc["refusal_question"]["buttons"]]
        if sorted(cases) != sorted(REFUSAL_CASES):
            fail("refusal_question.buttons", f"must offer each case once ({', '.join(REFUSAL_CASES)}), got {cases}")
    if "comparison" in doc:
        keys = [c["key"] for c in doc["comparison"]["columns"]]
        seen: List[str] = []
        for i, row in enumerate(doc["comparison"]["rows"]):
            missing = [k for k in keys if k not in row]
            if missing:
                fail(f"comparison.rows[{i}]", f"missing column {missing[0]!r}")
            unknown = [k for k in row if k not in ("procedure", "source", "note", *keys)]
            if unknown:
                fail(f"comparison.rows[{i}]", f"unknown key {unknown[0]!r} (not a column)")
            if row["procedure"] in seen:
                fail(f"comparison.rows[{i}].procedure", f"repeated procedure {row['procedure']!r}")
            seen.append(row["procedure"])
        if sorted(seen) != sorted(PROCEDURES):
            fail("comparison.rows", f"must have one row per procedure, got {seen}")
    for group, entries in (doc.get("phrases") or {}).items():
        for key, entry in entries.items():
            where = f"phrases.{group}.{key}"
            declared = entry.get("placeholders") or []
            try:
                parsed = list(string.Formatter().parse(entry["text"]))
            except ValueError as exc:
                fail(f"{where}.text", f"unbalanced braces ({exc}); write a literal brace as {{{{ or }}}}")
            fields = []
            for _, field, spec, conversion in parsed:
                if field is None:
                    continue
                if spec or conversion or not re.fullmatch(r"[a-z][a-z0-9_]*", field):
                    fail(f"{where}.text", f"{{{field}}} must be a plain name like {{amount}}")
                fields.append(field)
            if sorted(set(fields)) != sorted(declared):
                fail(f"{where}.text", f"uses the placeholders {sorted(set(fields))}, but `placeholders` "
                                      f"lists {sorted(declared)}")
            for name in entry.get("join") or {}:
                if name not in declared:
                    fail(f"{where}.join", f"{name!r} is not one of its placeholders")
    for p, d in (doc.get("durations") or {}).items():
        if d["min_months"] is not None and d["max_months"] is not None and d["min_months"] > d["max_months"]:
            fail(f"durations.{p}", f"min_months {d['min_months']} exceeds max_months {d['max_months']}")
    for group, items in (doc.get("fees") or {}).items():
        for i, item in enumerate(items):
            if item["min"] is not None and item["min"] > item["max"]:
                fail(f"fees.{group}[{i}]", f"min {item['min']} exceeds max {item['max']}")


def _check_whole(data: Dict[str, Any], origin: Dict[str, str]) -> None:
    """Checks across files: every section present, every required topic present, every
    button leading somewhere, the distress reply carrying the hotlines first."""
    for name in _SECTIONS:
        if name not in data:
            raise KnowledgeError(f"knowledge: section {name!r} is missing from every file")
    for group in _validator().schema["properties"]["phrases"]["properties"]:
        if group not in data["phrases"]:
            raise KnowledgeError(f"knowledge: phrase group {group!r} is missing from every file")
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
        for i, variant in enumerate(entry.get("by_keyword") or []):
            places.append((f"topics.{intent}.by_keyword[{i}].buttons", variant.get("buttons") or []))
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


def _keyword_variant(intent: str, text: Optional[str], procedure: Optional[str]) -> Optional[Dict[str, Any]]:
    """The first ``by_keyword`` variant of ``intent`` one of whose ``when`` patterns is found
    in the NFKC-normalised ``text`` and whose ``procedures`` (if it lists any) include
    ``procedure``; None when none applies."""
    if not isinstance(text, str) or not text:
        return None
    normal = unicodedata.normalize("NFKC", text)
    for patterns, variant in _get().keywords.get(intent, ()):
        if "procedures" in variant and procedure not in variant["procedures"]:
            continue
        if any(p.search(normal) for p in patterns):
            return variant
    return None


def _topic_from(intent: str, entry: Dict[str, Any], variant: Optional[Dict[str, Any]]) -> Topic:
    """A Topic from ``variant`` (or the base ``entry``); a variant without its own buttons
    or source uses the base entry's."""
    chosen = variant if variant is not None else entry
    buttons = chosen["buttons"] if "buttons" in chosen else entry["buttons"]
    return Topic(intent=intent, messages=list(chosen["messages"]),
                 buttons=[_button_out(b) for b in buttons],
                 source=chosen.get("source", entry["source"]))


def topic(intent: str, *, procedure: Optional[str] = None, case: Optional[str] = None,
          text: Optional[str] = None) -> Topic:
    """The prepared answer for ``intent``: a variant when the entry has one that applies,
    else the base entry. Which variant wins, most specific first:

    1. ``by_case`` for ``case`` (the 任意整理-refusal case the visitor chose);
    2. ``by_keyword``: the first entry, in file order, whose ``when`` matches the visitor's
       message ``text`` (NFKC-normalised, case-insensitive) and whose ``procedures``, if
       given, include ``procedure``. It wins over ``by_procedure`` because it answers what
       the visitor actually asked about (車, 家族…); an entry meant for one procedure
       only lists it in ``procedures`` and goes before the general one;
    3. ``by_procedure`` for ``procedure``;
    4. the base entry.

    A variant without its own buttons uses the base entry's. Raises :class:`UnknownTopic`
    (a LookupError) for an unknown intent."""
    entry = _get().topics.get(intent) if isinstance(intent, str) else None
    if entry is None:
        raise UnknownTopic(f"no prepared answer for intent {intent!r}")
    variant = None
    if isinstance(case, str):
        variant = (entry.get("by_case") or {}).get(case)
    if variant is None:
        variant = _keyword_variant(intent, text, procedure)
    if variant is None and isinstance(procedure, str):
        variant = (entry.get("by_procedure") or {}).get(procedure)
    return _topic_from(intent, entry, variant)


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


def _phrase_entry(key: str) -> Dict[str, Any]:
    group, _, name = key.partition(".") if isinstance(key, str) else ("", "", "")
    entry = (_get().data["phrases"].get(group) or {}).get(name)
    if entry is None:
        raise UnknownTopic(f"no phrase {key!r}")
    return entry


def phrase(key: str, **values: Any) -> str:
    """The fixed sentence ``group.name`` of the phrases files, its placeholders filled.

    ``values`` must name exactly the entry's ``placeholders`` (a ValueError otherwise, so
    a sentence never goes out with a figure missing); a list is joined with the entry's
    ``join`` for that placeholder. Raises :class:`UnknownTopic` for an unknown key."""
    entry = _phrase_entry(key)
    declared = entry.get("placeholders") or []
    if sorted(values) != sorted(declared):
        raise ValueError(f"phrase {key!r} takes {sorted(declared)}, got {sorted(values)}")
    if not declared:
        return entry["text"]
    join = entry.get("join") or {}
    filled = {k: join.get(k, "").join(map(str, v)) if isinstance(v, (list, tuple)) else v
              for k, v in values.items()}
    return entry["text"].format(**filled)


def phrase_group(group: str) -> Dict[str, str]:
    """The texts of a group of phrases without placeholders, by name (labels such as
    ``fit`` or ``booking_method``)."""
    entries = _get().data["phrases"].get(group) if isinstance(group, str) else None
    if entries is None:
        raise UnknownTopic(f"no phrase group {group!r}")
    return {name: e["text"] for name, e in entries.items() if not e.get("placeholders")}


def knowledge_version() -> str:
    """12 hex digits of a SHA-256 over the knowledge files: changes with any edit."""
    return _get().version
