"""Usage-record durability: wider columns, record and request ids, the quarantine table.

``decision`` was 16 characters and the gateway writes ``refused_agreement`` (17); ``model`` (a
client's choice) was 200. ``record_id`` makes replaying the gateway's journal idempotent;
``request_id`` carries the request's ``x-request-id``. ``usage_quarantine`` keeps rows the
database refused (issue 10).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hegui.store.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.alter_column(
            "decision", existing_type=sa.String(length=16), type_=sa.String(length=32)
        )
        batch_op.alter_column(
            "model", existing_type=sa.String(length=200), type_=sa.String(length=512)
        )
        batch_op.add_column(sa.Column("record_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_usage_records_record_id"), ["record_id"])
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.alter_column(
            "model", existing_type=sa.String(length=200), type_=sa.String(length=512)
        )
    op.create_table(
        "usage_quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("meta", sa.LargeBinary(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_quarantine")),
    )


def downgrade() -> None:
    op.drop_table("usage_quarantine")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.alter_column(
            "model", existing_type=sa.String(length=512), type_=sa.String(length=200)
        )
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_usage_records_record_id"), type_="unique")
        batch_op.drop_column("request_id")
        batch_op.drop_column("record_id")
        batch_op.alter_column(
            "model", existing_type=sa.String(length=512), type_=sa.String(length=200)
        )
        batch_op.alter_column(
            "decision", existing_type=sa.String(length=32), type_=sa.String(length=16)
        )
