"""OCR text boxes → lines of text, the way the page is read: rows top to bottom, boxes left to right.

Pure Python (no numpy), so it is tested without the OCR extra. A detector returns one quadrilateral per run
of text; a fax or a photo is rotated a little, so on a wide form a row's right end sits lower (or higher) than
the next row's left end and sorting by y alone interleaves rows. The page's skew is the median angle of the
boxes' top edges (long boxes only: a short box's angle is noise); centres are rotated back by it, then boxes
whose centres lie within half a line height of a row's running centre join that row.
"""
from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    points: tuple[Point, Point, Point, Point]  # top-left, top-right, bottom-right, bottom-left
    text: str
    score: float


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float  # the lowest score of its boxes: one doubtful box makes the line doubtful
    page: int = 1

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "confidence": round(self.confidence, 4), "page": self.page}


def _length(a: Point, b: Point) -> float:
    return math.hypot(b[0] - a[0], b[1] - a[1])


def skew_of(boxes: Sequence[Box]) -> float:
    """The page's rotation in radians (positive: text runs downhill to the right)."""
    angles = []
    for b in boxes:
        tl, tr, br, bl = b.points
        width, height = _length(tl, tr), (_length(tl, bl) + _length(tr, br)) / 2
        if height > 0 and width > 2 * height:
            angles.append(math.atan2(tr[1] - tl[1], tr[0] - tl[0]))
    return statistics.median(angles) if angles else 0.0


# Brackets and colons vary in OCR output: the forms the register writes. A year in brackets belongs to a
# number: this office's receipt numbers print it in [ ], a sender's number in 〔 〕.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_YEAR_BRACKETS_RE = re.compile(r"(?P<prefix>[" + _HAN + r"]{0,8})[\[［【〔(（]\s*(?P<year>\d{4})\s*[\]］】〕)）]")
_COLON_RE = re.compile(f"(?<=[{_HAN}])\\s*:|:(?=\\s*[{_HAN}])")
_PARENS_RE = re.compile(r"\(([^()]{1,30})\)")


def normalise(text: str) -> str:
    """One spelling of brackets and colons: ASCII ":" next to Chinese → "：", "(局)" → "（局）",
    "宁机明收【2024】" → "宁机明收[2024]", "工发电(2020)" → "工发电〔2020〕"."""
    text = _COLON_RE.sub("：", text)
    text = _PARENS_RE.sub(lambda m: f"（{m[1]}）" if re.search(f"[{_HAN}]", m[1]) else m[0], text)

    def brackets(m: re.Match[str]) -> str:
        o, c = ("[", "]") if "收" in m["prefix"] else ("〔", "〕")
        return f"{m['prefix']}{o}{m['year']}{c}"

    return _YEAR_BRACKETS_RE.sub(brackets, text)


def group_lines(boxes: Sequence[Box], *, page: int = 1) -> list[Line]:
    """Rows of boxes as lines; a gap of two line heights or more between rows becomes an empty line (the
    parser reads blank lines as the end of a field or a paragraph)."""
    boxes = [b for b in boxes if b.text.strip()]
    if not boxes:
        return []
    skew = skew_of(boxes)
    cos, sin = math.cos(-skew), math.sin(-skew)
    items = []
    for b in boxes:
        cx = sum(p[0] for p in b.points) / 4
        cy = sum(p[1] for p in b.points) / 4
        tl, tr, br, bl = b.points
        height = (_length(tl, bl) + _length(tr, br)) / 2
        items.append((cx * sin + cy * cos, cx * cos - cy * sin, height, b))
    line_height = statistics.median(h for _, _, h, _ in items) or 1.0
    items.sort(key=lambda it: it[0])
    rows: list[list[tuple[float, float, float, Box]]] = []
    centres: list[float] = []
    for it in items:
        if rows and abs(it[0] - centres[-1]) < 0.5 * line_height:
            rows[-1].append(it)
            centres[-1] = sum(r[0] for r in rows[-1]) / len(rows[-1])
        else:
            rows.append([it])
            centres.append(it[0])
    lines: list[Line] = []
    for n, row in enumerate(rows):
        if n and centres[n] - centres[n - 1] >= 2 * line_height:
            lines.append(Line("", 1.0, page))
        row.sort(key=lambda it: it[1])
        text = " ".join(normalise(it[3].text.strip()) for it in row)
        lines.append(Line(text, min(it[3].score for it in row), page))
    return lines
