"""Completing an activity chosen for a plan goal marks it done and moves the goal along.

`on_completion_recorded` receives lms.progress.signals.completion_recorded (connected in
lms/app.py): progress sits below assessment, so it signals rather than calls up.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.accounts.models import User
from lms.assessment.models import DevelopmentPlan, GoalActivity, PlanGoal
from lms.assessment.plan_rules import advance
from lms.progress.models import Completion


def on_completion_recorded(
    sender: object, *, session: Session, completion: Completion, user: User, **_: Any
) -> None:
    """Mark `completion`'s activity done on every goal of `user`'s plans that chose it.

    Two queries (the goals, their chosen activities); done and dropped goals keep their status
    but still get the activity marked. Completions of external learning (no activity) are
    ignored. Flushes; the caller commits.
    """
    activity_id = completion.activity_id
    if activity_id is None:
        return
    goals = session.scalars(
        select(PlanGoal)
        .join(DevelopmentPlan, DevelopmentPlan.id == PlanGoal.plan_id)
        .where(
            DevelopmentPlan.user_id == user.id,
            PlanGoal.id.in_(
                select(GoalActivity.goal_id).where(
                    GoalActivity.activity_id == activity_id,
                    GoalActivity.completed_at.is_(None),
                )
            ),
        )
        .options(selectinload(PlanGoal.activities))
    )
    changed = False
    for goal in goals:
        for link in goal.activities:
            if link.activity_id == activity_id and link.completed_at is None:
                link.completed_at = completion.completed_at
                changed = True
        advance(goal)
    if changed:
        session.flush()
