"""The console's tables: accounts, sessions, login throttling, conversation summaries,
reviews, tags, notes, intent corrections, audit log, refresh state; the search index.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

log = logging.getLogger("staff_console.migrations")


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("password_changed_at", sa.Float, nullable=False),
        sa.Column("last_login_at", sa.Float),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_seen_at", sa.Float, nullable=False),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(200)),
    )
    op.create_table(
        "console_login_throttle",
        sa.Column("username_key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("first_failure_at", sa.Float, nullable=False),
        sa.Column("locked_until", sa.Float),
    )
    op.create_table(
        "console_conversations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, unique=True),
        sa.Column("channel", sa.String(32)),
        sa.Column("started_at", sa.Float),
        sa.Column("last_at", sa.Float),
        sa.Column("turns", sa.Integer, nullable=False),
        sa.Column("bot_turns", sa.Integer, nullable=False),
        sa.Column("intents", sa.Text, nullable=False),
        sa.Column("primary_rec", sa.String(64)),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("fallback_count", sa.Integer, nullable=False),
        sa.Column("handoff", sa.Boolean, nullable=False),
        sa.Column("distress", sa.Boolean, nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("attention_first_at", sa.Float),
        sa.Column("attention_last_at", sa.Float),
        sa.Column("first_text", sa.Text),
        sa.Column("last_text", sa.Text),
        sa.Column("max_event_id", sa.Integer, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    # newest first is the list's order; the others serve filters and the dashboard
    op.create_index("ix_console_conversations_last_at", "console_conversations", ["last_at", "id"])
    op.create_index("ix_console_conversations_started_at", "console_conversations", ["started_at"])
    op.create_index("ix_console_conversations_channel", "console_conversations", ["channel", "last_at"])
    op.create_index("ix_console_conversations_primary", "console_conversations", ["primary_rec", "last_at"])
    for flag in ("fallback", "handoff", "distress", "urgent"):
        op.create_index(f"ix_console_conversations_{flag}", "console_conversations", [flag, "last_at"])
    # the handoff queue: one row per conversation that asked for a person or showed distress
    op.create_table(
        "console_attention",
        sa.Column("conversation_id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, unique=True),
        sa.Column("first_at", sa.Float, nullable=False),
        sa.Column("last_at", sa.Float, nullable=False),
        sa.Column("distress", sa.Boolean, nullable=False),
        sa.Column("text", sa.Text),
    )
    op.create_index("ix_console_attention_first_at", "console_attention", ["first_at"])
    # the visitors' messages (NFKC, lower case, one a line), apart from the summaries so that
    # scans of the summaries stay narrow
    op.create_table(
        "console_search_text",
        sa.Column("conversation_id", sa.Integer, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "console_conversation_intents",
        sa.Column("intent", sa.String(255), primary_key=True),
        sa.Column("conversation_id", sa.Integer, primary_key=True),
    )
    op.create_index("ix_console_conversation_intents_conv", "console_conversation_intents",
                    ["conversation_id", "intent"])
    # the dashboard's figures, kept up to date by the refresher: per JST day (of the
    # conversation's start), channel and primary recommendation; and per day and intent
    op.create_table(
        "console_daily",
        sa.Column("day", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("primary_rec", sa.String(64), primary_key=True),
        sa.Column("conversations", sa.Integer, nullable=False),
        sa.Column("turns", sa.Integer, nullable=False),
        sa.Column("fallback_turns", sa.Integer, nullable=False),
        sa.Column("fallback", sa.Integer, nullable=False),
        sa.Column("handoff", sa.Integer, nullable=False),
        sa.Column("distress", sa.Integer, nullable=False),
        sa.Column("urgent", sa.Integer, nullable=False),
    )
    op.create_table(
        "console_daily_intents",
        sa.Column("day", sa.Integer, primary_key=True),
        sa.Column("intent", sa.String(255), primary_key=True),
        sa.Column("conversations", sa.Integer, nullable=False),
    )
    op.create_table(
        "console_marks",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("reviewed_at", sa.Float),
        sa.Column("reviewed_by", sa.String(64)),
        sa.Column("handled_at", sa.Float),
        sa.Column("handled_by", sa.String(64)),
    )
    op.create_table(
        "console_tags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("tag", sa.String(50), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("sender_id", "tag", name="uq_console_tags_sender_tag"),
    )
    op.create_index("ix_console_tags_tag", "console_tags", ["tag", "sender_id"])
    op.create_table(
        "console_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "console_corrections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, nullable=False, unique=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("original_intent", sa.String(255)),
        sa.Column("corrected_intent", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.Float, nullable=False, index=True),
        sa.Column("username", sa.String(64)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(255)),
        sa.Column("detail", sa.Text),
        sa.Column("ip", sa.String(64)),
    )
    op.create_table(
        "console_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Character-bigram index of the visitors' messages (staff_console/search.py):
        # FTS5 over space-separated bigrams, contentless (the text itself is in
        # console_search_text). A phrase of consecutive bigrams is a substring.
        try:
            with bind.begin_nested():
                op.execute("CREATE VIRTUAL TABLE console_search USING fts5("
                           "grams, content='', columnsize=0, tokenize='unicode61 remove_diacritics 0')")
        except sa.exc.OperationalError as exc:  # SQLite built without FTS5: bounded LIKE scan
            log.warning("FTS5 is not available (%s); search falls back to a scan", exc)
    elif bind.dialect.name == "postgresql":
        # pg_trgm (a trusted extension since PostgreSQL 13: a database owner may create it)
        # gives a GIN index that answers LIKE '%…%' for substrings of 3+ characters.
        try:
            with bind.begin_nested():
                op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except sa.exc.DBAPIError as exc:
            log.warning("pg_trgm could not be created (%s); search falls back to a scan", exc)
        has_trgm = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
        if has_trgm:
            op.execute("CREATE INDEX ix_console_search_text_trgm ON console_search_text "
                       "USING gin (text gin_trgm_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS console_search")
    for table in ("console_state", "console_audit", "console_corrections", "console_notes",
                  "console_tags", "console_marks", "console_conversation_intents", "console_search_text",
                  "console_daily", "console_daily_intents",
                  "console_attention",
                  "console_conversations", "console_login_throttle", "console_sessions",
                  "console_users"):
        op.drop_table(table)
