"""A diagnosis result that fits a phone (issue 15): at most four bubbles, the first at most
200 characters with the recommendation and its key figure, the rest behind buttons
(詳しく, ほかの方法との比較, 相談に持っていくもの, 費用), the notice always present.
Texts: ``data/results.yml``; figures: the assessment of :func:`debt_rules.diagnose`.
No Rasa import."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from conversation.model import Button, Message
from debt_rules import knowledge
from debt_rules.texts import texts, yen

DATA = Path(__file__).resolve().parent / "data" / "results.yml"
PARTS = ("details", "compare", "documents")
MAX_BUBBLES = 4


@lru_cache(maxsize=1)
def phrases() -> Dict[str, Any]:
    with open(DATA, encoding="utf-8") as fh:
        data: Dict[str, Any] = yaml.safe_load(fh)
    return data


def _label(kind: str, key: str) -> str:
    return str(texts()["labels"][kind].get(key, key))


def _figures(a: Dict[str, Any]) -> Dict[str, Any]:
    s = a.get("settlement") or {}
    r = a.get("rehabilitation") or {}
    return {
        "debt_total": yen(a.get("debt_total") or 0),
        "settlement_36": yen(s.get("monthly_36")), "settlement_60": yen(s.get("monthly_60")),
        "months": s.get("months_needed"),
        "repayment": yen(r.get("repayment")), "rehab_36": yen(r.get("monthly_36")),
        "excluded_total": yen(a.get("excluded_total") or 0),
    }


def _lead(a: Dict[str, Any]) -> str:
    p = phrases()["lead"]
    primary = a.get("primary")
    if primary:
        text = p["primary"].format(procedure=_label("procedure", primary))
        key = phrases()["key_figure"].get(primary)
        if key and (a.get("debt_total") or primary == "overpayment_claim"):
            text += key.format(**_figures(a))
        return str(text)
    if a.get("debt_total", 0) == 0 and a.get("missing") == []:
        return str(p["nothing"])
    open_ = [_label("procedure", x["procedure"]) for x in a.get("procedures") or []
             if x["procedure"] in ("voluntary_settlement", "individual_rehabilitation", "bankruptcy")
             and (x["fit"] != "unsuitable" or not x.get("decided", True))]
    facts = texts()["labels"]["fact"]
    need = [facts.get(m.split(".")[-1], m) for m in a.get("missing") or []]
    text = p["undecided"]
    if open_:
        text += p["candidates"].format(candidates="か".join(open_))
    if need:
        text += p["needed"].format(facts="と".join(need[:2]))
    return str(text)


def _first_reason(a: Dict[str, Any], room: int) -> str:
    procs = {x["procedure"]: x for x in a.get("procedures") or []}
    reasons = (procs.get(a.get("primary") or "", {}) or {}).get("reasons") or []
    if not reasons or len(reasons[0]) > room:
        return ""
    repayment = (a.get("rehabilitation") or {}).get("repayment")
    if a.get("primary") == "individual_rehabilitation" and repayment and yen(repayment) in reasons[0]:
        return ""          # the key figure already says it
    return str(reasons[0])


def result_buttons(a: Dict[str, Any]) -> List[Button]:
    b = phrases()["buttons"]
    primary = a.get("primary")
    return [
        Button(b["details"], "result_details", {"detail": "details"}),
        Button(b["compare"], "result_details", {"detail": "compare"}),
        Button(b["documents"], "result_details", {"detail": "documents"}),
        Button(b["cost"], "ask_cost", {"procedure": primary} if primary else {}),
        Button(b["booking"], "request_booking"),
        Button(b["human"], "request_human"),
        Button(b["restart"], "start_over"),
    ]


def render(a: Dict[str, Any]) -> List[Message]:
    """The result: urgent notes first (one bubble), the recommendation with its key figure,
    then the notice with the buttons for everything else."""
    p = phrases()
    out: List[Message] = []
    urgent = a.get("urgent") or []
    if urgent:
        out.append(Message(p["urgent_prefix"] + "".join(urgent)))
    lead = _lead(a)
    reason = _first_reason(a, p["max_first_bubble"] - len(lead))
    out.append(Message(lead + reason))
    out.append(Message(knowledge.notice(), result_buttons(a)))
    assert len(out) <= MAX_BUBBLES
    return out


def detail(a: Optional[Dict[str, Any]], part: Optional[str]) -> List[Message]:
    """One part of the last result, asked for with its button."""
    p = phrases()
    if not a:
        return [Message(p["no_result"], [Button(p["buttons"]["restart"], "request_diagnosis")])]
    part = part if part in PARTS else "details"
    f = _figures(a)
    lines: List[str] = []
    if part == "details":
        d = p["details"]
        if a.get("debt_total"):
            lines.append(d["debt_total"].format(**f))
            if f["months"]:
                lines.append(d["months_needed"].format(**f))
            lines.append(d["settlement"].format(**f))
            if (a.get("rehabilitation") or {}).get("repayment"):
                lines.append(d["rehabilitation"].format(**f))
        if a.get("excluded_total"):
            lines.append(d["excluded"].format(**f))
        procs = {x["procedure"]: x for x in a.get("procedures") or []}
        risks = (procs.get(a.get("primary") or "", {}) or {}).get("risks") or []
        if risks:
            lines.append(d["risks"].format(risks="".join(risks[:3])))
        steps = (a.get("next_steps") or [])[:3]
        if steps:
            lines.append(d["steps"].format(steps="".join(f"{i + 1}. {t}" for i, t in enumerate(steps))))
        eligible = (a.get("legal_aid") or {}).get("eligible")
        if eligible is True:
            lines.append(d["legal_aid_yes"])
        elif eligible is False:
            lines.append(d["legal_aid_no"])
    elif part == "compare":
        c = p["compare"]
        lines.append(c["intro"])
        for x in a.get("procedures") or []:
            fit = c["fits"][x["fit"]] if x.get("decided", True) else c["undecided"]
            line = c["line"].format(procedure=_label("procedure", x["procedure"]), fit=fit)
            reasons = x.get("reasons") or []
            lines.append(line + (f"（{reasons[0]}）" if reasons else ""))
    else:
        docs = (a.get("documents") or [])[:8]
        lines.append(p["documents"]["intro"].format(documents="、".join(docs)) if docs else p["documents"]["none"])
    body = "\n".join(lines)
    others = [b for b in result_buttons(a) if b.entities.get("detail") != part]
    return [Message(body), Message(knowledge.notice(), others)]
