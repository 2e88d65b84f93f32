"""Personal-information layer of the risk engine: recognizers, ``analyze``, ``mask``, detector.

Callers import from here and nothing deeper::

    from hegui.safety.pii import analyze, mask
    mask("手机13812345678")  # -> "手机138****5678"
"""

from hegui.safety.pii.base import Pattern, PiiEntity, Recognizer
from hegui.safety.pii.checksums import (
    luhn_is_valid,
    resident_id_check_char,
    resident_id_is_valid,
    uscc_check_char,
    uscc_is_valid,
)
from hegui.safety.pii.detector import NON_PERSONAL_ENTITIES, PII_RISK_CODE, PiiDetector
from hegui.safety.pii.mask import MASK_STYLES, mask, mask_value
from hegui.safety.pii.registry import RECOGNIZERS, analyze, recognizer_names, resolve_overlaps

__all__ = [
    "MASK_STYLES",
    "NON_PERSONAL_ENTITIES",
    "PII_RISK_CODE",
    "RECOGNIZERS",
    "Pattern",
    "PiiDetector",
    "PiiEntity",
    "Recognizer",
    "analyze",
    "luhn_is_valid",
    "mask",
    "mask_value",
    "recognizer_names",
    "resident_id_check_char",
    "resident_id_is_valid",
    "resolve_overlaps",
    "uscc_check_char",
    "uscc_is_valid",
]
