"""Receipt forms laid out like the seed (内部明电 header table, then the telegram), rendered with Pillow and a
CJK font, and degraded the ways paper reaches the desk: clean 200 dpi, fax-like, phone-photo-like.

Used by bench/ocr_bench.py (full pages) and tests/ocr (a small header strip). Deterministic: every random
choice comes from a seeded generator.
"""
from __future__ import annotations

import io
import random
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@lru_cache(maxsize=1)
def font_path() -> str | None:
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            return path
    if shutil.which("fc-match"):
        out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh"], capture_output=True, text=True).stdout
        if out and Path(out).exists():
            return out
    return None


@dataclass(frozen=True)
class Telegram:
    receipt_no: str
    sender_unit: str
    precedence: str
    received: str  # as printed: 2020年5月1日21时36分
    received_at: str  # ISO, what the parser should read
    title: str
    instruction: str
    sending_unit: str
    doc_no: str
    addressees: str
    body: tuple[str, ...]
    signatory: str
    signed: str

    def key_fields(self) -> dict[str, str]:
        """The seven fields the issue counts (parse_telegram names): 收文号 … 发电字号."""
        return {"receipt_no": self.receipt_no, "sender_unit": self.sender_unit, "precedence": self.precedence,
                "received_at": self.received_at, "title": self.title, "instruction": self.instruction,
                "sender_doc_no": self.doc_no}


SEED = Telegram(
    receipt_no="宁机明收[2020]744号", sender_unit="中华全国总工会办公厅", precedence="特提",
    received="2020年5月1日21时36分", received_at="2020-05-01T21:36:00+08:00",
    title="中华全国总工会关于学习宣传贯彻习近平总书记给郑州圆方集团职工回信精神的通知",
    instruction="送：自治区总工会。", sending_unit="中华全国总工会", doc_no="工发电〔2020〕7号",
    addressees="各省、自治区、直辖市总工会，各全国产业工会，中央和国家机关工会联合会，全总各部门、各直属单位：",
    body=("4月30日，在“五一”国际劳动节来临之际，习近平总书记给郑州圆方集团职工回信，向他们并向全国各族劳动群众致以"
          "节日的问候，充分肯定广大劳动群众为抗击新冠肺炎疫情和经济社会发展作出的突出贡献并寄予殷切期望。",
          "一、提高政治站位，深刻理解把握习近平总书记回信的精神实质和重大意义",
          "各级工会要进一步增强政治责任感、历史使命感和工作紧迫感，周密部署安排，狠抓工作落实。"),
    signatory="中华全国总工会办公厅", signed="2020年5月1日",
)
FLOOD = Telegram(
    receipt_no="宁机明收[2023]1056号", sender_unit="国务院办公厅", precedence="特急",
    received="2023年7月12日9时5分", received_at="2023-07-12T09:05:00+08:00",
    title="国务院办公厅关于切实做好当前防汛救灾工作的通知",
    instruction="请自治区应急管理厅牵头，自治区水利厅配合办理。", sending_unit="国务院办公厅", doc_no="国办发明电〔2023〕9号",
    addressees="各省、自治区、直辖市人民政府，国务院各部委、各直属机构：",
    body=("当前我国已全面进入主汛期，部分地区降雨偏多、江河水位上涨，防汛形势严峻复杂。为切实做好防汛救灾工作，"
          "保障人民群众生命财产安全，经国务院同意，现就有关事项通知如下。",
          "一、压紧压实防汛责任",
          "各地区要严格落实以行政首长负责制为核心的防汛责任制，主要负责同志要靠前指挥，层层压实责任。"),
    signatory="国务院办公厅", signed="2023年7月11日",
)
TELEGRAMS = (SEED, FLOOD)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines, current = [], ""
    for ch in text:
        # Closing punctuation never starts a line (it may run into the margin, as typesetters do).
        if draw.textlength(current + ch, font=font) > width and ch not in "，。、：；！？）」”":
            lines.append(current)
            current = ch
        else:
            current += ch
    return [*lines, current] if current else lines


def render_form(t: Telegram, *, dpi: int = 200, header_only: bool = False) -> tuple[Image.Image, list[str]]:
    """(greyscale page, the text lines as printed, in reading order) for an A4 receipt form at `dpi`."""
    path = font_path()
    if path is None:
        raise RuntimeError("no CJK font found (fonts-noto-cjk or fonts-wqy-microhei)")
    mm = dpi / 25.4
    width, height = int(210 * mm), int((120 if header_only else 297) * mm)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    pt = dpi / 72
    big, normal, small = (ImageFont.truetype(path, int(s * pt)) for s in (22, 12, 10.5))
    margin, y = int(20 * mm), int(15 * mm)
    printed: list[str] = []

    def text(x: float, s: str, font, *, centre: bool = False, right: bool = False) -> None:
        w = draw.textlength(s, font=font)
        xx = (width - w) / 2 if centre else (width - margin - w if right else x)
        draw.text((xx, y), s, font=font, fill=0)

    text(0, "内部明电", big, centre=True)
    printed.append("内部明电")
    y += int(14 * mm)
    text(0, t.receipt_no, normal, right=True)
    printed.append(t.receipt_no)
    y += int(9 * mm)
    label_w, row_h = int(32 * mm), int(10 * mm)
    right_edge = width - margin
    rows = [("来电单位", [t.sender_unit]), ("等级", [f"{t.precedence} 明电   收报时间：{t.received}"]),
            ("标 题", _wrap(draw, t.title, normal, right_edge - margin - label_w - int(6 * mm))),
            ("领导批示", [""]), ("批 办", _wrap(draw, t.instruction, normal, right_edge - margin - label_w - int(6 * mm)))]
    for label, values in rows:
        top = y
        line_gap = int(6.5 * mm)  # a wrapped value runs at 1.5 line spacing inside its cell
        bottom = top + max(row_h * (2 if label == "领导批示" else 1), row_h + line_gap * (len(values) - 1))
        draw.rectangle([margin, top, right_edge, bottom], outline=0, width=2)
        draw.line([margin + label_w, top, margin + label_w, bottom], fill=0, width=2)
        y = top + int(2.5 * mm)
        text(margin + int(3 * mm), label, normal)
        for n, value in enumerate(values):
            y = top + int(2.5 * mm) + n * line_gap
            text(margin + label_w + int(3 * mm), value, normal)
        printed.append(f"{label}{values[0]}" if values[0] else label)
        printed.extend(values[1:])
        y = bottom
    if not header_only:
        y += int(10 * mm)
        for line, font in (("中央和国家机关发电", big), (f"发电单位 {t.sending_unit}", normal), ("签发盖章", normal),
                           (f"等级 {t.precedence}·明电 {t.doc_no}", normal)):
            text(0, line, font, centre=font is big) if font is big else text(margin, line, font)
            printed.append(line)
            y += int((14 if font is big else 9) * mm)
        for line in _wrap(draw, t.title, normal, width - 2 * margin - int(20 * mm)):
            text(0, line, normal, centre=True)
            printed.append(line)
            y += int(8 * mm)
        y += int(3 * mm)
        blocks = [(t.addressees, 0)] + [(p, 2) for p in t.body]
        for para, indent in blocks:
            # The first line is indented; wrapping every line to the indented width keeps it simple.
            for n, line in enumerate(_wrap(draw, para, small, width - 2 * margin - indent * int(4 * mm))):
                text(margin + (indent * int(4 * mm) if n == 0 else 0), line, small)
                printed.append(line)
                y += int(6.5 * mm)
        y += int(6 * mm)
        for line in (t.signatory, t.signed):
            text(0, line, small, right=True)
            printed.append(line)
            y += int(6.5 * mm)
    return page, printed


def as_text(t: Telegram, printed: list[str]) -> str:
    return "\n".join(printed)


def clean(page: Image.Image) -> bytes:
    buf = io.BytesIO()
    page.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def fax(page: Image.Image, *, seed: int = 1) -> bytes:
    """Grey paper and toner, rotated 1.5°, 150 dpi, blurred, JPEG quality 50."""
    rng = random.Random(seed)
    img = page.point(lambda v: 70 + v * (215 - 70) // 255)  # grey toner on grey paper
    img = img.rotate(1.5, resample=Image.BICUBIC, expand=True, fillcolor=215)
    img = img.resize((int(img.width * 0.75), int(img.height * 0.75)), Image.BILINEAR)  # 200 → 150 dpi
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    pixels = img.load()
    for _ in range(img.width * img.height // 400):  # specks
        pixels[rng.randrange(img.width), rng.randrange(img.height)] = rng.choice((40, 240))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=50)
    return buf.getvalue()


def phone(page: Image.Image, *, seed: int = 2) -> bytes:
    """A phone photo: perspective, uneven light from one side, 3° turn, softer focus, JPEG quality 80."""
    rng = random.Random(seed)
    w, h = page.size
    img = page.convert("RGB")
    d = [rng.uniform(0.02, 0.05) for _ in range(4)]
    quad = (w * d[0], h * d[1], w * d[2], h * (1 - d[3]), w * (1 - d[1]), h * (1 - d[0]), w * (1 - d[3]), h * d[2])
    img = img.transform((w, h), Image.QUAD, quad, resample=Image.BICUBIC, fillcolor=(120, 110, 100))
    img = img.rotate(-3, resample=Image.BICUBIC, expand=True, fillcolor=(120, 110, 100))
    light = Image.linear_gradient("L").rotate(90).resize(img.size)
    shade = Image.merge("RGB", [light.point(lambda v: 150 + v * 105 // 255)] * 3)
    img = Image.composite(img, Image.new("RGB", img.size, (0, 0, 0)), shade.convert("L"))
    img = ImageOps.autocontrast(img, cutoff=1).filter(ImageFilter.GaussianBlur(1.0))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def as_pdf(page: Image.Image, *, dpi: int = 200) -> bytes:
    buf = io.BytesIO()
    page.convert("RGB").save(buf, "PDF", resolution=dpi)
    return buf.getvalue()
