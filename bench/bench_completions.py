"""Completion POST throughput and latency through gunicorn, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_completions.py [--users 200] [--activities 50]
        [--requests 3000] [--threads 16] [--workers 4] [--seconds 60] [--postgres URL]

Per backend: a fresh database (the PostgreSQL one is emptied, so its name must contain
"bench"), `lms init --demo`, extra users and published nano-lessons without a knowledge
check, then `gunicorn -w WORKERS` on 127.0.0.1. Every user signs in with their own cookie
session; a thread pool then POSTs `/larande/<slug>/klar` for (user, activity) pairs, one pair
in five posted three times back to back so that the copies run concurrently. Only the
completion POSTs are timed. Exits non-zero on a 5xx, any other error, a duplicate completion
or a count of completions that differs from the distinct pairs posted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import backends

from lms.accounts import services as accounts
from lms.accounts.models import Organisation
from lms.app import create_app
from lms.catalog.services import ActivityData, save_activity
from lms.config import REPO_ROOT, load_settings
from lms.core.db import db, make_engine
from lms.framework.models import Competence

PASSWORD = "bench-password-123"
SECRET = "bench-completions-secret-" + "x" * 24
EMAIL = "bench-{:04d}@kultur.example.se"
HOST = "127.0.0.1"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DUPLICATE_EVERY, COPIES = 5, 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def app_env(url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LMS_ENV": "embedded",
        "LMS_DATABASE_URL": url,
        "LMS_INSTANCE_PATH": str(folder),
        "LMS_SECRET_KEY": SECRET,
        "LMS_LOGIN_ATTEMPTS_PER_IP": "100000",
        "LMS_LOGIN_ATTEMPTS_PER_ACCOUNT": "100000",
    }


def prepare(url: str, folder: Path, users: int, activities: int) -> list[str]:
    """`lms init --demo`, then bench users and nano-lessons; returns the lessons' slugs."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "init", "--demo"],
        cwd=REPO_ROOT, env=app_env(url, folder), check=True, capture_output=True,
    )  # fmt: skip
    settings = load_settings(
        environ={}, env="test", database_url=url, instance_path=folder, secret_key=SECRET
    )
    app = create_app(settings)
    with app.app_context():
        session = db.session()
        org = session.scalars(select(Organisation).order_by(Organisation.id)).first()
        assert org is not None, "the demo has no organisation"
        dept = accounts.get_or_create_department(session, org, "Benchavdelningen")
        first = accounts.create_user(
            session, email=EMAIL.format(0), name="Bench 0", organisation=org, department=dept,
            password=PASSWORD,
        )  # fmt: skip
        for n in range(1, users):  # one slow hash, shared by everyone
            user = accounts.create_user(session, email=EMAIL.format(n), name=f"Bench {n}",
                                        organisation=org, department=dept)  # fmt: skip
            user.password_hash = first.password_hash
        competence = session.scalars(select(Competence).order_by(Competence.id)).first()
        assert competence is not None, "the demo has no competence framework"
        slugs = []
        for n in range(activities):
            data = ActivityData(
                title=f"Benchlektion {n}", summary="Fem minuter om lösenord.",
                body="Använd en lösenordshanterare och unika lösenord.", format="nanolesson",
                level="grund", delivery="digital", minutes=5, status="published",
                competences=[(competence, 1.0)],
            )  # fmt: skip
            slugs.append(
                save_activity(session, actor_id=None, slug=f"bench-{n:03d}", data=data).slug
            )
        session.commit()
        db.session.remove()
    db.engine.dispose()
    return slugs


class Client:
    """One person's cookie session against the server (gunicorn closes each connection)."""

    def __init__(self, port: int, email: str) -> None:
        self.port, self.email = port, email
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                keep: bool = True) -> tuple[int, str]:  # fmt: skip
        headers = {"User-Agent": "bench-completions", "Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            page = response.read().decode("utf-8", "replace")
            if keep:
                for header in response.headers.get_all("Set-Cookie") or []:
                    for name, morsel in SimpleCookie(header).items():
                        self.cookies[name] = morsel.value
            return response.status, page
        finally:
            conn.close()

    def sign_in(self) -> int:
        """Sign in and fetch a CSRF token; returns the login's status (302 when signed in)."""
        self.cookies.clear()
        status, page = self.request("GET", "/login")
        form = {"email": self.email, "password": PASSWORD, "csrf_token": _token(page)}
        status, page = self.request("POST", "/login", form)
        if status == 302:
            _status, page = self.request("GET", "/tillganglighet")  # the new session's
            self.token = _token(page)
        return status

    def complete(self, slug: str) -> int:
        # The session cookie stays as it was after sign-in, so flashes do not pile up in it.
        status, _page = self.request("POST", f"/larande/{slug}/klar",
                                     {"csrf_token": self.token}, keep=False)  # fmt: skip
        return status


def _token(page: str) -> str:
    match = TOKEN.search(page)
    if match is None:
        raise RuntimeError("no csrf_token on the page")
    return match.group(1)


def start_server(url: str, folder: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = (folder / f"gunicorn-{port}.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"{HOST}:{port}",
         "--timeout", "60", "wsgi:app"],
        cwd=REPO_ROOT, env=app_env(url, folder), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see {log.name}")
        try:
            if Client(port, "").request("GET", "/login")[0] == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 30 s")


@dataclass
class Result:
    backend: str
    sent: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    pairs: int = 0
    duplicated_pairs: int = 0
    completions: int = 0
    duplicate_rows: int = 0
    login_seconds: float = 0.0
    login_500s: int = 0
    unanswered: int = 0

    @property
    def errors(self) -> int:
        return self.unanswered + sum(n for s, n in self.statuses.items() if s != 302)

    def ms(self, q: int) -> float:
        if len(self.latencies) < 2:
            return 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1] * 1000


def plan(users: int, slugs: list[str], requests: int, seed: int = 5) -> list[tuple[int, str]]:
    """(user, slug) posts, every fifth pair three times in a row; about `requests` in all."""
    rng = random.Random(seed)
    per_pair = (DUPLICATE_EVERY - 1 + COPIES) / DUPLICATE_EVERY
    wanted = min(users * len(slugs), int(requests / per_pair))
    pairs = rng.sample([(u, s) for u in range(users) for s in slugs], wanted)
    posts: list[tuple[int, str]] = []
    for n, pair in enumerate(pairs):
        posts += [pair] * (COPIES if n % DUPLICATE_EVERY == 0 else 1)
    return posts


def drive(
    result: Result, port: int, users: int, slugs: list[str], args: argparse.Namespace
) -> None:
    clients = [Client(port, EMAIL.format(n)) for n in range(users)]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        statuses = list(pool.map(Client.sign_in, clients))
    result.login_500s = statuses.count(500)
    for client, status in zip(clients, statuses, strict=True):
        for _attempt in range(3):  # concurrent sign-ins can fail on SQLite; retry one by one
            if status == 302:
                break
            if status != 500:
                raise RuntimeError(f"login of {client.email} answered {status}")
            status = client.sign_in()
            result.login_500s += status == 500
        else:
            raise RuntimeError(f"login of {client.email} kept answering 500")
    result.login_seconds = time.perf_counter() - started
    posts = plan(users, slugs, args.requests)
    lock = threading.Lock()
    done: set[tuple[int, str]] = set()
    deadline = time.monotonic() + args.seconds

    def post(pair: tuple[int, str]) -> None:
        if time.monotonic() > deadline:
            return
        began = time.perf_counter()
        try:
            status = clients[pair[0]].complete(pair[1])
        except OSError as error:
            with lock:
                result.unanswered += 1
                result.failures.append(f"{pair}: {error}")
            return
        elapsed = time.perf_counter() - began
        with lock:
            result.sent += 1
            result.latencies.append(elapsed)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 302:
                done.add(pair)

    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(post, posts))
    result.seconds = time.perf_counter() - started
    result.pairs = len(done)
    counts: dict[tuple[int, str], int] = {}
    for pair in posts:
        counts[pair] = counts.get(pair, 0) + 1
    result.duplicated_pairs = sum(1 for p in done if counts[p] > 1)


def count_rows(result: Result, url: str) -> None:
    engine = make_engine(url)
    bench_users = "SELECT id FROM users WHERE email LIKE 'bench-%'"
    with engine.connect() as conn:
        result.completions = conn.execute(text(
            f"SELECT count(*) FROM completions WHERE user_id IN ({bench_users})"
        )).scalar_one()  # fmt: skip
        result.duplicate_rows = conn.execute(text(
            "SELECT count(*) FROM (SELECT user_id, occurrence_key FROM completions "
            "GROUP BY user_id, occurrence_key HAVING count(*) > 1) AS d"
        )).scalar_one()  # fmt: skip
    engine.dispose()


def run(backend: str, url: str, folder: Path, args: argparse.Namespace) -> Result:
    slugs = prepare(url, folder, args.users, args.activities)
    result = Result(backend)
    server, port = start_server(url, folder, args.workers)
    log = folder / f"gunicorn-{port}.log"
    try:
        drive(result, port, args.users, slugs, args)
    except Exception:
        print(log.read_text(encoding="utf-8", errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        server.terminate()
        server.wait(timeout=30)
    count_rows(result, url)
    tracebacks = log.read_text(encoding="utf-8", errors="replace").count("Traceback")
    if tracebacks > result.login_500s:  # the login 500s are reported (and retried) above
        kept = Path(tempfile.gettempdir()) / f"bench_completions-{backend}.log"
        kept.write_bytes(log.read_bytes())
        result.failures.append(f"{tracebacks} tracebacks in the gunicorn log, kept as {kept}")
    return result


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    print(f"\n{args.workers} gunicorn workers, {args.threads} client threads, "
          f"{args.users} users, {args.activities} nano-lessons; "
          f"one pair in {DUPLICATE_EVERY} posted {COPIES}×")  # fmt: skip
    print(f"{'backend':<11} {'POSTs':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
          f" {'errors':>6} {'rows':>6} {'pairs':>6} {'dup pairs':>9} {'login s':>8}")  # fmt: skip
    for r in results:
        rate = r.sent / r.seconds if r.seconds else 0.0
        print(f"{r.backend:<11} {r.sent:>6} {rate:>7.1f} {r.ms(50):>7.1f} {r.ms(95):>7.1f}"
              f" {r.ms(99):>7.1f} {r.errors:>6} {r.completions:>6} {r.pairs:>6}"
              f" {r.duplicated_pairs:>9} {r.login_seconds:>8.1f}")  # fmt: skip
        if r.login_500s:
            print(
                f"  {r.backend}: {r.login_500s} of {args.users} concurrent sign-ins answered 500"
                " (retried one at a time)"
            )
        if set(r.statuses) != {302}:
            print(f"  {r.backend} statuses: {dict(sorted(r.statuses.items()))}")


def problems(results: list[Result]) -> list[str]:
    found = []
    for r in results:
        found += [f"{r.backend}: {failure}" for failure in r.failures[:5]]
        if any(status >= 500 for status in r.statuses):
            found.append(f"{r.backend}: server errors {r.statuses}")
        if r.errors:
            found.append(f"{r.backend}: {r.errors} requests failed")
        if r.duplicate_rows or r.completions != r.pairs:
            found.append(f"{r.backend}: {r.completions} completions for {r.pairs} pairs, "
                         f"{r.duplicate_rows} duplicated")  # fmt: skip
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--activities", type=int, default=50)
    parser.add_argument("--requests", type=int, default=3000, help="completion POSTs at most")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit for the POSTs")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database name has 'bench'")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for backend, url, own in backends(folder, args.postgres):
            results.append(run(backend, url, own, args))
        print_table(results, args)
        found = problems(results)
        for problem in found:
            print(f"FAIL {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
