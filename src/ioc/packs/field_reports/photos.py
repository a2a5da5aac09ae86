"""Photo checks for field reports: only real images, a size limit, no metadata.

Every upload is decoded with Pillow (the file name and the declared type are ignored), must be
JPEG, PNG or WebP, and is re-encoded from its pixels alone, so EXIF (GPS position, camera,
owner), XMP, ICC and text chunks never reach the disk. The EXIF orientation is applied first so
the picture keeps its upright position. Files are stored content-addressed under
``<data_dir>/field_reports/photos/``.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from ioc.core.files import write_durably

__all__ = ["PhotoError", "ProcessedPhoto", "StoredPhoto", "process", "redact", "store"]

# Decoded format -> (MIME type, file extension).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
# Refuse decompression bombs well before they exhaust memory (about 50 megapixels by default;
# ``IOC_FR_PHOTO_MAX_PIXELS``).
MAX_PIXELS = 50_000_000
SUBDIR = Path("field_reports") / "photos"


class PhotoError(ValueError):
    """A refused photo, with a Vietnamese message (``en`` for English) naming the problem."""

    def __init__(self, message: str, en: str) -> None:
        super().__init__(message)
        self.en = en
        self.field = "photos"


@dataclass(frozen=True)
class ProcessedPhoto:
    """A verified image re-encoded without metadata."""

    data: bytes
    format: str  # JPEG | PNG | WEBP
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


@dataclass(frozen=True)
class StoredPhoto:
    """A processed photo written under the data folder (``path`` relative to it)."""

    photo: ProcessedPhoto
    path: str


def _too_many_pixels(max_pixels: int) -> PhotoError:
    mega = max(1, max_pixels // 1_000_000)
    return PhotoError(
        f"Ảnh có kích thước quá lớn: tối đa {mega} megapixel",
        f"The image has too many pixels: at most {mega} megapixels",
    )


def _open(data: bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise PhotoError(
                    "Ảnh phải là JPEG, PNG hoặc WebP",
                    "The photo must be a JPEG, PNG or WebP image",
                )
            # Checked from the header, before a single pixel is decoded.
            if image.width * image.height > max_pixels:
                raise _too_many_pixels(max_pixels)
            image.load()  # a full decode: a truncated or forged file fails here
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard (more than ~89/179 megapixels) fires inside Image.open.
        raise _too_many_pixels(max_pixels) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning) as exc:
        raise PhotoError(
            "Tệp không phải là ảnh hợp lệ (JPEG, PNG, WebP)",
            "The file is not a valid image (JPEG, PNG, WebP)",
        ) from exc
    return image


def process(
    data: bytes, *, max_bytes: int, max_side: int = 2560, max_pixels: int = MAX_PIXELS
) -> ProcessedPhoto:
    """Verify ``data`` is a real JPEG/PNG/WebP of at most ``max_bytes`` and ``max_pixels``
    (width × height, read from the header before decoding: a small file can claim a huge
    picture) and re-encode it without any metadata (scaled down to ``max_side`` pixels on its
    long side)."""
    if not data:
        raise PhotoError("Tệp ảnh rỗng", "The photo file is empty")
    if len(data) > max_bytes:
        raise PhotoError(
            f"Ảnh quá lớn: tối đa {max_bytes // (1024 * 1024) or 1} MB",
            f"The photo is too large: at most {max_bytes} bytes",
        )
    image = _open(data, max_pixels)
    fmt = str(image.format)
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    mode = "RGBA" if has_alpha and fmt != "JPEG" else "RGB"
    converted = upright.convert(mode)
    if max(converted.size) > max_side:
        converted.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # Rebuilt from raw pixels: nothing of the original's info/EXIF/ICC can be carried over.
    clean = Image.frombytes(mode, converted.size, converted.tobytes())
    if fmt == "JPEG":
        return _encoded(clean, fmt, quality=88, optimize=True)
    if fmt == "PNG":
        return _encoded(clean, fmt, optimize=True)
    return _encoded(clean, fmt, quality=85)


def _encoded(image: Image.Image, fmt: str, **options: Any) -> ProcessedPhoto:
    """``image`` saved as ``fmt`` (JPEG, PNG or WEBP) with the encoder's ``options``."""
    out = io.BytesIO()
    image.save(out, fmt, **options)
    encoded = out.getvalue()
    content_type, extension = FORMATS[fmt]
    return ProcessedPhoto(
        data=encoded,
        format=fmt,
        content_type=content_type,
        extension=extension,
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(encoded).hexdigest(),
    )


def redact(data: bytes, boxes: Sequence[tuple[int, int, int, int]]) -> ProcessedPhoto:
    """Paint black boxes ``(x0, y0, x1, y1)`` (pixels) over a processed photo (faces, number
    plates, house numbers) and re-encode it. Boxes are clipped to the image."""
    if not boxes:
        raise PhotoError("Chưa chọn vùng cần che", "No area to redact was given")
    image = _open(data)
    fmt = str(image.format)
    mode = "RGBA" if image.mode in ("RGBA", "LA") and fmt != "JPEG" else "RGB"
    canvas = image.convert(mode)
    draw = ImageDraw.Draw(canvas)
    for box in boxes:
        if len(box) != 4:
            raise PhotoError("Vùng che phải có 4 tọa độ", "A box needs 4 coordinates")
        ax, ay, bx, by = (int(v) for v in box)
        x0, x1 = sorted((ax, bx))
        y0, y1 = sorted((ay, by))
        x0, x1 = max(0, x0), min(canvas.width, x1)
        y0, y1 = max(0, y0), min(canvas.height, y1)
        if x1 <= x0 or y1 <= y0:
            raise PhotoError("Vùng che nằm ngoài ảnh", "The box lies outside the image")
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill="black")
    return _encoded(canvas, fmt, **({"quality": 88} if fmt in ("JPEG", "WEBP") else {}))


def store(photo: ProcessedPhoto, root: Path) -> StoredPhoto:
    """Write ``photo`` under ``root`` (the data folder), content-addressed; returns the path
    relative to ``root``. Written atomically; an identical photo is stored once.

    A file written for a transaction that later rolls back stays as an unreferenced file; it
    holds no metadata and is harmless (a cleanup job may remove unreferenced files). The file is
    durable (fsync) before this returns, so the row committed after it never points to nothing.
    """
    relative = SUBDIR / photo.sha256[:2] / f"{photo.sha256}.{photo.extension}"
    target = root / relative
    if not target.exists():
        # On disk (fsync) before the report row that points to it is committed.
        write_durably(target, photo.data)
    return StoredPhoto(photo=photo, path=relative.as_posix())


def read(root: Path, relative: str) -> bytes:
    """The bytes of a stored photo (``relative`` as returned by :func:`store`)."""
    path = (root / relative).resolve()
    if root.resolve() not in path.parents:
        raise PhotoError("Đường dẫn ảnh không hợp lệ", "Invalid photo path")
    return path.read_bytes()
