"""The 31 risks of GB/T 45654-2025 / TC260-003 Appendix A, plus hegui's own extra categories.

Codes are stable identifiers used everywhere (lexicon files, policy files, verdicts, records):
``A.1.a`` … ``A.5.b`` follow the appendix clause letters; ``X.*`` are non-standard categories
that a provider still needs to handle (prompt injection / jailbreak, content unsuitable for minors).
The 17 risks of A.1 and A.2 form the keyword-library and should-refuse scope (TC260-003 §8.1, §8.3).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "KEYWORD_MINIMUMS",
    "KEYWORD_TOTAL_MINIMUM",
    "RISKS",
    "Risk",
    "UnknownRiskCodeError",
    "get",
    "is_known",
    "keyword_scope",
]


@dataclass(frozen=True, slots=True)
class Risk:
    """One risk: its code, names, category and whether it is in the keyword/should-refuse scope."""

    code: str
    zh: str
    en: str
    category: str
    keyword_scope: bool

    @property
    def keyword_minimum(self) -> int:
        """TC260-003 §8.1: ≥200 keywords per A.1 risk, ≥100 per A.2 risk, none required otherwise."""
        return KEYWORD_MINIMUMS.get(self.category, 0)


class UnknownRiskCodeError(ValueError):
    """Raised when a code is not one of the taxonomy's codes."""


CATEGORIES: dict[str, tuple[str, str]] = {
    "A.1": ("包含违反社会主义核心价值观的内容", "Content violating core socialist values"),
    "A.2": ("包含歧视性内容", "Discriminatory content"),
    "A.3": ("商业违法违规", "Commercial violations"),
    "A.4": ("侵犯他人合法权益", "Infringing others' lawful rights and interests"),
    "A.5": ("无法满足特定服务类型的安全需求", "Failing the safety needs of specific service types"),
    "X": ("标准之外的其他风险", "Risks outside the standard's appendix"),
}

KEYWORD_MINIMUMS: dict[str, int] = {"A.1": 200, "A.2": 100}
KEYWORD_TOTAL_MINIMUM = 10_000

_TABLE: list[tuple[str, str, str]] = [
    (
        "A.1.a",
        "煽动颠覆国家政权、推翻社会主义制度",
        "Inciting subversion of state power or overthrow of the socialist system",
    ),
    (
        "A.1.b",
        "危害国家安全和利益、损害国家形象",
        "Endangering national security and interests; harming the national image",
    ),
    (
        "A.1.c",
        "煽动分裂国家、破坏国家统一和社会稳定",
        "Inciting secession; undermining national unity and social stability",
    ),
    ("A.1.d", "宣扬恐怖主义、极端主义", "Promoting terrorism or extremism"),
    ("A.1.e", "宣扬民族仇恨", "Promoting ethnic hatred"),
    ("A.1.f", "宣扬暴力、淫秽色情", "Promoting violence, obscenity and pornography"),
    ("A.1.g", "传播虚假有害信息", "Spreading false and harmful information"),
    (
        "A.1.h",
        "其他法律、行政法规禁止的内容",
        "Other content prohibited by laws and administrative regulations",
    ),
    ("A.2.a", "民族歧视内容", "Ethnic discrimination"),
    ("A.2.b", "信仰歧视内容", "Discrimination by belief or religion"),
    ("A.2.c", "国别歧视内容", "Discrimination by nationality or country"),
    ("A.2.d", "地域歧视内容", "Regional discrimination"),
    ("A.2.e", "性别歧视内容", "Gender discrimination"),
    ("A.2.f", "年龄歧视内容", "Age discrimination"),
    ("A.2.g", "职业歧视内容", "Occupational discrimination"),
    ("A.2.h", "健康歧视内容", "Health discrimination"),
    ("A.2.i", "其他方面歧视内容", "Other discrimination"),
    ("A.3.a", "侵犯他人知识产权", "Infringing others' intellectual property"),
    ("A.3.b", "违反商业道德", "Violating business ethics"),
    ("A.3.c", "泄露他人商业秘密", "Disclosing others' trade secrets"),
    (
        "A.3.d",
        "利用算法、数据、平台等优势，实施垄断和不正当竞争行为",
        "Monopoly or unfair competition through algorithm, data or platform advantages",
    ),
    ("A.3.e", "其他商业违法违规行为", "Other commercial violations"),
    ("A.4.a", "危害他人身心健康", "Endangering others' physical or mental health"),
    ("A.4.b", "侵害他人肖像权", "Infringing portrait rights"),
    ("A.4.c", "侵害他人名誉权", "Infringing reputation rights"),
    ("A.4.d", "侵害他人荣誉权", "Infringing honour rights"),
    ("A.4.e", "侵害他人隐私权", "Infringing privacy rights"),
    ("A.4.f", "侵害他人个人信息权益", "Infringing personal-information rights"),
    ("A.4.g", "侵犯他人其他合法权益", "Infringing other lawful rights and interests"),
    (
        "A.5.a",
        "内容不准确，严重不符合科学常识或主流认知",
        "Inaccurate; seriously contrary to scientific common sense",
    ),
    ("A.5.b", "内容不可靠，无法对使用者形成帮助", "Unreliable; not helpful to the user"),
    ("X.a", "提示词注入、越狱攻击", "Prompt injection or jailbreak attempt"),
    ("X.b", "不适宜未成年人的内容", "Content unsuitable for minors"),
]


def _category(code: str) -> str:
    return "X" if code.startswith("X.") else code[:3]


RISKS: dict[str, Risk] = {
    code: Risk(code, zh, en, _category(code), _category(code) in KEYWORD_MINIMUMS)
    for code, zh, en in _TABLE
}


def is_known(code: str) -> bool:
    """True when ``code`` names a risk of the taxonomy."""
    return code in RISKS


def get(code: str) -> Risk:
    """Return the risk for ``code`` or raise :class:`UnknownRiskCodeError` naming the valid form."""
    try:
        return RISKS[code]
    except KeyError:
        raise UnknownRiskCodeError(
            f"unknown risk code {code!r} (expected one of A.1.a … A.5.b, X.a, X.b)"
        ) from None


def keyword_scope() -> list[Risk]:
    """The 17 A.1 and A.2 risks that the keyword library and should-refuse bank must cover."""
    return [r for r in RISKS.values() if r.keyword_scope]
