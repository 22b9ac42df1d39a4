"""Consultation booking requests (staff_console/bookings.py).

Contact data (phone, e-mail, name) lives only in this table: the tracker store redacts it
from Rasa's events (privacy/tracker_store.py), cancelling deletes the draft row and
withdrawing deletes the request.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_bookings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String(16), nullable=False, unique=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("channel", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("contact_method", sa.String(16)),
        sa.Column("phone", sa.String(32)),
        sa.Column("email", sa.String(254)),
        sa.Column("name", sa.String(64)),
        sa.Column("preferred_time", sa.String(200)),
        sa.Column("consent_text", sa.Text),
        sa.Column("consented_at", sa.Float),
        sa.Column("primary_rec", sa.String(64)),
        sa.Column("debt_total", sa.BigInteger),
        sa.Column("urgent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("distress", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("summary", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("status_changed_by", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("console_bookings")
