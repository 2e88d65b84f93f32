"""Annotation governance: rules versions, exams, annotators and training, projects, tasks,
assignments, annotations and reviews (hegui.annotation, issue 18).

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hegui.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotation_rules",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_annotation_rules")),
    )
    op.create_table(
        "annotators",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotators")),
    )
    op.create_table(
        "annotation_exams",
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("pass_mark", sa.Float(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("items_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rules_version"],
            ["annotation_rules.version"],
            name=op.f("fk_annotation_exams_rules_version_annotation_rules"),
        ),
        sa.PrimaryKeyConstraint("rules_version", name=op.f("pk_annotation_exams")),
    )
    op.create_table(
        "annotation_projects",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("double_share", sa.Float(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("id_field", sa.String(length=100), nullable=False),
        sa.Column("text_field", sa.String(length=100), nullable=False),
        sa.Column("source_field", sa.String(length=100), nullable=False),
        sa.Column("from_name", sa.String(length=100), nullable=False),
        sa.Column("to_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["rules_version"],
            ["annotation_rules.version"],
            name=op.f("fk_annotation_projects_rules_version_annotation_rules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation_projects")),
    )
    op.create_table(
        "annotator_trainings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("annotator_id", sa.String(length=64), nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("trainer", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.String(length=10), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["annotator_id"],
            ["annotators.id"],
            name=op.f("fk_annotator_trainings_annotator_id_annotators"),
        ),
        sa.ForeignKeyConstraint(
            ["rules_version"],
            ["annotation_rules.version"],
            name=op.f("fk_annotator_trainings_rules_version_annotation_rules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotator_trainings")),
    )
    op.create_index(
        op.f("ix_annotator_trainings_annotator_id"),
        "annotator_trainings",
        ["annotator_id"],
        unique=False,
    )
    op.create_table(
        "annotation_exam_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("annotator_id", sa.String(length=64), nullable=False),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["annotator_id"],
            ["annotators.id"],
            name=op.f("fk_annotation_exam_attempts_annotator_id_annotators"),
        ),
        sa.ForeignKeyConstraint(
            ["rules_version"],
            ["annotation_exams.rules_version"],
            name=op.f("fk_annotation_exam_attempts_rules_version_annotation_exams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation_exam_attempts")),
    )
    op.create_index(
        "ix_annotation_exam_attempts_annotator_id_rules_version",
        "annotation_exam_attempts",
        ["annotator_id", "rules_version"],
        unique=False,
    )
    op.create_table(
        "annotation_exam_items",
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("labels", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["rules_version"],
            ["annotation_exams.rules_version"],
            name=op.f("fk_annotation_exam_items_rules_version_annotation_exams"),
        ),
        sa.PrimaryKeyConstraint("rules_version", "item_id", name=op.f("pk_annotation_exam_items")),
    )
    op.create_table(
        "annotation_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("ext_id", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("rules_version", sa.String(length=64), nullable=False),
        sa.Column("double_annotation", sa.Boolean(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["annotation_projects.id"],
            name=op.f("fk_annotation_tasks_project_id_annotation_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["rules_version"],
            ["annotation_rules.version"],
            name=op.f("fk_annotation_tasks_rules_version_annotation_rules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation_tasks")),
    )
    op.create_index(
        "ix_annotation_tasks_project_id_ext_id",
        "annotation_tasks",
        ["project_id", "ext_id"],
        unique=True,
    )
    op.create_table(
        "annotation_assignments",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["annotators.id"],
            name=op.f("fk_annotation_assignments_person_id_annotators"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["annotation_tasks.id"],
            name=op.f("fk_annotation_assignments_task_id_annotation_tasks"),
        ),
        sa.PrimaryKeyConstraint("task_id", "person_id", name=op.f("pk_annotation_assignments")),
    )
    op.create_index(
        "ix_annotation_assignments_person_id_role",
        "annotation_assignments",
        ["person_id", "role"],
        unique=False,
    )
    op.create_table(
        "annotation_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("labels", sa.String(length=400), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["annotators.id"],
            name=op.f("fk_annotation_reviews_reviewer_id_annotators"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["annotation_tasks.id"],
            name=op.f("fk_annotation_reviews_task_id_annotation_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation_reviews")),
    )
    op.create_index(
        "ix_annotation_reviews_task_id_kind", "annotation_reviews", ["task_id", "kind"], unique=True
    )
    op.create_table(
        "task_annotations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.String(length=400), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("lead_time", sa.Float(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["annotator_id"],
            ["annotators.id"],
            name=op.f("fk_task_annotations_annotator_id_annotators"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["annotation_tasks.id"],
            name=op.f("fk_task_annotations_task_id_annotation_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_annotations")),
    )
    op.create_index(
        "ix_task_annotations_task_id_annotator_id",
        "task_annotations",
        ["task_id", "annotator_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_task_annotations_task_id_annotator_id", table_name="task_annotations")
    op.drop_table("task_annotations")
    op.drop_index("ix_annotation_reviews_task_id_kind", table_name="annotation_reviews")
    op.drop_table("annotation_reviews")
    op.drop_index("ix_annotation_assignments_person_id_role", table_name="annotation_assignments")
    op.drop_table("annotation_assignments")
    op.drop_index("ix_annotation_tasks_project_id_ext_id", table_name="annotation_tasks")
    op.drop_table("annotation_tasks")
    op.drop_table("annotation_exam_items")
    op.drop_index(
        "ix_annotation_exam_attempts_annotator_id_rules_version",
        table_name="annotation_exam_attempts",
    )
    op.drop_table("annotation_exam_attempts")
    op.drop_index(op.f("ix_annotator_trainings_annotator_id"), table_name="annotator_trainings")
    op.drop_table("annotator_trainings")
    op.drop_table("annotation_projects")
    op.drop_table("annotation_exams")
    op.drop_table("annotators")
    op.drop_table("annotation_rules")
