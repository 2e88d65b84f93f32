"""Training-data governance: corpus source register, scans, per-source results, review verdicts.

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hegui.store.schema import UTCDateTime

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corpus_sources",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("licence", sa.String(length=200), nullable=True),
        sa.Column("legal_basis", sa.String(length=16), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("region", sa.String(length=16), nullable=True),
        sa.Column("collected", sa.String(length=64), nullable=True),
        sa.Column("collection_method", sa.Text(), nullable=True),
        sa.Column("languages", sa.String(length=200), nullable=True),
        sa.Column("modality", sa.String(length=16), nullable=True),
        sa.Column("personal_info", sa.Boolean(), nullable=True),
        sa.Column("consent_evidence", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("usable", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corpus_sources")),
    )
    op.create_table(
        "corpus_scans",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("out_dir", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("report_sha256", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corpus_scans")),
    )
    with op.batch_alter_table("corpus_scans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_corpus_scans_started_at"), ["started_at"], unique=False)

    op.create_table(
        "corpus_scan_results",
        sa.Column("scan_id", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("checked", sa.BigInteger(), nullable=False),
        sa.Column("unsafe", sa.BigInteger(), nullable=False),
        sa.Column("kept", sa.BigInteger(), nullable=False),
        sa.Column("unsafe_share", sa.Float(), nullable=False),
        sa.Column("unsafe_upper", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["corpus_scans.id"],
            name=op.f("fk_corpus_scan_results_scan_id_corpus_scans"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["corpus_sources.id"],
            name=op.f("fk_corpus_scan_results_source_id_corpus_sources"),
        ),
        sa.PrimaryKeyConstraint("scan_id", "source_id", name=op.f("pk_corpus_scan_results")),
    )
    with op.batch_alter_table("corpus_scan_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_corpus_scan_results_source_id_finished_at",
            ["source_id", "finished_at"],
            unique=False,
        )

    op.create_table(
        "corpus_verdicts",
        sa.Column("scan_id", sa.String(length=32), nullable=False),
        sa.Column("sample_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["corpus_scans.id"], name=op.f("fk_corpus_verdicts_scan_id_corpus_scans")
        ),
        sa.PrimaryKeyConstraint("scan_id", "sample_id", name=op.f("pk_corpus_verdicts")),
    )


def downgrade() -> None:
    op.drop_table("corpus_verdicts")
    with op.batch_alter_table("corpus_scan_results", schema=None) as batch_op:
        batch_op.drop_index("ix_corpus_scan_results_source_id_finished_at")

    op.drop_table("corpus_scan_results")
    with op.batch_alter_table("corpus_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corpus_scans_started_at"))

    op.drop_table("corpus_scans")
    op.drop_table("corpus_sources")
