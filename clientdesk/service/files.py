"""Checking uploaded files before they are stored: size, and type by content, not by name.

The type is read from the file's first bytes (magic numbers); the name's extension must agree
with it. HTML, SVG, executables and anything unrecognised are refused: an attachment is opened
by staff on their workstations and must not become a way in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_OFFICE_ZIP = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "zip": "application/zip",
}
_OLE = {"doc": "application/msword", "xls": "application/vnd.ms-excel"}
_TEXT = {"txt": "text/plain", "csv": "text/csv"}
ALLOWED_EXTENSIONS = sorted(
    {"pdf", "png", "jpg", "jpeg", "gif", "tif", "tiff", *_OFFICE_ZIP, *_OLE, *_TEXT}
)


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(getattr(settings, "SERVICE_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def sniff(head: bytes, name: str) -> str | None:
    """The content type the bytes prove, or None when they prove nothing we accept."""
    ext = _extension(name)
    if head.startswith(b"%PDF-"):
        return "application/pdf" if ext == "pdf" else None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png" if ext == "png" else None
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg" if ext in {"jpg", "jpeg"} else None
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif" if ext == "gif" else None
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff" if ext in {"tif", "tiff"} else None
    if head.startswith(b"PK\x03\x04"):
        return _OFFICE_ZIP.get(ext)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _OLE.get(ext)
    if ext in _TEXT and b"\x00" not in head:
        lowered = head.lstrip().lower()
        if lowered.startswith((b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script")):
            return None
        for encoding in ("utf-8", "cp1251"):
            try:
                head.decode(encoding)
            except UnicodeDecodeError:
                continue
            return _TEXT[ext]
    return None


def check_upload(stream: IO[bytes], name: str, *, declared_size: int | None = None) -> CheckedFile:
    """Reads the upload (at most the limit plus one byte) and proves its size and type."""
    limit = max_bytes()
    too_big = _("%(name)s is %(size)s; files up to %(limit)s can be attached.")
    if declared_size is not None and declared_size > limit:
        raise ValidationError(
            too_big
            % {"name": name, "size": filesizeformat(declared_size), "limit": filesizeformat(limit)},
            code="too_big",
        )
    content = stream.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(
            _("%(name)s is larger than %(limit)s, the largest file that can be attached.")
            % {"name": name, "limit": filesizeformat(limit)},
            code="too_big",
        )
    if not content:
        raise ValidationError(_("%(name)s is empty.") % {"name": name}, code="empty")
    content_type = sniff(content[:2048], name)
    if content_type is None:
        raise ValidationError(
            _(
                "%(name)s cannot be attached: its content is not one of the accepted types "
                "(%(types)s), or does not match its extension."
            )
            % {"name": name, "types": ", ".join(ALLOWED_EXTENSIONS)},
            code="bad_type",
        )
    return CheckedFile(
        content=content,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def safe_filename(name: str) -> str:
    """The name as shown and offered on download: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')
    return cleaned.strip()[:200] or "file"
