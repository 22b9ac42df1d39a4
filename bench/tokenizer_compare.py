"""SudachiPy versus fugashi (MeCab + unidic-lite) for the NLU pipeline: speed and accuracy.

Speed: load time and tokenization time over every training and held-out message.
Accuracy: an NLU-only model trained with config.yml, changing only the tokenizer's
analyzer, evaluated on the held-out set (bench/nlu_eval.py).

    python -m bench.tokenizer_compare            # -> reports/tokenizer_compare.md
    python -m bench.tokenizer_compare --speed    # speed only (no training)
"""

from __future__ import annotations

import copy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.nlu_eval import evaluate, load_examples

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "reports" / "tokenizer_compare.md"


def texts():
    from rasa.shared.nlu.training_data.loading import load_data

    train = [m.get("text") for m in load_data(str(ROOT / "data" / "nlu")).intent_examples]
    held = [t for t, _, _ in load_examples()]
    return train + held


def speed(analyzer: str, corpus, repeat: int = 5):
    from ja_nlu import analyzers

    t0 = time.perf_counter()
    analyzers.warm_up(analyzer)
    load = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for text in corpus:
            analyzers.analyze(text, analyzer)
        best = min(best, time.perf_counter() - t0)
    return load, 1e6 * best / len(corpus)


def accuracy(analyzer: str, workdir: Path):
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    config = copy.deepcopy(config)
    for comp in config["pipeline"]:
        if comp["name"].endswith("JapaneseTokenizer"):
            comp["analyzer"] = analyzer
    cfg = workdir / f"config-{analyzer}.yml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    started = time.monotonic()
    with open(workdir / f"train-{analyzer}.log", "w") as log:
        subprocess.run([str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", str(cfg),
                        "--nlu", "data/nlu", "--out", str(workdir), "--fixed-model-name", analyzer],
                       cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=True)
    train_s = time.monotonic() - started
    return evaluate(workdir / f"{analyzer}.tar.gz"), train_s


def main(argv) -> int:
    corpus = texts()
    rows = []
    for analyzer in ("sudachi", "fugashi"):
        load, us = speed(analyzer, corpus)
        row = {"analyzer": analyzer, "load_s": load, "us_per_msg": us}
        if "--speed" not in argv:
            with tempfile.TemporaryDirectory() as tmp:
                metrics, train_s = accuracy(analyzer, Path(tmp))
            row.update(intent=metrics["intent_accuracy"], entity=metrics["entity_f1"], train_s=train_s)
        rows.append(row)
        print(row, flush=True)
    lines = [f"# Tokenizer comparison ({len(corpus)} messages; 2-core machine)", "",
             "| analyzer | dictionary load | tokenize per message | held-out intent accuracy | entity F1 | NLU training |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['analyzer']} | {r['load_s']:.2f} s | {r['us_per_msg']:.0f} µs | "
                     f"{r.get('intent', float('nan')):.1%} | {r.get('entity', float('nan')):.1%} | "
                     f"{r.get('train_s', float('nan')):.0f} s |")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(OUT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
