"""Benchmark of the dashboards (not a test): run against PostgreSQL.

    DATABASE_URL=postgresql://... SECRET_KEY=... python bench/dashboards.py [--reports N]

Fills a scratch database (`bench_<name>`, dropped afterwards) with N published reports over
the last year from twelve member organisations in four sectors (every TLP; a third of the
AMBER ones addressed to a trust group of three members, the rest to the whole membership),
indicators on a fifth of them, sightings, comments, first reads and deliveries. Then times
the refresh that counts every figure (sharing.insights.refresh.insights_refresh), and each
dashboard page as its people open it: a member's analyst and admin (/figures/), the ISAC
admin (/figures/isac/ and its CSV), and the home page with its unread badge. Prints the
median of five requests per page and the queries one request makes.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from accounts.models import User  # noqa: E402

MEMBERS = 12
TARGET_MS = 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100_000)
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


def load(count: int) -> dict[str, "User"]:
    """The membership and `count` reports with what hangs off them; returns the people."""
    from django.utils import timezone

    from accounts.models import AgreementVersion, Membership, Organisation, Sector, TrustGroup
    from accounts.services.organisations import organisation_create
    from accounts.services.people import membership_create, user_create
    from sharing.models import (
        Comment,
        Delivery,
        Feed,
        Indicator,
        Notification,
        Report,
        ReportIndicator,
        ReportRead,
        Sighting,
        Subscription,
    )
    from sharing.tlp import TLP
    from tests.fixtures.personas import accept_agreement

    rng = random.Random(21)
    now = timezone.now()
    sectors = [
        Sector.objects.get_or_create(name=name, defaults={"slug": slug})[0]
        for slug, name in (
            ("energy", "Energy"),
            ("financial-services", "Financial Services"),
            ("healthcare", "Healthcare and Public Health"),
            ("water", "Water and Wastewater Systems"),
        )
    ]
    agreement = AgreementVersion.objects.create(
        title="Membership agreement",
        version_label="2026.1",
        body_markdown="Share in good faith.",
        effective_date=timezone.localdate() - timedelta(days=400),
        acceptable_use="Network defence only.",
        published_at=now - timedelta(days=400),
    )
    isac = organisation_create(
        name="Bench ISAC", by=None, status=Organisation.Status.ACTIVE, is_isac=True
    )
    isac_admin = user_create(email="admin@isac.bench", full_name="ISAC Admin", password=None)
    membership_create(user=isac_admin, organisation=isac, role="isac_admin", by=None)
    organisations, analysts, admins = [], [], []
    for n in range(MEMBERS):
        org = organisation_create(
            name=f"Member {n}",
            by=None,
            status=Organisation.Status.ACTIVE,
            sectors=[sectors[n % len(sectors)]],
        )
        analyst = user_create(email=f"analyst{n}@bench.test", full_name=f"A {n}", password=None)
        admin = user_create(email=f"admin{n}@bench.test", full_name=f"Admin {n}", password=None)
        membership_create(user=analyst, organisation=org, role="analyst", by=None)
        membership_create(user=admin, organisation=org, role="org_admin", by=None)
        accept_agreement(org, agreement, admin)
        organisations.append(org)
        analysts.append(analyst)
        admins.append(admin)
    group = TrustGroup.objects.create(
        name="Inner circle", kind=TrustGroup.Kind.CUSTOM, owner=organisations[1]
    )
    for org in organisations[1:4]:
        group.memberships.create(organisation=org)

    tlps = [TLP.CLEAR, TLP.GREEN, TLP.GREEN, TLP.GREEN, TLP.AMBER, TLP.AMBER, TLP.AMBER_STRICT]
    types = [t for t, _ in Report.Type.choices]
    reports = []
    for n in range(count):
        author = rng.randrange(MEMBERS)
        published = now - timedelta(minutes=n * 525_600 // max(count, 1), seconds=n % 60)
        reports.append(
            Report(
                title=f"Bench report {n}",
                summary="Credential phishing against operators.",
                tlp=rng.choice(tlps) if n % 50 else TLP.RED,
                report_type=rng.choice(types),
                status=Report.Status.PUBLISHED,
                published_at=published,
                created_at=published,
                author=analysts[author],
                organisation=organisations[author],
                audience_everyone=True,
                attributed=rng.random() < 0.5,
            )
        )
    Report.objects.bulk_create(reports, batch_size=5000)
    ids = list(Report.objects.order_by("pk").values_list("pk", "organisation_id", "tlp"))
    sector_rows, group_rows = [], []
    amber = {TLP.AMBER, TLP.AMBER_STRICT}
    for report_id, _, tlp in ids:
        sector_rows.append(
            Report.sectors.through(report_id=report_id, sector_id=rng.choice(sectors).pk)
        )
        if tlp in amber and report_id % 3 == 0:
            group_rows.append(
                Report.audience_groups.through(report_id=report_id, trustgroup_id=group.pk)
            )
    Report.sectors.through.objects.bulk_create(sector_rows, batch_size=10_000)
    Report.audience_groups.through.objects.bulk_create(group_rows, batch_size=10_000)
    grouped = [row.report_id for row in group_rows]
    Report.objects.filter(pk__in=grouped).update(audience_everyone=False)

    indicators = Indicator.objects.bulk_create(
        [
            Indicator(
                type="ipv4-addr",
                value=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                stix_id=f"ipv4-addr--bench-{n}",
                first_seen=now,
                last_seen=now,
            )
            for n in range(20_000)
        ],
        batch_size=5000,
    )
    links = []
    for report_id, _, _ in ids[::5]:
        for indicator in rng.sample(indicators, 3):
            links.append(
                ReportIndicator(
                    report_id=report_id, indicator=indicator, first_seen=now, last_seen=now
                )
            )
    ReportIndicator.objects.bulk_create(links, batch_size=10_000, ignore_conflicts=True)

    sample = rng.sample(ids, min(len(ids), count // 5))
    sightings, comments, reads = [], [], []
    for report_id, organisation_id, _ in sample:
        reader = rng.randrange(MEMBERS)
        if organisations[reader].pk == organisation_id:
            continue
        at = now - timedelta(minutes=rng.randrange(525_600))
        reads.append(
            ReportRead(report_id=report_id, organisation=organisations[reader], first_read_at=at)
        )
        if rng.random() < 0.4:
            sightings.append(
                Sighting(
                    report_id=report_id,
                    organisation=organisations[reader],
                    reported_by=analysts[reader],
                    created_at=at,
                )
            )
        if rng.random() < 0.2:
            comments.append(
                Comment(
                    report_id=report_id,
                    organisation=organisations[reader],
                    author=analysts[reader],
                    body="Seen here too.",
                    created_at=at,
                )
            )
    ReportRead.objects.bulk_create(reads, batch_size=10_000, ignore_conflicts=True)
    Sighting.objects.bulk_create(sightings, batch_size=10_000)
    Comment.objects.bulk_create(comments, batch_size=10_000)

    feed = Feed.objects.create(name="Everything", kind=Feed.Kind.EVERYTHING)
    subscriptions = [
        Subscription.objects.create(feed=feed, membership=m, channel="portal")
        for m in Membership.objects.filter(organisation__in=organisations, role="analyst")
    ]
    deliveries = []
    # The rows were inserted in `reports`' order, so ids line up with publication times.
    for (report_id, _, _), report in zip(ids[: count // 4], reports, strict=False):
        sent = report.published_at
        assert sent is not None
        for subscription in rng.sample(subscriptions, 3):
            deliveries.append(
                Delivery(
                    report_id=report_id,
                    report_version=1,
                    event="published",
                    subscription=subscription,
                    channel="portal",
                    status="delivered" if rng.random() < 0.97 else "failed",
                    created_at=sent,
                    delivered_at=sent + timedelta(seconds=rng.randrange(5, 600)),
                )
            )
    Delivery.objects.bulk_create(deliveries, batch_size=10_000, ignore_conflicts=True)
    announced_to = Membership.objects.get(user=analysts[1])
    Notification.objects.bulk_create(
        [
            Notification(membership=announced_to, report_id=report_id, event="published")
            for report_id, _, _ in ids[:200]
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"isac_admin": isac_admin, "analyst": analysts[1], "admin": admins[1]}


def run(count: int) -> None:
    from django.test import Client

    from sharing.insights.refresh import insights_refresh
    from tests.fixtures.members import sign_in

    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    started = time.perf_counter()
    people = load(count)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {count:,} reports and "
        f"what hangs off them loaded in {time.perf_counter() - started:.1f} s"
    )
    began = time.perf_counter()
    result = insights_refresh(by=None)
    print(
        f"refresh: {result.organisations} organisations, {result.rows:,} figure rows in "
        f"{time.perf_counter() - began:.1f} s"
    )

    pages = [
        ("member analyst", people["analyst"], "/figures/"),
        ("member org admin", people["admin"], "/figures/"),
        ("ISAC admin: membership and activity", people["isac_admin"], "/figures/isac/"),
        ("ISAC admin: members CSV", people["isac_admin"], "/figures/isac/members.csv"),
        ("home page with unread badge (analyst)", people["analyst"], "/"),
    ]
    clients: dict[int, Client] = {}
    worst = 0.0
    for label, user, url in pages:
        client = clients.setdefault(user.pk, sign_in(Client(), user))
        client.get(url)  # warm: templates compiled, connections open
        timings = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - t0)
            assert response.status_code == 200, (url, response.status_code)
        median = statistics.median(timings) * 1000
        if url != "/":
            worst = max(worst, median)
        print(
            f"{label:40} median {median:7.1f} ms, max {max(timings) * 1000:7.1f} ms, "
            f"{len(queries.captured_queries)} queries"
        )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    verdict = "met" if worst <= TARGET_MS else "NOT met"
    print(f"slowest dashboard median {worst:.1f} ms: target {TARGET_MS} ms {verdict}")


if __name__ == "__main__":
    main()
