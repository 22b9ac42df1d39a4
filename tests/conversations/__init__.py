"""Realistic multi-turn conversations written from personas: the product's acceptance
measure. See README.md; ``python -m tests.conversations`` runs them all."""
