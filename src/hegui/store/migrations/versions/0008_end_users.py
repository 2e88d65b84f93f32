"""End users behind an app key and admin API tokens (issue 14).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hegui.store.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "end_users",
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("app_account_id", sa.String(length=32), nullable=False),
        sa.Column("external_id_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_end_users_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["app_account_id"], ["accounts.id"], name=op.f("fk_end_users_app_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_end_users")),
    )
    op.create_index(
        "ix_end_users_app_account_id_external_id_hash",
        "end_users",
        ["app_account_id", "external_id_hash"],
        unique=True,
    )
    op.create_table(
        "admin_tokens",
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_admin_tokens")),
    )


def downgrade() -> None:
    op.drop_table("admin_tokens")
    op.drop_index("ix_end_users_app_account_id_external_id_hash", table_name="end_users")
    op.drop_table("end_users")
