"""Every version of a report is read under its own TLP and audience.

A report published as TLP:AMBER to one organisation and later revised (with a widening
reason) to a sanitised TLP:CLEAR text for everyone must not open its AMBER text to the new
readers: not on the version page, not in a diff, not over TAXII, not in a bundle.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import Membership, Organisation, Sector, User
from accounts.services.organisations import organisation_create
from sharing import policy
from sharing.audience import report_audience_change
from sharing.formats.stix import report_bundle
from sharing.models import Report, StixObject
from sharing.policy import Channel
from sharing.services import ReportContent, comment_create, report_revise, sighting_create
from sharing.taxii.protocol import TAXII_MEDIA_TYPE
from sharing.taxii.selectors import SHARED_WITH_ME_ID
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.personas import make_person
from tests.fixtures.reports import shared
from tests.fixtures.taxii import IssueToken

SECRET = "KESTREL-NINE"
SHARED = f"/taxii2/portal/collections/{SHARED_WITH_ME_ID}/objects/"


@pytest.fixture
def unsigned_e(energy: Sector) -> User:
    """An analyst of an active member that has not accepted the agreement: TLP:CLEAR only."""
    org = organisation_create(
        name="Unsigned E", by=None, sectors=[energy], status=Organisation.Status.ACTIVE
    )
    return make_person("analyst@e.test", org, Membership.Role.ANALYST)


@pytest.fixture
def widened(
    analyst_a: User, org_b: Organisation, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Report:
    """AMBER for B with the secret word and an indicator, then CLEAR for everyone without."""
    with django_capture_on_commit_callbacks(execute=True):
        report = shared(
            analyst_a,
            TLP.AMBER,
            title="Loader campaign",
            body_markdown=f"Operation {SECRET} hit our payment gateway.",
            indicators_text="kestrel-c2.example",
            audience_organisations=[org_b],
        )
    with django_capture_on_commit_callbacks(execute=True):
        return report_revise(
            report=report,
            by=acting(analyst_a),
            content=ReportContent(
                title="Loader campaign",
                tlp=TLP.CLEAR,
                body_markdown="A loader campaign hit a member's payment systems.",
            ),
            note="Sanitised for everyone",
            widen_reason="Sanitised text may go to the whole membership",
        )


def test_new_readers_of_a_widened_report_cannot_open_its_earlier_version(
    widened: Report, unsigned_e: User, outsider_c: User
) -> None:
    for reader in (unsigned_e, outsider_c):
        client = signed_in(reader)
        # given: the current version is theirs to read
        page = client.get(f"/reports/{widened.uuid}/")
        assert page.status_code == 200
        assert b"payment systems" in page.content
        # then: version 1 is not found, is not listed, and its text is in no diff
        assert client.get(f"/reports/{widened.uuid}/versions/1/").status_code == 404
        assert f"/reports/{widened.uuid}/versions/1/".encode() not in page.content
        version_2 = client.get(f"/reports/{widened.uuid}/versions/2/")
        assert version_2.status_code == 200
        assert SECRET.encode() not in version_2.content
        assert b"different audience" in version_2.content


def test_the_original_audience_reads_both_versions_and_their_diff(
    widened: Report, peer_b: User
) -> None:
    client = signed_in(peer_b)

    assert SECRET.encode() in client.get(f"/reports/{widened.uuid}/versions/1/").content
    diff = client.get(f"/reports/{widened.uuid}/versions/2/").content.decode()
    assert SECRET in diff
    assert "diff-removed" in diff


def test_earlier_stix_object_versions_stay_with_their_audience_over_taxii(
    widened: Report, peer_b: User, outsider_c: User, issue_token: IssueToken
) -> None:
    # given: both versions were analysed into STIX objects
    versions = set(StixObject.objects.filter(report=widened).values_list("report_version"))
    assert versions == {(1,), (2,)}
    old_ids = set(
        StixObject.objects.filter(report=widened, report_version=1).values_list("pk", flat=True)
    )

    def every_version(user: User) -> str:
        response = Client().get(
            SHARED,
            {"match[version]": "all"},
            HTTP_ACCEPT=TAXII_MEDIA_TYPE,
            HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}",
        )
        assert response.status_code == 200
        return response.content.decode()

    # then: C gets the CLEAR version's objects only; B, in the AMBER audience, gets both
    assert SECRET not in every_version(outsider_c)
    assert "kestrel-c2.example" not in every_version(outsider_c)
    assert SECRET in every_version(peer_b)
    assert not policy.visible_stix_objects(acting(outsider_c)).filter(pk__in=old_ids).exists()
    assert policy.visible_stix_objects(acting(peer_b)).filter(pk__in=old_ids).exists()


def test_a_bundle_carries_only_the_current_versions_objects(widened: Report) -> None:
    text = str(report_bundle(widened))

    assert SECRET not in text
    assert "kestrel-c2.example" not in text


def test_an_earlier_red_version_never_travels_over_a_channel(
    analyst_a: User, peer_b: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = shared(analyst_a, TLP.RED, body_markdown=SECRET, audience_people=[peer_b])
    with django_capture_on_commit_callbacks(execute=True):
        report_revise(
            report=report,
            by=acting(analyst_a),
            content=ReportContent(title=report.title, tlp=TLP.GREEN, audience_everyone=True),
            widen_reason="Cleared for the membership",
        )

    viewer = acting(peer_b)
    assert [r.number for r in policy.visible_revisions(viewer)] == [2, 1]
    assert [r.number for r in policy.visible_revisions(viewer, channel=Channel.TAXII)] == [2]
    taxii = policy.visible_stix_objects(viewer, channel=Channel.TAXII)
    assert SECRET not in str(list(taxii.values_list("data", flat=True)))


def test_narrowing_a_published_report_narrows_its_current_version_too(
    analyst_a: User, org_b: Organisation, outsider_c: User
) -> None:
    report = shared(analyst_a, TLP.GREEN, audience_everyone=True)

    report_audience_change(
        report=report, by=acting(analyst_a), tlp=TLP.GREEN, everyone=False, organisations=[org_b]
    )

    assert not policy.visible_revisions(acting(outsider_c)).exists()
    latest = report.revisions.get()
    assert not latest.audience_everyone
    assert list(latest.audience_organisations.all()) == [org_b]


def test_comments_and_sightings_stay_with_the_version_they_were_written_under(
    analyst_a: User,
    peer_b: User,
    outsider_c: User,
    org_b: Organisation,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given: while the report was AMBER for B, B commented and reported a sighting
    with django_capture_on_commit_callbacks(execute=True):
        report = shared(analyst_a, TLP.AMBER, audience_organisations=[org_b])
    comment_create(report=report, by=acting(peer_b), body=f"{SECRET} hit our plant too")
    sighting_create(report=report, by=acting(peer_b), note=f"{SECRET} at the edge")

    # when: the report is widened to everyone
    with django_capture_on_commit_callbacks(execute=True):
        report = report_revise(
            report=report,
            by=acting(analyst_a),
            content=ReportContent(title=report.title, tlp=TLP.GREEN, audience_everyone=True),
            widen_reason="Useful to the whole membership",
        )

    # then: C reads the report but not what was said for B's eyes
    page = signed_in(outsider_c).get(f"/reports/{report.uuid}/")
    assert page.status_code == 200
    assert SECRET.encode() not in page.content
    assert not policy.visible_comments(acting(outsider_c)).exists()
    assert not policy.visible_sightings(acting(outsider_c)).exists()
    assert SECRET.encode() in signed_in(peer_b).get(f"/reports/{report.uuid}/").content
