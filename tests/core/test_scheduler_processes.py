"""Two real `lms scheduler` processes on one PostgreSQL database run each scheduled run once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.core import migrate
from lms.core.db import make_engine
from lms.core.jobs_models import JobRun
from tests.conftest import IN_CI, PG_URL, reset_postgres, sibling_database
from tests.support.jobs import ensure_executions_table, read_executions, run_schedulers

DURATION = 20.0
INTERVAL = 2

pytestmark = pytest.mark.skipif(
    not PG_URL and not IN_CI, reason="needs PostgreSQL (LMS_TEST_POSTGRES_URL)"
)


def _job_runs(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(JobRun.run_key, JobRun.status).where(JobRun.job_name == "count_run")
            )
            return [(row.run_key, row.status) for row in rows]
    finally:
        engine.dispose()


@pytest.mark.postgres_only
@pytest.mark.parametrize("backend", ["postgres"])
def test_two_scheduler_processes_run_each_scheduled_run_exactly_once(
    backend: str, tmp_path: Path
) -> None:
    url = sibling_database("procs")
    reset_postgres(url)
    migrate.upgrade(url)
    ensure_executions_table(url)

    report = run_schedulers(
        url,
        tmp_path,
        seconds=DURATION,
        intervals=f"count_run={INTERVAL}s",
        only=("count_run",),
    )

    logs = "\n".join(report.logs)
    assert report.alive_until_stop == [True, True], logs
    assert report.return_codes == [0, 0], logs  # SIGTERM stops them cleanly
    executions = read_executions(url)
    per_key = Counter(execution.run_key for execution in executions)
    assert [key for key, count in per_key.items() if count > 1] == [], logs
    # Both processes fire on the same 2 s grid; together they run it once, not twice.
    window = (report.stopped_at - report.ready_at).total_seconds()
    expected = window / INTERVAL
    assert expected - 2 <= len(executions) <= expected + 1, (len(executions), window, logs)
    runs = _job_runs(url)
    assert sorted(key for key, _ in runs) == sorted(per_key)
    assert {status for _, status in runs} == {"succeeded"}
    # Each process competed for every run: one executed it, the other was turned away.
    for pid, log in zip(report.pids, report.logs, strict=True):
        assert "job=count_run" in log, f"process {pid} never tried the job:\n{log}"
    assert "job skipped job=count_run" in logs
    workers = Counter(execution.worker.rsplit(":", 1)[1] for execution in executions)
    print(
        f"two schedulers, {window:.1f} s, every {INTERVAL} s: {len(executions)} runs, "
        f"{len(per_key)} run keys, 0 duplicates, by process {dict(workers)}"
    )
