"""Held-out NLU evaluation: intent accuracy and entity precision/recall/F1.

The held-out messages (tests/nlu/*.yml) are in no training file; the model is the same
fingerprinted model ``make run`` serves. Entities count as correct only when type, exact
span and resolved value all match the annotation (stricter than Rasa's token-level
scoring, which also scores each extractor alone against every entity type). Rasa's own
``rasa test nlu`` report and confusion matrix are written beside ours.

    python -m bench.nlu_eval            # -> reports/nlu/summary.md, summary.json, Rasa's reports
    python -m bench.nlu_eval --no-rasa-report
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "tests" / "nlu"
REPORTS = ROOT / "reports" / "nlu"


def load_examples(path: Path = HELDOUT):
    """(text, intent, [(entity, start, end, value)]) for every held-out message."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    out = []
    for msg in data.intent_examples:
        ents = [(e["entity"], e["start"], e["end"], str(e.get("value", msg.get("text")[e["start"]:e["end"]])))
                for e in msg.get("entities") or []]
        out.append((msg.get("text"), msg.get("intent"), ents))
    return out


def _value_key(entity: str, text: str, value) -> str:
    # numbers: the annotation carries the surface text; compare resolved values instead
    if entity in ("amount", "count", "year", "percent"):
        from ja_nlu.numbers import find_numbers

        found = find_numbers(text)
        return str(found[0].value) if found else text
    return str(value)


def evaluate(model: Path, examples=None) -> Dict:
    from rasa.core.agent import Agent

    examples = examples if examples is not None else load_examples()
    agent = Agent.load(str(model))
    intents_true: List[str] = []
    intents_pred: List[str] = []
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    errors = []
    started = time.perf_counter()

    async def parse_all():
        return [await agent.parse_message(text) for text, _, _ in examples]

    parsed = asyncio.run(parse_all())
    elapsed = time.perf_counter() - started
    for (text, intent, gold), result in zip(examples, parsed):
        predicted = result["intent"]["name"]
        intents_true.append(intent)
        intents_pred.append(predicted)
        gold_set = {(e, s, t, _value_key(e, text[s:t], v)) for e, s, t, v in gold}
        pred_set = {(e["entity"], e["start"], e["end"], str(e["value"]))
                    for e in result.get("entities", [])}
        for item in pred_set & gold_set:
            tp[item[0]] += 1
        for item in pred_set - gold_set:
            fp[item[0]] += 1
        for item in gold_set - pred_set:
            fn[item[0]] += 1
        if predicted != intent or pred_set != gold_set:
            errors.append({"text": text, "intent": intent, "predicted": predicted,
                           "confidence": round(result["intent"].get("confidence", 0), 3),
                           "missing": sorted(map(list, gold_set - pred_set)),
                           "extra": sorted(map(list, pred_set - gold_set))})
    per_intent = defaultdict(lambda: [0, 0])
    for t, p in zip(intents_true, intents_pred):
        per_intent[t][1] += 1
        per_intent[t][0] += t == p
    entity_rows = {}
    for ent in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[ent] / (tp[ent] + fp[ent]) if tp[ent] + fp[ent] else 0.0
        r = tp[ent] / (tp[ent] + fn[ent]) if tp[ent] + fn[ent] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        entity_rows[ent] = {"precision": p, "recall": r, "f1": f, "support": tp[ent] + fn[ent]}
    TP, FP, FN = sum(tp.values()), sum(fp.values()), sum(fn.values())
    micro_p = TP / (TP + FP) if TP + FP else 0.0
    micro_r = TP / (TP + FN) if TP + FN else 0.0
    micro_f = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
    return {
        "model": model.name,
        "messages": len(examples),
        "intent_accuracy": sum(t == p for t, p in zip(intents_true, intents_pred)) / max(len(examples), 1),
        "per_intent": {k: {"correct": v[0], "total": v[1]} for k, v in sorted(per_intent.items())},
        "entity_f1": micro_f, "entity_precision": micro_p, "entity_recall": micro_r,
        "entities": entity_rows,
        "parse_ms_per_message": 1000 * elapsed / max(len(examples), 1),
        "errors": errors,
    }


def to_markdown(m: Dict) -> str:
    lines = [
        f"# Held-out NLU evaluation ({m['messages']} messages, model {m['model']})", "",
        f"- intent accuracy: **{m['intent_accuracy']:.1%}**",
        f"- entity F1 (exact span and value): **{m['entity_f1']:.1%}** "
        f"(precision {m['entity_precision']:.1%}, recall {m['entity_recall']:.1%})",
        f"- parse time: {m['parse_ms_per_message']:.1f} ms per message", "",
        "| entity | precision | recall | F1 | support |", "|---|---|---|---|---|",
    ]
    for ent, r in m["entities"].items():
        lines.append(f"| {ent} | {r['precision']:.1%} | {r['recall']:.1%} | {r['f1']:.1%} | {r['support']} |")
    lines += ["", "| intent | correct | total |", "|---|---|---|"]
    for intent, r in m["per_intent"].items():
        lines.append(f"| {intent} | {r['correct']} | {r['total']} |")
    lines += ["", "## Misread messages", ""]
    for e in m["errors"]:
        lines.append(f"- 「{e['text']}」 {e['intent']} → {e['predicted']} ({e['confidence']})"
                     + (f" missing {e['missing']}" if e["missing"] else "")
                     + (f" extra {e['extra']}" if e["extra"] else ""))
    return "\n".join(lines) + "\n"


def rasa_report(model: Path, out: Path) -> None:
    """Rasa's own report and confusion matrix image (log to out/rasa_test.log)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "rasa_test.log", "w", encoding="utf-8") as log:
        subprocess.run(
            [str(Path(sys.executable).parent / "rasa"), "test", "nlu", "--model", str(model),
             "--nlu", str(HELDOUT), "--out", str(out / "rasa"), "--domain", "domain.yml"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False,
        )


def main(argv: Optional[List[str]] = None) -> int:
    from runner.model import ensure_model

    argv = argv if argv is not None else sys.argv[1:]
    model = ensure_model()
    metrics = evaluate(model)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "summary.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    (REPORTS / "summary.md").write_text(to_markdown(metrics), encoding="utf-8")
    if "--no-rasa-report" not in argv:
        rasa_report(model, REPORTS)
    print(f"intent accuracy {metrics['intent_accuracy']:.1%}, entity F1 {metrics['entity_f1']:.1%} "
          f"on {metrics['messages']} held-out messages -> {REPORTS.relative_to(ROOT)}/summary.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
