"""Image sizes are read by Pillow with a pixel cap: the JPEG fill-byte trick that passed the hand-written header
walk is refused like any other oversized image."""
from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image

from telegrams.scanfiles import BadImage, image_size


def jpeg(width: int, height: int, *, fill_bytes: int = 0) -> bytes:
    """A JFIF header and a baseline SOF0 declaring width×height; `fill_bytes` 0xFF fill bytes before the SOF
    marker, which JPEG allows (ITU T.81 B.1.1.2) and decoders skip."""
    sof = b"\xc0\x00\x11\x08" + height.to_bytes(2, "big") + width.to_bytes(2, "big") + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff" * (1 + fill_bytes) + sof + b"\xff\xd9"


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 6, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def real_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(out, "JPEG")
    return out.getvalue()


def test_a_real_scan_has_its_size():
    assert image_size(real_jpeg(), "image/jpeg") == (64, 48)
    assert image_size(png(7000, 9900), "image/png") == (7000, 9900)
    assert image_size(b"%PDF-1.7", "application/pdf") is None


@pytest.mark.parametrize("fill", [0, 1, 5])
def test_a_jpeg_declaring_a_bomb_is_refused_with_or_without_fill_bytes(fill):
    with pytest.raises(BadImage, match="图像尺寸异常"):
        image_size(jpeg(60_000, 60_000, fill_bytes=fill), "image/jpeg")


def test_caps_on_a_side_and_on_the_pixel_count():
    with pytest.raises(BadImage, match="40000×10"):
        image_size(png(40_000, 10), "image/png")
    with pytest.raises(BadImage):
        image_size(png(20_000, 20_000), "image/png")  # 400 megapixels


def test_an_image_pillow_cannot_read_is_refused():
    with pytest.raises(BadImage, match="无法读取"):
        image_size(b"\xff\xd8\xff" + b"garbage" * 10, "image/jpeg")
    with pytest.raises(BadImage, match="无法读取"):
        image_size(b"\x89PNG\r\n\x1a\n" + b"\0" * 10, "image/png")
