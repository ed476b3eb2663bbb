"""Reads for feeds: whether a report fits a feed, and what a feed yields to a viewer.

A feed is read by fan-out (pushed to subscriptions) and by TAXII (polled as a collection);
what it yields always comes from the policy.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Membership
from sharing import policy
from sharing.models import Feed, Report
from sharing.tlp import TLP


@dataclass(frozen=True)
class FeedCriteria:
    sector_ids: frozenset[int] = frozenset()
    report_types: frozenset[str] = frozenset()
    min_confidence: int = 0
    tlp_min: TLP = TLP.CLEAR
    tlp_max: TLP = TLP.RED
    source_organisation_id: int | None = None
    trust_group_id: int | None = None


@dataclass(frozen=True)
class ReportFacts:
    tlp: TLP
    report_type: str
    confidence: int
    sector_ids: frozenset[int]
    organisation_id: int
    attributed: bool
    group_ids: frozenset[int] = frozenset()


def tlps_between(low: TLP, high: TLP) -> list[TLP]:
    return [t for t in TLP if low.rank <= t.rank <= high.rank]


def criteria_match(criteria: FeedCriteria, facts: ReportFacts) -> bool:
    """Whether a report fits a feed's filter (who may receive it is the policy's business)."""
    if criteria.sector_ids and not (criteria.sector_ids & facts.sector_ids):
        return False
    if criteria.report_types and facts.report_type not in criteria.report_types:
        return False
    if facts.confidence < criteria.min_confidence:
        return False
    if facts.tlp not in tlps_between(criteria.tlp_min, criteria.tlp_max):
        return False
    if criteria.trust_group_id is not None and criteria.trust_group_id not in facts.group_ids:
        return False
    if criteria.source_organisation_id is not None:
        return facts.attributed and facts.organisation_id == criteria.source_organisation_id
    return True


def feeds_matching(facts: ReportFacts) -> list[int]:
    """The active feeds with an active subscription whose filter the report (or request for
    information) fits; who may receive it is still the policy's business."""
    feeds = (
        Feed.objects.filter(is_active=True, subscriptions__is_active=True)
        .distinct()
        .prefetch_related("sectors")
    )
    return [
        feed.pk
        for feed in feeds
        if criteria_match(feed_criteria(feed, sector_ids=[s.pk for s in feed.sectors.all()]), facts)
    ]


def feed_criteria(feed: Feed, *, sector_ids: Iterable[int] | None = None) -> FeedCriteria:
    if sector_ids is None:
        sector_ids = feed.sectors.values_list("pk", flat=True)
    return FeedCriteria(
        sector_ids=frozenset(sector_ids),
        report_types=frozenset(feed.report_types or ()),
        min_confidence=feed.min_confidence,
        tlp_min=TLP(feed.tlp_min),
        tlp_max=TLP(feed.tlp_max),
        source_organisation_id=feed.source_organisation_id,
        trust_group_id=feed.trust_group_id,
    )


def report_facts(report: Report) -> ReportFacts:
    return ReportFacts(
        tlp=TLP(report.tlp),
        report_type=report.report_type,
        confidence=report.confidence,
        sector_ids=frozenset(report.sectors.values_list("pk", flat=True)),
        organisation_id=report.organisation_id,
        attributed=report.attributed,
        group_ids=frozenset(report.audience_groups.values_list("pk", flat=True)),
    )


def _criteria_q(criteria: FeedCriteria) -> Q:
    q = Q(tlp__in=tlps_between(criteria.tlp_min, criteria.tlp_max))
    q &= Q(confidence__gte=criteria.min_confidence)
    if criteria.report_types:
        q &= Q(report_type__in=sorted(criteria.report_types))
    if criteria.sector_ids:
        through = Report.sectors.through
        q &= Q(
            Exists(
                through.objects.filter(
                    report_id=OuterRef("pk"), sector_id__in=sorted(criteria.sector_ids)
                )
            )
        )
    if criteria.trust_group_id is not None:
        groups = Report.audience_groups.through
        q &= Q(
            Exists(
                groups.objects.filter(
                    report_id=OuterRef("pk"), trustgroup_id=criteria.trust_group_id
                )
            )
        )
    if criteria.source_organisation_id is not None:
        q &= Q(attributed=True, organisation_id=criteria.source_organisation_id)
    return q


def feeds_for(viewer: Membership | None) -> QuerySet[Feed]:
    """The feeds a member may browse: the ISAC's, and their own personal filters."""
    if viewer is None:
        return Feed.objects.none()
    return Feed.objects.filter(is_active=True).filter(~Q(kind=Feed.Kind.PERSONAL) | Q(owner=viewer))


def feed_reports(
    feed: Feed,
    viewer: Membership | None,
    channel: policy.Channel,
    *,
    with_withdrawn: bool = False,
) -> QuerySet[Report]:
    """The reports the feed yields to the viewer over the channel (TAXII serves this too).

    `with_withdrawn`: for subscribers that keep copies (MISP feeds), the reports withdrawn
    after publication too (policy.kept_in_step), so their copies learn of it."""
    if viewer is None or not feeds_for(viewer).filter(pk=feed.pk).exists():
        return Report.objects.none()
    reports = (
        policy.kept_in_step(viewer, channel)
        if with_withdrawn
        else policy.forwardable(viewer, channel)
    )
    return reports.filter(_criteria_q(feed_criteria(feed)))
