"""What happens when content is refused, blocked or could not be checked (Art. 14).

One function: record the incident, apply the sanctions ladder to the account, and describe the
outcome as the ``hegui`` object the client receives. A failed check is recorded as ``failed``
(distinct from ``block``) and is not held against the user. Neither, by default, is a prohibited
*answer*: Art. 14 sanctions users who use the service for illegal activity, and what the model
generates is the provider's incident (``[sanctions] count_output_violations`` changes that).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NoReturn

from hegui.gateway.errors import GatewayError
from hegui.ops.records import IncidentRecord
from hegui.safety.types import Verdict

if TYPE_CHECKING:
    from hegui.gateway.exchange import Exchange
    from hegui.gateway.moderation import ConversationResult
    from hegui.gateway.services import Services

__all__ = ["action_of", "report_violation"]

log = logging.getLogger("hegui.gateway")


def _counts_against_user(
    services: Services, verdict: Verdict, direction: str, ex: Exchange
) -> bool:
    """Whether this violation goes on the user's sanction ladder."""
    if verdict.failed or ex.account is None or ex.account.account_id == "anonymous":
        return False
    return direction == "input" or services.count_output_violations


def action_of(verdict: Verdict) -> str:
    return "failed" if verdict.failed else verdict.action.value


async def report_violation(
    services: Services,
    ex: Exchange,
    verdict: Verdict,
    *,
    direction: str,
    stage: str,
    evidence: str | None,
    raise_store_errors: bool = True,
) -> dict[str, Any]:
    """Record the incident and the violation; return the ``hegui`` object for the client.

    With ``raise_store_errors`` a :class:`~hegui.errors.StoreError` propagates (the caller
    answers 503 and nothing is served); mid-stream it is logged instead, since the stream is
    already being stopped.
    """
    action = action_of(verdict)
    ex.decision = action
    ex.add_codes(verdict.codes)
    keep = services.store_content in ("violations", "all")
    info: dict[str, Any] = {
        **ex.hegui,
        "action": action,
        "direction": direction,
        "risk_codes": list(verdict.codes),
    }
    try:
        ex.incident_id = await services.backend.record_incident(
            IncidentRecord(
                pseudonym=ex.account.pseudonym if ex.account else "anonymous",
                direction=direction,
                stage=stage,
                action=action,
                risk_codes=list(verdict.codes),
                model=ex.model,
                evidence=evidence if keep else None,
                detail={
                    "score": round(verdict.score, 4),
                    "error": verdict.error,
                    "endpoint": ex.endpoint,
                },
            )
        )
        info["incident_id"] = ex.incident_id
        if _counts_against_user(services, verdict, direction, ex):
            assert ex.account is not None
            outcome = await services.backend.register_violation(ex.account, list(verdict.codes))
            if outcome.changed:
                info["sanction"] = {
                    "state": outcome.sanction.value,
                    "reason": outcome.reason,
                    "until": outcome.until.isoformat() if outcome.until else None,
                }
    except Exception:
        if raise_store_errors:
            raise
        log.exception("could not record a %s incident mid-stream", action)
        info.setdefault("incident_id", None)
    if verdict.failed:
        log.warning("moderation failed (%s/%s): %s", direction, stage, verdict.error)
    return info


async def refuse_input(
    services: Services, ex: Exchange, conv: ConversationResult, *, param: str, refused: str
) -> NoReturn:
    """Record the input incident, then answer 503 when the check failed, 400 when it refused."""
    verdict = conv.verdict
    info = await report_violation(
        services, ex, verdict, direction="input", stage="prompt", evidence=conv.evidence
    )
    if verdict.failed:
        raise GatewayError(
            503,
            "The input could not be checked, so it was not served.",
            type="service_unavailable",
            code="moderation_failed",
            param=param,
            hegui=info,
            decision=info["action"],
        )
    raise GatewayError(
        400,
        verdict.message or refused,
        code="content_filter",
        param=param,
        hegui=info,
        decision=info["action"],
    )
