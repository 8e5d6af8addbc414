"""Text → fields parser for received plain telegrams (明电).

Pure Python (stdlib + zoneinfo + OpenCC's converter), no Django imports: the paste form, OCR, the
``parse_telegram`` command and offline tools share it. ``parse`` never raises anything but
``TelegramParseError`` (a ``ValueError`` with a Chinese message for the clerk).

It reads the way a careful clerk does: first it cleans what the copy added (traditional script → simplified,
OCR's ASCII punctuation and bracket styles, O/l for 0/1 in numbers, line breaks that were lost, a sender's
number broken across lines or glued to the title, page furniture — breadcrumbs, share buttons, publication
lines, footers), then it *scores* candidate lines for 主送, title and signature rather than trusting one
position.

Rules a reviewer should know
----------------------------
* Normalising: OpenCC t2s on the whole text (the register keeps simplified characters; the scan or file is the
  record of the printed form); ASCII ``: , ; ( )`` next to Chinese become full-width; O/o/l/I inside a
  number's year or sequence become digits.
* A text whose breaks were lost (five lines or fewer, one of them 120+ characters) gets them back before
  labels, around banners, stamps and numbers, around the 主送 list, before headings that follow a sentence,
  and around the closing signature and date.
* Page furniture (当前位置/首页 > …, 分享到：, 【打印】, 发布时间/来源/浏览次数, 上一篇/下一篇, 版权所有, ICP备,
  责任编辑, page numbers "—2—", a news agency's "新华社北京…电" lead line) is never a title, a 主送 line or a
  signature; trailing furniture is dropped before the signature is looked for.
* Labels (来电单位, 等级, 收报时间, 标题, 领导批示, 批办, 发电单位, 主送, 抄送 …) may have spaces
  between their characters ("标 题", "领 导 批 示") and be followed by "：", ":", a tab, spaces or
  nothing. A label counts at the start of a line, after whitespace/punctuation, or anywhere when
  a colon follows it; several labels may share a line. Box-drawing characters count as spaces.
* The first occurrence of a label wins (the receipt header comes before the telegram, so its
  等级 beats the telegram's own 等级 line).
* 标题, 领导批示 and 批办 continue onto following lines until a blank line, another label or a
  structural line (文号, "…发电", "…专用章"). A label with an empty value takes the next line.
* Numbers "X[2020]N号": a prefix containing 收 (宁机明收) is the receipt number (kept as printed,
  ［］→[]); a prefix containing 发 or ending in 电/函 is the sender's number (brackets → 〔〕);
  otherwise the receipt header part (before 发电单位 / "…发电") decides.
* The 主送 line is a line labelled 主送, or else the first line after the last header label that
  ends with "：", is not a sentence (no 。！？, not "…如下：") nor furniture, and names units (a piece ends
  like a unit, or it starts with 各/有关). A list wrapped by OCR pulls in the lines above it that read as
  part of the list. Without it there is no body.
* 主送/抄送 lists split on ，,；; always (outside brackets) but on 、 only when every piece is a
  complete unit name: it ends with a unit suffix (会/厅/局/委/部/办/院/…/中心/公司) and no later
  piece starts with a generic word (各/有关/所属…) that leans on a shared qualifier. So
  "各省、自治区、直辖市总工会" and "全总各部门、各直属单位" stay whole, "财政厅、教育厅" splits.
* Signature: the date line (2020年5月1日, 2023-07-12, 二〇二〇年五月一日) among the last four
  non-blank lines before 抄送, with the short unpunctuated line(s) above it (or before it on the
  same line) as the signatory; several signing units are joined with "、". Lines between the date
  and 抄送 (e.g. "（此件公开发布）") are dropped.
* Body: lines between 主送 and the signature; a line that ends without sentence punctuation is
  joined to the next (OCR/page-break splits) unless either is a heading (一、 （一） 1. 一是 …
  without 。). Paragraphs are joined with "\\n". Spaces between CJK characters are removed in
  every value (OCR artefacts).
* Title without a 标题 label: the best-scoring block of one to three lines above the 主送 line (关于,
  ending in 通知/通报/意见/…, no sentence punctuation, closeness), after stripping an index prefix
  ("17.") and 《》 with a date after them.
* sending_unit without a 发电单位 (发文机关, 发布部门) label: the signatory, else the title's part before 关于
  when it ends like a unit. classification without a 明电/密电 mark: 明电 when the sender's number has 明电.
* A 批办/标题/领导批示 wrapped onto more lines keeps the punctuation at each wrap.
* 收报时间 without a year takes the year of ``now`` (the previous one if that lands in the future).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import opencc

SHANGHAI = ZoneInfo("Asia/Shanghai")

FIELD_NAMES: tuple[str, ...] = (
    "receipt_no",
    "sender_unit",
    "precedence",
    "classification",
    "received_at",
    "title",
    "annotation",
    "instruction",
    "sending_unit",
    "sender_doc_no",
    "addressees",
    "body",
    "signatory",
    "signed_on",
    "cc",
)
PRECEDENCES: tuple[str, ...] = ("特提", "特急", "加急", "平急")
CLASSIFICATIONS: tuple[str, ...] = ("明电", "密电")
# Far beyond any telegram; keeps a pasted binary or a runaway upload from pinning a worker.
MAX_TEXT_CHARS = 1_000_000


class TelegramParseError(ValueError):
    """The text cannot be read as a telegram; ``str(exc)`` is a Chinese message for the user."""


@dataclass
class ParsedTelegram:
    receipt_no: str | None = None
    sender_unit: str | None = None
    precedence: str | None = None
    classification: str | None = None
    received_at: datetime | None = None
    title: str | None = None
    annotation: str | None = None
    instruction: str | None = None
    sending_unit: str | None = None
    sender_doc_no: str | None = None
    addressees: list[str] = field(default_factory=list)
    body: str | None = None
    signatory: str | None = None
    signed_on: date | None = None
    cc: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, object]:
        """The ``parse_telegram --json`` contract: exactly FIELD_NAMES, ISO times, null or []."""
        out: dict[str, object] = {}
        for name in FIELD_NAMES:
            value = getattr(self, name)
            if isinstance(value, (datetime, date)):
                value = value.isoformat()
            elif isinstance(value, list):
                value = list(value)
            out[name] = value
        return out


# ---------------------------------------------------------------------------------------------
# Character classes and small helpers

_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2018-\u201f\u2026\u00b7\u2022"
_CJK_SPACE_RE = re.compile(f"(?<=[{_CJK}])[ \\t]+(?=[{_CJK}])")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_BOX_RE = re.compile("[\u2500-\u257f]")
_ZERO_WIDTH_RE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_SPACES = str.maketrans({"\u3000": " ", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " "})
# ASCII punctuation OCR and web copies put next to Chinese text, and its full-width form.
_HAN_CLASS = "[\u3400-\u4dbf\u4e00-\u9fff]"
_ASCII_PUNCT_RES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(f"(?<={_HAN_CLASS})[ \t]*:|:(?=[ \t]*{_HAN_CLASS})"), "："),
    (re.compile(f"(?<=[{_HAN_CLASS[1:-1]}）)]),(?=[ \t]*[{_HAN_CLASS[1:-1]}（(])"), "，"),
    (re.compile(f"(?<={_HAN_CLASS});"), "；"),
)
# "(局)" → "（局）": ASCII parentheses around Chinese; a bare "(2024)" stays for the number pattern.
_ASCII_PARENS_RE = re.compile(r"\(([^()\n]{1,30})\)")
# O/o/l/I read for 0/1 inside a number's year or sequence ("宁机明收[2O23]1187号", "[2024]O388号").
_OCR_NUMBER_RE = re.compile(r"([\[［〔【(（][ \t]*)([0-9OoIl]{4})([ \t]*[\]］〕】)）][ \t]*)([0-9OoIl]{1,6})(?=[ \t]*号)")
_OCR_YEAR_RE = re.compile(r"(?<![A-Za-z0-9])([12][0-9OoIl]{3})(?=[ \t]*年)")
_OCR_DIGITS = str.maketrans("OoIl", "0011")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _ocr_digits(m: re.Match[str]) -> str:
    groups = list(m.groups())
    if not any(c.isdigit() for c in "".join(g for g in groups if g)):
        return m.group(0)
    return "".join((g.translate(_OCR_DIGITS) if k in (1, 3) else g) for k, g in enumerate(groups) if g is not None)

_TERMINAL_RE = re.compile(r"[。！？!?；;：:…]+[”’」』）)]*$")
_HEADING_RE = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、．.]|[（(][一二三四五六七八九十\d]{1,3}[）)]"
    r"|\d{1,3}[.．、](?!\d)|[一二三四五六七八九十]+是|第[一二三四五六七八九十\d]+[条章节部分、，,]|[①-⑳])"
)
_SENTENCE_PUNCT = set("。！？!?")
_SIGNATURE_FORBIDDEN = set("。，,；;！？!?：:")

_UNIT_SUFFIXES: tuple[str, ...] = (
    "会", "厅", "局", "委", "部", "办", "院", "室", "处", "司", "团", "位", "组", "行", "所", "馆",
    "站", "队", "社", "校", "署", "府", "台", "军", "科", "厂", "构", "中心", "公司", "大学",
)  # fmt: skip
_GENERIC_PREFIXES: tuple[str, ...] = ("各", "有关", "其他", "其它", "所属", "直属", "相关", "以上")


def _collapse(s: str) -> str:
    """Strip and drop the spaces OCR leaves between CJK characters."""
    return _CJK_SPACE_RE.sub("", s.strip())


def _smart_join(parts: list[str]) -> str:
    out = ""
    for part in parts:
        if out and part and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum():
            out += " "
        out += part
    return out


def _clean_value(s: str, *, keep_period: bool = False, wrapped: bool = False) -> str:
    """A label's value cleaned; ``wrapped``: a line the value continues after, which keeps its punctuation."""
    s = _collapse(s.replace("|", " ").replace("｜", " "))
    if wrapped:
        return s.lstrip(" \t:：").rstrip()
    s = s.strip(" \t:：")
    s = s.rstrip("，,；;、" if keep_period else "，,；;、。.")
    return s.strip()


def _is_unit(name: str) -> bool:
    return len(name) >= 2 and name.endswith(_UNIT_SUFFIXES)


def _split_top_level(s: str, seps: str) -> list[str]:
    """Split on any of ``seps`` outside brackets, so "各市、县（区，市）" keeps its parenthesis."""
    parts: list[str] = []
    depth = 0
    buf = ""
    for ch in s:
        if ch in "（(〔[［【《":
            depth += 1
        elif ch in "）)〕]］】》" and depth:
            depth -= 1
        if ch in seps and depth == 0:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    parts.append(buf)
    return parts


def split_units(text: str) -> list[str]:
    """Split a 主送/抄送 list; see the module docstring for the 、 rule."""
    text = _clean_value(text)
    out: list[str] = []
    for part in _split_top_level(text, "，,；;"):
        part = _clean_value(part)
        if not part:
            continue
        pieces = [_clean_value(p) for p in _split_top_level(part, "、")]
        if (
            len(pieces) > 1
            and all(_is_unit(p) for p in pieces)
            and not any(p.startswith(_GENERIC_PREFIXES) for p in pieces[1:])
        ):
            out.extend(pieces)
        else:
            out.append(part)
    return out


# ---------------------------------------------------------------------------------------------
# Dates

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN_NUM_RE = re.compile("[〇○零一二三四五六七八九十两]+(?=[年月日号时点分秒])")
_DT_RE = re.compile(
    r"(?:(?P<y>\d{4})\s*[年\-/.]\s*)?(?P<m>\d{1,2})\s*[月\-/.]\s*(?P<d>\d{1,2})\s*[日号]?"
    r"(?:\s*[Tt]?\s*(?P<ampm>上午|早上|凌晨|中午|下午|晚上|夜间|晚)?\s*(?P<H>\d{1,2})\s*[时点:：]"
    r"(?:\s*(?P<M>\d{1,2})\s*分?(?:\s*[:：]?\s*(?P<S>\d{1,2})\s*秒?)?)?)?"
)
_SIG_DATE_RE = re.compile(
    r"^(?P<unit>.*?)[ \t]*(?P<date>\d{4}[ \t]*年[ \t]*\d{1,2}[ \t]*月[ \t]*\d{1,2}[ \t]*日"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|[〇○零一二三四五六七八九]{4}[ \t]*年[ \t]*[一二三四五六七八九十]{1,3}[ \t]*月[ \t]*[一二三四五六七八九十]{1,3}[ \t]*日)$"
)


def _cn_to_int(s: str) -> int | None:
    """"二〇二〇"→2020, "十一"→11, "二十一"→21, "零五"→5; None if not a plain numeral."""
    if "十" in s:
        tens_s, _, ones_s = s.partition("十")
        if len(tens_s) > 1 or len(ones_s) > 1 or "十" in ones_s:
            return None
        tens = _CN_DIGITS.get(tens_s, -1) if tens_s else 1
        ones = _CN_DIGITS.get(ones_s, -1) if ones_s else 0
        return None if tens < 0 or ones < 0 else tens * 10 + ones
    if not s or len(s) > 4:
        return None
    return int("".join(str(_CN_DIGITS[c]) for c in s))


def _arabic_numerals(s: str) -> str:
    def repl(m: re.Match[str]) -> str:
        n = _cn_to_int(m.group(0))
        return m.group(0) if n is None else str(n)

    return _CN_NUM_RE.sub(repl, s)


def _as_shanghai(dt: datetime) -> datetime:
    return dt.replace(tzinfo=SHANGHAI) if dt.tzinfo is None else dt.astimezone(SHANGHAI)


def parse_cn_datetime(s: str, *, now: datetime | None = None) -> datetime | None:
    """Read a Chinese or ISO-ish date/time as an aware Asia/Shanghai datetime, else None.

    "2020年5月1日21时36分", "2023年7月12日9时5分", "2023-07-12 09:05", "2023/7/12 9:05",
    "二〇二三年七月十二日下午3时". A date without a time is midnight. Without a year, the year
    of ``now`` is used (the previous one if that would be more than a day ahead of ``now``).
    """
    if not isinstance(s, str):
        return None
    text = _arabic_numerals(s.translate(_FULLWIDTH_DIGITS).translate(_SPACES).strip())
    if not text:
        return None
    try:  # full ISO 8601, possibly with an offset
        return _as_shanghai(datetime.fromisoformat(text))
    except ValueError:
        pass
    m = _DT_RE.search(text)
    if not m:
        return None
    try:
        hour = int(m["H"]) if m["H"] else 0
        if m["ampm"] in ("下午", "晚上", "夜间", "晚") and hour < 12:
            hour += 12
        minute = int(m["M"]) if m["M"] else 0
        second = int(m["S"]) if m["S"] else 0
        if m["y"]:
            return datetime(int(m["y"]), int(m["m"]), int(m["d"]), hour, minute, second, tzinfo=SHANGHAI)
        if now is None or not re.search(r"月", m.group(0)):
            return None  # "7-12" alone is too ambiguous without a 月
        ref = _as_shanghai(now)
        dt = datetime(ref.year, int(m["m"]), int(m["d"]), hour, minute, second, tzinfo=SHANGHAI)
        if dt > ref + timedelta(days=1):
            dt = dt.replace(year=ref.year - 1)
        return dt
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Document numbers

_OPEN = "[［〔【(（"
_CLOSE = "]］〕】)）"
_NUMBER_RE = re.compile(
    f"[{re.escape(_OPEN)}][ \\t]*(?P<year>\\d{{4}})[ \\t]*[{re.escape(_CLOSE)}][ \\t]*(?P<seq>\\d{{1,6}})[ \\t]*号"
)
# The receipt number is kept as printed, in this office's square brackets (〔〕 stays: some desks print it).
_RECEIPT_BRACKETS = str.maketrans({"［": "[", "］": "]", "【": "[", "】": "]", "（": "[", "）": "]", "(": "[", ")": "]"})
_PREFIX_NOISE_RE = re.compile("^(?:特提|特急|加急|平急|明电|密电|等级|[·・•])+")


def normalize_doc_no(s: str) -> str:
    """"工发电[2020]7号" / "工发电［2020］7号" / "工发电〔 2020 〕7号" → "工发电〔2020〕7号"."""
    if not isinstance(s, str):
        return ""
    s = re.sub(r"\s+", "", s.translate(_FULLWIDTH_DIGITS))
    s, n = re.subn(f"[{re.escape(_OPEN)}](\\d{{4}})[{re.escape(_CLOSE)}]", r"〔\1〕", s)
    if not n:
        s = s.translate(str.maketrans({"[": "〔", "［": "〔", "]": "〕", "］": "〕"}))
    return s


@dataclass
class _Number:
    line: int
    prefix: str
    text: str  # as printed, whitespace removed


# Where a prefix glued to running text or a title starts: after the last of these words ("…的通知国办发明电").
_PREFIX_CUT_RE = re.compile(
    "通知|通报|意见|决定|报告|请示|批复|公告|通告|纪要|办法|方案|预案|的|关于|根据|按照|依据|参照|转发|印发|执行|落实|精神"
)


def _number_spans(line: str) -> list[tuple[int, int, str, str]]:
    """(start, end, prefix, number as printed without whitespace) for each "X〔2020〕7号" in the line."""
    found: list[tuple[int, int, str, str]] = []
    for m in _NUMBER_RE.finditer(line):
        stop = m.start()
        while stop > 0 and line[stop - 1] in " \t":  # OCR: "宁机明收 ［2024］ 0588 号"
            stop -= 1
        start = stop
        while start > 0 and stop - start < 16 and re.match(f"[{_HAN}A-Za-z·・]", line[start - 1]):
            start -= 1
        raw = line[start:stop]
        cut = max((c.end() for c in _PREFIX_CUT_RE.finditer(raw)), default=0)
        noise = _PREFIX_NOISE_RE.match(raw[cut:])
        start += cut + (noise.end() if noise else 0)
        prefix = line[start:stop]
        if not prefix:
            continue
        found.append((start, m.end(), prefix, prefix + re.sub(r"[ \t]+", "", m.group(0))))
    return found


def _numbers_in(line: str, index: int) -> list[_Number]:
    return [_Number(index, prefix, text) for _, _, prefix, text in _number_spans(line)]


# ---------------------------------------------------------------------------------------------
# Labels

_LABELS: dict[str, tuple[str, ...]] = {
    "sender_unit": ("来电单位", "来电机关", "来文单位"),
    "precedence": ("紧急程度", "缓急程度", "等级", "缓急"),
    "received_at": ("收报时间", "收电时间", "来电时间", "收报日期", "收电日期"),
    "title": ("标题", "题目"),
    "annotation": ("领导批示", "首长批示"),
    "instruction": ("批办意见", "批办"),
    "sending_unit": ("发电单位", "发电机关", "发文机关", "发布部门", "颁布部门", "发布机关", "制定机关"),
    "receipt_no": ("收文编号", "收电编号", "收报编号"),
    "sender_doc_no": ("发电文号", "来电文号", "发文字号", "文号"),
    "addressees": ("主送单位", "主送机关", "主送"),
    "cc": ("抄送单位", "抄送机关", "抄送"),
    # Recognised only so that they end the value before them.
    "other": ("签发盖章", "签发人", "签发", "密级", "份号", "页数", "联系人", "联系电话"),
    # A database's or portal's metadata block and a web page's furniture: labels, so never a title or 主送.
    "meta": ("索引号", "主题分类", "成文日期", "发布日期", "发布时间", "实施日期", "生效日期", "施行日期", "公布日期",
             "时效性", "效力位阶", "效力级别", "法规类别", "主题词", "来源", "浏览次数", "阅读次数", "点击数",
             "分享到", "当前位置", "您现在的位置", "您的位置", "字号", "责任编辑", "上一篇", "下一篇", "主办单位",
             "承办单位", "网站标识码", "相关附件", "相关链接"),
}
_LABEL_RE = re.compile(
    "|".join(
        f"(?P<{key}>" + "|".join("[ \\t]*".join(map(re.escape, form)) for form in sorted(forms, key=len, reverse=True)) + ")"
        for key, forms in _LABELS.items()
    )
)
_COLON_RE = re.compile(r"[ \t]*[:：]")
_LABEL_BOUNDARY = set(" \t|｜:：，,；;。、")
# Labels that mark the receipt header / telegram head; the 主送 line comes after the last of them.
_HEAD_KEYS = {"sender_unit", "received_at", "title", "annotation", "instruction", "sending_unit", "receipt_no"}
_MULTILINE_KEYS = {"title", "annotation", "instruction"}


@dataclass
class _Label:
    key: str
    start: int
    end: int  # where the value starts (after the colon, if any)
    separated: bool  # a colon or whitespace follows: a real label, not the start of a word


def _labels_in(line: str) -> list[_Label]:
    labels: list[_Label] = []
    for m in _LABEL_RE.finditer(line):
        key = m.lastgroup or "other"
        colon = _COLON_RE.match(line, m.end())
        before_ok = m.start() == 0 or line[m.start() - 1] in _LABEL_BOUNDARY
        if not (before_ok or colon):
            continue
        end = colon.end() if colon else m.end()
        separated = bool(colon) or end >= len(line) or line[end] in " \t|｜"
        labels.append(_Label(key, m.start(), end, separated))
    return labels


_STRUCTURAL_RES = (
    re.compile(r"^(?:内部)?[明密]电$"),
    re.compile(f"^[{_HAN}]{{2,16}}发电$"),
    re.compile(r"专用章$|印章$"),
    re.compile(r"^(?:特提|特急|加急|平急|明电|密电|[·・•\s])+$"),
)


def _is_structural(line: str) -> bool:
    s = _collapse(line)
    return bool(s) and (any(r.search(s) for r in _STRUCTURAL_RES) or bool(_NUMBER_RE.search(s)))


# ---------------------------------------------------------------------------------------------
# What the copy added: page furniture, lost line breaks, numbers broken or glued

_FURNITURE_RES = (
    re.compile(r"首页\s*[>›»/]|[>›»]\s*(?:通知公告|正文|政务公开|信息公开|新闻中心|政策文件)"),
    re.compile(r"^(?:当前位置|您现在的位置|您的位置|位置)："),
    re.compile(
        r"^(?:分享到?|分享至|扫一扫|微信扫一扫|扫码|收藏本页|打印本页|关闭窗口|【|打印|关闭|我要纠错|联系我们|网站地图|"
        r"使用帮助|版权所有|网站标识码|上一篇|下一篇|相关附件|相关链接|相关文章|附件下载|本篇法规)"
    ),
    re.compile(r"^(?:字号|字体|责任编辑|编辑|来源|发布时间|浏览次数|阅读次数|点击数|主办单位|承办单位)："),
    re.compile(r"ICP备|公网安备|版权所有|Copyright|©|请登录查看"),
    re.compile(r"^[—\-－–]{1,2}\s*\d{1,4}\s*[—\-－–]{1,2}$"),  # a page number
    # A news agency's lead line: the text that follows is the agency's copy, not the telegram's head.
    re.compile(f"^(?:新华社|中新社|人民网|央视网|中国新闻网|本报)[{_HAN}]{{0,10}}\\d{{1,2}}月\\d{{1,2}}日电$"),
    re.compile(r"^(?:目录|…{2,}|\.{3,})$"),
)


def _is_furniture(line: str) -> bool:
    s = _collapse(line)
    return bool(s) and any(r.search(s) for r in _FURNITURE_RES)


def _lost_breaks(lines: list[str]) -> bool:
    """A telegram has a dozen lines at least; five or fewer with a very long one lost its breaks."""
    nonblank = [line for line in lines if line.strip()]
    return 0 < len(nonblank) <= 5 and max(len(line) for line in nonblank) >= 120


_BANNER_RE = re.compile(f"(?<![{_HAN}])(?:内部[明密]电|[{_HAN}]{{2,16}}发电|[{_HAN}]{{0,10}}专用章|签发盖章)(?![{_HAN}])")
_HEADING_CUT_RE = re.compile(
    r"(?<=[。：；！？])[ \t]*(?=[一二三四五六七八九十]{1,3}、|（[一二三四五六七八九十]{1,3}）|[一二三四五六七八九十]是)"
)
_DATE_TEXT = (
    r"\d{4}[ \t]*年[ \t]*\d{1,2}[ \t]*月[ \t]*\d{1,2}[ \t]*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|[〇○零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日"
)
_CLOSING_RE = re.compile(
    f"(?P<unit>[^。！？；：\\s]{{2,40}})[ \\t]*(?P<date>{_DATE_TEXT})(?P<note>[ \\t]*（[^（）]{{1,20}}）)?[ \\t]*$"
)
_TITLE_END_RE = re.compile(r"(?:通知|通报|意见|决定|报告|请示|批复|公告|通告|纪要|办法|方案|预案)")


def _names_units(s: str) -> bool:
    """Whether a 主送-like text names units: a piece that ends like a unit, or a list opening with 各/有关."""
    s = _collapse(s).rstrip("：:")
    if len(s) < 2 or len(s) > 300:
        return False
    if s.startswith(("各", "有关")):
        return True
    pieces = [re.sub(r"（[^（）]*）$", "", p.strip()) for p in _split_top_level(s, "，,；;、")]
    return any(_is_unit(p) for p in pieces)


def _addressee_colon(line: str, labels: list[_Label]) -> tuple[int, int] | None:
    """(start of the list, end of its colon) for the 主送 list inside a line that lost its breaks."""
    label_colons = {lab.end - 1 for lab in labels if line[lab.end - 1 : lab.end] == "："}
    numbers = [end for _, end, _, _ in _number_spans(line)]
    for c in (m.start() for m in re.finditer("：", line)):
        if c in label_colons:
            continue
        start = max(
            [m.end() for m in re.finditer(r"[\s。！？；]", line[:c])]
            + [end for end in numbers if end <= c]
            + [m.end() for m in _TITLE_END_RE.finditer(line[:c])]
            + [0]
        )
        if _names_units(line[start:c]) and not _labels_in(line[start:c]):
            return start, c + 1
    return None


def _recover_breaks(line: str) -> list[str]:
    """Cut a line that holds a whole telegram back into the lines a clerk would see."""
    if len(line) < 120:
        return [line]
    labels = _labels_in(line)
    zs = _addressee_colon(line, labels)
    head_end = zs[0] if zs else len(line)
    cuts: set[int] = set(zs or ())
    for lab in labels:
        m_start = lab.start
        if m_start < head_end or (lab.key == "cc" and line[lab.end - 1 : lab.end] == "："):
            cuts.add(m_start)
    for m in _BANNER_RE.finditer(line, 0, head_end):
        cuts.update((m.start(), m.end()))
    for start, end, _, _ in _number_spans(line[:head_end]):
        cuts.update((start, end))
    body_end = max((lab.start for lab in labels if lab.key == "cc" and lab.start >= head_end), default=len(line))
    for m in _HEADING_CUT_RE.finditer(line, head_end, body_end):
        cuts.add(m.end())
    closing = _CLOSING_RE.search(line[head_end:body_end])
    if closing:
        unit_start = head_end + closing.start("unit")
        cuts.update((unit_start, head_end + closing.start("date"), head_end + closing.end("date")))
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(line)), len(line)]
    return [piece for a, b in zip(bounds, bounds[1:], strict=False) if (piece := line[a:b].strip())]


_PARTIAL_TAIL_RE = re.compile(f"[{re.escape(_OPEN)}][ \\t]*\\d{{4}}[ \\t]*[{re.escape(_CLOSE)}]?[ \\t]*$")
_REST_HEAD_RE = re.compile(f"^[ \\t]*[{re.escape(_CLOSE)}]?[ \\t]*\\d{{1,6}}[ \\t]*号")
_PREFIX_LINE_RE = re.compile(f"^[{_HAN}A-Za-z·]{{1,10}}$")
_NUMBER_START_RE = re.compile(
    f"^[ \\t]*[{_HAN}]{{0,2}}[{re.escape(_OPEN)}][ \\t]*\\d{{4}}[ \\t]*[{re.escape(_CLOSE)}][ \\t]*\\d{{1,6}}[ \\t]*号"
)


def _mend_numbers(lines: list[str]) -> list[str]:
    """Join a sender's number that a narrow column broke in two ("宁政办发明" / "电〔2023〕2号",
    "…电〔2024〕" / "21号")."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines):
            nxt = lines[i + 1]
            rest = _REST_HEAD_RE.match(nxt)
            if rest and _PARTIAL_TAIL_RE.search(line) and not _NUMBER_RE.search(line):
                out.append(line.rstrip() + nxt[: rest.end()].strip())
                lines = [*lines[: i + 1], nxt[rest.end() :], *lines[i + 2 :]]
                i += 1
                continue
            stripped = line.strip()
            if (
                _PREFIX_LINE_RE.match(stripped)
                and _NUMBER_START_RE.match(nxt)
                and not _labels_in(stripped)
                and not _is_structural(stripped)
            ):
                out.append(stripped + nxt.strip())
                i += 2
                continue
        out.append(line)
        i += 1
    return out


def _split_glued_numbers(lines: list[str]) -> list[str]:
    """A title with its number glued on ("…的通知宁党办电〔2024〕21号") becomes two lines."""
    out: list[str] = []
    for line in lines:
        spans = _number_spans(line) if not _labels_in(line) else []
        if spans:
            start, end, _, _ = spans[0]
            before = _collapse(line[:start])
            if len(before) >= 6 and _TITLE_END_RE.search(before[-3:]) and not line[end:].strip():
                out.extend((line[:start].rstrip(), line[start:]))
                continue
        out.append(line)
    return out


# ---------------------------------------------------------------------------------------------
# Parsing


def _full_width_punct(line: str) -> str:
    for pattern, repl in _ASCII_PUNCT_RES:
        line = pattern.sub(repl, line)
    return _ASCII_PARENS_RE.sub(lambda m: f"（{m[1]}）" if re.search(_HAN_CLASS, m[1]) else m[0], line)


def _normalise_text(text: str) -> tuple[list[str], list[str]]:
    """(lines as printed, lines to match on): the body is taken from the first, every field from the second,
    which also has OCR's ASCII punctuation next to Chinese in its full-width form."""
    text = _ZERO_WIDTH_RE.sub("", text).translate(_FULLWIDTH_DIGITS).translate(_SPACES)
    text = _BOX_RE.sub("  ", text)
    text = _t2s().convert(text)
    text = _OCR_NUMBER_RE.sub(_ocr_digits, text)
    text = _OCR_YEAR_RE.sub(lambda m: m.group(1).translate(_OCR_DIGITS), text)
    lines = [line.rstrip() for line in text.splitlines()]
    if _lost_breaks(lines):
        lines = [part for line in lines for part in _recover_breaks(_full_width_punct(line))]
    printed = _split_glued_numbers(_mend_numbers(lines))
    return printed, [_full_width_punct(line) for line in printed]


def _is_addressee_line(line: str, labels: list[_Label]) -> bool:
    s = _collapse(line)
    if not s or s[-1] not in ":：" or labels or len(s) > 300 or len(s) < 3:
        return False
    if any(c in _SENTENCE_PUNCT for c in s) or s.rstrip(":：").endswith("如下"):
        return False
    return not _is_structural(s) and not _is_furniture(s) and _names_units(s)


def _continues_list(line: str, labels: list[_Label]) -> bool:
    """A line above the 主送 line that is the start of the same list, wrapped by OCR or a narrow page."""
    s = _collapse(line)
    if not s or labels or _is_structural(s) or _is_furniture(s) or any(c in _SENTENCE_PUNCT for c in s):
        return False
    if s[-1] in "、，,；;":
        return True
    return ("、" in s or "，" in s) and "关于" not in s and not _TITLE_END_RE.search(s[-3:])


def _find_addressee_lines(lines: list[str], labels: list[list[_Label]]) -> tuple[int, int] | None:
    """First and last line of the 主送 list, or None."""
    for i, labs in enumerate(labels):
        if labs and labs[0].key == "addressees" and not lines[i][: labs[0].start].strip():
            end = i  # a labelled list may wrap; it goes on while a line ends with a separator
            while end + 1 < len(lines) and (s := _collapse(lines[end])) and s[-1] in "、，,；;" and lines[end + 1].strip():
                end += 1
            return i, end
    last_head = -1
    for i, labs in enumerate(labels):
        if any(lab.key in _HEAD_KEYS and lab.separated and not lines[i][: lab.start].strip() for lab in labs):
            last_head = i
    for i in range(last_head + 1, len(lines)):
        if _is_addressee_line(lines[i], labels[i]):
            # A list wrapped by OCR: pull in the lines above that end with a list separator.
            j = i
            while j - 1 > last_head and i - j < 3 and _continues_list(lines[j - 1], labels[j - 1]):
                j -= 1
            return j, i
    return None


def _header_values(lines: list[str], labels: list[list[_Label]], stop: int) -> dict[str, list[tuple[int, list[str]]]]:
    """Label values in lines[:stop] as key → [(line index, [value line, continuation …])]."""
    values: dict[str, list[tuple[int, list[str]]]] = {}
    current: list[str] | None = None
    budget = 0
    for i in range(stop):
        line, labs = lines[i], labels[i]
        if not labs:
            if current is not None and budget > 0 and line.strip() and not _is_structural(line):
                current.append(line)
                budget -= 1
                continue
            current = None
            continue
        for n, lab in enumerate(labs):
            end = labs[n + 1].start if n + 1 < len(labs) else len(line)
            parts = [line[lab.end : end]]
            values.setdefault(lab.key, []).append((i, parts))
            current = parts
            empty = not _clean_value(parts[0])
            budget = 20 if lab.key in _MULTILINE_KEYS else (1 if empty else 0)
        if current is not None and not _clean_value(current[0]) and labs[-1].key not in _MULTILINE_KEYS:
            budget = 1
    return values


def _first(values: dict[str, list[tuple[int, list[str]]]], key: str, join: str = "") -> str | None:
    for _, parts in values.get(key, []):
        last = max((n for n, p in enumerate(parts) if _clean_value(p)), default=0)
        cleaned = [c for n, p in enumerate(parts) if (c := _clean_value(p, keep_period=True, wrapped=n < last))]
        if cleaned:
            return "\n".join(cleaned) if join == "\n" else _smart_join(cleaned)
    return None


def _reflow(lines: list[str]) -> str | None:
    """Join OCR/page-break line splits back into paragraphs; paragraphs joined with "\\n"."""
    paragraphs: list[list[str]] = []  # parts per paragraph; joined once at the end (linear time)
    heading = False  # the open paragraph is a heading (一、… without 。), never continued
    for raw in lines:
        line = _collapse(raw)
        if not line:
            continue
        if paragraphs and not heading and not _TERMINAL_RE.search(paragraphs[-1][-1]) and not _HEADING_RE.match(line):
            paragraphs[-1].append(line)
            continue
        paragraphs.append([line])
        heading = bool(_HEADING_RE.match(line)) and "。" not in line
    return "\n".join(_smart_join(p) for p in paragraphs) or None


def _drop_trailing_furniture(tail: list[str]) -> list[str]:
    """A web page's footer after the date (links, contacts, copyright, page numbers) is not the telegram's."""
    end = len(tail)
    while end > 0 and (not tail[end - 1].strip() or _is_furniture(tail[end - 1])):
        end -= 1
    return tail[:end]


def _signature_like(s: str) -> bool:
    return (
        2 <= len(s) <= 40
        and not any(c in _SIGNATURE_FORBIDDEN for c in s)
        and not _HEADING_RE.match(s)
        and not s.startswith(("特此", "此致", "敬礼", "附件"))
    )


def _split_signature(tail: list[str]) -> tuple[int, str | None, date | None]:
    """(where the body ends, signatory, signed_on) for the lines between 主送 and 抄送."""
    nonblank = [i for i, line in enumerate(tail) if line.strip()]
    for i in reversed(nonblank[-4:]):
        m = _SIG_DATE_RE.match(tail[i].strip())
        if m:
            break
    else:
        return len(tail), None, None
    when = parse_cn_datetime(m["date"])
    signed_on = when.date() if when else None
    inline = _collapse(m["unit"])
    if inline:
        if not _signature_like(inline):
            return len(tail), None, None  # a sentence that happens to end with a date
        return i, inline, signed_on
    units: list[str] = []
    end = i
    j = i - 1
    while j >= 0 and len(units) < 3:
        s = _collapse(tail[j])
        if s:
            if not _signature_like(s) or (units and not (_is_unit(s) and _is_unit(units[0]))):
                break
            units.insert(0, s)
            end = j
        j -= 1
    return end, "、".join(units) or None, signed_on


_DOC_TYPE_END_RE = re.compile(
    r"(?:通知|通报|意见|决定|函|报告|请示|批复|公告|通告|纪要|要点|规定|细则|办法|方案|预案|指引|指南|提示|安排|"
    r"命令|决议|公报|复函)$"
)
_INDEX_PREFIX_RE = re.compile(r"^(?:\d{1,3}[.．、](?!\d)|（\d{1,3}）|第\d{1,3}[篇条]|[一二三四五六七八九十]{1,3}、)[ \t]*")
_BOOK_TITLE_RE = re.compile(r"^《(?P<title>[^《》]{4,})》[ \t]*(?:（[^（）]*\d[^（）]*）)?$")


def _clean_title(text: str) -> str:
    """Strip a compilation's index ("17.") and 《》 with the date after them."""
    text = _INDEX_PREFIX_RE.sub("", text)
    m = _BOOK_TITLE_RE.match(text)
    return m["title"] if m else text


def _title_score(title: str, distance: int) -> float | None:
    if not 4 <= len(title) <= 150 or any(c in title for c in "。！？；") or _SIG_DATE_RE.match(title):
        return None
    score = 0.0
    if "关于" in title:
        score += 3
        head = title.split("关于", 1)[0]
        if len(head) >= 2 and _is_unit(head):  # "机关+关于+事由": the sender's name belongs to the title
            score += 1
    if _DOC_TYPE_END_RE.search(title):
        score += 4
    if "，" in title or "：" in title:
        score -= 3
    return score - 0.3 * distance


def _title_above(lines: list[str], labels: list[list[_Label]], addressee_line: int) -> str | None:
    """The best-scoring block of 1–3 consecutive lines among the dozen lines above the 主送 line."""
    runs: list[list[tuple[int, str]]] = [[]]  # (distance in non-blank lines, collapsed line)
    distance = 0
    for i in range(addressee_line - 1, -1, -1):
        line = lines[i]
        if not line.strip():
            runs.append([])
            continue
        distance += 1
        if distance > 14 or any(lab.key in _HEAD_KEYS and lab.separated for lab in labels[i]):
            break
        if labels[i] or _is_structural(line) or _is_furniture(line):
            runs.append([])
            continue
        runs[-1].insert(0, (distance, _collapse(line)))
    best: tuple[float, int, str] | None = None
    for run in runs:
        for a in range(len(run)):
            for b in range(a + 1, min(a + 3, len(run)) + 1):
                title = _clean_title(_smart_join([text for _, text in run[a:b]]))
                score = _title_score(title, run[b - 1][0] - 1)
                if score is not None and (best is None or (score, -(b - a)) > (best[0], best[1])):
                    best = (score, -(b - a), title)
    if best is None or best[0] < 2:
        return None
    return best[2]


def _unit_of_title(title: str | None) -> str | None:
    head = title.split("关于", 1)[0] if title and "关于" in title else ""
    return head if len(head) >= 2 and _is_unit(head) else None


def _precedence_and_class(value: str | None, head: list[str]) -> tuple[str | None, str | None]:
    precedence = classification = None
    if value:
        v = _collapse(value)
        precedence = next((p for p in PRECEDENCES if p in v), None)
        classification = next((c for c in CLASSIFICATIONS if c in v), None)
    for line in head:
        s = _collapse(line)
        if precedence is None:
            m = re.search(f"(?<![{_HAN}])({'|'.join(PRECEDENCES)})(?![{_HAN}])", s) or re.search(
                f"({'|'.join(PRECEDENCES)})\\s*[·・•.]?\\s*(?:{'|'.join(CLASSIFICATIONS)})", s
            )
            if m:
                precedence = m.group(1)
        if classification is None:
            m = re.search(f"(?:^内部|^|{'|'.join(PRECEDENCES)}|[·・•\\s])({'|'.join(CLASSIFICATIONS)})(?![{_HAN}])", s)
            if m:
                classification = m.group(1)
    return precedence, classification


def _parse(text: str, now: datetime | None) -> ParsedTelegram:
    printed, lines = _normalise_text(text)
    labels = [_labels_in(line) for line in lines]
    zs_range = _find_addressee_lines(lines, labels)
    head_end = zs_range[0] if zs_range else len(lines)
    values = _header_values(lines, labels, head_end)
    result = ParsedTelegram()

    result.sender_unit = _first(values, "sender_unit") or None
    result.sending_unit = _first(values, "sending_unit") or None
    if result.sender_unit:
        result.sender_unit = result.sender_unit.rstrip("。")
    if result.sending_unit:
        result.sending_unit = result.sending_unit.rstrip("。")
        # Joint telegrams print several full unit names side by side: keep them apart.
        raw = next((p[0] for _, p in values["sending_unit"] if _clean_value(p[0])), "")
        pieces = [_collapse(x) for x in re.split(r"[ \t]+|、", raw.strip(" \t:：")) if x.strip()]
        if len(pieces) > 1 and all(len(x) >= 6 and _is_unit(x) for x in pieces):
            result.sending_unit = "、".join(pieces)
    result.title = _first(values, "title")
    result.annotation = _first(values, "annotation", join="\n")
    result.instruction = _first(values, "instruction")
    received = _first(values, "received_at")
    result.received_at = parse_cn_datetime(received, now=now) if received else None

    head_lines = lines[:head_end]
    result.precedence, result.classification = _precedence_and_class(_first(values, "precedence"), head_lines)

    # Numbers: the telegram part starts at 发电单位/签发 or a "…发电" banner line.
    telegram_start = next(
        (
            i
            for i in range(head_end)
            if any(lab.key in ("sending_unit", "other") for lab in labels[i])
            or _STRUCTURAL_RES[1].search(_collapse(lines[i]))
        ),
        None,
    )
    for i in range(head_end):
        for num in _numbers_in(lines[i], i):
            is_receipt = "收" in num.prefix or (
                "发" not in num.prefix
                and not num.prefix.endswith(("电", "函"))
                and telegram_start is not None
                and i < telegram_start
            )
            if is_receipt and result.receipt_no is None:
                result.receipt_no = num.text.translate(_RECEIPT_BRACKETS)
            elif not is_receipt and result.sender_doc_no is None:
                result.sender_doc_no = normalize_doc_no(num.text)
    if result.receipt_no is None and (v := _first(values, "receipt_no")):
        result.receipt_no = re.sub(r"\s+", "", v).translate(_RECEIPT_BRACKETS)
    if result.sender_doc_no is None and (v := _first(values, "sender_doc_no")):
        result.sender_doc_no = normalize_doc_no(v)

    cc_text = _first(values, "cc")
    if zs_range is not None:
        zs, k = zs_range[0], zs_range[1] + 1
        labs = labels[zs]
        first = lines[zs][labs[0].end :] if labs and labs[0].key == "addressees" else lines[zs]
        joined = _smart_join([_collapse(x) for x in [first, *lines[zs + 1 : k]]])
        result.addressees = split_units(joined.rstrip(":："))

        tail = lines[k:]
        cc_at = next(
            (j for j, labs in enumerate(labels[k:]) if labs and labs[0].key == "cc" and not tail[j][: labs[0].start].strip()),
            None,
        )
        if cc_at is not None:
            cc_line = tail[cc_at]
            parts = [cc_line[labels[k + cc_at][0].end :]]
            for extra in tail[cc_at + 1 :]:
                joined = _collapse("".join(parts))
                if not joined or joined[-1] not in "、，,；;" or not extra.strip():
                    break
                parts.append(extra)
            cc_text = _smart_join([_collapse(p) for p in parts])
            tail = tail[:cc_at]
        tail = _drop_trailing_furniture(tail)
        body_end, result.signatory, result.signed_on = _split_signature(tail)
        result.body = _reflow(printed[k : k + body_end])
        if result.title is None:
            result.title = _title_above(lines, labels, zs)
    if cc_text:
        result.cc = split_units(cc_text)

    # What the text says without a label: who sent it (signature, else the title's "X关于") and 明电.
    if result.sending_unit is None:
        result.sending_unit = result.signatory or _unit_of_title(result.title)
    if result.classification is None and result.sender_doc_no:
        result.classification = next((c for c in CLASSIFICATIONS if c in result.sender_doc_no), None)

    result.found = [n for n in FIELD_NAMES if getattr(result, n) not in (None, "", [])]
    result.missing = [n for n in FIELD_NAMES if n not in result.found]
    return result


def parse(text: str, *, now: datetime | None = None) -> ParsedTelegram:
    """Parse a received telegram's text; raises only TelegramParseError."""
    if not isinstance(text, str):
        raise TelegramParseError("电报文本必须是字符串。")
    if not text.strip():
        raise TelegramParseError("电报文本为空。")
    if len(text) > MAX_TEXT_CHARS:
        raise TelegramParseError(f"电报文本过长（超过{MAX_TEXT_CHARS}个字符）。")
    try:
        result = _parse(text, now)
    except Exception as exc:  # the contract: callers only ever see TelegramParseError
        raise TelegramParseError(f"解析电报文本时出错：{type(exc).__name__}。") from exc
    if not result.found:
        raise TelegramParseError("无法识别电报文本：未找到标题、来电单位等任何字段。")
    return result
