"""The OCR engine: RapidOCR (PP-OCRv6 models inside the wheel, onnxruntime, one inference thread), PDF pages
rendered with pypdfium2, boxes regrouped into lines (`layout`).

The OCR extra (requirements-ocr.txt) is optional: without it `available()` is False, `read_document` raises
`OcrUnavailable` with a Chinese message, and nothing else in the project imports it. Its packages are imported
inside the functions below for that reason only (never to dodge a cycle).

One engine per process (`engine()`, created on first use and kept): loading the models costs about a second
and 0.5 GB, so a Celery worker of the `ocr` queue pays it once, not per scan.
"""
from __future__ import annotations

import importlib.util
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from .layout import Box, Line, group_lines

OCR_PACKAGES = ("rapidocr", "onnxruntime", "pypdfium2", "PIL", "numpy")
DEFAULT_DPI = 200
DEFAULT_MAX_PAGES = 10
# A phone photo is 12+ megapixels; the detector works on ≤ 2000 px a side anyway, so larger only costs time.
MAX_IMAGE_SIDE = 3000

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
_MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))


class OcrError(Exception):
    """The scan could not be read; `str(exc)` is a Chinese message for the clerk."""


class OcrUnavailable(OcrError):
    pass


@dataclass
class OcrResult:
    text: str
    lines: list[Line] = field(default_factory=list)
    pages: int = 0
    seconds: float = 0.0

    @property
    def mean_confidence(self) -> float | None:
        scored = [ln.confidence for ln in self.lines if ln.text]
        return sum(scored) / len(scored) if scored else None

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "lines": [ln.as_dict() for ln in self.lines], "pages": self.pages,
                "seconds": round(self.seconds, 3)}


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether the OCR extra is installed (looked up, not imported: importing it takes a second)."""
    return all(importlib.util.find_spec(name) is not None for name in OCR_PACKAGES)


def kind_of(content: bytes) -> str | None:
    """The scan's type judged by its content (PDF, JPEG, PNG), None for anything else."""
    return next((kind for magic, kind in _MAGIC if content.startswith(magic)), None)


_engine_lock = threading.Lock()


@lru_cache(maxsize=1)
def _engine():
    from rapidocr import RapidOCR  # the optional extra; see the module docstring

    return RapidOCR(params={
        "Global.log_level": "warning",
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    })


def engine():
    """The process's one RapidOCR engine (created on first use)."""
    if not available():
        raise OcrUnavailable("未安装文字识别组件（requirements-ocr.txt），无法识别扫描件。")
    with _engine_lock:
        return _engine()


def warm_up() -> None:
    """Create the engine and read a line once: the models load and onnxruntime finishes its first-run set-up
    (together about 3 s on 2 cores) before a clerk's scan arrives, not while the clerk waits for it."""
    import numpy as np
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 48), "white")
    ImageDraw.Draw(image).text((8, 16), "OCR 2020 744", fill="black")
    read_page(np.asarray(image))


def pages_of(content: bytes, *, dpi: int = DEFAULT_DPI, max_pages: int = DEFAULT_MAX_PAGES):
    """(page count, iterator of RGB numpy arrays) for a PDF, JPEG or PNG; raises OcrError for anything else."""
    if not available():
        raise OcrUnavailable("未安装文字识别组件（requirements-ocr.txt），无法识别扫描件。")
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    kind = kind_of(content)
    if kind is None:
        raise OcrError("扫描件须为 PDF、JPEG 或 PNG 文件。")
    if kind == PDF:
        import pypdfium2

        try:
            pdf = pypdfium2.PdfDocument(content)
        except pypdfium2.PdfiumError as exc:
            raise OcrError("PDF 文件已损坏或加密，无法读取。") from exc
        count = len(pdf)
        if count == 0:
            raise OcrError("PDF 文件没有页面。")
        if count > max_pages:
            raise OcrError(f"PDF 共 {count} 页，超过识别上限 {max_pages} 页。")

        def render():
            try:
                for index in range(count):
                    page = pdf[index]
                    image = page.render(scale=dpi / 72).to_pil().convert("RGB")
                    page.close()
                    yield np.asarray(image)
            finally:
                pdf.close()

        return count, render()
    try:
        image = Image.open(io.BytesIO(content))
        image = ImageOps.exif_transpose(image).convert("RGB")  # a phone photo carries its orientation in EXIF
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise OcrError("图片已损坏或过大，无法读取。") from exc
    if max(image.size) > MAX_IMAGE_SIDE:
        image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    return 1, iter([np.asarray(image)])


def read_page(array, *, page: int = 1) -> list[Line]:
    out = engine()(array)
    if out.boxes is None or out.txts is None:
        return []
    boxes = [
        Box(tuple((float(x), float(y)) for x, y in quad), str(text), float(score))
        for quad, text, score in zip(out.boxes.tolist(), out.txts, out.scores, strict=True)
    ]
    return group_lines(boxes, page=page)


def read_document(content: bytes, *, on_page: Callable[[int, int], None] | None = None, dpi: int = DEFAULT_DPI,
                  max_pages: int = DEFAULT_MAX_PAGES) -> OcrResult:
    """Read every page of a scan; `on_page(n, count)` is called before page n is read (progress)."""
    started = time.monotonic()
    count, pages = pages_of(content, dpi=dpi, max_pages=max_pages)
    lines: list[Line] = []
    for n, array in enumerate(pages, start=1):
        if on_page is not None:
            on_page(n, count)
        if n > 1:
            lines.append(Line("", 1.0, n))
        lines.extend(read_page(array, page=n))
    text = "\n".join(ln.text for ln in lines)
    return OcrResult(text=text, lines=lines, pages=count, seconds=time.monotonic() - started)
