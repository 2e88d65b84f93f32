"""The tables, as SQLAlchemy Core: one definition shared by ops, migrations and tests.

Core (not ORM) because the hot paths are batched inserts and single-row reads; ops functions take a
:class:`sqlalchemy.Connection` inside a transaction. Times are stored as UTC and read back as aware
``datetime`` on both SQLite and PostgreSQL (:class:`UTCDateTime`). The migration in
``migrations/versions`` must create exactly these tables; ``tests/store`` checks that.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "UTCDateTime",
    "accounts",
    "admin_tokens",
    "agreement_acceptances",
    "agreements",
    "annotation_assignments",
    "annotation_exam_attempts",
    "annotation_exam_items",
    "annotation_exams",
    "annotation_projects",
    "annotation_reviews",
    "annotation_rules",
    "annotation_tasks",
    "annotator_trainings",
    "annotators",
    "api_keys",
    "audit_events",
    "audit_head",
    "complaints",
    "corpus_scan_results",
    "corpus_scans",
    "corpus_sources",
    "corpus_verdicts",
    "disclosures",
    "end_users",
    "incident_actions",
    "incidents",
    "lexicon_terms",
    "login_failures",
    "metadata",
    "minors_usage",
    "pi_requests",
    "safe_answers",
    "sanction_events",
    "staff",
    "staff_sessions",
    "task_annotations",
    "usage_quarantine",
    "usage_records",
    "utcnow",
    "violations",
]


def utcnow() -> datetime:
    """The current time, aware and in UTC (the only kind of time written to the store)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the database keeps."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("age_band", String(16), nullable=False),
    Column("agreement_version", String(64), nullable=True),
    Column("sanction", String(16), nullable=False),
    Column("sanction_reason", Text, nullable=True),
    Column("sanction_until", UTCDateTime, nullable=True),
    Column("training_opt_out", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("secret_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

# End users behind an app's key (issue 14): each is an ``accounts`` row of its own (so agreement,
# minors' mode, violations and sanctions apply to it unchanged), linked here to the app's account
# by a keyed hash of the id the app sent; the id itself is never stored.
end_users = Table(
    "end_users",
    metadata,
    Column("account_id", String(32), ForeignKey("accounts.id"), primary_key=True),
    Column("app_account_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("external_id_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(
        "ix_end_users_app_account_id_external_id_hash",
        "app_account_id",
        "external_id_hash",
        unique=True,
    ),
)

# Tokens for the admin HTTP API (/admin/v1): argon2 hash of the whole token, scopes as a list.
admin_tokens = Table(
    "admin_tokens",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("secret_hash", String(200), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

agreements = Table(
    "agreements",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("url", String(500), nullable=False),
    Column("text_sha256", String(64), nullable=True),
    Column("text", Text, nullable=True),
    Column("published_at", UTCDateTime, nullable=False),
)

agreement_acceptances = Table(
    "agreement_acceptances",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("version", String(64), ForeignKey("agreements.version"), nullable=False),
    Column("accepted_at", UTCDateTime, nullable=False),
)

sanction_events = Table(
    "sanction_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("until", UTCDateTime, nullable=True),
)

violations = Table(
    "violations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("risk_codes", JSON, nullable=False),
    Index("ix_violations_account_id_at", "account_id", "at"),
)

usage_records = Table(
    "usage_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pseudonym", String(64), nullable=False, index=True),
    Column("key_id", String(32), nullable=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("model", String(512), nullable=False),
    Column("endpoint", String(100), nullable=False),
    Column("decision", String(32), nullable=False),
    Column("risk_codes", JSON, nullable=False),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("status", Integer, nullable=False),
    Column("incident_id", String(32), nullable=True),
    Column("content", LargeBinary, nullable=True),
    # Written by the gateway before the answer is released; replaying its journal skips ids
    # already here (hegui.ops.replay). Null on rows written before migration 0006.
    Column("record_id", String(32), nullable=True, unique=True),
    Column("request_id", String(64), nullable=True),
)

# Usage records the database refused (after the batch was split down to the one row): kept as
# journaled (meta JSON, content still encrypted), never lost and never retried forever.
usage_quarantine = Table(
    "usage_quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_id", String(32), nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("meta", LargeBinary, nullable=False),
    Column("content", LargeBinary, nullable=True),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("pseudonym", String(64), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("action", String(16), nullable=False),
    Column("risk_codes", JSON, nullable=False),
    Column("model", String(512), nullable=False),
    Column("evidence", LargeBinary, nullable=True),
    Column("detail", JSON, nullable=False),
    Column("status", String(16), nullable=False),
)

minors_usage = Table(
    "minors_usage",
    metadata,
    Column("account_id", String(32), ForeignKey("accounts.id"), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("seconds", Float, nullable=False),
    Column("session_start", UTCDateTime, nullable=True),
    Column("last_at", UTCDateTime, nullable=True),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(100), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("before_hash", String(64), nullable=True),
    Column("after_hash", String(64), nullable=True),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# One row (id = 1): the chain's tip. Writers lock it, so appends are serialised across replicas,
# and verify compares it with the last event to notice a deleted tail.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# --- annotation governance (hegui.annotation) -------------------------------------------------
# Only the tables; the rules (who may annotate what, blind double annotation, one role per person
# per task, adjudication, verification samples) live in hegui.annotation. Label sets are stored as
# comma-joined sorted risk codes ("A.2.d,A.2.e", or "none"), so equal labels are equal strings.

annotation_rules = Table(
    "annotation_rules",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("labels", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("text_sha256", String(64), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("published_by", String(100), nullable=False),
)

annotation_exams = Table(
    "annotation_exams",
    metadata,
    Column("rules_version", String(64), ForeignKey("annotation_rules.version"), primary_key=True),
    Column("pass_mark", Float, nullable=False),
    Column("valid_days", Integer, nullable=True),
    Column("items_sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

annotation_exam_items = Table(
    "annotation_exam_items",
    metadata,
    Column(
        "rules_version",
        String(64),
        ForeignKey("annotation_exams.rules_version"),
        primary_key=True,
    ),
    Column("item_id", String(200), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("labels", String(400), nullable=False),
)

annotators = Table(
    "annotators",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("roles", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

annotator_trainings = Table(
    "annotator_trainings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("annotator_id", String(64), ForeignKey("annotators.id"), nullable=False, index=True),
    Column("rules_version", String(64), ForeignKey("annotation_rules.version"), nullable=True),
    Column("topic", String(200), nullable=False),
    Column("hours", Float, nullable=False),
    Column("trainer", String(200), nullable=False),
    Column("held_on", String(10), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

annotation_exam_attempts = Table(
    "annotation_exam_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("annotator_id", String(64), ForeignKey("annotators.id"), nullable=False),
    Column(
        "rules_version", String(64), ForeignKey("annotation_exams.rules_version"), nullable=False
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("correct", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("answers", Text, nullable=False),
    Index(
        "ix_annotation_exam_attempts_annotator_id_rules_version", "annotator_id", "rules_version"
    ),
)

annotation_projects = Table(
    "annotation_projects",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("rules_version", String(64), ForeignKey("annotation_rules.version"), nullable=False),
    Column("double_share", Float, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("id_field", String(100), nullable=False),
    Column("text_field", String(100), nullable=False),
    Column("source_field", String(100), nullable=False),
    Column("from_name", String(100), nullable=False),
    Column("to_name", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
)

# ``data`` is the task as it came (JSON text, kept verbatim: the corpus sample record or Label
# Studio's ``data``); ``extra`` keeps Label Studio's other task fields (its id, predictions, meta…)
# verbatim so an export gives back what was imported.
annotation_tasks = Table(
    "annotation_tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", String(64), ForeignKey("annotation_projects.id"), nullable=False),
    Column("ext_id", String(200), nullable=False),
    Column("source_id", String(64), nullable=True),
    Column("rules_version", String(64), ForeignKey("annotation_rules.version"), nullable=False),
    Column("double_annotation", Boolean, nullable=False),
    Column("data", Text, nullable=False),
    Column("extra", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_annotation_tasks_project_id_ext_id", "project_id", "ext_id", unique=True),
)

# One row per (task, person): a person holds one role in a task (annotate, adjudicate, verify).
annotation_assignments = Table(
    "annotation_assignments",
    metadata,
    Column("task_id", Integer, ForeignKey("annotation_tasks.id"), primary_key=True),
    Column("person_id", String(64), ForeignKey("annotators.id"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("assigned_at", UTCDateTime, nullable=False),
    Index("ix_annotation_assignments_person_id_role", "person_id", "role"),
)

# (not named ``annotations``: that name is taken by ``from __future__ import annotations``)
task_annotations = Table(
    "task_annotations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("annotation_tasks.id"), nullable=False),
    Column("annotator_id", String(64), ForeignKey("annotators.id"), nullable=False),
    Column("labels", String(400), nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("lead_time", Float, nullable=True),
    Column("origin", String(16), nullable=False),
    Column("extra", Text, nullable=True),
    Index("ix_task_annotations_task_id_annotator_id", "task_id", "annotator_id", unique=True),
)

annotation_reviews = Table(
    "annotation_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("annotation_tasks.id"), nullable=False),
    Column("reviewer_id", String(64), ForeignKey("annotators.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("labels", String(400), nullable=False),
    Column("note", Text, nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_annotation_reviews_task_id_kind", "task_id", "kind", unique=True),
)

# --- training-data governance (hegui.corpus): source register, scans, manual review -------------
# The rules (required fields, the 5 % limit, who may mark a source usable) live in hegui.corpus;
# these are only the tables.

corpus_sources = Table(
    "corpus_sources",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("origin", Text, nullable=True),
    Column("licence", String(200), nullable=True),
    Column("legal_basis", String(16), nullable=True),
    Column("kind", String(16), nullable=True),
    Column("region", String(16), nullable=True),
    Column("collected", String(64), nullable=True),
    Column("collection_method", Text, nullable=True),
    Column("languages", String(200), nullable=True),
    Column("modality", String(16), nullable=True),
    Column("personal_info", Boolean, nullable=True),
    Column("consent_evidence", Text, nullable=True),
    Column("notes", Text, nullable=True),
    Column("usable", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

corpus_scans = Table(
    "corpus_scans",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False, index=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("status", String(16), nullable=False),
    Column("out_dir", Text, nullable=False),
    Column("options", JSON, nullable=False),
    Column("report_sha256", String(64), nullable=True),
)

# One row per (scan, registered source): what the scan found, for `source show` and the rule that
# a source whose latest scan is over the limit cannot be marked usable.
corpus_scan_results = Table(
    "corpus_scan_results",
    metadata,
    Column("scan_id", String(32), ForeignKey("corpus_scans.id"), primary_key=True),
    Column("source_id", String(64), ForeignKey("corpus_sources.id"), primary_key=True),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("records", BigInteger, nullable=False),
    Column("checked", BigInteger, nullable=False),
    Column("unsafe", BigInteger, nullable=False),
    Column("kept", BigInteger, nullable=False),
    Column("unsafe_share", Float, nullable=False),
    Column("unsafe_upper", Float, nullable=False),
    Column("passed", Boolean, nullable=False),
    Index("ix_corpus_scan_results_source_id_finished_at", "source_id", "finished_at"),
)

corpus_verdicts = Table(
    "corpus_verdicts",
    metadata,
    Column("scan_id", String(32), ForeignKey("corpus_scans.id"), primary_key=True),
    Column("sample_id", Integer, primary_key=True, autoincrement=False),
    Column("source_id", String(64), nullable=False),
    Column("verdict", String(8), nullable=False),
    Column("reviewer", String(100), nullable=False),
    Column("note", Text, nullable=True),
    Column("at", UTCDateTime, nullable=False),
)

# --- public portal and staff console (hegui.console over hegui.ops) ----------------------------
# Rules (deadlines, roles, who may read what) live in hegui.ops; these are only the tables.
# Free text a member of the public wrote (complaints, request details, contacts) is stored
# encrypted (AES-GCM, hegui.store.crypto); tracking numbers only as sha256 digests.

staff = Table(
    "staff",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_id", String(32), ForeignKey("staff.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False, index=True),
)

complaints = Table(
    "complaints",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tracking_hash", String(64), nullable=False, unique=True),
    Column("category", String(32), nullable=False),
    Column("reference", String(200), nullable=True),
    Column("content", LargeBinary, nullable=False),
    Column("contact", LargeBinary, nullable=True),
    Column("account_id", String(32), nullable=True, index=True),
    Column("status", String(16), nullable=False),
    Column("assignee", String(64), nullable=True),
    Column("answer", Text, nullable=True),
    Column("filed_at", UTCDateTime, nullable=False, index=True),
    Column("due_at", UTCDateTime, nullable=False, index=True),
    Column("answered_at", UTCDateTime, nullable=True),
    Column("escalated_at", UTCDateTime, nullable=True),
)

pi_requests = Table(
    "pi_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tracking_hash", String(64), nullable=False, unique=True),
    Column("account_id", String(32), nullable=True, index=True),
    Column("kind", String(16), nullable=False),
    Column("detail", LargeBinary, nullable=True),
    Column("status", String(16), nullable=False),
    Column("outcome", Text, nullable=True),
    Column("handled_by", String(64), nullable=True),
    Column("filed_at", UTCDateTime, nullable=False, index=True),
    Column("due_at", UTCDateTime, nullable=False, index=True),
    Column("closed_at", UTCDateTime, nullable=True),
)

disclosures = Table(
    "disclosures",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("content", JSON, nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("published_by", String(100), nullable=False),
)

incident_actions = Table(
    "incident_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(32), ForeignKey("incidents.id"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
)

safe_answers = Table(
    "safe_answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("served", Integer, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Terms staff add in the console; running gateways load them as one more lexicon detector.
lexicon_terms = Table(
    "lexicon_terms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("term", String(200), nullable=False),
    Column("code", String(16), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("note", Text, nullable=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
