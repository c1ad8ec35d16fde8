"""Declarative view access: every endpoint states who may use it, or nobody may.

Views are decorated with ``@public``, ``@authenticated`` or ``@requires(...)``.
``enforce_access`` runs before every request: an endpoint without a declaration
is refused (deny by default), so a forgotten decorator is a 403, never a leak.
Object-level checks ("is this *your* report?") stay in the services.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


class Permission(enum.IntFlag):
    """Permissions a user can hold on top of being an employee (stored as bits)."""

    NONE = 0
    MANAGER = 1
    COURSE_OWNER = 2
    COORDINATOR = 4
    ADMIN = 8
    # May read the funder's per-person hours listing (names and hours, never assessments).
    REPORTING = 16

    @classmethod
    def from_name(cls, name: str) -> Permission:
        """The permission called `name` (e.g. "course_owner"); KeyError for anything else."""
        permission = cls[name.strip().upper()]
        if not permission:
            raise KeyError(name)
        return permission

    @property
    def key(self) -> str:
        return (self.name or "").lower()


ALL_PERMISSIONS: tuple[Permission, ...] = tuple(p for p in Permission if p)


@dataclass(frozen=True)
class AccessRule:
    """Who may use a view: anyone, any signed-in user, or holders of any of `any_of`."""

    login: bool
    any_of: Permission = Permission.NONE

    def describe(self) -> str:
        if not self.login:
            return "public"
        if not self.any_of:
            return "authenticated"
        return "requires " + "|".join(p.key for p in Permission if p in self.any_of)


PUBLIC = AccessRule(login=False)
AUTHENTICATED = AccessRule(login=True)
ACCESS_ATTR = "_lms_access"


def _mark(rule: AccessRule) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        setattr(view, ACCESS_ATTR, rule)
        return view

    return decorator


def public(view: F) -> F:
    """Anyone, signed in or not, may use this view."""
    return _mark(PUBLIC)(view)


def authenticated(view: F) -> F:
    """Any signed-in, active user may use this view."""
    return _mark(AUTHENTICATED)(view)


def requires(*permissions: Permission) -> Callable[[F], F]:
    """Signed-in users holding at least one of `permissions` may use this view."""
    combined = Permission.NONE
    for permission in permissions:
        combined |= permission
    return _mark(AccessRule(login=True, any_of=combined))


def access_rule_for(endpoint: str | None) -> AccessRule | None:
    """The declared rule of an endpoint, or None when it declares nothing."""
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTR, None) if view is not None else None


def enforce_access() -> Any:
    """before_request hook: refuse what the endpoint's rule does not allow."""
    if request.endpoint is None:
        return None  # 404/405 are answered by Flask itself
    rule = access_rule_for(request.endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
    if not rule.login:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    if rule.any_of and not (Permission(current_user.permissions) & rule.any_of):
        abort(403)  # logged as `access.denied` by the 403 handler (lms.core.events)
    return None
