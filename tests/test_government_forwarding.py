"""Forwarding to a government partner: medallion, the OASIS reference TAXII 2.1 server, on
loopback stands in for the partner; what arrived is read back with taxii2-client."""

import json
import uuid
from collections.abc import Callable
from typing import Any

from stix2validator import ValidationOptions, validate_string

from accounts.models import Organisation, Sector, User
from sharing.models import Delivery, Forward, Partner, Report
from sharing.services import ReportContent, report_create_draft, report_submit, report_withdraw
from sharing.tlp import TLP
from tests.fixtures.government import Consent
from tests.fixtures.medallion import Medallion
from tests.fixtures.members import acting

OnCommit = Callable[..., Any]
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"

BODY = (
    "Phishing from invoices@billing-evil.example hit our AP clerk, Priya Raman "
    "(priya.raman@a.test, +1 415 555 0134). Member A's SOC blocked 203.0.113.45."
)


def publish(
    author: User,
    on_commit: OnCommit,
    *,
    tlp: str = TLP.GREEN,
    title: str = "Invoice phishing wave",
    sectors: list[Sector] | None = None,
    **extra: Any,
) -> Report:
    content = ReportContent(
        title=title,
        summary="Invoice lures against energy utilities.",
        body_markdown=BODY,
        tlp=tlp,
        audience_everyone=tlp != TLP.RED,
        sectors=sectors or [],
        **extra,
    )
    with on_commit(execute=True):
        draft = report_create_draft(by=acting(author), content=content)
        report = report_submit(report=draft, by=acting(author), sensitive_confirmed=True)
    report.refresh_from_db()
    return report


def validate_strict(bundle: dict[str, Any]) -> None:
    results = validate_string(
        json.dumps(bundle), ValidationOptions(strict=True, version="2.1", disabled=["302"])
    )
    assert results.is_valid, [str(e) for e in results.errors]


def test_a_consented_green_report_reaches_the_partner_anonymised(
    analyst_a: User,
    org_a: Organisation,
    isac_org: Organisation,
    consent: Consent,
    gov_partner: Partner,
    medallion: Medallion,
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    # given: Member A consents to forwarding to the US government
    consent(org_a, "usg")

    # when: its analyst publishes a GREEN report
    report = publish(analyst_a, django_capture_on_commit_callbacks)

    # then: the partner holds the report, its indicators, the ISAC as source with the consent
    arrived = medallion.objects()
    by_type: dict[str, list[dict[str, Any]]] = {}
    for obj in arrived:
        by_type.setdefault(str(obj["type"]), []).append(obj)
    (identity,) = by_type["identity"]
    assert identity["name"] == isac_org.name
    assert identity["labels"] == ["ais-consent-usg"]
    (stix_report,) = by_type["report"]
    assert stix_report["id"] == f"report--{report.uuid}"
    assert stix_report["created_by_ref"] == identity["id"]
    patterns = " ".join(str(i["pattern"]) for i in by_type["indicator"])
    assert "billing-evil.example" in patterns
    text = json.dumps(arrived)
    for secret in ("Member A", "a.test", "Priya", "Raman", "555 0134", str(org_a.uuid)):
        assert secret not in text, secret
    marked = [o for o in arrived if o["type"] not in ("marking-definition", "identity")]
    assert {tuple(o["object_marking_refs"]) for o in marked} == {(GREEN,)}
    validate_strict({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": arrived})
    # and the record says what left and how
    forward = Forward.objects.get(report=report)
    assert forward.consent == "usg"
    assert forward.partner == gov_partner
    assert forward.acceptance is not None
    assert forward.acceptance.organisation == org_a
    assert forward.taxii_status == "complete"
    assert len(forward.bundle_sha256) == 64
    assert forward.success_count == forward.object_count


def test_amber_and_unconsented_reports_never_leave(
    analyst_a: User,
    peer_b: User,
    org_a: Organisation,
    org_b: Organisation,
    consent: Consent,
    gov_partner: Partner,
    medallion: Medallion,
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    consent(org_a, "everyone")  # B chooses nothing
    publish(analyst_a, django_capture_on_commit_callbacks, tlp=TLP.AMBER, title="Amber one")
    publish(peer_b, django_capture_on_commit_callbacks, tlp=TLP.GREEN, title="B's green")
    narrowed = publish(
        analyst_a,
        django_capture_on_commit_callbacks,
        tlp=TLP.CLEAR,
        title="A's clear, kept home",
        government_consent="none",
    )
    assert medallion.objects() == []
    assert not Delivery.objects.filter(partner=gov_partner).exists()
    assert narrowed.government_consent == "none"


def test_a_withdrawal_revokes_what_the_partner_received(
    analyst_a: User,
    org_a: Organisation,
    consent: Consent,
    gov_partner: Partner,
    medallion: Medallion,
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    consent(org_a, "everyone", proprietary=True)
    report = publish(analyst_a, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        report_withdraw(report=report, by=acting(analyst_a), reason="False positive")
    latest = {str(o["id"]): o for o in medallion.objects()}
    assert latest[f"report--{report.uuid}"]["revoked"] is True
    indicators = [o for o in latest.values() if o["type"] == "indicator"]
    assert indicators
    assert all(o["revoked"] is True for o in indicators)
    identity = next(o for o in latest.values() if o["type"] == "identity")
    assert identity["labels"] == ["ais-consent-everyone-cisa-proprietary"]
    assert list(
        Forward.objects.filter(report=report).values_list("event", flat=True).order_by("id")
    ) == ["published", "withdrawn"]
