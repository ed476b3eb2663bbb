"""Answers every page shows, kept in the cache: the report list's Source choices and the
unread badge (a minute per membership, portal.kept), and the list's rows (sharing.list_rows).
Kept answers are the policy's, never another reader's, and the pages work the same when the
cache (Redis) is away."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from accounts.models import Membership, Organisation, User
from portal.kept import keep, keep_first, kept, kept_for_membership
from sharing import policy
from sharing.models import Report
from sharing.selectors import source_choices
from sharing.services import sighting_create
from sharing.tlp import TLP
from tests.fixtures.cache import REDIS_AWAY
from tests.fixtures.members import acting, signed_in
from tests.fixtures.reports import report_row

pytestmark = pytest.mark.django_db


def source_options(user: User) -> str:
    page = signed_in(user).get("/reports/").content.decode()
    start = page.index('name="source"')
    return page[start : page.index("</select>", start)]


@pytest.fixture
def b_wrote_for_a(peer_b: User, analyst_a: User) -> None:
    report_row(
        author=peer_b, tlp=TLP.AMBER, title="For A", attributed=True,
        audience_organisations=[acting(analyst_a).organisation],
    )  # fmt: skip


def test_the_source_choices_are_the_policy_s_sources_by_name(
    b_wrote_for_a: None, analyst_a: User, outsider_c: User, org_b: Organisation
) -> None:
    viewer = acting(analyst_a)
    expected = [(str(o.uuid), o.name) for o in policy.visible_sources(viewer).order_by("name")]

    assert source_choices(viewer) == expected
    assert (str(org_b.uuid), org_b.name) in expected
    assert source_choices(viewer) == expected, "and the same when read from the cache"
    assert org_b.name not in source_options(outsider_c)


def test_a_kept_answer_is_never_given_to_another_membership(
    b_wrote_for_a: None, analyst_a: User, outsider_c: User, org_b: Organisation
) -> None:
    reader = acting(analyst_a)
    outsider = acting(outsider_c)
    # given: A's answer was kept under the outsider's row number, as a cache left over from
    # another database (whose rows were numbered from 1 again) would hold it
    cache.set(f"report-source-choices:{outsider.pk}", (str(reader.uuid), source_choices(reader)))

    # then: the outsider's own answer is computed
    assert source_choices(outsider) == [
        (str(o.uuid), o.name) for o in policy.visible_sources(outsider).order_by("name")
    ]
    assert org_b.name not in source_options(outsider_c)


def test_with_the_cache_away_the_list_and_its_choices_still_work(
    b_wrote_for_a: None, analyst_a: User, org_b: Organisation
) -> None:
    with override_settings(CACHES=REDIS_AWAY):
        options = source_options(analyst_a)
        computed: list[int] = []

        def compute() -> int:
            computed.append(1)
            return 7

        membership = Membership.objects.get(user=analyst_a)
        value = kept_for_membership("probe", membership, 60, compute)
        again = kept_for_membership("probe", membership, 60, compute)

    assert org_b.name in options
    assert (value, again) == (7, 7)
    assert computed == [1, 1], "nothing kept: computed on every request"


# --- the report list's rows, drawn once for what they show (sharing.list_rows) -----------


def row_of(user: User, title: str) -> str:
    page = signed_in(user).get("/reports/").content.decode()
    start = page.rindex('<article class="report-row', 0, page.index(title))
    return page[start : page.index("</article>", start)]


def test_a_kept_row_never_names_a_hidden_source_to_another_reader(
    analyst_a: User, peer_b: User
) -> None:
    # given: A's report for everyone, shared without attribution
    report_row(
        author=analyst_a, tlp=TLP.GREEN, title="Unattributed wiper", audience_everyone=True,
        attributed=False,
    )  # fmt: skip

    # when: A (who may see its own name) draws the row first, then B reads the list
    own = row_of(analyst_a, "Unattributed wiper")
    other = row_of(peer_b, "Unattributed wiper")

    # then: each sees their own source line
    assert "Member A" in own
    assert "Member A" not in other
    assert "the ISAC" in other


def test_a_kept_row_follows_what_changes_on_the_report(analyst_a: User, peer_b: User) -> None:
    report = report_row(author=analyst_a, tlp=TLP.GREEN, title="Wiper", audience_everyone=True)
    assert "0 sightings" in row_of(peer_b, "Wiper")

    sighting_create(report=report, by=acting(peer_b), note="seen")
    assert "1 sighting" in row_of(peer_b, "Wiper")

    # a change written without the model's own save (no new updated_at) shows too
    Report.objects.filter(pk=report.pk).update(
        summary="Now with a summary.", status=Report.Status.WITHDRAWN
    )
    row = row_of(peer_b, "Wiper")
    assert "Now with a summary." in row
    assert "Withdrawn" in row


def test_a_value_kept_under_a_key_and_the_first_one_kept_with_and_without_the_cache() -> None:
    cache.delete_many(["probe:value", "probe:first"])
    keep("probe:value", b"answer", 60)
    first = keep_first("probe:first", "one", 60)
    second = keep_first("probe:first", "two", 60)
    assert (kept("probe:value"), first, second) == (b"answer", "one", "one")
    assert kept("probe:nothing") is None

    with override_settings(CACHES=REDIS_AWAY):
        keep("probe:value", b"other", 60)  # nothing kept, nothing raised
        assert kept("probe:value") is None
        assert keep_first("probe:first", "three", 60) == "three"
