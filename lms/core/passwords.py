"""Password hashing with argon2id (OWASP parameters) and rehash on login."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lms.core.i18n import _l

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")

MIN_LENGTH = 10
MAX_LENGTH = 256


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; costs the same time when there is no hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker or other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_problem(password: str) -> object | None:
    """Why the password is not acceptable (a lazy message), or None (NIST 800-63B style)."""
    if len(password) < MIN_LENGTH:
        return _l("The password must be at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("The password must be at most %(n)d characters.", n=MAX_LENGTH)
    if len(set(password)) < 4:
        return _l("The password needs more different characters.")
    return None
