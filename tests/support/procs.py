"""Real gunicorn servers for tests: start one, find its workers, talk to it with a cookie session.

    server = start_gunicorn(env, folder, port=5410, workers=2)
    pids = server.worker_pids()            # its workers, read from /proc (no psutil)
    client = HttpClient(server.port); client.sign_in(email, password)
    status, page = client.post(path, {"field": "value"})   # the CSRF token is added
    server.stop()

Used by the crash-consistency and scheduler checks in tests/security/.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from lms.config import REPO_ROOT

HOST = "127.0.0.1"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def children_of(pid: int) -> list[int]:
    """The child processes of `pid`, from /proc/<pid>/task/*/children (Linux)."""
    found: list[int] = []
    tasks = Path(f"/proc/{pid}/task")
    try:
        for task in tasks.iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except OSError:  # gone while we read
        return []
    return sorted(set(found))


def is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):  # gone, or reaped while we read
        return False
    return state not in ("Z", "X")


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def worker_pids(self) -> list[int]:
        return [pid for pid in children_of(self.process.pid) if is_alive(pid)]

    def wait_workers(
        self, count: int, exclude: set[int] | None = None, timeout: float = 30
    ) -> list[int]:
        """The worker pids once `count` are up (none of `exclude`) and the server answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) >= count and not set(pids) & (exclude or set()):
                return pids
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text(errors='replace')}")
            time.sleep(0.01)
        raise RuntimeError(f"gunicorn workers did not come up:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, workers: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.returncode}\n{self.log_text()}")
            try:
                if HttpClient(self.port).get("/login")[0] == 200:
                    self.wait_workers(workers)
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log_text()}")

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_gunicorn(
    env: dict[str, str], folder: Path, *, port: int, workers: int, preload: bool = False
) -> Gunicorn:
    """`gunicorn -w workers wsgi:app` on 127.0.0.1:port, once it answers GET /login."""
    server = launch_gunicorn(env, folder, port=port, workers=workers, preload=preload)
    server.wait_ready(workers)
    return server


def launch_gunicorn(
    env: dict[str, str], folder: Path, *, port: int, workers: int, preload: bool = False
) -> Gunicorn:
    """Start gunicorn without waiting for it (`wait_ready` then waits)."""
    log = folder / f"gunicorn-{port}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"{HOST}:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--no-control-socket",
    ]  # fmt: skip  (servers side by side share no socket)
    if preload:  # the app is built once in the master, then forked (it opens no connection)
        command.append("--preload")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "wsgi:app"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Gunicorn(process, port, log)


def app_env(url: str, instance: Path, secret: str, **extra: str) -> dict[str, str]:
    """The environment of a web or scheduler process on `url` (embedded mode, no limits)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LMS_")}
    env.update(
        LMS_ENV="embedded",
        LMS_DATABASE_URL=url,
        LMS_INSTANCE_PATH=str(instance),
        LMS_SECRET_KEY=secret,
        LMS_LOGIN_ATTEMPTS_PER_IP="100000",
        LMS_LOGIN_ATTEMPTS_PER_ACCOUNT="100000",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class HttpClient:
    """One browser-like cookie session against a server on 127.0.0.1."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, timeout: float = 30
    ) -> tuple[int, str]:
        headers = {"Host": f"{HOST}:{self.port}", "User-Agent": "lms-tests"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            page = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, page
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, str]:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str], timeout: float = 30) -> tuple[int, str]:
        return self.request("POST", path, {**form, "csrf_token": self.token}, timeout=timeout)

    def sign_in(self, email: str, password: str) -> None:
        self.cookies.clear()
        _status, page = self.get("/login")
        status, _page = self.request(
            "POST", "/login", {"email": email, "password": password, "csrf_token": token_in(page)}
        )
        if status != 302:
            raise RuntimeError(f"sign-in of {email} answered {status}")
        self.token = token_in(self.get("/tillganglighet")[1])


def token_in(page: str) -> str:
    match = TOKEN.search(page)
    if match is None:
        raise RuntimeError("no csrf_token on the page")
    return match.group(1)
