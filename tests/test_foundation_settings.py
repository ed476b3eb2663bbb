"""Settings come from the environment and a bad value stops start-up with its name."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_LIKE = {
    "SECRET_KEY": "x" * 20 + "-production-like-secret-key-for-checks",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "portal.example.org",
    "PORTAL_BASE_URL": "https://portal.example.org",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
}


# Variables of the test run itself that must not leak into the checked process.
_NOT_INHERITED = {"DATABASE_URL", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql//oops"),
        ("DATABASE_URL", "postgresql://user:pw@host:notaport/db"),
        ("DEBUG", "maybe"),
        ("REDIS_URL", "localhost:6379"),
        ("EMAIL_PORT", "twenty-five"),
        ("PORTAL_BASE_URL", "portal.example.org"),
    ],
)
def test_bad_setting_stops_startup_naming_the_variable(variable: str, value: str) -> None:
    result = _manage("check", **{variable: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.splitlines()[-1]


def test_production_needs_a_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION_LIKE.items() if k != "SECRET_KEY"}

    result = _manage("check", **env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr.splitlines()[-1]


def test_deploy_check_is_clean_with_production_like_variables() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_LIKE)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_embedded_mode_runs_on_sqlite_without_any_variables(tmp_path: Path) -> None:
    result = _manage(
        "shell",
        "-c",
        "from django.db import connection; print(connection.vendor)",
        PORTAL_VAR_DIR=str(tmp_path),
        REDIS_URL="",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "sqlite"
    assert (tmp_path / "secret_key").exists()


PREPARED_PROBE = (
    "from django.db import connection\n"
    "with connection.cursor() as c:\n"
    "    for n in range(3): c.execute('SELECT count(*) FROM pg_class WHERE relpages > %s', [n])\n"
    "    c.execute('SELECT count(*) FROM pg_prepared_statements')\n"
    "    print('prepared', c.fetchone()[0])\n"
)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postg"), reason="PostgreSQL setting"
)
@pytest.mark.parametrize(("value", "prepared"), [("", True), ("1", True), ("0", False)])
def test_statements_are_prepared_unless_turned_off_for_a_pooler(value: str, prepared: bool) -> None:
    env = dict(PRODUCTION_LIKE)  # PostgreSQL's own database: only a catalogue is read
    if value:
        env["DATABASE_PREPARED_STATEMENTS"] = value

    result = _manage("shell", "-c", PREPARED_PROBE, **env)

    assert result.returncode == 0, result.stderr
    count = int(result.stdout.split("prepared")[-1])
    assert (count > 0) is prepared, result.stdout
