"""Rebuild the CJK fonts shipped in the package (dev-time only).

Full CJK fonts are 10–20 MB, too large to commit, so we keep only the glyphs that are needed.
Reproduce with::

    apt-get install -y fonts-noto-cjk && pip install fonttools
    python scripts/subset_font.py                 # labeling notice font
    python scripts/subset_font.py --target report # assessment report font

``report``: Noto Sans CJK SC Regular (face 2 of NotoSansCJK-Regular.ttc, SIL OFL 1.1) cut to
the 6,763 hanzi and the symbols of GB 2312, Latin-1, general and CJK punctuation, full-width
forms and every character of the shipped question banks and report templates; renamed
"Hegui Report Sans", written to ``src/hegui/assess/fonts/`` with ``report-chars.txt``.

Source: Noto Sans CJK SC Bold (face 2 of NotoSansCJK-Bold.ttc, SIL OFL 1.1). The family is
renamed to "Hegui Notice Sans" because a modified font should not pose as the original.
The exact character set is written next to the font as ``notice-chars.txt``; the image and
video labellers read it to reject notices they could not render.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
FACE = 2  # Noto Sans CJK SC Bold
OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "hegui" / "labeling" / "fonts"
FAMILY = "Hegui Notice Sans"

# Words found in AI-content notices (GB 45438 Annex C style) and in typical product wording.
NOTICE_WORDS = (
    "人工智能生成合成内容由本回答图片图像照片画面音频声音语音视频影像文字文本虚拟场景"
    "此该以下上述部分全部均可能疑似系统模型服务提供深度算法技术制作创作输出"
    "标识提示注意请勿仅供参考真实性未经核实谨慎甄别使用者用户平台智能助手机器"
    "数字人主播客服对话聊天问答翻译摘要写作绘画配音新闻资讯广告营销"
    "中国华为阿里腾讯百度字节有限公司科技网络信息"
    "的了是和与及或在为于对中有无已被经请您我们你他它们这那个一二三四五六七八九十零"
    "年月日时分秒第页版号条款规定办法标准要求"
)
ASCII = "".join(chr(c) for c in range(0x20, 0x7F))
PUNCT = "，。、；：？！“”‘’（）【】《》〈〉「」『』…—～·￥％＋－＝／　"
FULLWIDTH_LATIN = "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ０１２３４５６７８９"


def charset() -> str:
    """Every character the shipped font covers, sorted and de-duplicated."""
    return "".join(sorted(set(NOTICE_WORDS + ASCII + PUNCT + FULLWIDTH_LATIN)))


def subset_face(
    source: Path, face: int, text: str, family: str, style: str, target: Path, lean: bool = False
) -> Path:
    """Cut face ``face`` of the collection ``source`` to ``text``, rename it ``family``.

    ``lean`` drops hinting and the OpenType layout tables (kerning, vertical forms, locale
    variants): 1.5 MB instead of 3.4 MB for the report's 7,800 characters, and horizontal CJK
    text set by a PDF renderer needs none of them."""
    font = TTCollection(str(source)).fonts[face]
    options = subset.Options()
    options.layout_features = [] if lean else ["*"]
    options.hinting = not lean
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    names = font["name"]
    postscript = family.replace(" ", "") + "-" + style
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 16):
            names.setName(
                family if record.nameID != 4 else f"{family} {style}",
                record.nameID,
                record.platformID,
                record.platEncID,
                record.langID,
            )
        elif record.nameID == 6:
            names.setName(postscript, 6, record.platformID, record.platEncID, record.langID)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(target))
    return target


def build(source: Path, out_dir: Path) -> Path:
    """Subset ``source`` to :func:`charset`, rename it and write font + character list."""
    target = subset_face(
        source, FACE, charset(), FAMILY, "Bold", out_dir / "HeguiNoticeSans-Bold.otf"
    )
    (out_dir / "notice-chars.txt").write_text(charset(), encoding="utf-8")
    return target


REPORT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
REPORT_DIR = Path(__file__).resolve().parents[1] / "src" / "hegui" / "assess" / "fonts"


def report_charset() -> str:
    """GB 2312 (all 94×94 rows that decode), Latin-1, punctuation, full-width forms, and every
    character of the shipped banks and report templates."""
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
    chars |= {chr(c) for c in range(0x2000, 0x2070)} | {chr(c) for c in range(0x2190, 0x2200)}
    chars |= {chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF01, 0xFF5F)}
    chars |= {"≥", "≤", "±", "×", "÷", "√", "∞", "°", "℃", "…", "✓", "✗", "●", "○", "■", "□"}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):  # unassigned GB 2312 positions
                chars.add(bytes([hi, lo]).decode("gb2312"))
    assess = REPORT_DIR.parent
    for path in [*assess.glob("banks/*.jsonl"), *assess.glob("templates/*"), *assess.glob("*.py"),
                 *assess.glob("data/*.toml")]:  # fmt: skip
        chars |= set(path.read_text(encoding="utf-8"))
    return "".join(sorted(c for c in chars if c.isprintable() or c == " "))


def build_report(source: Path, out_dir: Path) -> Path:
    text = report_charset()
    target = subset_face(source, FACE, text, "Hegui Report Sans", "Regular",
                         out_dir / "HeguiReportSans-Regular.otf", lean=True)  # fmt: skip
    (out_dir / "report-chars.txt").write_text(text, encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("notice", "report"), default="notice")
    parser.add_argument("--source", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.target == "report":
        target = build_report(args.source or REPORT_SOURCE, args.out or REPORT_DIR)
        count = len(report_charset())
    else:
        target = build(args.source or SOURCE, args.out or OUT_DIR)
        count = len(charset())
    print(f"wrote {target} ({target.stat().st_size / 1024:.0f} KiB, {count} characters)")


if __name__ == "__main__":
    main()
