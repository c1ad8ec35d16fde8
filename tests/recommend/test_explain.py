"""Reasons in words: every kind in English and exactly as the Swedish UI shows it, role names
mid-sentence, unknown or unreadable reasons skipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import force_locale

from lms.recommend.data import FORDJUPNING, GRUND, SPETS, Reason
from lms.recommend.explain import describe, describe_all, mid_sentence

PRIVACY = {"competence_code": "4.2", "competence_name": "Skydda personuppgifter och integritet"}


def gap(role: str = "Bibliotekarie", agreed: int = 0) -> Reason:
    return Reason("gap", {**PRIVACY, "assessed": 2, "expected": 3, "role": role, "agreed": agreed})


def expected(role: str = "Bibliotekarie") -> Reason:
    return Reason("expected", {**PRIVACY, "expected": 3, "role": role})


REASONS = {
    "gap": gap(),
    "agreed_gap": gap(agreed=1),
    "gap_without_role": gap(role=""),
    "agreed_gap_without_role": gap(role="", agreed=1),
    "expected": expected(),
    "expected_without_role": expected(role=""),
    "plan_goal": Reason("plan_goal", PRIVACY),
    "theme": Reason("theme", {"theme": "Informationssäkerhet"}),
    "motivation": Reason("motivation", {**PRIVACY, "motivation": 5}),
    "popular_in_role": Reason("popular_in_role", {"role": "Bibliotekarie", "count": 12}),
    "popular_without_role": Reason("popular_in_role", {"role": "", "count": 12}),
    "level_fit": Reason("level_fit", {"level": GRUND}),
    "short": Reason("short", {"minutes": 10}),
    "one_minute": Reason("short", {"minutes": 1}),
    # 23:30 UTC on 2 December is already 3 December in Stockholm
    "next_session": Reason("next_session", {"starts_at": "2026-12-02T23:30:00+00:00"}),
}

SWEDISH = {
    "gap": "Du skattade 2 i 4.2 Skydda personuppgifter och integritet; "
    "förväntad nivå för bibliotekarie är 3",
    "agreed_gap": "Du och din chef kom överens om 2 i 4.2 Skydda personuppgifter och "
    "integritet; förväntad nivå för bibliotekarie är 3",
    "gap_without_role": "Du skattade 2 i 4.2 Skydda personuppgifter och integritet; "
    "förväntad nivå är 3",
    "agreed_gap_without_role": "Du och din chef kom överens om 2 i 4.2 Skydda "
    "personuppgifter och integritet; förväntad nivå är 3",
    "expected": "Du har inte skattat dig ännu; förväntad nivå för bibliotekarie i 4.2 Skydda "
    "personuppgifter och integritet är 3",
    "expected_without_role": "Du har inte skattat dig ännu; förväntad nivå i 4.2 Skydda "
    "personuppgifter och integritet är 3",
    "plan_goal": "Mål i din utvecklingsplan",
    "theme": "Ingår i temamånaden Informationssäkerhet",
    "motivation": "Du vill gärna utvecklas här (motivation 5 av 5)",
    "popular_in_role": "Populär bland andra med rollen Bibliotekarie",
    "popular_without_role": "Populär bland kollegor",
    "level_fit": "Rätt nivå för dig: grund",
    "short": "Tar bara 10 minuter",
    "one_minute": "Tar bara en minut",
    "next_session": "Nästa tillfälle med lediga platser: 3 dec 2026",
}

ENGLISH = {
    "gap": "You rated yourself 2 in 4.2 Skydda personuppgifter och integritet; "
    "the expected level for bibliotekarie is 3",
    "agreed_gap": "You and your manager agreed on 2 in 4.2 Skydda personuppgifter och "
    "integritet; the expected level for bibliotekarie is 3",
    "gap_without_role": "You rated yourself 2 in 4.2 Skydda personuppgifter och integritet; "
    "the expected level is 3",
    "agreed_gap_without_role": "You and your manager agreed on 2 in 4.2 Skydda "
    "personuppgifter och integritet; the expected level is 3",
    "expected": "You have not assessed yourself yet; the expected level for bibliotekarie in "
    "4.2 Skydda personuppgifter och integritet is 3",
    "expected_without_role": "You have not assessed yourself yet; the expected level in 4.2 "
    "Skydda personuppgifter och integritet is 3",
    "plan_goal": "A goal in your development plan",
    "theme": "Part of the theme month Informationssäkerhet",
    "motivation": "You are keen to grow here (motivation 5 of 5)",
    "popular_in_role": "Popular with others in the role Bibliotekarie",
    "popular_without_role": "Popular with colleagues",
    "level_fit": "The right level for you: basic",
    "short": "Takes only 10 minutes",
    "one_minute": "Takes only a minute",
    "next_session": "Next session with free seats: 3 Dec 2026",
}


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    with force_locale("en"):
        yield


@pytest.fixture
def swedish(app: Flask) -> Iterator[None]:
    with force_locale("sv"):
        yield


@pytest.mark.parametrize("name", REASONS)
def test_every_reason_reads_in_english(english: None, name: str) -> None:
    assert describe(REASONS[name]) == ENGLISH[name]


@pytest.mark.parametrize("name", REASONS)
def test_every_reason_reads_in_swedish_as_the_issue_words_it(swedish: None, name: str) -> None:
    # Passes once build/tr-engine.json is merged into messages.po.
    assert describe(REASONS[name]) == SWEDISH[name]


@pytest.mark.parametrize(
    ("level", "words"), [(GRUND, "basic"), (FORDJUPNING, "in-depth"), (SPETS, "advanced")]
)
def test_level_fit_names_the_level_as_the_catalogue_does(
    english: None, level: str, words: str
) -> None:
    assert describe(Reason("level_fit", {"level": level})) == f"The right level for you: {words}"


def test_role_names_are_lowercased_mid_sentence_unless_they_start_with_an_abbreviation() -> None:
    assert mid_sentence("Bibliotekarie") == "bibliotekarie"
    assert mid_sentence("IT-tekniker") == "IT-tekniker"
    assert mid_sentence("HR-strateg") == "HR-strateg"
    assert mid_sentence("") == ""


def test_an_it_technicians_role_keeps_its_capitals_in_a_gap(english: None) -> None:
    assert describe(gap(role="IT-tekniker")).endswith("the expected level for IT-tekniker is 3")


def test_unknown_or_unreadable_reasons_read_as_nothing_and_are_skipped(english: None) -> None:
    unknown = Reason("weather", {"sky": "blue"})
    broken = Reason("gap", {"competence_code": "4.2"})
    bad_level = Reason("level_fit", {"level": "expert"})
    assert describe(unknown) == describe(broken) == describe(bad_level) == ""
    assert describe_all([unknown, REASONS["plan_goal"], broken, REASONS["short"]]) == [
        "A goal in your development plan",
        "Takes only 10 minutes",
    ]


def test_reasons_read_back_from_the_cache_word_the_same(english: None) -> None:
    for reason in REASONS.values():
        assert describe(Reason.from_json(reason.to_json())) == describe(reason)
