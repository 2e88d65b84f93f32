"""Import third-party keyword lists into hegui lexicon files (``hegui lexicon import``).

Why curated, not copied: the public Chinese lists (houbb/sensitive-word, Apache-2.0;
konsheng/Sensitive-lexicon, MIT) are other platforms' filter lists. As raw lists they find a
quarter to two fifths of black-market posts but flag 21–60 % of benign text, because they hold
ordinary words (网络, 微店), officials' names and whole news phrases. So each term gets a risk
code from its upstream category, checked by the rules below (a term whose category names no
code, or whose text contradicts it, is dropped); terms that hit benign text are dropped, terms
that are ordinary words or political context (names, 政府, 民主) can only flag, and every kept
term records where it came from (``source`` column).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from hegui.safety.lexicon.format import Entry
from hegui.safety.normalize import normalize

__all__ = ["Candidate", "Curated", "assign_code", "benign_hit_counts", "curate", "read_houbb",
           "read_konsheng", "read_word_freq", "write_files"]  # fmt: skip

# -- upstream categories → candidate codes --------------------------------------------------

HOUBB_TAGS = {"0": "politics", "1": "drugs", "2": "porn", "3": "gambling", "4": "crime"}
"""houbb's ``sensitive_word_tags.txt`` tag numbers (upstream README)."""

KONSHENG_FILES = {
    "色情类型": "porn", "色情词库": "porn", "涉枪涉爆": "weapons", "暴恐词库": "terror",
    "反动词库": "politics", "政治类型": "politics", "贪腐词库": "politics", "广告类型": "ads",
    "非法网址": "sites", "GFW补充词库": "mixed", "网易前端过滤敏感词库": "mixed",
    "零时-Tencent": "mixed", "补充词库": "mixed", "其他词库": "mixed",
    # 民生词库 (livelihood complaints), COVID-19词库 (co-occurrence rules with '+'),
    # 新思想启蒙 (social slang) name no prohibited content: unmappable, dropped.
}  # fmt: skip

# A rule: (code, kind, pattern). A term confirms its category when a rule of that category's
# kind matches; ``mixed`` lists take the first rule that matches at all.
RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (code, kind, re.compile(pattern))
    for code, kind, pattern in (
        ("A.1.c", "politics", r"[台藏疆港蒙]独|东突|分裂国家|独立建国|雪山狮子|达赖|热比娅|疆独"),
        (
            "A.1.d",
            "terror",
            r"圣战|恐怖|人体炸弹|斩首|基地组织|伊斯兰国|isis|塔利班|自杀式|人肉炸弹|爆炸袭击",
        ),
        (
            "A.1.h",
            "weapons",
            r"枪|弹药|炸药|雷管|手雷|火药|黑索金|硝铵|弓弩|军刀|气狗|钢珠|子弹|炸弹|tnt|导火索|电击器|防身器|催泪|麻醉",
        ),
        (
            "A.1.h",
            "drugs",
            r"冰毒|海洛因|摇头丸|k粉|大麻|可卡因|鸦片|吗啡|麻古|罂粟|杜冷丁|甲基苯丙胺|苯丙胺|氯胺酮|迷药|迷幻|迷情|春药|催情|蒙汗药|听话水|三唑仑|神仙水|笑气|芬太尼|毒品|白粉|麻黄|咖啡因|k仔|冰妹|溜冰|嗨药|失忆|迷奸|昏迷",
        ),
        (
            "A.1.h",
            "gambling",
            r"赌|博彩|娱乐城|百家乐|六合彩|彩金|老虎机|棋牌|真人视讯|菠菜|下注|时时彩|赛车|pk10|威尼斯人|葡京|bet|开户送|投注|体育平台|庄家|牛牛|炸金花|德州扑克|捕鱼",
        ),
        (
            "A.1.h",
            "crime",
            r"办证|假证|代开|发票|刷单|套现|洗钱|代办|文凭|证件|身份证|驾照|学历|毕业证|假币|窃听|监听|偷拍|针孔|定位|开锁|黑客|木马|盗号|信用卡|银行卡|高仿|仿真|贷款|网贷|出售|供应|批发|代考|替考|答案|作弊|间谍|器官|肾|代孕|卵子|走私|偷渡|追债|讨债|私家侦探|调查|删帖|刷粉|粉丝|买卖|收购|猎杀|象牙|犀牛角|穿山甲|熊胆|传销|诈骗|骗|钓鱼|外挂|破解|解码|短信群发|群发|qq|微信|vx|加v|扣扣",
        ),
        (
            "A.1.h",
            "cult",
            r"法轮|大法|李洪志|全能神|东方闪电|呼喊派|门徒会|观音法门|灵灵教|主神教|被立王|统一教|三班仆人|中华大陆行政执事站|真佛宗|明慧|大纪元|新唐人|神韵",
        ),
        (
            "A.1.f",
            "porn",
            r"色|淫|裸|性爱|做爱|av|成人|情色|乳|阴|屄|逼|奸|强暴|口交|肛|自慰|援交|一夜情|约炮|小姐|楼凤|外围|激情|三级|黄片|a片|porn|sex|调教|鸡巴|屌|射精|精液|手淫|性交|偷拍|走光|露点|诱惑|少妇|熟女|萝莉|荡|骚|丝袜|幼女|处女|嫖|卖淫|妓|鸡婆|包夜|上门|按摩|全套|波推|毒龙|漫游|吹箫|舔|插|操|干你|爽|高潮|g点|私处|下体|巨乳|美乳|胸|臀|屁眼|情趣|性感|制服|人妻|乱伦|群交|兽交|3p|sm|捆绑|一本道|东京热|波多|苍井|番号|fc2|91|麻豆|果冻|精东|杏吧|草榴|1024",
        ),
        (
            "A.1.a",
            "politics",
            r"推翻|打倒|颠覆|共产党|共党|中共|共匪|共铲|专制|独裁|暴政|六四|天安门|8964|民运|反共|退党|三退|九评|亡党|起义|暴动|游行|示威|静坐|罢工|暴乱|政变|屠杀|镇压|迫害|维权|上访|黑幕|贪官|腐败|党魁|独夫|刁民",
        ),
        ("A.1.e", "politics", r"支那|倭|黑鬼|鞑子|回回|蛮夷|杂种|阿三|棒子|猴子"),
    )
)

KIND_OF_CATEGORY = {
    "politics": ("politics",), "drugs": ("drugs",), "porn": ("porn",), "gambling": ("gambling",),
    "crime": ("crime", "weapons", "drugs", "gambling", "cult", "terror", "porn"),
    "weapons": ("weapons", "terror"), "terror": ("terror", "weapons", "cult", "politics"),
    "ads": ("crime", "gambling", "porn", "drugs"), "sites": (),
    "mixed": tuple(dict.fromkeys(k for _, k, _ in RULES)),
}  # fmt: skip
"""Which rule kinds may confirm a term of each upstream category (order: first wins)."""

POLITICAL_CODES = frozenset({"A.1.a", "A.1.b", "A.1.c", "A.1.e"})
_STRONG_POLITICAL = re.compile(r"推翻|打倒|颠覆|亡党|共匪|共铲|[台藏疆港]独万岁|独立建国|东突")
_URL = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_BAD_CHARS = re.compile(r"[\s+*?|\\\[\](){}<>\"'`^$&%#@!~=,;:，。！？、；：“”‘’《》【】（）…]")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One upstream term with its list and category (``houbb``/``2,4``, ``konsheng``/``色情词库``)."""

    term: str
    source: str
    category: str

    @property
    def provenance(self) -> str:
        return f"{self.source}:{self.category}"


@dataclass(frozen=True, slots=True)
class Curated:
    """A kept term: its code, severity and every upstream list that had it."""

    term: str
    code: str
    severity: str
    sources: tuple[str, ...]


def read_houbb(root: Path) -> Iterator[Candidate]:
    """Tagged terms of ``sensitive_word_tags.txt`` (``term tags``); untagged terms have no
    category and are not read."""
    for line in (root / "sensitive_word_tags.txt").read_text(encoding="utf-8").splitlines():
        term, _, tags = line.rstrip().rpartition(" ")
        if term and tags:
            yield Candidate(term, "houbb", tags)


def read_konsheng(root: Path) -> Iterator[Candidate]:
    """Every line of the category files under ``Vocabulary/`` whose category maps to a code."""
    for path in sorted((root / "Vocabulary").glob("*.txt")):
        if path.stem not in KONSHENG_FILES:
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                yield Candidate(line.strip(), "konsheng", path.stem)


def _categories(c: Candidate) -> list[str]:
    if c.source == "houbb":
        tags = [HOUBB_TAGS[t] for t in c.category.split(",") if t in HOUBB_TAGS]
        # "crime" is houbb's catch-all tag: a more specific tag beside it decides first
        return sorted(tags, key=lambda t: t == "crime")
    return [KONSHENG_FILES[c.category]] if c.category in KONSHENG_FILES else []


def assign_code(c: Candidate, norm: str) -> tuple[str, bool] | None:
    """``(code, confirmed)`` for a normalised term, or ``None`` when it is unmappable.

    ``confirmed``: a rule of the category's own kind matched the text. Unconfirmed politics
    terms (mostly names) keep ``A.1.a`` but may only flag; unconfirmed terms of other
    categories are dropped, except named sites (URLs of the illegal-sites list, ``A.1.h``).
    """
    for category in _categories(c):
        if category == "sites":
            return ("A.1.h", True) if _URL.match(norm) else None
        for kind in KIND_OF_CATEGORY[category]:
            for code, rule_kind, pattern in RULES:
                if rule_kind == kind and pattern.search(norm):
                    return code, True
        if category == "politics":
            return "A.1.a", False
    return None


def well_formed(norm: str) -> bool:
    """Terms the lexicon format and the matcher can hold without surprises."""
    if len(norm) < 2 or _BAD_CHARS.search(norm) or norm.isdigit():
        return False
    cjk = len(_CJK.findall(norm))
    if cjk == 0:  # Latin-script: site names and words; short ones are ordinary strings
        return len(norm) >= 5 and norm.isascii() and len(norm.split()) <= 5
    if not all("\u3400" <= ch <= "\u9fff" or ch.isascii() for ch in norm):
        return False
    return cjk >= 2 and cjk <= 10 and not re.search(r"([\u3400-\u9fff])\1\1", norm)


def curate(
    candidates: Iterable[Candidate],
    benign_hits: Mapping[str, int],
    word_freq: Mapping[str, int],
    existing: set[str],
    *,
    common_freq: int = 2000,
    short_freq: int = 20,
    rare_freq: int = 20,
) -> list[Curated]:
    """Keep, code and grade the candidates.

    ``benign_hits``: normalised term → number of benign texts it occurs in (drop if any).
    ``word_freq``: jieba's dictionary frequencies; a very common word is dropped, a dictionary
    word can only flag, and a two-character one seen ``short_freq`` times or more is dropped
    (two characters are ambiguous: 性爱 and 针孔 occur in sex education and camera reviews).
    ``existing``: normalised terms of the starter lexicon (not repeated).
    High severity only for a confirmed, non-political, non-dictionary term of three or more
    characters (or a named site) that no benign text contains.
    """
    kept: dict[str, tuple[str, bool, set[str]]] = {}
    for c in candidates:
        norm = normalize(c.term).text.strip().lower()
        if norm in existing or not well_formed(norm):
            continue
        freq = word_freq.get(norm, 0)
        if benign_hits.get(norm, 0) > 0 or freq >= common_freq:
            continue
        if len(norm) == 2 and freq >= short_freq:  # a two-character dictionary word: 性爱, 针孔
            continue
        got = assign_code(c, norm)
        if got is None:
            continue
        if norm in kept:
            kept[norm][2].add(c.provenance)
            if got[1] and not kept[norm][1]:  # a confirming list wins over a bare category
                kept[norm] = (got[0], True, kept[norm][2])
            continue
        kept[norm] = (got[0], got[1], {c.provenance})
    out = []
    for norm, (code, confirmed, sources) in sorted(kept.items()):
        out.append(Curated(norm, code, _severity(norm, code, confirmed, word_freq, rare_freq),
                           tuple(sorted(sources))))  # fmt: skip
    return out


def _severity(
    norm: str, code: str, confirmed: bool, word_freq: Mapping[str, int], rare: int
) -> str:
    if not confirmed:
        return "low"  # politicians' names and other context-dependent terms: flag only
    if code in POLITICAL_CODES:
        return "high" if _STRONG_POLITICAL.search(norm) and len(norm) >= 4 else "medium"
    if _URL.match(norm):
        return "medium"  # named sites: flag; the same name may be reused by an ordinary site
    long_enough = len(_CJK.findall(norm)) >= 3 or (norm.isascii() and len(norm) >= 8)
    if code == "A.1.h" and _DOCUMENT.search(norm) and not _TRADE.search(norm):
        return "medium"  # 学历证书, 身份证号: a document named, not traded
    return "high" if long_enough and word_freq.get(norm, 0) <= rare else "medium"


_DOCUMENT = re.compile(
    r"学历|证件|证书|身份证|驾照|文凭|发票|毕业证|贷款|信用卡|银行卡|定位|调查|答案"
)
_TRADE = re.compile(r"办|卖|售|买|代|假|伪|仿|刷|套|洗|黑|盗|窃|偷|骗|收购|批发|供应|出租|转让")


def entries(curated: Iterable[Curated]) -> list[Entry]:
    """The kept terms as lexicon entries (for measuring them before they are written)."""
    return [Entry(c.term, c.code, c.severity, "word" if c.term.isascii() else "sub",
                  source=" ".join(c.sources)) for c in curated]  # fmt: skip


def write_files(curated: Iterable[Curated], out: Path, header: str) -> dict[str, int]:
    """One ``<code>.tsv`` per code in ``out`` (existing ones replaced); returns counts per code."""
    by_code: dict[str, list[Curated]] = {}
    for c in curated:
        by_code.setdefault(c.code, []).append(c)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.tsv"):
        old.unlink()
    for code, rows in sorted(by_code.items()):
        lines = [f"# {code} — {header}", "term\tcode\tseverity\tmode\texceptions\tsource"]
        lines += [f"{c.term}\t{c.code}\t{c.severity}\t{'word' if c.term.isascii() else 'sub'}\t\t"
                  f"{' '.join(c.sources)}" for c in rows]  # fmt: skip
        (out / f"{code}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {code: len(rows) for code, rows in sorted(by_code.items())}


def read_word_freq(path: Path) -> dict[str, int]:
    """``word freq [tag]`` lines (jieba's ``dict.txt``, MIT), normalised word → frequency."""
    out: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            word = normalize(parts[0]).text.lower()
            out[word] = max(out.get(word, 0), int(parts[1]))
    return out


def benign_hit_counts(
    terms: Iterable[Entry], texts: Iterable[str], extra: Iterable[Entry] = ()
) -> dict[str, int]:
    """Normalised term → number of ``texts`` in which the real matcher (variants, allow-list and
    exceptions included) finds it. ``extra``: entries compiled alongside (the starter lexicon's
    allow-list), whose own hits are not counted."""
    from hegui.safety.lexicon.matcher import LexiconMatcher

    counted = list(terms)
    matcher = LexiconMatcher([*counted, *extra], engine="ahocorasick")
    own = {id(e) for e in counted}
    hits: dict[str, int] = {}
    for text in texts:
        for term in {m.entry.term for m in matcher.find_text(text) if id(m.entry) in own}:
            hits[term] = hits.get(term, 0) + 1
    return hits


def import_lists(
    houbb: Path | None,
    konsheng: Path | None,
    benign_texts: list[str],
    word_freq: Mapping[str, int],
    starter: list[Entry],
) -> tuple[list[Curated], dict[str, int]]:
    """Read, code, measure and grade both lists; returns the kept terms and the benign hit
    count of every candidate that survived the first pass (for the report)."""
    candidates = [
        *(read_houbb(houbb) if houbb else ()),
        *(read_konsheng(konsheng) if konsheng else ()),
    ]
    existing = {e.term for e in starter if not e.allow}
    first = curate(candidates, {}, word_freq, existing)
    allow = [e for e in starter if e.allow]
    hits = benign_hit_counts(entries(first), benign_texts, allow)
    return curate(candidates, hits, word_freq, existing), hits
