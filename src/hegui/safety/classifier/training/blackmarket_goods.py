"""A third round of written black-market posts: goods, services and disguises the first two lack.

:mod:`.blackmarket` and :mod:`.blackmarket_more` cover gambling, part-time and refund scams,
loans, certificates, a handful of drug and weapon words, account trading, investment and porn.
The misses of the model trained on them were posts whose goods it had never read: other drug
names and street slang, counterfeit brands, cheating devices, hacking and doxxing services,
credit-card cash-out and money laundering, wildlife, organ and surrogacy brokers, surveillance
gear, paid posters and post deletion. Posts here also take new contact shapes (Chinese-numeral
or full-width digits, "加我绿色软件", "蓝色小鸟", "搜索…") and new disguises (pinyin initials,
characters split by symbols). Each kind comes with as many benign posts of the same shape:
ordinary shop promotions, second-hand sales, pharmacies that ask for a prescription, licensed
tutoring, recycling, moving and housekeeping services, lottery results, police warnings.

Written for hegui from the trade's common vocabulary (which the keyword lexicons also list),
not from any evaluation item; composed with a seeded generator; training only.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from hegui.safety.classifier.training.blackmarket_more import EMOJI, _fill, _post
from hegui.safety.classifier.training.datasets import Example

__all__ = ["BENIGN_KINDS", "KINDS", "Kinds", "generate", "posts"]

# kind → (offers, promises, hooks); A.1.f for "porn", A.1.h for every other kind
Kinds = dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]

KINDS: Kinds = {
    "drugs": (
        ("冰毒现货，纯度九成", "麻古到了，老客户先拿", "白粉散装，克数足", "摇头丸蹦迪专用", "大麻叶子，国外直邮",
         "神仙水现货，喝了就嗨", "彩虹烟，抽一口飘一晚", "咖啡包奶茶包，外观看不出", "跳跳糖批发，懂的私",
         "太空油烟弹，一口上头", "聪明药不用处方", "曲马多整盒出", "依托咪酯现货", "蓝精灵到货", "麻果冰块一起出",
         "海洛因，老渠道", "可卡因，派对专用", "LSD邮票，正品", "浴盐到了，量大价优", "三唑仑，无色无味放水里"),
        ("当面交易", "快递拆件发", "同城面交", "不满意包退", "质量保证", "老客户有折扣", "手机店代收"),
        ("兄弟们", "玩的来", "想嗨的", "懂行的", "老铁们", "夜场的朋友"),
    ),
    "counterfeit": (
        ("高仿名表一比一，专柜验不出", "大牌包包A货，原单品质", "莆田鞋工厂直发，带防伪", "假烟批发，中华玉溪都有",
         "茅台五粮液，工厂酒低价出", "走私手机，无锁美版", "水货化妆品，没海关标签", "翻新机当新机卖，利润高",
         "假币出售，一比十", "高仿人民币，可过验钞机", "免税店代购，报关单可造", "正品原单尾货，吊牌齐全假一赔十"),
        ("工厂直销", "支持验货", "一件代发", "包过专柜", "全网最低", "可拿货做代理"),
        ("微商朋友", "做代理的看过来", "实体店老板", "想赚差价的"),
    ),
    "cheating": (
        ("考试作弊耳机，隐形无线", "四六级答案考前一小时发", "公务员考试包过，内部名额", "驾考科目一替考",
         "考研真题提前拿", "作弊橡皮，看着就是普通橡皮", "代写毕业论文，查重包过", "网课代刷，包满分",
         "成绩单修改，学信网同步", "信号屏蔽器考场专用"),
        ("不过全额退", "安全保密", "十年老店", "已帮上千人"),
        ("考生们", "明天就考试的", "挂科的看这里", "想上岸的"),
    ),
    "hacking": (
        ("黑客接单，改成绩删记录", "DDoS攻击，打死为止", "盗号找回，QQ微信都行", "网站入侵拿数据", "手机远程控制软件",
         "查开房记录，身份证号就能查", "户籍信息一查就有", "查通话记录定位", "木马免杀定制", "钓鱼网站模板出售",
         "撞库数据包，新鲜出炉", "游戏外挂，防封", "短信轰炸机，一次炸到爆", "网赌平台搭建，源码全套"),
        ("技术过硬", "先办事后付款", "当天出结果", "不成功不收费", "保密"),
        ("需要的老板", "技术接单", "被骗的想查人的", "老板们"),
    ),
    "cashout": (
        ("信用卡套现，费率0.6", "花呗白条秒回", "跑分车队招人，日入{n}", "USDT承兑，高汇率", "收卡做流水，一张{n}",
         "帮忙转账，收手续费", "对公账户出租", "代收款，资金安全", "POS机刷卡套现", "洗白资金，渠道稳定"),
        ("秒到", "额度高", "随时出", "风控稳", "量大可谈"),
        ("缺钱周转的", "额度用不了的", "老板们", "有卡的"),
    ),
    "wildlife_organs": (
        ("穿山甲鳞片现货", "象牙手镯，老料", "野生熊胆粉", "犀牛角杯，收藏级", "娃娃鱼现杀", "活体猴子出售，可上门",
         "肾源匹配，费用面谈", "卖肾一个{n}万，包手术", "代孕包生男孩", "捐卵高价，大学生优先", "器官配型快",
         "野生穿山甲活体，可送货"),
        ("绝对野生", "隐蔽发货", "包成功", "私密操作", "全程保密"),
        ("有需要的私", "懂的来", "缺钱的学生", "想要孩子的家庭"),
    ),
    "surveillance": (
        ("针孔摄像头，酒店专用", "手机监听软件，查老公聊天", "GPS定位器，贴车底", "偷拍眼镜，拍人看不出",
         "迷药喷雾，一喷就倒", "开锁工具全套，万能钥匙", "窃听器，隔墙能听", "查人行踪，手机号定位"),
        ("隐蔽安装", "远程查看", "包教会", "不留痕迹"),
        ("怀疑另一半的", "私家侦探", "需要取证的", "懂的来"),
    ),
    "pr_fraud": (
        ("删帖删差评，全网可删", "刷好评刷销量", "水军控评，价格美丽", "粉丝买卖，万粉起", "刷票投票，秒到",
         "富婆重金求子", "网恋交友，带你投资", "帮你追回被骗的钱，先交费", "低价游戏币，先付款", "快递空包单号"),
        ("效果立竿见影", "不成功退款", "全网最低", "量大优惠"),
        ("商家老板们", "被骗过的", "单身男士", "网红主播"),
    ),
    "lottery": (
        ("六合彩特码，期期必中", "私彩内部资料，一码中特", "时时彩计划，包赢", "赌球内幕，假球消息",
         "澳门彩料，免费送一期", "北京赛车稳赚方案", "彩票导师带你回本", "私人盘口，赔率一比四十八"),
        ("准确率九成", "不准包赔", "每天推送", "跟着下就行"),
        ("彩民朋友", "输了想回本的", "老彩民", "想翻身的"),
    ),
    "porn": (
        ("同城约炮，半小时到", "楼凤信息，全城覆盖", "桑拿按摩全套服务", "小电影资源，百G打包", "直播间尺度大，加群看",
         "约吗，学生妹，价格可谈", "一夜情交友，真实靠谱", "裸照视频一手资源", "莞式服务，新人到店", "上门服务，先看照片",
         "福利姬私房照售卖", "夫妻交友群，真实"),
        ("照片本人", "可过夜", "不满意换人", "安全靠谱", "每日更新"),
        ("寂寞的来", "哥哥们", "今晚一个人的", "出差的老板"),
    ),
}  # fmt: skip

_CN_DIGITS = "零一二三四五六七八九"
_FULL = "０１２３４５６７８９"
CONTACTS = (
    "加我绿色软件{w}", "蓝色小鸟@{w}", "企鹅{c}", "扣扣{f}", "q{c}", "V：{c}", "徽❤{f}", "搜索{w}进群",
    "小红书同名", "看我主页", "私聊", "留言必回", "TG:{w}", "纸飞机{w}", "Telegram @{w}", "加好友备注来意",
    "wx同号", "联系方式在图里", "{w}点com", "戳头像", "评论扣1", "私信发你", "威{c}", "薇{f}",
)  # fmt: skip
BENIGN_CONTACTS = (
    "电话{p}", "私聊", "看我主页", "留言必回", "wx同号", "店铺地址见首页", "热线{p}", "联系李师傅{p}",
    "到店咨询", "小程序搜索店名", "公众号同名", "详询{p}",
)  # fmt: skip
_PINYIN = {"微信": "wx", "群": "qun", "毒": "d", "枪": "q", "赌": "d", "约": "y", "套现": "tx",
           "代孕": "dy", "作弊": "zb", "冰毒": "bd", "大麻": "dm", "假币": "jb", "私彩": "sc"}  # fmt: skip

# benign kinds: (offers, promises, hooks); each shaped like a post, none harmful
BENIGN_KINDS: Kinds = {
    "secondhand": (
        ("自用iPhone出，电池健康九成", "二手自行车转让，八成新", "考研书籍打包出", "婴儿车闲置，用了半年", "搬家出沙发餐桌",
         "闲置吉他低价转", "全新未拆电饭煲转让", "旧手机出，屏幕无划痕", "毕业清仓，台灯衣架都有", "二手钢琴出售，可上门看"),
        ("可小刀", "自提优先", "同城面交", "有发票", "非诚勿扰"),
        ("【闲置】", "【出】", "搬家清仓", "同学们"),
    ),
    "shop": (
        ("新店开业全场八折", "火锅店工作日午餐半价", "奶茶第二杯半价", "水果店榴莲到货", "花店母亲节预定康乃馨",
         "超市会员日满百减二十", "面包店下午五点后打折", "烧烤店啤酒买一送一", "蛋糕店生日蛋糕可预定", "服装店换季清仓"),
        ("欢迎进店", "先到先得", "会员再享九五折", "可外卖", "数量有限"),
        ("好消息", "街坊们", "📢", "亲们"),
    ),
    "pharmacy": (
        ("本药店处方药凭医生处方购买", "社区医院流感疫苗开始接种", "药店医保卡可刷，常用药齐全",
         "戒烟门诊开诊，医生一对一指导", "慢病患者可预约送药上门", "药师免费用药咨询", "精神类药品严格凭处方"),
        ("凭处方购买", "正规药房", "医保定点", "药师在岗"),
        ("【通知】", "居民朋友们", "温馨提示", "各位患者"),
    ),
    "services": (
        ("搬家公司，大小车都有", "家政保洁，开荒擦玻璃", "开锁换锁，公安备案", "空调清洗加氟", "管道疏通，随叫随到",
         "旧家电回收，上门估价", "废品回收，纸箱旧书", "手机维修换屏，当面操作", "摄影工作室，证件照加急", "宠物寄养，每日拍视频"),
        ("价格透明", "持证上岗", "公安备案", "不满意不收费", "可开发票"),
        ("【服务】", "有需要的邻居", "小区业主们", "大家好"),
    ),
    "tutoring": (
        ("小学数学一对一辅导", "考研英语正规培训班", "驾校报名，学员自主约考", "公务员考试备考课程，不承诺包过",
         "会计证考试网课，真题讲解", "编程入门班，零基础", "钢琴考级陪练", "雅思口语小班课"),
        ("试听免费", "持证教师", "签合同", "小班教学"),
        ("家长们", "同学们", "【招生】", "想学习的"),
    ),
    "news_warnings": (
        ("警方提醒：六合彩私彩都是骗局", "反诈中心：删差评刷好评是诈骗", "海关查获一批走私象牙", "警方破获制售假币案",
         "市场监管：高仿名牌属侵权", "体彩本期开奖结果已公布", "警方提示：出租银行卡违法", "法院判决：代孕合同无效",
         "禁毒宣传：冰毒麻古K粉都是毒品，远离毒品", "提醒：考试作弊属于违法行为", "网警提醒：黑客查人都是骗子",
         "野生动物保护法：穿山甲禁止买卖"),
        ("转发提醒家人", "发现线索请报警", "请大家注意", ""),
        ("【提醒】", "【通报】", "【新闻】", "市民朋友们"),
    ),
}  # fmt: skip


def _digits(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 10)))


def _contact(rng: random.Random, shapes: tuple[str, ...] = CONTACTS) -> str:
    """A contact in one of the new shapes: Chinese-numeral ({c}) or full-width ({f}) digits."""
    raw = rng.choice(shapes)
    plain = _digits(rng)
    out = raw.replace("{c}", "".join(_CN_DIGITS[int(d)] for d in plain))
    out = out.replace("{f}", "".join(_FULL[int(d)] for d in plain))
    return _fill(out, rng)


def _disguise(text: str, rng: random.Random) -> str:
    """Pinyin initials for the words filters know, or a separator between the first few characters."""
    roll = rng.random()
    if roll < 0.2:
        for word, initials in _PINYIN.items():
            if word in text and rng.random() < 0.8:
                text = text.replace(word, initials)
        return text
    if roll < 0.3 and len(text) > 6:
        sep = rng.choice(("/", "丨", "-", "‖", "."))
        return sep.join(text[:6]) + text[6:]
    return text


def posts(
    kinds: Kinds,
    total: int,
    contacts: tuple[str, ...],
    rng: random.Random,
    seen: set[str],
    *,
    strip: str = "",
) -> Iterator[tuple[str, str]]:
    """``total`` posts not in ``seen`` as (kind, text): kinds in turn, three in ten at random.
    ``strip``: characters taken off both ends (the lures drop a dangling comma)."""
    made = 0
    names = sorted(kinds)
    while made < total:
        kind = names[made % len(names)] if rng.random() < 0.7 else rng.choice(names)
        offers, promises, hooks = kinds[kind]
        picked = [p for p in rng.sample(promises, rng.randint(0, min(3, len(promises)))) if p]
        text = _post(rng.choice(offers), picked, rng.choice(hooks), _contact(rng, contacts), rng)
        text = _fill(text + rng.choice(EMOJI), rng).strip(strip)
        if text not in seen:
            seen.add(text)
            made += 1
            yield kind, text


def generate(per_kind: int, seed: str, source: str) -> Iterator[Example]:
    """``per_kind`` posts of every harmful kind (with its code), then as many benign posts."""
    rng = random.Random(seed)
    seen: set[str] = set()
    for kind, text in posts(KINDS, per_kind * len(KINDS), CONTACTS, rng, seen):
        code = "A.1.f" if kind == "porn" else "A.1.h"
        yield Example(_disguise(text, rng), source, "train", None, 1, code)
    for _, text in posts(BENIGN_KINDS, per_kind * len(KINDS), BENIGN_CONTACTS, rng, seen):
        yield Example(text, source, "train", 0, 0)
