"""The reasons behind a recommendation, as data (`lms.recommend.explain` words them).

Pure: plain data in and out. Reasons come in the order of their weight in the score.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC

from lms.recommend.data import Candidate, CompetenceLabel, Profile, Reason
from lms.recommend.scoring import Signals, fit

HIGH_MOTIVATION = 4
SHORT_MINUTES = 15
MAX_REASONS = 4


def reasons_for(
    candidate: Candidate,
    profile: Profile,
    labels: Mapping[int, CompetenceLabel],
    signals: Signals,
    primary: int | None,
) -> tuple[Reason, ...]:
    """The candidate's strongest MAX_REASONS reasons."""
    return tuple(_reasons(candidate, profile, labels, signals, primary)[:MAX_REASONS])


def _label(labels: Mapping[int, CompetenceLabel], competence_id: int) -> dict[str, str | int]:
    label = labels.get(competence_id) or CompetenceLabel(str(competence_id), "")
    return {"competence_code": label.code, "competence_name": label.name}


def _reasons(
    candidate: Candidate,
    profile: Profile,
    labels: Mapping[int, CompetenceLabel],
    signals: Signals,
    primary: int | None,
) -> list[Reason]:
    """The candidate's reasons in the order of their weight in the score."""
    needed = _needed(candidate, signals)[:2]
    reasons = _plan_reasons(candidate, labels, signals)
    reasons += _need_reasons(needed, profile, labels, signals)
    motivation = profile.motivation.get(needed[0], 0) if needed else 0
    if motivation >= HIGH_MOTIVATION:
        reasons.append(
            Reason("motivation", {**_label(labels, needed[0]), "motivation": motivation})
        )
    if candidate.activity_id in signals.theme and profile.theme is not None:
        reasons.append(Reason("theme", {"theme": profile.theme.title}))
    if candidate.activity_id in signals.popular:
        count = profile.popular_in_role[candidate.activity_id]
        reasons.append(
            Reason("popular_in_role", {"role": profile.job_role_name or "", "count": count})
        )
    reasons += _detail_reasons(candidate, signals, primary)
    return reasons


def _plan_reasons(
    candidate: Candidate, labels: Mapping[int, CompetenceLabel], signals: Signals
) -> list[Reason]:
    goal = signals.chosen.get(candidate.activity_id)
    if goal is None:
        goal = next(
            (
                signals.goals[c]
                for c in sorted(candidate.competences)
                if c in signals.goals and fit(candidate, signals, c) > 0
            ),
            None,
        )
    return [] if goal is None else [Reason("plan_goal", _label(labels, goal.competence_id))]


def _needed(candidate: Candidate, signals: Signals) -> list[int]:
    """The competences with a need that the activity meets, biggest credit first."""
    parts = sorted(
        (-weight * signals.needs[c] * fit(candidate, signals, c), c)
        for c, weight in candidate.competences.items()
        if c in signals.needs and fit(candidate, signals, c) > 0
    )
    return [c for _, c in parts]


def _need_reasons(
    needed: list[int], profile: Profile, labels: Mapping[int, CompetenceLabel], signals: Signals
) -> list[Reason]:
    """A gap (or, in the cold start, an expected level) per needed competence."""
    role = profile.job_role_name or ""
    reasons = []
    for c in needed:
        expected = profile.expected[c]
        if signals.cold:
            reasons.append(
                Reason("expected", {**_label(labels, c), "expected": expected, "role": role})
            )
        else:
            params = {
                **_label(labels, c),
                "assessed": profile.assessed[c],
                "expected": expected,
                "role": role,
                "agreed": int(c in profile.agreed),
            }
            reasons.append(Reason("gap", params))
    return reasons


def _detail_reasons(candidate: Candidate, signals: Signals, primary: int | None) -> list[Reason]:
    reasons = []
    if (
        primary is not None
        and primary in candidate.competences
        and fit(candidate, signals, primary) == 1.0
    ):
        reasons.append(Reason("level_fit", {"level": candidate.level}))
    if candidate.is_scheduled and candidate.next_open_session is not None:
        starts_at = candidate.next_open_session
        starts_at = starts_at.replace(tzinfo=UTC) if starts_at.tzinfo is None else starts_at
        reasons.append(Reason("next_session", {"starts_at": starts_at.astimezone(UTC).isoformat()}))
    if 0 < candidate.minutes <= SHORT_MINUTES:
        reasons.append(Reason("short", {"minutes": candidate.minutes}))
    return reasons
