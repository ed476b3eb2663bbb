"""Pulling a peer's TAXII collections: each page becomes reports from the peer.

A collection is read a page at a time with `added_after` and the server's `next` cursor.
Each page is stored in one transaction together with the cursor that follows it, so a
crash resumes at the first page not stored, and an object version already recorded
(`PeerExchange`, keyed by STIX id and `modified`) is never imported twice. Only one page is
held in memory at a time.

A MISP peer's feed is read by `sharing.peers.misp_pull`; each event comes through
`import_objects` as a complete STIX report.

What a page holds is grouped: each STIX `report` with the objects it refers to becomes one
portal report; the other objects become one report per label. A group is accepted only if
the peer has a rule for its label (the rule is its audience), and only if it brings
something members have not shared already: a group whose objects and values the portal
holds already marks those local reports "also reported by" the peer instead.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Organisation, OrganisationDomain
from sharing.audience import revision_audience_sync
from sharing.fanout.outbox import outbox_write
from sharing.fanout.selectors import allowed_networks
from sharing.misp.client import MispFeedClient, MispFeedError
from sharing.models import (
    Peer,
    PeerCollection,
    PeerCorroboration,
    PeerExchange,
    PeerReport,
    PeerRule,
    Report,
    ReportIndicator,
    ReportRevision,
    StixObject,
)
from sharing.normalize.parsers import ParsedIndicator
from sharing.normalize.parsers.stix import DROPPED_TYPES, check, indicators_in, rewrite, upgrade
from sharing.normalize.pipeline import Context, classify
from sharing.normalize.store import VersionStore, link_indicators
from sharing.peers.credentials import peer_credentials
from sharing.peers.rules import marking_definitions, object_tlp
from sharing.search import report_search_refresh
from sharing.stix.markings import TLP2_MARKING_IDS, marking_definition
from sharing.stix.objects import (
    deterministic_id,
    identity_object,
    parse_timestamp,
    stix_id_for,
    timestamp,
)
from sharing.stix.report import report_object
from sharing.taxii.client import Page, TaxiiClient, TaxiiError
from sharing.tlp import TLP

logger = logging.getLogger(__name__)

Outcome = PeerExchange.Outcome


def peer_identity(peer: Peer) -> dict[str, Any]:
    """The identity a peer's reports name as their source."""
    return identity_object(
        identity_id=deterministic_id("identity", f"peer:{peer.uuid}"),
        name=peer.name,
        created=timestamp(peer.created_at),
    )


def peer_client(peer: Peer) -> TaxiiClient:
    """A client for the peer's API root (the caller closes it)."""
    return TaxiiClient(
        api_root=peer.api_root_url,
        credentials=peer_credentials(peer),
        allowed=allowed_networks(),
        timeout=settings.PEERS_TIMEOUT_SECONDS,
    )


@dataclass
class PullResult:
    pages: int = 0
    objects: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    reports: list[int] = field(default_factory=list)
    error: str = ""

    def add(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + n


# --- Claiming a peer ------------------------------------------------------------------------


def _pulled_peers() -> QuerySet[Peer]:
    """Active peers the portal pulls: TAXII servers, and MISP instances with a feed URL."""
    return Peer.objects.filter(is_active=True, pull_enabled=True).filter(
        Q(kind=Peer.Kind.TAXII21) | (Q(kind=Peer.Kind.MISP) & ~Q(feed_url=""))
    )


def _claim(peer_id: int) -> Peer | None:
    """Take the peer for this worker (a conditional update: never two pulls at once)."""
    now = timezone.now()
    until = now + timedelta(seconds=settings.PEERS_CLAIM_SECONDS)
    taken = (
        _pulled_peers()
        .filter(pk=peer_id)
        .filter(Q(pull_claimed_until__isnull=True) | Q(pull_claimed_until__lt=now))
        .update(pull_claimed_until=until, last_pull_at=now)
    )
    return Peer.objects.get(pk=peer_id) if taken else None


def _release(peer: Peer, *, error: str) -> None:
    now = timezone.now()
    if error:
        Peer.objects.filter(pk=peer.pk).update(
            pull_claimed_until=None,
            consecutive_failures=F("consecutive_failures") + 1,
            last_error=error[:500],
            failing_since=peer.failing_since or now,
        )
    else:
        Peer.objects.filter(pk=peer.pk).update(
            pull_claimed_until=None,
            consecutive_failures=0,
            last_error="",
            failing_since=None,
            last_success_at=now,
        )


def peer_pull(
    *,
    peer_id: int,
    client: TaxiiClient | None = None,
    feed_client: MispFeedClient | None = None,
) -> PullResult:
    """Pull every collection of the peer (or its MISP feed) from where the last pull
    stopped."""
    result = PullResult()
    peer = _claim(peer_id)
    if peer is None:
        return result
    try:
        if peer.kind == Peer.Kind.MISP:
            # Imported here: the MISP pull builds on this module's import.
            from sharing.peers.misp_pull import misp_feed_pull

            misp_feed_pull(peer=peer, client=feed_client, result=result)
        else:
            _pull_collections(peer, client, result)
    except (TaxiiError, MispFeedError) as error:
        result.error = str(error)
        logger.warning("Pulling peer %s failed: %s", peer.name, error)
    finally:
        _release(peer, error=result.error)
    return result


def _pull_collections(peer: Peer, client: TaxiiClient | None, result: PullResult) -> None:
    own = client is None
    try:
        client = client or peer_client(peer)
        for collection in peer.collections.filter(pull_enabled=True):
            _pull_collection(peer, collection, client, result)
    finally:
        if own and client is not None:
            client.close()


def peers_due() -> list[int]:
    """Active pulled peers whose poll interval has passed since their last pull."""
    now = timezone.now()
    due = []
    for pk, last, minutes in _pulled_peers().values_list("pk", "last_pull_at", "poll_minutes"):
        if last is None or last + timedelta(minutes=minutes) <= now:
            due.append(pk)
    return due


def _pull_collection(
    peer: Peer, collection: PeerCollection, client: TaxiiClient, result: PullResult
) -> None:
    """Read the collection page by page from its stored cursor; each page is stored with
    the cursor that follows it, in one transaction."""
    limit = settings.PEERS_PAGE_SIZE
    base, cursor, high = collection.added_after, collection.next_cursor, collection.seen_until
    while True:
        try:
            page = _page(client, collection.collection_id, base, cursor, limit)
        except TaxiiError as error:
            if not cursor or error.status_code not in (400, 404):
                raise
            # The server forgot the cursor (it restarted, or the cursor expired): read again
            # from `added_after`; what was stored already is skipped by its key.
            cursor = ""
            page = _page(client, collection.collection_id, base, cursor, limit)
        with transaction.atomic():
            import_objects(
                peer=peer,
                collection_id=collection.collection_id,
                objects=page.objects,
                result=result,
            )
            high = _later(high, page.date_added_last)
            values: dict[str, Any] = {"seen_until": high, "last_pulled_at": timezone.now()}
            follow = page.more and page.objects
            if follow and page.next:
                cursor = page.next
            elif follow and page.date_added_last and page.date_added_last != base:
                # A server that pages without `next` is followed by the date alone.
                base, cursor = page.date_added_last, ""
            else:
                follow = False
            if follow:
                values.update(added_after=base, next_cursor=cursor)
            else:
                # The read is complete: the next one starts after everything seen.
                values.update(added_after=high or base, next_cursor="")
            PeerCollection.objects.filter(pk=collection.pk).update(**values)
        result.pages += 1
        if not follow:
            return


def _page(client: TaxiiClient, collection_id: str, base: str, cursor: str, limit: int) -> Page:
    return client.get_objects(collection_id, added_after=base or None, limit=limit, next=cursor)


def _later(a: str, b: str) -> str:
    if not b:
        return a
    if not a:
        return b
    try:
        return b if parse_timestamp(b) > parse_timestamp(a) else a
    except ValueError:
        return max(a, b)


# --- One page -------------------------------------------------------------------------------


@dataclass
class _Group:
    tlp: TLP
    title: str = ""
    description: str = ""
    stix_report_id: str = ""
    objects: list[dict[str, Any]] = field(default_factory=list)
    # The indicator values each object carries, read once per object.
    found: dict[str, list[ParsedIndicator]] = field(default_factory=dict)

    def indicators(self, obj: dict[str, Any]) -> list[ParsedIndicator]:
        if obj["id"] not in self.found:
            self.found[obj["id"]] = indicators_in(obj)
        return self.found[obj["id"]]


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    return str(obj.get("id", ""))[:100], str(obj.get("modified") or obj.get("created") or "")[:40]


def import_objects(
    *,
    peer: Peer,
    collection_id: str,
    objects: list[dict[str, Any]],
    result: PullResult,
    complete_reports: bool = False,
) -> None:
    """Store one page of a peer's objects (inside the caller's transaction).

    `complete_reports`: each report object comes with everything it holds (a MISP event
    does), so a newer version of a report already received is the next version of the
    portal's report, made of exactly what it now holds; otherwise (TAXII pages) what a
    report brings is added to the portal's report."""
    now = timezone.now()
    records: list[PeerExchange] = []

    def record(obj: dict[str, Any], outcome: str, *, tlp: str = "", detail: str = "",
               report: Report | None = None) -> None:  # fmt: skip
        stix_id, modified = _key(obj)
        records.append(
            PeerExchange(
                peer=peer,
                direction=PeerExchange.Direction.PULL,
                collection_id=collection_id[:200],
                stix_id=stix_id,
                modified=modified,
                type=str(obj.get("type", ""))[:64],
                tlp=tlp,
                outcome=outcome,
                detail=detail[:300],
                report=report,
                at=now,
            )
        )
        result.add(outcome)

    result.objects += len(objects)
    seen = set(
        PeerExchange.objects.filter(
            peer=peer,
            direction=PeerExchange.Direction.PULL,
            stix_id__in={_key(obj)[0] for obj in objects},
        ).values_list("stix_id", "modified")
    )
    fresh: list[dict[str, Any]] = []
    for obj in objects:
        key = _key(obj)
        if key in seen:
            result.add(Outcome.DUPLICATE)  # recorded when it first came
            continue
        seen.add(key)
        fresh.append(obj)
    definitions = marking_definitions(fresh)
    default = TLP(peer.unmarked_tlp)

    valid: list[tuple[dict[str, Any], TLP]] = []
    for position, raw in enumerate(fresh):
        obj = upgrade(raw)
        problems = check(obj, position)
        tlp = object_tlp(obj, definitions, default=default)
        if problems:
            record(raw, Outcome.INVALID, tlp=tlp, detail=problems[0].get("message", ""))
        elif obj["type"] in DROPPED_TYPES and obj["type"] != "report":
            # Identities and markings: the portal writes its own (the peer is the source).
            record(raw, Outcome.IMPORTED, detail="Definition: the portal writes its own.")
        else:
            valid.append((obj, tlp))

    groups = _grouped(valid)
    rules = {
        rule.tlp: rule
        for rule in PeerRule.objects.filter(peer=peer).prefetch_related(
            "audience_sectors", "audience_groups", "audience_organisations", "audience_people"
        )
    }
    for group in groups:
        if complete_reports:
            _withdraw_if_relabelled(peer, group, now)
        rule = rules.get(group.tlp)
        if rule is None:
            for obj in group.objects:
                record(obj, Outcome.REFUSED, tlp=group.tlp,
                       detail=f"No rule accepts {group.tlp.label} from this peer.")  # fmt: skip
            continue
        known = _already_local(peer, group, now)
        if known:
            for obj in group.objects:
                record(obj, Outcome.DUPLICATE, tlp=group.tlp, detail=known)
            continue
        report = _store_group(peer, collection_id, group, rule, now, revise=complete_reports)
        result.reports.append(report.pk)
        for obj in group.objects:
            record(obj, Outcome.IMPORTED, tlp=group.tlp, report=report)
    PeerExchange.objects.bulk_create(records, ignore_conflicts=True)


def _grouped(valid: list[tuple[dict[str, Any], TLP]]) -> list[_Group]:
    """Reports with what they refer to, then the rest by label. A report's label is the
    most restrictive of its own and its objects' labels: nothing is widened by grouping."""
    by_id = {obj["id"]: (obj, tlp) for obj, tlp in valid}
    taken: set[str] = set()
    groups: list[_Group] = []
    for obj, tlp in valid:
        if obj["type"] != "report":
            continue
        members = [by_id[ref] for ref in obj.get("object_refs") or [] if ref in by_id]
        members = [(m, t) for m, t in members if m["type"] != "report" and m["id"] not in taken]
        label = max([tlp, *(t for _, t in members)], key=lambda t: t.rank)
        group = _Group(
            tlp=label,
            title=str(obj.get("name") or "")[:300],
            description=str(obj.get("description") or ""),
            stix_report_id=obj["id"],
        )
        group.objects.append(obj)
        for member, _ in members:
            taken.add(member["id"])
            group.objects.append(member)
        groups.append(group)
    loose: dict[TLP, _Group] = {}
    for obj, tlp in valid:
        if obj["type"] == "report" or obj["id"] in taken:
            continue
        loose.setdefault(tlp, _Group(tlp=tlp)).objects.append(obj)
    groups.extend(loose[t] for t in sorted(loose, key=lambda t: t.rank))
    return groups


def _already_local(peer: Peer, group: _Group, now: datetime) -> str:
    """If members shared everything the group brings already: mark their reports "also
    reported by" the peer and say so; otherwise "" (the group is new, though it may still
    corroborate some local reports, which are marked too)."""
    content = [obj for obj in group.objects if obj["type"] not in ("report", "relationship")]
    ids = {obj["id"] for obj in content}
    values: dict[str, set[str]] = {}  # object id -> indicator stix ids it carries
    for obj in content:
        values[obj["id"]] = {_indicator_stix_id(found) for found in group.indicators(obj)}
    all_values = set().union(*values.values()) if values else set()
    local_reports = Report.objects.filter(
        status=Report.Status.PUBLISHED, peer_origin__isnull=True
    ).values("pk")
    by_id = set(
        StixObject.objects.filter(stix_id__in=ids, report__in=local_reports).values_list(
            "stix_id", flat=True
        )
    )
    links = ReportIndicator.objects.filter(
        indicator__stix_id__in=all_values, report__in=local_reports
    ).values_list("report_id", "indicator__stix_id")
    local_values: set[str] = set()
    matched: dict[int, int] = {}
    for report_id, stix_id in links:
        local_values.add(stix_id)
        matched[report_id] = matched.get(report_id, 0) + 1
    for report_id in StixObject.objects.filter(
        stix_id__in=by_id, report__in=local_reports
    ).values_list("report_id", flat=True):
        matched[report_id] = matched.get(report_id, 0) + 1
    _corroborate(peer, matched, now)
    if not content:
        return ""
    every_known = all(
        obj["id"] in by_id or (values[obj["id"]] and values[obj["id"]] <= local_values)
        for obj in content
    )
    if every_known and matched:
        return f"Members shared this already ({len(matched)} report(s) marked as also reported)."
    return ""


def _indicator_stix_id(found: ParsedIndicator) -> str:
    return stix_id_for(found.type, found.value)


def _corroborate(peer: Peer, matched: dict[int, int], now: datetime) -> None:
    for report_id, count in matched.items():
        updated = PeerCorroboration.objects.filter(report_id=report_id, peer=peer).update(
            matched=F("matched") + count, last_at=now
        )
        if not updated:
            PeerCorroboration.objects.create(
                report_id=report_id, peer=peer, matched=count, first_at=now, last_at=now
            )


def _isac() -> Organisation:
    isac = Organisation.objects.filter(is_isac=True).first()
    if isac is None:
        raise TaxiiError("The portal has no ISAC organisation to file peer reports under.")
    return isac


def _context() -> Context:
    domains = {d.lower() for d in OrganisationDomain.objects.values_list("domain", flat=True)}
    return Context(
        own_domains=(),
        member_domains=domains,
        allow_documentation_ranges=settings.NORMALIZE_ALLOW_DOCUMENTATION_RANGES,
    )


def _title(peer: Peer, group: _Group, now: datetime) -> str:
    if group.title:
        return group.title
    kinds = sorted({obj["type"] for obj in group.objects})
    return f"{peer.name}: {len(group.objects)} object(s) ({', '.join(kinds[:4])}) " + now.strftime(
        "%Y-%m-%d %H:%M UTC"
    )


def _store_group(
    peer: Peer,
    collection_id: str,
    group: _Group,
    rule: PeerRule,
    now: datetime,
    *,
    revise: bool = False,
) -> Report:
    """A published report from the peer, addressed by the rule, with the group's objects.

    A group continuing a report received before under the same label adds to it, or with
    `revise` makes its next version. A label that changed makes a new report: the earlier
    one was shared under its own label and rule."""
    existing = None
    if group.stix_report_id:
        existing = (
            PeerReport.objects.filter(peer=peer, stix_report_id=group.stix_report_id)
            .select_related("report")
            .order_by("-report_id")
            .first()
        )
    revised = False
    if existing is not None and existing.report.tlp == group.tlp:
        report = existing.report
        if revise:
            _next_version(peer, report, group, now)
            revised = True
    else:
        report = Report.objects.create(
            title=_title(peer, group, now)[:300],
            summary=group.description[:5000],
            tlp=group.tlp,
            status=Report.Status.PUBLISHED,
            published_at=now,
            author=peer.created_by,
            organisation=_isac(),
            attributed=False,
            created_at=now,
        )
        report.audience_everyone = rule.audience_everyone
        report.save(update_fields=["audience_everyone"])
        report.audience_sectors.set(rule.audience_sectors.all())
        report.audience_groups.set(rule.audience_groups.all())
        report.audience_organisations.set(rule.audience_organisations.all())
        report.audience_people.set(rule.audience_people.all())
        PeerReport.objects.create(
            report=report,
            peer=peer,
            stix_report_id=group.stix_report_id,
            collection_id=collection_id[:200],
        )
        _record_version(peer, report, note=f"Received from peer {peer.name}")
    identity = peer_identity(peer)
    marking_id = TLP2_MARKING_IDS[group.tlp]
    store = VersionStore(report=report, submission=None, now=now)
    store.add([marking_definition(group.tlp), identity])
    found: list[ParsedIndicator] = []
    store.add(_shared(group, identity["id"], marking_id, found))
    refs = list(
        StixObject.objects.filter(report=report, report_version=report.version)
        .exclude(type__in=("report", "marking-definition"))
        .values_list("stix_id", flat=True)
        .distinct()
    )
    VersionStore(report=report, submission=None, now=now).add(
        [
            report_object(
                report=report,
                identity_id=identity["id"],
                marking_id=marking_id,
                refs=sorted(refs),
                created=report.created_at,
                modified=now,
                description=group.description,
            )
        ]
    )
    link_indicators(report, classify(found, context=_context()), now, origin="upload")
    report_search_refresh(report_ids=[report.pk])
    if existing is None or existing.report_id != report.pk:
        _announce(peer, report, event="published", after={"tlp": report.tlp})
    elif revised:
        _announce(peer, report, event="revised", after={"tlp": report.tlp})
    return report


_ACTIONS = {
    "published": "report.publish",
    "revised": "report.revise",
    "withdrawn": "report.withdraw",
}


def _announce(peer: Peer, report: Report, *, event: str, after: dict[str, Any]) -> None:
    """Audit what the peer's report went through (the peer's creator acts for the ISAC) and
    tell recipients through the outbox, as a member's publication would."""
    audit_record(
        action=_ACTIONS[event],
        obj=report,
        actor=peer.created_by,
        organisation=report.organisation,
        after={**after, "version": report.version, "peer": peer.name},
    )
    outbox_write(report=report, event=event)


def _record_version(peer: Peer, report: Report, *, note: str) -> None:
    """The report's current version in its history, with the audience it went to."""
    ReportRevision.objects.create(
        report=report,
        number=report.version,
        title=report.title,
        summary=report.summary,
        tlp=report.tlp,
        note=note,
        created_by=peer.created_by,
    )
    revision_audience_sync(report=report)


def _withdraw_if_relabelled(peer: Peer, group: _Group, now: datetime) -> None:
    """The peer changed the label of a complete report the portal holds: the copy under the
    old label and rule is withdrawn (its recipients are told), whether or not a rule accepts
    the new label; a narrower label must not leave the wider copy readable."""
    if not group.stix_report_id:
        return
    latest = (
        PeerReport.objects.filter(peer=peer, stix_report_id=group.stix_report_id)
        .select_related("report")
        .order_by("-report_id")
        .first()
    )
    if latest is None or latest.report.tlp == group.tlp:
        return
    report, tlp = latest.report, group.tlp
    if report.status != Report.Status.PUBLISHED:
        return
    report.status = Report.Status.WITHDRAWN
    report.withdrawn_at = now
    report.withdrawn_reason = f"Peer {peer.name} changed its label to {tlp.label}."
    report.save(update_fields=["status", "withdrawn_at", "withdrawn_reason", "updated_at"])
    _announce(peer, report, event="withdrawn", after={"reason": report.withdrawn_reason})


def _next_version(peer: Peer, report: Report, group: _Group, now: datetime) -> None:
    """The peer changed a report the portal holds: its next version, kept in its history
    (objects the peer no longer sends stay with the versions they were shared under)."""
    report.version += 1
    report.title = _title(peer, group, now)[:300]
    report.summary = group.description[:5000]
    report.save(update_fields=["version", "title", "summary", "updated_at"])
    _record_version(peer, report, note=f"Changed by peer {peer.name}")


def _shared(
    group: _Group, identity_id: str, marking_id: str, found: list[ParsedIndicator]
) -> Iterable[dict[str, Any]]:
    for obj in group.objects:
        if obj["type"] == "report":
            continue  # the portal's own report object stands for it
        found.extend(group.indicators(obj))
        yield rewrite(obj, identity_id=identity_id, marking_id=marking_id)
