"""The admin API's request and answer bodies (pydantic; they make its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hegui.ops.accounts import Account

__all__ = [
    "AcceptIn",
    "AccountIn",
    "AccountOut",
    "AccountPage",
    "AgreementIn",
    "AgreementOut",
    "EndUserOut",
    "EndUserPage",
    "KeyOut",
    "KeyPage",
    "MinorsIn",
    "NewKeyOut",
    "SanctionIn",
]

Band = Literal["adult", "under_16", "16_17"]
Step = Literal["normal", "warned", "restricted", "suspended", "terminated"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountIn(_In):
    name: str = Field(min_length=1, max_length=200, description="Who the account is (an app).")
    age_band: Band = "adult"
    training_opt_out: bool = False


class AccountOut(BaseModel):
    id: str
    name: str
    age_band: Band
    agreement_version: str | None
    sanction: Step
    sanction_reason: str | None
    sanction_until: datetime | None
    training_opt_out: bool
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            id=account.id,
            name=account.name,
            age_band=account.age_band.value,
            agreement_version=account.agreement_version,
            sanction=account.sanction.value,
            sanction_reason=account.sanction_reason,
            sanction_until=account.sanction_until,
            training_opt_out=account.training_opt_out,
            created_at=account.created_at,
        )


class KeyOut(BaseModel):
    key_id: str
    account_id: str
    created_at: datetime
    revoked_at: datetime | None


class NewKeyOut(BaseModel):
    key_id: str
    account_id: str
    api_key: str = Field(description="The key itself: shown in this answer only.")


class EndUserOut(BaseModel):
    id: str = Field(description="hegui's id of the end user (never the app's own id for them).")
    app_account_id: str
    age_band: Band
    agreement_version: str | None
    sanction: Step
    sanction_reason: str | None
    sanction_until: datetime | None
    created_at: datetime


class _Page(BaseModel):
    """A page of a listing (``GET /accounts``, ``/keys``, ``/accounts/{id}/end_users``)."""

    object: Literal["list"] = "list"
    has_more: bool = Field(description="More follow: ask again with after=last_id.")
    last_id: str | None = Field(description="The id of the page's last item (next `after`).")


class AccountPage(_Page):
    data: list[AccountOut]


class KeyPage(_Page):
    data: list[KeyOut]


class EndUserPage(_Page):
    data: list[EndUserOut]


class MinorsIn(_In):
    age_band: Band


class SanctionIn(_In):
    sanction: Step
    reason: str = Field(min_length=1, max_length=2000)
    until: datetime | None = Field(None, description="End of a timed sanction (aware time).")


class AgreementIn(_In):
    version: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=500)
    text: str | None = None


class AgreementOut(BaseModel):
    version: str
    url: str


class AcceptIn(_In):
    version: str | None = Field(None, description="Default: the current agreement.")
