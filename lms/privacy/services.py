"""Pseudonymisation of a departed person (GDPR Art. 17 with the funder's retention need).

The person's row keeps its id, organisation, department, job role and gender category, and
every completion keeps its minutes, date and department at completion, so ESF totals stay
byte-identical. Their name and e-mail are replaced, texts written by or about them cleared,
secrets and caches deleted, login made impossible, and every text column of every other
table swept for their old name, e-mail and e-mail local part (`sweep.py`).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lms.accounts.models import PSEUDONYM_DOMAIN, PSEUDONYM_PREFIX, AuthToken, User
from lms.assessment.models import Assessment, DevelopmentPlan, LearningRequest, PlanGoal, Rating
from lms.core.access import Permission
from lms.core.audit import record_event
from lms.core.errors import ValidationError
from lms.core.i18n import _l
from lms.home.models import AccessibilityReport
from lms.notify.models import Notification
from lms.privacy.export import build_personal_export
from lms.privacy.sweep import Identity, sweep_identity
from lms.progress.models import CalendarFeed, Completion, ExternalLearning, Feedback
from lms.recommend.models import Recommendation, RecommendationState
from lms.transfer.models import TaskResponse


class StillActive(ValidationError):
    """Only a deactivated (departed) person can be pseudonymised."""


@dataclass
class PseudonymResult:
    """What pseudonymisation changed (counts only; no names)."""

    already_done: bool = False
    cleared: dict[str, int] = field(default_factory=dict)
    swept: dict[str, int] = field(default_factory=dict)


def _new_identity() -> tuple[str, str]:
    token = secrets.token_hex(8)
    return f"Pseudonym {token}", f"{PSEUDONYM_PREFIX}{token}@{PSEUDONYM_DOMAIN}"


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _clear_texts(session: Session, user_id: int) -> dict[str, int]:
    """Texts written by the person or about them: emptied (the rows and their figures stay)."""
    assessments = select(Assessment.id).where(Assessment.user_id == user_id)
    completions = select(Completion.id).where(Completion.user_id == user_id)
    plans = select(DevelopmentPlan.id).where(DevelopmentPlan.user_id == user_id)
    changes: dict[str, Any] = {
        "ratings": update(Rating).where(Rating.assessment_id.in_(assessments)).values(comment=""),
        "assessments": update(Assessment)
        .where(Assessment.user_id == user_id)
        .values(conversation_notes="", follow_up_notes=""),
        "plan_goals": update(PlanGoal).where(PlanGoal.plan_id.in_(plans)).values(note=""),
        "learning_requests": update(LearningRequest)
        .where(LearningRequest.user_id == user_id)
        .values(text=""),
        "external_learning": update(ExternalLearning)
        .where(ExternalLearning.user_id == user_id)
        .values(description="", decision_comment=""),
        "task_responses": update(TaskResponse)
        .where(TaskResponse.user_id == user_id)
        .values(text="", manager_note=""),
        "feedback": update(Feedback)
        .where(Feedback.completion_id.in_(completions))
        .values(comment=""),
        "accessibility_reports": update(AccessibilityReport)
        .where(AccessibilityReport.user_id == user_id)
        .values(contact_email=None),
    }
    return {
        name: _count(session.execute(stmt.execution_options(synchronize_session=False)))
        for name, stmt in changes.items()
    }


def _delete_secrets_and_caches(session: Session, user_id: int) -> dict[str, int]:
    """One-time tokens, the feed token, their notifications and the recommendation cache."""
    models: dict[str, Any] = {
        "auth_tokens": AuthToken,
        "calendar_feeds": CalendarFeed,
        "notifications": Notification,
        "recommendations": Recommendation,
        "recommendation_states": RecommendationState,
    }
    return {
        name: _count(
            session.execute(
                delete(model)
                .where(model.user_id == user_id)
                .execution_options(synchronize_session=False)
            )
        )
        for name, model in models.items()
    }


def _lock_out(user: User, name: str, email: str) -> None:
    user.name = name
    user.email = email
    user.password_hash = None  # no password: nothing to sign in with
    user.is_active = False
    user.session_version += 1  # every old cookie refused
    user.is_protected_identity = False  # nothing left to protect; no flag to infer from
    user.permissions = int(Permission.NONE)
    user.manager_id = None
    user.language = None
    user.last_login_at = None


def export_personal_data(session: Session, user: User) -> str:
    """The person's own data as a JSON document (GDPR Art. 15/20); the download is audited."""
    data = build_personal_export(session, user)
    record_event(
        session, actor_id=user.id, action="user.export", object_type="user", object_id=user.id
    )
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def pseudonymise_person(session: Session, actor: User | None, user: User) -> PseudonymResult:
    """Replace a departed person's identity with a pseudonym, keeping the anonymous hours and
    counts funders' reports need; idempotent; audited (the event names no one). `actor` is
    None from the command line."""
    if user.is_pseudonymised:
        return PseudonymResult(already_done=True)
    if user.is_active:
        raise StillActive(_l("Deactivate the account before pseudonymising it."))
    old = Identity(name=user.name, email=user.email)
    name, email = _new_identity()
    cleared = _clear_texts(session, user.id)
    cleared.update(_delete_secrets_and_caches(session, user.id))
    _lock_out(user, name, email)
    session.flush()
    swept = sweep_identity(session, old, Identity(name=name, email=email))
    record_event(
        session,
        actor_id=actor.id if actor is not None else None,
        action="user.pseudonymise",
        object_type="user",
        object_id=user.id,
        cleared={k: v for k, v in cleared.items() if v},
        swept=swept,
    )
    return PseudonymResult(cleared=cleared, swept=swept)
