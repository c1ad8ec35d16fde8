"""Theme month files: every rule reported as `path:line: reason`, upserts by key, idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.catalog.models import Activity, ThemeMonth, ThemeMonthActivity, Upload
from lms.core.audit import AuditEvent
from lms.packages.importer import PackageInvalid, PackageResult, import_package
from lms.packages.records import ThemeRecord, add_months
from tests import factories
from tests.packages.conftest import row_counts, write_package
from tests.packages.theme_helpers import PNG, THEME, theme_package, theme_text, tiny_png

THEME_FILE = "themes/2026-10-informationssakerhet.md"


def _problems(session: Session, root: Path) -> list[str]:
    with pytest.raises(PackageInvalid) as caught:
        import_package(session, root, uploads=root.parent / "uploads")
    return caught.value.errors


def _import(
    session: Session, root: Path, *, skip_unknown_departments: bool = False
) -> PackageResult:
    return import_package(
        session,
        root,
        uploads=root.parent / "uploads",
        skip_unknown_departments=skip_unknown_departments,
    )


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _theme(session: Session, slug: str = "informationssakerhet") -> ThemeMonth:
    session.expire_all()
    return session.scalars(select(ThemeMonth).where(ThemeMonth.slug == slug)).one()


def _slugs(theme: ThemeMonth) -> list[str]:
    links = sorted(theme.activity_links, key=lambda link: link.position)
    return [link.activity.slug for link in links]


# --- reading ---------------------------------------------------------------------------------


def test_valid_theme_month_imports_with_its_activities_and_banner(
    session: Session, tmp_path: Path
) -> None:
    root = theme_package(tmp_path)

    result = _import(session, root)

    theme = _theme(session)
    assert (theme.year, theme.month, theme.key) == (2026, 10, "2026-10-informationssakerhet")
    assert theme.title == "Oktober: Informationssäkerhet"
    assert theme.status == "published" and theme.publish_on == date(2026, 9, 28)
    assert _slugs(theme) == ["workshop-om-sakerhet", "starka-losenord"]
    assert [link.position for link in theme.activity_links] == [0, 1]
    assert theme.departments == []
    assert theme.intro.startswith("Oktober är")
    assert "<li>" in theme.intro_html and "<strong>fem minuter</strong>" in theme.intro_html
    assert theme.banner is not None and theme.banner.content_type == "image/png"
    assert theme.banner_alt == "Ett gult hänglås på grön botten."
    assert (tmp_path / "uploads" / theme.banner.name).read_bytes() == PNG
    assert theme.published_at is not None and theme.announced_at is not None
    assert result.themes.created == 1
    assert "1 theme months (1 created, 0 updated, 0 unchanged)" in result.summary()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("status: published\n", "status: live\n", ":3: unknown status 'live'"),
        ("status: published\n", "", ":2: the front matter needs a value for 'status'"),
        ("title: 'Oktober: Informationssäkerhet'\n", "", "needs a value for 'title'"),
        ("title: 'Oktober: Informationssäkerhet'\n", "title: ' '\n", ":2: a title is required"),
        (
            "title: 'Oktober: Informationssäkerhet'\n",
            f"title: {'x' * 201}\n",
            ":2: 'title' is longer than 200 characters",
        ),
        (
            "publish_on: 2026-09-28\n",
            "publish_on: 28/9\n",
            ":4: 'publish_on' must be a Stockholm date YYYY-MM-DD, not '28/9'",
        ),
        (
            "publish_on: 2026-09-28\n",
            "publish_on: 2026-09-28 08:00:00\n",
            ":4: 'publish_on' must be a Stockholm date",
        ),
        (
            "status: published\npublish_on: 2026-09-28\n",
            "status: scheduled\n",
            ":3: a scheduled theme month needs publish_on",
        ),
        ("departments: []\n", "departments: [Okänd avdelning]\n", ":5: unknown department"),
        ("departments: []\n", "departments: Alla\n", ":5: 'departments' must be a list"),
        (
            "  - starka-losenord\n",
            "  - finns-inte\n",
            ":8: unknown activity 'finns-inte' (not in the package or the database)",
        ),
        (
            "  - starka-losenord\n",
            "  - workshop-om-sakerhet\n",
            ":8: activity 'workshop-om-sakerhet' is listed twice",
        ),
        (
            "  - starka-losenord\n",
            "  - {slug: starka-losenord}\n",
            ":8: 'activities' must hold plain values",
        ),
        (
            "banner: images/2026-10-informationssakerhet.png\n",
            "banner: images/saknas.png\n",
            ":9: banner file 'images/saknas.png' not found (paths are relative to themes/)",
        ),
        (
            "banner: images/2026-10-informationssakerhet.png\n",
            "banner: ../activities/starka-losenord.md\n",
            ":9: banner '../activities/starka-losenord.md' must be a path inside themes/",
        ),
        (
            "banner: images/2026-10-informationssakerhet.png\n",
            "banner: /etc/passwd\n",
            ":9: banner '/etc/passwd' must be a path inside themes/",
        ),
        (
            "banner_alt: Ett gult hänglås på grön botten.\n",
            "",
            ":9: a banner needs banner_alt",
        ),
        (
            "banner: images/2026-10-informationssakerhet.png\n",
            "",
            ":9: banner_alt describes the banner: add a banner or remove banner_alt",
        ),
        ("departments: []\n", "departments: []\ncolour: blue\n", ":6: unknown key 'colour'"),
        # PyYAML refuses to build an impossible date itself: still a line, never a crash.
        ("publish_on: 2026-09-28\n", "publish_on: 2026-13-28\n", ":4: invalid date"),
        ("Oktober är", "![bild](https://example.com/x.png)\n\nOktober är", ":12: "),
    ],
)
def test_each_bad_value_is_reported_at_its_line_and_nothing_is_written(
    session: Session, tmp_path: Path, old: str, new: str, expected: str
) -> None:
    root = theme_package(tmp_path, theme=theme_text(**{old: new}))
    before = row_counts(session)

    errors = _problems(session, root)

    assert len(errors) == 1, errors
    assert errors[0].startswith(THEME_FILE + ":"), errors
    assert expected in errors[0], errors
    assert row_counts(session) == before
    assert _count(session, ThemeMonth) == _count(session, Upload) == 0


def test_unknown_key_lists_the_allowed_ones(session: Session, tmp_path: Path) -> None:
    root = theme_package(tmp_path, theme=theme_text(**{"status: published\n": "state: live\n"}))

    errors = _problems(session, root)

    assert errors == [
        f"{THEME_FILE}:2: the front matter needs a value for 'status'",
        f"{THEME_FILE}:3: unknown key 'state' in the front matter (allowed: title, status, "
        "publish_on, departments, activities, banner, banner_alt)",
    ]


def test_a_text_file_named_png_is_not_a_banner(session: Session, tmp_path: Path) -> None:
    root = theme_package(tmp_path, banner=b"not an image at all\n")

    errors = _problems(session, root)

    assert errors == [
        f"{THEME_FILE}:9: banner 'images/2026-10-informationssakerhet.png' "
        "is not a PNG, JPEG, GIF or WebP image"
    ]
    assert not (tmp_path / "uploads").exists()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("2026-13-fel-manad.md", "a theme month file is named <yyyy-mm>-<slug>.md"),
        ("0000-10-noll.md", "a theme month file is named <yyyy-mm>-<slug>.md"),
        ("2026-10.md", "a theme month file is named <yyyy-mm>-<slug>.md"),
        ("2026-10-Stora-Bokstaver.md", "a theme month file is named <yyyy-mm>-<slug>.md"),
        ("oktober.md", "a theme month file is named <yyyy-mm>-<slug>.md"),
        (f"2026-10-{'a' * 121}.md", "the slug in the file name is longer than 120 characters"),
    ],
)
def test_the_file_name_is_the_key(session: Session, tmp_path: Path, name: str, reason: str) -> None:
    root = theme_package(tmp_path)
    (root / THEME_FILE).rename(root / "themes" / name)

    errors = _problems(session, root)

    assert len(errors) == 1 and errors[0].startswith(f"themes/{name}:1: {reason}"), errors


def test_problems_in_several_theme_files_are_all_reported(session: Session, tmp_path: Path) -> None:
    root = theme_package(tmp_path)
    write_package(
        root,
        {
            "themes/2026-11-ai-manaden.md": theme_text(**{"status: published\n": ""}),
            "themes/2026-12-jul.md": "---\ntitle: [oavslutad\n---\n",
        },
    )

    errors = _problems(session, root)

    assert [error.split(":")[0] for error in errors] == [
        "themes/2026-11-ai-manaden.md",
        "themes/2026-12-jul.md",
    ]


def test_an_activity_in_the_database_may_be_curated(session: Session, tmp_path: Path) -> None:
    root = theme_package(tmp_path)
    _import(session, root)
    (root / "activities" / "starka-losenord.md").unlink()

    result = _import(session, root)

    assert result.changed == 0
    assert _slugs(_theme(session)) == ["workshop-om-sakerhet", "starka-losenord"]


def test_a_package_of_only_theme_months_imports(session: Session, tmp_path: Path) -> None:
    _import(session, theme_package(tmp_path / "one"))
    only = theme_package(tmp_path / "two")
    for path in (only / "activities").iterdir():
        path.unlink()
    (only / "framework.yaml").unlink()

    result = _import(session, only)

    assert result.changed == 0
    assert result.themes.unchanged == 1


# --- importing -------------------------------------------------------------------------------


def test_second_import_changes_nothing_and_records_no_event(
    session: Session, tmp_path: Path
) -> None:
    root = theme_package(tmp_path)
    _import(session, root)
    events, uploads = _count(session, AuditEvent), _count(session, Upload)
    theme = _theme(session)
    stamps = (theme.published_at, theme.announced_at, theme.updated_at, theme.banner_id)

    again = _import(session, root)

    assert again.changed == 0 and "no changes" in again.summary()
    assert again.themes.unchanged == 1
    assert _count(session, AuditEvent) == events
    assert _count(session, Upload) == uploads == 1
    theme = _theme(session)
    assert (theme.published_at, theme.announced_at, theme.updated_at, theme.banner_id) == stamps


def test_first_import_records_the_theme_and_the_package_in_the_audit_trail(
    session: Session, tmp_path: Path
) -> None:
    _import(session, theme_package(tmp_path))

    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()

    assert actions.count("theme.save") == 1
    assert actions.count("upload.add") == 1
    assert actions[-1] == "content.import"


def test_changes_update_the_row_in_place(session: Session, tmp_path: Path) -> None:
    root = theme_package(tmp_path)
    _import(session, root)
    first = _theme(session)
    first_id, first_links = first.id, {link.activity_id for link in first.activity_links}
    factories.department(session, "Museer och konst")
    changed = theme_text(
        **{
            "title: 'Oktober: Informationssäkerhet'\n": "title: Säkerhetsmånaden\n",
            "  - workshop-om-sakerhet\n  - starka-losenord\n": "  - starka-losenord\n",
            "departments: []\n": "departments:\n  - Museer och konst\n",
            "Oktober är": "Nu är",
        }
    )
    write_package(root, {THEME_FILE: changed})

    result = _import(session, root)

    theme = _theme(session)
    assert theme.id == first_id
    assert result.themes.updated == 1
    assert theme.title == "Säkerhetsmånaden"
    assert _slugs(theme) == ["starka-losenord"]
    assert [link.position for link in theme.activity_links] == [0]
    assert {link.activity_id for link in theme.activity_links} < first_links
    assert [d.name for d in theme.departments] == ["Museer och konst"]
    assert theme.intro.startswith("Nu är") and "Nu är" in theme.intro_html
    assert _count(session, ThemeMonthActivity) == 1


def test_reordering_activities_moves_the_links(session: Session, tmp_path: Path) -> None:
    root = theme_package(tmp_path)
    _import(session, root)
    swapped = theme_text(
        **{"  - workshop-om-sakerhet\n  - starka-losenord\n": (
            "  - starka-losenord\n  - workshop-om-sakerhet\n"
        )}
    )  # fmt: skip
    write_package(root, {THEME_FILE: swapped})

    _import(session, root)

    assert _slugs(_theme(session)) == ["starka-losenord", "workshop-om-sakerhet"]


def test_the_same_banner_for_two_months_is_stored_once(session: Session, tmp_path: Path) -> None:
    root = theme_package(tmp_path)
    write_package(
        root,
        {
            "themes/2026-11-ai-manaden.md": theme_text(
                **{"'Oktober: Informationssäkerhet'": "AI-månaden"}
            )
        },
    )

    _import(session, root)

    banners = session.scalars(select(ThemeMonth.banner_id)).all()
    assert len(banners) == 2 and len(set(banners)) == 1
    assert _count(session, Upload) == 1


def test_removing_the_banner_clears_it(session: Session, tmp_path: Path) -> None:
    root = theme_package(tmp_path)
    _import(session, root)
    plain = theme_text(
        **{
            "banner: images/2026-10-informationssakerhet.png\n": "",
            "banner_alt: Ett gult hänglås på grön botten.\n": "",
        }
    )
    write_package(root, {THEME_FILE: plain})

    _import(session, root)

    theme = _theme(session)
    assert theme.banner_id is None and theme.banner_alt == ""


def test_scheduled_and_draft_months_are_not_marked_announced(
    session: Session, tmp_path: Path
) -> None:
    root = theme_package(tmp_path, theme=theme_text(**{"status: published": "status: scheduled"}))
    write_package(
        root,
        {"themes/2026-11-ai-manaden.md": theme_text(**{"status: published": "status: draft"})},
    )

    _import(session, root)

    themes = session.scalars(select(ThemeMonth).order_by(ThemeMonth.month)).all()
    assert [(t.status, t.published_at, t.announced_at) for t in themes] == [
        ("scheduled", None, None),
        ("draft", None, None),
    ]


def test_publishing_in_a_later_import_sets_published_and_announced(
    session: Session, tmp_path: Path
) -> None:
    root = theme_package(tmp_path, theme=theme_text(**{"status: published": "status: draft"}))
    _import(session, root)
    write_package(root, {THEME_FILE: theme_text()})

    result = _import(session, root)

    theme = _theme(session)
    assert result.themes.updated == 1
    assert theme.status == "published"
    assert theme.published_at is not None and theme.announced_at is not None


def test_departments_are_matched_by_name_and_skipped_when_asked(
    session: Session, tmp_path: Path
) -> None:
    museum = factories.department(session, "Museer och konst")
    other_org = factories.organisation(session, "Nacka kommun")
    twin = factories.department(session, "Museer och konst", org=other_org)
    targeted = theme_text(**{"departments: []\n": "departments:\n  - Museer och konst\n"})
    root = theme_package(tmp_path, theme=targeted)
    write_package(
        root,
        {
            "themes/2026-11-ai-manaden.md": theme_text(
                **{"departments: []\n": "departments:\n  - Konsthallen\n  - Museer och konst\n"}
            )
        },
    )

    result = _import(session, root, skip_unknown_departments=True)

    assert result.unknown_departments == ["Konsthallen"]
    for slug in ("informationssakerhet", "ai-manaden"):
        assert {d.id for d in _theme(session, slug).departments} == {museum.id, twin.id}


def test_activities_of_the_package_are_imported_before_the_themes(
    session: Session, tmp_path: Path
) -> None:
    _import(session, theme_package(tmp_path))

    slugs = set(session.scalars(select(Activity.slug)))
    assert {"starka-losenord", "workshop-om-sakerhet"} <= slugs


# --- records ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 9, 28), 2, date(2026, 11, 28)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 3, 15), -4, date(2025, 11, 15)),
        (None, 5, None),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(
    day: date | None, months: int, expected: date | None
) -> None:
    assert add_months(day, months) == expected


def test_a_shifted_record_moves_its_key_and_publish_on() -> None:
    record = ThemeRecord(
        year=2026, month=11, slug="ai", path="themes/2026-11-ai.md",
        publish_on=date(2026, 10, 26),
    )  # fmt: skip

    later, earlier = record.shifted(3), record.shifted(-11)

    assert (later.key, later.publish_on) == ("2027-02-ai", date(2027, 1, 26))
    assert (earlier.key, earlier.publish_on) == ("2025-12-ai", date(2025, 11, 26))
    assert record.shifted(0) is record


def test_theme_fixture_is_what_the_helpers_say() -> None:
    """The fixture text is the writer's canonical form (the round-trip tests rely on it)."""
    assert THEME.startswith("---\ntitle: 'Oktober: Informationssäkerhet'\nstatus: published\n")


def _with_months(root: Path, count: int) -> Path:
    """The package with `count` more theme months, each with its own banner."""
    for index in range(count):
        key = f"2027-{index + 1:02d}-tema-{index}"
        banner = f"images/{key}.png"
        text = theme_text(**{"images/2026-10-informationssakerhet.png": banner})
        write_package(root, {f"themes/{key}.md": text})
        (root / "themes" / banner).write_bytes(tiny_png(rgb=(index, 200, 100)))
    return root


def test_the_queries_of_a_re_import_do_not_grow_with_the_theme_months(
    session: Session, tmp_path: Path, count_queries: Any
) -> None:
    few, many = theme_package(tmp_path / "few"), _with_months(theme_package(tmp_path / "many"), 4)
    _import(session, few)
    _import(session, many)

    with count_queries() as one:
        _import(session, few)
    with count_queries() as five:
        result = _import(session, many)

    assert result.themes.unchanged == 5 and result.changed == 0
    assert five.count == one.count
