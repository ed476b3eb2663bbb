"""Benchmark of normalisation (not a test): run against PostgreSQL.

    DATABASE_URL=postgresql://... SECRET_KEY=... \
        python bench/normalize.py [--indicators N] [--objects N]

Prints the time to normalise and store a free text with N distinct indicators (target: 10,000
in at most 5 s) and to ingest a STIX bundle of N objects (target: 100,000 at 5,000 objects/s
or more, with peak memory of the process at most 500 MB). It creates a scratch test database
(`bench_<name>`) and drops it afterwards.
"""

import argparse
import contextlib
import gc
import json
import os
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM) since start or the last reset."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so the next peak is the ingest's own."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def make_text(count: int) -> str:
    lines = ["TLP:AMBER - bulk indicator list from an incident", ""]
    for i in range(count):
        a, b, c = (i >> 16) & 255, (i >> 8) & 255, i & 255
        match i % 5:
            case 0:
                lines.append(f"- C2 address 45.{a}.{b}[.]{c} seen beaconing")
            case 1:
                lines.append(f"- Domain update-{i}-cdn[.]net served the loader")
            case 2:
                lines.append(f"- URL hxxps://files-{i}.example-bad[.]org/p/{i}.php")
            case 3:
                lines.append(f"- Payload SHA256 {uuid.uuid5(uuid.NAMESPACE_DNS, str(i)).hex * 2}")
            case 4:
                lines.append(f"- Sender phish{i}@mailer-{i}[.]com")
    return "\n".join(lines)


def make_bundle(count: int) -> bytes:
    """A bundle of `count` objects: half indicators, half observables, TLP:AMBER."""
    identity = f"identity--{uuid.uuid4()}"
    amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    parts = [
        '{"type":"bundle","id":"bundle--' + str(uuid.uuid4()) + '","objects":[',
        json.dumps(
            {
                "type": "identity",
                "spec_version": "2.1",
                "id": identity,
                "created": "2026-11-20T09:00:00.000Z",
                "modified": "2026-11-20T09:00:00.000Z",
                "name": "Bench member",
                "identity_class": "organization",
            }
        ),
    ]
    for i in range(count - 1):
        a, b, c = (i >> 16) & 255, (i >> 8) & 255, i & 255
        if i % 2 == 0:
            obj = {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.uuid4()}",
                "created_by_ref": identity,
                "created": "2026-11-20T09:05:00.000Z",
                "modified": "2026-11-20T09:05:00.000Z",
                "name": f"C2 {i}",
                "description": "Beacon destination",
                "indicator_types": ["malicious-activity"],
                "pattern": f"[ipv4-addr:value = '45.{a}.{b}.{c}']",
                "pattern_type": "stix",
                "valid_from": "2026-11-20T09:05:00Z",
                "object_marking_refs": [amber],
            }
        else:
            obj = {
                "type": "ipv4-addr",
                "spec_version": "2.1",
                "id": f"ipv4-addr--{uuid.uuid4()}",
                "value": f"46.{a}.{b}.{c}",
            }
        parts.append(",")
        parts.append(json.dumps(obj))
    parts.append("]}")
    return "".join(parts).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--indicators", type=int, default=10_000)
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark against PostgreSQL (set DATABASE_URL).")

    setup_test_environment()
    # Its own scratch database, so the benchmark can run beside the test suite.
    connection.settings_dict["TEST"]["NAME"] = "bench_" + connection.settings_dict["NAME"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args.indicators, args.objects)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(indicator_count: int, object_count: int) -> None:
    from accounts.models import Membership, Organisation
    from accounts.services.organisations import organisation_create
    from accounts.services.people import membership_create, user_create
    from portal.celery import app
    from sharing.models import Report, ReportIndicator, StixObject, Submission
    from sharing.normalize.services import submission_create, submission_process

    # The benchmark calls the service the worker calls, timing it alone: messages go to the
    # in-memory broker and are not consumed.
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

    text = make_text(indicator_count).encode()
    report = Report.objects.create(title="bench", tlp="amber", author=user, organisation=org)
    submission = submission_create(
        organisation=org, submitted_by=user, kind="text", raw=text, report=report
    )
    started = time.perf_counter()
    done = submission_process(submission_id=submission.pk)
    elapsed = time.perf_counter() - started
    if done is None or done.status != "needs_review":
        sys.exit(f"normalisation failed: {done and done.error}")
    kept = ReportIndicator.objects.filter(report=report).count()
    print(
        f"free text, {len(text) / 1e6:.1f} MB, {kept:,} indicators stored "
        f"({StixObject.objects.filter(report=report).count():,} STIX objects): "
        f"{elapsed:.2f} s (target <= 5 s)"
    )

    raw = make_bundle(object_count)
    submission = submission_create(organisation=org, submitted_by=user, kind="stix", raw=raw)
    size = len(raw)
    del raw
    submission = Submission.objects.defer("raw").get(pk=submission.pk)
    gc.collect()
    rss_before = peak_rss_mb()
    reset_peak_rss()
    started = time.perf_counter()
    done = submission_process(submission_id=submission.pk)
    elapsed = time.perf_counter() - started
    if done is None or done.status != "needs_review":
        sys.exit(f"normalisation failed: {done and done.error}")
    stored = StixObject.objects.filter(submission=done).count()
    print(
        f"STIX bundle, {size / 1e6:.1f} MB, {object_count:,} objects "
        f"({stored:,} rows stored): {elapsed:.2f} s = {object_count / elapsed:,.0f} objects/s "
        f"(target >= 5,000/s); peak RSS while ingesting {peak_rss_mb():.0f} MB "
        f"(target <= 500 MB; process peak before it {rss_before:.0f} MB)"
    )


if __name__ == "__main__":
    main()
