"""Pages under load: a real gunicorn, `wrk` clients, the pages members use most.

    apt-get install wrk
    python bench/pages.py --reports 20000 --reports 100000 --users 1 10 20 --seconds 10

For each report count, fills a database of its own (`--database-url`, emptied first) with
that many published reports written with SQL (one a minute back from now, so publication
times are distinct; a quarter TLP:AMBER for another member, which the reader never sees),
five STIX objects each plus one report of 1,000, and their search documents; then serves
the portal with gunicorn (`--workers`, sync) and drives each page with `wrk` at each number
of concurrent users (connections) for `--seconds`. Prints requests per second, p50, p95
and p99 latency, errors (non-2xx answers and socket errors), and the SQL queries one
request of the page makes (counted in-process with Django's test client).

The reader is an analyst of a member in good standing, signed in with a session cookie
(pages) or an API token (API, TAXII).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.taxii import (  # noqa: E402
    add_reports,
    django_env,
    ensure_database,
    free_port,
    insert,
    running,
    seed_portal,
)

# Prints one line wrk's own output does not have: p95, and errors split by kind.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local socket = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.timeout
  io.write(string.format("RESULT %d %f %f %f %f %d %d\\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.status, socket))
end
"""


def prepare(reports: int) -> dict[str, Any]:
    """Seed the database; return what the clients need: URLs, cookie, token."""
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import Membership
    from sharing.models import Report
    from sharing.search import REFRESH_ALL_SQL
    from sharing.taxii.selectors import SHARED_WITH_ME_ID

    token = seed_portal(1000)
    # Pages render with the hashed static file names of the production storage.
    call_command("collectstatic", interactive=False, verbosity=0)
    ids = add_reports(reports)
    insert(ids, 1001, 1000 + 5 * reports, per_report=5, revised=20)
    with connection.cursor() as cursor:
        cursor.execute(REFRESH_ALL_SQL)
        cursor.execute("VACUUM ANALYZE sharing_report")
    reader = Membership.objects.get(user__email="analyst@bench.test")
    client = Client()
    client.force_login(reader.user)
    newest = Report.objects.filter(organisation=reader.organisation).order_by("-published_at")
    return {
        "cookie": f"sessionid={client.cookies['sessionid'].value}",
        "token": token,
        "pages": {
            "report list": ("/reports/", "cookie"),
            "report detail": (f"/reports/{newest.first().uuid}/", "cookie"),  # type: ignore[union-attr]
            "dashboard": ("/", "cookie"),
            "/api/v1/reports/": ("/api/v1/reports/", "token"),
            "TAXII 1,000 objects": (
                f"/taxii2/portal/collections/{SHARED_WITH_ME_ID}/objects/?limit=1000",
                "token",
            ),
        },
    }


def headers(kind: str, setup: dict[str, Any]) -> dict[str, str]:
    if kind == "cookie":
        return {"Cookie": setup["cookie"]}
    accept = "application/taxii+json;version=2.1"
    return {"Authorization": f"Bearer {setup['token']}", "Accept": f"{accept}, application/json"}


def queries_per_request(path: str, extra: dict[str, str]) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in extra.items()}
    client = Client(headers=None, **meta)  # type: ignore[arg-type]
    client.get(path)  # a first request records the token's use
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries.captured_queries)


def drive(url: str, extra: dict[str, str], users: int, seconds: int, script: Path) -> str:
    command = [
        "wrk", f"-t{min(users, 2)}", f"-c{users}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(script),
    ]  # fmt: skip
    for name, value in extra.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)", output)
    if match is None:
        raise SystemExit(f"wrk said:\n{output}")
    requests, duration, p50, p95, p99, non2xx, socket = (float(g) for g in match.groups())
    return (
        f"{requests / duration:8.1f} {p50:8.1f} {p95:8.1f} {p99:8.1f} "
        f"{int(non2xx) + int(socket):7d}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, action="append")
    parser.add_argument("--users", type=int, nargs="+", default=[1, 10, 20])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/portal_bench_pages"
        ),
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("Install wrk first (apt-get install wrk).")
    env = django_env(args.database_url)
    env["SECURE_SSL_REDIRECT"] = "0"
    os.environ.update(env)
    ensure_database(args.database_url)
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    print(f"{os.cpu_count()} cores, gunicorn with {args.workers} sync workers, wrk")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "report.lua")
        script.write_text(WRK_SCRIPT)
        for reports in args.reports or [20_000]:
            setup = prepare(reports)
            port = free_port()
            command = [
                sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind",
                f"127.0.0.1:{port}", "--workers", str(args.workers), "--preload",
                "--log-level", "warning",
            ]  # fmt: skip
            print(f"\n{reports:,} reports")
            print(f"{'page':22} {'users':>5} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
                  f"{'p99 ms':>8} {'errors':>7} {'queries':>7} {'load':>5}")  # fmt: skip
            with running(command, port, env):
                for label, (path, kind) in setup["pages"].items():
                    extra = headers(kind, setup)
                    count = queries_per_request(path, extra)
                    url = f"http://127.0.0.1:{port}{path}"
                    drive(url, extra, 2, 2, script)  # every worker has answered once
                    for users in args.users:
                        result = drive(url, extra, users, args.seconds, script)
                        load = os.getloadavg()[0]
                        print(f"{label:22} {users:5d} {result} {count:7d} {load:5.1f}", flush=True)


if __name__ == "__main__":
    main()
