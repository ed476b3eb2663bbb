"""The registry of what the dashboards count per member organisation.

A kind is one thing an organisation gives (a report shared, a sighting reported, ...), gets
(a report shared with it, a sighting of its reports by another member, ...) or reaches
(another organisation that read what it shared). Each kind says which rows it counts, read
through sharing.policy as seen by a person of the organisation, annotated with `at` (when it
happened) and `counted` (what is counted once: a report, an indicator, an organisation).
The refresh counts every kind per month and over the whole window; the pages, the reciprocity
index and the ISAC's CSV export list whatever is registered. A new kind is one
`register(Kind(...))`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import F, Q, QuerySet

from accounts.models import Membership, Organisation
from sharing import policy
from sharing.models import Report, ReportRead, Sighting
from sharing.tlp import TLP


class Side(StrEnum):
    GIVEN = "given"  # what the organisation contributes
    RECEIVED = "received"  # the value it gets back
    REACH = "reach"  # how far what it shared went: other organisations, counted, never named


# (a person of the organisation, the organisation) -> rows annotated with `at` and `counted`.
Rows = Callable[[Membership, Organisation], QuerySet[Any]]


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # as a column heading: "Reports shared"
    side: Side
    # Units this kind adds to its side of the reciprocity index; 0: shown, not in the index.
    weight: int
    rows: Rows
    description: str


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.key in KINDS:
        raise ValueError(f"An insight kind named {kind.key!r} is already registered.")
    KINDS[kind.key] = kind
    return kind


def of_side(side: Side) -> list[Kind]:
    return [kind for kind in KINDS.values() if kind.side == side]


# --- What every kind counts over ---------------------------------------------------------
# TLP:RED is for its named people only: no figure counts it, for anyone (docs/tlp.md).


def readable_reports(reader: Membership) -> QuerySet[Report]:
    """Published or withdrawn reports below RED the reader may read."""
    return (
        policy.visible_to(reader)
        .filter(status__in=policy.READABLE_STATUSES)
        .exclude(tlp=TLP.RED)
        .filter(published_at__isnull=False)
    )


def _below_red(prefix: str = "report__") -> Q:
    return ~Q(**{f"{prefix}tlp": TLP.RED}) & Q(**{f"{prefix}status__in": policy.READABLE_STATUSES})


def _reports_shared(reader: Membership, org: Organisation) -> QuerySet[Any]:
    return (
        readable_reports(reader)
        .filter(organisation=org)
        .annotate(at=F("published_at"), counted=F("pk"))
    )


def _indicators_shared(reader: Membership, org: Organisation) -> QuerySet[Any]:
    return (
        policy.visible_report_indicators(reader)
        .filter(_below_red(), report__organisation=org, report__published_at__isnull=False)
        .annotate(at=F("report__published_at"), counted=F("indicator_id"))
    )


def _sightings_reported(reader: Membership, org: Organisation) -> QuerySet[Any]:
    # Sightings of its own reports say nothing new; those of others' reports are given back.
    return (
        policy.visible_sightings(reader)
        .filter(_below_red(), organisation=org)
        .exclude(report__organisation=org)
        .annotate(at=F("created_at"), counted=F("pk"))
    )


def _comments_written(reader: Membership, org: Organisation) -> QuerySet[Any]:
    return (
        policy.visible_comments(reader)
        .filter(_below_red(), organisation=org)
        .annotate(at=F("created_at"), counted=F("pk"))
    )


def received_reports(reader: Membership, org: Organisation) -> QuerySet[Report]:
    """Reports of other organisations (and the ISAC) the organisation's people may read."""
    return readable_reports(reader).exclude(organisation=org)


def _reports_received(reader: Membership, org: Organisation) -> QuerySet[Any]:
    return received_reports(reader, org).annotate(at=F("published_at"), counted=F("pk"))


def _indicators_received(reader: Membership, org: Organisation) -> QuerySet[Any]:
    return (
        policy.visible_report_indicators(reader)
        .filter(_below_red(), report__published_at__isnull=False)
        .exclude(report__organisation=org)
        .annotate(at=F("report__published_at"), counted=F("indicator_id"))
    )


def _others_sightings(reader: Membership, org: Organisation) -> QuerySet[Sighting]:
    return (
        policy.visible_sightings(reader)
        .filter(_below_red(), report__organisation=org)
        .exclude(organisation=org)
    )


def _sightings_by_others(reader: Membership, org: Organisation) -> QuerySet[Any]:
    return _others_sightings(reader, org).annotate(at=F("created_at"), counted=F("pk"))


def _rfi_answers_given(reader: Membership, org: Organisation) -> QuerySet[Any]:
    return (
        policy.visible_rfi_answers(reader)
        .filter(organisation=org)
        .exclude(rfi__organisation=org)
        .exclude(rfi__tlp=TLP.RED)
        .annotate(at=F("created_at"), counted=F("pk"))
    )


def _alerts_received(reader: Membership, org: Organisation) -> QuerySet[Any]:
    # Alerts are raised by the portal for what touches the organisation: value it got back.
    return (
        policy.visible_alerts(reader)
        .filter(_below_red(), organisation=org)
        .annotate(at=F("created_at"), counted=F("pk"))
    )


def _readers(reader: Membership, org: Organisation) -> QuerySet[Any]:
    # The ISAC's own reading (curation) is not a member's reach.
    return (
        policy.restrict(reader, ReportRead.objects.all())
        .filter(_below_red(), report__organisation=org)
        .exclude(organisation=org)
        .exclude(organisation__is_isac=True)
        .annotate(at=F("first_read_at"), counted=F("organisation_id"))
    )


def _sighters(reader: Membership, org: Organisation) -> QuerySet[Any]:
    return _others_sightings(reader, org).annotate(at=F("created_at"), counted=F("organisation_id"))


register(
    Kind(
        key="reports_shared",
        label="Reports shared",
        side=Side.GIVEN,
        weight=1,
        rows=_reports_shared,
        description="reports the organisation published (by month of publication)",
    )
)
register(
    Kind(
        key="indicators_shared",
        label="Indicators shared",
        side=Side.GIVEN,
        weight=0,
        rows=_indicators_shared,
        description="distinct indicators in the reports it published",
    )
)
register(
    Kind(
        key="sightings_reported",
        label="Sightings reported",
        side=Side.GIVEN,
        weight=1,
        rows=_sightings_reported,
        description="sightings it reported on other members' reports and indicators",
    )
)
register(
    Kind(
        key="comments_written",
        label="Comments written",
        side=Side.GIVEN,
        weight=1,
        rows=_comments_written,
        description="comments its people wrote under reports",
    )
)
register(
    Kind(
        key="rfi_answers_given",
        label="RFI answers given",
        side=Side.GIVEN,
        weight=1,
        rows=_rfi_answers_given,
        description="answers its people gave to other members' requests for information",
    )
)
register(
    Kind(
        key="reports_received",
        label="Reports received",
        side=Side.RECEIVED,
        weight=1,
        rows=_reports_received,
        description="reports of other members and of the ISAC that its people may read",
    )
)
register(
    Kind(
        key="indicators_received",
        label="Indicators received",
        side=Side.RECEIVED,
        weight=0,
        rows=_indicators_received,
        description="distinct indicators in the reports it received",
    )
)
register(
    Kind(
        key="sightings_received",
        label="Sightings by others",
        side=Side.RECEIVED,
        weight=1,
        rows=_sightings_by_others,
        description="sightings other members reported of its reports and their indicators",
    )
)
register(
    Kind(
        key="alerts_received",
        label="Alerts that touched it",
        side=Side.RECEIVED,
        weight=1,
        rows=_alerts_received,
        description="alerts raised for it: published material matching its watch list",
    )
)
register(
    Kind(
        key="reader_organisations",
        label="Organisations that read its reports",
        side=Side.REACH,
        weight=0,
        rows=_readers,
        description="other member organisations that opened one of its reports (counted once)",
    )
)
register(
    Kind(
        key="sighter_organisations",
        label="Organisations that sighted its reports",
        side=Side.REACH,
        weight=0,
        rows=_sighters,
        description="other member organisations that reported a sighting of its reports",
    )
)
