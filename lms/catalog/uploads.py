"""Images for Markdown: type by magic bytes, size limit, atomic storage, lookup by name."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.models import Upload
from lms.core.audit import record_event
from lms.core.db import db
from lms.core.errors import ValidationError
from lms.core.i18n import _l

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_PATH = "/uploads/"
NAME_RE = re.compile(r"^[0-9a-f]{12}-[a-z0-9-]{1,60}\.(png|jpg|gif|webp)$")
_SWEDISH = str.maketrans({"å": "a", "ä": "a", "ö": "o", "æ": "ae", "ø": "o", "ß": "ss"})


@dataclass(frozen=True)
class ImageType:
    extension: str
    content_type: str


PNG = ImageType("png", "image/png")
JPEG = ImageType("jpg", "image/jpeg")
GIF = ImageType("gif", "image/gif")
WEBP = ImageType("webp", "image/webp")


def detect_image_type(head: bytes) -> ImageType | None:
    """The image type of a file from its first bytes; the name and client's word don't count."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def safe_stem(filename: str) -> str:
    """The file name without extension as lowercase ASCII words joined by hyphens."""
    stem = Path(filename.replace("\\", "/")).name.rsplit(".", 1)[0]
    text = unicodedata.normalize("NFKD", stem.lower().translate(_SWEDISH))
    ascii_text = text.encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60].rstrip("-")
    return slug or "bild"


def _write_atomically(folder: Path, name: str, data: bytes) -> None:
    # A reader never sees half a file: write a temporary file beside it, then rename.
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, folder / name)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _check(data: bytes) -> ImageType:
    if not data:
        raise ValidationError(_l("Choose an image file to upload."), field="image")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _l("The image is larger than 5 MB. Make it smaller and try again."), field="image"
        )
    kind = detect_image_type(data[:16])
    if kind is None:
        raise ValidationError(
            _l("Only PNG, JPEG, GIF and WebP images can be uploaded."), field="image"
        )
    return kind


def store_upload(
    session: Session, *, folder: Path, data: bytes, filename: str, actor_id: int | None
) -> Upload:
    """Check and store an uploaded image; the same image uploaded twice is stored once."""
    kind = _check(data)
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalars(select(Upload).where(Upload.sha256 == digest).limit(1)).first()
    if existing is not None:
        if not (folder / existing.name).is_file():
            _write_atomically(folder, existing.name, data)
        return existing
    upload = Upload(
        name=f"{digest[:12]}-{safe_stem(filename)}.{kind.extension}",
        original_name=Path(filename.replace("\\", "/")).name[:200] or "bild",
        content_type=kind.content_type,
        size_bytes=len(data),
        sha256=digest,
        uploaded_by_id=actor_id,
    )
    _write_atomically(folder, upload.name, data)
    session.add(upload)
    session.flush()
    record_event(
        session,
        actor_id=actor_id,
        action="upload.add",
        object_type="upload",
        object_id=upload.id,
        name=upload.name,
    )
    return upload


def get_upload(session: Session, name: str) -> Upload | None:
    """The upload stored under `name` (a name we could not have written is not looked up)."""
    if not NAME_RE.match(name):
        return None
    return session.scalar(select(Upload).where(Upload.name == name))


def list_uploads(session: Session, uploaded_by_id: int, limit: int = 12) -> list[Upload]:
    stmt = (
        select(Upload)
        .where(Upload.uploaded_by_id == uploaded_by_id)
        .order_by(Upload.created_at.desc(), Upload.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def served_url(name: str) -> str:
    if has_request_context():
        return url_for("editor.uploaded_file", name=name)
    return UPLOAD_PATH + quote(name)


def upload_resolver(session: Session) -> Callable[[str], str | None]:
    """An `image_url` for render_markdown: an upload's URL, None for anything else.

    External images are refused (None → the renderer reports a problem): the CSP only
    loads images from this site, and an outside image would tell a third party who reads.
    """

    def resolve(name: str) -> str | None:
        if "://" in name:
            return None
        return served_url(name) if get_upload(session, name) is not None else None

    return resolve


def upload_url(name: str) -> str | None:
    """The URL a Markdown image name is served at in this request, or None if unknown."""
    return upload_resolver(db.session())(name)
