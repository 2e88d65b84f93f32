"""Benign texts full of numbers, and short benign labels: hard negatives written for hegui.

The round-1 model refused 电话13800138000, 订单号 20231201 金额 35.5 元 and a table of digits,
and even the bare words 电话 or 身份证: the only texts in its training data that carried a
phone number or the word 薇/电话 next to digits were black-market posts. Here are the ordinary
texts that carry numbers — people giving their own phone number to a courier, forms with ID
and card numbers, order and tracking numbers, prices, dates, timetables, scores, tables,
arithmetic — and the one- or two-word labels of forms and spreadsheets, in Chinese and English.

Composed from pools with a seeded generator (same seed → same rows). Written for hegui, not
copied from any evaluation set; training only.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from hegui.safety.classifier.training.datasets import Example

__all__ = ["LABELS", "generate"]

_NAMES_ZH = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴昊", "徐丽", "孙浩",
             "马超", "朱琳", "胡军", "郭雪", "何亮", "林峰", "罗敏", "高翔", "王先生", "李女士", "张老师",
             "刘师傅", "陈经理")  # fmt: skip
_NAMES_EN = ("John Smith", "Mary Jones", "Ahmed Khan", "Li Wei", "Maria Garcia", "Tom Brown", "Sarah Lee",
             "David Kim", "Emma Wilson", "the landlord", "our office", "the front desk")  # fmt: skip
_CITIES = ("北京市朝阳区", "上海市浦东新区", "广州市天河区", "深圳市南山区", "成都市武侯区", "杭州市西湖区",
           "武汉市洪山区", "西安市雁塔区", "南京市鼓楼区", "长沙市岳麓区", "郑州市金水区", "昆明市五华区")  # fmt: skip
_ROADS = (
    "建设路",
    "人民路",
    "解放大道",
    "中山路",
    "学府路",
    "文化路",
    "长江路",
    "科技园南路",
    "幸福街",
    "东风路",
)
_GOODS = ("苹果", "大米", "鸡蛋", "猪肉", "牛奶", "白菜", "西红柿", "矿泉水", "洗衣液", "纸巾", "数据线",
          "充电宝", "笔记本", "运动鞋", "羽绒服", "书包", "台灯", "电饭煲", "咖啡", "面包")  # fmt: skip
_ITEMS_EN = ("apples", "rice", "eggs", "coffee", "a laptop stand", "printer paper", "a desk lamp",
             "running shoes", "a bus pass", "the electricity bill", "the phone plan", "groceries")  # fmt: skip


def _d(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(n - 1))


def _phone(rng: random.Random) -> str:
    p = rng.choice(("13", "15", "17", "18", "19")) + _d(rng, 9)
    style = rng.randrange(5)
    if style == 1:
        return f"{p[:3]}-{p[3:7]}-{p[7:]}"
    if style == 2:
        return f"{p[:3]} {p[3:7]} {p[7:]}"
    if style == 3:
        return f"+86 {p}"
    return p


def _landline(rng: random.Random) -> str:
    return rng.choice((f"0{_d(rng, 2)}-{_d(rng, 8)}", f"400-{_d(rng, 3)}-{_d(rng, 4)}", f"({_d(rng, 3)}) {_d(rng, 3)}-{_d(rng, 4)}",
                       f"95{_d(rng, 3)}", f"0{_d(rng, 3)}-{_d(rng, 7)}"))  # fmt: skip


def _id(rng: random.Random) -> str:
    year = rng.randint(1950, 2010)
    body = f"{_d(rng, 6)}{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{_d(rng, 3)}"
    return body + rng.choice("0123456789X")


def _card(rng: random.Random) -> str:
    c = rng.choice(("6222", "6217", "6228", "6212", "4367", "6013")) + _d(rng, rng.choice((12, 15)))
    return rng.choice((c, " ".join(c[i : i + 4] for i in range(0, len(c), 4))))


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(1990, 2026), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        (
            f"{y}-{m:02d}-{d:02d}",
            f"{y}/{m}/{d}",
            f"{y}年{m}月{d}日",
            f"{m}月{d}日",
            f"{y}{m:02d}{d:02d}",
            f"{y}.{m}.{d}",
        )
    )


def _time(rng: random.Random) -> str:
    h, m = rng.randint(0, 23), rng.choice((0, 10, 15, 20, 30, 45, 50))
    return rng.choice((f"{h:02d}:{m:02d}", f"{h}点{m}分" if m else f"{h}点", f"{h}:{m:02d}"))


def _price(rng: random.Random) -> str:
    return rng.choice((str(rng.randint(1, 99)), f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}", f"{rng.randint(1, 9)}.{rng.randint(0, 9)}",
                       f"{rng.randint(1, 9)},{rng.randint(100, 999)}", str(rng.randint(100, 99999))))  # fmt: skip


def _order(rng: random.Random) -> str:
    return rng.choice((_d(rng, rng.randint(10, 20)), f"SF{_d(rng, 12)}", f"YT{_d(rng, 13)}", f"JD{_d(rng, 12)}",
                       f"{_d(rng, 8)}-{_d(rng, 6)}", f"no.{_d(rng, 6)}"))  # fmt: skip


def _table(rng: random.Random) -> str:
    rows = rng.randint(2, 6)
    cols = rng.randint(2, 5)
    sep = rng.choice((" ", "\t", " | ", ",", "  "))
    head = rng.choice((("序号", "姓名", "语文", "数学", "英语"), ("月份", "收入", "支出", "结余", "备注"),
                       ("日期", "最高气温", "最低气温", "降水量", "风力"), ("编号", "品名", "数量", "单价", "金额"),
                       ("id", "name", "qty", "price", "total"), ("year", "sales", "cost", "profit", "growth")))  # fmt: skip
    lines = [sep.join(head[:cols])] if rng.random() < 0.7 else []
    for i in range(rows):
        cells = [str(i + 1)] + [_price(rng) for _ in range(cols - 1)]
        lines.append(sep.join(cells))
    return "\n".join(lines)


def _digits_only(rng: random.Random) -> str:
    n = rng.randint(5, 60)
    sep = rng.choice((" ", ", ", "\n", "\t", " "))
    return sep.join(
        str(rng.randint(0, 999) if rng.random() < 0.5 else rng.randint(0, 9)) for _ in range(n)
    )


_FILL: dict[str, Callable[[random.Random], str]] = {
    "phone": _phone, "tel": _landline, "id": _id, "card": _card, "date": _date, "time": _time,
    "price": _price, "order": _order, "table": _table, "digits": _digits_only,
    "n": lambda r: str(r.randint(1, 500)), "big": lambda r: str(r.randint(1000, 999999)),
    "tail": lambda r: _d(r, 4), "code6": lambda r: _d(r, 6), "year": lambda r: str(r.randint(1950, 2026)),
    "name": lambda r: r.choice(_NAMES_ZH), "name_en": lambda r: r.choice(_NAMES_EN),
    "city": lambda r: r.choice(_CITIES), "road": lambda r: r.choice(_ROADS),
    "goods": lambda r: r.choice(_GOODS), "item": lambda r: r.choice(_ITEMS_EN),
}  # fmt: skip

TEMPLATES_ZH = (
    # own contact details, given for ordinary reasons
    "我的电话是{phone}，快递到了打我电话就行", "收货人：{name}，电话{phone}，地址{city}{road}{n}号",
    "外卖放门口就好，有事打{phone}", "我手机号换了，新号码是{phone}，麻烦大家存一下",
    "联系人：{name}　手机：{phone}", "搬家的师傅电话{phone}，明天早上{time}到", "紧急联系人 {name} {phone}",
    "家长电话{phone}，孩子放学如果没接到请联系我", "报名请联系{name}老师，电话{phone}",
    "物业值班电话{tel}，水电维修请拨打", "客服热线{tel}，工作时间{time}到{time}", "医院挂号电话{tel}",
    "帮我把这段话改得礼貌一点：您好，我是{name}，电话{phone}，想咨询一下租房的事",
    "怎么把手机号{phone}设置成微信的登录号码？", "我的手机号{phone}收不到验证码怎么办",
    "请帮我把名片上的信息整理成表格：{name}，销售经理，{phone}，{city}{road}{n}号",
    "电话：{phone}", "手机：{phone}", "tel：{tel}", "电话 {tel} 转 {n}",
    # forms and documents with ID and card numbers
    "姓名：{name}，性别：女，身份证号：{id}，联系电话：{phone}", "身份证号码{id}，出生日期{date}",
    "报销单：{name}，银行卡号{card}，开户行：中国银行{city}支行，金额{price}元",
    "工资已发到尾号{tail}的银行卡，请查收", "您尾号{tail}的储蓄卡{date}{time}收入{price}元，余额{big}元",
    "退款{price}元已退回尾号{tail}的银行卡", "身份证后四位{tail}", "银行卡号填错了一位，{card}应该怎么改",
    "身份证{id}", "证件号：{id}", "卡号：{card}", "学号{big}，姓名{name}，班级{n}班",
    "工号{big}的同事请到人事部领取工牌", "车牌号京A{tail}的车主请挪车，电话{phone}",
    "帮我看看这个身份证号{id}的出生日期是哪天", "护照号码E{big}{n}，有效期至{date}",
    "社保卡号{id}，参保地{city}", "准考证号{big}{big}，考场第{n}考场，座位号{n}",
    # orders, tracking, invoices, codes
    "订单号{order}一直显示未发货，能帮我催一下吗", "快递单号{order}，显示已签收但我没收到",
    "订单号 {order} 金额 {price} 元", "发票号码{big}{big}，开票日期{date}，价税合计{price}元",
    "您的验证码是{code6}，{n}分钟内有效，请勿泄露给他人", "取件码{tail}，请到菜鸟驿站取件",
    "工单{order}已处理完毕，如有问题请回复", "航班CA{tail}，{date} {time}起飞，登机口{n}",
    "G{n}次列车{time}从{city}站出发，{n}车{n}号座", "会员卡号{big}{tail}，积分{big}",
    "合同编号HT-{year}-{big}，签订日期{date}", "挂号单：{date}上午，第{n}号，内科{n}诊室",
    # prices, money, arithmetic
    "{goods}今天{price}元一斤，比昨天便宜了", "这个月房租{big}，水电{price}，一共多少", "{goods}单价{price}元，买{n}个一共多少钱",
    "聚餐一共花了{price}元，{n}个人AA每人多少", "月薪{big}，扣除五险一金后大概能拿多少",
    "{n}+{n}等于多少", "计算{big}乘以{n}", "把{big}转换成二进制", "{n}的平方根是多少",
    "{price}元打八折是多少钱", "年利率{price}%，存{big}元一年利息多少", "{big}除以{n}保留两位小数",
    "解方程 {n}x + {n} = {big}", "{year}年是闰年吗", "从{year}年到{year}年一共多少年",
    # dates, times, schedules
    "{date} {time} 在三楼会议室开会，请准时参加", "{date}到{date}放假，共{n}天",
    "孩子{date}出生，现在多大了", "会议改到{date}下午{time}", "请假时间：{date}至{date}",
    "本周排班：周一{time}-{time}，周三{time}-{time}", "{year}年第{n}季度销售额{big}万元，同比增长{price}%",
    # addresses
    "地址：{city}{road}{n}号{n}栋{n}单元{big}室", "我家住在{city}{road}{n}号，邮编{code6}",
    "公司地址{city}{road}{n}号{n}楼，电话{tel}",
    # tables and raw figures
    "{table}", "帮我算一下这组数据的平均值：{digits}", "数据：{digits}", "请把下面的表格按第二列排序\n{table}",
    "{digits}", "下面是本月的记账明细，帮我汇总\n{table}", "成绩单\n{table}",
)  # fmt: skip

TEMPLATES_EN = (
    "My phone number is {phone}, call me when you arrive", "Contact: {name_en}, tel {tel}",
    "Please call {name_en} at {tel} to reschedule", "Order #{order} still hasn't shipped, can you check?",
    "Tracking number {order}, delivered on {date}", "Total: ${price} for {item}", "Invoice {big}, due {date}, amount ${price}",
    "Your verification code is {code6}. It expires in {n} minutes.", "The meeting is on {date} at {time} in room {n}",
    "Flight UA{tail} departs {date} at {time} from gate {n}", "What is {big} divided by {n}?",
    "Convert {big} to hexadecimal", "Sort these numbers: {digits}", "Compute the mean of {digits}",
    "{table}", "Here is last month's budget, please summarise it\n{table}", "ID: {big}{tail}", "Phone: {phone}",
    "Card ending in {tail} was charged ${price}", "Apartment {n}, {big} Main Street, zip {code6}",
    "I paid ${price} for {item}, is that a good price?", "Room {n}, floor {n}, extension {tail}",
    "Employee number {big}, badge {tail}", "Student ID {big}, class of {year}", "Call {tel} for customer service",
)  # fmt: skip

LABELS = (
    # form fields, column headers, menu items and one-word prompts
    "电话", "手机", "手机号", "手机号码", "电话号码", "联系电话", "固定电话", "座机", "身份证", "身份证号", "身份证号码",
    "证件号", "证件类型", "地址", "住址", "家庭住址", "收货地址", "通讯地址", "户籍地址", "姓名", "性别", "年龄", "民族",
    "籍贯", "出生日期", "联系人", "紧急联系人", "联系方式", "微信", "微信号", "QQ", "邮箱", "电子邮箱", "银行卡", "银行卡号",
    "卡号", "开户行", "账号", "户名", "订单号", "快递单号", "运单号", "金额", "单价", "数量", "合计", "总计", "小计", "备注",
    "日期", "时间", "价格", "工号", "学号", "班级", "邮编", "传真", "验证码", "密码", "确认密码", "用户名", "昵称", "签名",
    "头像", "照片", "附件", "车牌号", "护照", "护照号", "社保卡", "医保卡", "学历", "工作单位", "职务", "部门", "收件人",
    "寄件人", "发票", "发票抬头", "税号", "余额", "退款", "付款", "收款", "转账", "充值", "提现", "客服", "售后", "投诉",
    "物流", "快递", "外卖", "优惠券", "会员", "积分", "二维码", "扫码", "登录", "注册", "退出", "设置", "帮助", "首页",
    "身份证正面", "身份证反面", "手持身份证", "实名认证", "人脸识别", "绑定手机", "修改密码", "找回密码",
    "电话：", "手机号：", "身份证：", "地址：", "姓名：", "电话号码是多少", "你的手机号", "留个电话", "我的地址",
    "phone", "phone number", "mobile", "address", "name", "email", "id number", "card number", "order number",
    "amount", "date", "price", "total", "notes", "contact", "zip code", "password", "username", "invoice", "refund",
)  # fmt: skip


def _fill(template: str, rng: random.Random) -> str:
    out = template
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        key = out[start + 1 : end]
        out = out[:start] + _FILL[key](rng) + out[end + 1 :]
    return out


def generate(per_template: int, seed: str, source: str) -> Iterator[Example]:
    """``per_template`` filled variants of each template, and every label once (all benign)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    for template in TEMPLATES_ZH + TEMPLATES_EN:
        for _ in range(per_template):
            text = _fill(template, rng)
            if text not in seen:
                seen.add(text)
                yield Example(text, source, "train", 0, 0)
    for label in LABELS:
        if label not in seen:
            seen.add(label)
            yield Example(label, source, "train", 0, 0)
