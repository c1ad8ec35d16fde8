"""Every rule of the package format, each reported as `path:line: reason` before any write."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.models import Activity, Upload
from lms.packages.importer import PackageInvalid, import_package
from tests import factories
from tests.packages.conftest import ACTIVITY, FRAMEWORK, WORKSHOP, row_counts, write_package


def problems(session: Session, root: Path) -> list[str]:
    with pytest.raises(PackageInvalid) as caught:
        import_package(session, root)
    return caught.value.errors


def activity(**replace: str) -> str:
    """The valid nano-lesson with lines replaced (old line → new line)."""
    text = ACTIVITY
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def with_activity(package: Path, text: str, name: str = "starka-losenord.md") -> Path:
    return write_package(package, {f"activities/{name}": text})


def test_valid_package_imports(session: Session, package: Path) -> None:
    result = import_package(session, package)
    assert result.activities.created == 2
    assert result.sessions.created == 2 and result.tasks.created == 2


def test_three_broken_files_report_every_problem_and_change_nothing(
    session: Session, package: Path
) -> None:
    write_package(
        package,
        {
            "activities/trasig-yaml.md": "---\ntitle: [oavslutad\n---\nText\n",
            "activities/okand-kod.md": activity(**{'"4.2": 0.5': '"9.9": 0.5'}),
            "activities/utan-titel.md": activity(**{"title: Starka lösenord\n": ""}),
        },
    )
    before = row_counts(session)

    errors = problems(session, package)

    assert len(errors) == 3, errors
    assert errors[0].startswith("activities/okand-kod.md:8: unknown competence code '9.9'")
    assert errors[1].startswith("activities/trasig-yaml.md:3: invalid YAML")
    assert errors[2].startswith("activities/utan-titel.md:2: ")
    assert "'title'" in errors[2]
    assert row_counts(session) == before


def test_unknown_key_is_reported_at_its_line(session: Session, package: Path) -> None:
    with_activity(package, activity(**{"level: grund": "level: grund\nnivå: grund"}))
    assert problems(session, package) == [
        "activities/starka-losenord.md:6: unknown key 'nivå' in the front matter (allowed: "
        "title, summary, format, level, delivery, minutes, competences, subjects, departments, "
        "job_roles, owners, status, language, repeatable, url, pre_tasks, follow_ups, sessions)"
    ]


def test_unknown_format(session: Session, package: Path) -> None:
    with_activity(package, activity(**{"format: nanolesson": "format: podcast"}))
    [error] = problems(session, package)
    assert error.startswith("activities/starka-losenord.md:4: unknown format 'podcast' (use ")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("level: grund", "level: expert", ":5: unknown level 'expert'"),
        ("delivery: digital", "delivery: brevduva", ":6: unknown delivery 'brevduva'"),
        ("minutes: 10", "minutes: 0", ":7: minutes must be a whole number > 0, not 0"),
        ('"4.2": 0.5', '"4.2": 1.5', ":8: the weight of 4.2 must be > 0 and ≤ 1"),
        ("minutes: 10", "minutes: 10\nstatus: klar", ":8: unknown status 'klar'"),
        ("minutes: 10", "minutes: 10\nrepeatable: ja", ":8: 'repeatable' must be true or false"),
    ],
)
def test_bad_values(session: Session, package: Path, old: str, new: str, expected: str) -> None:
    with_activity(package, activity(**{old: new}))
    [error] = problems(session, package)
    assert error.startswith(f"activities/starka-losenord.md{expected}"), error


def test_unknown_subject_job_role_and_department(session: Session, package: Path) -> None:
    factories.department(session, "Stadsbiblioteket")
    text = activity(
        **{"subjects: [digitala-rattigheter]": "subjects: [matlagning]\n"
           "job_roles: [Bibliotekarie, Astronaut]\ndepartments: [Stadsbiblioteket, Månbasen]"}
    )  # fmt: skip
    with_activity(package, text)
    assert problems(session, package) == [
        "activities/starka-losenord.md:9: unknown subject 'matlagning'",
        "activities/starka-losenord.md:10: unknown job role 'Astronaut'",
        "activities/starka-losenord.md:11: unknown department 'Månbasen'",
    ]


def test_unknown_departments_can_be_skipped(session: Session, package: Path) -> None:
    with_activity(package, activity(**{"minutes: 10": "minutes: 10\ndepartments: [Månbasen]"}))
    result = import_package(session, package, skip_unknown_departments=True)
    assert result.unknown_departments == ["Månbasen"]


def test_unknown_owner_is_skipped_not_refused(session: Session, package: Path) -> None:
    owner = factories.user(session, email="anna@kultur.example.se")
    owners = "owners: [Anna@kultur.example.se, okand@example.se]"
    with_activity(package, activity(**{"minutes: 10": f"minutes: 10\n{owners}"}))
    result = import_package(session, package)
    assert result.unknown_owners == ["okand@example.se"]
    assert owner in result_activity(session, "starka-losenord").owners


def result_activity(session: Session, slug: str) -> Activity:
    return session.scalars(select(Activity).where(Activity.slug == slug)).one()


def test_duplicate_slug_in_activities_and_courses(session: Session, package: Path) -> None:
    course = activity(**{"format: nanolesson": "format: course"})
    lesson = "---\ntitle: Ett\nminutes: 5\n---\nText\n"
    write_package(
        package,
        {"courses/starka-losenord/course.md": course, "courses/starka-losenord/01-ett.md": lesson},
    )
    assert problems(session, package) == [
        "courses/starka-losenord/course.md:1: slug 'starka-losenord' is also "
        "activities/starka-losenord.md"
    ]


def test_file_name_must_be_a_slug(session: Session, package: Path) -> None:
    with_activity(package, ACTIVITY, name="Starka_Lösenord.md")
    [error] = problems(session, package)
    assert error.startswith("activities/Starka_Lösenord.md:1: the file name 'Starka_Lösenord'")


def test_follow_up_without_due_days(session: Session, package: Path) -> None:
    text = WORKSHOP.replace(", due_days: 14", "")
    write_package(package, {"activities/workshop-om-sakerhet.md": text})
    assert problems(session, package) == [
        "activities/workshop-om-sakerhet.md:12: a follow-up needs due_days: "
        "the days after completion"
    ]


def test_pre_task_with_due_days(session: Session, package: Path) -> None:
    text = WORKSHOP.replace("required: true}", "required: true, due_days: 3}")
    write_package(package, {"activities/workshop-om-sakerhet.md": text})
    assert problems(session, package) == [
        "activities/workshop-om-sakerhet.md:10: a pre-task has no due_days (only follow-ups do)"
    ]


def test_unknown_task_kind_and_items_outside_a_checklist(session: Session, package: Path) -> None:
    text = WORKSHOP.replace("kind: reflection, required", "kind: quiz, items: [a], required")
    write_package(package, {"activities/workshop-om-sakerhet.md": text})
    errors = problems(session, package)
    assert errors[0].startswith("activities/workshop-om-sakerhet.md:10: unknown task kind 'quiz'")
    assert errors[1] == "activities/workshop-om-sakerhet.md:10: only a checklist task has items"


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('"2026-03-24T13:00"', '"2026-03-24 13:00"', "starts_at must be a Stockholm local time"),
        ('"2026-03-24T13:00"', '"2026-02-30T13:00"', "starts_at must be a Stockholm local time"),
        ('"2026-03-24T15:00"', '"2026-03-24T12:00"', "a session ends after it starts"),
        ("capacity: 20}\n  - {starts_at", "capacity: 0}\n  - {starts_at", "'capacity' must be"),
    ],
)
def test_bad_session(session: Session, package: Path, old: str, new: str, reason: str) -> None:
    assert old in WORKSHOP
    write_package(package, {"activities/workshop-om-sakerhet.md": WORKSHOP.replace(old, new, 1)})
    [error] = problems(session, package)
    assert error.startswith(f"activities/workshop-om-sakerhet.md:14: {reason}"), error


def test_lesson_file_names(session: Session, package: Path) -> None:
    course = activity(**{"format: nanolesson": "format: course"})
    lesson = "---\ntitle: Ett\nminutes: 5\n---\nText\n"
    write_package(
        package,
        {
            "courses/kurs/course.md": course,
            "courses/kurs/01-ett.md": lesson,
            "courses/kurs/2-tva.md": lesson,
            "courses/kurs/03_Tre.md": lesson,
        },
    )
    hint = "a lesson file is named NN-slug.md, e.g. 01-introduktion.md"
    assert problems(session, package) == [
        f"courses/kurs/03_Tre.md:1: {hint}",
        f"courses/kurs/2-tva.md:1: {hint}",
    ]


def test_course_needs_course_md_and_course_format(session: Session, package: Path) -> None:
    lesson = "---\ntitle: Ett\nminutes: 5\n---\nText\n"
    write_package(
        package,
        {
            "courses/utan-kursfil/01-ett.md": lesson,
            "courses/fel-format/course.md": ACTIVITY,
            "activities/kurs-pa-fel-stalle.md": activity(**{"nanolesson": "course"}),
        },
    )
    errors = problems(session, package)
    assert (
        "activities/kurs-pa-fel-stalle.md:4: a course lives in courses/<slug>/course.md"
        in errors[0]
    )
    assert errors[1] == "courses/fel-format/course.md:4: a course.md has format: course"
    assert errors[2] == "courses/utan-kursfil/course.md:1: the course folder has no course.md"


def test_markdown_problem_is_reported_at_its_line_in_the_file(
    session: Session, package: Path
) -> None:
    body = "## Lösenord\n\nText.\n\n![](diagram.png)\n"
    with_activity(package, ACTIVITY.split("---\n## ")[0] + "---\n" + body)
    assert problems(session, package) == [
        "activities/starka-losenord.md:15: image 'diagram.png' has no alt text"
    ]


def test_quiz_problem_is_reported_at_its_line_in_a_lesson(session: Session, package: Path) -> None:
    course = activity(**{"format: nanolesson": "format: course"})
    lesson = (
        "---\ntitle: Ett\nminutes: 5\n---\nText\n\n```quiz\n- question: Vilket?\n"
        "  options:\n    - text: A\n    - text: B\n```\n"
    )
    write_package(package, {"courses/kurs/course.md": course, "courses/kurs/01-ett.md": lesson})
    [error] = problems(session, package)
    assert error.startswith("courses/kurs/01-ett.md:8: a single-choice question needs exactly 1")


def test_yaml_error_in_framework(session: Session, package: Path) -> None:
    write_package(
        package,
        {"framework.yaml": FRAMEWORK.replace("name: Digital säkerhet", "name: Digital: säkerhet")},
    )
    [error, *_rest] = problems(session, package)
    assert error.startswith("framework.yaml:3: invalid YAML")


def test_framework_rules(session: Session, package: Path) -> None:
    text = (
        FRAMEWORK.replace('{"4.1": 3, "4.2": 2}', '{"4.1": 7, "8.8": 2}')
        .replace("{1: Med stöd., 2: Själv.}", "{1: Med stöd., 6: För mycket.}")
        .replace("digitala-rattigheter, name", "Digitala_Rättigheter, name")
        .replace("    digcomp", "    digkomp")
    )
    write_package(package, {"framework.yaml": text})
    errors = problems(session, package)
    assert errors[:5] == [
        "framework.yaml:7: unknown key 'digkomp' in the competence (allowed: code, name, "
        "digcomp, description, levels)",
        "framework.yaml:9: level 6 is not 1–5",
        "framework.yaml:14: the expected level of 4.1 must be 1–5, not 7",
        "framework.yaml:14: unknown competence code '8.8'",
        "framework.yaml:16: subject slug 'Digitala_Rättigheter' must be like digital-arbetsplats",
    ]


def test_duplicate_yaml_key(session: Session, package: Path) -> None:
    with_activity(package, activity(**{"minutes: 10": "minutes: 10\nminutes: 12"}))
    assert problems(session, package) == [
        "activities/starka-losenord.md:8: key 'minutes' appears twice"
    ]


def test_missing_front_matter(session: Session, package: Path) -> None:
    with_activity(package, "# Bara text\n")
    assert problems(session, package) == [
        "activities/starka-losenord.md:1: the file must start with a '---' line of front matter"
    ]


def test_not_a_package(session: Session, tmp_path: Path) -> None:
    [error] = problems(session, tmp_path)
    assert "no framework.yaml, activities/, courses/ or themes/ found" in error


def test_image_must_be_an_upload(session: Session, package: Path) -> None:
    name = "0123456789ab-diagram.png"
    body = f"## Lösenord\n\nText.\n\n![Ett diagram]({name})\n"
    with_activity(package, ACTIVITY.split("---\n## ")[0] + "---\n" + body)
    assert problems(session, package) == [
        f"activities/starka-losenord.md:15: image '{name}' is an unknown image"
    ]
    session.add(
        Upload(name=name, original_name="diagram.png", content_type="image/png",
               size_bytes=10, sha256="0" * 64)
    )  # fmt: skip
    session.flush()

    import_package(session, package)

    assert f'src="/uploads/{name}"' in result_activity(session, "starka-losenord").body_html
