"""Provider codes for ``ContentProducer`` / ``ContentPropagator`` (TC260-PG-20252A) and content IDs.

A provider code is 27 characters: ``00`` (format) + ``1`` (organisation) + ``1`` (bound by USCC)
+ the 18-character Unified Social Credit Code + service type (``1`` generation, ``2``
propagation) + a 4-character model/app code chosen by the provider (``0000`` if none).
The USCC check character follows GB 32100-2015.
"""

from __future__ import annotations

import re
import sys
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hegui.errors import LabelError

if TYPE_CHECKING:
    from hegui.config import LabelingSettings

__all__ = [
    "DEMO_PRODUCER",
    "DEMO_USCC",
    "ProviderCode",
    "configured_producer",
    "new_content_id",
    "parse_provider_code",
    "provider_code",
    "uscc_check_char",
    "valid_uscc",
]

# GB 32100-2015: 31 characters (digits and upper-case letters without I, O, Z, S, V).
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_CODE_SHAPE = re.compile(r"00([0-9A-Z])([0-9A-Z])([0-9A-Z]{18})([0-9A-Z])([0-9A-Z]{4})")
_MODEL_CODE = re.compile(r"[0-9A-Z]{4}")

#: Demonstration USCC (valid checksum, not a registered organisation): used only when nothing
#: is configured, so that a first ``hegui label`` works. Never ship it in production.
DEMO_USCC = "91110000HGDEM0001T"
#: The 27-character demonstration provider code built from :data:`DEMO_USCC` and model ``DEMO``.
DEMO_PRODUCER = "0011" + DEMO_USCC + "1DEMO"
_warned = False  # the demonstration-code warning is printed once per process


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC.

    The arithmetic lives once, in the PII layer's checksums; labels only add a stricter shape.
    """
    from hegui.safety.pii.checksums import uscc_check_char as check_char

    if not isinstance(first17, str) or not _USCC_SHAPE.fullmatch(first17 + "0"):
        raise LabelError(f"not a USCC prefix: {first17!r}")
    try:
        return check_char(first17)
    except ValueError:
        raise LabelError(f"not a USCC prefix: {first17!r}") from None


def valid_uscc(code: str) -> bool:
    """True when ``code`` is an 18-character USCC whose check character matches."""
    return bool(_USCC_SHAPE.fullmatch(code)) and uscc_check_char(code[:17]) == code[17]


def provider_code(uscc: str, model_code: str = "0000", service_type: str = "1") -> str:
    """Build the 27-character provider code; raises :class:`LabelError` on a bad part."""
    uscc = uscc.strip().upper()
    if not valid_uscc(uscc):
        raise LabelError(f"invalid Unified Social Credit Code (shape or check character): {uscc!r}")
    if not _MODEL_CODE.fullmatch(model_code):
        raise LabelError(f"model code must be 4 digits or upper-case letters: {model_code!r}")
    if service_type not in ("1", "2"):
        raise LabelError(
            f"service type must be '1' (generation) or '2' (propagation): {service_type!r}"
        )
    return f"0011{uscc}{service_type}{model_code}"


@dataclass(frozen=True, slots=True)
class ProviderCode:
    """The parts of a 27-character provider code."""

    code: str
    subject_type: str
    binding: str
    uscc: str
    uscc_valid: bool
    service_type: str
    model_code: str

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "uscc": self.uscc,
            "uscc_valid": self.uscc_valid,
            "service_type": {"1": "generation", "2": "propagation"}.get(
                self.service_type, self.service_type
            ),
            "model_code": self.model_code,
            "demonstration": self.uscc == DEMO_USCC,
        }


def parse_provider_code(code: str) -> ProviderCode | None:
    """Split a provider code, or ``None`` when ``code`` is a name rather than a 27-char code."""
    m = _CODE_SHAPE.fullmatch(code)
    if not m:
        return None
    subject, binding, uscc, service, model = m.groups()
    return ProviderCode(code, subject, binding, uscc, valid_uscc(uscc), service, model)


def configured_producer(settings: LabelingSettings | None, *, warn: bool = True) -> str:
    """The provider code from settings (``producer``, else ``uscc`` + ``model_code``), else the demo."""
    if settings is not None and settings.producer:
        code = settings.producer.strip()
        parsed = parse_provider_code(code)
        if parsed is None or not parsed.uscc_valid:
            raise LabelError(
                f"labeling.producer is not a valid 27-character provider code: {code!r}"
            )
        return code
    if settings is not None and settings.uscc:
        return provider_code(settings.uscc, settings.model_code)
    global _warned
    if warn and not _warned:
        _warned = True
        print(
            f"hegui: warning: no [labeling] producer or uscc configured; using the demonstration "
            f"provider code {DEMO_PRODUCER}",
            file=sys.stderr,
        )
    return DEMO_PRODUCER


def new_content_id() -> str:
    """A fresh ProduceID / PropagateID: 32 lower-case hex digits (UUID4), charset-safe."""
    return uuid.uuid4().hex
