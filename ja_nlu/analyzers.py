"""Morphological analysers behind the Japanese tokenizer, loaded once per process.

Two back ends, chosen by name:

* ``sudachi``: SudachiPy with sudachidict_core (the default). Offsets come from the
  analyser itself (``Morpheme.begin()/end()`` index the original text) and
  ``normalized_form()`` folds widths and spellings (ＡＣＯＭ→acom, ﾌﾟﾛﾐｽ→プロミス,
  三百万→3000000), which makes a good lemma for the featurizers.
* ``fugashi``: MeCab through fugashi with unidic-lite. It gives no offsets, so they are
  computed from each word's preceding ``white_space``; the lemma is the NFKC-folded surface.

No Rasa import here: ``bench/`` and the tests use these directly.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

ANALYZERS = ("sudachi", "fugashi")
SPLIT_MODES = ("A", "B", "C")
# Sudachi refuses inputs over about 49 KB; split long texts well below that.
_MAX_CHUNK = 4000


@dataclass(frozen=True)
class Morph:
    text: str     # surface form exactly as written
    start: int    # offset into the original text
    end: int
    lemma: str    # normalised form for featurizers


_lock = threading.Lock()
_dictionaries: Dict[str, object] = {}
_local = threading.local()


def _sudachi_dictionary():
    with _lock:
        if "sudachi" not in _dictionaries:
            from sudachipy import dictionary

            _dictionaries["sudachi"] = dictionary.Dictionary(dict="core")
        return _dictionaries["sudachi"]


def _sudachi_tokenizer(mode: str):
    """One tokenizer object per thread and split mode, sharing one dictionary."""
    cache = getattr(_local, "sudachi", None)
    if cache is None:
        cache = _local.sudachi = {}
    if mode not in cache:
        from sudachipy import tokenizer as sudachi_tokenizer

        split = getattr(sudachi_tokenizer.Tokenizer.SplitMode, mode)
        cache[mode] = _sudachi_dictionary().create(mode=split)
    return cache[mode]


def _fugashi_tagger():
    tagger = getattr(_local, "fugashi", None)
    if tagger is None:
        import fugashi  # unidic-lite supplies the dictionary

        tagger = _local.fugashi = fugashi.Tagger()
    return tagger


def _chunks(text: str) -> List[Tuple[int, str]]:
    """Split at line ends or sentence ends so no chunk exceeds _MAX_CHUNK characters."""
    if len(text) <= _MAX_CHUNK:
        return [(0, text)]
    out, start = [], 0
    while start < len(text):
        end = min(start + _MAX_CHUNK, len(text))
        if end < len(text):
            cut = max(text.rfind(sep, start, end) for sep in ("\n", "。", " ", "、"))
            if cut > start:
                end = cut + 1
        out.append((start, text[start:end]))
        start = end
    return out


def _sudachi(text: str, mode: str) -> List[Morph]:
    tok = _sudachi_tokenizer(mode)
    morphs: List[Morph] = []
    for base, chunk in _chunks(text):
        for m in tok.tokenize(chunk):
            surface = m.surface()
            if not surface.strip():
                continue  # whitespace is no token
            morphs.append(
                Morph(surface, base + m.begin(), base + m.end(), m.normalized_form().lower())
            )
    return morphs


def _fugashi(text: str, mode: str) -> List[Morph]:
    tagger = _fugashi_tagger()
    morphs: List[Morph] = []
    for base, chunk in _chunks(text):
        pos = 0
        for word in tagger(chunk):
            surface = word.surface
            start = chunk.find(surface, pos + len(word.white_space or ""))
            if start < 0:  # MeCab normalised something: fall back to the running offset
                start = pos + len(word.white_space or "")
            end = start + len(surface)
            pos = end
            if surface.strip():
                lemma = unicodedata.normalize("NFKC", surface).lower()
                morphs.append(Morph(surface, base + start, base + end, lemma))
    return morphs


_BACKENDS: Dict[str, Callable[[str, str], List[Morph]]] = {
    "sudachi": _sudachi,
    "fugashi": _fugashi,
}


def analyze(text: str, analyzer: str = "sudachi", mode: str = "C") -> List[Morph]:
    """Tokens of ``text`` with offsets into it and normalised lemmas."""
    if analyzer not in _BACKENDS:
        raise ValueError(f"unknown analyzer {analyzer!r}; choose one of {ANALYZERS}")
    if mode not in SPLIT_MODES:
        raise ValueError(f"unknown split mode {mode!r}; choose one of {SPLIT_MODES}")
    if not text:
        return []
    return _BACKENDS[analyzer](text, mode)


def warm_up(analyzer: str = "sudachi", mode: str = "C") -> None:
    """Load the dictionary now (at component creation), not on the first message."""
    analyze("準備", analyzer, mode)
