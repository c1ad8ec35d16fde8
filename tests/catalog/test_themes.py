"""Theme month rules: validation, curation, the key lock, publishing and the one announcement."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.catalog import themes
from lms.catalog.models import ThemeMonth, ThemeStatus, Upload
from lms.catalog.theme_announcements import intro_excerpt
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.errors import Conflict, PermissionDenied, ValidationError
from lms.notify.models import MailMode
from lms.notify.services import set_mail_mode
from tests import factories
from tests.catalog import factories as cf
from tests.catalog.conftest import sv
from tests.catalog.test_editor_uploads import png
from tests.catalog.theme_helpers import NOW, TODAY, at, coordinator, data, mails, notes, theme


@pytest.fixture
def boss(session: Session) -> User:
    return coordinator(session, name="Karin Samordnare")


def _audit(session: Session, theme_month: ThemeMonth) -> list[str]:
    stmt = (
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "theme_month", AuditEvent.object_id == str(theme_month.id))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(stmt))


# --- creating and validating -----------------------------------------------------------------


def test_creating_makes_a_draft_with_a_slug_from_the_title_and_sanitized_intro(
    session: Session, boss: User
) -> None:
    created = themes.create_theme_month(
        session, boss, data(title="Informationssäkerhet i höst", intro="Hej <script>x()</script>")
    )
    assert created.slug == "informationssakerhet-i-host"
    assert created.key == "2026-10-informationssakerhet-i-host"
    assert created.status == ThemeStatus.DRAFT and created.created_by_id == boss.id
    assert "<script" not in created.intro_html and "Hej" in created.intro_html
    assert _audit(session, created) == ["theme_month.create"]


def test_a_taken_slug_is_suggested_with_a_number_but_a_given_one_must_be_free(
    session: Session, boss: User
) -> None:
    first = themes.create_theme_month(session, boss, data())
    second = themes.create_theme_month(session, boss, data())
    assert (first.slug, second.slug) == ("informationssakerhet", "informationssakerhet-2")
    with pytest.raises(ValidationError) as refused:
        themes.create_theme_month(session, boss, data(slug="informationssakerhet"))
    assert refused.value.field == "slug"
    other_month = themes.create_theme_month(
        session, boss, data(month=11, slug="informationssakerhet")
    )
    assert other_month.key == "2026-11-informationssakerhet"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"slug": "Inte OK"}, "slug"),
        ({"slug": "-kant-"}, "slug"),
        ({"slug": "å"}, "slug"),
        ({"month": 0}, "month"),
        ({"month": 13}, "month"),
        ({"year": 1999}, "year"),
        ({"year": 2101}, "year"),
        ({"intro": "![](saknas.png)"}, "intro"),
        ({"intro": "![En bild](https://example.com/spion.png)"}, "intro"),
        ({"intro": "x" * 20_001}, "intro"),
    ],
)
def test_invalid_input_is_refused_on_its_field_and_nothing_is_saved(
    session: Session, boss: User, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        themes.create_theme_month(session, boss, data(**changes))
    assert refused.value.field == field
    assert str(refused.value.message)
    assert session.scalars(select(ThemeMonth)).all() == []


def test_a_knowledge_check_does_not_belong_in_an_intro(session: Session, boss: User) -> None:
    with pytest.raises(ValidationError) as refused:
        themes.create_theme_month(session, boss, data(intro=cf.QUIZ))
    assert refused.value.field == "intro"


def test_the_excerpt_is_the_first_paragraph_as_plain_text(session: Session, boss: User) -> None:
    created = themes.create_theme_month(session, boss, data(intro="Säkert & *enkelt*.\n\nMer."))
    assert intro_excerpt(created) == "Säkert & enkelt."


@pytest.mark.parametrize(
    "permission", [Permission.NONE, Permission.COURSE_OWNER, Permission.MANAGER]
)
def test_only_coordinators_and_admins_may_manage(session: Session, permission: Permission) -> None:
    person = factories.user(session, permissions=permission)
    assert not themes.can_manage(person)
    with pytest.raises(PermissionDenied):
        themes.create_theme_month(session, person, data())
    admin = factories.admin(session)
    assert themes.can_manage(admin)
    assert themes.create_theme_month(session, admin, data()).status == ThemeStatus.DRAFT


# --- curating --------------------------------------------------------------------------------


def test_activities_keep_the_coordinators_order_and_move_up_and_down(
    session: Session, boss: User
) -> None:
    a, b, c = (cf.activity(session, title=t) for t in ("Alfa", "Beta", "Gamma"))
    month = theme(session, boss, activities=[a, b, c])
    order = lambda: [link.activity.title for link in month.activity_links]  # noqa: E731
    assert order() == ["Alfa", "Beta", "Gamma"]
    themes.move_activity(session, boss, month, c.id, "up")
    assert order() == ["Alfa", "Gamma", "Beta"]
    themes.move_activity(session, boss, month, a.id, "up")  # already first: nothing moves
    themes.move_activity(session, boss, month, a.id, "down")
    assert order() == ["Gamma", "Alfa", "Beta"]
    themes.remove_activity(session, boss, month, a.id)
    session.expire_all()
    reloaded = session.get(ThemeMonth, month.id)
    assert reloaded is not None
    assert [(link.activity.title, link.position) for link in reloaded.activity_links] == [
        ("Gamma", 0),
        ("Beta", 1),
    ]
    with pytest.raises(ValidationError):
        themes.move_activity(session, boss, reloaded, b.id, "sideways")


def test_only_published_activities_once_each_and_at_most_forty(
    session: Session, boss: User
) -> None:
    month = theme(session, boss, activities=[])
    draft = cf.activity(session, status="draft")
    archived = cf.activity(session, status="archived")
    for refused_id in (draft.id, archived.id, 999_999):
        with pytest.raises(ValidationError) as refused:
            themes.add_activity(session, boss, month, refused_id)
        assert refused.value.field == "activity"
    published = [cf.activity(session) for _ in range(themes.MAX_ACTIVITIES + 1)]
    themes.add_activity(session, boss, month, published[0].id)
    already = sv("%(title)s is already part of the theme month.", title=published[0].title)
    with pytest.raises(ValidationError, match=re.escape(already)):
        themes.add_activity(session, boss, month, published[0].id)
    for activity in published[1 : themes.MAX_ACTIVITIES]:
        themes.add_activity(session, boss, month, activity.id)
    with pytest.raises(ValidationError, match="40"):
        themes.add_activity(session, boss, month, published[-1].id)
    assert len(month.activity_links) == themes.MAX_ACTIVITIES


# --- the banner ------------------------------------------------------------------------------


def test_a_banner_needs_an_image_and_alt_text(session: Session, boss: User, tmp_path: Path) -> None:
    month = theme(session, boss)
    with pytest.raises(ValidationError) as no_image:
        themes.set_banner(session, boss, month, folder=tmp_path, alt="Ett hänglås")
    assert no_image.value.field == "image"
    with pytest.raises(ValidationError) as no_alt:
        themes.set_banner(
            session, boss, month, folder=tmp_path, alt=" ", data=png(), filename="b.png"
        )
    assert no_alt.value.field == "banner_alt"
    with pytest.raises(ValidationError) as long_alt:
        themes.set_banner(
            session, boss, month, folder=tmp_path, alt="x" * 301, data=png(), filename="b.png"
        )
    assert long_alt.value.field == "banner_alt"
    with pytest.raises(ValidationError) as not_image:
        themes.set_banner(
            session, boss, month, folder=tmp_path, alt="Hänglås", data=b"%PDF-1.7", filename="b.png"
        )
    assert not_image.value.field == "image"
    assert session.scalars(select(Upload)).all() == []

    themes.set_banner(
        session,
        boss,
        month,
        folder=tmp_path,
        alt="Ett hänglås på en dator",
        data=png(),
        filename="Banner.PNG",
    )
    assert month.banner is not None and (tmp_path / month.banner.name).is_file()
    themes.set_banner(session, boss, month, folder=tmp_path, alt="Ett rött hänglås")  # alt only
    assert month.banner_alt == "Ett rött hänglås" and month.banner is not None
    themes.remove_banner(session, boss, month)
    assert month.banner_id is None and month.banner_alt == ""


# --- the key lock and editing ----------------------------------------------------------------


def test_the_key_may_change_until_the_theme_month_has_been_published(
    session: Session, boss: User
) -> None:
    month = theme(session, boss)
    themes.update_theme_month(
        session, boss, month, data(month=11, slug="sakerhet", title="Säkerhet")
    )
    assert month.key == "2026-11-sakerhet"
    themes.publish_now(session, boss, month, NOW)
    themes.unpublish(session, boss, month)
    for changes, field in (
        ({"slug": "nytt"}, "slug"),
        ({"month": 12}, "month"),
        ({"year": 2027}, "year"),
    ):
        fields = {"month": 11, "slug": "sakerhet", "title": "Säkerhet", **changes}
        with pytest.raises(ValidationError) as refused:
            themes.update_theme_month(session, boss, month, data(**fields))  # type: ignore[arg-type]
        assert refused.value.field == field
    themes.update_theme_month(
        session, boss, month, data(month=11, title="Säkerhet i vardagen", intro="Ny text.")
    )
    assert month.key == "2026-11-sakerhet" and month.title == "Säkerhet i vardagen"
    assert "Ny text." in month.intro_html


def test_editing_refuses_another_theme_months_key(session: Session, boss: User) -> None:
    theme(session, boss, slug="ai")
    month = theme(session, boss, slug="sakerhet")
    with pytest.raises(ValidationError) as refused:
        themes.update_theme_month(session, boss, month, data(slug="ai"))
    assert refused.value.field == "slug"


# --- publishing, scheduling and back ---------------------------------------------------------


def test_publishing_needs_a_published_activity(session: Session, boss: User) -> None:
    month = theme(session, boss, activities=[])
    with pytest.raises(ValidationError):
        themes.publish_now(session, boss, month, NOW)
    with pytest.raises(ValidationError):
        themes.schedule(session, boss, month, date(2026, 10, 1), TODAY)
    assert month.status == ThemeStatus.DRAFT


def test_scheduling_needs_a_date_after_today_within_the_month(session: Session, boss: User) -> None:
    month = theme(session, boss)
    for day in (TODAY - timedelta(days=1), TODAY, date(2026, 11, 1)):
        with pytest.raises(ValidationError) as refused:
            themes.schedule(session, boss, month, day, TODAY)
        assert refused.value.field == "publish_on"
    with pytest.raises(ValidationError, match=sv("Publish now")):
        themes.schedule(session, boss, month, TODAY, TODAY)
    themes.schedule(session, boss, month, date(2026, 10, 1), TODAY)
    assert (month.status, month.publish_on) == (ThemeStatus.SCHEDULED, date(2026, 10, 1))
    themes.unschedule(session, boss, month)
    assert (month.status, month.publish_on) == (ThemeStatus.DRAFT, None)
    with pytest.raises(Conflict):
        themes.unschedule(session, boss, month)


def test_a_scheduled_month_cannot_move_before_its_publishing_date(
    session: Session, boss: User
) -> None:
    month = theme(session, boss)
    themes.schedule(session, boss, month, date(2026, 10, 15), TODAY)
    with pytest.raises(ValidationError) as refused:
        themes.update_theme_month(session, boss, month, data(month=9))
    assert refused.value.field == "month"


def test_publish_unpublish_and_publish_again_announces_once(session: Session, boss: User) -> None:
    learner = factories.user(session, name="Fatima Ahmed")
    month = theme(session, boss)
    told = themes.publish_now(session, boss, month, NOW)
    assert told == 2  # the learner and the coordinator (everyone: no departments)
    assert month.status == ThemeStatus.PUBLISHED
    assert month.published_at == NOW and month.announced_at == NOW
    with pytest.raises(Conflict):
        themes.publish_now(session, boss, month, NOW)
    themes.unpublish(session, boss, month)
    assert month.status == ThemeStatus.DRAFT and month.published_at == NOW
    with pytest.raises(Conflict):
        themes.unpublish(session, boss, month)
    later = NOW + timedelta(days=3)
    assert themes.publish_now(session, boss, month, later) == 0
    assert month.published_at == NOW and month.announced_at == NOW
    assert themes.announce(session, month, later) == 0
    [note] = notes(session, learner)
    assert "Informationssäkerhet" in note.title and "oktober 2026" in note.title
    assert note.link == "/teman/2026-10/informationssakerhet"
    assert note.body.startswith("Oktober är informationssäkerhetens månad.")
    assert len(notes(session)) == 2
    assert _audit(session, month)[-4:] == [
        "theme_month.publish",
        "theme_month.announce",
        "theme_month.unpublish",
        "theme_month.publish",
    ]


def test_the_announcement_reaches_only_the_target_departments_active_people(
    session: Session, boss: User
) -> None:
    library = factories.department(session, "Barnbiblioteket")
    museum = factories.department(session, "Stadsmuseet")
    archive = factories.department(session, "Stadsarkivet")
    reader = factories.user(session, dept=library, name="Lina Berg")
    curator = factories.user(session, dept=museum, name="Omar Said")
    archivist = factories.user(session, dept=archive, name="Eva Ek")
    gone = factories.user(session, dept=library, name="Nils Slutat")
    accounts.set_active(session, factories.admin(session), gone, False)
    month = theme(session, boss, departments=[library, museum])
    assert themes.publish_now(session, boss, month, NOW) == 2
    told = {note.user_id for note in notes(session)}
    assert told == {reader.id, curator.id}
    assert archivist.id not in told and gone.id not in told


def test_mail_follows_each_persons_preference(session: Session, boss: User) -> None:
    dept = factories.department(session, "Kulturskolan")
    at_once = factories.user(session, dept=dept, email="direkt@kultur.example.se")
    weekly = factories.user(session, dept=dept)
    silent = factories.user(session, dept=dept)
    set_mail_mode(session, weekly, MailMode.WEEKLY)
    set_mail_mode(session, silent, MailMode.OFF)
    month = theme(session, boss, departments=[dept])
    themes.publish_now(session, boss, month, NOW)
    assert [len(notes(session, p)) for p in (at_once, weekly, silent)] == [1, 1, 1]
    [mail] = mails(session)
    assert mail.to_address == "direkt@kultur.example.se"
    assert "oktober 2026" in mail.subject
    assert "Känn igen nätfiske" in mail.body_text
    assert "http://localhost/teman/2026-10/informationssakerhet" in mail.body_text
    assert "Oktober är informationssäkerhetens månad." in mail.body_text
    assert notes(session, weekly)[0].is_digest_pending


def test_a_month_that_is_over_is_published_to_the_archive_without_telling_anyone(
    session: Session, boss: User
) -> None:
    factories.user(session)
    month = theme(session, boss, month=8)
    assert themes.publish_now(session, boss, month, NOW) == 0
    assert month.is_published and month.announced_at == NOW
    assert notes(session) == []


def test_only_a_never_published_theme_month_can_be_deleted(session: Session, boss: User) -> None:
    draft = theme(session, boss, slug="utkast")
    scheduled = theme(session, boss, slug="schemalagd")
    themes.schedule(session, boss, scheduled, date(2026, 10, 1), TODAY)
    shown = theme(session, boss, slug="visad")
    themes.publish_now(session, boss, shown, NOW)
    for month in (draft, scheduled):
        themes.delete_theme_month(session, boss, month)
    with pytest.raises(Conflict):
        themes.delete_theme_month(session, boss, shown)
    themes.unpublish(session, boss, shown)
    with pytest.raises(Conflict):
        themes.delete_theme_month(session, boss, shown)
    assert [t.slug for t in session.scalars(select(ThemeMonth))] == ["visad"]


# --- publishing by date ----------------------------------------------------------------------


def test_publish_due_publishes_only_what_is_due_in_stockholm(session: Session, boss: User) -> None:
    due = theme(session, boss, slug="forsta")
    later = theme(session, boss, slug="andra")
    themes.schedule(session, boss, due, date(2026, 10, 1), TODAY)
    themes.schedule(session, boss, later, date(2026, 10, 2), TODAY)
    assert themes.publish_due(session, at(date(2026, 9, 30), 23, 30)) == []
    # 00:30 on 1 October in Stockholm is still 30 September in UTC: the Stockholm date counts.
    first_of_october = at(date(2026, 10, 1), 0, 30)
    assert first_of_october.date() == date(2026, 9, 30)
    assert themes.publish_due(session, first_of_october) == [due]
    assert due.status == ThemeStatus.PUBLISHED and due.publish_on is None
    assert due.published_at == first_of_october
    assert later.status == ThemeStatus.SCHEDULED
    assert themes.publish_due(session, first_of_october) == []
