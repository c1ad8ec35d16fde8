"""Images for Markdown: type by magic bytes, size limit, storage, serving and lookup by name."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.accounts.models import User
from lms.catalog import uploads
from lms.catalog.lessons import render_preview
from lms.catalog.models import Activity, Upload
from lms.core.access import Permission
from lms.core.errors import ValidationError
from tests import factories
from tests.catalog import factories as cf

pytestmark = pytest.mark.usefixtures("csrf_off")


def png(width: int = 2, height: int = 2, seed: int = 0) -> bytes:
    """A real, tiny PNG (each seed gives different pixels, so a different file)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes([seed % 256, 80, 120]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 16
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24


@pytest.mark.parametrize(
    ("head", "extension", "content_type"),
    [
        (png(), "png", "image/png"),
        (JPEG, "jpg", "image/jpeg"),
        (GIF, "gif", "image/gif"),
        (WEBP, "webp", "image/webp"),
    ],
)
def test_image_types_are_known_by_their_first_bytes(
    head: bytes, extension: str, content_type: str
) -> None:
    kind = uploads.detect_image_type(head[:16])
    assert kind is not None and (kind.extension, kind.content_type) == (extension, content_type)


@pytest.mark.parametrize(
    "head", [b"hello world, not an image", b"<svg xmlns=...>", b"%PDF-1.7", b"RIFF0000WAVE", b""]
)
def test_other_files_are_not_images(head: bytes) -> None:
    assert uploads.detect_image_type(head) is None


def test_storing_writes_one_file_and_one_row_and_dedupes(session: Session, tmp_path: Path) -> None:
    data = png(seed=1)
    first = uploads.store_upload(
        session, folder=tmp_path, data=data, filename="Skärmbild 1.PNG", actor_id=None
    )
    again = uploads.store_upload(
        session, folder=tmp_path, data=data, filename="annat namn.png", actor_id=None
    )
    assert first is again
    assert first.name.endswith("-skarmbild-1.png") and first.content_type == "image/png"
    assert (tmp_path / first.name).read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temporary file left
    assert uploads.get_upload(session, first.name) is first


def test_a_png_named_jpg_is_stored_as_png(session: Session, tmp_path: Path) -> None:
    stored = uploads.store_upload(
        session, folder=tmp_path, data=png(seed=2), filename="foto.jpg", actor_id=None
    )
    assert stored.name.endswith("-foto.png") and stored.content_type == "image/png"


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"just text", "bild.png"),
        (b"", "tom.png"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * (5 << 20), "x.png"),
    ],
)
def test_non_images_and_big_files_are_refused(
    session: Session, tmp_path: Path, data: bytes, filename: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        uploads.store_upload(session, folder=tmp_path, data=data, filename=filename, actor_id=None)
    assert refused.value.field == "image"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["../etc/passwd", "..", "a/b.png", "bild.png", "x" * 300])
def test_names_we_could_not_have_written_are_never_looked_up(session: Session, name: str) -> None:
    assert uploads.get_upload(session, name) is None


def test_markdown_images_resolve_to_uploads(session: Session, tmp_path: Path) -> None:
    stored = uploads.store_upload(
        session, folder=tmp_path, data=png(seed=3), filename="karta.png", actor_id=None
    )
    rendered = render_preview(session, f"![Karta över området]({stored.name})\n\n![X](saknas.png)")
    assert f'src="/uploads/{stored.name}"' in rendered.html
    assert 'alt="Karta över området"' in rendered.html
    assert any("saknas.png" in problem for problem in rendered.problems)


# --- the views -------------------------------------------------------------------------------


@pytest.fixture
def owner(session: Session, auth: Any) -> User:
    person = factories.user(session, permissions=Permission.COURSE_OWNER)
    session.commit()
    auth.login(person.email)
    return person


@pytest.fixture
def mine(session: Session, owner: User) -> Activity:
    activity = cf.activity(session, owners=[owner], status="draft")
    session.commit()
    return activity


def post_image(client: FlaskClient, activity: Activity, data: bytes, filename: str) -> Any:
    # Encoded in memory: the test client's own encoder spools big bodies to a temporary
    # file that it never closes (a ResourceWarning, so an error here).
    image = FileStorage(io.BytesIO(data), filename=filename, content_type="image/jpeg")
    fields = {"upload-activity": activity.slug, "upload-image": image}
    boundary, body = encode_multipart(fields)
    return client.post(
        "/redigera/bilder",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def count_uploads(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Upload)) or 0


def test_an_uploaded_image_is_served_with_safe_headers(
    client: FlaskClient, session: Session, mine: Activity, auth: Any
) -> None:
    data = png(seed=10)
    response = post_image(client, mine, data, "diagram.jpg")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/redigera/{mine.slug}#images"
    stored = session.scalar(select(Upload).order_by(Upload.id.desc()))
    assert stored is not None and stored.name.endswith("-diagram.png")
    assert stored.name in client.get(f"/redigera/{mine.slug}").get_data(as_text=True)

    employee = factories.user(session)
    session.commit()
    auth.logout()
    auth.login(employee.email)
    with client.get(f"/uploads/{stored.name}") as served:
        assert served.status_code == 200 and served.data == data
        assert served.headers["Content-Type"] == "image/png"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Disposition"].startswith("inline")


def test_uploaded_images_may_be_cached_for_long(
    client: FlaskClient, session: Session, mine: Activity
) -> None:
    post_image(client, mine, png(seed=11), "cache.png")
    stored = session.scalar(select(Upload).order_by(Upload.id.desc()))
    assert stored is not None
    with client.get(f"/uploads/{stored.name}") as served:
        assert "max-age=31536000" in served.headers["Cache-Control"]


def test_uploads_need_a_signed_in_user(client: FlaskClient) -> None:
    response = client.get("/uploads/0123456789ab-x.png")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    "path",
    [
        "/uploads/0123456789ab-okand.png",
        "/uploads/..%2f..%2fetc%2fpasswd",
        "/uploads/../../etc/passwd",
        "/uploads/..",
        "/uploads/%2e%2e",
    ],
)
def test_unknown_and_traversing_names_are_404(client: FlaskClient, owner: User, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_text_file_named_png_is_refused_with_a_message(
    client: FlaskClient, session: Session, mine: Activity
) -> None:
    before = count_uploads(session)
    page = post_image(client, mine, b"<html><script>alert(1)</script></html>", "bild.png")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="upload-image-error"' in html
    assert count_uploads(session) == before


def test_an_image_over_5_mb_is_refused_with_a_message(
    client: FlaskClient, session: Session, mine: Activity
) -> None:
    before = count_uploads(session)
    big = png(seed=12) + b"\x00" * (5 * 1024 * 1024)
    html = post_image(client, mine, big, "stor.png").get_data(as_text=True)
    assert 'id="upload-image-error"' in html and "5 MB" in html
    assert count_uploads(session) == before


def test_a_request_over_the_app_limit_gets_a_clear_message(
    app: Flask, client: FlaskClient, mine: Activity
) -> None:
    huge = b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = post_image(client, mine, huge, "enorm.png")
    assert response.status_code == 302
    with client.session_transaction() as state:
        messages = [message for _category, message in state.get("_flashes", [])]
    assert any("5 MB" in message for message in messages)


def test_uploading_for_someone_elses_activity_is_403(
    client: FlaskClient, session: Session, owner: User
) -> None:
    theirs = cf.activity(session, owners=[factories.user(session, permissions=owner.permissions)])
    session.commit()
    assert post_image(client, theirs, png(seed=13), "x.png").status_code == 403


def test_a_saved_activity_shows_its_uploaded_image(session: Session, tmp_path: Path) -> None:
    stored = uploads.store_upload(
        session, folder=tmp_path, data=png(seed=20), filename="karta.png", actor_id=None
    )
    activity = cf.activity(session, body=f"![Karta över området]({stored.name})")
    assert f'src="/uploads/{stored.name}"' in activity.body_html
