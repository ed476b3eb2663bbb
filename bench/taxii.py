"""TAXII benchmark: the portal against medallion 3.0.0, the OASIS reference server.

    pip install -e .[dev,bench]
    python bench/taxii.py --n 5000 --million 1000000

Loads N indicators into one collection of the portal (PostgreSQL, `--database-url`, a
database of its own that is emptied first) and into medallion's memory backend, then
fetches them all from both with the OASIS taxii2-client (`as_pages`, 1,000 per page) and
reports objects per second. Then it grows the portal's collection to `--million` objects
and reports the median time of one 1,000-object page at random positions in it.

Both servers run on this machine, on the loopback interface only.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MEDIA = "application/taxii+json;version=2.1"
PAGE = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"Nothing listens on port {port} after {timeout} s.")


@contextmanager
def running(command: list[str], port: int, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        wait_for_port(port)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def django_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnop"),
        SECURE_SSL_REDIRECT="0",
        API_RATE_LIMIT="1000000/min",
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    return env


# --- Portal data ----------------------------------------------------------------------------

INSERT_SQL = """
INSERT INTO sharing_stixobject
    (stix_id, type, spec_version, modified, date_added, data, is_newest, report_id,
     report_version)
SELECT 'indicator--' || s.u, 'indicator', '2.1', s.modified, s.added,
       jsonb_build_object(
           'type', 'indicator', 'spec_version', '2.1', 'id', 'indicator--' || s.u,
           'created', s.created, 'modified', s.stamp,
           'name', 'Malicious domain bench' || s.i || '.example',
           'description', 'Benchmark indicator ' || s.i || ' version ' || (s.version + 1),
           'indicator_types', jsonb_build_array('malicious-activity'),
           'pattern', '[domain-name:value = ''bench' || s.i || '.example'']',
           'pattern_type', 'stix', 'pattern_version', '2.1', 'valid_from', s.created,
           'object_marking_refs',
           jsonb_build_array('marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb')),
       s.version = s.versions - 1,
       (%(reports)s::bigint[])[1 + mod(s.i / %(per_report)s, cardinality(%(reports)s::bigint[]))],
       1
FROM (
    SELECT t.i, t.u, t.versions, v.version,
           t.ts + v.version * interval '1 day' AS modified,
           t.ts + v.version * interval '1 hour' AS added,
           to_char(t.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created,
           to_char((t.ts + v.version * interval '1 day') AT TIME ZONE 'UTC',
                   'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS stamp
    FROM (
        -- Ten objects share each date_added, so paging must break ties by row id; every
        -- `revised`-th object has a second version, added an hour after the first.
        SELECT i, gen_random_uuid() AS u,
               timestamptz '2026-01-01 00:00:00+00' + (i / 10) * interval '1 millisecond' AS ts,
               CASE WHEN %(revised)s > 0 AND mod(i, %(revised)s) = 0 THEN 2 ELSE 1 END
                   AS versions
        FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS i
    ) AS t
    CROSS JOIN LATERAL generate_series(0, t.versions - 1) AS v (version)
) AS s
"""

REPORTS_SQL = """
INSERT INTO sharing_report
    (uuid, title, summary, body_markdown, tlp, report_type, confidence, status, attributed,
     audience_everyone, created_at, updated_at, published_at, version, author_id,
     organisation_id, indicators_text, withdrawn_reason, public_release, government_consent,
     government_cisa_proprietary)
SELECT gen_random_uuid(), 'Bench report ' || i,
       'Loader activity seen by member ' || mod(i, 7) || ' against its VPN appliances.',
       'The loader arrives by phishing e-mail with an invoice lure, then beacons to its '
       || 'command server every ' || (1 + mod(i, 60)) || ' minutes. Block the domain '
       || 'bench' || i || '.example and hunt for scheduled tasks created by the dropper.',
       -- One in four is TLP:AMBER for another member alone: the bench member never sees it.
       CASE WHEN mod(i, 4) = 0 THEN 'amber' WHEN mod(i, 2) = 0 THEN 'green' ELSE 'clear' END,
       'alert', 50, 'published', true, mod(i, 4) <> 0, now(), now(),
       now() - i * interval '1 minute', 1,
       CASE WHEN mod(i, 4) = 0 THEN %(other_user)s ELSE %(user)s END,
       CASE WHEN mod(i, 4) = 0 THEN %(other_org)s ELSE %(org)s END, '', '', false, '', false
FROM generate_series(1, %(count)s::bigint) AS i
RETURNING id
"""

HEADS_SQL = """
INSERT INTO sharing_stixversionhead AS head (stix_id, modified)
SELECT stix_id, max(modified) FROM sharing_stixobject GROUP BY stix_id
ON CONFLICT (stix_id) DO UPDATE SET modified = GREATEST(head.modified, EXCLUDED.modified)
"""


def seed_portal(n: int) -> str:
    """An empty portal with two members, a published TLP:GREEN report of N indicators of the
    first and an API token; returns the token."""
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import AgreementAcceptance, AgreementVersion, Membership, Organisation
    from accounts.services.organisations import organisation_create
    from accounts.services.people import membership_create, user_create
    from accounts.services.tokens import token_issue
    from sharing.models import Report, ReportRevision

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    agreement = AgreementVersion.objects.create(
        title="Agreement",
        version_label="bench",
        body_markdown="Bench",
        effective_date=timezone.localdate() - timedelta(days=1),
        published_at=timezone.now() - timedelta(days=1),
        body_sha256="0" * 64,
    )
    memberships = []
    for name, domain in (("Bench member", "bench.test"), ("Other member", "other.test")):
        org = organisation_create(
            name=name, by=None, status=Organisation.Status.ACTIVE, domains=[domain]
        )
        user = user_create(email=f"analyst@{domain}", full_name=name, password="bench-pass-123")
        memberships.append(
            membership_create(user=user, organisation=org, role=Membership.Role.ANALYST, by=None)
        )
        AgreementAcceptance.objects.create(
            organisation=org,
            version=agreement,
            accepted_by=user,
            typed_full_name=name,
            text_sha256=agreement.body_sha256,
            expires_at=timezone.now() + timedelta(days=365),
        )
    membership = memberships[0]
    report = Report.objects.create(
        title="Bench",
        tlp="green",
        status=Report.Status.PUBLISHED,
        published_at=timezone.now(),
        author=membership.user,
        organisation=membership.organisation,
        audience_everyone=True,
    )
    # Version 1 as publication records it: objects are read under its TLP and audience.
    ReportRevision.objects.create(
        report=report,
        number=1,
        title="Bench",
        tlp="green",
        audience_everyone=True,
        created_by=membership.user,
    )
    _, token = token_issue(membership=membership, name="bench", by=None)
    insert([report.pk], 1, n, per_report=n, revised=0)
    return token


def add_reports(count: int) -> list[int]:
    """`count` published reports of both members (see REPORTS_SQL), written with SQL."""
    from django.db import connection

    from accounts.models import Membership

    mine, other = (
        Membership.objects.get(user__email=f"analyst@{domain}")
        for domain in ("bench.test", "other.test")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            REPORTS_SQL,
            {
                "count": count,
                "user": mine.user_id,
                "org": mine.organisation_id,
                "other_user": other.user_id,
                "other_org": other.organisation_id,
            },
        )
        return [row[0] for row in cursor.fetchall()]


def insert(
    reports: list[int],
    start: int,
    stop: int,
    *,
    per_report: int,
    revised: int,
    chunk: int = 200_000,
) -> None:
    """Objects `start` to `stop`, `per_report` consecutive ones to each of the reports in
    turn, every `revised`-th in two versions (0: none); then the newest-version heads."""
    from django.db import connection

    with connection.cursor() as cursor:
        for low in range(start, stop + 1, chunk):
            high = min(low + chunk - 1, stop)
            cursor.execute(
                INSERT_SQL,
                {
                    "reports": reports,
                    "per_report": per_report,
                    "revised": revised,
                    "start": low,
                    "stop": high,
                },
            )
        cursor.execute(HEADS_SQL)
        cursor.execute("VACUUM ANALYZE")


def exported_objects() -> list[tuple[dict[str, Any], str]]:
    from sharing.models import StixObject
    from sharing.taxii.protocol import format_timestamp

    return [
        (data, format_timestamp(added))
        for data, added in StixObject.objects.order_by("date_added", "pk").values_list(
            "data", "date_added"
        )
    ]


# --- Fetching -------------------------------------------------------------------------------


def fetch_all(collection: Any) -> tuple[int, float]:
    from taxii2client.v21 import as_pages

    started = time.perf_counter()
    count = 0
    for envelope in as_pages(collection.get_objects, per_request=PAGE):
        count += len(envelope.get("objects", []))
    return count, time.perf_counter() - started


def portal_collection(port: int, token: str) -> Any:
    from taxii2client.v21 import Server

    from sharing.taxii.selectors import SHARED_WITH_ME_ID

    server = Server(f"http://127.0.0.1:{port}/taxii2/", user="bench", password=token)
    return next(c for c in server.default.collections if c.id == str(SHARED_WITH_ME_ID))


def run_portal(port: int, env: dict[str, str], token: str, n: int) -> float:
    command = [
        sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--preload", "--log-level", "warning",
    ]  # fmt: skip
    with running(command, port, env):
        collection = portal_collection(port, token)
        for _ in range(4):  # every worker has answered once before the clock starts
            collection.get_objects(limit=1)
        count, seconds = fetch_all(collection)
    assert count == n, f"the portal served {count} objects, expected {n}"
    return seconds


def run_medallion(port: int, objects: list[tuple[dict[str, Any], str]], timeout: float) -> float:
    from taxii2client.v21 import Server

    collection_id = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
    data = {
        "/discovery": {
            "title": "medallion",
            "default": f"http://127.0.0.1:{port}/api1/",
            "api_roots": [f"http://127.0.0.1:{port}/api1/"],
        },
        "api1": {
            "information": {
                "title": "bench",
                "versions": [MEDIA],
                "max_content_length": 10_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": collection_id,
                    "title": "bench",
                    "can_read": True,
                    "can_write": False,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [obj for obj, _ in objects],
                    "manifest": [
                        {
                            "id": obj["id"],
                            "date_added": added,
                            "version": obj["modified"],
                            "media_type": "application/stix+json;version=2.1",
                        }
                        for obj, added in objects
                    ],
                }
            ],
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        data_file = Path(tmp, "data.json")
        data_file.write_text(json.dumps(data))
        config = {
            "backend": {
                "module": "medallion.backends.memory_backend",
                "module_class": "MemoryBackend",
                "filename": str(data_file),
            },
            "users": {"bench": "bench"},
            "taxii": {"max_page_size": PAGE},
        }
        config_file = Path(tmp, "config.json")
        config_file.write_text(json.dumps(config))
        command = [
            sys.executable, "-c", "from medallion.scripts.run import main; main()",
            "--port", str(port), str(config_file),
        ]  # fmt: skip
        with running(command, port, dict(os.environ)):
            server = Server(f"http://127.0.0.1:{port}/taxii2/", user="bench", password="bench")
            collection = server.api_roots[0].collections[0]
            collection._conn.session.timeout = timeout
            count, seconds = fetch_all(collection)
    assert count == len(objects), f"medallion served {count} objects, expected {len(objects)}"
    return seconds


def run_opentaxii(
    port: int, objects: list[tuple[dict[str, Any], str]], python: str, database_url: str
) -> float:
    """OpenTAXII 0.9.3 (TAXII 2.1, SQL persistence in PostgreSQL, gunicorn with two workers),
    loaded with the same objects through its own persistence API, read with the same client.

    OpenTAXII pins its own Flask, SQLAlchemy and marshmallow, so it runs from its own virtual
    environment (`python`); bench/opentaxii_server.py does the loading and serving there.
    """
    import psycopg
    from taxii2client.v21 import Collection

    name = database_url.rsplit("/", 1)[1] + "_opentaxii"
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    sqlalchemy_url = database_url.rsplit("/", 1)[0].replace(
        "postgresql://", "postgresql+psycopg2://"
    )
    with tempfile.TemporaryDirectory() as tmp:
        objects_file = Path(tmp, "objects.json")
        objects_file.write_text(json.dumps([obj for obj, _ in objects]))
        command = [
            python, str(ROOT / "bench" / "opentaxii_server.py"), tmp, str(objects_file),
            f"{sqlalchemy_url}/{name}", str(port),
        ]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=tmp)
        try:
            assert process.stdout is not None
            ready = process.stdout.readline().split()
            if not ready or ready[0] != "READY":
                raise SystemExit(f"OpenTAXII did not start: {ready}")
            wait_for_port(port)
            root_id, collection_id = ready[1], ready[2]
            url = f"http://127.0.0.1:{port}/taxii2/{root_id}/collections/{collection_id}/"
            collection = Collection(url, user="bench", password="bench")
            for _ in range(4):  # every worker has answered once before the clock starts
                collection.get_objects(limit=1)
            count, seconds = fetch_all(collection)
        finally:
            process.terminate()
            process.wait(timeout=30)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    assert count == len(objects), f"OpenTAXII served {count} objects, expected {len(objects)}"
    return seconds


def page_times(port: int, env: dict[str, str], token: str, samples: int) -> tuple[list[float], int]:
    """Seconds for one 1,000-object page, first page and pages at random positions."""
    import requests
    from django.db import connection

    from sharing.taxii.protocol import Cursor, encode_cursor
    from sharing.taxii.selectors import SHARED_WITH_ME_ID

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sharing_stixobject")
        (total,) = cursor.fetchone()
        # Not too near the end: a quarter of the rows belong to reports the caller cannot see
        # and some are older versions, so the last rows hold fewer than a page for it.
        offsets = sorted(random.Random(8).sample(range(int(total * 0.8)), samples - 1))
        positions = []
        for offset in offsets:
            cursor.execute(
                "SELECT date_added, id FROM sharing_stixobject ORDER BY date_added, id "
                "OFFSET %s LIMIT 1",
                [offset],
            )
            positions.append(cursor.fetchone())
    cursors = [None] + [encode_cursor(Cursor(date_added=d, row_id=i)) for d, i in positions]
    report_query_times([None] + [Cursor(date_added=d, row_id=i) for d, i in positions])
    url = f"http://127.0.0.1:{port}/taxii2/portal/collections/{SHARED_WITH_ME_ID}/objects/"
    headers = {"Accept": MEDIA, "Authorization": f"Bearer {token}"}
    command = [
        sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--preload", "--log-level", "warning",
    ]  # fmt: skip
    times = []
    with running(command, port, env), requests.Session() as session:
        for _ in range(4):  # every worker has answered once before the clock starts
            session.get(url, headers=headers, params={"limit": 1})
        for cursor_token in cursors:
            params: dict[str, Any] = {"limit": PAGE}
            if cursor_token:
                params["next"] = cursor_token
            started = time.perf_counter()
            response = session.get(url, headers=headers, params=params)
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            assert len(response.json()["objects"]) == PAGE
            times.append(elapsed)
    return times, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument(
        "--reports",
        type=int,
        default=20_000,
        help="reports the growth to --million objects is spread over (a quarter not visible)",
    )
    parser.add_argument(
        "--revised", type=int, default=20, help="every n-th added object has two versions"
    )
    parser.add_argument("--samples", type=int, default=21)
    parser.add_argument("--medallion-timeout", type=float, default=600)
    parser.add_argument("--skip-medallion", action="store_true")
    parser.add_argument(
        "--opentaxii-python",
        default=str(ROOT / ".venv-opentaxii" / "bin" / "python"),
        help="python of a virtual environment with opentaxii==0.9.3, psycopg2-binary and "
        "gunicorn installed ('' to skip OpenTAXII)",
    )
    parser.add_argument(
        "--pages-only",
        action="store_true",
        help="only time pages of the collection a previous run left in the database",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/portal_bench_taxii"
        ),
    )
    args = parser.parse_args()
    env = django_env(args.database_url)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    ensure_database(args.database_url)

    if args.pages_only:
        report_pages(*page_times(free_port(), env, existing_token(), args.samples))
        return
    token = seed_portal(args.n)
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    portal_seconds = run_portal(free_port(), env, token, args.n)
    print(
        f"portal:    {args.n} objects in {portal_seconds:.3f} s = "
        f"{args.n / portal_seconds:,.0f} objects/s"
    )
    if not args.skip_medallion:
        medallion_seconds = run_medallion(free_port(), exported_objects(), args.medallion_timeout)
        print(
            f"medallion: {args.n} objects in {medallion_seconds:.3f} s = "
            f"{args.n / medallion_seconds:,.0f} objects/s"
        )
        print(f"portal / medallion: {medallion_seconds / portal_seconds:.0f} times faster")
    if args.opentaxii_python:
        opentaxii_seconds = run_opentaxii(
            free_port(), exported_objects(), args.opentaxii_python, args.database_url
        )
        print(
            f"OpenTAXII: {args.n} objects in {opentaxii_seconds:.3f} s = "
            f"{args.n / opentaxii_seconds:,.0f} objects/s"
        )
        print(f"portal / OpenTAXII: {opentaxii_seconds / portal_seconds:.1f} times faster")
    if args.million > args.n:
        started = time.perf_counter()
        reports = add_reports(args.reports)
        per_report = max(1, (args.million - args.n) // len(reports))
        insert(reports, args.n + 1, args.million, per_report=per_report, revised=args.revised)
        print(f"loaded {args.million:,} objects in {time.perf_counter() - started:.0f} s")
        report_pages(*page_times(free_port(), env, token, args.samples))


def report_query_times(cursors: list[Any]) -> None:
    """PostgreSQL's own execution time of each page query (EXPLAIN ANALYZE), and the rows
    its plan touched: the query's share of a page, apart from HTTP and Python."""
    import json as json_module

    from django.db import connection

    from accounts.models import Membership
    from sharing.taxii import selectors
    from sharing.taxii.protocol import ObjectQuery

    viewer = Membership.objects.get(user__email="analyst@bench.test")
    collection = selectors.collection_for(viewer, str(selectors.SHARED_WITH_ME_ID))
    assert collection is not None
    times, touched = [], []
    for cursor in cursors:
        page = selectors.page_queryset(collection.objects(), ObjectQuery(limit=PAGE, after=cursor))
        sql, params = page.query.sql_with_params()
        with connection.cursor() as db:
            db.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            (plan,) = db.fetchone()
        plan = json_module.loads(plan) if isinstance(plan, str) else plan
        times.append(plan[0]["Execution Time"] + plan[0]["Planning Time"])

        def rows(node: dict[str, Any]) -> int:
            own = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
            return own * node.get("Actual Loops", 1) + sum(rows(c) for c in node.get("Plans", []))

        touched.append(rows(plan[0]["Plan"]))
    print(
        f"page query in PostgreSQL (planning + execution): median "
        f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms; rows touched: median "
        f"{statistics.median(touched):,.0f}, max {max(touched):,}"
    )


def report_pages(times: list[float], total: int) -> None:
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"one {PAGE}-object page of {total:,}: median {statistics.median(times) * 1000:.1f} ms, "
        f"first {times[0] * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over {len(times)} pages"
    )


def existing_token() -> str:
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.models import Membership
    from accounts.services.tokens import token_issue

    call_command("migrate", verbosity=0)
    membership = Membership.objects.get(user__email="analyst@bench.test")
    return token_issue(membership=membership, name="bench pages", by=None)[1]


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
