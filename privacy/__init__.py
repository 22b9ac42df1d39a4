"""Keeping visitors' contact data out of the transcripts (see tracker_store.py)."""
