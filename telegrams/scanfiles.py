"""The pixel size of an uploaded image, read by Pillow from the header (no decoding), with a cap.

A scan is never decoded on the server, but a browser opening it would be: an image declaring a decompression-bomb
size is refused. The hand-written marker walk this replaces stopped at the first byte that was not 0xFF, so a
JPEG with one fill byte before its SOF marker passed; Pillow parses JPEG and PNG headers as decoders do."""
from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

# An A3 page at 600 dpi is about 7000×9900 pixels.
SCAN_MAX_SIDE = 30_000
SCAN_MAX_PIXELS = 150_000_000


class BadImage(ValueError):
    """The image is refused; the message (Chinese, without the file name) says why."""


def image_size(content: bytes, content_type: str) -> tuple[int, int] | None:
    """(width, height) of a JPEG or PNG (None for other types). Raises BadImage when Pillow cannot read the
    header as that format, or the size is over the caps."""
    if content_type not in ("image/jpeg", "image/png"):
        return None
    expected = "JPEG" if content_type == "image/jpeg" else "PNG"
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=[expected]) as image:
                width, height = image.size
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise BadImage("图像尺寸异常（像素数过大）")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise BadImage("无法读取图像尺寸（文件不完整或已损坏）")
    if max(width, height) > SCAN_MAX_SIDE or width * height > SCAN_MAX_PIXELS:
        raise BadImage(f"图像尺寸异常（{width}×{height}像素）")
    return width, height
