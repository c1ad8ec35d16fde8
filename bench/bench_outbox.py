"""Benchmark the e-mail outbox: queue 10,000 mails, then send them to a local SMTP server.

    .venv/bin/python bench/bench_outbox.py [--mails 10000] [--postgres URL]

The SMTP server is aiosmtpd on 127.0.0.1 in this process; it counts every Message-ID it
accepts. Exits non-zero unless every mail arrived exactly once and every row is sent.
The PostgreSQL database named in URL is emptied first, so its name must contain "bench".
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import backends

from lms.app import create_app
from lms.config import load_settings
from lms.core import migrate
from lms.core.db import db
from lms.core.jobs import JobContext
from lms.core.outbox import OutboxEmail, enqueue_email
from lms.core.outbox_sender import send_outbox
from lms.core.time import utcnow

MESSAGE_ID = re.compile(rb"^Message-ID: (\S+)", re.MULTILINE | re.IGNORECASE)


class CountingHandler:
    """Accepts everything and keeps only each message's Message-ID (cheap, like a relay)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        match = MESSAGE_ID.search(envelope.original_content or b"")
        with self.lock:
            self.ids.append(match.group(1) if match else b"")
        return "250 OK"


@dataclass
class Timing:
    backend: str
    mails: int
    enqueue_seconds: float
    send_seconds: float
    runs: int
    received: int
    duplicates: int
    sent_rows: int

    @property
    def per_second(self) -> float:
        return self.mails / self.send_seconds if self.send_seconds else 0.0


def _enqueue(mails: int) -> float:
    """Queue `mails` reminders with dedupe keys, committing every 1,000 (as a job would)."""
    started = time.perf_counter()
    session = db.session()
    for n in range(mails):
        enqueue_email(
            session,
            to=f"medarbetare{n}@kultur.example.se",
            subject=f"Påminnelse: Lär dig AI-prompta ({n})",
            body_text="Hej!\n\nDags för uppföljningen av kursen. Logga in på Lärlyft.\n" * 3,
            body_html="<p>Hej!</p><p>Dags för uppföljningen av kursen.</p>",
            kind="follow_up_reminder",
            dedupe_key=f"bench:{n}",
        )
        if n % 1000 == 999:
            session.commit()
    session.commit()
    return time.perf_counter() - started


def _send_all(app: Any, port: int) -> tuple[float, int]:
    """Run the job until nothing is claimed; returns the time taken and the number of runs."""
    settings = dataclasses.replace(app.config["LMS"], smtp_host="127.0.0.1", smtp_port=port)
    log = logging.getLogger("bench.outbox")
    started = time.perf_counter()
    runs = 0
    while True:
        runs += 1
        ctx = JobContext(db.session(), utcnow(), app, log, settings_override=settings)
        if send_outbox(ctx)["claimed"] == 0:
            break
    return time.perf_counter() - started, runs


def run_backend(backend: str, url: str, instance: Path, mails: int) -> Timing:
    migrate.upgrade(url)
    settings = load_settings(
        environ={}, env="test", database_url=url, instance_path=instance, secret_key="x" * 40
    )
    app = create_app(settings)
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with app.app_context():
            enqueue_seconds = _enqueue(mails)
            send_seconds, runs = _send_all(app, controller.port)
            sent = db.session.scalar(
                select(func.count()).select_from(OutboxEmail).where(OutboxEmail.status == "sent")
            )
            db.session.remove()
    finally:
        controller.stop()
    db.engine.dispose()
    per_id = Counter(handler.ids)
    return Timing(
        backend=backend,
        mails=mails,
        enqueue_seconds=enqueue_seconds,
        send_seconds=send_seconds,
        runs=runs,
        received=len(handler.ids),
        duplicates=sum(count - 1 for count in per_id.values() if count > 1),
        sent_rows=int(sent or 0),
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def print_table(timings: list[Timing]) -> None:
    print(f"{'backend':<11} {'mails':>6} {'enqueue':>9} {'send':>9} {'mails/s':>8} "
          f"{'runs':>5} {'received':>9} {'duplicates':>10}")  # fmt: skip
    for t in timings:
        print(f"{t.backend:<11} {t.mails:>6} {t.enqueue_seconds:>7.2f} s {t.send_seconds:>7.2f} s "
              f"{t.per_second:>8.0f} {t.runs:>5} {t.received:>9} {t.duplicates:>10}")  # fmt: skip


def failures(timings: list[Timing]) -> list[str]:
    problems = []
    for t in timings:
        if t.received != t.mails or t.duplicates or t.sent_rows != t.mails:
            problems.append(
                f"{t.backend}: {t.mails} queued, {t.received} received, "
                f"{t.duplicates} duplicates, {t.sent_rows} rows sent"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mails", type=int, default=10_000, help="mails to queue and send")
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL database")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        timings = [
            run_backend(backend, url, own, args.mails)
            for backend, url, own in backends(folder, args.postgres)
        ]
    print_table(timings)
    problems = failures(timings)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
