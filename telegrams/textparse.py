"""Text → fields parser for received plain telegrams (明电).

Pure Python (stdlib + zoneinfo), no Django imports: the paste form, the ``parse_telegram``
command and offline tools share it. ``parse`` never raises anything but
``TelegramParseError`` (a ``ValueError`` with a Chinese message for the clerk).

Rules a reviewer should know
----------------------------
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
  ends with "：" and is not a sentence (no 。！？, not "…如下："). Without it there is no body.
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
* Title without a 标题 label: the unlabelled line(s) right above the 主送 line.
* 收报时间 without a year takes the year of ``now`` (the previous one if that lands in the future).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

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


def _clean_value(s: str, *, keep_period: bool = False) -> str:
    s = _collapse(s.replace("|", " ").replace("｜", " "))
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


def _numbers_in(line: str, index: int) -> list[_Number]:
    found: list[_Number] = []
    for m in _NUMBER_RE.finditer(line):
        stop = m.start()
        while stop > 0 and line[stop - 1] in " \t":  # OCR: "宁机明收 ［2024］ 0588 号"
            stop -= 1
        start = stop
        while start > 0 and stop - start < 16 and re.match(f"[{_HAN}A-Za-z·・]", line[start - 1]):
            start -= 1
        prefix = _PREFIX_NOISE_RE.sub("", line[start:stop])
        if not prefix:
            continue
        text = prefix + re.sub(r"[ \t]+", "", m.group(0))
        found.append(_Number(index, prefix, text))
    return found


# ---------------------------------------------------------------------------------------------
# Labels

_LABELS: dict[str, tuple[str, ...]] = {
    "sender_unit": ("来电单位", "来电机关", "来文单位"),
    "precedence": ("紧急程度", "缓急程度", "等级", "缓急"),
    "received_at": ("收报时间", "收电时间", "来电时间", "收报日期", "收电日期"),
    "title": ("标题", "题目"),
    "annotation": ("领导批示", "首长批示"),
    "instruction": ("批办意见", "批办"),
    "sending_unit": ("发电单位", "发电机关"),
    "receipt_no": ("收文编号", "收电编号", "收报编号"),
    "sender_doc_no": ("发电文号", "来电文号", "发文字号", "文号"),
    "addressees": ("主送单位", "主送机关", "主送"),
    "cc": ("抄送单位", "抄送机关", "抄送"),
    # Recognised only so that they end the value before them.
    "other": ("签发盖章", "签发人", "签发", "密级", "份号", "页数", "联系人", "联系电话"),
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
# Parsing


def _normalise_text(text: str) -> list[str]:
    text = _ZERO_WIDTH_RE.sub("", text).translate(_FULLWIDTH_DIGITS).translate(_SPACES)
    text = _BOX_RE.sub("  ", text)
    return [line.rstrip() for line in text.splitlines()]


def _is_addressee_line(line: str, labels: list[_Label]) -> bool:
    s = _collapse(line)
    if not s or s[-1] not in ":：" or labels or len(s) > 300 or len(s) < 3:
        return False
    if any(c in _SENTENCE_PUNCT for c in s) or s.rstrip(":：").endswith("如下"):
        return False
    return not _is_structural(s)


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
            while j - 1 > last_head and (prev := _collapse(lines[j - 1])) and prev[-1] in "、，,；;" and not labels[j - 1]:
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
        cleaned = [c for c in (_clean_value(p, keep_period=True) for p in parts) if c]
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


def _title_above(lines: list[str], labels: list[list[_Label]], addressee_line: int) -> str | None:
    block: list[str] = []
    i = addressee_line - 1
    while i >= 0 and len(block) < 4:
        line = lines[i]
        if line.strip():
            if labels[i] or _is_structural(line):
                break
            block.insert(0, _collapse(line))
        i -= 1
    # A bare telegram may start with the sender's name above the title: drop it when the rest
    # still reads as "机关+关于+事由" (a title starting with 关于 keeps its first line).
    while len(block) > 1 and "关于" not in block[0] and "关于" in "".join(block[1:]) and not block[1].startswith("关于"):
        block.pop(0)
    title = _smart_join(block)
    return title if 0 < len(title) <= 200 else None


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
    lines = _normalise_text(text)
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
                result.receipt_no = num.text.replace("［", "[").replace("］", "]")
            elif not is_receipt and result.sender_doc_no is None:
                result.sender_doc_no = normalize_doc_no(num.text)
    if result.receipt_no is None and (v := _first(values, "receipt_no")):
        result.receipt_no = re.sub(r"\s+", "", v).replace("［", "[").replace("］", "]")
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
        body_end, result.signatory, result.signed_on = _split_signature(tail)
        result.body = _reflow(tail[:body_end])
        if result.title is None:
            result.title = _title_above(lines, labels, zs)
    if cc_text:
        result.cc = split_units(cc_text)

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
