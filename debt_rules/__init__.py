"""debt_rules: the assistant's rule engine (docs/rules.md). Pure Python, no Rasa, no
conversation state, no contact data.

Public API (the Rasa actions and ``python -m debt_rules`` use only these):

* :class:`InputError` (a ``ValueError``): ``.field``, ``.problem`` (Japanese);
  ``str(e) == f"{field}: {problem}"``. The only exception raised for bad input.
* :func:`diagnose` ``(profile, *, today=None) -> dict``: the Assessment of docs/rules.md.
* :func:`recalculate` ``(history, *, rate_percent_override=None) -> dict``: 引き直し計算.
* :func:`parse_history_csv` ``(text) -> {"transactions": [...]}``.
* :data:`FACT_FIELDS`, :func:`coerce_fact`, :func:`build_profile`: conversation facts.
* :func:`next_question` ``(facts, skipped=(), *, purpose="diagnosis", today=None)
  -> Question | None`` and :class:`Question` (``field``, ``text``, ``buttons``, ``kind``).

Topic knowledge is the sub-package :mod:`debt_rules.knowledge`; the guided conversations
are the package :mod:`conversation`, which uses this one (never the other way round).
"""

from debt_rules.diagnose import diagnose
from debt_rules.errors import InputError
from debt_rules.facts import FACT_FIELDS, build_profile, coerce_fact
from debt_rules.questions import Question, next_question
from debt_rules.recalc import parse_history_csv, recalculate

__all__ = ["InputError", "diagnose", "recalculate", "parse_history_csv", "FACT_FIELDS",
           "build_profile", "next_question", "coerce_fact", "Question"]
