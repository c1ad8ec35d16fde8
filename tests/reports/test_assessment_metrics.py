"""DESIGN §4 assessment figures against small cases computed by hand (no suppression here:
min_group_size=1, so every figure is shown)."""

from __future__ import annotations

import pytest

from lms.reports.assessment_metrics import Person, RatingRow, compute_round, response_rate

LIB = ("Kulturförvaltningen", "Stadsbiblioteket")
MUS = ("Kulturförvaltningen", "Stadsmuseet")
BIBLIOTEKARIE = frozenset({"1.1", "1.2", "4.2"})
CHEF = frozenset({"1.1", "1.2", "4.2", "6.1"})


def rating(user, code, self_level, motivation, expected, agreed=None):
    return RatingRow(user, code, code.split(".")[0], self_level, agreed, motivation, expected)


def person(user, dept=LIB, role="Bibliotekarie", applicable=BIBLIOTEKARIE):
    return Person(user, dept, role, applicable)


def value(figures, level, code, name):
    cell = figures[(level, code, name)]
    assert not cell.suppressed
    return cell.value


def test_agreed_level_takes_precedence_over_self_level() -> None:
    # Expected 3 in 1.1 for both.
    # Person 1: self 2, agreed 3 → assessed 3 → need 3 − 3 = 0 (self alone would be a need).
    # Person 2: self 4, agreed 2 → assessed 2 → need 3 − 2 = 1 (self alone would be none).
    # Person 3: self 2, no agreed → assessed 2 → need 1.
    ratings = [
        rating(1, "1.1", 2, 3, 3, agreed=3),
        rating(2, "1.1", 4, 3, 3, agreed=2),
        rating(3, "1.1", 2, 3, 3),
    ]
    result = compute_round(ratings, [person(1), person(2), person(3)], 1)
    # Share with needs (1.1) = {2, 3} ÷ {1, 2, 3} = 2/3; mean = (3 + 2 + 2) / 3 = 7/3.
    assert value(result.overall, "competence", "1.1", "share_with_needs") == pytest.approx(2 / 3)
    assert value(result.overall, "competence", "1.1", "mean_rating") == pytest.approx(7 / 3)
    assert value(result.overall, "area", "1", "mean_rating") == pytest.approx(7 / 3)


def test_a_competence_without_an_expected_level_has_no_need() -> None:
    # Person 1 (Bibliotekarie) rated 6.1 level 1, which does not apply to the role (expected
    # None): no need, although 1 is low. Person 2 (Chef, expected 6.1 = 4) rated it 2: need 2.
    ratings = [rating(1, "6.1", 1, 3, None), rating(2, "6.1", 2, 3, 4)]
    people = [person(1), person(2, role="Chef", applicable=CHEF)]
    result = compute_round(ratings, people, 1)
    # Share with needs (area 6) = {2} ÷ {1, 2} = 1/2.
    assert value(result.overall, "area", "6", "share_with_needs") == 0.5
    assert value(result.overall, "round", "", "share_with_needs") == 0.5


def test_share_with_needs_per_area_and_overall() -> None:
    # Expected 3 everywhere.
    # Person 1: 1.1 = 2 (need), 4.2 = 3          → need in area 1 only.
    # Person 2: 1.1 = 3, 1.2 = 4, 4.2 = 1 (need) → need in area 4 only.
    # Person 3: 1.2 = 5                          → no need, no rating in area 4.
    # Person 4: no ratings (targeted, did not answer).
    ratings = [
        rating(1, "1.1", 2, 3, 3),
        rating(1, "4.2", 3, 3, 3),
        rating(2, "1.1", 3, 3, 3),
        rating(2, "1.2", 4, 3, 3),
        rating(2, "4.2", 1, 3, 3),
        rating(3, "1.2", 5, 3, 3),
    ]
    result = compute_round(ratings, [person(n) for n in (1, 2, 3, 4)], 1)
    # Area 1: users with a need {1} ÷ users with a rating {1, 2, 3} = 1/3.
    assert value(result.overall, "area", "1", "share_with_needs") == pytest.approx(1 / 3)
    # Area 4: {2} ÷ {1, 2} = 1/2.
    assert value(result.overall, "area", "4", "share_with_needs") == 0.5
    # Overall: users with ≥ 1 need {1, 2} ÷ users with ≥ 1 rating {1, 2, 3} = 2/3.
    assert value(result.overall, "round", "", "share_with_needs") == pytest.approx(2 / 3)
    assert value(result.overall, "round", "", "respondents") == 3
    assert value(result.overall, "area", "4", "respondents") == 2
    # Per competence: 1.1 → {1} ÷ {1, 2} = 1/2; 1.2 → 0 ÷ 2 = 0.
    assert value(result.overall, "competence", "1.1", "share_with_needs") == 0.5
    assert value(result.overall, "competence", "1.2", "share_with_needs") == 0
    assert value(result.overall, "competence", "1.2", "respondents") == 2


def test_mean_rating_is_over_all_ratings_not_over_people() -> None:
    # Person 1 rates 1.1 = 1 and 1.2 = 5; person 2 rates 1.1 = 4.
    # Mean over ratings = (1 + 5 + 4) / 3 = 10/3 (the mean of people's means would be 3.5).
    ratings = [rating(1, "1.1", 1, 3, 3), rating(1, "1.2", 5, 3, 3), rating(2, "1.1", 4, 3, 3)]
    result = compute_round(ratings, [person(1), person(2)], 1)
    assert value(result.overall, "area", "1", "mean_rating") == pytest.approx(10 / 3)
    # Per competence: 1.1 = (1 + 4) / 2 = 2.5; 1.2 = 5.
    assert value(result.overall, "competence", "1.1", "mean_rating") == 2.5
    assert value(result.overall, "competence", "1.2", "mean_rating") == 5


def test_high_motivation_counts_a_mean_of_exactly_four() -> None:
    # Area 1: person 1 motivations 3 and 5 → mean 4 (counts); person 2: 4 and 3 → 3.5 (no);
    # person 3: 5 → 5 (counts). High motivation (area 1) = 2 ÷ 3.
    ratings = [
        rating(1, "1.1", 3, 3, 3),
        rating(1, "1.2", 3, 5, 3),
        rating(2, "1.1", 3, 4, 3),
        rating(2, "1.2", 3, 3, 3),
        rating(3, "1.1", 3, 5, 3),
    ]
    result = compute_round(ratings, [person(1), person(2), person(3)], 1)
    assert value(result.overall, "area", "1", "high_motivation") == pytest.approx(2 / 3)
    assert value(result.overall, "round", "", "high_motivation") == pytest.approx(2 / 3)


def test_overall_high_motivation_is_the_mean_over_all_ratings() -> None:
    # Person 1: area 1 motivation 5; area 4 motivations 3 and 3.
    #   Per area: area 1 mean 5 (high), area 4 mean 3 (not high).
    #   Overall: (5 + 3 + 3) / 3 = 11/3 < 4 → not high (the mean of area means, 4, would be).
    # Person 2: 4.2 motivation 4 → high in area 4 and overall.
    ratings = [
        rating(1, "1.1", 3, 5, 3),
        rating(1, "4.1", 3, 3, 3),
        rating(1, "4.2", 3, 3, 3),
        rating(2, "4.2", 3, 4, 3),
    ]
    result = compute_round(ratings, [person(1), person(2)], 1)
    assert value(result.overall, "area", "1", "high_motivation") == 1  # {1} ÷ {1}
    assert value(result.overall, "area", "4", "high_motivation") == 0.5  # {2} ÷ {1, 2}
    assert value(result.overall, "round", "", "high_motivation") == 0.5  # {2} ÷ {1, 2}


def test_response_rate_averages_the_competences_rates() -> None:
    # Four librarians (1.1, 1.2, 4.2 apply) and one manager (also 6.1).
    # 1.1: rated by 1, 2, 5       of 5 it applies to → 3/5
    # 1.2: rated by 1             of 5               → 1/5
    # 4.2: rated by 1, 2, 3, 5    of 5               → 4/5
    # 6.1: rated by 5             of 1 (the manager) → 1/1
    # Person 4 answered nothing. Response rate = (3/5 + 1/5 + 4/5 + 1) / 4 = 2.6 / 4 = 0.65.
    # (Pooled it would be 9/16 = 0.5625: the average is over competences, not ratings.)
    ratings = [
        rating(1, "1.1", 3, 3, 3),
        rating(1, "1.2", 3, 3, 3),
        rating(1, "4.2", 3, 3, 3),
        rating(2, "1.1", 3, 3, 3),
        rating(2, "4.2", 3, 3, 3),
        rating(3, "4.2", 3, 3, 3),
        rating(5, "1.1", 3, 3, 3),
        rating(5, "4.2", 3, 3, 3),
        rating(5, "6.1", 3, 3, 3),
    ]
    people = [person(n) for n in (1, 2, 3, 4)] + [person(5, role="Chef", applicable=CHEF)]
    result = compute_round(ratings, people, 1)
    assert value(result.overall, "round", "", "response_rate") == pytest.approx(0.65)
    assert value(result.overall, "round", "", "respondents") == 4


def test_response_rate_leaves_out_competences_that_apply_to_nobody() -> None:
    # A person without a job role (nothing applies) rated 5.1: it applies to nobody, so it is
    # not averaged (and their rating is not a response to anything that applies).
    # 1.1 applies to persons 1 and 2, rated by 1 → 1/2 is the only rate.
    only = frozenset({"1.1"})
    ratings = [rating(1, "1.1", 3, 3, 3), rating(3, "5.1", 3, 3, None)]
    people = [
        person(1, applicable=only),
        person(2, applicable=only),
        Person(3, LIB, None, frozenset()),
    ]
    result = compute_round(ratings, people, 1)
    assert value(result.overall, "round", "", "response_rate") == 0.5
    assert response_rate({}, {}) is None
    assert response_rate({"1.1": 2}, {"1.1": 4, "6.1": 0}) == 0.5


def test_only_ratings_with_a_level_count() -> None:
    # A rating with neither self nor agreed level is no rating: person 2 is no respondent.
    only = frozenset({"1.1"})
    ratings = [rating(1, "1.1", 2, 3, 3), rating(2, "1.1", None, None, 3)]
    result = compute_round(ratings, [person(1, applicable=only), person(2, applicable=only)], 1)
    assert value(result.overall, "round", "", "respondents") == 1
    assert value(result.overall, "round", "", "response_rate") == 0.5  # 1.1: 1 of 2


def test_breakdowns_apply_the_same_definitions_per_group() -> None:
    # Stadsbiblioteket: persons 1 (need in 1.1) and 2 (none); Stadsmuseet: person 3 (need).
    # Person 1 is a manager, 2 and 3 librarians.
    ratings = [rating(1, "1.1", 2, 5, 3), rating(2, "1.1", 3, 4, 3), rating(3, "1.1", 1, 2, 3)]
    people = [
        person(1, role="Chef", applicable=CHEF),
        person(2),
        person(3, dept=MUS),
    ]
    result = compute_round(ratings, people, 1)
    assert list(result.by_department) == [LIB, MUS]
    library, museum = result.by_department[LIB], result.by_department[MUS]
    assert value(library, "round", "", "share_with_needs") == 0.5  # {1} ÷ {1, 2}
    assert value(library, "round", "", "high_motivation") == 1  # 5 and 4 are both ≥ 4
    assert value(museum, "round", "", "share_with_needs") == 1  # {3} ÷ {3}
    assert value(museum, "area", "1", "mean_rating") == 1
    # Library response rate: 1.1 2/2, 1.2 0/2, 4.2 0/2, 6.1 0/1 → (1 + 0 + 0 + 0) / 4.
    assert value(library, "round", "", "response_rate") == 0.25
    assert list(result.by_job_role) == ["Bibliotekarie", "Chef"]
    assert value(result.by_job_role["Bibliotekarie"], "round", "", "share_with_needs") == 0.5
    assert value(result.by_job_role["Chef"], "competence", "1.1", "mean_rating") == 2


def test_people_without_department_or_role_form_their_own_last_group() -> None:
    ratings = [rating(1, "1.1", 2, 3, 3), rating(2, "1.1", 3, 3, None)]
    people = [person(1), Person(2, None, None, frozenset())]
    result = compute_round(ratings, people, 1)
    assert list(result.by_department) == [LIB, None]
    assert list(result.by_job_role) == ["Bibliotekarie", None]


def test_compare_round_can_skip_breakdowns() -> None:
    result = compute_round([rating(1, "1.1", 2, 3, 3)], [person(1)], 1, breakdowns=False)
    assert result.by_department == {} and result.by_job_role == {}
    assert result.competence_areas == {"1.1": "1"}
