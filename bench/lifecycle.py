"""Benchmark of the indicator lifecycle (not a test): run against PostgreSQL.

    DATABASE_URL=postgresql://... SECRET_KEY=... \
        python bench/lifecycle.py [--indicators N] [--objects N]

Prints the time the revocation sweep takes when N indicators of a text report (and the
indicators of an uploaded STIX bundle of M objects) all fell below their threshold at once,
a new revoked STIX version each; the time to read the score and validity of all of them;
and the time to write the CSV block list. It creates a scratch test database
(`bench_<name>`) and drops it afterwards.
"""

import argparse
import os
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
from django.db.models import F  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.normalize import make_bundle, make_text  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--indicators", type=int, default=10_000)
    parser.add_argument("--objects", type=int, default=20_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark against PostgreSQL (set DATABASE_URL).")
    setup_test_environment()
    connection.settings_dict["TEST"]["NAME"] = "bench_" + connection.settings_dict["NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.indicators, args.objects)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(indicator_count: int, object_count: int) -> None:
    from django.utils import timezone

    from accounts.models import Membership, Organisation
    from accounts.services.organisations import organisation_create
    from accounts.services.people import membership_create, user_create
    from portal.celery import app
    from sharing.formats.csv import IndicatorCsv
    from sharing.lifecycle.selectors import lifecycle_of, rules_in_force
    from sharing.lifecycle.services import indicators_sweep
    from sharing.models import Report, ReportIndicator, StixObject
    from sharing.normalize.services import submission_create, submission_process

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    settings.NORMALIZE_MAX_UPLOAD_BYTES = 200 * 1024 * 1024
    org = organisation_create(
        name="Bench", by=None, status=Organisation.Status.ACTIVE, domains=["bench.test"]
    )
    user = user_create(email="a@bench.test", full_name="Bench", password="x" * 20)
    membership_create(user=user, organisation=org, role=Membership.Role.ANALYST, by=None)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"PostgreSQL {getattr(connection, 'pg_version', '?')}"
    )
    report = Report.objects.create(title="bench", tlp="amber", author=user, organisation=org)
    text = submission_create(
        organisation=org,
        submitted_by=user,
        kind="text",
        raw=make_text(indicator_count).encode(),
        report=report,
    )
    bundle = submission_create(
        organisation=org, submitted_by=user, kind="stix", raw=make_bundle(object_count)
    )
    for submission in (text, bundle):
        started = time.perf_counter()
        done = submission_process(submission_id=submission.pk)
        if done is None or done.status != "needs_review":
            sys.exit(f"normalisation failed: {done and done.error}")
        print(f"normalised {done.kind} in {time.perf_counter() - started:.2f} s")

    links = ReportIndicator.objects.all()
    total = links.count()
    started = time.perf_counter()
    rules, now = rules_in_force(), timezone.now()
    states = [
        lifecycle_of(link, kind=link.indicator.type, rules=rules, now=now).state
        for link in links.select_related("indicator")
    ]
    print(
        f"score and validity of {total:,} indicators read: "
        f"{time.perf_counter() - started:.2f} s ({states.count('active'):,} active)"
    )

    started = time.perf_counter()
    rows = IndicatorCsv().export(report).content.count(b"\n") - 1
    print(f"CSV block list of {rows:,} rows: {time.perf_counter() - started:.2f} s")

    # A year passes for every indicator: all are due at once, the worst case for a sweep.
    links.update(
        decay_from=F("decay_from") - timedelta(days=365),
        valid_until=F("valid_until") - timedelta(days=365),
    )
    versions_before = StixObject.objects.count()
    started = time.perf_counter()
    revoked = indicators_sweep()
    elapsed = time.perf_counter() - started
    written = StixObject.objects.count() - versions_before
    print(
        f"sweep: {revoked:,} indicators revoked, {written:,} revoked STIX versions written: "
        f"{elapsed:.2f} s = {revoked / elapsed:,.0f} revocations/s"
    )
    started = time.perf_counter()
    again = indicators_sweep()
    print(f"second sweep (nothing due): {again} revoked in {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
