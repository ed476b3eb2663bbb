"""MISP feed benchmark: a member's MISP polling a feed of 10,000 events.

    createdb -h 127.0.0.1 -U postgres portal_bench_misp      # emptied by the script
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_bench_misp \
    REDIS_URL=redis://127.0.0.1:6379/<a database of its own: it is flushed> \
    SECRET_KEY=<32+ characters> python bench/misp_feed.py --reports 10000 --indicators 10

Fills the database with that many published reports (written with SQL, as bench/taxii.py
does: TLP:CLEAR, GREEN and AMBER, all addressed to every member), five STIX objects and
`--indicators` indicator links each, then reads the "Everything I can see" feed as a member
with an API token through Django's test client in this process, the way MISP does:

- manifest.json written from the database (cache empty), served from the cache, and a
  conditional GET (If-None-Match) of an unchanged feed (what a poll every few minutes costs);
- one <event-uuid>.json, written and cached, median of `--events` random events;
- hashes.csv, streamed.

For each: wall time and the peak of Python memory allocated while answering (tracemalloc),
and the queries one request makes.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.taxii import add_reports, ensure_database, insert, seed_portal  # noqa: E402

INDICATORS_SQL = """
WITH numbered AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM sharing_report
)
INSERT INTO sharing_indicator (type, value, stix_id, first_seen, last_seen)
SELECT 'domain', 'c2-' || numbered.n || '-' || k || '.bench-c2.top',
       'domain-name--' || md5(numbered.n || '-' || k)::uuid, now(), now()
FROM numbered, generate_series(1, %(per_report)s::bigint) AS k
"""

LINKS_SQL = """
WITH numbered AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM sharing_report
)
INSERT INTO sharing_reportindicator (report_id, indicator_id, first_seen, last_seen,
    confidence, description, on_warning_list, kept_by_insistence, origin)
SELECT numbered.id, i.id, now(), now(), 50, 'Command server of the loader.', '', false, 'text'
FROM numbered CROSS JOIN generate_series(1, %(per_report)s::bigint) AS k
JOIN sharing_indicator i ON i.value = 'c2-' || numbered.n || '-' || k || '.bench-c2.top'
"""


def prepare(reports: int, per_report: int) -> tuple[str, str]:
    """Seed; return the reader's token and the feed's folder URL."""
    token = seed_portal(1)  # sets Django up

    from django.db import connection
    from django.urls import reverse

    from sharing.feeds.services import feeds_ensure_builtin
    from sharing.models import Feed

    ids = add_reports(reports)
    insert(ids, 2, 1 + 5 * reports, per_report=5, revised=0)
    with connection.cursor() as cursor:
        # Everything to every member, so the reader's feed holds every report.
        cursor.execute("UPDATE sharing_report SET audience_everyone = true")
        cursor.execute(INDICATORS_SQL, {"per_report": per_report})
        cursor.execute(LINKS_SQL, {"per_report": per_report})
        cursor.execute("VACUUM ANALYZE")
    feeds_ensure_builtin()
    feed = Feed.objects.get(kind=Feed.Kind.EVERYTHING)
    url = reverse("misp:feed-manifest", args=[feed.uuid]).removesuffix("manifest.json")
    return token, url


def measure(request: Callable[[], Any]) -> tuple[float, float, int, Any]:
    """(seconds, peak MiB allocated, queries, response) of one request, body consumed."""
    from django.db import connection, reset_queries

    reset_queries()
    tracemalloc.start()
    started = time.perf_counter()
    response = request()
    size = 0
    if getattr(response, "streaming", False):
        for chunk in response.streaming_content:
            size += len(chunk)
    else:
        size = len(response.content)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    response.body_size = size
    return elapsed, peak / 2**20, len(connection.queries), response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--indicators", type=int, default=10, help="per report")
    parser.add_argument("--events", type=int, default=200, help="random events to time")
    args = parser.parse_args()

    database_url = os.environ["DATABASE_URL"]
    ensure_database(database_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["API_RATE_LIMIT"] = "1000000/min"
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

    token, url = prepare(args.reports, args.indicators)

    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    settings.DEBUG = True  # counts queries (connection.queries)
    cache.clear()
    client = Client()
    auth = {"Authorization": f"Bearer {token}"}

    def get(name: str, **extra: str) -> Any:
        return client.get(url + name, headers={**auth, **extra})

    print(
        f"{args.reports} reports, {args.indicators} indicators each; cache: "
        f"{str(settings.CACHES['default']['BACKEND']).rsplit('.', 1)[-1]}"
    )
    print(f"{'request':44} {'seconds':>8} {'peak MiB':>9} {'queries':>8} {'bytes':>11} status")

    def row(label: str, result: tuple[float, float, int, Any]) -> None:
        seconds, peak, queries, response = result
        print(
            f"{label:44} {seconds:8.3f} {peak:9.1f} {queries:8d} "
            f"{response.body_size:11,d} {response.status_code}"
        )

    cold = measure(lambda: get("manifest.json"))
    row("manifest.json, written (cache empty)", cold)
    row("manifest.json, from the cache", measure(lambda: get("manifest.json")))
    etag = cold[3]["ETag"]
    row(
        "manifest.json, If-None-Match, unchanged",
        measure(lambda: get("manifest.json", **{"If-None-Match": etag})),
    )

    manifest = json.loads(get("manifest.json").content)  # from the cache: not streamed
    print(f"  manifest entries: {len(manifest):,}")
    sample = random.Random(7).sample(sorted(manifest), min(args.events, len(manifest)))

    def event(event_uuid: str) -> Callable[[], Any]:
        return lambda: get(f"{event_uuid}.json")

    written = [measure(event(e)) for e in sample]
    cached = [measure(event(e)) for e in sample]
    for label, results in (
        ("event.json, written (median)", written),
        ("event.json, from the cache (median)", cached),
    ):
        median = statistics.median(r[0] for r in results)
        peak = max(r[1] for r in results)
        queries = max(r[2] for r in results)
        print(
            f"{label:44} {median:8.4f} {peak:9.2f} {queries:8d} "
            f"{results[0][3].body_size:11,d} {results[0][3].status_code}"
        )
    row("hashes.csv, streamed", measure(lambda: get("hashes.csv")))


if __name__ == "__main__":
    main()
