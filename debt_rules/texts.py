"""The rule engine's texts (data/assessment.yml, read once per process) and how it writes
amounts of money. Kept apart from diagnose.py so that facts.py and questions.py can use
them without importing the engine."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

_DATA = Path(__file__).resolve().parent / "data" / "assessment.yml"
_lock = threading.Lock()
_texts: Optional[Dict[str, Any]] = None


def texts() -> Dict[str, Any]:
    """The texts of data/assessment.yml, read once per process."""
    global _texts
    if _texts is None:
        with _lock:
            if _texts is None:
                with open(_DATA, encoding="utf-8") as fh:
                    _texts = yaml.safe_load(fh)
    return _texts


def yen(n: Optional[int]) -> str:
    """3000000 -> 「300万円」, 35000 -> 「3万5,000円」, 8000 -> 「8,000円」, None -> 「不明」."""
    if n is None:
        return "不明"
    man, rest = divmod(int(n), 10000)
    if man and rest:
        return f"{man:,}万{rest:,}円"
    if man:
        return f"{man:,}万円"
    return f"{rest:,}円"
