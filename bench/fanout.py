"""Benchmark: one report fanned out to 5,000 webhook subscriptions by real workers.

Measures the time to write the outbox (target <= 1 s), deliveries per second (target
>= 200/s on a 2-core machine), the time to the last delivery, and checks that every one
of the 5,000 arrived exactly once at a local receiver.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_bench \\
    REDIS_URL=redis://127.0.0.1:6379/9 SECRET_KEY=<32+ characters> \\
    python bench/fanout.py [--subscriptions 5000] [--concurrency 2]

The database is flushed first: point DATABASE_URL at a database kept for benchmarks.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["FANOUT_ALLOWED_NETWORKS"] = "127.0.0.0/8"


class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: list[str] = []
        self.last_at = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.ids.append(self.headers.get("webhook-id", ""))
                    receiver.last_at = time.monotonic()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import AgreementAcceptance, AgreementVersion, Membership, Organisation
    from accounts.services.organisations import organisation_create
    from accounts.services.people import membership_create, user_create
    from portal.celery import app
    from sharing.fanout.outbox import outbox_write
    from sharing.fanout.services import feeds_ensure_builtin, subscription_create
    from sharing.models import Delivery, Feed, Report, Subscription
    from sharing.tlp import TLP

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    app.control.purge()

    # given: two members in good standing; B has N webhook subscriptions
    agreement = AgreementVersion.objects.create(
        title="Agreement",
        version_label="bench",
        body_markdown="bench",
        effective_date=timezone.localdate() - timedelta(days=1),
        acceptable_use="bench",
        published_at=timezone.now() - timedelta(days=1),
    )
    members = []
    for name in ("Bench A", "Bench B"):
        org = organisation_create(name=name, by=None, status=Organisation.Status.ACTIVE)
        user = user_create(email=f"admin@{name[-1].lower()}.bench", full_name=name, password=None)
        membership = membership_create(
            user=user, organisation=org, role=Membership.Role.ORG_ADMIN, by=None
        )
        AgreementAcceptance.objects.create(
            organisation=org,
            version=agreement,
            accepted_by=user,
            typed_full_name=name,
            text_sha256="",
            expires_at=timezone.now() + timedelta(days=30),
        )
        members.append(membership)
    feeds_ensure_builtin()
    feed = Feed.objects.get(kind=Feed.Kind.EVERYTHING)
    receiver = Receiver()
    started = time.monotonic()
    with transaction.atomic():
        for i in range(args.subscriptions):
            subscription_create(
                feed=feed,
                by=members[1],
                channel=Subscription.ChannelKind.WEBHOOK,
                scope=Subscription.Scope.ORGANISATION,
                webhook_url=f"http://127.0.0.1:{receiver.port}/hook/{i}",
            )
    print(f"set-up: {args.subscriptions} subscriptions in {time.monotonic() - started:.1f} s")
    report = Report.objects.create(
        title="Bench report",
        summary="One report to many receivers.",
        tlp=TLP.GREEN,
        status=Report.Status.PUBLISHED,
        author=members[0].user,
        organisation=members[0].organisation,
        audience_everyone=True,
        published_at=timezone.now(),
    )

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-Q",
            "fanout",
            "--concurrency",
            str(args.concurrency),
            "--loglevel",
            "WARNING",
            "-n",
            "bench@%h",
        ],
        cwd=ROOT,
    )
    try:
        time.sleep(5)  # let the worker pool start before the clock runs
        # when: the report is published
        t0 = time.monotonic()
        with transaction.atomic():
            written = outbox_write(report=report, event="published")
            t_outbox = time.monotonic() - t0
        t_commit = time.monotonic()
        deadline = t_commit + 600
        while time.monotonic() < deadline:
            with receiver.lock:
                unique = len(set(receiver.ids))
            if unique >= written:
                break
            time.sleep(0.05)
        time.sleep(2)  # any duplicate would arrive by now
        with receiver.lock:
            ids = list(receiver.ids)
            last_at = receiver.last_at
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    expected = {d.webhook_id for d in Delivery.objects.filter(report=report)}
    delivered = Delivery.objects.filter(report=report, status=Delivery.Status.DELIVERED).count()
    to_last = last_at - t_commit
    print(f"outbox written: {written} rows in {t_outbox:.3f} s (target <= 1 s)")
    print(f"time to the last delivery: {to_last:.2f} s after commit")
    print(f"throughput: {len(set(ids)) / to_last:.0f} deliveries/s (target >= 200/s)")
    print(f"received: {len(ids)} requests, {len(set(ids))} distinct webhook-ids")
    print(f"rows marked delivered: {delivered}")
    exactly_once = len(ids) == len(set(ids)) == written and set(ids) == expected
    print(f"all {written} arrived exactly once: {'yes' if exactly_once else 'NO'}")
    sys.exit(0 if exactly_once else 1)


if __name__ == "__main__":
    main()
