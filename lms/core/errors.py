"""Domain errors raised by services; views and the API turn them into messages."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the product refused an action; the message is shown to the user."""

    status_code = 400

    def __init__(self, message: object, *, field: str | None = None) -> None:
        # `message` may be a lazy translation; it is rendered in the reader's language.
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class ValidationError(DomainError):
    """Input that breaks a rule (shown next to the field when one is named)."""


class NotFound(DomainError):
    """The object does not exist or the acting user may not know that it does."""

    status_code = 404


class PermissionDenied(DomainError):
    """The acting user may not do this to this object."""

    status_code = 403


class Conflict(DomainError):
    """The action conflicts with the current state (already done, full, locked)."""

    status_code = 409
