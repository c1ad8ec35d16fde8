"""Passwords: argon2id with at least OWASP's parameters; older hashes upgraded at login.

Also in tests/accounts/test_auth.py: `test_hashes_are_argon2id`,
`test_old_hash_parameters_are_upgraded_at_login` (argon2id t=1, m=8 MiB).
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from flask import Flask
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.core.passwords import hash_password, needs_rehash, verify_password
from tests import factories

pytestmark = [pytest.mark.sqlite_only, pytest.mark.usefixtures("csrf_off")]

# OWASP Password Storage Cheat Sheet, argon2id minimum: 19 MiB, 2 iterations, 1 lane.
OWASP_MEMORY_KIB, OWASP_TIME, OWASP_LANES = 19 * 1024, 2, 1


def assert_owasp_argon2id(encoded: str) -> None:
    assert encoded.startswith("$argon2id$v=19$"), encoded
    params = extract_parameters(encoded)
    assert params.type is Type.ID
    assert params.memory_cost >= OWASP_MEMORY_KIB
    assert params.time_cost >= OWASP_TIME
    assert params.parallelism >= OWASP_LANES
    assert params.salt_len >= 16 and params.hash_len >= 32


def test_new_hashes_are_argon2id_with_owasp_parameters() -> None:
    encoded = hash_password("correct-horse-battery")
    assert_owasp_argon2id(encoded)
    assert encoded.split("$")[3] == "m=19456,t=2,p=1"
    assert hash_password("correct-horse-battery") != encoded  # a fresh salt each time
    assert verify_password(encoded, "correct-horse-battery")
    assert not verify_password(encoded, "correct-horse-batterz")
    assert not needs_rehash(encoded)


OLD_HASHERS = {
    "argon2id t=1 m=8MiB": PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1),
    "argon2id m=4MiB p=2": PasswordHasher(time_cost=2, memory_cost=4096, parallelism=2),
    "argon2i same cost": PasswordHasher(
        time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.I
    ),
    "argon2d": PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.D),
    "argon2id short hash": PasswordHasher(
        time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=16
    ),
}


@pytest.mark.parametrize("kind", list(OLD_HASHERS))
def test_older_hashes_are_upgraded_at_the_next_login(
    app: Flask, session: Session, auth, kind: str
) -> None:
    person = factories.user(session)
    old = OLD_HASHERS[kind].hash(factories.PASSWORD)
    person.password_hash = old
    session.commit()
    assert needs_rehash(old)
    # A wrong password neither signs in nor touches the stored hash.
    assert auth.login(person.email, password="not-the-password").status_code == 200
    session.refresh(person)
    assert person.password_hash == old
    assert auth.login(person.email).status_code == 302
    session.refresh(person)
    assert person.password_hash != old
    assert_owasp_argon2id(person.password_hash or "")
    assert verify_password(person.password_hash, factories.PASSWORD)


@pytest.mark.parametrize(
    "stored", ["$2b$12$abcdefghijklmnopqrstuuvZ3qxTtpTE3f5VxoTbYQ3jJN1Ul6aUe", "plain", ""]
)
def test_a_foreign_or_broken_hash_never_signs_in(session: Session, auth, stored: str) -> None:
    person = factories.user(session)
    person.password_hash = stored or None
    session.commit()
    response = auth.login(person.email, password=stored or factories.PASSWORD)
    assert response.status_code == 200 and b"login-error" in response.data
    assert session.get(User, person.id) is not None
