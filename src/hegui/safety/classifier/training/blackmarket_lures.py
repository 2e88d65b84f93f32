"""A fourth round of written black-market posts: lures and trades the first three rounds lack.

:mod:`.blackmarket`, :mod:`.blackmarket_more` and :mod:`.blackmarket_goods` cover the trades by
their goods. Spam also comes as a comment-section lure that names no goods ("主页有惊喜"), as
red-envelope and card-game gambling in chat groups, as overseas "high-pay" job offers, quack
cures and slimming pills, fetal sex tests, hospital-ticket touts, phone-card and bank-card
renting, illegal fishing and trapping gear, passports and border crossing, and "sugar"
dating. Each kind comes with benign posts of the same shape and vocabulary: family red-envelope
chat, elderly chess clubs, licensed clinics and hospitals' own booking, fishing-tackle shops,
labour dispatch with contracts, bank loans with the rate stated, registered charities.

Written for hegui from the trades' common vocabulary, not from any evaluation item; composed
with a seeded generator; training only.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from hegui.safety.classifier.training.blackmarket_goods import CONTACTS, Kinds, _disguise, posts
from hegui.safety.classifier.training.datasets import Example

__all__ = ["BENIGN_KINDS", "KINDS", "generate"]


# kind → (offers, promises, hooks); A.1.f for "sugar", A.1.h for every other kind
KINDS: Kinds = {
    "lure": (
        ("主页有惊喜，男生勿进", "点我头像看福利", "私信领取今晚的资源", "看简介，懂的都懂", "哥哥来玩呀，主页等你",
         "评论区扣1发你链接", "置顶有福利，手慢无", "关注我，私发全套", "简介里有好东西", "想看完整版的私我"),
        ("免费领取", "限时", "手慢无", "今晚有效"),
        ("宅男们", "一个人的夜晚", "无聊的看过来", "刷到就是缘分"),
    ),
    "redpacket": (
        ("红包扫雷群，一元起包", "牛牛红包群，庄家包赔", "炸金花真人局，随时开桌", "捕鱼游戏上下分，秒回",
         "棋牌室线上版，能提现", "抢庄牛牛，输赢即时结算", "接龙红包群，每天流水过万", "麻将群上分下分，信誉第一",
         "扫雷群招代理，返水高", "斗牛群满人就开"),
        ("押金可退", "上下分秒到", "群主担保", "不玩随时退群", "信誉第一"),
        ("想玩的来", "老板们", "周末无聊的", "有闲钱的"),
    ),
    "overseas": (
        ("高薪招聘，海外客服月入三万", "出国打工包机票，无需学历", "东南亚招打字员，包吃住", "海外项目招人，会用电脑就行",
         "境外网络推广，提成无上限", "去柬埔寨上班，月薪两万起", "出境工作不用护照，有人带路", "缅北高薪，落地就签合同"),
        ("包吃包住", "报销路费", "无需经验", "落地即上岗", "月入过万"),
        ("想赚大钱的", "在家没出路的", "年轻人", "负债的兄弟"),
    ),
    "quack": (
        ("祖传秘方，糖尿病一个疗程断根", "三天瘦十斤，不节食不运动", "特效壮阳药，一粒管一夜", "癌症克星，民间偏方",
         "增高药，半年长十公分", "根治乙肝，转阴包退款", "不用手术，灵药化掉结石", "进口减肥胶囊，无副作用",
         "神药包治百病，停掉西药", "美白针，一针白三度"),
        ("无效退款", "纯中药", "国外进口", "内部渠道", "无副作用"),
        ("久治不愈的", "胖友们", "男士们", "被医院判了死刑的"),
    ),
    "sextest": (
        ("验血查男女，七周就能测", "寄血验性别，准确率九九", "B超看男女，私人诊所", "转胎药，包生儿子",
         "胎儿性别鉴定，香港渠道", "怀孕八周查男女，结果当天出"),
        ("隐私保密", "不准退款", "全国可寄", "当天出结果"),
        ("想要儿子的", "二胎妈妈们", "婆婆催生的", "宝妈们"),
    ),
    "touts": (
        ("专家号代挂，三甲医院都能挂", "加急床位，给钱就能住院", "黄牛代抢演唱会内场票", "火车票代抢，加钱必出",
         "代办住院插队", "名医号源，加价秒出"),
        ("加价可谈", "不成功退款", "当天出号", "内部关系"),
        ("挂不上号的", "着急看病的", "抢不到票的", "外地来看病的"),
    ),
    "cards": (
        ("收手机卡，一张给{n}", "出租银行卡，一天赚{n}", "收对公账户，高价", "办卡带卡出境，路费全包",
         "收电话卡支付宝账户，秒结", "卡农集合，日结佣金", "借你的卡走个流水，给好处费", "收U盾，越多越好"),
        ("日结", "安全无风险", "秒结", "不用你操作"),
        ("学生党", "缺钱的", "有闲置卡的", "兄弟们"),
    ),
    "poaching": (
        ("电鱼机大功率，一电一大片", "捕鸟网整卷出，鸟一撞就挂", "野猪夹子，带倒刺", "毒鱼药，撒下去全漂起来",
         "绝户网，鱼虾全兜", "捕鸟诱音器，夜里用", "电猫设备，打野兔专用", "粘鸟胶，粘住飞不走"),
        ("包邮", "隐蔽发货", "效果保证", "当天发"),
        ("钓友们", "打猎的", "懂行的", "老乡们"),
    ),
    "border": (
        ("代办护照，黑名单也能办", "偷渡过境，有人接应", "假签证，入境能用", "代办出国，不用本人到场",
         "出境带路，山路两小时", "身份证照片换人，出入境随便走"),
        ("包过", "安全到达", "保密", "先付一半"),
        ("出不去的", "被限制出境的", "想出国的", "懂的来"),
    ),
    "sugar": (
        ("包养学生妹，每月{n}千", "找干爹，甜蜜关系", "富婆求陪伴，一晚{n}千", "大学生兼职陪睡",
         "有偿陪玩，可线下", "养生会所大保健，新到技师", "足浴店全套，男士专享", "单身女寂寞求约，酒店等你"),
        ("真实靠谱", "可视频验证", "私密", "随叫随到"),
        ("老板们", "寂寞的", "单身男士", "今晚有空的"),
    ),
}  # fmt: skip

# benign kinds: (offers, promises, hooks); each shaped like a post, none harmful
BENIGN_KINDS: Kinds = {
    "family_chat": (
        ("过年家族群抢红包，手气最佳是小侄子", "群里发了个红包，大家新年快乐", "今晚家里打麻将，三缺一",
         "春节打牌输了二十块，开心就好", "公司年会抽奖，一等奖是扫地机器人", "同学群接龙报名聚餐",
         "红包已发，祝大家元宵快乐", "爷爷奶奶下午在公园打扑克"),
        ("哈哈", "下次再来", "大家随意", ""),
        ("家人们", "各位亲戚", "同学们", "今天"),
    ),
    "clubs": (
        ("老年活动中心象棋比赛报名", "社区桥牌俱乐部每周三活动", "围棋兴趣班招生，五岁起", "街道举办趣味麻将友谊赛，不设彩头",
         "钓鱼协会周末比赛，禁止电鱼", "观鸟协会组织湿地观鸟", "棋牌室禁止赌博，违者报警"),
        ("免费参加", "自愿报名", "有奖品", "文明娱乐"),
        ("【通知】", "居民朋友们", "棋友们", "各位会员"),
    ),
    "health": (
        ("三甲医院公众号可预约专家号", "社区医院家庭医生签约", "医院营养科开设减重门诊", "正规药店，处方药凭处方购买",
         "产科提醒：禁止非医学需要的胎儿性别鉴定", "糖尿病患者请遵医嘱用药，定期复查", "体检中心套餐优惠，报告可线上查",
         "医院提醒：号源只在官方渠道放出，谨防黄牛"),
        ("官方渠道", "遵医嘱", "医保可用", "实名就诊"),
        ("温馨提示", "患者朋友们", "【医院通知】", "市民们"),
    ),
    "jobs": (
        ("劳务派遣招聘，签正规合同，出国务工经备案", "海外工程项目招电焊工，持证上岗", "外企招聘客服，坐标上海",
         "驾校招聘教练，五险一金", "跨境电商招运营，有经验优先", "商场招聘导购，月休四天"),
        ("签合同", "五险一金", "正规备案", "面试通过后安排"),
        ("【招聘】", "求职的朋友", "应届生", "大家好"),
    ),
    "bank": (
        ("银行信用卡办理，年费首年免", "银行经营贷，年化利率以合同为准", "本行提醒：不要出租出借银行卡",
         "手机卡实名办理，营业厅带身份证", "银行网点周六正常营业", "消费贷利率公示，请理性借贷"),
        ("以合同为准", "理性消费", "实名办理", "官方网点"),
        ("【银行通知】", "尊敬的客户", "温馨提示", "各位储户"),
    ),
    "outdoor": (
        ("渔具店新到路亚竿，新手套装", "钓鱼场周末开放，按斤收费", "户外用品店帐篷睡袋打折", "禁渔期提醒，请勿非法捕捞",
         "农家乐可钓鱼烧烤", "护林员提醒：设置捕鸟网违法"),
        ("欢迎选购", "文明垂钓", "保护生态", "可预约"),
        ("钓友们", "户外爱好者", "【提醒】", "周末好去处"),
    ),
    "charity": (
        ("红十字会募捐，账目公开可查", "社区爱心义卖，收入捐给敬老院", "图书捐赠活动，旧书换新知",
         "公益组织招募支教志愿者", "献血车周六到小区门口"),
        ("公开透明", "自愿参与", "有收据", "感谢支持"),
        ("爱心人士", "邻居们", "【公益】", "大家好"),
    ),
    "travel": (
        ("出入境管理局可网上预约办护照", "旅行社签证代办，材料齐全按规定办理", "暑期出国游报名，正规旅行社",
         "演唱会门票官方渠道开售，实名购票", "火车票请在官方平台购买"),
        ("实名办理", "官方渠道", "按规定", "不加价"),
        ("【通知】", "游客朋友们", "温馨提示", "旅行的朋友"),
    ),
}  # fmt: skip

BENIGN_CONTACTS = (
    "电话{p}", "私聊", "看我主页", "留言必回", "详询{p}", "到店咨询", "公众号同名", "群里接龙", "联系张老师{p}",
    "小程序预约", "官网查询", "",
)  # fmt: skip


def generate(per_kind: int, seed: str, source: str) -> Iterator[Example]:
    """``per_kind`` posts of every harmful kind (with its code), then as many benign posts."""
    rng = random.Random(seed)
    seen: set[str] = set()
    for kind, text in posts(KINDS, per_kind * len(KINDS), CONTACTS, rng, seen, strip="，"):
        code = "A.1.f" if kind == "sugar" else "A.1.h"
        yield Example(_disguise(text, rng), source, "train", None, 1, code)
    for _, text in posts(
        BENIGN_KINDS, per_kind * len(KINDS), BENIGN_CONTACTS, rng, seen, strip="，"
    ):
        yield Example(text, source, "train", 0, 0)
