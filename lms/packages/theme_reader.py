"""Reading and validating a package's theme months, `themes/<yyyy-mm>-<slug>.md`.

The file name is the key (year, month, slug), the front matter says what the month is and
which activities it curates, the body is the intro in Markdown. A banner image lives under
themes/ (the export writes `images/<key>.<ext>`) and is read here, so a missing or fake
image is reported with the other problems, before anything is written.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from lms.catalog.models import ThemeMonth, ThemeStatus
from lms.catalog.uploads import MAX_UPLOAD_BYTES, detect_image_type
from lms.core.markdown import ImageUrl
from lms.packages.checks import Fields, Sink
from lms.packages.frontmatter import read_text, split_front_matter
from lms.packages.records import ThemeRecord
from lms.packages.tasks_reader import check_body

THEME_KEYS = {
    "title": True, "status": True, "publish_on": False, "departments": False,
    "activities": False, "banner": False, "banner_alt": False,
}  # fmt: skip
KEY_RE = re.compile(r"^(\d{4})-(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
STATUSES = tuple(status.value for status in ThemeStatus)


def _length(column: str) -> int:
    return int(ThemeMonth.__table__.c[column].type.length)  # type: ignore[attr-defined]


TITLE_LENGTH = _length("title")
SLUG_LENGTH = _length("slug")
ALT_LENGTH = _length("banner_alt")

__all__ = ["THEME_KEYS", "read_themes"]


def read_themes(
    directory: Path,
    *,
    activities: set[str],
    departments: set[str] | None,
    image_url: ImageUrl | None = None,
) -> tuple[list[ThemeRecord], list[str]]:
    """The theme months under `directory/themes` and their problems as "path:line: reason".

    `activities` are the slugs a theme may curate (the package's and the database's);
    `departments` the names it may target (None: not checked, they are skipped later).
    """
    folder = directory / "themes"
    themes: list[ThemeRecord] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.md") if folder.is_dir() else []):
        record = _read_theme(path, folder, activities, departments, image_url, problems)
        if record is not None:
            themes.append(record)
    return themes, problems


def _read_theme(
    path: Path,
    folder: Path,
    activities: set[str],
    departments: set[str] | None,
    image_url: ImageUrl | None,
    problems: list[str],
) -> ThemeRecord | None:
    relpath = f"themes/{path.name}"
    match = KEY_RE.match(path.stem)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        example = "e.g. 2026-10-informationssakerhet.md"
        problems.append(f"{relpath}:1: a theme month file is named <yyyy-mm>-<slug>.md, {example}")
        return None
    document = split_front_matter(read_text(path, relpath, problems))
    sink = Sink(relpath, document)
    if len(match.group(3)) > SLUG_LENGTH:
        sink.add_line(1, f"the slug in the file name is longer than {SLUG_LENGTH} characters")
    record = ThemeRecord(
        year=int(match.group(1)), month=int(match.group(2)), slug=match.group(3), path=relpath,
        intro=document.body,
    )  # fmt: skip
    if isinstance(document.data, dict):
        fields = Fields(sink, document.data, (), "the front matter", THEME_KEYS)
        _read_fields(fields, record)
        record.departments = _names(fields, "departments", "department", departments)
        record.activities = _names(fields, "activities", "activity", activities)
        _read_banner(fields, folder, record)
    check_body(sink, document, image_url)
    problems += sink.formatted()
    return record


def _read_fields(fields: Fields, record: ThemeRecord) -> None:
    record.title = _line(fields, "title", TITLE_LENGTH)
    if fields.raw("title") is not None and not record.title:
        fields.sink.add(fields.at("title"), "a title is required")
    status = fields.raw("status")
    if status is not None and status not in STATUSES:
        reason = f"unknown status {status!r} (use {', '.join(STATUSES)})"
        fields.sink.add(fields.at("status"), reason)
    elif status is not None:
        record.status = status
    record.publish_on = fields.date("publish_on", "a Stockholm date")
    if record.status == ThemeStatus.SCHEDULED and fields.raw("publish_on") is None:
        reason = "a scheduled theme month needs publish_on: the Stockholm date it publishes"
        fields.sink.add(fields.at("status"), reason)


def _line(fields: Fields, key: str, max_length: int) -> str:
    text = fields.text(key, max_length=max_length).strip()
    if "\n" in text:
        fields.sink.add(fields.at(key), f"{key!r} must be one line")
    return text


def _names(fields: Fields, key: str, what: str, known: set[str] | None) -> list[str]:
    """A list of names or slugs, each known (unless `known` is None) and listed once."""
    names: list[str] = []
    for index, item in enumerate(fields.items(key)):
        path = (*fields.at(key), index)
        if item is None or isinstance(item, bool | list | dict):
            fields.sink.add(path, f"{key!r} must hold plain values")
            continue
        name = str(item).strip()
        if name in names:
            fields.sink.add(path, f"{what} {name!r} is listed twice")
            continue
        if known is not None and name not in known:
            where = " (not in the package or the database)" if what == "activity" else ""
            fields.sink.add(path, f"unknown {what} {name!r}{where}")
        names.append(name)
    return names


def _read_banner(fields: Fields, folder: Path, record: ThemeRecord) -> None:
    banner = fields.text("banner").strip()
    record.banner_alt = _line(fields, "banner_alt", ALT_LENGTH)
    if not banner:
        if record.banner_alt:
            reason = "banner_alt describes the banner: add a banner or remove banner_alt"
            fields.sink.add(fields.at("banner_alt"), reason)
        return
    if not record.banner_alt:
        reason = "a banner needs banner_alt: what the image shows, for those who cannot see it"
        fields.sink.add(fields.at("banner"), reason)
    record.banner = banner
    record.banner_data = _banner_data(fields, folder, banner)


def _banner_data(fields: Fields, folder: Path, banner: str) -> bytes | None:
    at = fields.at("banner")
    parts = PurePosixPath(banner).parts
    if banner.startswith("/") or "\\" in banner or ".." in parts:
        reason = f"banner {banner!r} must be a path inside themes/, e.g. images/<file>.png"
        fields.sink.add(at, reason)
        return None
    path = folder / banner
    if not path.is_file() or not path.resolve().is_relative_to(folder.resolve()):
        fields.sink.add(at, f"banner file {banner!r} not found (paths are relative to themes/)")
        return None
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        fields.sink.add(at, f"banner {banner!r} is larger than 5 MB")
        return None
    data = path.read_bytes()
    if detect_image_type(data[:16]) is None:
        fields.sink.add(at, f"banner {banner!r} is not a PNG, JPEG, GIF or WebP image")
        return None
    return data
