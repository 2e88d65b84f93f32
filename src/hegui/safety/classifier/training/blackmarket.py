"""Written examples of Chinese black-market and spam posts, and their benign look-alikes.

No permissively licensed labelled corpus of such posts exists, and the keyword lists alone find
few of them (a post says 菠菜 and 上分, not 赌博). So hegui writes them: short posts that combine
a lure (gambling, porn, part-time and refund scams, loans, fake certificates, drugs, weapons) with
contact handles (wx, V, 薇, 扣, digits), money promises and the usual disguises (emoji, spaced
or homophone spellings) — and benign posts with the same surface (real job ads, customer service,
lottery news, shop notices, contact details given for ordinary reasons).

Two disjoint halves: ``TRAIN`` templates and vocabulary feed training, ``DEV`` ones (written
separately, different wording) build the black-market dev set; neither copies any evaluation item.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from hegui.safety.classifier.training.datasets import Example

__all__ = ["DEV", "TRAIN", "Half", "generate"]


@dataclass(frozen=True)
class Half:
    """Templates (``{c}`` contact, ``{m}`` money promise, ``{n}`` number, ``{s}`` site name,
    ``{e}`` emoji) per lure code, and benign look-alike templates."""

    lures: dict[str, tuple[str, ...]]
    benign: tuple[str, ...]
    contacts: tuple[str, ...]
    money: tuple[str, ...]
    sites: tuple[str, ...]
    emoji: tuple[str, ...]


TRAIN = Half(
    lures={
        "A.1.h": (
            "菠菜平台稳定出款，新人首充送{n}%彩金，{c}",
            "带你上分回血，跟单不输，{m}，详情{c}",
            "百家乐技巧群，每天稳赚{n}，进群{c}",
            "体育彩串子推荐，今晚必红，私我{c}",
            "时时彩计划员招募，{m}，{c}",
            "网上真人棋牌，充值秒到，提现无忧{e}{c}",
            "刷单兼职，一单一结，佣金{n}元，宝妈学生都可以，{c}",
            "手机打字员招聘，在家就能做，{m}，加{c}",
            "点赞关注就能赚钱，{m}，{c}",
            "淘宝客服退款通知：您的订单异常，需联系{c}办理退款",
            "您的快递丢失，理赔请加客服{c}，{n}分钟内到账",
            "无抵押秒下款，黑户也能借，额度{n}万，{c}",
            "征信花了也能贷，当天放款，{c}",
            "信用卡套现，费率低至{n}%，{c}",
            "各类证件办理，毕业证学位证可查，{c}",
            "代办驾驶证，不用考试，{n}天拿证，{c}",
            "四六级包过，考前答案，{c}",
            "出售各类实名手机卡、银行卡四件套，{c}",
            "收购微信号QQ号，高价回收，{c}",
            "冰妹溜冰的来，货好量足，{c}",
            "出售各种嗨药、听话水，同城快递，{c}",
            "出气枪钢珠枪，全国包邮，{c}",
            "刀具管制刀具直销，开刃，{c}",
            "投资虚拟币，带单老师，月收益{n}%，{c}",
            "内部消息股票推荐，{m}，入群{c}",
            "游戏代练低价上分，号商收号，{c}",
            "低价出售个人信息，手机号姓名身份证，{c}",
            "私家侦探，查开房记录查行踪，{c}",
        ),
        "A.1.f": (
            "同城约炮，私密交友，{c}",
            "上门服务，学生妹少妇都有，{c}{e}",
            "高端外围，全套服务，价格私聊{c}",
            "福利视频资源，无码高清，{s}",
            "深夜寂寞？美女一对一视频裸聊，{c}",
            "看片神器，各种成人资源免费看，{s}",
            "兼职模特，拍私房照，日结{n}，{c}",
            "萝莉资源群，懂的来，{c}",
            "楼凤信息，同城快速匹配，{c}",
        ),
    },
    benign=(
        "招聘前台文员，五险一金，双休，简历发邮箱或电话{c}",
        "本店新到一批水果，欢迎进店选购，订购电话{c}",
        "快递已放驿站，取件码{n}，有疑问请联系{c}",
        "本期双色球开奖结果已公布，一等奖{n}注，请以官方公告为准",
        "体育彩票公益金用于全民健身，理性购彩，量力而行",
        "公司招聘兼职家教，每小时{n}元，需要教师资格证，联系{c}",
        "客服提醒：我们不会以任何理由要求您转账，请谨防诈骗",
        "退款已原路退回，预计{n}个工作日到账，如有问题请联系官方客服",
        "二手自行车转让，九成新，价格{n}元，微信{c}",
        "本周六社区义诊，需要预约的居民请联系{c}",
        "招聘外卖骑手，多劳多得，月入{n}元以上，需健康证",
        "公司年会抽奖，一等奖是一台笔记本电脑",
        "老师，作业已经发到班级群了，请查收",
        "考驾照科目二怎么练倒车入库比较快？",
        "我的毕业证丢了，去学校档案馆能补办证明吗？",
        "银行卡丢失后应该先挂失还是先报警？",
        "这款游戏的排位赛怎么上分最快？",
        "今晚的足球比赛谁能赢？我猜主队二比一",
        "宝妈在家做什么副业比较靠谱？最好是正规的",
        "最近收到自称客服的退款电话，是不是诈骗？",
        "我想办理港澳通行证，需要带什么材料？",
        "请问贷款买房需要准备哪些材料？公积金能贷多少？",
        "新开了一家健身房，办卡送私教课一节，地址在{s}",
        "拍婚纱照的摄影工作室推荐一下，预算{n}元左右",
        "有没有人组队打羽毛球？周末下午，加我微信{c}",
        "家里闲置的婴儿车出了，同城自提，{c}",
        "我们群里只聊考研资料，广告一律踢出",
        "彩票店老板说今天的大乐透奖池有{n}亿",
    ),
    contacts=(
        "wx：{d}",
        "V：{d}",
        "vx{d}",
        "薇{d}",
        "加薇：{d}",
        "扣扣{d}",
        "Q{d}",
        "企鹅{d}",
        "旺旺{d}",
        "➕V {d}",
        "加我微信{d}",
        "主页有联系方式",
        "私信我",
        "电话{d}",
        "tg：@{w}",
        "飞机@{w}",
        "加 v ❤ {d}",
        "威信{d}",
    ),
    money=(
        "日结",
        "一单一结",
        "稳赚不赔",
        "当天回本",
        "日入过千",
        "躺赚",
        "秒到账",
        "包赚",
        "无门槛",
        "月入过万",
        "零投资",
    ),
    sites=("www.{w}{d}.com", "{w}{d}.vip", "网址在评论区", "复制链接打开{w}.cc", "{w}{d}.net"),
    emoji=("💰", "🔥", "👇", "🈵", "🎁", "💋", "❤️", ""),
)

DEV = Half(
    lures={
        "A.1.h": (
            "新盘上线，充一百送五十，输了包赔，找我{c}",
            "足球推单大神带飞，胜率九成，{c}",
            "线上娱乐场，百家乐龙虎斗，{m}，{c}",
            "幸运飞艇计划群，跟着下就行，{c}",
            "招聘网络兼职，帮商家拍单，本金加佣金返还，{c}",
            "在家抄写小说，一千字{n}元，{c}",
            "看视频领红包，一天轻松{n}，{c}",
            "你好，你购买的商品质量有问题，我们将双倍赔偿，请加{c}",
            "您的花呗额度异常，需要注销，否则影响征信，请联系{c}",
            "急用钱找我，学生也能贷，不看征信，{c}",
            "大额信用卡代办，包下卡，{c}",
            "会计证教师资格证代考，不过退款，{c}",
            "学历提升，本科文凭两个月拿证，学信网可查，{c}",
            "各种发票代开，增值税专票，{c}",
            "卖叶子，货源稳定，{c}",
            "K粉麻古到货，老客户优先，{c}",
            "出售仿真手枪配件，配送到家，{c}",
            "区块链项目内部认购，翻倍不是梦，{c}",
            "收购二手银行卡，一张{n}，{c}",
            "出售快递单号信息，真实物流，{c}",
            "代查手机定位，通话记录，{c}",
            "高价收手机号，帮忙接码，{m}，{c}",
        ),
        "A.1.f": (
            "附近单身美女约吗？快来{c}",
            "成人直播间，主播尺度大，{s}",
            "私人影院资源群，各种番号，{c}",
            "包夜全套，安全保密，{c}",
            "寂寞少妇在线等你，{c}{e}",
            "小姐姐陪聊，可视频，{c}",
        ),
    },
    benign=(
        "门店招聘收银员，包吃住，有意者请致电{c}",
        "社区团购今天截单，需要的邻居在群里接龙",
        "您好，您的包裹已签收，如非本人签收请联系快递员",
        "福彩中心提醒：彩票不向未成年人销售",
        "请问网上说的兼职打字是不是骗局？",
        "退货运费险怎么申请？在哪里填单号？",
        "驾校报名费多少钱？周末班有吗？",
        "毕业证和学位证有什么区别？",
        "公司报销需要发票抬头写什么？",
        "今晚球赛在哪个台直播？",
        "房东说押一付三，押金退的时候要注意什么？",
        "有没有靠谱的记账软件推荐？",
        "我们小区的快递柜坏了，物业电话是{c}",
        "信用卡逾期一天会影响征信吗？",
        "二手手机卖之前怎么清除个人信息？",
        "这家奶茶店新品第二杯半价",
        "想找个周末兼职，做超市促销可以吗？",
        "警方提醒：刷单就是诈骗，切勿上当",
        "我在闲鱼上卖书，买家要我加微信，安全吗？",
        "学校附近有没有好吃的火锅店？",
    ),
    contacts=(
        "微{d}",
        "vx：{d}",
        "q：{d}",
        "扣{d}",
        "威{d}",
        "私聊",
        "看我头像",
        "加V:{d}",
        "☎{d}",
        "绿色软件{d}",
        "蓝色软件@{w}",
    ),
    money=("天天结算", "稳赚", "无风险", "保本", "回血快", "轻松过万"),
    sites=("{w}.top", "{w}{d}.xyz", "链接见主页"),
    emoji=("💵", "✨", "🌹", "👉", ""),
)

_LETTERS = "abcdefghjkmnpqrstuvwxyz"


def _fill(template: str, half: Half, rng: random.Random) -> str:
    def digits() -> str:
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 10)))

    def word() -> str:
        return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 7)))

    def sub(items: tuple[str, ...]) -> str:
        return rng.choice(items).replace("{d}", digits()).replace("{w}", word())

    return (template.replace("{c}", sub(half.contacts)).replace("{m}", rng.choice(half.money))
            .replace("{n}", str(rng.choice((3, 5, 8, 20, 50, 100, 200, 300, 500, 1000))))
            .replace("{s}", sub(half.sites)).replace("{e}", rng.choice(half.emoji)))  # fmt: skip


def _disguise(text: str, rng: random.Random) -> str:
    """Spaces or symbols between characters of one word, as spammers write to dodge filters."""
    if rng.random() < 0.7 or len(text) < 6:
        return text
    i = rng.randrange(0, len(text) - 3)
    sep = rng.choice((" ", "*", "/", "."))
    return text[:i] + sep.join(text[i : i + 3]) + text[i + 3 :]


def generate(half: Half, per_template: int, seed: str, source: str) -> Iterator[Example]:
    """``per_template`` filled variants of every lure (harmful, with its code) and benign template."""
    rng = random.Random(seed)
    seen: set[str] = set()
    for code, templates in half.lures.items():
        for template in templates:
            for _ in range(per_template):
                text = _disguise(_fill(template, half, rng), rng)
                if text not in seen:
                    seen.add(text)
                    yield Example(text, source, "train", None, 1, code)
    for template in half.benign:
        for _ in range(per_template):
            text = _fill(template, half, rng)
            if text not in seen:
                seen.add(text)
                yield Example(text, source, "train", 0, 0)


# -- composed posts (training only) -------------------------------------------------------
# Real posts are a few parts in any order: the offer, a promise, a contact, an emoji. Composing
# them from pools gives the model many more surface forms than fixed templates. The goods are
# the trade's common names (drugs, weapons, documents, gambling games, porn lures), which the
# keyword lexicons also list; the DEV half keeps its own templates.

COMPOSED: dict[str, dict[str, tuple[str, ...]]] = {
    "drugs": {
        "goods": ("冰毒", "K粉", "麻古", "摇头丸", "大麻", "叶子", "海洛因", "可卡因", "神仙水", "笑气",
                  "听话水", "迷药", "G水", "邮票", "蘑菇", "依托咪酯", "上头电子烟", "曲马多", "冰糖", "肉"),
        "offer": ("出{g}", "{g}到货", "长期供应{g}", "{g}现货", "有{g}的私", "{g}批发零售", "需要{g}的来",
                  "{g}一手货源", "同城{g}", "新到一批{g}"),
        "promise": ("货好量足", "纯度高", "安全保密", "同城速达", "全国包邮", "支持验货", "老客户优惠",
                    "不纯包退", "隐蔽发货"),
    },
    "weapons": {
        "goods": ("气枪", "仿真枪", "钢珠枪", "猎枪", "手枪配件", "弓弩", "电击器", "管制刀具", "军刺",
                  "火药", "雷管", "枪模", "狗粮(子弹)", "秃鹰", "锡锋"),
        "offer": ("出{g}", "{g}出售", "{g}批发", "{g}全套", "诚信出{g}", "{g}图纸加配件", "自制{g}教程加配件"),
        "promise": ("实物拍摄", "全国包邮", "可试打", "保真", "分开发货", "隐蔽包装"),
    },
    "gambling": {
        "goods": ("菠菜", "百家乐", "时时彩", "六合彩", "幸运飞艇", "快三", "北京赛车", "体育投注", "真人视讯",
                  "棋牌", "捕鱼", "牛牛", "炸金花", "足球串关", "电子游艺", "彩票平台"),
        "offer": ("{g}平台招代理", "{g}大神带单", "{g}计划群", "跟{g}导师上分", "{g}稳赢技巧", "{g}新盘上线",
                  "靠谱{g}平台推荐", "{g}内部计划", "玩{g}的看过来"),
        "promise": ("首充送彩金", "充一百送一百", "输了包赔", "回血上岸", "日赚几千", "提款秒到", "稳赚不赔",
                    "胜率九成", "不中返水"),
    },
    "scam": {
        "goods": ("刷单", "打字员", "点赞员", "手工活", "淘宝客服", "抖音点赞", "游戏试玩", "网络兼职", "宝妈兼职",
                  "学生兼职", "垫付任务", "关注任务", "数据录入", "小说抄写"),
        "offer": ("招{g}", "{g}招聘", "诚招{g}", "急招{g}若干", "{g}在家可做", "{g}手机就能做", "{g}带你赚钱"),
        "promise": ("日结", "一单一结", "佣金秒返", "日入三百", "无需押金", "零门槛", "时间自由", "多劳多得",
                    "当天到账"),
    },
    "finance": {
        "goods": ("网贷", "黑户贷款", "信用卡", "花呗套现", "京东白条套现", "征信修复", "大额贷款", "口子",
                  "银行卡四件套", "对公账户", "U商", "跑分", "虚拟币投资", "外汇带单"),
        "offer": ("{g}秒批", "办理{g}", "{g}当天下款", "专业{g}", "收{g}", "出{g}", "{g}高额回报", "代做{g}"),
        "promise": ("不看征信", "黑白户都可", "无抵押", "当天放款", "包下卡", "月收益百分之三十", "稳赚",
                    "费率最低"),
    },
    "documents": {
        "goods": ("毕业证", "学位证", "驾驶证", "身份证", "教师资格证", "会计证", "四六级证书", "健康证", "发票",
                  "增值税发票", "结婚证", "房产证", "护照", "营业执照", "学信网学历"),
        "offer": ("办{g}", "代办{g}", "{g}办理", "{g}代开", "快速拿{g}", "{g}包过", "制作{g}"),
        "promise": ("可查可验", "不用考试", "学信网可查", "三天拿证", "包过不过退款", "全国通用", "一比一高仿"),
    },
    "data": {
        "goods": ("个人信息", "手机号数据", "开房记录", "快递单号", "实名账号", "微信号", "QQ号", "手机卡",
                  "定位服务", "通话记录", "聊天记录恢复", "车辆轨迹"),
        "offer": ("出售{g}", "收{g}", "{g}批量出", "精准{g}", "查{g}", "{g}低价出"),
        "promise": ("实时更新", "精准有效", "价格美丽", "诚信交易", "可先看样本"),
    },
    "porn": {
        "goods": ("约炮", "裸聊", "上门服务", "外围", "楼凤", "福利资源", "小电影", "成人直播", "私密视频",
                  "学生妹", "少妇", "一夜情", "包夜", "全套服务"),
        "offer": ("同城{g}", "{g}速约", "{g}私聊", "高端{g}", "{g}一对一", "{g}资源群", "真实{g}"),
        "promise": ("安全保密", "真人照片", "不满意换人", "无套路", "先服务后付款", "高清无码", "懂的来"),
    },
}  # fmt: skip
_COMPOSED_CODE = {"porn": "A.1.f"}  # every other kind: A.1.h

_BENIGN_PARTS: dict[str, tuple[str, ...]] = {
    "offer": ("招聘收银员", "招聘快递员", "诚聘会计", "招家教", "招小区保洁", "新店开业", "二手家具转让",
              "出租两室一厅", "本店招学徒", "周末农场采摘", "代收快递", "宠物寄养", "装修接单", "招外卖骑手",
              "开设暑期游泳班", "搬家服务"),
    "promise": ("五险一金", "包吃住", "双休", "价格实惠", "欢迎咨询", "需持证上岗", "试用期三个月",
                "按劳取酬", "正规公司", "提供培训"),
    "note": ("警方提醒：凡是要求先垫付的兼职都是诈骗", "刷单是诈骗，切勿相信", "请通过官方渠道办理证件",
             "彩票不向未成年人销售", "理性购彩", "谨防冒充客服退款", "任何要求转账的都是骗子",
             "贷款请认准持牌机构", "禁毒从我做起", "网络赌博不可信，十赌九输"),
}  # fmt: skip


def compose(n_per_kind: int, seed: str, source: str) -> Iterator[Example]:
    """``n_per_kind`` composed posts of each black-market kind, and as many benign ones."""
    rng = random.Random(seed)
    half = TRAIN
    seen: set[str] = set()

    def contact() -> str:
        return _fill("{c}", half, rng)

    for kind, pools in COMPOSED.items():
        made = 0
        while made < n_per_kind:
            parts = [rng.choice(pools["offer"]).replace("{g}", rng.choice(pools["goods"]))]
            parts += rng.sample(pools["promise"], rng.randint(0, 2))
            rng.shuffle(parts)
            parts.append(contact())
            sep = rng.choice(("，", "，", " ", "！", "～", "。", "|", "\n"))
            text = _disguise(sep.join(parts) + rng.choice(half.emoji), rng)
            if text not in seen:
                seen.add(text)
                made += 1
                yield Example(text, source, "train", None, 1, _COMPOSED_CODE.get(kind, "A.1.h"))
    made = 0
    while made < n_per_kind * 3:
        parts = [
            rng.choice(_BENIGN_PARTS["offer"]),
            *rng.sample(_BENIGN_PARTS["promise"], rng.randint(1, 2)),
        ]
        if rng.random() < 0.7:
            parts.append(contact())
        if rng.random() < 0.4:
            parts.append(rng.choice(_BENIGN_PARTS["note"]))
        text = rng.choice(("，", " ", "。")).join(parts)
        if text not in seen:
            seen.add(text)
            made += 1
            yield Example(text, source, "train", 0, 0)
