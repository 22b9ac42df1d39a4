"""The trained model's lifecycle: one model per content fingerprint.

The fingerprint hashes everything that shapes the model: config.yml, the domain, the
training data and the custom NLU components' code. ``ensure_model()`` returns
``models/<fingerprint>.tar.gz`` and trains only when that file does not exist yet, so an
unchanged bot starts without training and every test reuses the same model.

    python -m runner.model            # print the model path, training first if needed
    python -m runner.model --check    # exit 1 when the model is out of date
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable, List

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
LOGS = ROOT / "var" / "log"
# what the model depends on (relative to ROOT); directories are walked
INPUTS = ["config.yml", "domain.yml", "data", "ja_nlu"]
SUFFIXES = {".yml", ".yaml", ".py", ".json", ".txt"}


def _files(inputs: Iterable[str]) -> List[Path]:
    out: List[Path] = []
    for name in inputs:
        path = ROOT / name
        if path.is_file():
            out.append(path)
        elif path.is_dir():
            out.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts
            )
    return out


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _files(INPUTS):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS / f"{fingerprint()}.tar.gz"


def rasa_bin() -> str:
    return str(Path(sys.executable).parent / "rasa")


def train(path: Path) -> Path:
    """Train into ``path``; Rasa's progress bars go to a log file, not the terminal."""
    LOGS.mkdir(parents=True, exist_ok=True)
    MODELS.mkdir(exist_ok=True)
    log = LOGS / "train.log"
    print(f"モデルを学習しています（1〜2分）… ログ: {log.relative_to(ROOT)}", flush=True)
    started = time.monotonic()
    cmd = [
        rasa_bin(), "train", "--config", "config.yml", "--domain", "domain.yml",
        "--data", "data", "--out", str(MODELS), "--fixed-model-name", path.name[: -len(".tar.gz")],
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    with open(log, "w", encoding="utf-8") as fh:
        result = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0 or not path.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
        raise RuntimeError(
            "モデルの学習に失敗しました。設定かデータに誤りがあります。ログの末尾:\n  "
            + "\n  ".join(tail)
        )
    print(f"学習完了: {path.relative_to(ROOT)}（{time.monotonic() - started:.0f} 秒）", flush=True)
    return path


def ensure_model() -> Path:
    """The model for the current inputs, trained first if it does not exist.

    A file lock makes concurrent callers (parallel test runs, `make run` beside a test)
    wait for one training instead of training twice."""
    import fcntl

    path = model_path()
    if path.exists():
        return path
    MODELS.mkdir(exist_ok=True)
    with open(MODELS / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path
        return train(path)


def main(argv: List[str]) -> int:
    if "--check" in argv:
        path = model_path()
        print(path.relative_to(ROOT))
        return 0 if path.exists() else 1
    try:
        print(ensure_model().relative_to(ROOT))
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
