"""What a member's tooling uploads is what recipients read, whatever way it is published.

Each kind of submission (free text, STIX 2.1, STIX 2.0, CSV and MISP through the REST API, a
TAXII envelope through the inbox) is normalised by a real Celery worker, then published by
its author confirming the draft in the browser form, revised, narrowed to one organisation
with a stricter TLP, sent through ISAC review and approved by a curator, or published by
automation with a token that may publish. After each step
another member reads the report over the report page, the indicator list, the REST API,
TAXII (with the OASIS client) and a signed webhook delivery, and every indicator and STIX
object the upload brought is compared with what was uploaded.
"""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Organisation, Sector, User
from accounts.services.tokens import token_issue
from sharing.fanout.services import subscription_create
from sharing.forms import ReportForm
from sharing.models import Feed, Report, Submission, Subscription
from sharing.services import publishing_defaults_set, review_requirement_set
from sharing.stix.markings import TLP2_MARKING_IDS
from sharing.tlp import TLP
from tests.fixtures.fanout import Receiver
from tests.fixtures.members import acting, signed_in
from tests.fixtures.taxii import IssueToken
from tests.fixtures.uploads import (
    KINDS,
    Uploaded,
    assert_carries,
    bundle_objects,
    delivered,
    report_objects_over_taxii,
    settled,
    snapshot,
    taxii_objects,
    upload,
    wait_for,
    wait_until_normalised,
    webhook_bundle,
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.usefixtures("allow_loopback_receivers", "documentation_ranges_allowed"),
]


def form_data(report: Report, **changes: Any) -> dict[str, Any]:
    """What the browser posts from the report form as the portal filled it in, changed."""
    initial = {**ReportForm.initial_for(report), **changes}
    data: dict[str, Any] = {}
    for key, value in initial.items():
        if isinstance(value, list):
            data[key] = [item.pk for item in value]
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = value
    return data


def read_as_member(
    *,
    report: Report,
    uploaded: Uploaded,
    reader: User,
    reader_token: str,
    live_url: str,
    receiver: Receiver,
    identity_id: str,
) -> None:
    """Everything the upload brought reaches the reader over every way of reading."""
    report.refresh_from_db()
    assert report.status == Report.Status.PUBLISHED

    # the report page
    page = signed_in(reader).get(reverse("report-detail", args=[report.uuid]))
    assert page.status_code == 200
    for _, value in uploaded.indicators:
        assert value in page.text, f"report page lacks {value}"
    for obj in uploaded.objects.values():
        if obj["type"] in ("malware", "attack-pattern", "threat-actor", "vulnerability"):
            assert obj["name"] in page.text, f"report page lacks {obj['type']} {obj['name']}"

    # the reports list, twice (its rows are kept in the cache): this version's title, the
    # ISAC as the source (the agreement shows members anonymously), never the member
    for _ in range(2):
        listing = signed_in(reader).get(reverse("report-list")).text
        start = listing.index(f'href="{reverse("report-detail", args=[report.uuid])}"')
        shown = listing[listing.rindex("<article", 0, start) : listing.index("</article>", start)]
        assert escape(report.title) in shown
        assert "the ISAC" in shown
        assert escape(report.organisation.name) not in shown

    # the indicator list of the REST API, with the upload's context
    api = Client()
    auth = f"Bearer {reader_token}"
    listed = api.get(
        reverse("api-indicator-list"),
        {"report": str(report.uuid), "page_size": "500"},
        HTTP_AUTHORIZATION=auth,
    ).json()["results"]
    by_value = {(row["type"], row["value"]): row for row in listed}
    for key, context in uploaded.indicators.items():
        row = by_value.get(key)
        assert row is not None, f"indicator list lacks {key}"
        assert row["confidence"] == context["confidence"], key
        assert row["description"] == context["description"], key
        assert row["first_seen"][:19] == context["first_seen"].isoformat()[:19], key

    # the report over the REST API, and its STIX bundle
    resource = api.get(
        reverse("api-report-detail", args=[report.uuid]), HTTP_AUTHORIZATION=auth
    ).json()
    assert resource["version"] == report.version
    assert resource["tlp"] == report.tlp
    assert resource["source"] is None  # the agreement shows members anonymously
    # and the API's list carries it exactly as its own address does
    reports = api.get(reverse("api-report-list"), HTTP_AUTHORIZATION=auth).json()["results"]
    assert [row for row in reports if row["id"] == str(report.uuid)] == [resource]
    bundle = api.get(reverse("api-report-stix", args=[report.uuid]), HTTP_AUTHORIZATION=auth).json()
    assert_carries(
        bundle_objects(bundle),
        uploaded,
        report=report,
        identity_id=identity_id,
        where="REST API bundle",
    )

    # TAXII, walked from the report object
    served = taxii_objects(live_url, reader_token)
    assert_carries(
        report_objects_over_taxii(served, report),
        uploaded,
        report=report,
        identity_id=identity_id,
        where="TAXII",
    )

    # the webhook delivery of this version
    wait_for(delivered(receiver, report), what="the webhook delivery")
    assert_carries(
        webhook_bundle(receiver, report),
        uploaded,
        report=report,
        identity_id=identity_id,
        where="webhook",
    )


@pytest.fixture
def webhook_for_b(admin_b: User, everything_feed: Feed, receiver: Receiver) -> Receiver:
    subscription_create(
        feed=everything_feed,
        by=acting(admin_b),
        channel="webhook",
        scope=Subscription.Scope.ORGANISATION,
        webhook_url=receiver.url,
    )
    return receiver


@pytest.mark.parametrize("kind", list(KINDS))
def test_upload_confirmed_revised_and_narrowed_reaches_members_whole(
    kind: str,
    celery_worker: object,
    live_server: Any,
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    org_b: Organisation,
    energy: Sector,
    isac_org: Organisation,
    webhook_for_b: Receiver,
    issue_token: IssueToken,
) -> None:
    # given: A's tooling uploads, and the worker makes a draft of it
    submission = upload(kind, issue_token(analyst_a))
    report = wait_until_normalised(submission)
    uploaded = snapshot(kind, report)
    assert uploaded.indicators, "the sample carries indicators"
    assert not report.attributed  # the agreement does not show members by name
    isac_identity = f"identity--{isac_org.uuid}"
    reading = {
        "reader": peer_b,
        "reader_token": issue_token(peer_b),
        "live_url": live_server.url,
        "receiver": webhook_for_b,
        "identity_id": isac_identity,
    }
    author = signed_in(analyst_a)

    # when: the author opens the draft, picks the audience and confirms the preview
    edit_url = reverse("report-edit", args=[report.uuid])
    assert author.get(edit_url).status_code == 200
    response = author.post(
        edit_url, {**form_data(report, audience_sectors=[energy]), "preview": "1"}
    )
    assert response.status_code == 302, response.content
    preview = author.get(reverse("report-preview", args=[report.uuid])).text
    indicator_card = preview.split('id="pv-ind"', 1)[1].split("</section>", 1)[0]
    for _, value in uploaded.indicators:
        assert f"<code>{value}</code>" in indicator_card, f"the preview does not list {value}"
    response = author.post(
        reverse("report-preview", args=[report.uuid]), {"confirm_sensitive": "1"}
    )
    assert response.status_code == 302, response.content
    wait_for(lambda: settled(report), what="the text to be read")

    # then: peer B reads everything the upload brought, over every way of reading
    read_as_member(report=report, uploaded=uploaded, **reading)
    assert (
        signed_in(outsider_c).get(reverse("report-detail", args=[report.uuid])).status_code == 404
    )

    # when: the author revises the text, adding a value of their own
    report.refresh_from_db()
    response = author.post(
        edit_url,
        {
            **form_data(report, body_markdown="Also seen: 45.83.12.9 scanning the VPN."),
            "note": "Added a scanner",
        },
    )
    assert response.status_code == 302, response.content
    wait_for(lambda: settled(report), what="the revision to be read")
    report.refresh_from_db()
    assert report.version == 2

    # then: the upload is still whole, and the new value joins it
    read_as_member(report=report, uploaded=uploaded, **reading)
    page = signed_in(peer_b).get(reverse("report-detail", args=[report.uuid])).text
    assert "45.83.12.9" in page

    # when: the author narrows the report to B alone under TLP:AMBER+STRICT
    response = author.post(
        edit_url,
        {
            **form_data(
                report, tlp=TLP.AMBER_STRICT, audience_sectors=[], audience_organisations=[org_b]
            ),
            "note": "For Peer B only",
            "widen_reason": "Peer B runs the same VPN; nobody else needs it.",
        },
    )
    assert response.status_code == 302, response.content
    wait_for(lambda: settled(report), what="the audience change to be read")
    report.refresh_from_db()
    assert report.tlp == TLP.AMBER_STRICT

    # then: every object now carries the stricter marking, content unchanged
    read_as_member(report=report, uploaded=uploaded, **reading)
    served = taxii_objects(live_server.url, reading["reader_token"])
    strict = TLP2_MARKING_IDS[TLP.AMBER_STRICT]
    for obj in report_objects_over_taxii(served, report).values():
        if "object_marking_refs" in obj:
            assert obj["object_marking_refs"] == [strict]


@pytest.mark.parametrize("kind", list(KINDS))
def test_upload_approved_by_a_curator_reaches_members_whole(
    kind: str,
    celery_worker: object,
    live_server: Any,
    analyst_a: User,
    org_a: Organisation,
    peer_b: User,
    isac_admin: User,
    isac_curator: User,
    isac_org: Organisation,
    energy: Sector,
    webhook_for_b: Receiver,
    issue_token: IssueToken,
) -> None:
    # given: A's reports wait for ISAC review, and A's tooling uploads
    review_requirement_set(
        organisation=org_a, required=True, by=acting(isac_admin), reason="New member"
    )
    submission = upload(kind, issue_token(analyst_a))
    report = wait_until_normalised(submission)
    uploaded = snapshot(kind, report)
    author = signed_in(analyst_a)

    # when: the author confirms, and a curator approves
    edit_url = reverse("report-edit", args=[report.uuid])
    author.post(edit_url, form_data(report, audience_sectors=[energy]))
    response = author.post(
        reverse("report-preview", args=[report.uuid]), {"confirm_sensitive": "1"}
    )
    assert response.status_code == 302, response.content
    report.refresh_from_db()
    assert report.status == Report.Status.PENDING_REVIEW
    wait_for(lambda: settled(report), what="the text to be read")
    curator = signed_in(isac_curator)
    review = curator.get(reverse("report-detail", args=[report.uuid]))
    for _, value in uploaded.indicators:
        assert value in review.text, f"the reviewer does not see {value}"
    response = curator.post(
        reverse("report-curation", args=[report.uuid]), {"action": "approve", "message": ""}
    )
    assert response.status_code == 302
    wait_for(lambda: settled(report), what="publication")

    # then: peer B reads everything the upload brought
    read_as_member(
        report=report,
        uploaded=uploaded,
        reader=peer_b,
        reader_token=issue_token(peer_b),
        live_url=live_server.url,
        receiver=webhook_for_b,
        identity_id=f"identity--{isac_org.uuid}",
    )


@pytest.mark.parametrize("kind", ["stix21", "stix20", "misp", "taxii"])
def test_upload_published_directly_by_automation_reaches_members_whole(
    kind: str,
    celery_worker: object,
    live_server: Any,
    analyst_a: User,
    org_a: Organisation,
    admin_a: User,
    peer_b: User,
    isac_org: Organisation,
    energy: Sector,
    webhook_for_b: Receiver,
    issue_token: IssueToken,
) -> None:
    # given: A's admins chose the energy sector for uploads a publishing token sends
    publishing_defaults_set(
        organisation=org_a, by=acting(admin_a), everyone=False, sectors=[energy]
    )
    _, token = token_issue(
        membership=acting(analyst_a), name="SOAR", by=acting(analyst_a), may_publish=True
    )

    # when: A's automation uploads, and nobody clicks anything
    submission = upload(kind, token)
    wait_for(
        lambda: Submission.objects.get(pk=submission.pk).status == Submission.Status.PUBLISHED,
        what="publication without a person",
    )
    report = Report.objects.get(submissions=submission)
    uploaded = snapshot(kind, report)

    # then: peer B reads everything the upload brought, marked as the upload was
    read_as_member(
        report=report,
        uploaded=uploaded,
        reader=peer_b,
        reader_token=issue_token(peer_b),
        live_url=live_server.url,
        receiver=webhook_for_b,
        identity_id=f"identity--{isac_org.uuid}",
    )
