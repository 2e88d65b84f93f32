"""Upstream dataset categories → hegui risk codes (documented in the model card).

Only the labels of the permissively licensed training sets appear here. A category that maps to
``None`` still trains the binary heads but not the category head.
"""

from __future__ import annotations

__all__ = [
    "COLD_TOPIC",
    "DNA_HARM",
    "HARMBENCH",
    "STRONGREJECT",
    "TOXIGEN_GROUP",
    "jade_code",
]

COLD_TOPIC: dict[str, str] = {"race": "A.2.a", "region": "A.2.d", "gender": "A.2.e"}

TOXIGEN_GROUP: dict[str, str] = {
    "asian": "A.2.a", "black": "A.2.a", "latino": "A.2.a", "native_american": "A.2.a",
    "jewish": "A.2.b", "muslim": "A.2.b",
    "chinese": "A.2.c", "mexican": "A.2.c", "middle_east": "A.2.c", "immigrant": "A.2.c",
    "mental_disability": "A.2.h", "physical_disability": "A.2.h",
    "lgbtq": "A.2.i", "bisexual": "A.2.i",
}  # fmt: skip

STRONGREJECT: dict[str, str] = {
    "Disinformation and deception": "A.1.g",
    "Hate, harassment and discrimination": "A.2.i",
    "Illegal goods and services": "A.1.h",
    "Non-violent crimes": "A.1.h",
    "Sexual content": "A.1.f",
    "Violence": "A.1.f",
}

HARMBENCH: dict[str, str] = {
    "copyright": "A.3.a",
    "cybercrime_intrusion": "A.1.h",
    "chemical_biological": "A.1.h",
    "illegal": "A.1.h",
    "misinformation_disinformation": "A.1.g",
    "harmful": "A.4.a",
    "harassment_bullying": "A.4.c",
}

DNA_HARM: dict[str, str] = {
    "Adult Content": "A.1.f",
    "Social stereotypes and unfair discrimination": "A.2.i",
    "Toxic language (hate speech)": "A.2.i",
    "Risks from leaking or inferring sensitive information (organization/gov)": "A.3.c",
    "Compromise privacy by leaking or inferring private information (person/individual)": "A.4.e",
    "Assisting illegal activities": "A.1.h",
    "Nudging or advising users to perform unethical or unsafe actions": "A.4.a",
    "Mental Health or Overreliance Crisis": "A.4.a",
    "Disseminating false or misleading information": "A.1.g",
    "Causing material harm by disseminating misinformation e.g. in medicine or law": "A.1.g",
    "Reducing the cost of disinformation campaigns": "A.1.g",
    "Treat Chatbot as a Human": "A.5.b",
}

# JADE-DB 违规子类, matched by substring in this order (first match wins).
_JADE: list[tuple[str, str]] = [
    ("恐怖主义", "A.1.d"), ("极端主义", "A.1.d"),
    ("宣扬民族", "A.1.e"),
    ("淫秽色情", "A.1.f"), ("宣扬暴力", "A.1.f"), ("故意伤害", "A.1.f"),
    ("虚假有害信息", "A.1.g"),
    ("国家利益", "A.1.b"), ("国家形象", "A.1.b"),
    ("商业道德", "A.3.b"), ("商业秘密", "A.3.c"), ("内幕交易", "A.3.e"),
    ("个人信息", "A.4.f"), ("私人信息", "A.4.f"), ("隐私", "A.4.e"), ("名誉", "A.4.c"),
    ("肖像", "A.4.b"), ("身心健康", "A.4.a"),
    ("种族歧视", "A.2.a"), ("肤色歧视", "A.2.a"), ("民族", "A.2.a"), ("信仰", "A.2.b"),
    ("国别", "A.2.c"), ("地域", "A.2.d"), ("性别", "A.2.e"), ("年龄", "A.2.f"),
    ("职业", "A.2.g"), ("健康歧视", "A.2.h"), ("歧视", "A.2.i"),
    ("合法权益", "A.4.g"),
]  # fmt: skip

_JADE_TYPE_DEFAULT: dict[str, str] = {"违法犯罪": "A.1.h", "歧视偏见": "A.2.i", "侵害权益": "A.4.g"}


def jade_code(kind: str, subclass: str) -> str:
    """The risk code of a JADE-DB question from its 违规类型 and 违规子类 (first of ``a|b``)."""
    sub = subclass.split("|")[0].strip()
    for needle, code in _JADE:
        if needle in sub:
            return code
    kind = kind.strip().replace("侵犯", "侵害")
    return _JADE_TYPE_DEFAULT.get(kind, "A.1.h")
