"""Government forwarding under faults, with real worker processes and medallion: a worker
killed mid-send, a partner that is down and comes back."""

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Organisation, User
from sharing.fanout.outbox import outbox_write
from sharing.fanout.services import deliveries_process
from sharing.fanout.tasks import fanout_sweep
from sharing.government.services import PartnerSettings, partner_create, partner_set_active
from sharing.models import Delivery, DeliveryAttempt, Forward, Partner
from tests.fixtures.fanout import PublishReport
from tests.fixtures.government import Consent
from tests.fixtures.medallion import PASSWORD, USER, Medallion
from tests.fixtures.members import acting
from tests.fixtures.workers import StartWorker

pytestmark = pytest.mark.services


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


class HoldingProxy:
    """Passes requests to the server at once and holds its answers back for `hold`
    seconds: the server has done the work, the sender has not heard so yet."""

    def __init__(self, port: int, hold: float) -> None:
        self.target = ("127.0.0.1", port)
        self.hold = hold
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, self.hold), daemon=True
            ).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket, hold: float) -> None:
        try:
            while data := source.recv(65536):
                time.sleep(hold)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.close()

    def close(self) -> None:
        self.closed = True
        self.listener.close()


@pytest.fixture
def holding_proxy(medallion: Medallion) -> Iterator[HoldingProxy]:
    proxy = HoldingProxy(medallion.port, hold=4.0)
    yield proxy
    proxy.close()


def _partner(api_root: str, collection_id: str, isac_admin: User) -> Partner:
    partner = partner_create(
        values=PartnerSettings(
            name="CISA AIS",
            api_root=api_root,
            collection_id=collection_id,
            auth_kind="basic",
            username=USER,
            password=PASSWORD,
        ),
        by=acting(isac_admin),
    )
    return partner_set_active(partner=partner, active=True, by=acting(isac_admin))


def test_a_worker_killed_mid_send_leaves_the_partner_one_copy_and_one_record(
    fanout_worker_process: StartWorker,
    settings: SettingsWrapper,
    medallion: Medallion,
    holding_proxy: HoldingProxy,
    isac_admin: User,
    analyst_a: User,
    org_a: Organisation,
    consent: Consent,
    publish_report: PublishReport,
) -> None:
    # given: a consented GREEN report, a partner whose answers are slow to come back
    settings.FANOUT_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    consent(org_a, "everyone")
    partner = _partner(
        f"http://127.0.0.1:{holding_proxy.port}/api1/", medallion.collection_id, isac_admin
    )
    report = publish_report(author=analyst_a, organisation=org_a)
    with transaction.atomic():
        outbox_write(report=report, event="published")
    delivery = Delivery.objects.get(partner=partner)

    # when: the worker is killed after the partner stored the bundle, before it heard so
    env = {"FANOUT_CLAIM_SECONDS": "2", "GOVERNMENT_STATUS_WAIT": "0"}
    doomed = fanout_worker_process("doomed", "government", **env)
    assert wait_until(lambda: bool(medallion.objects())), "the worker never sent"
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.PENDING
    assert not Forward.objects.exists()

    # ...and another worker takes over once the claim lapses, with the sweep as beat runs it
    fanout_worker_process("survivor", "fanout,government", **env)
    time.sleep(2.5)
    with transaction.atomic():
        fanout_sweep.delay()

    # then: one record, and the partner holds every object version once
    assert wait_until(
        lambda: Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.DELIVERED,
        timeout=90,
    )
    forward = Forward.objects.get()
    assert forward.delivery_id == delivery.pk
    versions = [(o["id"], o.get("modified")) for o in medallion.objects(versions="all")]
    assert len(versions) == len(set(versions))
    assert f"report--{report.uuid}" in {object_id for object_id, _ in versions}
    assert Delivery.objects.get(pk=delivery.pk).attempts == 2


def test_nothing_is_sent_while_the_partner_is_down_and_everything_after(
    settings: SettingsWrapper,
    medallion: Medallion,
    isac_admin: User,
    analyst_a: User,
    org_a: Organisation,
    consent: Consent,
    publish_report: PublishReport,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given: the partner's server is down
    settings.FANOUT_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.GOVERNMENT_STATUS_WAIT = 0
    consent(org_a, "usg")
    partner = _partner(medallion.api_root, medallion.collection_id, isac_admin)
    medallion.stop()

    # when: two reports are published
    reports = [
        publish_report(author=analyst_a, organisation=org_a, title=f"Wave {n}") for n in (1, 2)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for report in reports:
            outbox_write(report=report, event="published")

    # then: every attempt failed and was logged; nothing is recorded as forwarded
    deliveries = Delivery.objects.filter(partner=partner)
    assert deliveries.count() == 2
    assert all(d.status == Delivery.Status.PENDING and d.attempts == 1 for d in deliveries)
    assert DeliveryAttempt.objects.filter(delivery__partner=partner, ok=False).count() == 2
    assert not Forward.objects.exists()
    partner.refresh_from_db()
    assert partner.consecutive_failures == 2
    assert partner.is_active  # a partner is never turned off for being down

    # when: it comes back and the retries are due
    medallion.start()
    deliveries.update(next_attempt_at=deliveries.first().created_at)  # type: ignore[union-attr]
    deliveries_process(ids=list(deliveries.values_list("pk", flat=True)))

    # then: both arrive, each once
    assert Forward.objects.count() == 2
    arrived = {o["id"] for o in medallion.objects()}
    assert {f"report--{r.uuid}" for r in reports} <= arrived
    partner.refresh_from_db()
    assert partner.consecutive_failures == 0
