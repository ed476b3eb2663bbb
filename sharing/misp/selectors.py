"""Reads behind the MISP feeds: which reports a feed or trust group yields as events, and
their manifest entries, event files and value hashes.

Every set of reports starts from the access policy (`policy.kept_in_step` over the MISP
channel: published and withdrawn reports the member may receive, never RED, nothing for an
organisation not in good standing); this module only narrows it and writes it out. Large
feeds are read in chunks from a database cursor, never loaded whole.
"""

import hashlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    Func,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Greatest

from accounts.models import Membership, Organisation
from accounts.selectors.groups import groups_of
from sharing import policy
from sharing.feeds.selectors import feed_reports, feeds_for
from sharing.formats.misp import EventHead, SharedValue, event_document, hash_lines
from sharing.indicator_types import IndicatorType
from sharing.models import Report, ReportIndicator, StixObject
from sharing.stix.objects import deterministic_id, value_of_object
from sharing.tlp import TLP

logger = logging.getLogger(__name__)

CHANNEL = policy.Channel.MISP_FEED
# Part of every ETag and cache key: a change of the written shape invalidates them all.
FORMAT_VERSION = "1"
CHUNK = 2000


@dataclass(frozen=True)
class MispFeed:
    """A feed as one member pulls it: `reports` is already the policy's answer for them."""

    key: str  # "feed:<uuid>" or "group:<uuid>": names the feed in ETags and cache keys
    title: str
    reports: QuerySet[Report]


def feed_for(viewer: Membership, feed_uuid: uuid.UUID) -> MispFeed | None:
    """A portal feed the viewer may browse, as a MISP feed; None when they may not."""
    feed = feeds_for(viewer).filter(uuid=feed_uuid).first()
    if feed is None:
        return None
    return MispFeed(
        key=f"feed:{feed.uuid}",
        title=feed.name,
        reports=feed_reports(feed, viewer, CHANNEL, with_withdrawn=True),
    )


def group_for(viewer: Membership, group_uuid: uuid.UUID) -> MispFeed | None:
    """The reports addressed to a trust group the viewer's organisation is in."""
    group = groups_of(viewer).filter(uuid=group_uuid).first()
    if group is None:
        return None
    return MispFeed(
        key=f"group:{group.uuid}",
        title=group.name,
        reports=policy.kept_in_step(viewer, CHANNEL).filter(audience_groups=group),
    )


# --- Event heads -------------------------------------------------------------------------


def _with_changed(reports: QuerySet[Report]) -> QuerySet[Report]:
    """Annotate `changed`: the last change of what the event carries. A revision saves the
    report; the worker that reads its text again writes STIX rows (date_added) when the
    indicators change, which may be after the report was saved."""
    latest_object = (
        StixObject.objects.filter(report_id=OuterRef("pk"))
        .order_by("-date_added")
        .values("date_added")[:1]
    )
    return reports.annotate(
        changed=Greatest(
            F("updated_at"),
            Coalesce(Subquery(latest_object, output_field=DateTimeField()), F("updated_at")),
        )
    )


@dataclass(frozen=True)
class Source:
    """The organisation an event names (MISP's Orgc)."""

    name: str
    uuid: str


def isac_source() -> Source:
    """The ISAC, shown as the source of every report not attributed to its member (the same
    identity the STIX objects name, sharing.stix.report.source_identity)."""
    row = Organisation.objects.filter(is_isac=True).values_list("name", "uuid").first()
    if row is not None:
        return Source(name=row[0], uuid=str(row[1]))
    return Source(name="ISAC", uuid=deterministic_id("identity", "isac").split("--", 1)[1])


_HEAD_FIELDS = (
    "pk",
    "uuid",
    "title",
    "published_at",
    "changed",
    "tlp",
    "status",
    "attributed",
    "organisation__name",
    "organisation__uuid",
)


def _head(row: tuple[Any, ...], isac: Source) -> EventHead:
    _, report_uuid, title, published, changed, tlp, status, attributed, org_name, org_uuid = row
    source = Source(name=org_name, uuid=str(org_uuid)) if attributed else isac
    return EventHead(
        uuid=str(report_uuid),
        info=title,
        published=published,
        timestamp=int(changed.timestamp()),
        tlp=TLP(tlp),
        orgc_name=source.name,
        orgc_uuid=source.uuid,
        withdrawn=status == Report.Status.WITHDRAWN,
    )


def event_heads(feed: MispFeed) -> Iterator[EventHead]:
    """Every event of the feed, oldest first, read in chunks."""
    isac = isac_source()
    rows = (
        _with_changed(feed.reports)
        .order_by("published_at", "pk")
        .values_list(*_HEAD_FIELDS)
        .iterator(chunk_size=CHUNK)
    )
    for row in rows:
        yield _head(row, isac)


@dataclass(frozen=True)
class Freshness:
    """What a conditional GET compares: the ETag and the newest change."""

    etag: str
    last_modified: datetime | None


def _reports_digest(reports: QuerySet[Report]) -> tuple[str, datetime | None]:
    """(digest, newest updated_at) of which reports these are and when each was saved, with
    the source each names; computed in the database when it is PostgreSQL."""
    rows = reports.order_by().values("pk", "updated_at", "attributed", "organisation__name")
    if connection.vendor == "postgresql":
        part = Concat(
            Cast("pk", TextField()),
            Value(":"),
            Cast("updated_at", TextField()),
            Value(":"),
            Case(When(attributed=True, then=F("organisation__name")), default=Value("")),
            output_field=TextField(),
        )
        found = rows.aggregate(
            count=Count("pk"),
            digest=Func(StringAgg(part, delimiter=";", order_by="pk"), function="md5"),
            newest=Max("updated_at"),
        )
        return f"{found['count']}:{found['digest']}", found["newest"]
    digest = hashlib.sha256()
    newest: datetime | None = None
    for row in rows.order_by("pk").iterator(chunk_size=CHUNK * 5):
        name = row["organisation__name"] if row["attributed"] else ""
        digest.update(f"{row['pk']}:{row['updated_at'].isoformat()}:{name};".encode())
        newest = row["updated_at"] if newest is None else max(newest, row["updated_at"])
    return digest.hexdigest(), newest


def feed_freshness(feed: MispFeed) -> Freshness:
    """The manifest's (and hashes.csv's) version, without writing either: a digest of which
    events the member receives and when each report was saved, plus the newest STIX row
    stored for any of them. Normalisation stores a row (stamped with the time it is stored)
    whenever what a report carries changes, so the newest such row moves with every change
    the worker makes after the report was saved.

    Two members who receive exactly the same events get the same digest, so they can share
    a cached manifest: its content depends on nothing else.
    """
    reports_digest, newest_save = _reports_digest(feed.reports)
    newest_object = StixObject.objects.filter(report_id__in=feed.reports.values("pk")).aggregate(
        newest=Max("date_added")
    )["newest"]
    moments = [m for m in (newest_save, newest_object) if m is not None]
    key = "|".join(
        [
            FORMAT_VERSION,
            feed.key,
            str(isac_source()),
            reports_digest,
            newest_object.isoformat() if newest_object else "",
        ]
    )
    return Freshness(
        etag=hashlib.sha256(key.encode()).hexdigest(),
        last_modified=max(moments) if moments else None,
    )


# --- One event ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFile:
    head: EventHead
    report_pk: int
    changed: datetime  # to the microsecond: two changes within one second differ

    @property
    def etag(self) -> str:
        key = f"{FORMAT_VERSION}|{self.head}|{self.changed.isoformat()}"
        return hashlib.sha256(key.encode()).hexdigest()


def event_file(feed: MispFeed, event_uuid: uuid.UUID) -> EventFile | None:
    """The event of one report of the feed; None when the feed does not yield it to this
    member (the same answer as for an event that does not exist)."""
    row = _with_changed(feed.reports).filter(uuid=event_uuid).values_list(*_HEAD_FIELDS).first()
    if row is None:
        return None
    return EventFile(head=_head(row, isac_source()), report_pk=row[0], changed=row[4])


def shared_values(report_pk: int, report_uuid: str) -> list[SharedValue]:
    """The report's indicators with the report's context for each, then those a revision
    took out of its text (deleted)."""
    links = (
        ReportIndicator.objects.filter(report_id=report_pk)
        .order_by("indicator__type", "indicator__value")
        .values_list(
            "indicator__type",
            "indicator__value",
            "description",
            "on_warning_list",
            "first_seen",
            "last_seen",
        )
    )
    values = []
    for kind, value, description, warning_list, first_seen, last_seen in links:
        try:
            indicator_type = IndicatorType(kind)
        except ValueError:
            logger.warning("indicator type %r has no MISP mapping; left out of the event", kind)
            continue
        values.append(
            SharedValue(
                type=indicator_type,
                value=value,
                description=description,
                warning_list=warning_list,
                first_seen=first_seen,
                last_seen=last_seen,
            )
        )
    present = {(item.type, item.value) for item in values}
    values.extend(
        SharedValue(type=kind, value=value, deleted=True)
        for kind, value in _dropped(report_pk, report_uuid)
        if (kind, value) not in present
    )
    return values


def _dropped(report_pk: int, report_uuid: str) -> list[tuple[IndicatorType, str]]:
    """Values an earlier reading of the report's text yielded and a revision dropped: their
    objects' newest versions are revoked (sharing.normalize.services)."""
    rows = (
        StixObject.objects.filter(
            report_id=report_pk, type__in=("indicator", "vulnerability", "attack-pattern")
        )
        .order_by("stix_id", "-modified", "-id")
        .values_list("stix_id", "data")
    )
    newest: dict[str, dict[str, Any]] = {}
    for stix_id, data in rows:
        newest.setdefault(stix_id, data)
    dropped = []
    for data in newest.values():
        if data.get("revoked"):
            found = value_of_object(data, report_key=report_uuid)
            if found is not None:
                dropped.append(found)
    return sorted(dropped)


def _narrative(report_pk: int) -> str:
    summary, body = Report.objects.filter(pk=report_pk).values_list("summary", "body_markdown")[0]
    return "\n\n".join(part.strip() for part in (summary, body) if part.strip())


def event_body(event: EventFile) -> dict[str, Any]:
    return event_document(
        event.head,
        shared_values(event.report_pk, event.head.uuid),
        narrative=_narrative(event.report_pk),
    )


def report_event(report: Report) -> dict[str, Any]:
    """One report as a MISP event (the download; the caller has checked the reader)."""
    reports = Report.objects.filter(pk=report.pk)  # the one report the caller was given
    row = _with_changed(reports).values_list(*_HEAD_FIELDS).get()
    return event_body(
        EventFile(head=_head(row, isac_source()), report_pk=report.pk, changed=row[4])
    )


# --- hashes.csv --------------------------------------------------------------------------


def hash_lines_of(feed: MispFeed) -> Iterator[str]:
    """hashes.csv of the feed: the values of its standing events (a withdrawn event's
    attributes are deleted, so they no longer match anything), read in chunks."""
    standing = feed.reports.filter(status=Report.Status.PUBLISHED).values("pk")
    rows = (
        ReportIndicator.objects.filter(report_id__in=standing)
        .order_by("report_id", "indicator_id")
        .values_list("report__uuid", "indicator__value")
        .iterator(chunk_size=CHUNK * 5)
    )
    for report_uuid, value in rows:
        yield from hash_lines(str(report_uuid), [value])
