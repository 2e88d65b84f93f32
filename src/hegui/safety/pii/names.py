"""Recognizer for personal names, where precision allows without a model.

Names are taken only after an explicit cue (``姓名：``, ``我叫``, ``Name:``) and must start with a
common surname. Free-text names need NER, which this layer does not ship: recall is traded for
precision on purpose.
"""

from __future__ import annotations

from hegui.safety.pii.base import Pattern, Recognizer

__all__ = ["HAN", "PersonNameRecognizer", "split_surname"]

HAN = "\u4e00-\u9fff"  # CJK Unified Ideographs, for character classes
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒",
    "夏侯", "端木", "宇文", "长孙", "呼延", "独孤", "南宫", "轩辕", "澹台",
)  # fmt: skip
# The most frequent single-character surnames (about 90 % of the population).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万"
    "钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包"
    "宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳"
    "时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇"
    "栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
# Form labels that follow a name when fields are run together (姓名：白性别：男).
_FIELD_WORDS = (
    "性别",
    "年龄",
    "电话",
    "手机",
    "地址",
    "民族",
    "籍贯",
    "职业",
    "学历",
    "身份",
    "生日",
)
_SURNAME_RE = "(?:" + "|".join(_COMPOUND_SURNAMES) + f"|[{_SURNAMES}])"
# A name ends where Han text ends, or right before a title such as 先生 / 女士.
_NAME_END = f"(?:(?![{HAN}])|(?=先生|女士|小姐|同学|老师|医生|教授))"


def split_surname(name: str) -> tuple[str, str]:
    """``("欧阳", "娜娜")`` for a Chinese name; the first character for anything else."""
    if name.startswith(_COMPOUND_SURNAMES):
        return name[:2], name[2:]
    return name[:1], name[1:]


class PersonNameRecognizer(Recognizer):
    """Personal name after an explicit cue; no NER model.

    Chinese: ``姓名：张三``, ``联系人 李四``, ``我叫王小明`` (a common surname + 1–2 characters,
    ending at non-Han text or a title). English: ``Name: John Smith``, ``My name is Jane Doe``
    (capitalised words only).
    Scores 0.7 after a form label, 0.6 after a self-introduction.
    """

    NAME = "person_name"
    ENTITY = "PERSON"
    # Form labels may be glued to the name (联系人张三); 名字 is too common a word without 是/叫/：.
    _LABELS = "(?:姓名|真实姓名|联系人|收件人|收货人|持卡人|户主|申请人|监护人)(?:[:：\\s]+|是|为|叫)?|名字(?:[:：\\s]+|是|为|叫)"
    PATTERNS = (
        Pattern(
            "PERSON (zh label)",
            f"(?:{_LABELS})[:：\\s]*(?P<v>{_SURNAME_RE}[{HAN}]{{1,2}}?){_NAME_END}",
            0.7,
        ),
        Pattern(
            "PERSON (zh self-introduction)",
            f"(?:我叫|我的名字是|我的名字叫|本人叫|本人名叫)\\s*(?P<v>{_SURNAME_RE}[{HAN}]{{1,2}}?){_NAME_END}",
            0.6,
        ),
        Pattern(
            "PERSON (en label)",
            r"[Nn](?<![A-Za-z][Nn])ame\s*[:：]\s*(?P<v>[A-Z][a-z]+(?:[ -][A-Z][a-z]+){1,2})(?![A-Za-z])",
            0.7,
            needs="ame",
        ),
        Pattern(
            "PERSON (en self-introduction)",
            r"(?:My|my) name is (?P<v>[A-Z][a-z]+(?: [A-Z][a-z]+){0,2})(?![A-Za-z])",
            0.6,
            needs="y name is ",
        ),
    )

    REQUIRES_ANY = (
        "名", "联系人", "收件人", "收货人", "持卡人", "户主", "申请人", "监护人", "我叫", "本人叫",
        "ame",
    )  # fmt: skip

    def validate(self, value: str) -> bool | None:
        return False if value.endswith(_FIELD_WORDS) else None
