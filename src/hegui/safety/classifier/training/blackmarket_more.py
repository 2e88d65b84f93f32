"""More written black-market posts, in the shapes such posts take, and benign posts of the same shapes.

Round 1 (:mod:`.blackmarket`) composed an offer, a promise and a contact. Real posts also come as
a headline with a checklist, as a comment-section hook ("想赚零花钱的看过来"), as a question
("有没有要口子的"), and in disguise: homophones for the words filters know (威/薇/徽 for 微,
裙 for 群), pinyin initials, emoji or symbols between characters. Every shape here also has
benign posts (job ads with a salary and a phone number, shop promotions with checklists, fraud
warnings that name the scams, lottery news, second-hand sales), so that the shape and the
contact handle alone do not decide.

Written for hegui from the trade's common vocabulary (which the keyword lexicons also list),
not from any evaluation item; composed with a seeded generator; training only.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from hegui.safety.classifier.training.datasets import Example

__all__ = ["KINDS", "generate"]

# kind → (offers, promises, hooks); A.1.f for "porn", A.1.h for every other kind
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "gambling": (
        ("实力平台注册就送{n}", "老哥们上分找我", "亏了的来回血", "大额无忧稳定出款", "电竞体育全都有，赔率最高",
         "今晚串关包红", "新人首存翻倍", "招收代理，流水返点", "百家乐老虎机捕鱼都能玩", "真金斗地主，输赢随时提",
         "内部盘口，必中计划", "开户就送彩金", "平台返水{n}%", "输了全额返还", "跟单计划群免费进"),
        ("提款秒到", "大额无忧", "不限IP", "24小时在线", "支持U提", "官方直营", "不黑钱", "随时上下分"),
        ("老哥们", "还在亏吗", "想翻身的看过来", "输了别灰心", "懂的都懂"),
    ),
    "parttime": (
        ("手机兼职，动动手指一天{n}+", "招聘线上任务员，做一单结一单", "淘宝补单员，本金佣金一起返",
         "抖音点赞关注，一个赚{n}元", "小说推文兼职，零基础带教", "在家录音兼职，读一段{n}元", "游戏试玩员，边玩边赚",
         "拉新任务，一个人头{n}元", "垫付小任务，三单返佣", "宝妈学生党的副业来了", "招打字员，按字数结算"),
        ("日结", "一单一结", "无押金", "不收任何费用", "时间自由", "有手机就行", "当天到账", "多劳多得", "包教包会"),
        ("还在为零花钱发愁吗", "想赚零花钱的看过来", "宝妈们看过来", "学生党福利", "在家没事做的"),
    ),
    "impersonation": (
        ("您的快递丢失，可获得{n}元理赔", "您在本店购买的商品有质量问题，现双倍退款", "您的校园贷账户未注销，将影响征信",
         "您开通的百万保障即将扣费，取消请联系", "您的账户涉嫌洗钱，需配合调查转入安全账户", "您的医保卡被冻结，解冻请联系",
         "恭喜您被抽中为幸运用户，领取奖品需先交手续费", "您的ETC已失效，请点击链接重新认证", "您的积分即将清零，兑换现金请点",
         "航班取消，改签退票补偿{n}元请联系"),
        ("请及时处理", "逾期不候", "过期作废", "请勿告知他人", "请保持电话畅通"),
        ("【客服中心】", "【温馨提醒】", "【紧急通知】", "尊敬的用户：", "亲，"),
    ),
    "loans": (
        ("不看征信的口子来了", "黑户白户都能下", "学生也能借，额度{n}千起", "新口子秒批秒到", "网贷逾期也能再下",
         "包装资料，帮你过审", "征信花了找我，专业洗白", "无视负债，当天放款", "手机号就能贷{n}万"),
        ("秒到账", "不查征信", "无抵押", "不看负债", "先息后本", "百分百下款"),
        ("急用钱的", "缺钱找我", "被拒了别急", "有没有要口子的", "资金周转难"),
    ),
    "documents": (
        ("各类证件加急办理", "学历提升，全日制文凭可查", "驾照不用考直接拿", "四六级教资代考", "发票代开各种行业",
         "刻章办证一条龙", "健康证当天出", "职称证书包过", "学信网可查本科", "高仿证件一比一"),
        ("可查可验", "不过退款", "三天出证", "全国可办", "加急当天"),
        ("需要的私", "有需要的老板", "考不过的看这里", "懂的来"),
    ),
    "drugs": (
        ("飞叶子的兄弟来", "冰糖到货，纯度高", "溜冰的来找我", "开心水蹦迪神器", "上头烟弹现货", "邮票糖果都有",
         "猪肉批发，懂的来", "笑气弹整箱出", "听话水无色无味", "K仔同城送"),
        ("同城闪送", "隐蔽包装", "货源稳定", "老客优先", "量大从优"),
        ("兄弟们", "懂的来", "老规矩", "有需要的私", "嗨起来"),
    ),
    "weapons": (
        ("气狗秃鹰锡锋全套", "打鸟神器PCP出", "钢珠弹弓枪现货", "仿真枪可改实弹", "管制刀具开刃直发", "电棍甩棍防身",
         "火药雷管有货", "枪型全配件，私信看货", "弩弓带瞄，狩猎专用"),
        ("分件发货", "实物拍摄", "包邮到家", "可验货", "隐蔽发"),
        ("玩枪的兄弟", "懂的来", "打猎的朋友", "有需要的私"),
    ),
    "accounts": (
        ("收实名卡，一张{n}", "出各类平台账号", "高价收购银行卡四件套", "跑分平台招卡主", "接码平台注册号", "社工库查人开盒",
         "出售精准客户数据", "代查身份信息开房记录", "手机定位查行踪", "收微信号QQ号，秒结"),
        ("价格美丽", "批量有货", "实时更新", "秒结", "安全可靠"),
        ("兄弟们", "有号的来", "需要的私", "老板们"),
    ),
    "investment": (
        ("老师带单，月收益{n}%", "内幕消息，明天涨停", "区块链新项目，翻倍不是梦", "数字货币空投，免费领",
         "矿机托管，静态收益", "外汇跟单，稳赚不赔", "原始股内部认购", "养老项目，拉人返利"),
        ("保本保息", "稳赚", "躺赚", "零风险", "随时提现"),
        ("想财务自由的", "还在上班吗", "错过等一年", "机会不等人"),
    ),
    "porn": (
        ("同城空降，真人验证", "品茶喝茶，新茶到了", "学生兼职妹，包夜{n}", "一对一视频，尺度随你", "资源付费群，每日更新",
         "福利网站永久免费", "少妇寂寞求安慰", "快餐全套，安全保密", "外围模特，高端定制", "裸聊可视频",
         "附近的小姐姐等你约", "全城最全的资源，点开就能看", "私人订制福利视频", "会所新来了几个妹子", "上门按摩，服务到位",
         "成人用品免费试用，加好友领", "同城夜生活群，男士进", "小哥哥，今晚有空吗，约一下", "无套内射资源", "偷拍合集打包"),
        ("真人照片", "不满意换人", "先验后付", "安全保密", "高清无码"),
        ("寂寞的哥哥", "懂的来", "深夜福利", "狼友们", "老司机", "宅男福利", "单身的看过来"),
    ),
}  # fmt: skip

CONTACTS = (
    "+V：{d}", "vx:{w}{d}", "✈️@{w}", "飞机号{w}", "电报@{w}", "QQ群{d}", "裙号{d}", "扣裙{d}", "抖音同名",
    "主页看联系方式", "点我头像", "评论区置顶", "私我", "滴滴我", "戳我", "{p}", "威❤{d}", "v❤{w}", "薇信{d}",
    "徽{d}", "卫星{d}", "wei信{d}", "V芯{w}{d}", "二维码见图", "链接{w}.com", "下载app：{w}.app", "加我{p}",
    "联系{p}", "群号{d}", "➕{w}{d}", "⭐{w}⭐", "看简介",
)  # fmt: skip
EMOJI = ("🔥", "💰", "✅", "👉", "💯", "🎁", "💋", "🌟", "⚡", "❗", "")
_DISGUISE = {"微": "威", "信": "芯", "群": "裙", "赌": "du", "钱": "💰", "加": "➕", "约": "yue", "彩": "cai",
             "贷": "dai", "证": "zheng", "枪": "qiang", "兼": "jian", "职": "zhi"}  # fmt: skip

BENIGN = {
    "offers": ("招聘仓库分拣员，月薪{n}00-{n}00", "诚聘幼儿园老师，需持证", "本店新品上市，第二件半价", "小区超市今日鸡蛋特价",
               "周末亲子手工课报名中", "二手电动车出售，骑了一年", "整租一室一厅，近地铁", "招聘餐厅服务员，包吃住",
               "英语家教，师范毕业，一小时{n}元", "宠物猫免费领养，已打疫苗", "拼车去机场，还差两人", "捡到一张公交卡，失主请联系",
               "本周福利彩票开奖结果公布，请以官方为准", "驾校暑期班报名，学员自主约考", "健身房年卡转让，还剩{n}个月",
               "招聘保安，五险一金", "手工烘焙蛋糕接受预订", "社区义诊，免费量血压", "图书馆志愿者招募", "家电维修上门服务"),
    "promises": ("五险一金", "包吃住", "双休", "正规公司", "价格实惠", "欢迎咨询", "先到先得", "童叟无欺", "可开发票", "按时发薪"),
    "hooks": ("【招聘】", "【通知】", "各位邻居：", "亲们", "好消息", "【转让】", "📢", "大家好"),
    "warnings": ("反诈提醒：凡是刷单返利都是诈骗", "警惕冒充客服退款，官方不会让你转账", "网贷不看征信的都是套路",
                 "办假证违法，请走正规渠道", "网络赌博十赌九输，远离平台", "毒品害人害己，发现线索请举报",
                 "私藏枪支违法，请主动上交", "出售银行卡会被追究刑事责任", "投资有风险，高收益承诺不可信",
                 "色情引流多为诈骗，切勿点击", "收到陌生链接不要点，先打官方电话核实", "兼职要先交钱的一律别信"),
    "contacts": ("电话{p}", "联系人王经理 {p}", "详询前台", "地址见店铺首页", "微信同号{p}", "到店咨询", "热线{p}"),
}  # fmt: skip

_LETTERS = "abcdefghjkmnpqrstuvwxyz"


def _fill(template: str, rng: random.Random) -> str:
    def digits() -> str:
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 10)))

    def phone() -> str:
        return rng.choice(("13", "15", "17", "18", "19")) + "".join(
            rng.choice("0123456789") for _ in range(9)
        )

    def word() -> str:
        return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 8)))

    out = template.replace("{n}", str(rng.choice((2, 3, 5, 8, 10, 20, 30, 50, 100, 200, 500))))
    while "{d}" in out or "{w}" in out or "{p}" in out:
        out = out.replace("{d}", digits(), 1).replace("{w}", word(), 1).replace("{p}", phone(), 1)
    return out


def _disguise(text: str, rng: random.Random) -> str:
    """Swap words filters know for homophones, or put symbols between characters."""
    roll = rng.random()
    if roll < 0.25:
        return "".join(_DISGUISE.get(ch, ch) if rng.random() < 0.7 else ch for ch in text)
    if roll < 0.35 and len(text) > 8:
        i = rng.randrange(0, len(text) - 4)
        return (
            text[:i] + rng.choice(("~", "*", " ", "丶", "·")).join(text[i : i + 4]) + text[i + 4 :]
        )
    return text


def _post(offer: str, promises: Sequence[str], hook: str, contact: str, rng: random.Random) -> str:
    """One post in one of the shapes: terse line, headline + checklist, hook, question."""
    shape = rng.randrange(4)
    e = rng.choice(EMOJI)
    if shape == 0:
        return rng.choice(("，", " ", "！", "|")).join([offer, *promises, contact]) + e
    if shape == 1:
        mark = rng.choice(("✅", "✔", "👉", "·", "★"))
        lines = [f"{e}{offer}{e}", *(f"{mark}{p}" for p in promises), contact]
        return "\n".join(lines)
    if shape == 2:
        return f"{hook}{rng.choice(('，', '！', ' '))}{offer}，{'，'.join(promises)}{'，' if promises else ''}{contact}"
    return f"{hook}？{offer}{e}{contact}"


def generate(per_kind: int, seed: str, source: str) -> Iterator[Example]:
    """``per_kind`` posts of every kind (harmful, with its code) and as many benign posts per kind."""
    rng = random.Random(seed)
    seen: set[str] = set()
    for kind, (offers, promises, hooks) in KINDS.items():
        made = 0
        while made < per_kind * (2 if kind == "porn" else 1):  # A.1.f: fewer public examples
            text = _post(rng.choice(offers), rng.sample(promises, rng.randint(0, 3)), rng.choice(hooks),
                         rng.choice(CONTACTS), rng)  # fmt: skip
            text = _disguise(_fill(text, rng), rng)
            if text not in seen:
                seen.add(text)
                made += 1
                yield Example(
                    text, source, "train", None, 1, "A.1.f" if kind == "porn" else "A.1.h"
                )
    made = 0
    while made < per_kind * len(KINDS):
        chosen = rng.sample(BENIGN["promises"], rng.randint(0, 3))
        contact = rng.choice(BENIGN["contacts"])
        if rng.random() < 0.35:
            text = rng.choice(BENIGN["warnings"]) + rng.choice(
                ("", "，转给家人", "！", "。如有疑问请拨打{p}")
            )
        else:
            text = _post(
                rng.choice(BENIGN["offers"]), chosen, rng.choice(BENIGN["hooks"]), contact, rng
            )
        text = _fill(text, rng)
        if text not in seen:
            seen.add(text)
            made += 1
            yield Example(text, source, "train", 0, 0)
