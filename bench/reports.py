"""Benchmark of the reports list and search (not a test): run against PostgreSQL.

    DATABASE_URL=postgresql://... SECRET_KEY=... python bench/reports.py [--reports N]

Fills a scratch database (`bench_<name>`, dropped afterwards) with N published reports at
every TLP from ten member organisations, then times the reports page a member sees: the
plain list, full-text searches (a rare word, words in every report, an indicator's clean
and defanged spellings), a filtered list, and the last page. Prints the queries per page
(they must not grow with N) and whether PostgreSQL answers the search from the GIN index.

The search documents are filled with the SQL the report services run
(sharing.search.report_search_refresh), for all reports at once.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

WORDS = [
    "ransomware",
    "loader",
    "phishing",
    "credential",
    "harvesting",
    "beacon",
    "lateral",
    "movement",
    "wiper",
    "botnet",
    "exfiltration",
    "supply",
    "chain",
    "vpn",
    "appliance",
    "exploit",
    "vulnerability",
    "scada",
    "historian",
    "substation",
    "firmware",
    "backdoor",
    "web",
    "shell",
    "dropper",
    "persistence",
    "scheduled",
    "task",
    "invoice",
    "lure",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=20_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark against PostgreSQL (set DATABASE_URL).")
    setup_test_environment()
    connection.settings_dict["TEST"]["NAME"] = "bench_" + connection.settings_dict["NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.reports)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(count: int) -> None:
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from accounts.models import Membership, Organisation, Sector
    from accounts.services.organisations import organisation_create
    from accounts.services.people import membership_create, user_create
    from sharing.models import Indicator, Report, ReportIndicator
    from sharing.search import REFRESH_ALL_SQL
    from sharing.tlp import TLP
    from tests.fixtures.members import sign_in

    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["testserver"]
    # No collectstatic here: plain static file names, as in the test suite.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    energy = Sector.objects.get_or_create(slug="energy", defaults={"name": "Energy"})[0]
    organisations = [
        organisation_create(
            name=f"Member {n}",
            by=None,
            status=Organisation.Status.ACTIVE,
            is_isac=n == 0,
            sectors=[energy],
        )
        for n in range(10)
    ]
    people = []
    for n, org in enumerate(organisations):
        user = user_create(email=f"analyst{n}@bench.test", full_name=f"Analyst {n}", password=None)
        role = Membership.Role.ISAC_ADMIN if org.is_isac else Membership.Role.ANALYST
        membership_create(user=user, organisation=org, role=role, by=None)
        people.append(user)
    rng = random.Random(7)
    now = timezone.now()
    started = time.perf_counter()
    rows = []
    for n in range(count):
        author = rng.randrange(1, 10)
        words = " ".join(rng.choice(WORDS) for _ in range(120))
        if n % 100 == 0:
            words += " kerberoasting against service accounts"
        indicators = ""
        if n == 1:
            # Pasted defanged; the extracted value is stored clean (linked below).
            words += " beacons to 185.220.101[.]47 every hour"
            indicators = "185.220.101[.]47"
        rows.append(
            Report(
                title=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} report {n}",
                summary=" ".join(rng.choice(WORDS) for _ in range(25)),
                body_markdown=words,
                tlp=rng.choice([TLP.CLEAR, TLP.GREEN, TLP.AMBER]),
                status=Report.Status.PUBLISHED,
                # Distinct publication times, one a minute back from now.
                published_at=now - timedelta(minutes=n),
                author=people[author],
                organisation=organisations[author],
                audience_everyone=True,
                attributed=rng.random() < 0.5,
                indicators_text=indicators,
            )
        )
    Report.objects.bulk_create(rows, batch_size=2000)
    beacon = Report.objects.get(title__endswith=" report 1")
    indicator = Indicator.objects.create(
        type="ipv4-addr",
        value="185.220.101.47",
        stix_id="ipv4-addr--bench",
        first_seen=now,
        last_seen=now,
    )
    ReportIndicator.objects.create(
        report=beacon, indicator=indicator, first_seen=now, last_seen=now
    )
    with connection.cursor() as cursor:
        cursor.execute(REFRESH_ALL_SQL)
        cursor.execute("VACUUM ANALYZE sharing_report")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"{count:,} reports loaded in {time.perf_counter() - started:.1f} s"
    )

    # The ISAC organisation is in good standing without an agreement; members sign one. Its
    # admin signs in with the second factor, as the portal requires of ISAC staff.
    client = sign_in(Client(), people[0])
    pages = {
        "list, newest first": "/reports/",
        "search 'kerberoasting' (1%)": "/reports/?q=kerberoasting",
        "search 'ransomware wiper' (all)": "/reports/?q=ransomware+wiper",
        "search 'ransomware' (all), newest": "/reports/?q=ransomware&sort=newest",
        "search '185.220.101.47' (clean)": "/reports/?q=185.220.101.47",
        "search '185.220.101[.]47' (defanged)": "/reports/?q=185.220.101%5B.%5D47",
        "filter TLP:AMBER, type alert": "/reports/?tlp=amber&report_type=alert",
        "last page": f"/reports/?page={max(1, count // 20)}",
    }
    for label, url in pages.items():
        timings = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - began)
            assert response.status_code == 200, (url, response.status_code)
        found = response.context["page"].paginator.count
        print(
            f"{label:38} median {statistics.median(timings) * 1000:7.1f} ms, "
            f"{len(queries.captured_queries)} queries, {found:,} reports"
        )

    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM sharing_report WHERE search_document "
            "@@ websearch_to_tsquery('english'::regconfig, %s)",
            ["kerberoasting"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    uses_index = "sharing_report_search_document_gin" in plan
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"search for a rare word uses the GIN index: {'yes' if uses_index else 'no'}")


if __name__ == "__main__":
    main()
