"""Serving an uploaded file back to a user, the one safe way.

Uploads come from clients and staff: a browser must never render one as a page of ours (an HTML
or SVG file would run its scripts with our cookies), so every file goes out as an attachment,
with its declared type, no sniffing, and a sandboxing policy should a browser open it anyway.
"""

from __future__ import annotations

from typing import cast

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse


def file_download(file: FieldFile, *, filename: str, content_type: str) -> HttpResponse:
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # A file response is not an HttpResponse subclass, but the access decorators' type wants one.
    return cast(HttpResponse, response)
