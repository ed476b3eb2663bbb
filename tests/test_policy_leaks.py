"""Regression tests for the ways sharing platforms have leaked: derived data, child objects,
methods other than GET, other organisations' IDs in writes, mass assignment, and edits that
widen an audience without anyone deciding to."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Membership, Organisation, Sector, TrustGroup, User
from accounts.services.groups import group_create
from sharing import policy
from sharing.audience import AudienceWidening, report_audience_change, report_audience_widen
from sharing.models import Indicator, Report, ReportIndicator
from sharing.policy import Channel
from sharing.tlp import TLP
from tests.fixtures.members import acting, signed_in
from tests.fixtures.personas import PASSWORD
from tests.fixtures.reports import report_row


def report(
    author: User, tlp: TLP, *, status: str = Report.Status.PUBLISHED, **audience: object
) -> Report:
    return report_row(
        author=author,
        tlp=tlp,
        title=f"ioc {tlp} by {acting(author).organisation.name}",
        status=status,
        audience_everyone=bool(audience.get("everyone")),
        audience_organisations=audience.get("organisations", []),  # type: ignore[arg-type]
        audience_sectors=audience.get("sectors", []),  # type: ignore[arg-type]
        audience_groups=audience.get("groups", []),  # type: ignore[arg-type]
        audience_people=audience.get("people", []),  # type: ignore[arg-type]
    )


# --- derived data: counts and correlation hints -------------------------------------------


def test_also_reported_by_counts_only_reports_the_viewer_can_see(
    analyst_a: User, peer_b: User, outsider_c: User, org_a: Organisation
) -> None:
    # given: A and B both saw the indicator; B's report is AMBER for A only
    report(analyst_a, TLP.GREEN, everyone=True)
    report(peer_b, TLP.AMBER, organisations=[org_a])
    mentioning = Report.objects.filter(title__startswith="ioc")

    # then: A learns B saw it too; C learns of A's report only, never of B's
    assert policy.reporting_organisations_count(acting(analyst_a), mentioning) == 1
    assert policy.reporting_organisations_count(acting(outsider_c), mentioning) == 1
    assert policy.reporting_organisations_count(acting(peer_b), mentioning) == 1


def test_outsider_count_of_reports_ignores_what_they_cannot_read(
    analyst_a: User, org_b: Organisation, outsider_c: User
) -> None:
    report(analyst_a, TLP.CLEAR)
    report(analyst_a, TLP.AMBER, organisations=[org_b])
    report(analyst_a, TLP.GREEN, status=Report.Status.DRAFT, everyone=True)

    assert policy.visible_report_count(acting(outsider_c)) == 1


# --- child objects are never wider than their report -----------------------------------------


def test_children_of_an_invisible_report_are_never_returned(
    analyst_a: User, org_b: Organisation, outsider_c: User, peer_b: User
) -> None:
    amber = report(analyst_a, TLP.AMBER, organisations=[org_b])
    children = Report.audience_organisations.through.objects.all()  # any row with a `report`

    assert not policy.restrict(acting(outsider_c), children).exists()
    assert policy.restrict(acting(peer_b), children).filter(report=amber).exists()


def test_taxii_children_leave_out_red_and_withdrawn_reports(analyst_a: User, peer_b: User) -> None:
    red = report(analyst_a, TLP.RED, people=[peer_b])
    withdrawn = report(analyst_a, TLP.GREEN, status=Report.Status.WITHDRAWN, everyone=True)
    children = Report.audience_people.through.objects.all()
    taxii = policy.restrict(acting(peer_b), Report.objects.all(), via="pk", channel=Channel.TAXII)

    assert policy.can_view(acting(peer_b), red)
    assert policy.can_view(acting(peer_b), withdrawn)
    assert not taxii.exists()
    assert not policy.restrict(acting(peer_b), children, channel=Channel.WEBHOOK).exists()


def test_indicators_of_a_report_an_outsider_cannot_see_never_reach_them(
    analyst_a: User, peer_b: User, outsider_c: User, org_b: Organisation
) -> None:
    amber = report(analyst_a, TLP.AMBER, organisations=[org_b])
    now = timezone.now()
    value = Indicator.objects.create(
        type="ipv4",
        value="185.220.101.45",
        stix_id="indicator--6d0e8c4e-0c1f-4b58-9d1a-0a3c1e6f0b01",
        first_seen=now,
        last_seen=now,
    )
    ReportIndicator.objects.create(report=amber, indicator=value, first_seen=now, last_seen=now)

    assert list(policy.visible_indicators(acting(peer_b))) == [value]
    assert not policy.visible_indicators(acting(outsider_c)).exists()
    assert not policy.visible_report_indicators(acting(outsider_c)).exists()


# --- TLP:RED, drafts and people who move -------------------------------------------------


def test_colleague_not_named_in_a_red_report_does_not_see_it(
    analyst_a: User, admin_a: User, peer_b: User, org_a: Organisation
) -> None:
    colleague = User.objects.create_user("second@a.test", PASSWORD, full_name="Second")
    Membership.objects.create(user=colleague, organisation=org_a, role=Membership.Role.ANALYST)
    red = report(analyst_a, TLP.RED, people=[peer_b])

    assert not policy.can_view(acting(colleague), red)
    assert policy.can_view(acting(admin_a), red)  # administers what A shared
    assert policy.can_view(acting(peer_b), red)


def test_person_who_moves_organisation_leaves_their_drafts_behind(
    analyst_a: User, org_a: Organisation, org_c: Organisation
) -> None:
    draft = report(analyst_a, TLP.GREEN, status=Report.Status.DRAFT, everyone=True)
    Membership.objects.filter(user=analyst_a).update(is_active=False)
    new_job = Membership.objects.create(user=analyst_a, organisation=org_c)

    assert not policy.can_view(new_job, draft)
    assert not policy.can_edit(new_job, draft)


def test_withdrawn_report_is_readable_but_not_forwarded(
    analyst_a: User, org_b: Organisation, peer_b: User
) -> None:
    withdrawn = report(analyst_a, TLP.GREEN, status=Report.Status.WITHDRAWN, organisations=[org_b])

    assert policy.can_view(acting(peer_b), withdrawn)
    assert not policy.can_forward(withdrawn, Channel.EMAIL_CONTENT)
    assert not policy.forwardable(acting(peer_b), Channel.PORTAL).exists()


# --- audience: refusing silent widening --------------------------------------------------


def test_red_to_a_whole_sector_is_refused_with_a_clear_message(
    analyst_a: User, energy: Sector
) -> None:
    draft = report(analyst_a, TLP.GREEN, status=Report.Status.DRAFT, everyone=True)

    with pytest.raises(ValidationError) as refused:
        report_audience_change(
            report=draft, by=acting(analyst_a), tlp=TLP.RED, everyone=False, sectors=[energy]
        )

    assert "TLP:RED is for named people only" in " ".join(refused.value.messages)


def test_editing_a_published_report_cannot_silently_widen_it(
    analyst_a: User, org_b: Organisation, org_c: Organisation, outsider_c: User
) -> None:
    amber = report(analyst_a, TLP.AMBER, organisations=[org_b])

    with pytest.raises(AudienceWidening):
        report_audience_change(
            report=amber,
            by=acting(analyst_a),
            tlp=TLP.AMBER,
            everyone=False,
            organisations=[org_b, org_c],
        )
    with pytest.raises(AudienceWidening):
        report_audience_change(
            report=amber,
            by=acting(analyst_a),
            tlp=TLP.GREEN,
            everyone=False,
            organisations=[org_b],
        )

    assert not policy.can_view(acting(outsider_c), amber)
    assert not AuditEvent.objects.filter(object_id=str(amber.uuid)).exists()


def test_widening_is_an_explicit_audited_action_with_a_reason(
    analyst_a: User, org_b: Organisation, org_c: Organisation, outsider_c: User
) -> None:
    amber = report(analyst_a, TLP.AMBER, organisations=[org_b])

    with pytest.raises(ValidationError):
        report_audience_widen(
            report=amber,
            by=acting(analyst_a),
            reason=" ",
            tlp=TLP.AMBER,
            everyone=False,
            organisations=[org_b, org_c],
        )
    report_audience_widen(
        report=amber,
        by=acting(analyst_a),
        reason="C was hit too",
        tlp=TLP.AMBER,
        everyone=False,
        organisations=[org_b, org_c],
    )

    assert policy.can_view(acting(outsider_c), amber)
    event = AuditEvent.objects.get(action="report.audience_widen", object_id=str(amber.uuid))
    assert event.after["reason"] == "C was hit too"  # type: ignore[index]
    assert event.before["organisations"] == [str(org_b.uuid)]  # type: ignore[index]


def test_narrowing_a_published_report_is_allowed_and_audited(
    analyst_a: User, org_b: Organisation, peer_b: User
) -> None:
    green = report(analyst_a, TLP.GREEN, everyone=True)

    report_audience_change(
        report=green,
        by=acting(analyst_a),
        tlp=TLP.AMBER,
        everyone=False,
        organisations=[org_b],
    )

    green.refresh_from_db()
    assert (green.tlp, green.audience_everyone) == (TLP.AMBER, False)
    assert AuditEvent.objects.filter(action="report.audience_change").exists()


def test_audience_cannot_name_another_organisations_trust_group(
    analyst_a: User, admin_c: User
) -> None:
    their_group = group_create(name="C's own circle", by=acting(admin_c))
    draft = report(analyst_a, TLP.AMBER, status=Report.Status.DRAFT)

    with pytest.raises(ValidationError) as refused:
        report_audience_change(
            report=draft,
            by=acting(analyst_a),
            tlp=TLP.AMBER,
            everyone=False,
            groups=[their_group],
        )

    assert "trust groups your organisation belongs to" in " ".join(refused.value.messages)


def test_someone_who_cannot_edit_a_report_is_told_it_does_not_exist(
    analyst_a: User, outsider_c: User
) -> None:
    clear = report(analyst_a, TLP.CLEAR)

    with pytest.raises(Report.DoesNotExist):
        report_audience_change(report=clear, by=acting(outsider_c), tlp=TLP.RED, everyone=False)


# --- other organisations' IDs in writes, mass assignment, every method ---------------------


@pytest.fixture
def admin_c(org_c: Organisation) -> User:
    return User.objects.get(email="admin@c.test")


def test_posting_another_organisations_id_into_group_forms_changes_nothing(
    circle: TrustGroup, admin_a: User, org_c: Organisation, outsider_c: User
) -> None:
    client = signed_in(admin_a)

    client.post(reverse("group-transfer", args=[circle.uuid]), {"organisation": str(org_c.uuid)})
    client.post(reverse("group-remove", args=[circle.uuid]), {"organisation": str(org_c.uuid)})
    client.post(reverse("group-moderator", args=[circle.uuid]), {"person": str(outsider_c.uuid)})

    circle.refresh_from_db()
    assert circle.owner.name == "Member A"
    assert not circle.moderators.exists()
    assert not circle.memberships.filter(organisation=org_c).exists()


def test_posted_owner_is_ignored_when_editing_a_group(
    circle: TrustGroup, admin_a: User, org_c: Organisation
) -> None:
    signed_in(admin_a).post(
        reverse("group-edit", args=[circle.uuid]),
        {
            "name": "Grid circle",
            "join_policy": "invite",
            "owner": str(org_c.uuid),
            "kind": "sector",
        },
    )

    circle.refresh_from_db()
    assert (circle.owner.name, circle.kind) == ("Member A", TrustGroup.Kind.CUSTOM)


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "name", ["group-detail", "group-edit", "group-invite", "group-leave", "group-transfer"]
)
def test_outsider_gets_404_on_every_method_for_a_group_they_cannot_see(
    circle: TrustGroup, outsider_c: User, method: str, name: str
) -> None:
    response = getattr(signed_in(outsider_c), method)(reverse(name, args=[circle.uuid]))

    assert response.status_code in {404, 405}
    if response.status_code == 405:  # the route refuses the method for every object alike
        other = getattr(signed_in(outsider_c), method)(
            reverse(name, args=["00000000-0000-4000-8000-000000000000"])
        )
        assert other.status_code == 405


def test_non_manager_member_posting_management_actions_changes_nothing(
    circle: TrustGroup, peer_b: User, org_c: Organisation
) -> None:
    client = signed_in(peer_b)

    client.post(reverse("group-invite", args=[circle.uuid]), {"organisation": str(org_c.uuid)})
    client.post(
        reverse("group-edit", args=[circle.uuid]),
        {"name": "Renamed", "join_policy": "request", "members_visible": "on"},
    )

    circle.refresh_from_db()
    assert circle.name == "Grid circle"
    assert not circle.invitations.filter(organisation=org_c).exists()
