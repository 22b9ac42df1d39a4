"""Rasa input channels of our own. ``channels.line.LineInput``: the LINE Messaging API
webhook at ``POST /webhooks/line/webhook`` (see channels/line.py)."""
