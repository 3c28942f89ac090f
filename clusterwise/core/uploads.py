"""Checking an uploaded file before it is kept: its name's ending decides its type (browsers
report .docx and .mp3 inconsistently), its first bytes must agree, and an Office file must
hold the part its ending promises (a renamed .xlsx is not a Word document)."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Collection
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.translation import gettext as _

# Ending → (content type, how such a file begins).
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".webp": ("image/webp", (b"RIFF",)),  # and "WEBP" at byte 8
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".mp3": ("audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    ".mp4": ("video/mp4", ()),  # "ftyp" at byte 4
}
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
OFFICE_PART = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml"}


def file_type(
    upload: UploadedFile,
    *,
    allowed: Collection[str],
    max_bytes: int,
    field: str,
    not_allowed: str,
) -> str:
    """The content type of an upload whose ending is `allowed` and whose content agrees;
    else a ValidationError on `field` (`not_allowed` says which files are welcome)."""
    name = upload.name or "file"
    ending = PurePath(name).suffix.lower()
    if ending not in allowed or ending not in FILE_TYPES:
        raise ValidationError({field: not_allowed % {"name": name}})
    if not upload.size:
        raise ValidationError({field: _("“%(name)s” is empty.") % {"name": name}})
    if upload.size > max_bytes:
        raise ValidationError(
            {
                field: _("“%(name)s” is larger than %(mb)s MB.")
                % {"name": name, "mb": max_bytes // (1024 * 1024)}
            }
        )
    content_type, signatures = FILE_TYPES[ending]
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    ok = head[4:8] == b"ftyp" if ending == ".mp4" else head.startswith(signatures)
    if ok and ending == ".webp":
        ok = head[8:12] == b"WEBP"
    if ok and ending in OFFICE_PART:
        try:
            with zipfile.ZipFile(io.BytesIO(upload.read())) as archive:
                ok = OFFICE_PART[ending] in archive.namelist()
        except zipfile.BadZipFile:
            ok = False
        upload.seek(0)
    if not ok:
        raise ValidationError(
            {field: _("“%(name)s” is not what its name says it is.") % {"name": name}}
        )
    return content_type


def original_name(upload: UploadedFile) -> str:
    """The file's own name without any folder (as a browser on Windows may send it)."""
    return PurePath((upload.name or "file").replace("\\", "/")).name[:255] or "file"


def store(field: FieldFile, upload: UploadedFile) -> None:
    """Put the upload in a file field under a random name: what people call their files
    never reaches the disk (nor guesses at another's)."""
    field.save(
        f"{uuid.uuid4().hex}{PurePath(original_name(upload)).suffix.lower()}", upload, save=False
    )


def serve(field: FieldFile, *, name: str, content_type: str) -> FileResponse:
    """A kept file to a reader the caller has checked: images shown, the rest downloaded,
    never sniffed into something else, cached by the browser alone."""
    response = FileResponse(
        field.open("rb"),
        content_type=content_type,
        as_attachment=content_type not in IMAGE_TYPES,
        filename=name,
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
