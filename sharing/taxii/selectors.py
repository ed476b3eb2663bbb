"""Reads behind the TAXII endpoints: collections, filtered pages of STIX object versions.

Every queryset starts from the access policy; this module only narrows and pages it.
"""

import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast

from accounts.models import Membership, TrustGroup
from accounts.selectors.groups import groups_of
from sharing import policy
from sharing.feeds.selectors import feed_reports, feeds_for
from sharing.models import Feed, StixObject, Submission
from sharing.normalize.selectors import next_step
from sharing.taxii.protocol import Cursor, ObjectQuery, format_timestamp

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_NAMESPACE = uuid.UUID("6f1d6c38-3a39-4d4e-9a43-5b1e3f0f4a21")
SHARED_WITH_ME_ID = uuid.uuid5(_NAMESPACE, "shared-with-me")
INBOX_ID = uuid.uuid5(_NAMESPACE, "inbox")


@dataclass(frozen=True)
class TaxiiCollection:
    """A collection as one caller sees it; `objects` is already filtered by the policy."""

    id: uuid.UUID
    title: str
    description: str
    can_read: bool
    can_write: bool
    objects: Callable[[], QuerySet[StixObject]]

    def resource(self) -> dict[str, object]:
        return {
            "id": str(self.id),
            "title": self.title,
            "description": self.description,
            "can_read": self.can_read,
            "can_write": self.can_write,
            "media_types": [STIX_MEDIA_TYPE],
        }


def collections_for(viewer: Membership, *, only: uuid.UUID | None = None) -> list[TaxiiCollection]:
    """The collections the caller may use, in the order a client lists them (`only`: just
    the one with that id, if the caller may use it)."""
    if only in (SHARED_WITH_ME_ID, INBOX_ID):
        return [c for c in _fixed_collections(viewer, only=only) if c.id == only]
    feeds = feeds_for(viewer)
    groups = groups_of(viewer).order_by("name")
    if only is not None:
        feeds, groups = feeds.filter(uuid=only), groups.filter(uuid=only)
    return (
        ([] if only else _fixed_collections(viewer))
        + [_feed_collection(viewer, feed) for feed in feeds]
        + [_group_collection(viewer, group) for group in groups]
    )


def _fixed_collections(
    viewer: Membership, *, only: uuid.UUID | None = None
) -> list[TaxiiCollection]:
    collections = [
        TaxiiCollection(
            id=SHARED_WITH_ME_ID,
            title="Shared with my organisation",
            description=(
                "Every published report's STIX objects the access policy lets this "
                "organisation receive over TAXII (TLP:CLEAR, GREEN, AMBER, AMBER+STRICT; "
                "never RED)."
            ),
            can_read=True,
            can_write=False,
            objects=lambda: _taxii_objects(viewer),
        )
    ]
    # The inbox is there for organisations that may post; asked for the shared collection
    # alone, the question need not be put to the database.
    if only != SHARED_WITH_ME_ID and policy.can_post(viewer):
        collections.append(
            TaxiiCollection(
                id=INBOX_ID,
                title="Inbox: submit to the ISAC",
                description=(
                    "POST a TAXII envelope of STIX 2.1 objects to submit them; they go "
                    "through normalisation and review before they are shared. Reading "
                    "lists this organisation's own shared objects, which it may delete."
                ),
                can_read=True,
                can_write=True,
                objects=lambda: policy.own_stix_objects(viewer),
            )
        )
    return collections


def _feed_collection(viewer: Membership, feed: Feed) -> TaxiiCollection:
    return TaxiiCollection(
        id=feed.uuid,
        title=f"Feed: {feed.name}",
        description=feed.description or f"{feed.get_kind_display()}.",
        can_read=True,
        can_write=False,
        objects=functools.partial(_feed_objects, viewer, feed),
    )


def _group_collection(viewer: Membership, group: TrustGroup) -> TaxiiCollection:
    return TaxiiCollection(
        id=group.uuid,
        title=f"Trust group: {group.name}",
        description=(
            f"STIX objects of published reports addressed to the "
            f"{group.get_kind_display().lower()} {group.name}."
        ),
        can_read=True,
        can_write=False,
        objects=functools.partial(policy.group_stix_objects, viewer, group),
    )


def _taxii_objects(viewer: Membership) -> QuerySet[StixObject]:
    objects = policy.visible_stix_objects(viewer, channel=policy.Channel.TAXII)
    return cast("QuerySet[StixObject]", objects)


def _feed_objects(viewer: Membership, feed: Feed) -> QuerySet[StixObject]:
    # The feed's reports come from the policy (forwardable over TAXII, narrowed by the
    # feed's criteria); the objects themselves come from the policy's TAXII reads.
    compiled = policy.compiled_ids(feed_reports(feed, viewer, policy.Channel.TAXII))
    if compiled is None:
        return StixObject.objects.none()
    # Row by row, like the policy's own check (see policy.ReportAmong).
    return _taxii_objects(viewer).filter(policy.ReportAmong("report_id", compiled))


def collection_for(viewer: Membership, collection_id: str) -> TaxiiCollection | None:
    try:
        wanted = uuid.UUID(collection_id)
    except ValueError:
        return None
    found = collections_for(viewer, only=wanted)
    return found[0] if found else None


# --- Filtering and paging ---------------------------------------------------------------


def matching_versions(objects: QuerySet[StixObject], query: ObjectQuery) -> QuerySet[StixObject]:
    """Apply the id, type, spec_version and version filters, but not the paging ones."""
    if query.ids:
        objects = objects.filter(stix_id__in=query.ids)
    if query.types:
        objects = objects.filter(type__in=query.types)
    if query.spec_versions:
        objects = objects.filter(spec_version__in=query.spec_versions)
    if "all" in query.versions:
        return objects
    # "first" and "last" are decided among the versions this caller may see, so a version
    # in a report they cannot see neither hides nor reveals anything.
    same_object = objects.filter(stix_id=OuterRef("stix_id"))
    wanted = Q()
    if "last" in query.versions:
        # Nearly every row is the newest of its id anywhere (`is_newest`, kept by the
        # writer); only the others need the question, and under OR PostgreSQL cannot turn
        # it into a join over the whole collection: it stays an index probe per such row.
        newer = same_object.filter(modified__gt=OuterRef("modified"))
        wanted |= Q(is_newest=True) | Q(~Exists(newer))
    if "first" in query.versions:
        wanted |= Q(~Exists(same_object.filter(modified__lt=OuterRef("modified"))))
    if query.version_timestamps:
        wanted |= Q(modified__in=query.version_timestamps)
    return objects.filter(wanted)


@dataclass(frozen=True)
class Row:
    pk: int
    stix_id: str
    modified: datetime
    added: datetime | str  # as text: the database's form, parsed only when asked for
    json: str

    @property
    def date_added(self) -> datetime:
        if isinstance(self.added, datetime):
            return self.added
        parsed = datetime.fromisoformat(self.added)
        # SQLite keeps UTC without an offset.
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# `modified` of a row read for its JSON only (the JSON carries it).
_UNREAD = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    more: bool
    next: Cursor | None


def page_queryset(objects: QuerySet[StixObject], query: ObjectQuery) -> QuerySet[StixObject]:
    """The rows of one page and the one after it (limit + 1), in (date_added, id) order."""
    matching = matching_versions(objects, query)
    if query.added_after is not None:
        matching = matching.filter(date_added__gt=query.added_after)
    if query.after is not None:
        after = query.after
        # The redundant >= gives PostgreSQL the start of an index range on (date_added, id).
        matching = matching.filter(date_added__gte=after.date_added).filter(
            Q(date_added__gt=after.date_added) | Q(pk__gt=after.row_id)
        )
    # A page walks the (date_added, id) index from the cursor and stops after limit + 1
    # rows: the report and newest-version checks are per row (see policy.ReportAmong and
    # matching_versions), so no other plan is cheaper whatever the table's size. The shape
    # is checked by tests/test_query_plans.py.
    return matching.order_by("date_added", "pk")[: query.limit + 1]


def object_page(
    objects: QuerySet[StixObject], query: ObjectQuery, *, with_json: bool = True
) -> Page:
    """One page in (date_added, row id) order, continuing after the cursor if there is one.

    The objects' JSON comes back as text so a page is served without decoding and
    re-encoding every object.
    """
    ordered = page_queryset(objects, query)
    if with_json:
        # A page of objects needs the JSON; of the timestamps, only the first and last
        # date_added (headers, cursor): they come as text and are parsed for those two only.
        values = ordered.annotate(
            json=Cast("data", output_field=TextField()),
            added=Cast("date_added", output_field=TextField()),
        ).values_list("pk", "stix_id", "json", "added")
        rows = [
            Row(pk=pk, stix_id=stix_id, modified=_UNREAD, added=added, json=json)
            for pk, stix_id, json, added in values
        ]
    else:
        fields = ordered.values_list("pk", "stix_id", "modified", "date_added")
        rows = [Row(*value, json="") for value in fields]
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = Cursor(date_added=rows[-1].date_added, row_id=rows[-1].pk) if more else None
    return Page(rows=rows, more=more, next=cursor)


# --- Status of an Add Objects request ---------------------------------------------------


def _posted_objects(submission: Submission) -> list[tuple[str, str]]:
    """(id, version) of each object in the posted envelope, in the order they were sent."""
    try:
        envelope = json.loads(bytes(submission.raw))
    except ValueError:
        return []
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    posted = []
    for obj in objects if isinstance(objects, list) else []:
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            version = obj.get("modified") or obj.get("created") or ""
            posted.append((obj["id"], str(version)))
    return posted


def status_resource(submission: Submission) -> dict[str, object]:
    """The TAXII status resource of a submission made over TAXII: pending while it is being
    normalised, then per object success (kept for review or published) or failure."""
    posted = _posted_objects(submission)
    pending = submission.status in (Submission.Status.QUEUED, Submission.Status.PROCESSING)
    successes: list[dict[str, str]] = []
    failures: list[dict[str, str]] = []
    pendings: list[dict[str, str]] = []
    if pending:
        pendings = [{"id": i, "version": v} for i, v in posted]
    elif submission.status == Submission.Status.FAILED:
        message = submission.error or "The submission could not be normalised."
        failures = [{"id": i, "version": v, "message": message} for i, v in posted]
    else:
        kept = set(submission.stix_objects.values_list("stix_id", flat=True))
        message = next_step(submission)
        for stix_id, version in posted:
            if stix_id in kept:
                successes.append({"id": stix_id, "version": version, "message": message})
            else:
                failures.append(
                    {"id": stix_id, "version": version, "message": "Not kept by normalisation."}
                )
    resource: dict[str, object] = {
        "id": str(submission.uuid),
        "status": "pending" if pending else "complete",
        "request_timestamp": format_timestamp(submission.created_at),
        "total_count": len(posted),
        "success_count": len(successes),
        "failure_count": len(failures),
        "pending_count": len(pendings),
    }
    for name, items in (("successes", successes), ("failures", failures), ("pendings", pendings)):
        if items:
            resource[name] = items
    return resource
