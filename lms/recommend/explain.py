"""Reasons in words, in the request's language: "Du skattade 2 i 4.2 Skydda personuppgifter
och integritet; förväntad nivå för bibliotekarie är 3".

The engine's `Reason`s carry every name they need, so wording one needs no database. The
source strings are English; Swedish comes from the translation catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from flask_babel import format_date
from flask_babel import gettext as _

from lms.catalog.forms import LEVEL_LABELS
from lms.catalog.models import Level
from lms.core.time import to_local
from lms.recommend.data import Reason

Params = Mapping[str, str | int]


def mid_sentence(name: str) -> str:
    """A name as it reads inside a sentence: "Bibliotekarie" → "bibliotekarie", while an
    abbreviation such as "IT-tekniker" or "HR-strateg" keeps its capitals."""
    if len(name) > 1 and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _competence(params: Params) -> str:
    return f"{params['competence_code']} {params['competence_name']}".strip()


def _gap(params: Params) -> str:
    values = {
        "assessed": params["assessed"],
        "expected": params["expected"],
        "competence": _competence(params),
        "role": mid_sentence(str(params.get("role") or "")),
    }
    agreed = bool(params.get("agreed"))
    if values["role"] and agreed:
        return _(
            "You and your manager agreed on %(assessed)s in %(competence)s; "
            "the expected level for %(role)s is %(expected)s",
            **values,
        )
    if values["role"]:
        return _(
            "You rated yourself %(assessed)s in %(competence)s; "
            "the expected level for %(role)s is %(expected)s",
            **values,
        )
    if agreed:
        return _(
            "You and your manager agreed on %(assessed)s in %(competence)s; "
            "the expected level is %(expected)s",
            **values,
        )
    return _(
        "You rated yourself %(assessed)s in %(competence)s; the expected level is %(expected)s",
        **values,
    )


def _expected(params: Params) -> str:
    role = mid_sentence(str(params.get("role") or ""))
    competence = _competence(params)
    if role:
        return _(
            "You have not assessed yourself yet; "
            "the expected level for %(role)s in %(competence)s is %(expected)s",
            role=role,
            competence=competence,
            expected=params["expected"],
        )
    return _(
        "You have not assessed yourself yet; the expected level in %(competence)s is %(expected)s",
        competence=competence,
        expected=params["expected"],
    )


def _plan_goal(params: Params) -> str:
    return _("A goal in your development plan")


def _motivation(params: Params) -> str:
    return _(
        "You are keen to grow here (motivation %(motivation)s of 5)",
        motivation=params["motivation"],
    )


def _theme(params: Params) -> str:
    return _("Part of the theme month %(theme)s", theme=params["theme"])


def _popular(params: Params) -> str:
    if params.get("role"):
        return _("Popular with others in the role %(role)s", role=params["role"])
    return _("Popular with colleagues")


def _level_fit(params: Params) -> str:
    label = str(LEVEL_LABELS[Level(str(params["level"]))])
    return _("The right level for you: %(level)s", level=mid_sentence(label))


def _short(params: Params) -> str:
    if int(params["minutes"]) == 1:
        return _("Takes only a minute")
    return _("Takes only %(minutes)s minutes", minutes=params["minutes"])


def _next_session(params: Params) -> str:
    starts_at = datetime.fromisoformat(str(params["starts_at"]))
    starts_at = starts_at.replace(tzinfo=UTC) if starts_at.tzinfo is None else starts_at
    # "3 dec 2026": the Swedish short month without its abbreviation dot, as on the start page
    day = str(format_date(to_local(starts_at).date(), "d MMM y")).replace(".", "")
    return _("Next session with free seats: %(date)s", date=day)


_WORDINGS = {
    "plan_goal": _plan_goal,
    "gap": _gap,
    "expected": _expected,
    "motivation": _motivation,
    "theme": _theme,
    "popular_in_role": _popular,
    "level_fit": _level_fit,
    "short": _short,
    "next_session": _next_session,
}


def describe(reason: Reason) -> str:
    """The reason in words; "" for a kind this version does not know or for params it
    cannot read (a cache written by another version), which callers skip."""
    wording = _WORDINGS.get(reason.kind)
    if wording is None:
        return ""
    try:
        return str(wording(reason.params))
    except (KeyError, TypeError, ValueError):
        return ""


def describe_all(reasons: Iterable[Reason]) -> list[str]:
    """Every reason that can be worded, in order."""
    return [text for text in map(describe, reasons) if text]
