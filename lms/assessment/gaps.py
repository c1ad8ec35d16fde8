"""The gap arithmetic of DESIGN §4 as pure functions: assessed level and need."""

from __future__ import annotations


def assessed_level(self_level: int | None, agreed_level: int | None) -> int | None:
    """The agreed level when the manager has set one, else the self level (None if neither)."""
    return agreed_level if agreed_level is not None else self_level


def need(expected: int | None, assessed: int | None) -> int:
    """Expected level − assessed level when positive, else 0.

    A competence that does not apply (`expected` None) or is not assessed has no need.
    """
    if expected is None or assessed is None:
        return 0
    return max(expected - assessed, 0)
