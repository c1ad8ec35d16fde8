"""Reminders go out exactly once with two schedulers, four web workers and a scheduler crash.

One PostgreSQL database; a real SMTP server (aiosmtpd, 50 ms per message so a batch takes a
while) in this process; `gunicorn -w 4` serving requests throughout; two `lms scheduler`
processes running `send_session_reminders` and `send_outbox` every 2 s. N people are booked on
a session tomorrow: one named with a CR/LF header injection, the activity titled with one, and
one more booked person deactivated before the run. While the outbox is mid-batch the scheduler
holding its lease is killed with SIGKILL; a third scheduler starts. The killed process's lease
and claims are then moved into the past (as if their five and ten minutes had gone by: the only
recovery path a crash has), and the run continues to the end.

Checks: every active person gets exactly one reminder (distinct Message-IDs; a repeat of the one
mail in flight at the kill, SMTP being at-least-once, would carry the same Message-ID and is
reported), the deactivated person none, every job run and lease names a scheduler process and
never a web worker, and every message has exactly the headers the app writes, one recipient,
and no header from the injected text.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from lms.core import migrate
from lms.core.db import make_engine
from lms.core.jobs_models import JobLock, JobRun
from lms.core.outbox import MailStatus, OutboxEmail
from lms.core.time import utcnow
from lms.notify.models import Notification
from tests.conftest import IN_CI, PG_URL, reset_postgres, sibling_database
from tests.security.procs_world import SECRET, seed
from tests.support.jobs import STARTED_LINE, start_scheduler
from tests.support.procs import HttpClient, app_env, launch_gunicorn
from tests.support.smtp import RecordingHandler, RecordingSmtpServer

PEOPLE = 40
SOAK_PEOPLE = 300
SOAK_KILLS = 3
WORKERS = 4
PORT = 5410
KILL_AFTER = 8  # messages received before the outbox holder is killed
SMTP_DELAY = 0.05
JOBS = ("send_session_reminders", "send_assessment_reminders", "send_outbox")
INTERVALS = ",".join(f"{job}=2s" for job in JOBS)
MAILS_EACH = 2  # a session reminder and an assessment round reminder
# What build_message writes (lms/core/outbox_sender.py), plus the MIME headers of the body.
EXPECTED_HEADERS = {
    "from", "to", "subject", "date", "message-id", "auto-submitted", "x-auto-response-suppress",
    "list-unsubscribe", "list-unsubscribe-post", "content-type", "content-transfer-encoding",
    "mime-version", "content-language",
}  # fmt: skip

pytestmark = pytest.mark.skipif(
    not PG_URL and not IN_CI, reason="needs PostgreSQL (LMS_TEST_POSTGRES_URL)"
)


class SlowHandler(RecordingHandler):
    """Takes SMTP_DELAY per message, so a batch is still going when the sender is killed."""

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        await asyncio.sleep(SMTP_DELAY)
        return await super().handle_DATA(server, session, envelope)


class Schedulers:
    """The scheduler processes of the run, started and stopped by this test."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = self.folder / f"scheduler-{len(self.procs)}.log"
        proc = start_scheduler(self.env, JOBS, log)
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def wait_started(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not all(STARTED_LINE in log.read_text(errors="replace") for log in self.logs):
            assert time.monotonic() < deadline, self.text()
            assert all(p.poll() is None or p.returncode == -9 for p in self.procs), self.text()
            time.sleep(0.05)

    def text(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs)

    def stop(self) -> list[int | None]:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = []
        for proc in self.procs:
            try:
                codes.append(proc.wait(timeout=30))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes


def outbox_holder(engine: Engine) -> str | None:
    with Session(engine) as session:
        lock = session.get(JobLock, "send_outbox")
        return lock.holder if lock is not None else None


def expire_crashed(engine: Engine, holder: str) -> tuple[int, int]:
    """Move the killed process's lease and mail claims into the past (time passing)."""
    past = utcnow() - timedelta(seconds=1)
    with Session(engine) as session:
        leases = session.execute(
            update(JobLock).where(JobLock.holder == holder).values(lease_until=past)
        ).rowcount
        claims = session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.claimed_by.startswith(f"{holder}:"))
            .values(claimed_until=past)
        ).rowcount
        session.commit()
    return int(leases), int(claims)


def pending_mail(engine: Engine) -> int:
    with Session(engine) as session:
        due = select(func.count()).where(OutboxEmail.status == MailStatus.PENDING)
        return int(session.scalar(due) or 0)


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def header_problems(message: EmailMessage, address: str) -> list[str]:
    """What is wrong with one received reminder's headers (empty when nothing)."""
    problems = []
    names = {key.lower() for key in message}
    if names - EXPECTED_HEADERS:
        problems.append(f"unexpected headers {sorted(names - EXPECTED_HEADERS)}")
    if len(message.get_all("To") or []) != 1 or str(message["To"]) != address:
        problems.append(f"To is {message.get_all('To')}")
    for key, value in message.items():
        if "\r" in str(value) or "\n" in str(value):
            problems.append(f"{key} holds a line break")
    return problems


@dataclass
class Run:
    """What one scenario saw, for the checks and the figure."""

    world: dict[str, Any]
    messages: list[EmailMessage]
    envelopes: list[tuple[str, list[str]]]
    scheduler_pids: set[int]
    web_pids: set[int]
    web_log: str
    killed: list[int]
    codes: dict[int, int | None]
    received_at_kills: list[int] = field(default_factory=list)
    requests: int = 0


def kill_outbox_holder(engine: Engine, schedulers: Schedulers) -> int:
    """SIGKILL the scheduler sending the outbox now; its lease and claims then expire."""
    time.sleep(random.uniform(0, 3 * SMTP_DELAY))  # anywhere in the next few mails
    holder = outbox_holder(engine)
    assert holder is not None, "the outbox batch ended before the kill"
    killed = int(holder.rsplit(":", 1)[1])
    assert killed in {proc.pid for proc in schedulers.procs}, (holder, schedulers.text())
    os.kill(killed, signal.SIGKILL)
    expire_crashed(engine, holder)
    return killed


def deliver_reminders(url: str, folder: Path, people: int, kills: int) -> Run:
    """The scenario: seed, serve, two schedulers, `kills` crashes and restarts, to the end."""
    instance = folder / "instance"
    instance.mkdir()
    world = seed("reminders", url, instance, people)
    smtp = RecordingSmtpServer()
    smtp.handler = SlowHandler()
    smtp.start()
    settings = {"LMS_SMTP_HOST": "127.0.0.1", "LMS_SMTP_PORT": str(smtp.port)}
    web_env = app_env(url, instance, SECRET, **settings)
    web = launch_gunicorn(web_env, folder, port=PORT, workers=WORKERS, preload=True)
    env = app_env(url, instance, SECRET, LMS_JOB_INTERVALS=INTERVALS, LMS_EXTRA_JOBS="", **settings)
    env["LMS_ENV"] = "test"
    schedulers = Schedulers(env, folder)
    engine = make_engine(url)
    client = HttpClient(PORT)
    run = Run(world, [], [], set(), set(), "", [], {})
    total = people * MAILS_EACH

    def received(count: int) -> bool:
        assert client.get("/login")[0] == 200  # the web workers serve throughout
        run.requests += 1
        return len(smtp.messages) >= count

    try:
        schedulers.start()  # the three start side by side
        schedulers.start()
        web.wait_ready(WORKERS)
        run.web_pids = set(web.worker_pids())
        schedulers.wait_started()
        for kill in range(kills):
            target = KILL_AFTER + kill * total // (kills + 1)
            wait_until(lambda t=target: received(t), 90, f"{target} mails")
            run.killed.append(kill_outbox_holder(engine, schedulers))
            run.received_at_kills.append(len(smtp.messages))
            schedulers.start()
            schedulers.wait_started()
        wait_until(lambda: received(total) and pending_mail(engine) == 0, 120, "every mail")
        time.sleep(2.1)  # one more tick of each job: nothing more may arrive
    finally:
        codes = schedulers.stop()
        run.web_log = web.log_text()
        web.stop()
        smtp.stop()
        engine.dispose()
    run.codes = {proc.pid: code for proc, code in zip(schedulers.procs, codes, strict=True)}
    run.scheduler_pids = set(run.codes)
    run.messages, run.envelopes = smtp.messages, smtp.envelopes
    return run


def check_run(url: str, run: Run, people: int) -> str:
    """Every check of a finished scenario; returns its figure."""
    messages, world = run.messages, run.world
    ids_per_address: dict[str, set[str]] = {}
    for message in messages:
        ids_per_address.setdefault(str(message["To"]), set()).add(str(message["Message-ID"]))
    repeats = len(messages) - sum(len(ids) for ids in ids_per_address.values())
    assert sorted(ids_per_address) == sorted(world["emails"])
    assert {len(ids) for ids in ids_per_address.values()} == {MAILS_EACH}, ids_per_address
    # SMTP is at-least-once: only a kill between the server's 250 and the commit repeats a
    # mail, with the same Message-ID (receivers drop it); at most one per kill.
    assert repeats <= len(run.killed), f"{repeats} repeated Message-IDs"
    assert world["deactivated"] not in ids_per_address
    for message in messages:
        assert header_problems(message, str(message["To"])) == [], message.as_string()[:2000]
    assert all(len(recipients) == 1 for _sender, recipients in run.envelopes)
    injected = [m for m in messages if m["To"] == world["injected"]]
    assert all("Bcc: evil@attacker.example" in str(m["Subject"]) for m in injected)

    engine = make_engine(url)
    with Session(engine) as session:
        workers = {int(w.rsplit(":", 1)[1]) for w in session.scalars(select(JobRun.worker))}
        holders = {int(h.rsplit(":", 1)[1]) for h in session.scalars(select(JobLock.holder)) if h}
        kinds = Counter(session.scalars(select(Notification.kind)))
        sent = session.scalar(select(func.count()).where(OutboxEmail.status == MailStatus.SENT))
    engine.dispose()
    assert workers and workers <= run.scheduler_pids, (workers, run.scheduler_pids)
    assert holders <= run.scheduler_pids
    assert not workers & run.web_pids
    assert STARTED_LINE not in run.web_log and "job start" not in run.web_log
    assert kinds["session_reminder"] == people and kinds["assessment_reminder"] == people
    assert sent == people * MAILS_EACH
    survivors = [code for pid, code in run.codes.items() if pid not in run.killed]
    assert survivors == [0, 0], run.codes  # SIGTERM stops the others cleanly
    return (
        f"{people} people x {MAILS_EACH} reminders, {len(run.scheduler_pids)} scheduler "
        f"processes, {WORKERS} web workers ({run.requests} requests): {len(messages)} mails, "
        f"each person {MAILS_EACH} distinct, {repeats} same-Message-ID repeats; "
        f"{len(run.killed)} SIGKILL(s) after {run.received_at_kills} mails; "
        f"0 to the deactivated person; 0 injected headers; 0 jobs in web workers"
    )


@pytest.mark.postgres_only
@pytest.mark.parametrize("backend", ["postgres"])
def test_reminders_are_delivered_exactly_once_across_schedulers_workers_and_a_crash(
    backend: str, tmp_path: Path
) -> None:
    url = sibling_database("procs_sched")
    reset_postgres(url)
    migrate.upgrade(url)
    print(check_run(url, deliver_reminders(url, tmp_path, PEOPLE, kills=1), PEOPLE))


@pytest.mark.nightly
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_reminder_soak_with_repeated_scheduler_crashes(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'soak.db'}"
    else:
        url = sibling_database("procs_soak")
        reset_postgres(url)
    migrate.upgrade(url)
    run = deliver_reminders(url, tmp_path, SOAK_PEOPLE, kills=SOAK_KILLS)
    print(f"{backend}: {check_run(url, run, SOAK_PEOPLE)}")
