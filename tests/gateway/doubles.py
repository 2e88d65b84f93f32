"""Test doubles: an in-memory GatewayBackend and a substring checker shaped like the engine."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from hegui.errors import StoreError
from hegui.ops.records import (
    AccountView,
    AgeBand,
    Agreement,
    IncidentRecord,
    MinorsDecision,
    Sanction,
    SanctionOutcome,
    UsageRecord,
)
from hegui.safety.types import Action, Evidence, Layer, RiskHit, Verdict

TERMS = {"炸弹制作": "A.1.d", "违禁词": "A.1.h", "forbidden phrase": "A.1.h", "拒绝我": "A.1.a"}
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


class TermChecker:
    """Refuses texts containing a term in ``terms`` (exact substring), redacts mobile numbers."""

    def __init__(self, terms: dict[str, str] | None = None, block: set[str] | None = None) -> None:
        self.terms = dict(TERMS if terms is None else terms)
        self.block = block or set()  # codes answered with BLOCK instead of REFUSE
        self.calls = 0
        self.fail = False
        self._verdicts: dict[tuple[str, str, bool], Verdict] = {}  # like the engine's cache

    @property
    def max_term_length(self) -> int:
        return max((len(t) for t in self.terms), default=0)

    def cached_verdict(
        self, text: str, direction: object = "input", context: object = None
    ) -> Verdict | None:
        """As the engine: the verdict already given for this text (the gateway asks first)."""
        return self._verdicts.get(_key(text, direction, context))

    def check(self, text: str, direction: object = "input", context: object = None) -> Verdict:
        verdict = self._check(text)
        if len(self._verdicts) >= 8192:  # bounded like the engine's (a huge request stays cheap)
            self._verdicts.pop(next(iter(self._verdicts)))
        self._verdicts[_key(text, direction, context)] = verdict
        return verdict

    def _check(self, text: str) -> Verdict:
        self.calls += 1
        if self.fail:
            raise RuntimeError("detector exploded")
        hits: dict[str, RiskHit] = {}
        for term, code in self.terms.items():
            start = text.find(term)
            if start >= 0:
                ev = Evidence(Layer.LEXICON, start, start + len(term), term, "terms")
                hits.setdefault(code, RiskHit(code, 1.0)).evidence.append(ev)
        if hits:
            action = Action.BLOCK if set(hits) & self.block else Action.REFUSE
            return Verdict(
                safe=False,
                action=action,
                score=1.0,
                risks=list(hits.values()),
                message="抱歉，我不能回答这个问题。",
            )
        phones = list(PHONE.finditer(text))
        if phones:
            evs = [Evidence(Layer.PII, m.start(), m.end(), m.group(), "phone") for m in phones]
            redacted = PHONE.sub("[手机号]", text)
            return Verdict(
                safe=True,
                action=Action.REDACT,
                score=0.9,
                risks=[RiskHit("A.4.f", 0.9, evs)],
                redacted=redacted,
            )
        return Verdict(safe=True, action=Action.ALLOW, score=0.0)


def _key(text: str, direction: object, context: object) -> tuple[str, str, bool]:
    return text, str(direction), bool(getattr(context, "minor", False))


def account(key_id: str = "k1", **kw: object) -> AccountView:
    base = AccountView(
        account_id=f"acct-{key_id}",
        pseudonym=f"ps-{key_id}",
        age_band=AgeBand.ADULT,
        agreement_version="v1",
        sanction=Sanction.NORMAL,
        sanction_until=None,
        sanction_reason=None,
        training_opt_out=False,
        key_id=key_id,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@dataclass
class MemoryBackend:
    """Every GatewayBackend method over dicts and lists; ``down`` makes each call raise StoreError."""

    accounts: dict[str, AccountView] = field(default_factory=lambda: {"sk-good": account()})
    agreement: Agreement | None = field(
        default_factory=lambda: Agreement("v1", "https://example.test/agreement")
    )
    minors: dict[str, MinorsDecision] = field(default_factory=dict)
    rate_limited: set[str] = field(default_factory=set)
    violations_to_suspend: int = 0
    usage: list[UsageRecord] = field(default_factory=list)
    incidents: list[IncidentRecord] = field(default_factory=list)
    violations: list[tuple[str, list[str]]] = field(default_factory=list)
    minutes: dict[str, float] = field(default_factory=dict)
    end_users: dict[tuple[str, str], AccountView] = field(default_factory=dict)
    down: bool = False
    started: bool = False

    def _up(self) -> None:
        if self.down:
            raise StoreError("database unavailable")

    async def start(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.started = False

    async def ready(self) -> bool:
        return not self.down

    async def authenticate(self, api_key: str, client: str | None = None) -> AccountView | None:
        self._up()
        return self.accounts.get(api_key)

    async def current_agreement(self) -> Agreement | None:
        self._up()
        return self.agreement

    async def end_user(self, app: AccountView, external_id: str) -> AccountView:
        """End users share their app's standing here, under an id of their own."""
        self._up()
        view = self.end_users.get((app.account_id, external_id))
        if view is None:
            view = replace(
                app, account_id=f"{app.account_id}/{external_id}", app_account_id=app.account_id
            )
            self.end_users[(app.account_id, external_id)] = view
        return view

    async def end_user_update(
        self,
        end_user: AccountView,
        *,
        agreement: str | None = None,
        age_band: AgeBand | None = None,
    ) -> dict[str, Any]:
        self._up()
        raise StoreError("not kept in memory")

    async def minors_check(self, account: AccountView, now: datetime) -> MinorsDecision:
        self._up()
        return self.minors.get(account.key_id, MinorsDecision(True))

    async def minors_add_usage(
        self, account: AccountView, seconds: float, now: datetime, reservation: str | None = None
    ) -> None:
        self.minutes[account.key_id] = self.minutes.get(account.key_id, 0.0) + seconds / 60

    async def rate_limit(self, account: AccountView, now: datetime) -> bool:
        self._up()
        return account.key_id not in self.rate_limited

    async def record_usage(self, record: UsageRecord) -> None:
        self._up()
        self.usage.append(record)

    async def record_incident(self, incident: IncidentRecord) -> str:
        self._up()
        self.incidents.append(incident)
        return f"inc-{uuid.uuid4().hex[:8]}"

    async def register_violation(self, account: AccountView, codes: list[str]) -> SanctionOutcome:
        self._up()
        self.violations.append((account.key_id, codes))
        count = sum(1 for k, _ in self.violations if k == account.key_id)
        if self.violations_to_suspend and count >= self.violations_to_suspend:
            return SanctionOutcome(Sanction.SUSPENDED, True, "repeated violations", None)
        return SanctionOutcome(account.sanction, False)

    async def flush(self) -> None:
        return None
