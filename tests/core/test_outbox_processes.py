"""Two real `lms scheduler` processes send a busy outbox for 60 s: every mail exactly once.

The acceptance test of the outbox: PostgreSQL, `send_outbox` every 2 s in two scheduler
processes, ten mails queued every second throughout from a third connection, a real SMTP
server (aiosmtpd) in this process counting what arrives. After SIGTERM, one last
`lms jobs run send_outbox` drains what was queued at the very end.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.config import REPO_ROOT
from lms.core import migrate
from lms.core.db import make_engine
from lms.core.outbox import MailStatus, OutboxEmail, enqueue_email
from tests.conftest import IN_CI, PG_URL, reset_postgres, sibling_database
from tests.support.jobs import run_schedulers, scheduler_env
from tests.support.smtp import RecordingSmtpServer

SECONDS = 60.0
INTERVAL = 2
MAILS_PER_SECOND = 10
DOMAIN = "larlyft.example"  # of the default LMS_SMTP_FROM

pytestmark = pytest.mark.skipif(
    not PG_URL and not IN_CI, reason="needs PostgreSQL (LMS_TEST_POSTGRES_URL)"
)


class Enqueuer(threading.Thread):
    """Queues MAILS_PER_SECOND mails every second (one commit per second) until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.queued = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        engine = make_engine(self.url)
        try:
            tick = time.monotonic()
            while not self.stop.is_set():
                with Session(engine) as session:
                    for _ in range(MAILS_PER_SECOND):
                        n = self.queued = self.queued + 1
                        enqueue_email(
                            session,
                            to=f"medarbetare{n}@kultur.example.se",
                            subject=f"Påminnelse {n}: Lär dig AI-prompta",
                            body_text=f"Hej! Det här är påminnelse nummer {n}.",
                            kind="follow_up_reminder",
                            dedupe_key=f"procs:{n}",
                        )
                    session.commit()
                tick += 1.0
                self.stop.wait(max(0.0, tick - time.monotonic()))
        except BaseException as error:  # reported in the test's thread
            self.error = error
        finally:
            engine.dispose()


def _rows(url: str) -> list[tuple[int, int, str]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(OutboxEmail.id, OutboxEmail.created_at, OutboxEmail.status)
            ).all()
            return [(row.id, int(row.created_at.timestamp()), row.status) for row in rows]
    finally:
        engine.dispose()


def _drain(url: str, instance: Path, port: int) -> str:
    env = scheduler_env(url, instance, LMS_SMTP_HOST="127.0.0.1", LMS_SMTP_PORT=str(port))
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "jobs", "run", "send_outbox"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _sent_per_process(logs: list[str]) -> list[int]:
    """What each scheduler process reports it sent (its `job end … sent=N` lines)."""
    totals = []
    for log in logs:
        lines = [line for line in log.splitlines() if "job end job=send_outbox" in line]
        totals.append(sum(int(line.split(" sent=")[1].split()[0]) for line in lines))
    return totals


@pytest.mark.postgres_only
@pytest.mark.parametrize("backend", ["postgres"])
def test_two_schedulers_send_every_queued_mail_exactly_once(backend: str, tmp_path: Path) -> None:
    url = sibling_database("outbox_procs")
    reset_postgres(url)
    migrate.upgrade(url)
    server = RecordingSmtpServer().start()
    enqueuer = Enqueuer(url)
    try:
        enqueuer.start()
        report = run_schedulers(
            url,
            tmp_path,
            seconds=SECONDS,
            intervals=f"send_outbox={INTERVAL}s",
            only=("send_outbox",),
            extra_jobs="",
            env={"LMS_SMTP_HOST": "127.0.0.1", "LMS_SMTP_PORT": str(server.port)},
        )
        enqueuer.stop.set()
        enqueuer.join(timeout=30)
        assert enqueuer.error is None
        before_drain = len(server.messages)
        drain = _drain(url, tmp_path / "instance", server.port)
        received = server.message_ids()
    finally:
        enqueuer.stop.set()
        server.stop()

    logs = "\n".join(report.logs)
    assert report.alive_until_stop == [True, True], logs
    assert report.return_codes == [0, 0], logs  # SIGTERM: the running send finishes first
    rows = _rows(url)
    assert len(rows) == enqueuer.queued >= SECONDS * MAILS_PER_SECOND * 0.9
    assert Counter(status for _, _, status in rows) == {MailStatus.SENT: len(rows)}, drain
    per_id = Counter(received)
    duplicates = sorted(mid for mid, count in per_id.items() if count > 1)
    assert duplicates == [], logs
    expected = {f"<outbox.{id_}.{created}@{DOMAIN}>" for id_, created, _ in rows}
    assert set(per_id) == expected
    assert len(received) == len(rows)
    # Both processes competed for the job; the database lease let one run each time.
    for pid, log in zip(report.pids, report.logs, strict=True):
        assert "job=send_outbox" in log, f"process {pid} never tried the job:\n{log}"
    by_process = _sent_per_process(report.logs)
    assert sum(by_process) == before_drain, (by_process, before_drain)
    print(
        f"two schedulers, {SECONDS:.0f} s, send_outbox every {INTERVAL} s: "
        f"{len(rows)} rows queued, {len(received)} SMTP messages, {len(duplicates)} duplicates; "
        f"sent by process {by_process}, {len(received) - before_drain} in the final drain"
    )
