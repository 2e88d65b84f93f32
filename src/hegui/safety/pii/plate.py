"""Recognizer for Chinese motor-vehicle licence plates."""

from __future__ import annotations

from hegui.safety.pii.base import Pattern, Recognizer

__all__ = ["PlateRecognizer"]

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "[A-HJ-NP-Z]"  # plates never use I or O
_ALNUM = "[A-HJ-NP-Z0-9]"
_SEP = "[·•.\\- ]?"  # 京A·12345, 京A.12345, 京A 12345 and the plain form


class PlateRecognizer(Recognizer):
    """Licence plate of a PRC motor vehicle (机动车号牌), GA 36-2018.

    Province abbreviation + issuing-authority letter + 5 characters (letters other than I/O and
    digits, at least three of them digits), optionally ending in 挂/学/警/港/澳; new-energy
    plates have 6: ``D``/``F`` then 5 (small cars) or 5 digits then ``D``/``F`` (large vehicles).
    A middle dot, full stop, hyphen or space may follow the letter. One pattern, one pass. No
    checksum: 0.6, with context (``车牌`` …) 0.9.
    """

    NAME = "plate"
    ENTITY = "CN_PLATE"
    PATTERNS = (
        Pattern(
            "CN_PLATE",
            f"[{_PROVINCES}]{_LETTER}{_SEP}"
            f"(?:[DF]{_ALNUM}\\d{{4}}|\\d{{5}}[DF]|{_ALNUM}{{5}}|{_ALNUM}{{4}}[挂学警港澳])(?![0-9A-Za-z])",
            0.6,
        ),
    )
    CONTEXT = ("车牌", "牌照", "号牌", "车辆", "plate", "license", "licence")
    MIN_DIGITS = 3

    def validate(self, value: str) -> bool | None:
        tail = value[2:].lstrip("·•.- ")
        return None if sum(c.isdigit() for c in tail) >= 3 else False
