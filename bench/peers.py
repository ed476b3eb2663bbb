"""Peer exchange benchmark: pull 100,000 objects from a peer ISAC and push 10,000 to one,
and pull a MISP community's feed of 1,000 events.

    pip install -e .[dev,bench]
    python bench/peers.py --pull 100000 --push 10000 --misp-events 1000

The peer that is pulled is another portal (gunicorn, two workers, on loopback) whose TAXII
collection holds `--pull` TLP:GREEN indicators (seeded as bench/taxii.py does, in the
database `--peer-database-url`, emptied first). This process is the pulling portal (the
database `--database-url`, emptied first): it pulls the collection page by page as its
Celery task does (`peer_pull`, 1,000 objects a page) and reports objects per second and its
peak memory. Then it publishes `--push` objects in reports of 1,000 and sends them through
the outbox to medallion's collection (the peer transport, as its worker does), and reports
the same. Memory is the process's peak resident size (ru_maxrss), before and after, so the
difference is what pulling or pushing added: it stays flat because a page at a time is
held, never the collection.

The MISP part writes `--misp-events` TLP:GREEN events of `--misp-attributes` to_ids
attributes each with PyMISP (`MISPEvent.to_feed`, `feed_meta_generator`), serves the folder
with Python's http.server on loopback, and pulls it as a MISP peer (`peer_pull`: the
manifest, then one event at a time, each stored in its own transaction).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.taxii import django_env, ensure_database, free_port, running  # noqa: E402

if TYPE_CHECKING:
    from accounts.models import Membership, User
    from sharing.models import Peer
    from sharing.peers.pull import PullResult


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_peer(env: dict[str, str], n: int) -> str:
    code = (
        "from bench.taxii import seed_portal; import sys; "
        "print('TOKEN' + seed_portal(int(sys.argv[1])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(n)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return next(line[5:] for line in done.stdout.splitlines() if line.startswith("TOKEN"))


def setup_puller() -> "tuple[Membership, User]":
    """An empty portal: the ISAC, its admin, a member and a curated feed of everything."""
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import AgreementAcceptance, AgreementVersion, Membership, Organisation
    from accounts.services.organisations import organisation_create
    from accounts.services.people import membership_create, user_create

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    agreement = AgreementVersion.objects.create(
        title="Agreement", version_label="bench", body_markdown="Bench",
        effective_date=timezone.localdate() - timedelta(days=1),
        published_at=timezone.now() - timedelta(days=1), body_sha256="0" * 64,
    )  # fmt: skip
    isac = organisation_create(
        name="Bench ISAC", by=None, status=Organisation.Status.ACTIVE, is_isac=True,
        domains=["isac.bench"],
    )  # fmt: skip
    admin = user_create(email="admin@isac.bench", full_name="Admin", password="bench-pass-123")
    admin_membership = membership_create(
        user=admin, organisation=isac, role=Membership.Role.ISAC_ADMIN, by=None
    )
    member = organisation_create(
        name="Bench member", by=None, status=Organisation.Status.ACTIVE, domains=["m.bench"]
    )
    analyst = user_create(email="analyst@m.bench", full_name="Analyst", password="bench-pass-123")
    membership_create(user=analyst, organisation=member, role=Membership.Role.ANALYST, by=None)
    AgreementAcceptance.objects.create(
        organisation=member, version=agreement, accepted_by=analyst, typed_full_name="Analyst",
        text_sha256=agreement.body_sha256, expires_at=timezone.now() + timedelta(days=365),
    )  # fmt: skip
    return admin_membership, analyst


def timed_pull(peer: "Peer") -> tuple["PullResult", float]:
    """One pull of the peer and its wall-clock seconds (profiled with BENCH_PROFILE=1)."""
    from sharing.peers.pull import peer_pull

    started = time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        result = profile.runcall(peer_pull, peer_id=peer.pk)
        pstats.Stats(profile).sort_stats("cumulative").print_stats("sharing|normalize", 30)
    else:
        result = peer_pull(peer_id=peer.pk)
    return result, time.perf_counter() - started


def pull(admin: "Membership", api_root: str, token: str) -> tuple[int, float, int]:
    from sharing.peers.credentials import PeerSecrets
    from sharing.peers.services import PeerSettings, peer_collection_add, peer_create, peer_rule_set
    from sharing.taxii.selectors import SHARED_WITH_ME_ID

    peer = peer_create(
        settings=PeerSettings(name="Pulled peer", api_root_url=api_root, auth="bearer"),
        secrets=PeerSecrets(token=token),
        by=admin,
    )
    peer_collection_add(peer=peer, collection_id=str(SHARED_WITH_ME_ID), by=admin)
    peer_rule_set(peer=peer, tlp="green", everyone=True, by=admin)
    result, seconds = timed_pull(peer)
    assert result.error == "", result.error
    return result.objects, seconds, result.pages


def push(admin: "Membership", analyst: "User", api_root: str, collection_id: str, n: int) -> float:
    """`n` indicators in reports of 1,000, published and sent through the outbox."""
    import uuid

    from django.db import transaction
    from django.utils import timezone

    from sharing.fanout.outbox import outbox_write
    from sharing.models import Delivery, Feed, Report, ReportRevision
    from sharing.normalize.store import VersionStore
    from sharing.peers.credentials import PeerSecrets
    from sharing.peers.services import PeerSettings, peer_create, peer_push_add
    from sharing.stix.markings import TLP2_MARKING_IDS, marking_definition
    from sharing.stix.objects import timestamp
    from sharing.stix.report import report_object, source_identity
    from sharing.tlp import TLP

    feed = Feed.objects.create(name="Everything to peers", kind=Feed.Kind.CURATED)
    peer = peer_create(
        settings=PeerSettings(
            name="Pushed peer", api_root_url=api_root, auth="basic", username="bench",
            push_collection_id=collection_id, push_tlp_max=TLP.GREEN,
        ),
        secrets=PeerSecrets(password="bench"),
        by=admin,
    )  # fmt: skip
    peer_push_add(peer=peer, feed=feed, by=admin)
    organisation = analyst.memberships.get().organisation
    reports = []
    now = timezone.now()
    for start in range(0, n, 1000):
        with transaction.atomic():
            report = Report.objects.create(
                title=f"Bench push {start}", tlp=TLP.GREEN, status=Report.Status.PUBLISHED,
                published_at=now, author=analyst, organisation=organisation,
                audience_everyone=True,
            )  # fmt: skip
            ReportRevision.objects.create(report=report, number=1, title=report.title,
                                          tlp=report.tlp, audience_everyone=True,
                                          created_by=analyst)  # fmt: skip
            identity = source_identity(report=report, now=now)
            marking = TLP2_MARKING_IDS[TLP.GREEN]
            stamp = timestamp(now)
            objects = [
                {
                    "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
                    "created": stamp, "modified": stamp, "name": f"push{start + i}.bench-c2.net",
                    "indicator_types": ["malicious-activity"], "pattern_type": "stix",
                    "pattern": f"[domain-name:value = 'push{start + i}.bench-c2.net']",
                    "valid_from": stamp, "created_by_ref": identity["id"],
                    "object_marking_refs": [marking],
                }
                for i in range(min(1000, n - start))
            ]  # fmt: skip
            store = VersionStore(report=report, submission=None, now=now)
            store.add([marking_definition(TLP.GREEN), identity, *objects])
            VersionStore(report=report, submission=None, now=now).add(
                [
                    report_object(
                        report=report,
                        identity_id=identity["id"],
                        marking_id=marking,
                        refs=store.refs,
                        created=now,
                        modified=now,
                    )
                ]
            )
        reports.append(report)
    started = time.perf_counter()
    for report in reports:
        # Tasks run in-process here: the outbox write sends the delivery at once.
        outbox_write(report=report, event="published")
    seconds = time.perf_counter() - started
    sent = Delivery.objects.filter(channel="peer", status=Delivery.Status.DELIVERED).count()
    assert sent == len(reports), Delivery.objects.filter(channel="peer").values("last_error")[:3]
    return seconds


def write_misp_feed(folder: Path, events: int, attributes: int) -> None:
    """A MISP feed of `events` GREEN events, written by the MISP project's own library."""
    from datetime import UTC, datetime

    from pymisp import MISPEvent, MISPOrganisation
    from pymisp.tools import feed_meta_generator

    organisation = MISPOrganisation()
    organisation.name, organisation.uuid = "Bench community", "0b7f2f5c-8a51-4c1e-b4d2-6f0e9d3a5c17"
    when = datetime.now(UTC).replace(microsecond=0)
    for number in range(events):
        event = MISPEvent()
        event.info = f"Bench event {number}"
        event.Orgc = organisation
        event.timestamp = when
        event.add_tag("tlp:green")
        for index in range(attributes):
            event.add_attribute("domain", f"e{number}-a{index}.misp-bench.net", to_ids=True)
        (folder / f"{event.uuid}.json").write_text(json.dumps(event.to_feed()))
    feed_meta_generator(folder)


def pull_misp(admin: "Membership", feed_url: str) -> tuple[int, int, float]:
    from sharing.models import Peer
    from sharing.peers.services import PeerSettings, peer_create, peer_rule_set

    peer = peer_create(
        settings=PeerSettings(name="MISP community", kind=Peer.Kind.MISP, feed_url=feed_url,
                              auth="none", unmarked_tlp="green"),
        by=admin,
    )  # fmt: skip
    peer_rule_set(peer=peer, tlp="green", everyone=True, by=admin)
    result, seconds = timed_pull(peer)
    assert result.error == "", result.error
    assert result.counts == {"imported": result.objects}, result.counts
    return result.pages, result.objects, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pull", type=int, default=100_000)
    parser.add_argument("--push", type=int, default=10_000)
    parser.add_argument("--misp-events", type=int, default=1_000)
    parser.add_argument("--misp-attributes", type=int, default=10)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/portal_bench_peers"
        ),
    )
    parser.add_argument(
        "--peer-database-url",
        default=os.environ.get(
            "BENCH_PEER_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/portal_bench_peer"
        ),
    )
    args = parser.parse_args()
    for url in (args.database_url, args.peer_database_url):
        ensure_database(url)
    peer_env = django_env(args.peer_database_url)
    env = django_env(args.database_url)
    env["FANOUT_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    env["PEERS_PAGE_SIZE"] = "1000"
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)  # tasks run in-process, as in the embedded portal
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")

    admin, analyst = setup_puller()
    if args.pull:
        token = seed_peer(peer_env, args.pull)
        port = free_port()
        command = [
            sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--preload", "--log-level", "warning",
        ]  # fmt: skip
        before = rss_mb()
        with running(command, port, peer_env):
            api_root = f"http://127.0.0.1:{port}/taxii2/portal/"
            objects, seconds, pages = pull(admin, api_root, token)
        print(
            f"pull: {objects} objects in {pages} pages in {seconds:.1f} s = "
            f"{objects / seconds:,.0f} objects/s; peak RSS {before:.0f} MB before, "
            f"{rss_mb():.0f} MB after"
        )

    if args.push:
        medallion_port = free_port()
        with tempfile.TemporaryDirectory() as tmp:
            collection_id = "8c1c4b7b-1c1e-4a8e-b7f6-0e6b8f4a2d11"
            data = Path(tmp, "data.json")
            root = f"http://127.0.0.1:{medallion_port}/api1/"
            collection = {
                "id": collection_id, "title": "in", "can_read": True, "can_write": True,
                "media_types": ["application/stix+json;version=2.1"], "objects": [],
                "manifest": [],
            }  # fmt: skip
            data.write_text(
                json.dumps(
                    {
                        "/discovery": {"title": "peer", "default": root, "api_roots": [root]},
                        "api1": {
                            "information": {
                                "title": "peer",
                                "versions": ["application/taxii+json;version=2.1"],
                                "max_content_length": 100_000_000,
                            },
                            "status": [],
                            "collections": [collection],
                        },
                    }
                )
            )
            config = Path(tmp, "config.json")
            config.write_text(
                '{"backend": {"module": "medallion.backends.memory_backend", "module_class": '
                f'"MemoryBackend", "filename": "{data}"}}, "users": {{"bench": "bench"}}, '
                '"taxii": {"max_page_size": 1000}}'
            )
            medallion = [
                sys.executable, "-c", "from medallion.scripts.run import main; main()",
                "--port", str(medallion_port), str(config),
            ]  # fmt: skip
            before = rss_mb()
            with running(medallion, medallion_port, dict(os.environ)):
                seconds = push(
                    admin, analyst, f"http://127.0.0.1:{medallion_port}/api1/", collection_id,
                    args.push,
                )  # fmt: skip
        print(
            f"push: {args.push} objects (+ a report, identity and marking per 1,000) in "
            f"{seconds:.1f} s = {args.push / seconds:,.0f} objects/s; peak RSS {before:.0f} MB "
            f"before, {rss_mb():.0f} MB after"
        )

    if args.misp_events:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            write_misp_feed(Path(tmp), args.misp_events, args.misp_attributes)
            written = time.perf_counter() - started
            port = free_port()
            server = [
                sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                "--directory", tmp,
            ]  # fmt: skip
            before = rss_mb()
            with running(server, port, dict(os.environ)):
                events, objects, seconds = pull_misp(admin, f"http://127.0.0.1:{port}/")
        print(
            f"MISP feed: {events} events ({objects} objects: {args.misp_attributes} indicators "
            f"and the report each) in {seconds:.1f} s = {objects / seconds:,.0f} objects/s, "
            f"{events / seconds:,.1f} events/s (feed written by PyMISP in {written:.1f} s); "
            f"peak RSS {before:.0f} MB before, {rss_mb():.0f} MB after"
        )


if __name__ == "__main__":
    main()
