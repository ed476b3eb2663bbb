"""Policy conditions compiled once per process and bound per viewer (portal.bound_sql).

The binding must say exactly what the policy's own code says, wherever Django puts the
condition: at the top of a query, inside a subquery that Django relabels, next to other
subqueries with the same aliases, for two viewers of the same shape in a row.
"""

from collections.abc import Mapping
from typing import Any

import pytest
from django.db.models import Exists, OuterRef, Q
from django.test import override_settings

from accounts.models import Organisation, Sector, User
from portal.bound_sql import ConditionTemplate, Mismatch
from sharing import policy
from sharing.models import Report, ReportIndicator, ReportRevision
from sharing.tlp import TLP
from tests.fixtures.members import acting
from tests.fixtures.reports import report_row, shared


@pytest.fixture
def reports_of_a(analyst_a: User, peer_b: User, org_b: Organisation, energy: Sector) -> None:
    for tlp, audience in (
        (TLP.CLEAR, {}),
        (TLP.GREEN, {"audience_sectors": [energy]}),
        (TLP.AMBER, {"audience_organisations": [org_b]}),
        (TLP.RED, {"audience_people": [peer_b]}),
    ):
        report_row(author=analyst_a, tlp=tlp, title=f"{tlp.label} report", **audience)


def titles(reports: Any) -> set[str]:
    return set(reports.values_list("title", flat=True))


@pytest.mark.usefixtures("reports_of_a")
def test_two_viewers_of_the_same_shape_each_get_their_own_reports(
    peer_b: User, outsider_c: User
) -> None:
    """The compiled SQL is shared, the ids are not: the second viewer is not answered with
    the first one's values."""
    assert titles(policy.visible_to(acting(peer_b))) == {
        "TLP:CLEAR report",
        "TLP:GREEN report",
        "TLP:AMBER report",
        "TLP:RED report",
    }
    assert titles(policy.visible_to(acting(outsider_c))) == {"TLP:CLEAR report"}
    assert titles(policy.visible_to(acting(peer_b))) == {
        "TLP:CLEAR report",
        "TLP:GREEN report",
        "TLP:AMBER report",
        "TLP:RED report",
    }


@pytest.mark.usefixtures("reports_of_a")
def test_the_condition_means_the_same_inside_subqueries_that_django_relabels(
    peer_b: User, outsider_c: User
) -> None:
    """Used as `pk__in` of another report query (its table becomes `U0` there) and inside
    `Exists` under a query over another table, nested two deep: the condition still reads the
    row it belongs to, never a row of the query around it, and its own subqueries' aliases
    never capture the enclosing query's."""
    for person in (peer_b, outsider_c):
        viewer = acting(person)
        expected = titles(policy.visible_to(viewer))
        as_pk_in = Report.objects.filter(pk__in=policy.visible_to(viewer).values("pk"))
        assert titles(as_pk_in) == expected
        readable = policy.visible_to(viewer).filter(pk=OuterRef("pk"))
        as_exists = Report.objects.filter(Exists(readable))
        assert titles(as_exists) == expected
        # Two levels down, below another subquery that also has U0/V0 aliases of its own.
        nested = Report.objects.filter(
            Exists(
                Report.objects.filter(pk=OuterRef("pk")).filter(
                    Exists(policy.visible_to(viewer).filter(pk=OuterRef("pk")))
                )
            ),
            ~Exists(ReportIndicator.objects.filter(report_id=OuterRef("pk"))),
        )
        assert titles(nested) == expected
        # Not tied to the outer row: whether the RED report is readable is asked of the RED
        # report, for every row of the outer query.
        red_readable = Exists(policy.visible_to(viewer).filter(title="TLP:RED report"))
        everything = titles(Report.objects.all())
        assert titles(Report.objects.filter(red_readable)) == (
            everything if "TLP:RED report" in expected else set()
        )


def test_the_compiled_sql_has_no_alias_an_enclosing_query_could_capture(
    analyst_a: User,
) -> None:
    """Django names subquery tables U0, V0, ... at every level; the template's are renamed."""
    sql = str(policy.visible_to(acting(analyst_a)).filter(Q(title="x")).query)
    assert "bsql_" in sql
    assert " U0" not in sql
    assert " V0" not in sql


def test_versions_are_bound_with_the_same_guarantees(
    analyst_a: User, peer_b: User, outsider_c: User, org_b: Organisation
) -> None:
    """A version's own audience, bound per viewer, inside the sightings' `Exists` (relabeled)."""
    for tlp, audience in (
        (TLP.CLEAR, {}),
        (TLP.AMBER, {"audience_organisations": [org_b]}),
        (TLP.RED, {"audience_people": [peer_b]}),
    ):
        shared(analyst_a, tlp, title=f"{tlp.label} report", **audience)
    for person, expected in (
        (peer_b, {"TLP:CLEAR report", "TLP:AMBER report", "TLP:RED report"}),
        (outsider_c, {"TLP:CLEAR report"}),
        (peer_b, {"TLP:CLEAR report", "TLP:AMBER report", "TLP:RED report"}),
    ):
        viewer = acting(person)
        assert set(policy.visible_revisions(viewer).values_list("title", flat=True)) == expected
        readable_versions = ReportRevision.objects.filter(
            Exists(policy.visible_revisions(viewer).filter(pk=OuterRef("pk")))
        )
        assert set(readable_versions.values_list("title", flat=True)) == expected


def _by_title(shape: bool, values: Mapping[str, Any]) -> Q:
    # A value turned into text is not a value the template can bind: refused when compiled.
    return Q(title=str(values["organisation_id"]))


def _branching(shape: bool, values: Mapping[str, Any]) -> Q:
    # A tree that depends on a value instead of the shape: caught by the check.
    if values["organisation_id"] > 2_000_000_000:
        return Q(organisation_id=values["organisation_id"])
    return Q(organisation_id=values["organisation_id"]) | Q(tlp=TLP.CLEAR)


@pytest.mark.django_db
def test_a_value_not_used_as_a_value_is_refused_when_compiled() -> None:
    template = ConditionTemplate(Report, _by_title, ints=("organisation_id",))
    with pytest.raises(ValueError, match="does not use"):
        template.bind(True, {"organisation_id": 7})


@pytest.mark.django_db
def test_the_check_catches_a_tree_that_depends_on_a_value() -> None:
    template = ConditionTemplate(Report, _branching, ints=("organisation_id",))
    with override_settings(BOUND_SQL_CHECK=True), pytest.raises(Mismatch):
        template.bind(True, {"organisation_id": 7})


@pytest.mark.django_db
def test_a_condition_that_joins_another_table_is_refused() -> None:
    template = ConditionTemplate(
        ReportRevision,
        lambda shape, values: Q(report__organisation_id=values["organisation_id"]),
        ints=("organisation_id",),
    )
    with pytest.raises(ValueError, match="may not join"):
        template.bind(True, {"organisation_id": 7})
