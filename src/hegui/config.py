"""One settings tree: ``hegui.toml`` plus ``HEGUI_*`` environment variables, with working defaults.

Every setting has a type, a default and a one-line description (``Field(description=...)``);
``docs/configuration.md`` lists them and a test keeps the two in step. Environment variables
name a section and a field joined by a double underscore, e.g. ``HEGUI_GATEWAY__PORT=9000`` or
``HEGUI_STORE__URL=postgresql+psycopg://127.0.0.1/test``. Secrets are ``SecretStr`` so they print
as asterisks.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, SecretStr, Tag, ValidationError

from hegui.errors import ConfigError

__all__ = [
    "ConsoleSettings",
    "EndUserSettings",
    "EngineSettings",
    "GatewaySettings",
    "LabelingSettings",
    "LoggingSettings",
    "MetricsSettings",
    "MinorsSettings",
    "RateLimitSettings",
    "SanctionSettings",
    "Settings",
    "StoreSettings",
    "UpstreamSettings",
    "load_settings",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EngineSettings(_Section):
    policy: str | None = Field(
        None,
        description="Policy file (TOML or YAML) or a preset name (strict, balanced, lenient); the built-in (balanced) policy when unset.",
    )
    lexicons: list[str] = Field(
        default_factory=list,
        description="Extra lexicon files or folders loaded after the built-in starter lexicon.",
    )
    builtin_lexicon: bool = Field(
        True, description="Load the starter lexicon shipped in the package."
    )
    classifier: bool = Field(True, description="Run the shipped text classifier layer.")
    guard_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint of an external guard model (e.g. Qwen3Guard); off when unset.",
    )
    guard_model: str = Field(
        "Qwen3Guard-Gen-0.6B", description="Model name sent to the external guard endpoint."
    )
    guard_protocol: Literal["chat", "moderation"] = Field(
        "chat",
        description="How the guard model is asked: chat (Qwen3Guard / Llama Guard answers in words) or moderation (an OpenAI /v1/moderations endpoint).",
    )
    guard_timeout: float = Field(
        2.0, description="Seconds to wait for the external guard model before failing closed."
    )
    max_text_chars: int = Field(
        1_000_000, description="Longest text the engine accepts; longer input is an input error."
    )


class StoreSettings(_Section):
    url: str = Field(
        "sqlite:///hegui.db",
        description="SQLAlchemy URL of the database; SQLite in the working directory by default.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL for state shared between gateway replicas (rate limits, minors' budgets).",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Master key (base64, 32 bytes) for AES-GCM content encryption and HMAC pseudonyms; generated into the data folder when unset.",
    )
    log_retention_days: int = Field(
        183,
        description="Days usage records and logs are kept (≥ 6 months, Cybersecurity Law Art. 21).",
    )
    evidence_retention_days: int = Field(
        1095, description="Days violation evidence is kept before purge."
    )
    store_content: str = Field(
        "violations",
        description="Which message content is stored (encrypted): 'none', 'violations' or 'all'.",
    )
    redis_prefix: str = Field(
        "hegui:",
        description="Prefix of every Redis key hegui writes (lets several deployments share one Redis).",
    )
    auth_cache_ttl: float = Field(
        30.0,
        description="Seconds an authenticated API key is served from memory before the database is asked again.",
    )
    usage_batch_size: int = Field(
        500, description="Usage records written per database transaction by the background writer."
    )
    usage_flush_interval: float = Field(
        0.2,
        description="Longest time (seconds) a journaled usage record waits before the writer copies it to the database.",
    )
    usage_queue_limit: int = Field(
        100_000,
        description="Usage records journaled but not yet in the database; beyond it requests fail closed.",
    )
    usage_journal: str | None = Field(
        None,
        description="Folder of the local usage-record journal (fsynced before an answer is released); default next to the SQLite file, else .hegui/usage-journal.",
    )
    usage_journal_limit_mb: int = Field(
        1024,
        description="Megabytes of journal not yet written to the database; beyond it requests fail closed.",
    )


class MinorsSettings(_Section):
    daily_minutes_under_16: int = Field(
        60, description="Daily usage budget for minors under 16 (Minors' Mode Guide 2024: 1 h)."
    )
    daily_minutes_16_17: int = Field(
        120, description="Daily usage budget for minors aged 16–17 (2 h)."
    )
    curfew_start: str = Field(
        "22:00", description="Start of the nightly curfew for minors (local time)."
    )
    curfew_end: str = Field(
        "06:00", description="End of the nightly curfew for minors (local time)."
    )
    rest_reminder_minutes: int = Field(
        30, description="Continuous use after which a rest reminder is added."
    )
    timezone: str = Field(
        "Asia/Shanghai", description="Time zone used for curfew and daily budgets."
    )
    rest_break_minutes: int = Field(
        10,
        description="A pause at least this long ends a continuous-use session (resets the rest reminder).",
    )


class SanctionSettings(_Section):
    violations_in_a_row: int = Field(
        3,
        description="Violations in a row (no clean request between) that move an account one step up the sanction ladder.",
    )
    violations_per_day: int = Field(
        5,
        description="Violations in one local day that move an account one step up the ladder (again at each multiple).",
    )
    restricted_hours: float = Field(
        24.0, description="How long an automatic restriction lasts (0 = until lifted by staff)."
    )
    suspended_hours: float = Field(
        168.0, description="How long an automatic suspension lasts (0 = until lifted by staff)."
    )
    max_automatic: str = Field(
        "suspended",
        description="Highest step the gateway applies on its own: 'warned', 'restricted', 'suspended' or 'terminated'.",
    )
    count_output_violations: bool = Field(
        False,
        description="Also count prohibited model answers against the user's ladder (by default only prompts count; answers always become incidents).",
    )


class RateLimitSettings(_Section):
    requests_per_minute: int = Field(
        0, description="Requests per account per minute (fixed window; 0 = no limit)."
    )
    restricted_requests_per_minute: int = Field(
        5,
        description="Requests per minute for accounts in the 'restricted' sanction state (0 = no limit).",
    )
    failed_auth_per_key: int = Field(
        10,
        description="Failed API-key checks per key id per minute after which that key id is answered 429 without checking (keys already verified by this process still work).",
    )
    failed_auth_per_client: int = Field(
        30,
        description="Failed API-key checks per client address per minute after which that address is answered 429 without checking.",
    )
    auth_hash_concurrency: int = Field(
        2,
        description="Argon2 key checks run at once (each costs ~40 ms of one core); a few more may wait, beyond that 429.",
    )


class UpstreamSettings(_Section):
    """One upstream written as a table; a plain string in ``gateway.upstreams`` is its short form."""

    url: str = Field(
        description="Base URL used exactly as given: requests go to {url}/chat/completions, {url}/models; a URL with no path means {url}/v1.",
    )
    name: str | None = Field(
        None,
        description="What metrics, /readyz, logs and errors call this upstream (never its address); default upstream-N.",
    )
    weight: float = Field(1.0, description="Share of requests among upstreams serving a model.")
    models: list[str] | None = Field(
        None,
        description="Models this upstream serves; discovered from GET {url}/models when unset.",
    )
    api_key: SecretStr | None = Field(
        None, description="Bearer key for this upstream (instead of gateway.upstream_api_key)."
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Extra headers sent with every request to this upstream (may replace Authorization).",
    )
    model_map: dict[str, str] = Field(
        default_factory=dict,
        description="Client model name -> upstream model name; '*' maps every name the upstream does not list.",
    )
    proxy: str | None = Field(
        None,
        description="HTTP proxy (http://[user:pass@]host:port) for this upstream; unset: HTTP(S)_PROXY / NO_PROXY; '' never a proxy.",
    )
    ca_file: str | None = Field(
        None,
        description="PEM file of the CA(s) that sign this upstream's certificate (replaces the system CAs for it).",
    )
    client_cert: str | None = Field(
        None, description="PEM client certificate for mutual TLS (may also hold the key)."
    )
    client_key: str | None = Field(None, description="PEM private key of client_cert.")
    verify: bool = Field(
        True,
        description="Verify the upstream's TLS certificate and host name (false: do not; logged).",
    )


# A string or a table; told apart first, so an error names the table's key, not "not a string".
UpstreamEntry = Annotated[
    Annotated[str, Tag("url")] | Annotated[UpstreamSettings, Tag("table")],
    Discriminator(lambda v: "url" if isinstance(v, str) else "table"),
]


class EndUserSettings(_Section):
    enabled: bool = Field(
        True,
        description="Serve end users behind one app key: an end-user id (X-Hegui-User header, or the body's 'user') gets its own agreement, minors' mode, rate limit and sanctions.",
    )
    body_user: bool = Field(
        True,
        description="Take the OpenAI 'user' field of the request body as the end-user id when no X-Hegui-User header is sent (the header wins when both are).",
    )
    own_agreement: bool = Field(
        True,
        description="Each end user must accept the current agreement (POST /v1/hegui/end_users/me/agreement); false: the app account's acceptance covers its end users.",
    )
    max_id_chars: int = Field(128, description="Longest end-user id accepted (characters).")
    cache_size: int = Field(
        200_000, description="End users kept in each gateway process's memory cache."
    )
    cache_ttl: float = Field(
        300.0,
        description="Seconds after which a cached end user is re-read from the database, in the background (changes made through hegui drop it at once, on every replica with Redis).",
    )


class GatewaySettings(_Section):
    host: str = Field("127.0.0.1", description="Address the gateway listens on.")
    port: int = Field(8000, description="Port the gateway listens on.")
    upstreams: list[UpstreamEntry] = Field(
        default_factory=list,
        description="OpenAI-compatible upstreams (repeat --upstream): a base URL string ('URL name=a weight=2 models=x,y map=x=y') or a table (see [[gateway.upstreams]] below).",
    )
    upstream_api_key: SecretStr | None = Field(
        None, description="Bearer key sent to upstreams that have no api_key of their own."
    )
    upstream_timeout: float = Field(
        120.0, description="Seconds allowed for a whole upstream answer."
    )
    connect_timeout: float = Field(
        5.0, description="Seconds allowed to open an upstream connection."
    )
    image_fetch_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds allowed to fetch one image an upstream answered by URL (its own client: no proxy, own pool).",
    )
    image_fetch_max_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1,
        description="Largest image fetched by URL (502 above).",
    )
    image_fetch_connections: int = Field(
        16, ge=1, description="Open connections per image host for fetching images by URL."
    )
    upstream_client: Literal["lean", "aiohttp"] = Field(
        "lean",
        description="Upstream HTTP client: 'lean' (httptools, least CPU per request) or 'aiohttp'.",
    )
    max_body_bytes: int = Field(
        4 * 1024 * 1024, description="Largest request body accepted (413 above)."
    )
    require_api_key: bool = Field(True, description="Require a hegui API key on /v1 routes.")
    stream_window_chars: int = Field(
        64,
        description="Characters held back in a stream until checked together with the text before them.",
    )
    explicit_label: str = Field(
        "本回答由人工智能生成",
        description="Visible notice added to text answers (GB 45438 §5.1); empty to disable.",
    )
    explicit_label_position: str = Field(
        "end", description="Where the visible notice goes: 'start' or 'end'."
    )
    agreement_url: str = Field(
        "/portal/agreement",
        description="Link given to users who have not accepted the current service agreement.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the /v1 API (CORS), e.g. 'https://app.example.com'; '*' allows any origin; empty (the default): no CORS headers, preflights answered 405.",
    )
    cors_allow_headers: list[str] = Field(
        default_factory=lambda: ["authorization", "content-type", "x-request-id"],
        description="Request headers a browser may send cross-origin (answered in Access-Control-Allow-Headers); credentials (cookies) are never allowed.",
    )
    cors_max_age: int = Field(
        600, description="Seconds a browser may cache a CORS preflight answer."
    )
    workers: int = Field(1, description="Gateway worker processes.")
    upstream_retries: int = Field(
        2,
        description="Extra attempts (on another upstream when there is one) after a connection error.",
    )
    breaker_failures: int = Field(
        5, description="Consecutive failures after which an upstream's circuit breaker opens."
    )
    breaker_reset_seconds: float = Field(
        10.0, description="Seconds an open circuit waits before letting one probe request through."
    )
    health_interval: float = Field(
        15.0,
        description="Seconds between upstream health checks (GET {url}/models); 0 disables them.",
    )
    pool_connections: int = Field(
        256, description="Upper bound on open connections to all upstreams together."
    )
    upstream_keepalive: float = Field(
        4.0,
        description="Seconds an idle upstream connection is kept; keep it below the upstream's own idle timeout (uvicorn: 5 s).",
    )
    stream_hold: Literal["tail", "window"] = Field(
        "tail",
        description="What a stream holds back: 'tail' only the end that could still grow into a lexicon term or personal information (benign text leaves as it arrives); 'window' always stream_window_chars.",
    )
    stream_release_step: int = Field(
        32,
        description="After the first release, characters gathered beyond the window before the next check-and-release (fewer engine calls per stream).",
    )
    unchecked_fields: list[str] = Field(
        default_factory=list,
        description="Top-level request fields forwarded without checking their strings (upstream controls that never reach the model); every other unknown field is checked.",
    )
    first_byte_timeout: float = Field(
        30.0,
        description="Seconds an upstream may take to start answering before the request fails over to the next upstream (504 when none is left); 0 disables it.",
    )
    max_messages: int = Field(
        2048,
        description="Most messages (or prompt items) one request may carry; more is answered 400 'too_many_messages'.",
    )
    max_checked_chars: int = Field(
        1_000_000,
        description="Most characters of text one request may ask the engine to check; more is answered 413 'too_much_text'.",
    )
    offload_check_chars: int = Field(
        20_000,
        description="Requests with more text than this (or more than 64 texts) are checked in a worker thread so the event loop keeps serving others.",
    )
    check_threads: int = Field(
        2,
        description="Worker threads for large checks (bounds the CPU large requests take at once).",
    )
    stream_headers_after: float = Field(
        1.0,
        description="Seconds a streaming request waits for the upstream before the client gets the SSE headers and a ': keep-alive' comment (0: at once); later upstream errors arrive as an SSE error event.",
    )
    stream_keepalive_interval: float = Field(
        10.0,
        description="Seconds between ': keep-alive' comments while a stream waits for the upstream's first byte.",
    )


class LoggingSettings(_Section):
    level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        "info", description="Lowest level logged (also --log-level)."
    )
    format: Literal["text", "json"] = Field(
        "text",
        description="Log line format: 'text' (timestamp level logger [request id] message) or 'json' (one object per line); also --log-format.",
    )
    access_log: bool = Field(
        True,
        description="Log one line per HTTP request (method, path, status, duration, request id; never content, keys or client addresses).",
    )
    batch_seconds: float = Field(
        0.05,
        ge=0.0,
        le=60.0,
        description="How long log lines wait to be written together in one batch (errors are written at once; everything is written at shutdown). Longer: fewer writes under heavy traffic.",
    )


class MetricsSettings(_Section):
    token: SecretStr | None = Field(
        None,
        description="When set, /metrics answers only requests with 'Authorization: Bearer <token>'.",
    )
    bind: str | None = Field(
        None,
        description="Serve /metrics on this separate HOST:PORT only (not on the API port), e.g. '127.0.0.1:9464'.",
    )


class LabelingSettings(_Section):
    producer: str | None = Field(
        None, description="27-character provider code (TC260-PG-20252A) written as ContentProducer."
    )
    uscc: str | None = Field(
        None,
        description="Unified Social Credit Code used to build the provider code when 'producer' is unset.",
    )
    model_code: str = Field(
        "0001", description="4-character model/app code appended to the provider code."
    )
    signing_key: SecretStr | None = Field(
        None, description="Key for the optional integrity value written to ReservedCode1."
    )
    max_file_bytes: int = Field(
        2 * 1024**3, description="Largest file `hegui label` / `verify` will read."
    )
    watermark: bool = Field(
        False, description="Also embed the invisible image watermark carrying the ProduceID."
    )


class ConsoleSettings(_Section):
    enabled: bool = Field(
        True, description="Serve the public portal (/portal) and staff console (/console)."
    )
    complaint_working_days: int = Field(
        15, description="Published deadline for answering a complaint or report, in working days."
    )
    request_working_days: int = Field(
        15, description="Deadline for a personal-information request, in working days."
    )
    holidays: list[str] = Field(
        default_factory=list,
        description="Extra non-working days (YYYY-MM-DD) skipped when counting deadlines.",
    )
    timezone: str = Field(
        "Asia/Shanghai", description="Time zone in which working days and deadlines are counted."
    )
    session_hours: float = Field(8.0, description="Staff sessions end this long after login.")
    login_failures: int = Field(
        5, description="Failed staff logins per user name (or per address) before a pause."
    )
    login_window_minutes: int = Field(
        15, description="Window over which failed staff logins are counted."
    )
    max_field_chars: int = Field(
        5000, description="Longest text accepted in a portal or console form field."
    )
    safe_answer_threshold: float = Field(
        0.5,
        description="Similarity (0–1) a refused input needs with an approved question to get its safe answer.",
    )
    secure_cookies: bool = Field(
        False, description="Mark session cookies Secure (set when served over HTTPS)."
    )


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engine: EngineSettings = Field(default_factory=EngineSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    minors: MinorsSettings = Field(default_factory=MinorsSettings)
    sanctions: SanctionSettings = Field(default_factory=SanctionSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    end_users: EndUserSettings = Field(default_factory=EndUserSettings)
    labeling: LabelingSettings = Field(default_factory=LabelingSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)


def _env_overrides(environ: dict[str, str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, value in environ.items():
        if not key.startswith("HEGUI_") or "__" not in key:
            continue
        section, _, name = key[len("HEGUI_") :].lower().partition("__")
        parsed: Any = value
        if value.startswith(("[", "{")):
            import json

            try:
                parsed = json.loads(value)
            except json.JSONDecodeError:
                parsed = value
        out.setdefault(section, {})[name] = parsed
    return out


def load_settings(
    path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read ``path`` (or ``./hegui.toml`` when present), then apply ``HEGUI_*`` variables."""
    environ = dict(os.environ) if environ is None else environ
    data: dict[str, Any] = {}
    candidate = Path(path) if path is not None else Path(environ.get("HEGUI_CONFIG", "hegui.toml"))
    if candidate.exists():
        try:
            data = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(str(exc), path=str(candidate)) from None
    elif path is not None:
        raise ConfigError("config file not found", path=str(candidate))
    for section, values in _env_overrides(environ).items():
        data.setdefault(section, {}).update(values)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{loc}: {first['msg']}", path=str(candidate)) from None
