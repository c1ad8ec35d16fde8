"""The editor pages: list, create and edit forms, preview, status, revisions, sessions, lessons."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, ActivityRevision, ActivitySession, Lesson, Status
from lms.core.access import Permission
from lms.core.audit import AuditEvent
from lms.core.time import STOCKHOLM, UTC
from tests import factories
from tests.catalog import factories as cf

pytestmark = pytest.mark.usefixtures("csrf_off")
XSS_BODY = """# Rubrik <script>alert('h')</script>

<script>alert(1)</script>
<img src=x onerror="alert(2)">
[klicka](javascript:alert(3))
![bild](javascript:alert(4))
<a href="#" onclick="alert(5)">länk</a>
"""


@pytest.fixture
def fw(session: Session) -> cf.Framework:
    return cf.framework(session)


@pytest.fixture
def owner(session: Session, auth: Any, fw: cf.Framework) -> User:
    person = factories.user(session, name="Maria Lindqvist", permissions=Permission.COURSE_OWNER)
    session.commit()
    auth.login(person.email)
    return person


def form(fw: cf.Framework, **changes: str) -> dict[str, str]:
    values = {
        "title": "Känn igen nätfiske",
        "slug": "",
        "summary": "Fem minuter om nätfiske.",
        "format": "nanolesson",
        "level": "grund",
        "delivery": "digital",
        "minutes": "6",
        "language": "sv",
        "url": "",
        "body": "## Varningstecken\n\nBrådska och hot.",
        f"weight_{fw.competences['4.1'].id}": "1",
        f"weight_{fw.competences['4.2'].id}": "0,3",
        "note": "",
        "action": "save",
    }
    values.update(changes)
    return values


def own_activity(session: Session, owner: User, **kw: Any) -> Activity:
    owners = kw.pop("owners", [owner])
    activity = cf.activity(session, owners=owners, status=kw.pop("status", "draft"), **kw)
    session.commit()
    return activity


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


# --- creating and editing --------------------------------------------------------------------


def test_creating_an_activity_saves_every_field(
    client: FlaskClient, session: Session, fw: cf.Framework, owner: User
) -> None:
    role = factories.job_role(session, "Bibliotekarie")
    dept = owner.department
    assert dept is not None
    session.commit()
    data = form(
        fw,
        format="workshop",
        delivery="hybrid",
        level="fördjupning",
        url="https://example.se/anmalan",
        is_repeatable="y",
        subjects=str(fw.subjects["digital-arbetsplats"].id),
        departments=str(dept.id),
        job_roles=str(role.id),
    )
    response = client.post("/redigera/ny", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/redigera/kann-igen-natfiske"
    session.expire_all()
    activity = session.scalar(select(Activity).where(Activity.slug == "kann-igen-natfiske"))
    assert activity is not None
    assert (activity.status, activity.format, activity.level, activity.delivery) == (
        "draft",
        "workshop",
        "fördjupning",
        "hybrid",
    )
    assert activity.is_repeatable and activity.url == "https://example.se/anmalan"
    assert {link.competence.code: link.weight for link in activity.competence_links} == {
        "4.1": 1.0,
        "4.2": 0.3,
    }
    assert [s.slug for s in activity.subjects] == ["digital-arbetsplats"]
    assert activity.departments == [dept] and activity.job_roles == [role]
    assert [u.email for u in activity.owners] == [owner.email]
    page = text(client.get(response.headers["Location"]))
    assert "Känn igen nätfiske" in page and 'value="0.3"' in page


def test_validation_errors_keep_what_was_typed(
    client: FlaskClient, fw: cf.Framework, owner: User
) -> None:
    data = form(fw, title="", minutes="noll", url="http://osäkert.example")
    data.update(
        {f"weight_{fw.competences['4.1'].id}": "", f"weight_{fw.competences['4.2'].id}": ""}
    )
    data["body"] = "Min långa text som inte får försvinna."
    response = client.post("/redigera/ny", data=data)
    page = text(response)
    assert response.status_code == 200
    assert "Min långa text som inte får försvinna." in page
    assert "Fem minuter om nätfiske." in page
    assert 'value="http://osäkert.example"' in page
    assert 'aria-invalid="true"' in page
    for error_id in ("title-error", "minutes-error", "url-error", "competences-error"):
        assert f'id="{error_id}"' in page, error_id
    assert 'class="error-summary"' in page


def test_a_domain_error_is_shown_at_its_field(
    client: FlaskClient, session: Session, fw: cf.Framework, owner: User
) -> None:
    own_activity(session, owner, slug="upptagen")
    data = form(fw, slug="upptagen", body="Texten finns kvar.")
    page = text(client.post("/redigera/ny", data=data))
    assert 'id="slug-error"' in page
    assert "Texten finns kvar." in page


def test_editing_saves_and_a_note_reaches_the_history(
    client: FlaskClient, session: Session, fw: cf.Framework, owner: User
) -> None:
    activity = own_activity(session, owner, title="Gammal titel")
    data = form(fw, title="Ny titel", note="Bytte titel")
    data.pop("slug")
    data["owners"] = str(owner.id)
    response = client.post(f"/redigera/{activity.slug}", data=data)
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Activity, activity.id).title == "Ny titel"  # type: ignore[union-attr]
    notes = session.scalars(
        select(ActivityRevision.note).where(ActivityRevision.activity_id == activity.id)
    ).all()
    assert "Bytte titel" in notes


def test_the_preview_button_renders_without_saving(
    client: FlaskClient, session: Session, fw: cf.Framework, owner: User
) -> None:
    data = form(fw, body="::: tip\nEtt tips.\n:::\n" + cf.QUIZ, action="preview")
    page = text(client.post("/redigera/ny", data=data))
    assert 'class="admonition admonition-tip"' in page
    assert "Rapporterar det" not in page.split('id="preview"')[1]
    assert session.scalar(select(Activity).where(Activity.slug == "kann-igen-natfiske")) is None


# --- the live preview endpoint ---------------------------------------------------------------


def test_preview_returns_sanitized_html_and_problems(client: FlaskClient, owner: User) -> None:
    response = client.post("/redigera/forhandsgranska", data={"body": XSS_BODY + "![](x.png)"})
    assert response.status_code == 200
    result = response.get_json()
    html = result["html"].lower()
    assert "<script" not in html and "<img" not in html
    assert re.search(r"<[^>]*\son\w+\s*=", html) is None  # no event handler attribute
    assert re.search(r"(href|src)=\"?\s*javascript:", html) is None
    assert "&lt;script&gt;" in html  # shown as text, never run
    assert any("alt text" in problem for problem in result["problems"])


def test_preview_leaves_the_quiz_out_and_counts_its_questions(
    client: FlaskClient, owner: User
) -> None:
    result = client.post("/redigera/forhandsgranska", data={"body": "Text." + cf.QUIZ}).get_json()
    assert "Rapporterar" not in result["html"] and "quiz" not in result["html"]
    assert result == {"html": "<p>Text.</p>\n", "problems": [], "questions": 2}


def test_preview_needs_the_csrf_header(app: Flask, client: FlaskClient, owner: User) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/redigera/forhandsgranska", data={"body": "x"}).status_code == 400
    page = text(client.get("/redigera/ny"))
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/redigera/forhandsgranska", data={"body": "x"}, headers={"X-CSRFToken": token.group(1)}
    )
    assert response.status_code == 200 and response.get_json()["html"] == "<p>x</p>\n"


def test_edit_page_loads_the_script_without_inline_code(
    client: FlaskClient, session: Session, owner: User
) -> None:
    activity = own_activity(session, owner)
    page = text(client.get(f"/redigera/{activity.slug}"))
    assert '<script src="/static/js/editor.js" defer></script>' in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
    assert re.search(r"\son[a-z]+=|\sstyle=", page) is None
    assert 'aria-live="polite"' in page and 'data-preview-source="preview"' in page


# --- status ----------------------------------------------------------------------------------


def test_status_buttons_publish_archive_and_return_to_draft(
    client: FlaskClient, session: Session, owner: User
) -> None:
    activity = own_activity(session, owner)
    for status in ("published", "archived", "draft"):
        response = client.post(f"/redigera/{activity.slug}/status", data={"status": status})
        assert response.status_code == 302
        session.expire_all()
        assert session.get(Activity, activity.id).status == status  # type: ignore[union-attr]
    assert client.post(f"/redigera/{activity.slug}/status", data={"status": "x"}).status_code == 400
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(activity.id))
    ).all()
    assert actions.count("activity.status") == 3


def test_an_archived_activity_leaves_the_catalogue(
    app: Flask, client: FlaskClient, session: Session, owner: User
) -> None:
    activity = own_activity(session, owner, status="published")
    client.post(f"/redigera/{activity.slug}/status", data={"status": "archived"})
    page = text(client.get("/redigera/?status=archived"))
    assert activity.title in page
    if "catalog.activity" in app.view_functions:
        employee = factories.user(session)
        session.commit()
        from tests.conftest import Auth

        Auth(client).logout()
        Auth(client).login(employee.email)
        assert client.get(f"/katalog/{activity.slug}").status_code == 404


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_only_what_a_course_owner_may_edit(
    client: FlaskClient, session: Session, owner: User
) -> None:
    own_activity(session, owner, title="Min egen")
    cf.activity(session, title="Någon annans")
    session.commit()
    page = text(client.get("/redigera/"))
    assert "Min egen" in page and "Någon annans" not in page
    assert 'href="/redigera/ny"' in page


def test_a_coordinator_sees_every_activity_and_can_filter_by_status(
    client: FlaskClient, session: Session, auth: Any
) -> None:
    coordinator = factories.user(session, permissions=Permission.COORDINATOR)
    cf.activity(session, title="Publicerad sak", status="published")
    cf.activity(session, title="Utkast sak", status="draft")
    session.commit()
    auth.login(coordinator.email)
    page = text(client.get("/redigera/"))
    assert "Publicerad sak" in page and "Utkast sak" in page
    page = text(client.get("/redigera/?status=draft"))
    assert "Utkast sak" in page and "Publicerad sak" not in page


def test_the_list_runs_a_constant_number_of_queries(
    client: FlaskClient, session: Session, owner: User, count_queries: Any
) -> None:
    colleague = factories.user(session, permissions=Permission.COURSE_OWNER)
    own_activity(session, owner, owners=[owner, colleague])
    with count_queries() as few:
        assert client.get("/redigera/").status_code == 200
    for n in range(12):
        cf.activity(session, title=f"Aktivitet {n}", owners=[owner, colleague])
    session.commit()
    with count_queries() as many:
        page = text(client.get("/redigera/"))
    assert "Aktivitet 11" in page
    assert few.count == many.count, set(many.statements) ^ set(few.statements)


# --- revisions -------------------------------------------------------------------------------


def test_revision_page_shows_an_escaped_diff_and_restores(
    client: FlaskClient, session: Session, fw: cf.Framework, owner: User
) -> None:
    activity = own_activity(session, owner, body="Rad ett.\nRad två.", title="Före")
    data = form(fw, title="Efter", body="Rad ett.\nRad <b>tre</b>.", owners=str(owner.id))
    data.pop("slug")
    client.post(f"/redigera/{activity.slug}", data=data)
    listing = text(client.get(f"/redigera/{activity.slug}/versioner"))
    assert f"/redigera/{activity.slug}/versioner/2" in listing
    page = text(client.get(f"/redigera/{activity.slug}/versioner/2"))
    assert 'class="diff-removed"' in page and 'class="diff-added"' in page
    assert "Rad &lt;b&gt;tre&lt;/b&gt;." in page and "<b>tre</b>" not in page
    assert "Före" in page and "Efter" in page
    response = client.post(f"/redigera/{activity.slug}/versioner/1/aterstall")
    assert response.status_code == 302
    session.expire_all()
    restored = session.get(Activity, activity.id)
    assert restored is not None and (restored.title, restored.body) == (
        "Före",
        "Rad ett.\nRad två.",
    )
    latest = session.scalars(
        select(ActivityRevision)
        .where(ActivityRevision.activity_id == activity.id)
        .order_by(ActivityRevision.number.desc())
    ).first()
    assert latest is not None and latest.note == "Återställd från version 1"
    assert client.get(f"/redigera/{activity.slug}/versioner/99").status_code == 404


# --- sessions --------------------------------------------------------------------------------


def test_sessions_are_added_in_stockholm_time_cancelled_and_deleted(
    client: FlaskClient, session: Session, owner: User
) -> None:
    workshop = own_activity(session, owner, format="workshop")
    day = date.today() + timedelta(days=30)
    data = {
        "session-day": day.isoformat(),
        "session-starts": "13:00",
        "session-ends": "15:30",
        "session-place": "Kulturhuset",
        "session-online_url": "",
        "session-capacity": "20",
    }
    response = client.post(f"/redigera/{workshop.slug}/tillfallen", data=data)
    assert response.status_code == 302
    added = session.scalar(
        select(ActivitySession).where(ActivitySession.activity_id == workshop.id)
    )
    assert added is not None
    assert added.starts_at.astimezone(STOCKHOLM).strftime("%H:%M") == "13:00"
    assert added.starts_at.tzinfo is not None and added.minutes == 150
    assert added.starts_at.astimezone(UTC).hour in (11, 12)
    client.post(f"/redigera/{workshop.slug}/tillfallen/{added.id}/stall-in")
    session.expire_all()
    assert session.get(ActivitySession, added.id).is_cancelled  # type: ignore[union-attr]
    added_id = added.id
    client.post(f"/redigera/{workshop.slug}/tillfallen/{added_id}/ta-bort")
    session.expunge_all()
    assert session.scalar(select(ActivitySession).where(ActivitySession.id == added_id)) is None


def test_an_invalid_session_shows_errors_and_keeps_the_input(
    client: FlaskClient, session: Session, owner: User
) -> None:
    workshop = own_activity(session, owner, format="workshop")
    day = (date.today() + timedelta(days=3)).isoformat()
    data = {
        "session-day": day,
        "session-starts": "15:00",
        "session-ends": "14:00",
        "session-place": "Sal 3",
        "session-capacity": "0",
    }
    page = text(client.post(f"/redigera/{workshop.slug}/tillfallen", data=data))
    assert 'id="session-capacity-error"' in page
    assert 'value="Sal 3"' in page and f'value="{day}"' in page
    data["session-capacity"] = "10"
    page = text(client.post(f"/redigera/{workshop.slug}/tillfallen", data=data))
    assert 'id="session-ends-error"' in page
    data["session-day"] = "2020-01-01"
    data["session-ends"] = "16:00"
    page = text(client.post(f"/redigera/{workshop.slug}/tillfallen", data=data))
    assert 'id="session-day-error"' in page
    assert session.scalar(select(ActivitySession.id)) is None


def test_a_session_of_another_activity_is_not_found(
    client: FlaskClient, session: Session, owner: User
) -> None:
    mine = own_activity(session, owner, format="workshop")
    theirs = cf.activity(session, format="workshop")
    other = cf.session_of(session, theirs)
    session.commit()
    url = f"/redigera/{mine.slug}/tillfallen/{other.id}/ta-bort"
    assert client.post(url).status_code == 404


# --- lessons ---------------------------------------------------------------------------------


def test_lessons_are_added_edited_moved_and_deleted(
    client: FlaskClient, session: Session, owner: User
) -> None:
    course = own_activity(session, owner, format="course")
    base = f"/redigera/{course.slug}/lektioner"
    for title in ("Word", "Excel"):
        response = client.post(base, data={"lesson-title": title, "lesson-minutes": "5"})
        assert response.status_code == 302
    assert response.headers["Location"] == f"{base}/excel"
    page = text(client.get(f"{base}/excel"))
    assert "Excel" in page and 'data-preview-source="preview"' in page
    edit = {"title": "Excel", "minutes": "8", "summary": "", "body": "## Formler" + cf.QUIZ}
    assert client.post(f"{base}/excel", data=edit).status_code == 302
    bad = text(client.post(f"{base}/excel", data={**edit, "body": "![](saknas.png)"}))
    assert 'id="body-error"' in bad and "saknas.png" in bad
    client.post(f"{base}/excel/flytta", data={"direction": "up"})
    session.expire_all()
    lessons = session.scalars(
        select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)
    ).all()
    assert [(lesson.slug, lesson.minutes) for lesson in lessons] == [("excel", 8), ("word", 5)]
    assert len(lessons[0].quiz) == 2
    client.post(f"{base}/word/ta-bort")
    session.expire_all()
    assert session.scalars(select(Lesson.slug).where(Lesson.course_id == course.id)).all() == [
        "excel"
    ]
    assert client.get(f"{base}/word").status_code == 404


# --- permissions -----------------------------------------------------------------------------


def _editor_requests(app: Flask, slug: str) -> list[tuple[str, str]]:
    values = {"slug": slug, "number": 1, "session_id": 1, "lesson_slug": "x", "name": "x"}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("editor.") or rule.endpoint == "editor.uploaded_file":
            continue
        url = rule.build({k: v for k, v in values.items() if k in rule.arguments})
        assert url is not None
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, url[1] if isinstance(url, tuple) else url))
    return found


def test_employees_get_403_on_every_editor_url(
    app: Flask, client: FlaskClient, session: Session, auth: Any
) -> None:
    activity = cf.activity(session)
    employee = factories.user(session, permissions=Permission.MANAGER)
    session.commit()
    auth.login(employee.email)
    requests = _editor_requests(app, activity.slug)
    assert len(requests) >= 18
    for method, url in requests:
        assert client.open(url, method=method).status_code == 403, (method, url)


def test_another_course_owners_activity_is_403_on_every_editor_url(
    app: Flask, client: FlaskClient, session: Session, owner: User
) -> None:
    theirs = cf.activity(session, owners=[factories.user(session, permissions=owner.permissions)])
    session.commit()
    for method, url in _editor_requests(app, theirs.slug):
        if url.rstrip("/") in ("/redigera", "/redigera/ny", "/redigera/forhandsgranska"):
            continue
        if url == "/redigera/bilder":
            response = client.post(url, data={"upload-activity": theirs.slug})
        else:
            response = client.open(url, method=method)
        assert response.status_code == 403, (method, url)


def test_a_coordinator_may_edit_anyones_activity(
    client: FlaskClient, session: Session, fw: cf.Framework, auth: Any
) -> None:
    activity = cf.activity(session, owners=[factories.user(session)], status="draft")
    coordinator = factories.user(session, permissions=Permission.COORDINATOR)
    session.commit()
    auth.login(coordinator.email)
    assert client.get(f"/redigera/{activity.slug}").status_code == 200
    data = form(fw, title="Samordnarens titel")
    data.pop("slug")
    assert client.post(f"/redigera/{activity.slug}", data=data).status_code == 302
    assert client.post(f"/redigera/{activity.slug}/status", data={"status": "published"})
    session.expire_all()
    changed = session.get(Activity, activity.id)
    assert changed is not None
    assert (changed.title, changed.status) == ("Samordnarens titel", Status.PUBLISHED)


def test_every_editor_post_needs_a_csrf_token(
    app: Flask, client: FlaskClient, session: Session, owner: User
) -> None:
    activity = own_activity(session, owner)
    app.config["WTF_CSRF_ENABLED"] = True
    for method, url in _editor_requests(app, activity.slug):
        if method == "POST":
            assert client.post(url, data={}).status_code == 400, url


def test_json_is_what_the_preview_answers(client: FlaskClient, owner: User) -> None:
    response = client.post("/redigera/forhandsgranska", data={"body": "*hej*"})
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data())["html"] == "<p><em>hej</em></p>\n"
