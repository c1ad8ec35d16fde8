"""A real SMTP server in the test process (aiosmtpd) that records every message it accepts.

    from tests.support.smtp import smtp_server  # noqa: F401  (a pytest fixture)

    def test_something(smtp_server):
        ...  # send to 127.0.0.1:smtp_server.port
        assert smtp_server.wait_for(1)[0]["Subject"] == "Hej"

The server listens on 127.0.0.1 on a port the kernel picked and stays on that port when it is
stopped and started again (to test an outage). `refuse(address)` makes it answer 550 to
one recipient, to test how the sender treats a refused mail. With `tls=make_tls_files(dir)`
and `login=(user, password)` it requires STARTTLS and AUTH, as a production relay does;
clients trust its certificate through SSL_CERT_FILE.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


class RecordingHandler:
    """Keeps every accepted message with its envelope; refuses chosen recipients."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refused: dict[str, str] = {}
        self.logins: list[str] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        with self.lock:
            reply = self.refused.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def make_tls_files(folder: Path) -> tuple[Path, Path]:
    """A fresh self-signed certificate and key for 127.0.0.1 (openssl), valid for two days."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class RecordingSmtpServer:
    """An aiosmtpd server on 127.0.0.1 with a fixed port across stop() and start()."""

    def __init__(
        self, tls: tuple[Path, Path] | None = None, login: tuple[str, str] | None = None
    ) -> None:
        self.handler = RecordingHandler()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.controller: Controller | None = None
        self.options: dict[str, Any] = {}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            self.options.update(tls_context=context, require_starttls=True)
        if login is not None:
            self.options.update(authenticator=self._authenticate(*login), auth_required=True)

    def _authenticate(self, user: str, password: str) -> Any:
        def check(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and data == (user.encode(), password.encode())
            if ok:
                with self.handler.lock:
                    self.handler.logins.append(user)
            return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

        return check

    def start(self) -> RecordingSmtpServer:
        if self.controller is None:
            # decode_data=False keeps the raw bytes, as a real MTA would.
            controller = Controller(
                self.handler,
                hostname="127.0.0.1",
                port=self.port,
                decode_data=False,
                **self.options,
            )
            controller.start()
            self.controller = controller
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def refuse(self, address: str, reply: str = "550 5.1.1 No such user here") -> None:
        with self.handler.lock:
            self.handler.refused[address.lower()] = reply

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def logins(self) -> list[str]:
        with self.handler.lock:
            return list(self.handler.logins)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        with self.handler.lock:
            return list(self.handler.envelopes)

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """The messages once at least `count` have arrived (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} mails arrived"
            time.sleep(0.02)
        return self.messages


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[RecordingSmtpServer]:
    """A running recording SMTP server, stopped after the test."""
    server = RecordingSmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
