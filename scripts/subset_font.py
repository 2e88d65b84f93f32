"""Rebuild the notice font shipped in ``src/hegui/labeling/fonts/`` (dev-time only).

Full CJK fonts are 10–20 MB, too large to commit, so we keep only the glyphs that visible
AI-content notices use. Reproduce with::

    apt-get install -y fonts-noto-cjk && pip install fonttools
    python scripts/subset_font.py

Source: Noto Sans CJK SC Bold (face 2 of NotoSansCJK-Bold.ttc, SIL OFL 1.1). The family is
renamed to "Hegui Notice Sans" because a modified font should not pose as the original.
The exact character set is written next to the font as ``notice-chars.txt``; the image and
video labellers read it to reject notices they could not render.
"""

from __future__ import annotations

import argparse
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


def build(source: Path, out_dir: Path) -> Path:
    """Subset ``source`` to :func:`charset`, rename it and write font + character list."""
    font = TTCollection(str(source)).fonts[FACE]
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=charset())
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 16):
            names.setName(FAMILY if record.nameID != 4 else f"{FAMILY} Bold", record.nameID,
                          record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            names.setName("HeguiNoticeSans-Bold", 6, record.platformID, record.platEncID,
                          record.langID)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "HeguiNoticeSans-Bold.otf"
    font.save(str(target))
    (out_dir / "notice-chars.txt").write_text(charset(), encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    target = build(args.source, args.out)
    print(f"wrote {target} ({target.stat().st_size / 1024:.0f} KiB, {len(charset())} characters)")


if __name__ == "__main__":
    main()
