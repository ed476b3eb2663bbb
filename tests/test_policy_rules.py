"""The access policy's TLP rules, persona by persona (docs/tlp.md)."""

import pytest

from accounts.models import Membership, Organisation, Sector, User
from portal.reuse import reused_within_request
from sharing import policy
from sharing.models import Report
from sharing.policy import Channel
from sharing.tlp import TLP
from tests.fixtures.members import acting
from tests.fixtures.personas import make_person
from tests.fixtures.reports import report_row


def published(author: User, tlp: TLP, **audience: object) -> Report:
    return report_row(
        author=author,
        tlp=tlp,
        title=f"{tlp.label} report",
        audience_everyone=bool(audience.get("everyone")),
        audience_organisations=audience.get("organisations", []),  # type: ignore[arg-type]
        audience_sectors=audience.get("sectors", []),  # type: ignore[arg-type]
        audience_people=audience.get("people", []),  # type: ignore[arg-type]
    )


def visible(user: User) -> set[str]:
    return {r.title for r in policy.visible_to(acting(user))}


@pytest.fixture
def reports_of_a(analyst_a: User, peer_b: User, org_b: Organisation, energy: Sector) -> None:
    published(analyst_a, TLP.CLEAR)
    published(analyst_a, TLP.GREEN, sectors=[energy])
    published(analyst_a, TLP.AMBER, organisations=[org_b])
    published(analyst_a, TLP.AMBER_STRICT, organisations=[org_b])
    published(analyst_a, TLP.RED, people=[peer_b])


ALL = {"TLP:CLEAR report", "TLP:GREEN report", "TLP:AMBER report", "TLP:AMBER+STRICT report"}


@pytest.mark.usefixtures("reports_of_a")
def test_named_peer_sees_every_level_addressed_to_them(peer_b: User) -> None:
    assert visible(peer_b) == {*ALL, "TLP:RED report"}


@pytest.mark.usefixtures("reports_of_a")
def test_outsider_in_another_sector_sees_clear_only(outsider_c: User) -> None:
    assert visible(outsider_c) == {"TLP:CLEAR report"}


@pytest.mark.usefixtures("reports_of_a")
def test_suspended_member_in_the_sector_sees_clear_only(suspended_d: User) -> None:
    assert visible(suspended_d) == {"TLP:CLEAR report"}


@pytest.mark.usefixtures("reports_of_a")
def test_curator_sees_everything_but_red_not_waiting_for_review(isac_curator: User) -> None:
    assert visible(isac_curator) == ALL


@pytest.mark.usefixtures("reports_of_a")
def test_superuser_gets_no_exception_on_portal_pages(outsider_c: User) -> None:
    outsider_c.is_superuser = True
    outsider_c.is_staff = True
    outsider_c.save()

    assert visible(outsider_c) == {"TLP:CLEAR report"}


def test_colleague_does_not_see_an_analysts_draft(analyst_a: User, admin_a: User) -> None:
    draft = published(analyst_a, TLP.GREEN, everyone=True)
    Report.objects.filter(pk=draft.pk).update(status=Report.Status.DRAFT)

    assert policy.can_view(acting(analyst_a), draft)
    assert not policy.can_view(acting(admin_a), draft)


def test_red_never_leaves_the_portal(analyst_a: User, peer_b: User) -> None:
    red = published(analyst_a, TLP.RED, people=[peer_b])

    assert policy.can_forward(red, Channel.PORTAL)
    for channel in set(Channel) - {Channel.PORTAL}:
        assert not policy.can_forward(red, channel), channel
    assert not policy.forwardable(acting(peer_b), Channel.TAXII).exists()


def test_amber_email_carries_a_notice_not_the_content(analyst_a: User, org_b: Organisation) -> None:
    amber = published(analyst_a, TLP.AMBER, organisations=[org_b])

    assert policy.can_forward(amber, Channel.EMAIL_NOTICE)
    assert not policy.can_forward(amber, Channel.EMAIL_CONTENT)


def test_outsider_cannot_edit_and_author_can(analyst_a: User, outsider_c: User) -> None:
    report = published(analyst_a, TLP.CLEAR)

    assert policy.can_edit(acting(analyst_a), report)
    assert not policy.can_edit(acting(outsider_c), report)


@pytest.mark.parametrize(
    "status",
    [Report.Status.DRAFT, Report.Status.PENDING_REVIEW, Report.Status.PUBLISHED],
)
def test_the_report_page_s_edit_right_is_editable_by_s_answer(
    status: str,
    analyst_a: User,
    admin_a: User,
    isac_admin: User,
    peer_b: User,
    org_b: Organisation,
    suspended_d: User,
    org_d: Organisation,
) -> None:
    # given: a report of A's analyst that B may read, and one of D's (not in good standing)
    report = report_row(
        author=analyst_a, tlp=TLP.GREEN, title="Edit rights", status=status,
        audience_organisations=[org_b],
    )  # fmt: skip
    own_of_d = report_row(author=suspended_d, tlp=TLP.CLEAR, title="D's own", status=status)
    colleague = make_person("colleague@a.test", analyst_a.memberships.get().organisation,
                            Membership.Role.ANALYST)  # fmt: skip
    for user in (analyst_a, colleague, admin_a, isac_admin, peer_b, suspended_d):
        for candidate in (report, own_of_d):
            viewer = acting(user)
            expected = policy.editable_by(viewer).filter(pk=candidate.pk).exists()
            # when: a report page reads the report (the edit right rides along) and asks
            with reused_within_request():
                found = policy.visible_report(viewer, pk=candidate.pk)
                answered = policy.can_edit(viewer, candidate) if found is not None else False
            # then: the same answer as the policy's list of what the viewer may change
            assert answered == expected, (user.email, candidate.title, status)


@pytest.mark.parametrize(
    ("tlp", "audience", "fits"),
    [
        (TLP.RED, {"people_count": 1}, True),
        (TLP.RED, {"people_count": 1, "sector_count": 1}, False),
        (TLP.RED, {}, False),
        (TLP.AMBER, {"organisation_count": 1}, True),
        (TLP.AMBER, {}, False),
        (TLP.GREEN, {"people_count": 2, "everyone": True}, False),
        (TLP.CLEAR, {}, True),
    ],
)
def test_audience_that_widens_beyond_the_tlp_is_refused(
    tlp: TLP, audience: dict[str, int], fits: bool
) -> None:
    counts = {
        "everyone": False,
        "sector_count": 0,
        "organisation_count": 0,
        "group_count": 0,
        "people_count": 0,
    }
    counts.update(audience)

    problems = policy.audience_problems(tlp=tlp, **counts)  # type: ignore[arg-type]

    assert (not problems) == fits, problems
