"""Theme months travel losslessly: import → export gives the files back byte for byte; the demo
moves them so that the latest shipped month is the current one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.models import ThemeMonth
from lms.catalog.uploads import detect_image_type
from lms.packages.importer import import_package, shift_months
from lms.packages.reader import read_package
from lms.packages.writer import export_package
from tests import factories
from tests.packages.conftest import CONTENT, write_package
from tests.packages.theme_helpers import PNG, theme_package, theme_text

SHIPPED = CONTENT / "themes"
EVERY_KEY = theme_text(
    **{
        "status: published\n": "status: scheduled\n",
        "departments: []\n": "departments:\n  - Liljevalchs konsthall\n  - Museer och konst\n",
    }
)


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _keys(session: Session) -> list[tuple[str, date | None]]:
    themes = session.scalars(select(ThemeMonth).order_by(ThemeMonth.year, ThemeMonth.month))
    return [(theme.key, theme.publish_on) for theme in themes]


# --- the shipped theme months ----------------------------------------------------------------


@pytest.mark.usefixtures("demo_org")
def test_shipped_theme_months_round_trip_byte_for_byte(session: Session, tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    import_package(session, CONTENT, uploads=uploads)

    first = export_package(session, tmp_path / "one", uploads=uploads)
    export_package(session, tmp_path / "two", uploads=uploads)

    shipped = _files(SHIPPED)
    assert first.themes == 3 and first.missing_banners == []
    assert _files(tmp_path / "one" / "themes") == shipped
    assert _files(tmp_path / "two" / "themes") == shipped


@pytest.mark.usefixtures("demo_org")
def test_shipped_theme_months_are_what_the_programme_promises(session: Session) -> None:
    import_package(session, CONTENT)

    themes = {t.slug: t for t in session.scalars(select(ThemeMonth))}
    assert set(themes) >= {"informationssakerhet", "ai-manaden", "digitalt-kulturarv"}
    assert themes["informationssakerhet"].title == "Oktober: Informationssäkerhet"
    assert themes["informationssakerhet"].departments == []
    assert themes["ai-manaden"].departments == []
    museums = {d.name for d in themes["digitalt-kulturarv"].departments}
    assert museums == {"Museer och konst", "Liljevalchs konsthall"}
    for theme in themes.values():
        assert theme.status == "published" and theme.announced_at is not None
        assert 5 <= len(theme.activity_links) <= 7
        assert theme.banner is not None and len(theme.banner_alt) > 40
        assert theme.banner.size_bytes < 60_000
        assert theme.intro_html.count("<p>") >= 2 and "<ul>" in theme.intro_html
        assert "lorem" not in theme.intro.lower()


def test_shipped_banners_are_1200_by_400_pngs() -> None:
    for path in sorted((SHIPPED / "images").iterdir()):
        data = path.read_bytes()
        assert detect_image_type(data[:16]) is not None, path
        assert data[12:16] == b"IHDR"
        assert (int.from_bytes(data[16:20]), int.from_bytes(data[20:24])) == (1200, 400), path
        assert len(data) < 60_000, path


def test_shipped_theme_months_read_without_problems_against_the_shipped_activities() -> None:
    package, problems = read_package(CONTENT)

    assert problems == []
    assert [theme.key for theme in package.themes] == [
        "2026-09-digitalt-kulturarv",
        "2026-10-informationssakerhet",
        "2026-11-ai-manaden",
    ]


# --- a file with every key -------------------------------------------------------------------


def test_a_file_with_every_key_round_trips_byte_for_byte(session: Session, tmp_path: Path) -> None:
    factories.department(session, "Museer och konst")
    factories.department(session, "Liljevalchs konsthall")
    root = theme_package(tmp_path, theme=EVERY_KEY)
    uploads = tmp_path / "uploads"
    import_package(session, root, uploads=uploads)

    export_package(session, tmp_path / "out", uploads=uploads)

    assert _files(tmp_path / "out" / "themes") == _files(root / "themes")
    assert (tmp_path / "out/themes/2026-10-informationssakerhet.md").read_text() == EVERY_KEY
    assert (tmp_path / "out/themes/images/2026-10-informationssakerhet.png").read_bytes() == PNG


def test_a_minimal_file_round_trips_with_only_what_it_says(
    session: Session, tmp_path: Path
) -> None:
    minimal = "---\ntitle: Utkast\nstatus: draft\ndepartments: []\nactivities: []\n---\n"
    root = write_package(tmp_path / "package", {"themes/2027-01-utkast.md": minimal})
    import_package(session, root, uploads=tmp_path / "uploads")

    export_package(session, tmp_path / "out", uploads=tmp_path / "uploads")

    assert (tmp_path / "out/themes/2027-01-utkast.md").read_text() == minimal
    theme = session.scalars(select(ThemeMonth)).one()
    assert (theme.intro, theme.intro_html, theme.banner_id) == ("", "", None)


def test_export_removes_stale_theme_files_and_banners(session: Session, tmp_path: Path) -> None:
    root = theme_package(tmp_path)
    uploads = tmp_path / "uploads"
    import_package(session, root, uploads=uploads)
    out = tmp_path / "out"
    write_package(out, {"themes/2025-01-borttagen.md": "---\n---\n", "themes/images/x": ""})
    (out / "themes/images/x").rename(out / "themes/images/2025-01-borttagen.png")

    result = export_package(session, out, uploads=uploads)

    assert sorted(_files(out / "themes")) == [
        "2026-10-informationssakerhet.md",
        "images/2026-10-informationssakerhet.png",
    ]
    assert len(result.removed) == 2


def test_a_banner_missing_from_the_uploads_is_left_out_and_reported(
    session: Session, tmp_path: Path
) -> None:
    root = theme_package(tmp_path)
    uploads = tmp_path / "uploads"
    import_package(session, root, uploads=uploads)
    for path in uploads.iterdir():
        path.unlink()

    result = export_package(session, tmp_path / "out", uploads=uploads)

    text = (tmp_path / "out/themes/2026-10-informationssakerhet.md").read_text()
    assert "banner" not in text
    assert result.missing_banners == ["2026-10-informationssakerhet"]
    assert "banner image missing from the uploads" in result.summary()
    assert read_package(tmp_path / "out")[1] == []


def test_the_export_of_an_import_into_the_same_database_changes_nothing(
    session: Session, tmp_path: Path
) -> None:
    root = theme_package(tmp_path)
    uploads = tmp_path / "uploads"
    import_package(session, root, uploads=uploads)
    export_package(session, tmp_path / "out", uploads=uploads)

    assert import_package(session, tmp_path / "out", uploads=uploads).changed == 0


# --- the demo --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (
            date(2027, 3, 5),
            [
                ("2027-01-digitalt-kulturarv", date(2026, 12, 31)),
                ("2027-02-informationssakerhet", date(2027, 1, 28)),
                ("2027-03-ai-manaden", date(2027, 2, 26)),
            ],
        ),
        (
            date(2026, 11, 21),
            [
                ("2026-09-digitalt-kulturarv", date(2026, 8, 31)),
                ("2026-10-informationssakerhet", date(2026, 9, 28)),
                ("2026-11-ai-manaden", date(2026, 10, 26)),
            ],
        ),
        (
            date(2026, 5, 31),
            [
                ("2026-03-digitalt-kulturarv", date(2026, 2, 28)),
                ("2026-04-informationssakerhet", date(2026, 3, 28)),
                ("2026-05-ai-manaden", date(2026, 4, 26)),
            ],
        ),
    ],
)
@pytest.mark.usefixtures("demo_org")
def test_the_demo_moves_the_latest_theme_month_into_the_current_month(
    session: Session, today: date, expected: list[tuple[str, date]]
) -> None:
    result = import_package(session, CONTENT, shift_themes_to=today)

    assert _keys(session) == expected
    if result.shifted_months:
        assert f", moved {result.shifted_months:+d} months" in result.summary()
    assert import_package(session, CONTENT, shift_themes_to=today).changed == 0


def test_shift_months_counts_whole_months_to_the_target() -> None:
    package, _ = read_package(CONTENT)

    assert shift_months(package, None) == 0
    assert shift_months(package, date(2026, 11, 1)) == 0
    assert shift_months(package, date(2027, 1, 31)) == 2
    assert shift_months(package, date(2025, 11, 30)) == -12


def test_no_shift_without_theme_months(tmp_path: Path) -> None:
    package, _ = read_package(theme_package(tmp_path))
    package.themes = []

    assert shift_months(package, date(2030, 1, 1)) == 0


# --- the command line ------------------------------------------------------------------------


def test_content_import_and_export_on_the_command_line(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    root = theme_package(tmp_path, theme=theme_text())
    runner = app.test_cli_runner()

    first = runner.invoke(args=["lms", "content", "import", str(root)])
    again = runner.invoke(args=["lms", "content", "import", str(root)])
    exported = runner.invoke(args=["lms", "content", "export", str(tmp_path / "out")])

    assert first.exit_code == 0, first.output
    assert "; 1 theme months (1 created, 0 updated, 0 unchanged)" in first.output
    assert again.exit_code == 0 and again.output.rstrip().endswith("; no changes")
    assert exported.exit_code == 0, exported.output
    assert "1 theme months" in exported.output
    assert _files(tmp_path / "out" / "themes") == _files(root / "themes")


def test_content_import_reports_theme_problems_and_exits_1(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    root = theme_package(tmp_path, banner=b"GIF? no, just text\n")

    result = app.test_cli_runner().invoke(args=["lms", "content", "import", str(root)])

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "themes/2026-10-informationssakerhet.md:9: banner "
        "'images/2026-10-informationssakerhet.png' is not a PNG, JPEG, GIF or WebP image"
    )
    assert "nothing imported" in result.stderr
    assert session.scalars(select(ThemeMonth)).all() == []
