"""The government lane in the browser pages: consent at acceptance and later, the analyst's
narrowing, the ISAC admin's partner pages and dry run, the organisation's record and CSV."""

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from django.urls import reverse

from accounts.models import AgreementVersion, AuditEvent, ForwardingConsent, Organisation, User
from accounts.services.agreements import agreement_acceptance_revoke
from sharing.models import Forward, Partner
from sharing.services import ReportContent, report_create_draft, report_problems
from sharing.tlp import TLP
from tests.fixtures.government import Consent, make_partner
from tests.fixtures.medallion import PASSWORD, Medallion
from tests.fixtures.members import acting, signed_in
from tests.test_government_forwarding import publish

OnCommit = Callable[..., Any]


def test_an_org_admin_chooses_the_consent_when_accepting_and_changes_it_later(
    admin_a: User, org_a: Organisation, forwarding_agreement: AgreementVersion
) -> None:
    # given: A's acceptance is revoked, so its admin must accept again
    acceptance = org_a.acceptances.get()
    agreement_acceptance_revoke(acceptance=acceptance, by=None, reason="Re-sign")
    client = signed_in(admin_a)
    page = client.get(reverse("org-agreement"))
    assert "Handle as CISA proprietary" in page.content.decode()

    # when: the admin accepts, choosing "US government only" with proprietary handling
    response = client.post(
        reverse("org-agreement"),
        {
            "version": str(forwarding_agreement.uuid),
            "forwarding_scope": "usg",
            "cisa_proprietary": "on",
            "confirm": "on",
            "typed_full_name": admin_a.full_name,
        },
    )
    assert response.status_code == 302

    # then: the consent is on record with the acceptance it came with
    choice = ForwardingConsent.objects.get(organisation=org_a)
    new_acceptance = org_a.acceptances.filter(revoked_at__isnull=True).get()
    assert (choice.scope, choice.cisa_proprietary, choice.acceptance) == (
        "usg",
        True,
        new_acceptance,
    )

    # when: later the admin narrows it to nothing
    client.post(reverse("org-forwarding-consent"), {"forwarding_scope": "none"})

    # then: a second row under the same acceptance, both audited
    scopes = list(
        ForwardingConsent.objects.filter(acceptance=new_acceptance)
        .order_by("chosen_at", "id")
        .values_list("scope", flat=True)
    )
    assert scopes == ["usg", "none"]
    events = AuditEvent.objects.filter(action="agreement.forwarding_consent").order_by("id")
    assert [(e.after or {}).get("scope") for e in events] == ["usg", "none"]
    assert "Do not forward" in client.get(reverse("org-agreement")).content.decode()


def test_a_member_who_is_not_admin_cannot_change_the_consent(
    analyst_a: User, org_a: Organisation, consent: Consent
) -> None:
    consent(org_a, "everyone")
    response = signed_in(analyst_a).post(
        reverse("org-forwarding-consent"), {"forwarding_scope": "none"}
    )
    assert response.status_code == 404
    assert ForwardingConsent.objects.get(organisation=org_a).scope == "everyone"


def test_the_analyst_sees_the_default_and_may_narrow_but_never_widen(
    analyst_a: User, org_a: Organisation, consent: Consent
) -> None:
    consent(org_a, "usg")
    page = signed_in(analyst_a).get(reverse("report-new")).content.decode()
    assert "Our organisation&#x27;s consent: US government only" in page
    assert 'value="everyone"' not in page  # the wider choice is not offered
    content = ReportContent(
        title="Too wide", tlp=TLP.GREEN, audience_everyone=True, government_consent="everyone"
    )
    draft = report_create_draft(by=acting(analyst_a), content=content)
    assert any("never widen" in p for p in report_problems(draft))


def test_isac_admin_configures_a_partner_and_previews_the_exact_bundle(
    isac_admin: User,
    analyst_a: User,
    org_a: Organisation,
    consent: Consent,
    medallion: Medallion,
    loopback_partners: None,
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    consent(org_a, "everyone")
    report = publish(analyst_a, django_capture_on_commit_callbacks)
    client = signed_in(isac_admin)

    # when: the admin adds the partner (it starts off) and asks for a dry run
    response = client.post(
        reverse("government:partner-create"),
        {
            "name": "CISA AIS",
            "is_us_government": "on",
            "api_root": medallion.api_root,
            "collection_id": medallion.collection_id,
            "auth_kind": "basic",
            "username": "portal",
            "password": PASSWORD,
        },
    )
    partner = Partner.objects.get()
    assert response.status_code == 302
    assert not partner.is_active
    assert PASSWORD not in partner.password_encrypted
    check = client.post(reverse("government:partner-check", args=[partner.uuid]), follow=True)
    assert "accepts objects" in check.content.decode()
    dry = client.get(
        reverse("government:dry-run", args=[partner.uuid]),
        {"report": str(report.uuid), "download": "1"},
    )

    # then: the preview is the anonymised bundle; nothing left
    bundle = json.loads(dry.content)
    identity = next(o for o in bundle["objects"] if o["type"] == "identity")
    assert identity["labels"] == ["ais-consent-everyone"]
    assert "Member A" not in dry.content.decode()
    assert any(o["id"] == f"report--{report.uuid}" for o in bundle["objects"])
    assert medallion.objects() == []
    page = client.get(
        reverse("government:dry-run", args=[partner.uuid]), {"report": str(report.uuid)}
    )
    assert "The partner is turned off." in page.content.decode()


def test_partner_pages_are_for_isac_admins_only(
    admin_a: User, isac_admin: User, medallion: Medallion, loopback_partners: None
) -> None:
    partner = make_partner(medallion, isac_admin)
    member = signed_in(admin_a)
    for url in (
        reverse("government:partners"),
        reverse("government:partner", args=[partner.uuid]),
        reverse("government:dry-run", args=[partner.uuid]),
    ):
        assert member.get(url).status_code == 404
    assert member.post(reverse("government:partner-toggle", args=[partner.uuid])).status_code == 404
    partner.refresh_from_db()
    assert partner.is_active


def test_members_see_their_own_forwards_and_export_the_record(
    analyst_a: User,
    peer_b: User,
    admin_a: User,
    org_a: Organisation,
    consent: Consent,
    gov_partner: Partner,
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    consent(org_a, "usg")
    report = publish(analyst_a, django_capture_on_commit_callbacks)
    forward = Forward.objects.get(report=report)

    own = signed_in(analyst_a).get(reverse("report-detail", args=[report.uuid])).content.decode()
    assert "Forwarded to government partners" in own
    assert gov_partner.name in own
    other = signed_in(peer_b).get(reverse("report-detail", args=[report.uuid])).content.decode()
    assert "Forwarded to government partners" not in other
    assert gov_partner.name not in other

    exported = signed_in(admin_a).get(reverse("government:org-forwards-csv"))
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["report_id"] == str(report.uuid)
    assert row["consent"] == "usg"
    assert row["bundle_sha256"] == forward.bundle_sha256
    assert row["acceptance_id"] == str(forward.acceptance.uuid if forward.acceptance else "")
    assert row["taxii_status"] == "complete"
    assert row["partner"] == gov_partner.name
    b_export = signed_in(peer_b).get(reverse("government:org-forwards-csv")).content.decode()
    assert str(report.uuid) not in b_export
