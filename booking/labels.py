"""The booking vocabulary, defined once: request statuses and contact methods with their
Japanese names. Used by the store (booking/store.py), the booking questions
(conversation/booking_flow.py) and the staff console (staff_console/labels.py).
Plain data, no imports: the conversation flows can use it without loading a database driver."""

from __future__ import annotations

STATUSES = ("new", "contacted", "booked", "closed")
STATUS_LABELS = {"draft": "入力中", "new": "新規", "contacted": "連絡済み", "booked": "予約確定", "closed": "終了"}
METHOD_LABELS = {"phone": "電話", "email": "メール", "line": "LINE"}
