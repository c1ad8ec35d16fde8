"""`lms user create` and `lms user set-password` (passwords from stdin only)."""

from __future__ import annotations

from lms.accounts.queries import get_user_by_email
from lms.core.passwords import verify_password


def test_create_first_admin_with_password_from_stdin(app, session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "lms",
            "user",
            "create",
            "chef@kultur.example.se",
            "--name",
            "Första Admin",
            "--permissions",
            "admin;coordinator",
            "--password-stdin",
        ],
        input="a-long-admin-passphrase\n",
    )
    assert result.exit_code == 0, result.output
    user = get_user_by_email(session, "chef@kultur.example.se")
    assert user is not None and user.permission_keys == ["coordinator", "admin"]
    assert verify_password(user.password_hash, "a-long-admin-passphrase")


def test_create_refuses_unknown_permission_and_duplicate(app, session) -> None:
    runner = app.test_cli_runner()
    bad = runner.invoke(
        args=[
            "lms",
            "user",
            "create",
            "x@kultur.example.se",
            "--name",
            "X",
            "--permissions",
            "superuser",
        ]
    )
    assert bad.exit_code != 0 and "superuser" in bad.output
    runner.invoke(args=["lms", "user", "create", "y@kultur.example.se", "--name", "Y"])
    again = runner.invoke(args=["lms", "user", "create", "Y@kultur.example.se", "--name", "Y"])
    assert again.exit_code != 0 and "y@kultur.example.se" in again.output


def test_set_password_reads_stdin_and_rejects_weak(app, session) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["lms", "user", "create", "z@kultur.example.se", "--name", "Z"])
    weak = runner.invoke(
        args=["lms", "user", "set-password", "z@kultur.example.se", "--password-stdin"],
        input="short\n",
    )
    assert weak.exit_code != 0
    ok = runner.invoke(
        args=["lms", "user", "set-password", "z@kultur.example.se", "--password-stdin"],
        input="a-better-passphrase\n",
    )
    assert ok.exit_code == 0
    user = get_user_by_email(session, "z@kultur.example.se")
    assert user is not None and verify_password(user.password_hash, "a-better-passphrase")
