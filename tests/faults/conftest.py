"""Fault-injection fixtures: real worker and web server processes that can be killed, a
private Redis that can be stopped, and a TCP proxy in front of PostgreSQL that can be cut.

The shared PostgreSQL and Redis are never stopped: outages are made on private copies of
the paths to them.
"""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app
from tests.faults.proxy import TcpProxy

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(host: str = "", port: int | None = None) -> str:
    """The test database (not the developer's) as a URL for a child process."""
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgresql://{user}{password}@{host or db.get('HOST') or '127.0.0.1'}:"
        f"{port or db.get('PORT') or 5432}/{db['NAME']}"
    )


def child_env(**overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(overrides)
    return env


def _own_group_dying_with_the_tests() -> None:
    """In the child: a process group of its own (killed as a whole), and SIGKILL when the
    test process dies, so an interrupted run leaves no worker consuming the queues."""
    os.setsid()
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


class Child:
    """A process of the portal (worker or web server) in its own process group."""

    def __init__(self, args: list[str], env: dict[str, str], ready_text: str) -> None:
        self.log: IO[bytes] = tempfile.NamedTemporaryFile(prefix="portal-child-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=_own_group_dying_with_the_tests,
        )
        self.ready_text = ready_text

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        if not wait_for(
            lambda: self.ready_text in self.output() or self.process.poll() is not None,
            timeout,
        ):
            raise AssertionError(f"not ready after {timeout}s:\n{self.output()}")
        if self.process.poll() is not None:
            raise AssertionError(f"exited with {self.process.returncode}:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL to the whole group: the worker and its pool processes die at once."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


StartWorker = Callable[..., Child]


@pytest.fixture
def worker_process(transactional_db: None) -> Iterator[StartWorker]:
    """Start real Celery worker processes (prefork, one child) against the test database;
    every one started is stopped after the test, before the database is flushed."""
    started: list[Child] = []
    # Tasks go to Redis for the worker processes, not run in the test's own process.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()

    def start(queues: str = "normalize,default", **env: str) -> Child:
        child = Child(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-Q",
                queues,
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
                "-n",
                f"faults-{len(started)}@%h",
            ],
            child_env(**env),
            ready_text=" ready.",
        )
        started.append(child)
        child.wait_ready()
        return child

    yield start
    for child in started:
        child.stop()
    celery_app.control.purge()
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def private_redis() -> Iterator["PrivateRedis"]:
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()


class PrivateRedis:
    """A redis-server of the test's own on a free loopback port; stopping it is an outage
    nobody else notices."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = tempfile.TemporaryDirectory(prefix="portal-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory.name,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for(self._answers, 10):
            raise AssertionError("private redis-server did not start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def database_proxy() -> Iterator[TcpProxy]:
    """A TCP proxy to the shared PostgreSQL that the test can cut and restore."""
    db = connection.settings_dict
    proxy = TcpProxy(str(db.get("HOST") or "127.0.0.1"), int(db.get("PORT") or 5432))
    proxy.start()
    yield proxy
    proxy.close()


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Static files as a deployment serves them (the manifest the pages' links need)."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_ROOT": str(root), "DEBUG": "0"},
        check=True,
        timeout=300,
    )
    return str(root)


StartServer = Callable[..., "PortalServer"]


class PortalServer:
    def __init__(self, child: Child, port: int) -> None:
        self.child = child
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture
def portal_server(transactional_db: None, collected_static: str) -> Iterator[StartServer]:
    """Start the portal under gunicorn, as deployed (DEBUG off), against the test database
    or a proxy to it, and a given Redis."""
    started: list[Child] = []

    def start(**env: str) -> PortalServer:
        port = free_port()
        child = Child(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            child_env(STATIC_ROOT=collected_static, ALLOWED_HOSTS="127.0.0.1", **env),
            ready_text="Booting worker",
        )
        started.append(child)
        child.wait_ready()
        return PortalServer(child, port)

    yield start
    for child in started:
        child.stop()
