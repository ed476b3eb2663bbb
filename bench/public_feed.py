"""Benchmark of the public TLP:CLEAR feed (not a test): run against PostgreSQL and Redis.

    DATABASE_URL=postgresql://... REDIS_URL=redis://... SECRET_KEY=... \\
        python bench/public_feed.py [--reports N] [--indicators K]

Fills a scratch database (`bench_<name>`, dropped afterwards) with N released TLP:CLEAR
reports of K indicators each (and as many reports that must stay off the feed: AMBER, and
CLEAR not released), with their STIX object rows, turns the feed on and times, through
Django's test client as an anonymous reader: each public answer built afresh (server cache
emptied), served from the server cache, and answered 304 to a conditional request. Prints
medians and the queries each costs. It empties the cache of the Redis database it is given:
point REDIS_URL at a scratch database index.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = 5


def fill(reports: int, indicators: int) -> None:
    from accounts.models import Organisation, User
    from sharing.models import Indicator, Report, ReportIndicator, ReportRevision, StixObject
    from sharing.public.services import public_feed_set
    from sharing.tlp import TLP

    isac = Organisation.objects.create(name="Bench ISAC", is_isac=True, status="active")
    author = User.objects.create(email="curator@bench.example", full_name="Curator")
    now = timezone.now()
    rows = []
    for i in range(reports * 2):
        released = i % 2 == 0
        rows.append(
            Report(
                title=f"Report {i}",
                summary=f"Summary of report {i}.",
                tlp=TLP.CLEAR if released or i % 4 == 1 else TLP.AMBER,
                public_release=released,
                status=Report.Status.PUBLISHED,
                author=author,
                organisation=isac,
                published_at=now - timedelta(seconds=i),
                audience_everyone=True,
            )
        )
    made = Report.objects.bulk_create(rows, batch_size=2000)
    ReportRevision.objects.bulk_create(
        [
            ReportRevision(
                report=r,
                number=1,
                title=r.title,
                tlp=r.tlp,
                public_release=r.public_release,
                created_by=author,
            )
            for r in made
        ],
        batch_size=2000,
    )
    values = [
        Indicator(
            type="ipv4",
            value=f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            stix_id=f"ipv4-addr--{uuid.uuid4()}",
            first_seen=now,
            last_seen=now,
        )
        for n in range(len(made) * indicators)
    ]
    Indicator.objects.bulk_create(values, batch_size=5000)
    links, objects = [], []
    for r_index, report in enumerate(made):
        for k in range(indicators):
            indicator = values[r_index * indicators + k]
            links.append(
                ReportIndicator(report=report, indicator=indicator, first_seen=now, last_seen=now)
            )
            objects.append(
                StixObject(
                    stix_id=indicator.stix_id,
                    type="ipv4-addr",
                    modified=now,
                    data={
                        "type": "ipv4-addr",
                        "spec_version": "2.1",
                        "id": indicator.stix_id,
                        "value": indicator.value,
                    },
                    is_newest=True,
                    report=report,
                )
            )
    ReportIndicator.objects.bulk_create(links, batch_size=5000)
    StixObject.objects.bulk_create(objects, batch_size=5000)
    public_feed_set(enabled=True, by=None)


def timed(client: Client, path: str, headers: dict[str, str]) -> tuple[float, int, int, int]:
    """Median milliseconds, queries, status and body size of RUNS requests."""
    times, queries, status, size = [], 0, 0, 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(path, secure=True, headers=headers)
            times.append((time.perf_counter() - start) * 1000)
        queries, status, size = len(captured), response.status_code, len(response.content)
    return statistics.median(times), queries, status, size


def run(reports: int, indicators: int) -> None:
    from sharing.public.taxii import PUBLIC_COLLECTION_ID

    fill(reports, indicators)
    settings.PUBLIC_FEED_RATE_LIMIT = "1000000/min"
    # Pages name static files; this run has not collected them.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()
    taxii = {"Accept": "application/taxii+json;version=2.1"}
    paths: list[tuple[str, str, dict[str, str]]] = [
        ("indicators.txt", "/public/indicators.txt", {}),
        ("indicators.csv", "/public/indicators.csv", {}),
        ("Atom feed", "/public/feed.atom", {}),
        ("public index", "/public/", {}),
        (
            "TAXII objects, first page (1,000)",
            f"/public/taxii2/clear/collections/{PUBLIC_COLLECTION_ID}/objects/",
            taxii,
        ),
    ]
    print(f"{reports} released reports ({reports} kept off), {indicators} indicators each")
    print("| answer | built | from the server cache | 304 | queries built / cached / 304 | size |")
    print("|---|---:|---:|---:|---|---:|")
    for label, path, headers in paths:
        built_times = []
        for _ in range(RUNS):
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(path, secure=True, headers=headers)
                built_times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
            built_queries = len(captured)
        cached, cached_queries, _, size = timed(client, path, headers)
        conditional = {**headers, "If-None-Match": response["ETag"]}
        not_modified, nm_queries, status, _ = timed(client, path, conditional)
        assert status == 304
        print(
            f"| {label} | {statistics.median(built_times):.0f} ms | {cached:.0f} ms | "
            f"{not_modified:.0f} ms | {built_queries} / {cached_queries} / {nm_queries} | "
            f"{size / 1024:.0f} KiB |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=5_000)
    parser.add_argument("--indicators", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("Run the benchmark against PostgreSQL and Redis (DATABASE_URL, REDIS_URL).")
    setup_test_environment()
    connection.settings_dict["TEST"]["NAME"] = "bench_" + connection.settings_dict["NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.reports, args.indicators)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
