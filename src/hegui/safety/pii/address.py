"""Recognizer for structured mainland Chinese postal addresses, without a gazetteer or a model.

An address is taken only when it starts at a province-level name (34 of them, GB/T 2260) or
right after a cue such as ``地址：``, and then walks the administrative ladder: city, district,
town, road, house number, estate, building, room. Free-form addresses (``公司楼下那家店``) need
NER and are out of scope: precision first.
"""

from __future__ import annotations

import re

from hegui.safety.pii.base import Pattern, Recognizer
from hegui.safety.pii.names import HAN

__all__ = ["AddressRecognizer"]

_PROVINCES = (
    "北京|天津|河北|山西|内蒙古|辽宁|吉林|黑龙江|上海|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|"
    "广东|广西|海南|重庆|四川|贵州|云南|西藏|陕西|甘肃|青海|宁夏|新疆|台湾|香港|澳门"
)
_PROV_SUFFIX = "(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?"
_CITY = f"[{HAN}]{{1,6}}?(?:市|自治州|州|盟|地区)"
_DISTRICT = f"[{HAN}]{{1,6}}?(?:区|县|旗|市)"
# After the province a city or a district must follow, so 河南人 or 新疆的 fail fast.
_CITY_OR_DISTRICT = f"(?:{_CITY}(?:{_DISTRICT})?|{_DISTRICT})"
_TOWN = f"(?:[{HAN}]{{1,6}}?(?:镇|乡|街道|新区|开发区))?"
_STREETS = ("大道", "路", "街", "巷", "弄", "胡同")
_STREET = f"(?:[{HAN}]{{1,10}}?(?:{'|'.join(_STREETS)})){{0,2}}"  # 文三路阳光巷: up to two levels
_NUMBER = r"(?:\d{1,5}(?:-\d{1,5})?号(?:院)?)?"
_ESTATE = f"(?:[{HAN}0-9]{{1,10}}?(?:小区|新村|社区|公寓|大厦|广场|花园|家园|中心|大楼|苑|园|村|城)(?:小区)?)?"
_BUILDING = r"(?:[A-Z]座)?(?:\d{1,5}号(?!楼))?(?:\d{1,5}(?:栋|幢|座|号楼))?(?:\d{1,3}单元)?(?:\d{1,5}室)?"
_LOCAL = _TOWN + _STREET + _NUMBER + _ESTATE + _BUILDING

# A number that ends an address: house number, building, unit or room.
_NUMBERED = re.compile(r"\d(?:号|室|栋|幢|座|单元)")


class AddressRecognizer(Recognizer):
    """Structured mainland postal address (省/市/区/县/路/街/号/室).

    ``浙江省杭州市西湖区文三路826号3栋201室``, ``吉林省长春市朝阳区南湖新村521室``, or after a cue
    ``住址：杭州市西湖区文三路826号``. Scores: 0.85 when the address ends in a house, building or
    room number; 0.6 for province + city + district + road without one; anything shorter (a bare
    province name) is dropped. The span ends where the ladder ends, so trailing prose is not taken.
    """

    NAME = "address"
    ENTITY = "CN_ADDRESS"
    PATTERNS = (
        Pattern(
            "CN_ADDRESS (province)",
            f"(?:{_PROVINCES}){_PROV_SUFFIX}{_CITY_OR_DISTRICT}{_LOCAL}",
            0.6,
        ),
        Pattern(
            "CN_ADDRESS (after cue)",
            f"(?:地址|住址|住在|居住在|居住于|现居于|家住|寄到|送到)(?:是|为)?[:：\\s]*"
            f"(?P<v>[{HAN}]{{2,6}}?[市县区](?:{_DISTRICT})?{_LOCAL})",
            0.6,
        ),
    )
    CONTEXT = ("地址", "住址", "住在", "收货", "address")
    CONTEXT_BOOST = 0.1

    def precheck(self, text: str, digits: int) -> bool:
        # What validate() needs: a numbered unit, or a road with city and district levels.
        if digits and _NUMBERED.search(text):
            return True
        return any(s in text for s in _STREETS) and any(c in text for c in "市州") and any(
            c in text for c in "区县旗"
        )

    def validate(self, value: str) -> bool | None:
        if _NUMBERED.search(value):
            return True
        has_levels = any(c in value for c in "市州") and any(c in value for c in "区县旗")
        return None if has_levels and any(s in value for s in _STREETS) else False

    def validated_score(self, value: str) -> float:
        return 0.85
