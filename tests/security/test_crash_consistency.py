"""SIGKILL of a gunicorn worker mid-request never leaves half-written data (nightly).

A temporary SQLite file; `gunicorn -w 1 --preload` (the master forks a fresh worker at once
after each kill); 200 runs, alternating two writes:

- a manager agrees all 14 levels of a submitted assessment in one POST, each run switching
  every level between 2 and 4: afterwards the 14 agreed levels are all the old value or all
  the new one (with who and when set on all or none), and there are still exactly 14 ratings;
- a new person books a seat on a session of CAPACITY seats that more people want: afterwards
  they have at most one booking, a booked one holds a seat, and no more are booked than seats.

Each run sends the POST from a thread and, after a random delay of 0..1.2× the measured
request time, kills the worker with SIGKILL (found as gunicorn's child in /proc). After every
run `PRAGMA foreign_key_check` (no orphan rows: ratings without assessment, bookings without
seat or session…) and the invariants above; at the end `PRAGMA integrity_check` is "ok", and
the server still agrees levels normally. The log says how many kills landed mid-request.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import sqlite3
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lms.core import migrate
from tests.security.procs_world import SECRET, seed
from tests.support.procs import HttpClient, app_env, is_alive, start_gunicorn

RUNS = int(os.environ.get("LMS_CRASH_RUNS", "200"))  # fewer to try a change quickly
CAPACITY = 40
BOOKERS = RUNS // 2
PORT = 5411
PASSWORD = "correct-horse-battery"  # tests/factories.py

pytestmark = pytest.mark.nightly


@dataclass
class Tally:
    completed_before_kill: int = 0  # the response came back first: the kill hit an idle worker
    in_flight_committed: int = 0  # no response, but the write is there (killed after commit)
    in_flight_rolled_back: int = 0  # no response and no write (killed before commit)
    errors: list[str] = field(default_factory=list)

    @property
    def mid_request(self) -> int:
        return self.in_flight_committed + self.in_flight_rolled_back


class Request(threading.Thread):
    """One POST in the background; `status` is None when the connection died."""

    def __init__(self, client: HttpClient, path: str, form: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.client, self.path, self.form = client, path, form
        self.status: int | None = None
        self.done_at = 0.0

    def run(self) -> None:
        try:
            self.status = self.client.post(self.path, self.form, timeout=20)[0]
            self.done_at = time.monotonic()
        except (OSError, http.client.HTTPException):  # reset, cut short: the worker died
            self.status = None


def read(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db, timeout=30) as connection:
        return connection.execute(sql, args).fetchall()


def agreed_state(db: Path, assessment_id: int) -> tuple[int, set[tuple[Any, ...]]]:
    rows = read(
        db,
        "SELECT agreed_level, agreed_by_id IS NOT NULL, agreed_at IS NOT NULL"
        " FROM ratings WHERE assessment_id = ?",
        assessment_id,
    )
    return len(rows), set(rows)


def check_invariants(db: Path, world: dict[str, Any]) -> list[str]:
    problems = []
    orphans = read(db, "PRAGMA foreign_key_check")
    if orphans:
        problems.append(f"orphan rows {orphans[:5]}")
    count, states = agreed_state(db, world["assessment_id"])
    if count != len(world["competence_ids"]):
        problems.append(f"{count} ratings instead of {len(world['competence_ids'])}")
    if len(states) != 1:
        problems.append(f"partial agreement: {sorted(states, key=str)}")
    booked = read(
        db,
        "SELECT COUNT(*), COUNT(DISTINCT seat), MAX(seat) FROM bookings"
        " WHERE session_id = ? AND status = 'booked'",
        world["session_id"],
    )[0]
    if booked[0] > CAPACITY or booked[0] != booked[1] or (booked[2] or 0) > CAPACITY:
        problems.append(f"bookings over capacity or sharing seats: {booked}")
    doubled = read(
        db, "SELECT user_id FROM bookings GROUP BY session_id, user_id HAVING COUNT(*) > 1"
    )
    if doubled:
        problems.append(f"people booked twice: {doubled}")
    return problems


class Crasher:
    """The server, its one worker, and the runs that kill it."""

    def __init__(self, server: Any, db: Path, world: dict[str, Any]) -> None:
        self.server, self.db, self.world = server, db, world
        self.rng = random.Random(int(os.environ.get("LMS_CRASH_SEED", "20261123")))
        self.manager = HttpClient(server.port)
        self.manager.sign_in(world["manager"], PASSWORD)
        self.tally = Tally()
        self.max_delay = 0.05

    def agree_path(self) -> str:
        return f"/skattning/samtal/{self.world['assessment_id']}/nivaer"

    def agree_form(self, level: int) -> dict[str, str]:
        return {f"level_{cid}": str(level) for cid in self.world["competence_ids"]}

    def calibrate(self) -> float:
        """The median time of an undisturbed agree POST on a freshly started worker (as every
        run meets one: the previous run killed its predecessor); kills come within 1.2 times that,
        so they land before, during and after the commit."""
        times = []
        for level in (2, 4, 2, 4, 2, 4):
            (worker,) = self.server.wait_workers(1)
            os.kill(worker, signal.SIGKILL)
            while is_alive(worker):
                time.sleep(0.005)
            self.server.wait_workers(1, exclude={worker})
            started = time.monotonic()
            status = self.manager.post(self.agree_path(), self.agree_form(level))[0]
            assert status == 302, status
            times.append(time.monotonic() - started)
        self.max_delay = 1.2 * statistics.median(times)
        return self.max_delay

    def kill_during(self, client: HttpClient, path: str, form: dict[str, str]) -> Request:
        (worker,) = self.server.wait_workers(1)
        request = Request(client, path, form)
        delay = self.rng.uniform(0, self.max_delay)
        request.start()
        time.sleep(delay)
        killed_at = time.monotonic()
        os.kill(worker, signal.SIGKILL)
        request.join(30)
        assert not request.is_alive(), "the request hangs after the kill"
        if request.status is not None and request.done_at < killed_at:
            self.tally.completed_before_kill += 1
        deadline = time.monotonic() + 10
        while is_alive(worker):
            assert time.monotonic() < deadline, "the killed worker lives on"
            time.sleep(0.005)
        self.server.wait_workers(1, exclude={worker})
        return request

    def agree_run(self, run: int) -> None:
        _count, old = agreed_state(self.db, self.world["assessment_id"])
        (old_level,) = {state[0] for state in old}
        level = 4 if old_level == 2 else 2
        request = self.kill_during(self.manager, self.agree_path(), self.agree_form(level))
        _new_count, new = agreed_state(self.db, self.world["assessment_id"])
        if request.status is None:
            if new == {(level, 1, 1)}:
                self.tally.in_flight_committed += 1
            else:
                self.tally.in_flight_rolled_back += 1
        if new not in ({(level, 1, 1)}, old):
            self.tally.errors.append(f"run {run}: agreed levels {new} (was {old})")

    def booking_run(self, run: int, email: str) -> None:
        client = HttpClient(self.server.port)
        client.sign_in(email, PASSWORD)
        path = f"/bokningar/tillfalle/{self.world['session_id']}/boka"
        request = self.kill_during(client, path, {})
        rows = read(
            self.db,
            "SELECT b.status, b.seat FROM bookings b JOIN users u ON u.id = b.user_id"
            " WHERE u.email = ? AND b.session_id = ?",
            email,
            self.world["session_id"],
        )
        if request.status is None:
            if rows:
                self.tally.in_flight_committed += 1
            else:
                self.tally.in_flight_rolled_back += 1
        if len(rows) > 1 or any(
            (status == "booked") != (seat is not None) for status, seat in rows
        ):
            self.tally.errors.append(f"run {run}: booking rows {rows}")

    def run(self, runs: int) -> None:
        bookers = iter(self.world["bookers"])
        for run in range(runs):
            if run % 2 == 0:
                self.agree_run(run)
            else:
                self.booking_run(run, next(bookers))
            self.tally.errors += [f"run {run}: {p}" for p in check_invariants(self.db, self.world)]
            if self.tally.errors:
                return  # broken data: the next run would start from nonsense


def test_sigkill_mid_request_leaves_no_partial_assessment_or_booking(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    instance = tmp_path / "instance"
    instance.mkdir()
    world = seed("crash", url, instance, BOOKERS, CAPACITY)
    server = start_gunicorn(
        app_env(url, instance, SECRET), tmp_path, port=PORT, workers=1, preload=True
    )
    started = time.monotonic()
    try:
        crasher = Crasher(server, db, world)
        max_delay = crasher.calibrate()
        crasher.run(RUNS)
        assert crasher.manager.post(crasher.agree_path(), crasher.agree_form(3))[0] == 302
    finally:
        server.stop()
    tally = crasher.tally
    assert tally.errors == [], "\n".join(tally.errors[:20])
    assert read(db, "PRAGMA integrity_check") == [("ok",)]
    assert read(db, "PRAGMA foreign_key_check") == []
    assert agreed_state(db, world["assessment_id"])[1] == {(3, 1, 1)}
    booked = read(db, "SELECT COUNT(*) FROM bookings WHERE status = 'booked'")[0][0]
    assert tally.mid_request >= RUNS // 4, tally  # the kills did land inside requests
    print(
        f"{RUNS} runs survived in {time.monotonic() - started:.0f} s (kill within "
        f"{max_delay * 1000:.0f} ms): {tally.mid_request} kills mid-request "
        f"({tally.in_flight_committed} after the commit, {tally.in_flight_rolled_back} before), "
        f"{tally.completed_before_kill} after the response; 0 partial assessments, 0 orphan "
        f"rows, {booked} of {CAPACITY} seats booked, integrity_check ok"
    )
