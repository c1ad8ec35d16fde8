"""The coaching-slot form: editors publish one-to-one slots in bulk (/bokningar/coaching/…)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Activity, ActivitySession
from lms.core.access import Permission
from lms.core.time import STOCKHOLM, local_date, utcnow
from tests import factories
from tests.catalog import factories as catalog


def _person(session: Session, permissions: Permission = Permission.NONE) -> User:
    person = factories.user(session, permissions=permissions)
    person.language = "en"  # the Swedish strings are merged into the catalogue later
    return person


def _coaching(session: Session, owner: User) -> Activity:
    return catalog.activity(session, format="coaching", delivery="physical", owners=[owner])


def _next_monday() -> date:
    today = local_date(utcnow())
    return today + timedelta(days=7 - today.weekday())  # always in the future


def _form(**overrides: Any) -> dict[str, Any]:
    monday = _next_monday()
    data = {
        "weekday": "1",  # Tuesday
        "start": "09:00",
        "end": "12:00",
        "slot_minutes": "30",
        "first_date": monday.isoformat(),
        "last_date": (monday + timedelta(days=13)).isoformat(),
        "place": "Stadsmuseet, Slussen",
    }
    data.update(overrides)
    return data


def _slots(session: Session, activity: Activity) -> list[ActivitySession]:
    session.expire_all()
    return list(
        session.scalars(
            select(ActivitySession)
            .where(ActivitySession.activity_id == activity.id)
            .order_by(ActivitySession.starts_at)
        )
    )


def _url(activity: Activity) -> str:
    return f"/bokningar/coaching/{activity.slug}"


def test_the_owner_creates_slots_through_the_form(
    session: Session, client: Any, auth: Any, csrf_off: None
) -> None:
    coach = _person(session, Permission.COURSE_OWNER)
    coaching = _coaching(session, coach)
    session.commit()
    auth.login(coach.email)

    page = client.get(_url(coaching)).get_data(as_text=True)
    assert "Tuesday" in page and 'name="slot_minutes"' in page

    response = client.post(_url(coaching), data=_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/redigera/{coaching.slug}#sessions")
    slots = _slots(session, coaching)
    assert len(slots) == 12  # two Tuesdays, six half hours each
    assert {s.capacity for s in slots} == {1}
    assert {s.place for s in slots} == {"Stadsmuseet, Slussen"}
    first = slots[0].starts_at.astimezone(STOCKHOLM)
    assert (first.weekday(), first.hour, first.minute) == (1, 9, 0)
    assert first.date() == _next_monday() + timedelta(days=1)
    editor = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "12 slots were created." in editor
    assert f'href="{_url(coaching)}"' in editor  # the editor links to the form


def test_one_slot_is_announced_in_the_singular(
    session: Session, client: Any, auth: Any, csrf_off: None
) -> None:
    coach = _person(session, Permission.COURSE_OWNER)
    coaching = _coaching(session, coach)
    session.commit()
    auth.login(coach.email)
    monday = _next_monday()
    response = client.post(
        _url(coaching),
        data=_form(end="09:30", last_date=(monday + timedelta(days=6)).isoformat()),
        follow_redirects=True,
    )
    assert "One slot was created." in response.get_data(as_text=True)
    assert len(_slots(session, coaching)) == 1


@pytest.mark.parametrize(
    ("overrides", "message", "field"),
    [
        ({"end": "08:00"}, "The end must be after the start.", "end"),
        ({"last_date": "2000-01-01"}, "The last date cannot be before the first.", "last_date"),
        ({"slot_minutes": "0"}, "A slot is 5 to 480 minutes long.", "slot_minutes"),
        ({"place": ""}, "Give the place of the slots.", "place"),
        ({"start": ""}, "Give a start time.", "start"),
        ({"weekday": "9"}, "Not a valid choice.", "weekday"),
    ],
)
def test_invalid_forms_show_the_error_and_create_nothing(
    session: Session,
    client: Any,
    auth: Any,
    csrf_off: None,
    overrides: dict[str, str],
    message: str,
    field: str,
) -> None:
    coach = _person(session, Permission.COURSE_OWNER)
    coaching = _coaching(session, coach)
    session.commit()
    auth.login(coach.email)
    response = client.post(_url(coaching), data=_form(**overrides))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page
    assert _slots(session, coaching) == []


def test_service_errors_land_on_the_form(
    session: Session, client: Any, auth: Any, csrf_off: None
) -> None:
    coach = _person(session, Permission.COURSE_OWNER)
    coaching = _coaching(session, coach)
    session.commit()
    auth.login(coach.email)
    past = local_date(utcnow()) - timedelta(days=14)
    response = client.post(
        _url(coaching),
        data=_form(first_date=past.isoformat(), last_date=(past + timedelta(days=6)).isoformat()),
    )
    # That week's Tuesday is in the past: the service refuses its first slot.
    page = response.get_data(as_text=True)
    assert "A new session must start in the future." in page
    assert 'id="first_date-error"' in page

    year_on = _next_monday() + timedelta(days=400)
    response = client.post(_url(coaching), data=_form(last_date=year_on.isoformat()))
    assert "Slots can be published for at most a year at a time." in response.get_data(as_text=True)

    response = client.post(_url(coaching), data=_form(slot_minutes="240"))
    assert "No slot fits between the dates and times you gave." in response.get_data(as_text=True)
    assert _slots(session, coaching) == []


def test_employees_and_other_owners_get_403(
    session: Session, client: Any, auth: Any, csrf_off: None
) -> None:
    coach = _person(session, Permission.COURSE_OWNER)
    coaching = _coaching(session, coach)
    employee = _person(session)
    other_owner = _person(session, Permission.COURSE_OWNER)
    session.commit()
    for person in (employee, other_owner):
        auth.login(person.email)
        assert client.get(_url(coaching)).status_code == 403
        assert client.post(_url(coaching), data=_form()).status_code == 403
        auth.logout()
    assert _slots(session, coaching) == []


def test_a_coordinator_may_publish_slots_of_any_coaching(
    session: Session, client: Any, auth: Any, csrf_off: None
) -> None:
    coaching = _coaching(session, _person(session, Permission.COURSE_OWNER))
    coordinator = _person(session, Permission.COORDINATOR)
    session.commit()
    auth.login(coordinator.email)
    assert client.post(_url(coaching), data=_form()).status_code == 302
    assert len(_slots(session, coaching)) == 12


def test_only_coaching_activities_have_the_form(
    session: Session, client: Any, auth: Any, csrf_off: None
) -> None:
    owner = _person(session, Permission.COURSE_OWNER)
    workshop = catalog.activity(session, format="workshop", delivery="physical", owners=[owner])
    session.commit()
    auth.login(owner.email)
    assert client.get(_url(workshop)).status_code == 404
    assert client.get("/bokningar/coaching/finns-inte").status_code == 404
    editor = client.get(f"/redigera/{workshop.slug}").get_data(as_text=True)
    assert "/bokningar/coaching/" not in editor


def test_signed_out_visitors_are_sent_to_the_login(session: Session, client: Any) -> None:
    coaching = _coaching(session, _person(session, Permission.COURSE_OWNER))
    session.commit()
    response = client.get(_url(coaching))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
