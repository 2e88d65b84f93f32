"""Who may be served now: API key, sanctions, service agreement, minors' mode, rate limit.

Articles 9 (agreement), 10 (minors), 14 (sanctions on users' illegal activity). Each refusal is
an OpenAI-style error carrying the reason in a ``hegui`` object. Art. 14's ladder: ``warned`` and
``restricted`` accounts are still served (restricted ones under the store's lower rate limit) and
told so by :func:`standing`; ``suspended`` and ``terminated`` ones get 403 until it expires. The backend answers from caches
on the hot path; its :class:`~hegui.errors.StoreError` becomes 503 upstream of here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hegui.gateway.backend import GatewayBackend
from hegui.gateway.errors import GatewayError
from hegui.ops.records import AccountView, AgeBand, MinorsDecision, Sanction

__all__ = [
    "ANONYMOUS",
    "END_USER_AGREEMENT_PATH",
    "admit",
    "bearer_token",
    "check_sanction",
    "identify",
    "standing",
]

END_USER_AGREEMENT_PATH = "/v1/hegui/end_users/me/agreement"

ANONYMOUS = AccountView(
    account_id="anonymous",
    pseudonym="anonymous",
    age_band=AgeBand.ADULT,
    agreement_version=None,
    sanction=Sanction.NORMAL,
    sanction_until=None,
    sanction_reason=None,
    training_opt_out=True,
    key_id="",
)

_BLOCKING_SANCTIONS = (Sanction.SUSPENDED, Sanction.TERMINATED)
_NOTICES = {
    Sanction.WARNED: "This account has been warned for violating the service agreement; further"
    " violations lead to restriction or suspension.",
    Sanction.RESTRICTED: "This account is restricted for violating the service agreement: it is"
    " served under a lower rate limit.",
}


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The API key sent, whatever the header order: ``Authorization: Bearer`` wins over
    ``X-API-Key``; two different values in the same header are refused (400), not guessed."""
    auth: set[bytes] = set()
    xkey: set[bytes] = set()
    for name, value in headers:
        if name == b"authorization":
            auth.add(value)
        elif name == b"x-api-key":
            xkey.add(value)
    if len(auth) > 1 or len(xkey) > 1:
        raise GatewayError(
            400,
            "Send one API key: the request has several different Authorization or X-API-Key"
            " headers.",
            code="invalid_api_key",
            decision="invalid",
        )
    if auth:
        scheme, _, token = next(iter(auth)).decode("latin-1").partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None
    if xkey:
        return next(iter(xkey)).decode("latin-1").strip() or None
    return None


async def identify(
    backend: GatewayBackend,
    headers: list[tuple[bytes, bytes]],
    *,
    require_key: bool,
    now: datetime | None = None,
    client: str | None = None,
) -> AccountView:
    """The account behind the API key (refused while it is suspended or terminated).

    ``client`` (the peer address) lets the backend throttle failed key checks per address.
    """
    token = bearer_token(headers)
    if token is None:
        if require_key:
            raise GatewayError(
                401,
                "Missing API key: send 'Authorization: Bearer <key>'.",
                code="invalid_api_key",
                decision="unauthorized",
            )
        return ANONYMOUS
    account = await backend.authenticate(token, client)
    if account is None:
        raise GatewayError(
            401, "Incorrect or revoked API key.", code="invalid_api_key", decision="unauthorized"
        )
    check_sanction(account, now or datetime.now(UTC))
    return account


async def admit(
    backend: GatewayBackend,
    app: AccountView,
    *,
    agreement_url: str,
    end_user: str | None = None,
    own_agreement: bool = True,
    now: datetime | None = None,
) -> tuple[AccountView, MinorsDecision | None]:
    """Who is served (the app's account, or its end user) and the minors' decision, or raise
    the refusal to answer.

    With ``end_user`` the rules apply to that person (:mod:`hegui.ops.end_users`): their own
    sanction, agreement (the app's when ``own_agreement`` is false), rate limit and minors' mode;
    the app's own sanction was checked by :func:`identify`.
    """
    if app is ANONYMOUS:
        return ANONYMOUS, None
    now = now or datetime.now(UTC)
    subject = app
    if end_user is not None:
        subject = await backend.end_user(app, end_user)
        check_sanction(subject, now)
    holder = subject if own_agreement else app
    agreement = await backend.current_agreement()
    if agreement is not None and holder.agreement_version != agreement.version:
        url = agreement.url or agreement_url
        hegui: dict[str, Any] = {
            "reason": "agreement_required",
            "agreement_version": agreement.version,
            "agreement_url": url,
        }
        if holder.app_account_id is not None:
            hegui["accept_at"] = END_USER_AGREEMENT_PATH
        raise GatewayError(
            403,
            f"Please read and accept the current service agreement (version {agreement.version}) at {url}.",
            type="permission_error",
            code="agreement_required",
            decision="refused_agreement",
            hegui=hegui,
        )
    if not await backend.rate_limit(subject, now):
        raise GatewayError(
            429,
            "Rate limit reached; slow down.",
            type="rate_limit_error",
            code="rate_limit_exceeded",
            decision="rate_limited",
            headers=[(b"retry-after", b"1")],
        )
    # Last: an allowed minor holds part of today's budget until the request ends (app._finish).
    minors: MinorsDecision | None = None
    if subject.age_band is not AgeBand.ADULT:
        minors = await backend.minors_check(subject, now)
        if not minors.allowed:
            reason = minors.reason or "minors_mode"
            status = 429 if reason == "daily_limit" else 403
            text = {
                "curfew": "Minors' mode: the service is not available during the night-time rest period.",
                "daily_limit": "Minors' mode: today's usage time is used up.",
            }.get(reason, "Minors' mode: not available now.")
            raise GatewayError(
                status,
                text,
                type="permission_error",
                code=f"minors_{reason}",
                decision="refused_minors",
                hegui={"reason": reason, "minutes_used_today": round(minors.minutes_used_today, 1)},
            )
    return subject, minors


def standing(account: AccountView, now: datetime | None = None) -> dict[str, Any] | None:
    """The ``hegui.account`` notice for a served account under a sanction (warned, restricted)."""
    notice = _NOTICES.get(account.sanction)
    if notice is None:
        return None
    in_force, until = _in_force(account, now or datetime.now(UTC))
    if not in_force:
        return None
    return {
        "sanction": account.sanction.value,
        "reason": account.sanction_reason or "violations of the service agreement",
        "until": until.isoformat() if until else None,
        "notice": notice,
    }


def _in_force(account: AccountView, now: datetime) -> tuple[bool, datetime | None]:
    """Whether the sanction still applies, and its end (timezone-aware; None = indefinite)."""
    until = account.sanction_until
    if until is None:
        return True, None
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    return until > now, until  # an expired one the store lifts on its next write


def check_sanction(account: AccountView, now: datetime) -> None:
    """Refuse (403) an account or end user while it is suspended or terminated."""
    if account.sanction not in _BLOCKING_SANCTIONS:
        return
    in_force, until = _in_force(account, now)
    if not in_force:
        return
    reason = account.sanction_reason or "violations of the service agreement"
    expiry = until.isoformat() if until else None
    who, code = ("End user", "end_user") if account.app_account_id else ("Account", "account")
    message = f"{who} {account.sanction.value}: {reason}" + (
        f" (until {expiry})." if expiry else "."
    )
    raise GatewayError(
        403,
        message,
        type="permission_error",
        code=f"{code}_{account.sanction.value}",
        decision="refused_sanction",
        hegui={"sanction": account.sanction.value, "reason": reason, "until": expiry},
    )
