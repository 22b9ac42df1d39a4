"""Japanese NLU components for Rasa 3.6: a morphological tokenizer, a number extractor
and a lookup-table entity extractor that folds character widths.

Modules without Rasa imports (``analyzers``, ``numbers``) can be used and tested alone.
"""
