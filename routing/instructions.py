"""Turn a 批办 / 批示 text ("请组织部牵头，宣传部、财政厅配合办理。") into routes against the unit directory.

Pure Python (stdlib only): the directory is passed in, so the parser is testable without a database and the
same code serves the registration form, the leader's 批示 box, the worker and ``manage.py parse_instruction``.

How it works, in three passes over the (whole) text:

1. Tokenize left to right. At each position the longest directory key (full name, short name or alias) wins,
   then the longest instruction word (verb, prefix, connector), then separators; anything else accumulates into
   free "name" text. Dates are found first by regex and consumed as single tokens.
2. Resolve runs of adjacent unit/name tokens into mentions. A directory key glued to name-like text
   ("银川市" + "总工会", "财政" + "部", two keys without a separator) is NOT the unit: it becomes one unknown
   mention, so a longer, unknown name can never be routed to a shorter known one.
3. Walk the mentions with a small grammar: a prefix (送/转/转发至/批转至/请/由/抄送/报…) opens a group with a
   default role; a verb after the group (阅知/办理/牵头/配合/阅示/存档…) assigns its role and closes the group; the
   end of a sentence closes it with the default. 会同/配合/商 between two groups mark lead/assist on both sides
   ("X牵头商Y": X leads, Y assists).

Words that name a unit without sending it anything: "…报 X" (also glued to the words before it: "结果报X",
"意见报X") names where the report goes; "根据/按照/依据/参照 X（意见）" names the source of an opinion. Neither is
routed nor reported unknown. A person written after their unit ("财政厅张三同志") is one name: the unit is routed
for a routing verb, and the whole name is who must 阅示.
"""
from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

LEAD, ASSIST, HANDLE, READ = "lead", "assist", "handle", "read"
# Internal pseudo-roles, never in routes.
_INSTRUCT, _ARCHIVE = "instruct", "archive"
ROLE_STRENGTH = {LEAD: 3, HANDLE: 2, ASSIST: 1, READ: 0}

MAX_TEXT_LENGTH = 10_000
_MIN_KEY_LENGTH = 2  # one-character short names/aliases would match inside unrelated words


class InstructionError(ValueError):
    """The instruction cannot be parsed (empty, too long, impossible date); the message is user-facing."""


# --------------------------------------------------------------------------------------------------- directory


@dataclass(frozen=True)
class DirectoryUnit:
    name: str
    short_name: str = ""
    aliases: tuple[str, ...] = ()


# Official names use full-width parentheses; a 1:1 mapping keeps text positions (and names "as written") intact.
_TRANSLATE = str.maketrans({"(": "（", ")": "）", "﹑": "、"})


def _norm_key(name: str) -> str:
    return "".join(name.split()).translate(_TRANSLATE)


class _Ambiguous:
    """Index value for a key that two units claim at the same level: matched (so a shorter key cannot match
    inside it) but resolved to no unit."""

    def __repr__(self) -> str:
        return "AMBIGUOUS"


AMBIGUOUS = _Ambiguous()


class Directory:
    """The units an instruction may name, indexed by every name they go by."""

    def __init__(self, units: Iterable[DirectoryUnit]):
        self.units: tuple[DirectoryUnit, ...] = tuple(units)
        # key -> (level, unit or AMBIGUOUS); level 0 full name, 1 short name, 2 alias. A lower level wins, so a
        # unit's full name is never shadowed by another unit's alias.
        index: dict[str, tuple[int, DirectoryUnit | _Ambiguous]] = {}
        seen: set[str] = set()
        for unit in self.units:
            if unit.name in seen:
                continue
            seen.add(unit.name)
            names = [(0, unit.name), (1, unit.short_name), *((2, a) for a in unit.aliases)]
            for level, raw in names:
                key = _norm_key(raw or "")
                if len(key) < _MIN_KEY_LENGTH:
                    continue
                current = index.get(key)
                if current is None or level < current[0]:
                    index[key] = (level, unit)
                elif level == current[0] and current[1] is not unit:
                    index[key] = (level, AMBIGUOUS)
        self._index: dict[str, DirectoryUnit | _Ambiguous] = {k: v for k, (_, v) in index.items()}
        self._max_len = max((len(k) for k in self._index), default=0)

    @classmethod
    def from_db(cls) -> Directory:
        """Active units from the database (imported lazily so this module stays importable without Django)."""
        from directory import snapshot

        return cls.from_snapshot(snapshot.current())

    @classmethod
    def from_snapshot(cls, snap) -> Directory:
        """The directory of a `directory.snapshot.Snapshot`, parsed once per change of the unit table."""
        return snap.memo("routing.instructions.Directory", lambda snap: cls(
            DirectoryUnit(u.name, u.short_name, u.aliases) for u in snap.active
        ))

    def resolve(self, name: str) -> DirectoryUnit | None:
        found = self._index.get(_norm_key(name))
        return found if isinstance(found, DirectoryUnit) else None

    def match_at(self, text: str, pos: int) -> tuple[int, DirectoryUnit | _Ambiguous] | None:
        """Longest key starting at ``pos``: (length, unit or AMBIGUOUS)."""
        for length in range(min(self._max_len, len(text) - pos), _MIN_KEY_LENGTH - 1, -1):
            found = self._index.get(text[pos : pos + length])
            if found is not None:
                return length, found
        return None

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Closest full names, for "未找到单位：X（您是否要找：…）"."""
        key = _norm_key(name)
        if not key or n <= 0:
            return []
        candidates: dict[str, list[str]] = {}
        for k, unit in self._index.items():
            targets = [unit.name] if isinstance(unit, DirectoryUnit) else self._claimants(k)
            candidates.setdefault(k, []).extend(targets)
        for unit in self.units:
            candidates.setdefault(_norm_key(unit.name), []).append(unit.name)
        out: list[str] = []
        for match in difflib.get_close_matches(key, list(candidates), n=n * 3, cutoff=0.4):
            for full in candidates[match]:
                if full not in out:
                    out.append(full)
        return out[:n]

    def _claimants(self, key: str) -> list[str]:
        return [
            u.name
            for u in self.units
            if key in {_norm_key(x) for x in (u.name, u.short_name, *u.aliases) if x}
        ]


# ------------------------------------------------------------------------------------------------------ result


@dataclass(frozen=True)
class Route:
    unit: str
    role: str


@dataclass
class ParsedInstruction:
    routes: list[Route] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    deadline: date | None = None
    archive: bool = False
    needs_instruction: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict:
        return {
            "routes": [{"unit": r.unit, "role": r.role} for r in self.routes],
            "unknown": list(self.unknown),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "archive": self.archive,
        }

    @property
    def ok(self) -> bool:
        return not self.unknown


def describe_unknown(suggestions: dict[str, list[str]]) -> str:
    """One Chinese line naming every unknown unit (in the dict's order) with its suggestions; '' when none."""
    parts = [f"{name}（您是否要找：{'、'.join(hint)}）" if hint else name for name, hint in suggestions.items()]
    return "未找到单位：" + "；".join(parts) if parts else ""


def unknown_message(parsed: ParsedInstruction, directory: Directory) -> str:
    return describe_unknown({name: directory.suggest(name) for name in parsed.unknown})


# ------------------------------------------------------------------------------------------------- vocabulary

# kind, value. Kinds: role (closes the group with that role), pivot (会同/配合: between two groups or at the end),
# prefix (opens a group; value = default role, None = not a route, e.g. 报 = report back to),
# deliver (a prefix whose object is a recipient, so a bare name after it is a unit-like name), conn (ignored).
_WORDS: dict[str, tuple[str, str | None]] = {
    # lead / assist
    "牵头": ("role", LEAD), "主办": ("role", LEAD), "负责": ("role", LEAD),
    "协办": ("role", ASSIST), "会办": ("role", ASSIST), "参办": ("role", ASSIST),
    "会同": ("pivot", LEAD), "配合": ("pivot", ASSIST), "协助": ("pivot", ASSIST), "协同": ("pivot", ASSIST),
    "商": ("pivot", LEAD),  # X牵头商Y / X商Y办理: X leads after consulting Y, who assists
    # act, reply expected
    "阅处": ("role", HANDLE), "阅办": ("role", HANDLE), "办理": ("role", HANDLE), "研办": ("role", HANDLE),
    "研复": ("role", HANDLE), "研处": ("role", HANDLE), "研提": ("role", HANDLE), "办复": ("role", HANDLE),
    "核处": ("role", HANDLE), "核办": ("role", HANDLE), "酌处": ("role", HANDLE), "酌办": ("role", HANDLE),
    "处理": ("role", HANDLE), "承办": ("role", HANDLE), "办结": ("role", HANDLE), "落实": ("role", HANDLE),
    "研究": ("role", HANDLE), "督办": ("role", HANDLE),
    # for information
    "阅": ("role", READ), "阅知": ("role", READ), "参阅": ("role", READ), "知悉": ("role", READ),
    "传阅": ("role", READ), "阅研": ("role", READ),
    # a leader reads and instructs
    "阅示": ("role", _INSTRUCT), "审示": ("role", _INSTRUCT), "核示": ("role", _INSTRUCT),
    "阅批": ("role", _INSTRUCT), "批阅": ("role", _INSTRUCT), "审阅": ("role", _INSTRUCT),
    # file
    "存档": ("role", _ARCHIVE), "归档": ("role", _ARCHIVE), "存查": ("role", _ARCHIVE), "存": ("role", _ARCHIVE),
    # prefixes
    "送": ("deliver", HANDLE), "转": ("deliver", HANDLE), "呈": ("deliver", HANDLE), "交": ("deliver", HANDLE),
    "转送": ("deliver", HANDLE), "分送": ("deliver", HANDLE), "呈送": ("deliver", HANDLE),
    "送交": ("deliver", HANDLE), "转交": ("deliver", HANDLE), "转发": ("deliver", HANDLE),
    "转发至": ("deliver", HANDLE), "批转至": ("deliver", HANDLE), "批转": ("deliver", HANDLE),
    "转至": ("deliver", HANDLE), "送至": ("deliver", HANDLE), "批送": ("deliver", HANDLE),
    "抄送": ("deliver", READ), "抄": ("deliver", READ),
    "请": ("prefix", HANDLE), "由": ("prefix", HANDLE), "交由": ("prefix", HANDLE), "转请": ("prefix", HANDLE),
    "送请": ("prefix", HANDLE), "拟请": ("prefix", HANDLE),
    "报": ("prefix", None), "上报": ("prefix", None), "报送": ("prefix", None), "呈报": ("prefix", None),
    "报告": ("prefix", None),
    # connectors
    "后": ("conn", None), "并": ("conn", None), "再": ("conn", None), "即": ("conn", None),
    "然后": ("conn", None), "同时": ("conn", None), "一并": ("conn", None), "分别": ("conn", None),
    "建议": ("conn", None), "拟": ("conn", None),
}
_MAX_WORD = max(len(w) for w in _WORDS)
# One-character prefixes and 存 only count at a token boundary (not inside a run of name text), so 交通运输厅 or
# 存在问题 are not read as 交 + … or 存 + ….
_BOUNDARY_ONLY = {w for w, (kind, value) in _WORDS.items() if len(w) == 1 and kind in ("deliver", "prefix")} | {
    "存", "商"}
# A word is not that word when followed by these (研究室, 负责同志, 污水处理厂, 交通, 后勤, 存在, 报社).
_NOT_BEFORE: dict[str, tuple[str, ...]] = {
    "研究": ("室", "院", "所", "会", "中心", "生", "员"),
    "负责": ("同志", "人"),
    "处理": ("厂", "中心", "站", "所"),
    "交": ("通", "流", "易", "警"),
    "后": ("勤",),
    "存": ("在", "款"),
    "报": ("社", "刊", "纸"),
    "阅": ("览",),
    "即": ("将",),
    "商": ("务", "业", "会", "场", "品", "贸", "标", "户", "量", "店", "人", "报", "超", "城", "圈", "铺", "检", "洽", "定"),
}
# "…报X" glued to the words before it (结果报X, 意见报X) still names where the report goes.
_REPORT_WORDS = ("报", "上报", "报送", "呈报")
# Before a unit, these make it the source of an opinion or a rule, not a recipient (根据财政厅意见).
_SOURCE_PREPOSITIONS = ("根据", "按照", "依据", "参照", "遵照", "按")

_TERMINATORS = set("。；;！!？?\n\r")
_COORD = set("、和及与")
_PUNCT = set("，,：:/（）()《》〈〉“”‘’\"'〔〕[]【】{}·…—-_|～~")

# Endings that make free text look like an organisation ("…厅", "…委员会", "各市县").
_UNIT_ENDINGS = (
    "中心", "公司", "集团", "单位", "部门", "银行", "海关", "机关", "政协", "科协", "政府", "电视台", "机场",
    "企业", "大学", "学院", "医院",
    *"厅局委部办会院室署处科司所站队社馆组厂团联校市县区省州旗盟镇乡",
)
# Words that may stand right before a unit name without being part of it (根据财政厅意见, 经财政厅审核).
_PREPOSITIONS = ("按照", "根据", "依据", "针对", "关于", "经", "对", "向", "给", "为", "将", "把", "同", "按", "与")
# Common instruction words that are never names, even when they end like one (部署, 开会) or stand in a list.
_FILLERS = {
    "认真", "抓紧", "尽快", "及时", "妥善", "迅速", "速", "务必", "切实", "按要求", "按照要求", "按规定",
    "按有关规定", "结合实际", "做好", "抓好", "部署", "贯彻", "提出意见", "意见", "结果", "情况", "报结果",
    "工作", "相关工作", "有关工作", "有关事宜", "其", "此件", "此电", "该电", "来电", "全文", "开会", "会议",
    "学习", "照办", "遵照", "参照", "执行", "贯彻执行", "为盼", "为要", "各", "有关", "相关", "按照", "根据",
    "依据", "针对",
}
# Stripped from the end of free text: "张三同志" -> "张三", "财政厅、民政厅等" -> "".
_NAME_SUFFIXES = ("主要负责同志", "负责同志", "同志们", "等同志", "同志", "等单位", "等部门", "等")
_LABEL_RE = re.compile(r"^\s*(?:批\s*办|领\s*导\s*批\s*示|拟\s*办(?:\s*意\s*见)?)\s*[:：]?")

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_N = r"[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3}"
_DATE_RE = re.compile(
    r"(?P<pre>(?:务必|务)?(?:于|在|截至|截止到?|限))?\s*"
    r"(?:"
    rf"(?:(?P<y>[0-9０-９]{{4}}|[〇零一二三四五六七八九]{{4}})\s*年\s*)?(?P<m>{_N})\s*月\s*"
    rf"(?:(?P<d>{_N})\s*[日号]|(?P<eom>底|末))"
    r"|(?P<iy>[0-9０-９]{4})[-./](?P<im>[0-9０-９]{1,2})[-./](?P<id>[0-9０-９]{1,2})"
    r"|(?P<yy>[0-9０-９]{4})\s*年\s*(?:底|末)"
    r"|(?P<eoy>(?:今|本)?年(?:底|末|内))"
    r"|(?P<n>[0-9０-９]{1,4}|[一二两三四五六七八九十]{1,3})\s*个?\s*(?P<nu>工作日|日|天)\s*(?:之内|以内|内)"
    r")"
    r"(?P<post>\s*(?:之前|以前|前|为止|止))?"
)
_MAX_RELATIVE_DAYS = 3660


def _to_int(s: str) -> int:
    """Arabic (half/full width) or Chinese numerals up to 99, or digit-by-digit Chinese years (二〇二六)."""
    if all(c in "0123456789０１２３４５６７８９" for c in s):
        return int(s.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    value = 0
    for c in s:
        value = value * 10 + _CN_DIGITS[c]
    return value


def _month_day(year: int | None, month: int, day: int | None, ref: date, written: str) -> date:
    """A date from its parts; day None = last day of the month. Without a year: the first such date on or after
    ``ref`` (this year's, else next year's; Feb 29 skips to a leap year)."""
    years = [year] if year is not None else list(range(ref.year, ref.year + 9))
    for y in years:
        try:
            last = calendar.monthrange(y, month)[1]
            candidate = date(y, month, last if day is None else day)
        except (ValueError, OverflowError, calendar.IllegalMonthError):
            continue
        if year is not None or candidate >= ref:
            return candidate
    raise InstructionError(f"日期无效：{written}")


def _add_days(ref: date, n: int, working: bool, written: str) -> date:
    if n > _MAX_RELATIVE_DAYS:
        raise InstructionError(f"期限过长：{written}")
    try:
        if not working:
            return ref + timedelta(days=n)
        day = ref
        while n > 0:  # Monday–Friday; public holidays are not known here
            day += timedelta(days=1)
            if day.weekday() < 5:
                n -= 1
        return day
    except OverflowError as exc:
        raise InstructionError(f"日期无效：{written}") from exc


def _date_of(m: re.Match[str], ref: date) -> tuple[date, bool]:
    """(date, is_deadline) for a _DATE_RE match."""
    try:
        return _date_parts(m, ref)
    except (KeyError, ValueError) as exc:  # malformed numerals such as 十十; InstructionError passes through
        if isinstance(exc, InstructionError):
            raise
        raise InstructionError(f"日期无效：{m.group(0).strip(' 于在前')}") from exc


def _date_parts(m: re.Match[str], ref: date) -> tuple[date, bool]:
    written = m.string[m.end("pre") if m.group("pre") else m.start() : m.start("post") if m.group("post") else m.end()]
    written = written.strip()
    cue = bool(m.group("pre") or m.group("post"))
    if m.group("m"):
        year = _to_int(m.group("y")) if m.group("y") else None
        day = _to_int(m.group("d")) if m.group("d") else None
        return _month_day(year, _to_int(m.group("m")), day, ref, written), cue or day is None
    if m.group("iy"):
        return _month_day(_to_int(m.group("iy")), _to_int(m.group("im")), _to_int(m.group("id")), ref, written), cue
    if m.group("yy"):
        return _month_day(_to_int(m.group("yy")), 12, 31, ref, written), True
    if m.group("eoy"):
        return _month_day(ref.year, 12, 31, ref, written), True
    return _add_days(ref, _to_int(m.group("n")), m.group("nu") == "工作日", written), True


# ------------------------------------------------------------------------------------------------- tokenizer


@dataclass
class _Tok:
    kind: str  # unit | name | coord | sep | end | date | role | pivot | prefix | deliver | conn | mention
    text: str
    value: object = None  # unit / AMBIGUOUS, role, prefix default, or _Mention
    comrade: bool = False  # a name written with 同志: a person, so never filler


@dataclass
class _Mention:
    text: str
    unit: DirectoryUnit | None
    ambiguous: bool = False
    glued: bool = False  # a directory key glued to other name text: an unknown, longer name
    comrade: bool = False
    coordinated: bool = False
    after_deliver: bool = False
    source: bool = False  # 根据X意见: X is where an opinion comes from, not a recipient


def _strip_name(text: str) -> tuple[str, bool]:
    comrade = False
    changed = True
    while changed and text:
        changed = False
        for suffix in _NAME_SUFFIXES:
            if text.endswith(suffix):
                comrade = comrade or "同志" in suffix
                text = text[: -len(suffix)]
                changed = True
                break
    return text, comrade


def _word_at(text: str, pos: int, at_boundary: bool, directory: Directory) -> str | None:
    for length in range(min(_MAX_WORD, len(text) - pos), 0, -1):
        word = text[pos : pos + length]
        if word not in _WORDS:
            continue
        if word in _BOUNDARY_ONLY and not at_boundary:
            continue
        rest = text[pos + length : pos + length + 2]
        if any(rest.startswith(x) for x in _NOT_BEFORE.get(word, ())):
            continue
        # 转交通厅 is 转 + 交通厅, not 转交 + 通厅: a word may not cut a directory name in two.
        if any(
            (hit := directory.match_at(text, pos + k)) is not None and k + hit[0] > length
            for k in range(1, length)
        ):
            continue
        return word
    return None


def _report_at(text: str, pos: int, directory: Directory) -> str | None:
    """A report word inside a run of words ("结果报自治区政府办公厅") when a unit follows it: the report's
    destination, so the words before it are not glued to a unit name."""
    for word in sorted(_REPORT_WORDS, key=len, reverse=True):
        if not text.startswith(word, pos):
            continue
        rest = pos + len(word)
        if directory.match_at(text, rest) is not None:
            return word
        m = re.match(r"[^\s，,。；;！!？?、]+", text[rest:])
        if m and _ends_like_unit(_strip_name(m.group(0))[0]):
            return word
    return None


def _tokenize(text: str, directory: Directory, ref: date) -> tuple[list[_Tok], list[date]]:
    dates = {m.start(): m for m in _DATE_RE.finditer(text) if m.group(0).strip()}
    deadlines: list[date] = []
    tokens: list[_Tok] = []
    buf: list[str] = []

    def flush_name() -> None:
        if buf:
            name, comrade = _strip_name("".join(buf))
            buf.clear()
            if name:
                tokens.append(_Tok("name", name, comrade=comrade))

    i, n = 0, len(text)
    while i < n:
        m = dates.get(i)
        if m is not None and m.end() > i:
            flush_name()
            when, is_deadline = _date_of(m, ref)
            if is_deadline:
                deadlines.append(when)
            tokens.append(_Tok("date", m.group(0)))
            i = m.end()
            continue
        ch = text[i]
        if ch in _TERMINATORS:
            flush_name()
            tokens.append(_Tok("end", ch))
            i += 1
            continue
        if ch.isspace() or ch in _PUNCT:
            flush_name()
            tokens.append(_Tok("sep", ch))
            i += 1
            continue
        hit = directory.match_at(text, i)
        if hit is not None:
            flush_name()
            length, unit = hit
            tokens.append(_Tok("unit", text[i : i + length], unit))
            i += length
            continue
        word = _word_at(text, i, not buf, directory)
        if word is None and buf:
            word = _report_at(text, i, directory)
        if word is not None:
            flush_name()
            kind, value = _WORDS[word]
            tokens.append(_Tok(kind, word, value))
            i += len(word)
            continue
        if ch in _COORD:
            flush_name()
            tokens.append(_Tok("coord", ch))
            i += 1
            continue
        buf.append(ch)
        i += 1
    flush_name()
    return tokens, deadlines


# ---------------------------------------------------------------------------------------------- name heuristics


def _has_letters(text: str) -> bool:
    return any(c.isalpha() for c in text)


def _ends_like_unit(text: str) -> bool:
    return text not in _FILLERS and _has_letters(text) and text.endswith(_UNIT_ENDINGS)


def _merge_coordinated_names(tokens: list[_Tok]) -> list[_Tok]:
    """自治区住房 和 城乡建设厅 -> one name: a 和/及/与 inside an unknown name is not a list separator when the left
    part does not end like a unit but the right part does."""
    out: list[_Tok] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if (
            t.kind == "coord" and t.text != "、" and out and out[-1].kind == "name" and i + 1 < len(tokens)
            and tokens[i + 1].kind == "name" and not _ends_like_unit(out[-1].text)
            and out[-1].text not in _FILLERS and _ends_like_unit(tokens[i + 1].text)
        ):
            left = out.pop()
            out.append(_Tok("name", left.text + t.text + tokens[i + 1].text, comrade=tokens[i + 1].comrade))
            i += 2
            continue
        out.append(t)
        i += 1
    return out


def _glues_left(name: _Tok) -> bool:
    # Text written right before a directory key is almost always part of a longer name (银川|总工会,
    # 市委|组织部): instruction words are tokens of their own, so only ordinary words and prepositions remain.
    text = name.text
    return _has_letters(text) and text not in _FILLERS and not text.endswith(_PREPOSITIONS)


def _glues_right(name: _Tok) -> bool:
    return name.text not in _FILLERS and _ends_like_unit(name.text)


def _resolve_runs(tokens: list[_Tok]) -> list[_Tok]:
    """Replace each run of adjacent unit/name tokens by mention tokens (see the module docstring, pass 2)."""
    out: list[_Tok] = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind not in ("unit", "name"):
            out.append(tokens[i])
            i += 1
            continue
        j = i
        while j < len(tokens) and tokens[j].kind in ("unit", "name"):
            j += 1
        run = tokens[i:j]
        # Chains of glued tokens: [start, end) slices that form one mention each.
        pieces: list[list[_Tok]] = []
        for k, tok in enumerate(run):
            prev = run[k - 1] if k else None
            glue = prev is not None and (
                (prev.kind == "unit" and tok.kind == "unit")
                or (prev.kind == "name" and tok.kind == "unit" and _glues_left(prev))
                or (prev.kind == "unit" and tok.kind == "name" and (_glues_right(tok) or tok.comrade))
            )
            if glue:
                pieces[-1].append(tok)
            else:
                pieces.append([tok])
        for n, piece in enumerate(pieces):
            text = "".join(t.text for t in piece)
            comrade = any(t.comrade for t in piece)
            person = len(piece) == 2 and piece[0].kind == "unit" and piece[1].kind == "name" and piece[1].comrade
            if person and isinstance(piece[0].value, DirectoryUnit):
                mention = _Mention(text, piece[0].value, comrade=True)  # 财政厅张三同志: a person of that unit
            elif len(piece) > 1:
                mention = _Mention(text, None, glued=True, comrade=comrade)
            elif piece[0].kind == "unit":
                unit = piece[0].value
                if isinstance(unit, DirectoryUnit):
                    mention = _Mention(text, unit)
                else:
                    mention = _Mention(text, None, ambiguous=True)
            else:
                mention = _Mention(text, None, comrade=comrade)
            before = pieces[n - 1][-1] if n else None
            mention.source = before is not None and before.kind == "name" and before.text.endswith(_SOURCE_PREPOSITIONS)
            out.append(_Tok("mention", text, mention))
        i = j
    return out


def _unit_like(m: _Mention) -> bool:
    """Whether an unresolved mention names a unit (→ unknown) rather than being ordinary words."""
    if m.glued or m.ambiguous:
        return True
    text = m.text
    if len(text) < 2 or text in _FILLERS or not _has_letters(text):
        return False
    return _ends_like_unit(text) or m.comrade or m.coordinated or m.after_deliver


# --------------------------------------------------------------------------------------------------- grammar


class _Builder:
    def __init__(self) -> None:
        self.roles: dict[str, str] = {}  # unit name -> strongest role, in first-seen order
        self.unknown: list[str] = []
        self.needs_instruction: list[str] = []
        self.archive = False
        self.reset()

    def reset(self, default: str | None = HANDLE, forced: str | None = None) -> None:
        self.mentions: list[_Mention] = []
        self.default = default
        self.forced = forced

    def close(self, role: str | None) -> None:
        """Give every mention of the current group ``role`` and open a new, plain group."""
        for m in self.mentions:
            if m.source:
                continue
            if role == _INSTRUCT:
                if m.text not in _FILLERS and _has_letters(m.text) and m.text not in self.needs_instruction:
                    self.needs_instruction.append(m.text)
            elif role is None:
                continue  # 报X (report back to X): not a routing
            elif m.unit is not None:
                current = self.roles.get(m.unit.name)
                if current is None or ROLE_STRENGTH[role] > ROLE_STRENGTH[current]:
                    self.roles[m.unit.name] = role
            elif _unit_like(m) and m.text not in self.unknown:
                self.unknown.append(m.text)
        self.reset()

    def close_default(self) -> None:
        self.close(self.forced or self.default)


def _run_grammar(tokens: list[_Tok]) -> _Builder:
    b = _Builder()
    coord_pending = False
    after_deliver = False
    for i, tok in enumerate(tokens):
        kind = tok.kind
        if kind == "sep":
            continue  # commas and spaces neither close a group nor coordinate
        if kind == "mention":
            m = tok.value
            assert isinstance(m, _Mention)
            if coord_pending and b.mentions:
                m.coordinated = b.mentions[-1].coordinated = True
            m.after_deliver = after_deliver
            b.mentions.append(m)
        elif kind == "coord":
            coord_pending = bool(b.mentions)
            continue
        elif kind == "end":
            b.close_default()
        elif kind == "role":
            role = tok.value
            if role == _ARCHIVE:
                b.archive = True
                if b.mentions:
                    b.close(b.forced or READ)  # 转X存档: X receives it for filing, nothing to finish
            elif role == _INSTRUCT:
                b.close(_INSTRUCT)
            elif b.mentions:
                b.close(b.forced or str(role))
        elif kind == "pivot":
            nxt = next((t for t in tokens[i + 1 :] if t.kind != "sep"), None)
            if nxt is not None and nxt.kind == "mention":
                # X会同Y: X leads, Y assists; X配合Y: X assists, Y leads.
                left = str(tok.value)
                b.close(left)
                b.reset(forced=ASSIST if left == LEAD else LEAD)
            elif b.mentions:
                b.close(b.forced or ASSIST)  # Y配合 / Y会同办理
        elif kind in ("prefix", "deliver"):
            if b.mentions:
                b.close_default()
            b.reset(default=tok.value if isinstance(tok.value, str) else None)
            after_deliver = kind == "deliver"
            coord_pending = False
            continue
        # kind in ("date", "conn") and everything handled above
        coord_pending = False
        after_deliver = False
    b.close_default()
    return b


# -------------------------------------------------------------------------------------------------------- API


def parse(text: str, directory: Directory, *, received_on: date | None = None) -> ParsedInstruction:
    """Parse a 批办/批示 text. ``received_on`` anchors dates written without a year and relative deadlines
    (default: today, local time of this process)."""
    if not isinstance(text, str):
        raise InstructionError("批办内容必须是文本")
    if not text.strip():
        raise InstructionError("批办内容为空")
    if len(text) > MAX_TEXT_LENGTH:
        raise InstructionError(f"批办内容过长（超过{MAX_TEXT_LENGTH}字）")
    ref = received_on or date.today()
    if isinstance(ref, datetime):  # a datetime is a date, but does not compare with one
        ref = ref.date()
    body = _LABEL_RE.sub("", text, count=1).translate(_TRANSLATE)
    tokens, deadlines = _tokenize(body, directory, ref)
    tokens = _resolve_runs(_merge_coordinated_names(tokens))
    built = _run_grammar(tokens)
    return ParsedInstruction(
        routes=[Route(unit, role) for unit, role in built.roles.items()],
        unknown=built.unknown,
        deadline=min(deadlines) if deadlines else None,
        archive=built.archive,
        needs_instruction=built.needs_instruction,
    )
