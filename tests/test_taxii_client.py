"""A SOC's tooling, the OASIS taxii2-client, against a live portal through every call it makes;
everything served passes the STIX 2.1 validator in strict mode."""

from typing import Any

import pytest
import requests
from django.utils import timezone
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Collection, Server, as_pages

from accounts.models import User
from sharing.models import Report, StixObject, Submission
from sharing.taxii.selectors import INBOX_ID, SHARED_WITH_ME_ID
from sharing.tlp import TLP
from tests.fixtures.taxii import AddIndicator, IssueToken, MakeReport, indicator_json

STRICT = ValidationOptions(version="2.1", strict=True)


def assert_valid_stix(objects: list[dict[str, Any]]) -> None:
    assert objects
    for obj in objects:
        result = validate_instance(obj, STRICT)
        assert result.is_valid, [str(e) for e in result.errors + result.warnings]


def collections_of(live_url: str, token: str) -> dict[str, Collection]:
    server = Server(f"{live_url}/taxii2/", user="soc-tool", password=token)
    assert server.title == "ISAC portal TAXII 2.1 server"
    api_root = server.default
    assert api_root.versions == ["application/taxii+json;version=2.1"]
    return {collection.id: collection for collection in api_root.collections}


@pytest.mark.django_db(transaction=True)
def test_soc_tool_reads_everything_it_may_with_the_oasis_client(
    live_server: Any,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    # given member A shared five indicators, one of them revised, and one RED report
    organisation = analyst_a.memberships.get().organisation
    report = published_report(organisation=organisation, author=analyst_a, tlp=TLP.GREEN)
    added = [add_indicator(report, value=f"bad{i}.example") for i in range(5)]
    revised = add_indicator(report, stix_id=added[0].stix_id, value="bad0.example")
    red = published_report(
        organisation=organisation, author=analyst_a, tlp=TLP.RED, everyone=False, people=(peer_b,)
    )
    add_indicator(red, value="secret.example")

    # when peer B's tool pages through the shared collection two objects at a time
    shared = collections_of(live_server.url, issue_token(peer_b))[str(SHARED_WITH_ME_ID)]
    assert shared.can_read
    assert not shared.can_write
    pages = list(as_pages(shared.get_objects, per_request=2))
    served = [obj for page in pages for obj in page.get("objects", [])]

    # then it gets the latest version of each object once, never the RED one, all valid
    assert len(pages) == 3
    assert [obj["id"] for obj in served] == [o.stix_id for o in added[1:]] + [revised.stix_id]
    assert "secret.example" not in str(served)
    assert_valid_stix(served)

    one = shared.get_object(added[1].stix_id)
    assert [obj["id"] for obj in one["objects"]] == [added[1].stix_id]
    assert_valid_stix(one["objects"])
    every_version = shared.get_object(added[0].stix_id, version="all")
    assert len(every_version["objects"]) == 2
    assert_valid_stix(every_version["objects"])

    versions = shared.object_versions(added[0].stix_id)
    assert len(versions["versions"]) == 2

    manifest_pages = list(as_pages(shared.get_manifest, per_request=4))
    manifest = [record for page in manifest_pages for record in page.get("objects", [])]
    assert [record["id"] for record in manifest] == [obj["id"] for obj in served]

    newer = shared.get_objects(added_after=added[2].date_added)
    assert len(newer["objects"]) == 3


@pytest.mark.django_db(transaction=True)
def test_soc_tool_submits_polls_status_and_deletes_its_own_object(
    live_server: Any,
    analyst_a: User,
    peer_b: User,
    published_report: MakeReport,
    add_indicator: AddIndicator,
    issue_token: IssueToken,
) -> None:
    inbox = collections_of(live_server.url, issue_token(analyst_a))[str(INBOX_ID)]
    assert inbox.can_write
    envelope = {
        "objects": [
            indicator_json(value="dropper.example", tlp=TLP.GREEN, modified=timezone.now()),
            indicator_json(value="c2.example", tlp=TLP.GREEN, modified=timezone.now()),
        ]
    }

    # when A's tool posts an envelope and polls the status until normalisation is done
    status = inbox.add_objects(envelope, wait_for_completion=True, poll_interval=0.2, timeout=30)

    # then every object is reported a success, kept for the ISAC's review
    assert status.status == "complete"
    assert status.success_count == 2
    assert {s["id"] for s in status.successes} == {o["id"] for o in envelope["objects"]}
    submission = Submission.objects.select_related("report").get(uuid=status.id)
    assert submission.kind == Submission.Kind.TAXII
    assert submission.report is not None
    assert not inbox.get_objects().get("objects")  # not shared before it is published

    # once the report is published the objects are served, each valid STIX 2.1
    Report.objects.filter(pk=submission.report.pk).update(
        status=Report.Status.PUBLISHED, published_at=timezone.now(), audience_everyone=True
    )

    # and A may delete its own object, which then is gone for everyone
    own = inbox.get_objects()
    assert_valid_stix(own["objects"])
    target = envelope["objects"][0]["id"]
    inbox.delete_object(target)
    with pytest.raises(requests.HTTPError) as gone:
        inbox.get_object(target)
    assert getattr(gone.value.response, "status_code", None) == 404
    assert not StixObject.objects.filter(stix_id=target).exists()

    # while B, who can read it, cannot delete A's other object
    b_inbox = collections_of(live_server.url, issue_token(peer_b))[str(INBOX_ID)]
    with pytest.raises(requests.HTTPError) as refused:
        b_inbox.delete_object(envelope["objects"][1]["id"])
    assert getattr(refused.value.response, "status_code", None) == 404
    assert StixObject.objects.filter(stix_id=envelope["objects"][1]["id"]).exists()
