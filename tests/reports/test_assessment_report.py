"""The assessment report from the database: the §5 shape, snapshots, the population, the
comparison between rounds, CSV rows, the index's summaries, and a constant number of queries."""

from __future__ import annotations

import json

import pytest

from lms.assessment.models import AssessmentStatus
from lms.reports.assessment_report import (
    CSV_COLUMNS,
    build_assessment_report,
    list_round_summaries,
    report_rows,
)
from tests.reports.builders import SECRET_COMMENT, answer, crowd, org, person, round_for

FIGURE_KEYS = {"suppressed", "suppressed_figures"}


def test_report_has_the_design_shape(session) -> None:
    where = org(session)
    autumn = round_for(session, where)
    spring = round_for(session, where, "Skattning våren 2026")
    crowd(session, where, autumn, {"Stadsbiblioteket": 6})
    crowd(session, where, spring, {"Stadsbiblioteket": 6})
    report = build_assessment_report(session, autumn, spring, min_group_size=5)
    assert list(report)[:8] == [
        "round",
        "respondents",
        "response_rate",
        "share_with_needs",
        "high_motivation",
        "suppressed",
        "suppressed_figures",
        "areas",
    ]
    assert {"competences", "compare", "by_department", "by_job_role", "min_group_size"} <= set(
        report
    )
    assert report["round"] == "Skattning hösten 2026" and report["min_group_size"] == 5
    assert set(report["areas"]["1"]) == {
        "share_with_needs",
        "mean_rating",
        "high_motivation",
        "respondents",
        *FIGURE_KEYS,
    }
    assert set(report["competences"]["4.2"]) == {
        "share_with_needs",
        "mean_rating",
        "respondents",
        *FIGURE_KEYS,
    }
    compare = report["compare"]
    assert compare["round"] == "Skattning våren 2026"
    assert set(compare["delta_pp"]) == {
        "response_rate",
        "share_with_needs",
        "high_motivation",
        *FIGURE_KEYS,
    }
    assert set(compare["areas"]["1"]["delta_pp"]) == {
        "share_with_needs",
        "mean_rating",
        "high_motivation",
        *FIGURE_KEYS,
    }
    assert "delta_pp" in compare["competences"]["1.1"]
    [department] = report["by_department"]
    assert department["organisation"] == "Kulturförvaltningen"
    assert department["department"] == "Stadsbiblioteket"
    assert {"areas", "competences", "respondents", "suppressed"} <= set(department)
    assert report["by_job_role"][0]["job_role"] == "Bibliotekarie"
    json.dumps(report)  # JSON-ready as it is


def test_figures_follow_the_definitions(session) -> None:
    where = org(session)
    round_ = round_for(session, where)
    # Five librarians: 1.1 self 2 (need, expected 3) for three of them, agreed up to 3 for
    # one of those (no need); the other two rate 1.1 = 4. Everybody rates 1.2 = 3 (motivation 4).
    people = [person(session, where, "Stadsbiblioteket") for _ in range(5)]
    answer(session, people[0], round_, {"1.1": (2, 4), "1.2": (3, 4)})
    answer(session, people[1], round_, {"1.1": (2, 4), "1.2": (3, 4)})
    answer(session, people[2], round_, {"1.1": (2, 4, 3), "1.2": (3, 4)})
    answer(session, people[3], round_, {"1.1": (4, 2), "1.2": (3, 2)})
    answer(session, people[4], round_, {"1.1": (4, 2), "1.2": (3, 2)})
    # A sixth librarian was targeted and did not answer; a seventh only has a draft.
    person(session, where, "Stadsbiblioteket")
    drafter = person(session, where, "Stadsbiblioteket")
    answer(session, drafter, round_, {"1.1": (1, 1)}, status=AssessmentStatus.DRAFT)
    report = build_assessment_report(session, round_, min_group_size=5)
    assert report["respondents"] == 5
    # Needs: people 0 and 1 → 2/5.
    assert report["share_with_needs"] == pytest.approx(2 / 5)
    assert report["areas"]["1"]["mean_rating"] == pytest.approx((2 + 2 + 3 + 4 + 4 + 3 * 5) / 10)
    # Motivation means 4, 4, 4, 2, 2 → 3/5 are ≥ 4.
    assert report["high_motivation"] == pytest.approx(3 / 5)
    # 1.1, 1.2, 4.2 each apply to 7 librarians: 5/7, 5/7, 0/7 → (10/7) / 3.
    assert report["response_rate"] == pytest.approx(10 / 21)


def test_department_and_role_come_from_the_assessment_snapshot(session) -> None:
    where = org(session)
    round_ = round_for(session, where)
    people = crowd(session, where, round_, {"Stadsbiblioteket": 5})
    # After answering, one person moves to the museum as a manager: the round keeps them as a
    # librarian of the library (expected 4.2 = 3, not the manager's 4).
    people[0].department = where.departments["Stadsmuseet"]
    people[0].job_role = where.roles["Chef"]
    session.flush()
    report = build_assessment_report(session, round_, min_group_size=5)
    assert [d["department"] for d in report["by_department"]] == ["Stadsbiblioteket"]
    assert [r["job_role"] for r in report["by_job_role"]] == ["Bibliotekarie"]
    assert report["competences"]["4.2"]["share_with_needs"] == 0  # 4 ≥ 3 for everyone


def test_people_who_left_the_target_or_are_inactive(session) -> None:
    where = org(session)
    round_ = round_for(session, where)
    crowd(session, where, round_, {"Stadsbiblioteket": 5})
    gone = person(session, where, "Stadsbiblioteket")
    gone.is_active = False  # no longer in the population
    session.flush()
    report = build_assessment_report(session, round_, min_group_size=5)
    # The five active librarians rated 1.1, 1.2 and 4.2: 5/5 each; the inactive one is not
    # among those the round concerns (else 5/6).
    assert report["response_rate"] == 1
    assert report["respondents"] == 5


def test_compare_gives_differences_in_percentage_points(session) -> None:
    where = org(session)
    autumn = round_for(session, where)
    spring = round_for(session, where, "Skattning våren 2026")
    need, fine = {"1.1": (2, 4)}, {"1.1": (3, 4)}
    people = [person(session, where, "Stadsbiblioteket") for _ in range(10)]
    for n, who in enumerate(people):
        answer(session, who, spring, need if n < 4 else fine)  # 4/10 with a need
        answer(session, who, autumn, need if n < 3 else fine)  # 3/10
    report = build_assessment_report(session, autumn, spring, min_group_size=5)
    assert report["share_with_needs"] == pytest.approx(0.3)
    assert report["compare"]["share_with_needs"] == pytest.approx(0.4)
    assert report["compare"]["delta_pp"]["share_with_needs"] == pytest.approx(-10)
    # Mean rating 1.1: autumn (3·2 + 7·3)/10 = 2.7, spring (4·2 + 6·3)/10 = 2.6 → +0.1.
    assert report["compare"]["areas"]["1"]["delta_pp"]["mean_rating"] == pytest.approx(0.1)


def test_a_delta_is_hidden_when_the_compared_figure_is(session) -> None:
    where = org(session)
    autumn = round_for(session, where)
    spring = round_for(session, where, "Skattning våren 2026")
    crowd(session, where, autumn, {"Stadsbiblioteket": 6})
    crowd(session, where, spring, {"Stadsbiblioteket": 3})  # too few
    report = build_assessment_report(session, autumn, spring, min_group_size=5)
    assert report["share_with_needs"] is not None
    assert report["compare"]["share_with_needs"] is None and report["compare"]["suppressed"]
    deltas = report["compare"]["delta_pp"]
    assert deltas["share_with_needs"] is None and deltas["suppressed"]


def test_small_departments_are_suppressed_with_their_complement(session) -> None:
    where = org(session, ("Stadsbiblioteket", "Stadsmuseet", "Kulturhuset"))
    round_ = round_for(session, where)
    crowd(session, where, round_, {"Stadsbiblioteket": 12, "Stadsmuseet": 2, "Kulturhuset": 6})
    report = build_assessment_report(session, round_, min_group_size=5)
    by_name = {d["department"]: d for d in report["by_department"]}
    assert by_name["Stadsmuseet"]["share_with_needs"] is None
    assert by_name["Stadsmuseet"]["suppressed"]
    assert by_name["Kulturhuset"]["respondents"] is None  # 6, hidden with the museum's 2
    assert by_name["Stadsbiblioteket"]["respondents"] == 12
    assert report["respondents"] == 20


def test_csv_rows_hold_every_figure_and_nothing_personal(session) -> None:
    where = org(session)
    autumn = round_for(session, where)
    spring = round_for(session, where, "Skattning våren 2026")
    crowd(session, where, autumn, {"Stadsbiblioteket": 6, "Stadsmuseet": 2})
    crowd(session, where, spring, {"Stadsbiblioteket": 6})
    report = build_assessment_report(session, autumn, spring, min_group_size=5)
    rows = list(report_rows(report))
    assert all(list(row) == list(CSV_COLUMNS) for row in rows)
    headline = {r["figure"]: r for r in rows if r["scope"] == "round" and not r["area"]}
    assert headline["share_with_needs"]["value"] == repr(report["share_with_needs"])
    assert headline["share_with_needs"]["delta_pp"] == repr(
        report["compare"]["delta_pp"]["share_with_needs"]
    )
    competence = next(r for r in rows if r["competence"] == "4.2" and r["scope"] == "round")
    assert competence["area"] == "4"
    museum = [r for r in rows if r["group"] == "Stadsmuseet"]
    assert museum and all(r["suppressed"] == "true" and r["value"] == "" for r in museum)
    text = json.dumps(rows, ensure_ascii=False) + json.dumps(report, ensure_ascii=False)
    assert SECRET_COMMENT not in text
    assert not any(p.name in text or p.email in text for p in where.people)


def test_round_summaries_match_the_report(session) -> None:
    where = org(session)
    autumn = round_for(session, where)
    small = round_for(session, where, "Skattning våren 2026")
    crowd(session, where, autumn, {"Stadsbiblioteket": 6})
    person(session, where, "Stadsmuseet", "Chef")  # targeted, no answer
    crowd(session, where, small, {"Stadsmuseet": 2})
    summaries = {s.round.name: s for s in list_round_summaries(session, 5)}
    report = build_assessment_report(session, autumn, min_group_size=5)
    assert summaries[autumn.name].respondents.value == report["respondents"] == 6
    assert summaries[autumn.name].response_rate.value == pytest.approx(report["response_rate"])
    assert summaries[small.name].respondents.suppressed
    assert summaries[small.name].response_rate.suppressed


def test_report_takes_the_same_number_of_queries_for_5_and_50_people(
    session, count_queries
) -> None:
    counts = []
    for size, suffix in ((5, "A"), (50, "B")):
        where = org(session, (f"Avdelning {suffix}1", f"Avdelning {suffix}2"))
        round_ = round_for(session, where, f"Omgång {suffix}")
        other = round_for(session, where, f"Jämförelse {suffix}")
        crowd(session, where, round_, {f"Avdelning {suffix}1": size, f"Avdelning {suffix}2": 3})
        crowd(session, where, other, {f"Avdelning {suffix}1": size})
        with count_queries() as counter:
            build_assessment_report(session, round_, other, min_group_size=5)
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 6, counts  # ratings, people, expectations: per round


def test_a_round_nobody_answered(session) -> None:
    where = org(session)
    round_ = round_for(session, where)
    person(session, where, "Stadsbiblioteket")
    report = build_assessment_report(session, round_, min_group_size=5)
    assert report["respondents"] == 0 and report["areas"] == {} and report["competences"] == {}
    assert report["share_with_needs"] is None
