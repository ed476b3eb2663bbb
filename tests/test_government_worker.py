"""End to end with the real broker and a real worker: a member posts a GREEN report with
consent, the worker normalises and publishes it and forwards it on the government queue,
and the partner (medallion) holds exactly the anonymised bundle on record."""

import time
from collections.abc import Callable

import pytest

from accounts.models import Organisation, Sector, User
from sharing.government.forward import prepare_forward
from sharing.models import Forward, Partner, Report
from sharing.services import ReportContent, report_create_draft, report_submit
from sharing.tlp import TLP
from tests.fixtures.government import Consent
from tests.fixtures.medallion import Medallion
from tests.fixtures.members import acting

pytestmark = pytest.mark.services


def wait_until(predicate: Callable[[], bool], timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_members_green_report_reaches_the_partner_through_the_worker_anonymised(
    celery_worker: object,
    analyst_a: User,
    org_a: Organisation,
    isac_org: Organisation,
    energy: Sector,
    consent: Consent,
    gov_partner: Partner,
    medallion: Medallion,
) -> None:
    # given: Member A consents to "US government only" with proprietary handling
    consent(org_a, "usg", proprietary=True)

    # when: its analyst posts a GREEN report; the worker does the rest
    content = ReportContent(
        title="Credential phishing against Member A's operators",
        summary="Lures sent from invoices@billing-evil.example.",
        body_markdown=(
            "Seen by Dana Whitfield (dana.whitfield@a.test). The kit is hosted at "
            "hxxps://login-grid-operator.example/portal and 198.51.100.23."
        ),
        tlp=TLP.GREEN,
        audience_everyone=True,
        sectors=[energy],
    )
    draft = report_create_draft(by=acting(analyst_a), content=content)
    report_submit(report=draft, by=acting(analyst_a), sensitive_confirmed=True)

    # then: the partner holds the forward, and the record's hash is that of what it holds
    assert wait_until(lambda: Forward.objects.exists()), "nothing was forwarded"
    forward = Forward.objects.select_related("delivery").get()
    report = Report.objects.get(pk=draft.pk)
    expected = prepare_forward(report=report, key=str(forward.delivery.uuid), withdrawn=False)
    assert expected.sha256 == forward.bundle_sha256
    held = {obj["id"]: obj for obj in medallion.objects()}
    sent = {obj["id"]: obj for obj in expected.bundle["objects"]}
    assert held == sent
    # and what it holds is anonymous, scrubbed and consented
    identity = next(obj for obj in held.values() if obj["type"] == "identity")
    assert identity["name"] == isac_org.name
    assert identity["labels"] == ["ais-consent-usg-cisa-proprietary"]
    text = str(held)
    for secret in ("Member A", "a.test", "Dana", "Whitfield", str(org_a.uuid)):
        assert secret not in text, secret
    patterns = " ".join(o["pattern"] for o in held.values() if o["type"] == "indicator")
    assert "login-grid-operator.example" in patterns
    assert "198.51.100.23" in patterns
    assert (forward.consent, forward.cisa_proprietary) == ("usg", True)
    assert forward.taxii_status == "complete"
