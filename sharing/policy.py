"""The one access policy: who may see, edit and forward shared material.

Every read of reports (and of anything that hangs off a report: indicators, STIX objects,
attachments, comments, sightings, counts) starts from `visible_to`; every yes/no question
is answered by a predicate here that is derived from the same queryset, so a page, a count,
the API, TAXII and fan-out can never disagree. The rules are written out in docs/tlp.md.

The viewer is a Membership: a person acting for one organisation.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Membership, Organisation, TrustGroup, User
from accounts.policy import administers
from accounts.standing import (
    current_agreement_version,
    good_standing_condition,
    good_standing_of,
    is_in_good_standing,
    note_good_standing,
    organisations_in_good_standing,
)
from portal.bound_sql import BoundCondition, ConditionTemplate
from portal.reuse import reused
from sharing.government.consent import reaches as consent_reaches
from sharing.government.consent import report_consent
from sharing.models import (
    Alert,
    Attachment,
    Comment,
    CurationEvent,
    Delivery,
    Forward,
    Indicator,
    Notification,
    PeerCorroboration,
    PublicFeed,
    Report,
    ReportAcknowledgement,
    ReportIndicator,
    ReportRevision,
    Rfi,
    RfiAnswer,
    Sighting,
    StixObject,
    Submission,
)
from sharing.tlp import TLP

# Statuses a recipient may read. A withdrawn report stays readable for the record and
# shows a banner; feeds, TAXII and fan-out take only published ones (see `forwardable`).
READABLE_STATUSES = (Report.Status.PUBLISHED, Report.Status.WITHDRAWN)

M = TypeVar("M", bound=Model)
T = TypeVar("T")


# --- Reuse within one request ------------------------------------------------------------
# The policy's queries and yes/no answers are kept for the rest of a read-only request
# (portal.reuse): each is built and compiled once per page.

_reused = reused


class Channel(StrEnum):
    """Where a report may travel once it leaves the report page."""

    PORTAL = "portal"  # in-portal notification: a link, read under the policy
    EMAIL_NOTICE = "email_notice"  # an e-mail that names the report and links to it
    EMAIL_CONTENT = "email_content"  # an e-mail that carries the report's content
    WEBHOOK = "webhook"  # a member's own receiver (machine-to-machine, to one organisation)
    TAXII = "taxii"  # a TAXII collection polled with a member's token
    API = "api"  # the REST API: machine clients with a member's token, like TAXII
    MISP_FEED = "misp_feed"  # a MISP instance pulling a feed with a member's token
    PUBLIC_FEED = "public_feed"  # an unauthenticated feed
    GOVERNMENT = "government"  # forwarded by the ISAC, anonymised, to government partners
    PEER = "peer"  # pushed by the ISAC to a peer ISAC's TAXII collection


def _is_usable(viewer: Membership | None) -> bool:
    return bool(
        viewer is not None
        and viewer.pk is not None
        and viewer.is_active
        and viewer.user.is_active
        and viewer.organisation.status != Organisation.Status.OFFBOARDED
    )


def _addressed_to(model: type[Model], organisation_id: Any) -> Q:
    """Rows of `model` (reports, their versions, requests for information: anything with the
    audience fields) whose audience, other than named people, includes the organisation."""
    sector_ids = Organisation.sectors.through.objects.filter(
        organisation_id=organisation_id
    ).values("sector_id")
    this = {f"{model._meta.model_name}_id": OuterRef("pk")}
    organisations, sectors = (
        _through(model, "audience_organisations"),
        _through(model, "audience_sectors"),
    )
    named_org = Exists(organisations.objects.filter(**this, organisation_id=organisation_id))
    in_sector = Exists(sectors.objects.filter(**this, sector_id__in=sector_ids))
    return (
        Q(audience_everyone=True)
        | Q(named_org)
        | Q(in_sector)
        | _in_groups(organisation_id, sector_ids, model=model)
    )


def _in_groups(organisation_id: Any, sector_ids: QuerySet[Any], *, model: type[Model]) -> Q:
    """Rows addressed to a trust group the organisation belongs to.

    Sector communities are read live from the organisation's sectors (its standing is
    checked by the caller), so a sector change takes effect at once, before the periodic
    sync updates the community's member rows.
    """
    through = _through(model, "audience_groups")
    this = {f"{model._meta.model_name}_id": OuterRef("pk")}
    custom = through.objects.filter(
        **this,
        trustgroup__kind=TrustGroup.Kind.CUSTOM,
        trustgroup__memberships__organisation_id=organisation_id,
    )
    community = through.objects.filter(
        **this,
        trustgroup__kind=TrustGroup.Kind.SECTOR,
        trustgroup__sector_id__in=sector_ids,
    )
    return Q(Exists(custom)) | Q(Exists(community))


def _through(model: type[Model], field: str) -> Any:
    """The table behind one of the model's audience fields."""
    return getattr(model, field).through


# --- Who the viewer is, as the conditions need it ---------------------------------------
# The conditions below (readable reports, readable versions) are compiled once per process
# for each shape of viewer and bound to the viewer's ids at each use (portal.bound_sql):
# building and compiling them per query was half of a report page's time.


@dataclass(frozen=True)
class _ReaderShape:
    """What changes the tree of a viewer's conditions (the rest are values)."""

    is_org_admin: bool
    is_isac_staff: bool
    agreement_in_effect: bool


def _reader(viewer: Membership) -> tuple[_ReaderShape, dict[str, Any]]:
    version = current_agreement_version()
    shape = _ReaderShape(
        is_org_admin=viewer.is_org_admin,
        is_isac_staff=viewer.is_isac_staff,
        agreement_in_effect=version is not None,
    )
    values = {
        "organisation_id": viewer.organisation_id,
        "user_id": viewer.user_id,
        "agreement_version_id": version.pk if version is not None else None,
        "now": timezone.now() if version is not None else None,
    }
    return shape, values


def _in_good_standing(values: Mapping[str, Any]) -> Exists:
    """The viewer's organisation is in good standing (checked inside the one query, so a
    list costs a single round trip)."""
    condition = good_standing_condition(
        version_id=values["agreement_version_id"], now=values["now"]
    )
    return Exists(Organisation.objects.filter(condition, pk=values["organisation_id"]))


def _readable_reports(shape: _ReaderShape, values: Mapping[str, Any]) -> Q:
    """The rules of docs/tlp.md for one viewer, as a condition on reports."""
    organisation_id, user_id = values["organisation_id"], values["user_id"]
    readable = Q(status__in=READABLE_STATUSES)
    clear = readable & Q(tlp=TLP.CLEAR)
    # Not in good standing: TLP:CLEAR only, not even the organisation's own reports.
    standing = _in_good_standing(values)
    named = Exists(
        Report.audience_people.through.objects.filter(report_id=OuterRef("pk"), user_id=user_id)
    )

    # Reports written for this organisation; a person who moved on does not take their
    # drafts (or anything else of the old organisation's) along to the new one.
    own = Q(organisation_id=organisation_id)
    mine = own & Q(author_id=user_id)
    # The source organisation sees what it shared, at every status but a colleague's draft;
    # a colleague's TLP:RED report only if they are named in it or administer the organisation.
    submitted = own & ~Q(status=Report.Status.DRAFT)
    if not shape.is_org_admin:
        submitted &= ~Q(tlp=TLP.RED) | Q(named)
    green_amber = Q(tlp__in=[TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT]) & _addressed_to(
        Report, organisation_id
    )
    red = Q(tlp=TLP.RED) & Q(named)
    allowed = mine | submitted | clear | (readable & (green_amber | red))

    if shape.is_isac_staff:
        # Curators see everything they must curate or publish on: every submitted report
        # except RED, which they see only while it waits for their review or names them.
        not_draft = ~Q(status=Report.Status.DRAFT)
        curation = Q(status=Report.Status.PENDING_REVIEW)
        allowed |= not_draft & (~Q(tlp=TLP.RED) | curation)
    return clear | (Q(standing) & allowed)


_READABLE_REPORTS = ConditionTemplate(
    Report,
    _readable_reports,
    ints=("organisation_id", "user_id", "agreement_version_id"),
    times=("now",),
)


def visible_to(viewer: Membership | None) -> QuerySet[Report]:
    """Every report the viewer may read, at any status they may see it in."""
    if not _is_usable(viewer):
        return Report.objects.none()
    assert viewer is not None  # for the type checker: _is_usable checked it
    return _reused(("visible_to", viewer.pk), lambda: _visible_to(viewer)).all()


def _visible_to(viewer: Membership) -> QuerySet[Report]:
    # The stored search document is for PostgreSQL's full-text search only (sharing.search):
    # reading it into every listed report would carry a second copy of the text for nothing.
    return Report.objects.filter(_READABLE_REPORTS.bind(*_reader(viewer))).defer("search_document")


def can_view(viewer: Membership | None, report: Report) -> bool:
    return _reused(
        ("can_view", _key(viewer), report.pk),
        lambda: _among_visible(viewer, Report.objects.filter(pk=report.pk), "pk").exists(),
    )


def visible_report(viewer: Membership | None, **lookup: Any) -> Report | None:
    """The one report matching the lookup (e.g. uuid=...) if the viewer may read it, with
    its organisation, author and the RFI answer it was made of (if any); the rest of the
    request then knows `can_view` is true, and whether the viewer may post (`can_post`).

    Facts a report page always needs ride along in the same query: the viewer's good
    standing, whether they may change the report (`can_edit`), whether any peer ISAC
    also reported the report (`peer_corroborated`, so a page asks which peers only when
    some did), and whether it was ever forwarded or reviewed (`has_forwards`,
    `has_curation_events`)."""
    if not _is_usable(viewer):
        return None
    assert viewer is not None  # for the type checker: _is_usable checked it
    standing = good_standing_of(viewer.organisation_id)
    report = (
        visible_to(viewer)
        .select_related("organisation", "author", "rfi_answer__rfi")
        .annotate(
            viewer_in_good_standing=standing,
            viewer_may_change=ExpressionWrapper(
                _changeable_by(viewer), output_field=BooleanField()
            ),
            peer_corroborated=Exists(PeerCorroboration.objects.filter(report=OuterRef("pk"))),
            # Whether there is anything to look up for the owners' panels at all (most
            # reports were never forwarded, nor reviewed): spares the page two queries.
            # Never shown: who may see the forwards and the review is still asked.
            has_forwards=Exists(Forward.objects.filter(report=OuterRef("pk"))),
            has_curation_events=Exists(CurationEvent.objects.filter(report=OuterRef("pk"))),
        )
        .filter(**lookup)
        .first()
    )
    if report is not None:
        _reused(("can_view", _key(viewer), report.pk), lambda: True)
        note_good_standing(viewer.organisation_id, report.viewer_in_good_standing)
        # editable_by's answer for this row: readable (it is), in good standing, changeable.
        may_edit = bool(report.viewer_in_good_standing and report.viewer_may_change)
        _reused(("can_edit", _key(viewer), report.pk), lambda: may_edit)
    return report


def _key(viewer: Membership | None) -> int | None:
    return viewer.pk if viewer is not None else None


Compiled = tuple[str, tuple[Any, ...]]


def compiled_ids(reports: QuerySet[Report]) -> Compiled | None:
    """`SELECT id FROM reports` as SQL and parameters (None when it is empty), so a query can
    embed it without Django resolving the policy's whole condition tree again."""
    try:
        sql, params = reports.order_by().values_list("id").query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def _visible_ids(viewer: Membership | None, channel: "Channel | None" = None) -> Compiled | None:
    """The reports the viewer may read (or receive over the channel), compiled once per
    request for every derived read and predicate."""
    return _reused(
        ("visible_ids", _key(viewer), channel),
        lambda: compiled_ids(
            visible_to(viewer) if channel is None else forwardable(viewer, channel)
        ),
    )


def _among_visible(
    viewer: Membership | None, queryset: QuerySet[M], via: str, channel: "Channel | None" = None
) -> QuerySet[M]:
    compiled = _visible_ids(viewer, channel)
    if compiled is None:
        return queryset.none()
    return queryset.filter(**{f"{via}__in": RawSQL(*compiled)})  # noqa: S611 (ORM-compiled)


class ReportAmong(Expression):
    """True when the row's report (`column`) is one of the compiled reports, asked row by
    row: `column = (SELECT id FROM (reports) WHERE id = column)`.

    A scalar subquery on the row's own report (a primary-key probe) is something PostgreSQL
    can neither turn into a join nor hash, so a query walking an index in order (TAXII
    pages) never computes the whole set of readable reports, nor scans a copy of it per row:
    a page costs the same with 1,000 or 1,000,000 reports.
    """

    conditional = True

    def __init__(self, column: str | Expression, compiled: Compiled) -> None:
        super().__init__(output_field=BooleanField())
        self.column = F(column) if isinstance(column, str) else column
        self.compiled = compiled

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        column_sql, column_params = compiler.compile(self.column)
        sql, params = self.compiled
        # Both parts are SQL compiled by the ORM with their values as bound parameters.
        return (
            f"{column_sql} = (SELECT listed.id FROM ({sql}) AS listed "  # noqa: S608
            f"WHERE listed.id = {column_sql})",
            (*column_params, *params, *column_params),
        )


def editable_by(viewer: Membership | None) -> QuerySet[Report]:
    """Reports the viewer may change: their own, their organisation's (org admins), and
    those waiting for ISAC review (curators). Never one they cannot see."""
    if not _is_usable(viewer):
        return Report.objects.none()
    assert viewer is not None
    if not can_post(viewer):
        return Report.objects.none()
    return visible_to(viewer).filter(_changeable_by(viewer))


def _changeable_by(viewer: Membership) -> Q:
    """Which of the reports they can read a viewer in good standing may change."""
    mine = Q(author_id=viewer.user_id, organisation_id=viewer.organisation_id)
    if viewer.is_org_admin:
        mine |= Q(organisation_id=viewer.organisation_id) & ~Q(status=Report.Status.DRAFT)
    if viewer.is_isac_staff:
        mine |= Q(status=Report.Status.PENDING_REVIEW)
    return mine


def can_edit(viewer: Membership | None, report: Report) -> bool:
    if viewer is None or (
        report.organisation_id != viewer.organisation_id and not viewer.is_isac_staff
    ):
        # editable_by admits only the organisation's own people, and curators: a reader
        # from elsewhere is refused without a query.
        return False
    return _reused(
        ("can_edit", _key(viewer), report.pk),
        lambda: editable_by(viewer).filter(pk=report.pk).exists(),
    )


def can_post(viewer: Membership | None) -> bool:
    """Only organisations in good standing may share."""
    # The organisation's standing is the one pages read too (is_in_good_standing): asked
    # once per request, whoever asks first.
    return _is_usable(viewer) and viewer is not None and is_in_good_standing(viewer.organisation)


def can_forward(report: Report, channel: Channel) -> bool:
    """Whether the report's TLP lets it travel over the channel at all.

    Who receives it is still decided per recipient by `can_view`; this only says what a
    channel may carry.
    """
    if report.status != Report.Status.PUBLISHED:
        return False
    tlp = TLP(report.tlp)
    if tlp == TLP.RED:
        # RED never leaves the portal: a notification links to it, nothing carries it.
        return channel == Channel.PORTAL
    if channel == Channel.EMAIL_CONTENT:
        return tlp in (TLP.CLEAR, TLP.GREEN)
    if channel == Channel.PUBLIC_FEED:
        return tlp == TLP.CLEAR
    if channel == Channel.GOVERNMENT:
        return tlp in (TLP.CLEAR, TLP.GREEN)
    if channel == Channel.PEER:
        # AMBER+STRICT stays inside the recipient organisation: never to another ISAC.
        return tlp in (TLP.CLEAR, TLP.GREEN, TLP.AMBER)
    return True


def can_forward_to_government(report: Report, *, us_government: bool) -> bool:
    """Whether the ISAC may forward the report to a government partner now: its label may
    travel on the government lane (`can_forward`: published, CLEAR or GREEN) and the
    consent it carries (its organisation's, narrowed by the report; nothing for an
    organisation not in good standing) reaches the partner. Asked when the outbox is
    written and again at send time."""
    if not can_forward(report, Channel.GOVERNMENT):
        return False
    return consent_reaches(report_consent(report).scope, us_government=us_government)


def peer_hop_problem(
    *, tlp: str, origin_peer_id: int | None, destination_peer_id: int
) -> str | None:
    """Why a report may not be pushed to a peer because of where it came from, or None.

    Distribution never widens across a hop: a report received from a peer goes back to
    nobody and on to another peer only when it was TLP:CLEAR (GREEN and AMBER were given
    to this ISAC's community, not to the next one's).
    """
    if origin_peer_id is None:
        return None
    if origin_peer_id == destination_peer_id:
        return "It came from this peer."
    if TLP(tlp) != TLP.CLEAR:
        return f"It came from another peer under {TLP(tlp).label}; only TLP:CLEAR goes on."
    return None


def forwardable(viewer: Membership | None, channel: Channel) -> QuerySet[Report]:
    """Reports the viewer may receive over the channel: feeds, TAXII and fan-out use this."""
    allowed_tlps = [t for t in TLP if _channel_allows_tlp(channel, t)]
    return visible_to(viewer).filter(status=Report.Status.PUBLISHED, tlp__in=allowed_tlps)


def kept_in_step(viewer: Membership | None, channel: Channel) -> QuerySet[Report]:
    """Reports a subscriber that keeps its own copies (a MISP instance pulling a feed)
    receives over the channel: the published ones, and those withdrawn after publication,
    so that its copy learns of the withdrawal. Never a TLP the channel may not carry.

    Nothing at all for an organisation not in good standing: an automated copy of the
    membership's intelligence into another system is a member's benefit, not a reader's.
    """
    if not can_post(viewer):
        return Report.objects.none()
    allowed_tlps = [t for t in TLP if _channel_allows_tlp(channel, t)]
    return visible_to(viewer).filter(
        Q(status=Report.Status.PUBLISHED)
        | Q(status=Report.Status.WITHDRAWN, published_at__isnull=False),
        tlp__in=allowed_tlps,
    )


def _channel_allows_tlp(channel: Channel, tlp: TLP) -> bool:
    probe = Report(tlp=tlp, status=Report.Status.PUBLISHED)
    return can_forward(probe, channel)


# --- The public: anyone, signed in or not -------------------------------------------------
# The ISAC's public TLP:CLEAR feed (Atom/RSS, indicator lists, an unauthenticated TAXII
# collection and a public page per report). docs/tlp.md, "The public feed".


def public_feed_enabled() -> bool:
    """Whether an ISAC admin has turned the public feed on (off without a setting row)."""
    return _reused(
        ("public_feed_enabled",),
        lambda: PublicFeed.objects.filter(pk=1, enabled=True).exists(),
    )


def public_reports() -> QuerySet[Report]:
    """Reports anyone may read without signing in: published (never withdrawn), of a label
    the public feed may carry (TLP:CLEAR), released by their author, from an organisation in
    good standing, while the feed is on. Nothing at all while it is off."""
    if not public_feed_enabled():
        return Report.objects.none()
    allowed_tlps = [t for t in TLP if _channel_allows_tlp(Channel.PUBLIC_FEED, t)]
    return Report.objects.filter(
        good_standing_of(OuterRef("organisation_id")),
        status=Report.Status.PUBLISHED,
        tlp__in=allowed_tlps,
        public_release=True,
    )


def public_report(**lookup: Any) -> Report | None:
    """The one public report matching the lookup (e.g. uuid=...), with its organisation."""
    return public_reports().select_related("organisation").filter(**lookup).first()


def public_report_indicators() -> QuerySet[ReportIndicator]:
    """Indicator links of public reports: the public indicator lists and report pages."""
    compiled = _reused(("public_ids",), lambda: compiled_ids(public_reports()))
    if compiled is None:
        return ReportIndicator.objects.none()
    return ReportIndicator.objects.filter(report_id__in=RawSQL(*compiled))  # noqa: S611


def public_stix_objects() -> QuerySet[StixObject]:
    """STIX object versions of public reports, each only if the report version it belongs
    to was itself released: a version kept off the feed (not yet released, or not CLEAR)
    stays off it when a later one is released."""
    compiled = _reused(("public_ids",), lambda: compiled_ids(public_reports()))
    if compiled is None:
        return StixObject.objects.none()
    released = ReportRevision.objects.filter(
        report_id=OuterRef("report_id"),
        number=OuterRef("report_version"),
        tlp=TLP.CLEAR,
        public_release=True,
    )
    return StixObject.objects.filter(ReportAmong("report_id", compiled)).filter(
        Q(report__version=F("report_version")) | Q(Exists(released))
    )


def public_source_name(report: Report) -> str | None:
    """The organisation a public reader may see as the source: the member only when the
    report is attributed; None means the ISAC."""
    return report.organisation.name if report.attributed else None


def audience_problems(
    *,
    tlp: str,
    everyone: bool,
    sector_count: int,
    organisation_count: int,
    group_count: int,
    people_count: int,
    noun: str = "report",
) -> list[str]:
    """Why an audience does not fit the TLP, in words for the analyst; empty when it fits.
    `noun` names what is addressed ("report", "request")."""
    label = TLP(tlp)
    wide = everyone or sector_count or organisation_count or group_count
    problems = []
    if label == TLP.RED:
        if wide:
            problems.append(
                "TLP:RED is for named people only: remove the sectors, groups, organisations "
                "and the whole membership from the audience, or choose a wider TLP."
            )
        if not people_count:
            problems.append(f"A TLP:RED {noun} needs at least one named person.")
    else:
        if people_count:
            problems.append(
                "Named people are an audience for TLP:RED only; address organisations, "
                "groups or sectors instead."
            )
        if label != TLP.CLEAR and not wide:
            problems.append(
                f"Choose who receives this {label.label} {noun}: the whole membership, "
                "sectors, trust groups or organisations."
            )
    return problems


# --- Derived reads -------------------------------------------------------------------------
# Everything that hangs off a report is read through these, so a count, a search hit, a
# correlation hint or a child object can never be wider than the report it comes from.


def restrict(
    viewer: Membership | None,
    queryset: QuerySet[M],
    *,
    via: str = "report",
    channel: Channel | None = None,
) -> QuerySet[M]:
    """Rows of `queryset` whose report (reached through the `via` lookup) the viewer may read.

    For attachments, comments, sightings, revisions, STIX objects, indicator links: pass the
    child queryset and the name of its report relation. With a channel, only reports that
    may travel over it count (TAXII and fan-out pass theirs). Rows without a report are
    never returned.
    """
    return _among_visible(viewer, queryset, via, channel)


def visible_report_count(viewer: Membership | None) -> int:
    """What a dashboard may say about how many reports the viewer can read."""
    return visible_to(viewer).filter(status__in=READABLE_STATUSES).count()


def reporting_organisations_count(
    viewer: Membership | None, reports: QuerySet[Report], *, exclude_own: bool = True
) -> int:
    """ "Also reported by N organisations": distinct organisations behind those of `reports`
    the viewer may read (published or withdrawn), not counting the viewer's own.

    A report the viewer cannot see never adds to the count, so the hint cannot reveal that
    an invisible report mentions the same indicator.
    """
    counted = reports.filter(
        pk__in=visible_to(viewer).filter(status__in=READABLE_STATUSES).values("pk")
    )
    if exclude_own and viewer is not None:
        counted = counted.exclude(organisation_id=viewer.organisation_id)
    return counted.values("organisation_id").distinct().count()


def visible_stix_objects(
    viewer: Membership | None, *, channel: Channel | None = None
) -> QuerySet[StixObject]:
    """STIX object rows (sharing.StixObject) of reports the viewer may read (or receive over
    the channel, e.g. Channel.TAXII)."""
    compiled = _visible_ids(viewer, channel)
    if compiled is None:
        return StixObject.objects.none()
    objects = StixObject.objects.filter(ReportAmong("report_id", compiled))
    # Each object version only for those who may read the report version it belongs to.
    return objects.filter(at_readable_version(viewer, channel=channel))


def _objects_of(reports: QuerySet[Report]) -> QuerySet[StixObject]:
    """STIX objects whose report is among `reports`, checked row by row (see ReportAmong)."""
    compiled = compiled_ids(reports)
    if compiled is None:
        return StixObject.objects.none()
    return StixObject.objects.filter(ReportAmong("report_id", compiled))


def visible_indicators(
    viewer: Membership | None, *, channel: Channel | None = None
) -> QuerySet[Indicator]:
    """Indicators (sharing.Indicator) that occur in at least one report the viewer may read.

    First/last seen and confidence must come from `visible_report_indicators`, never from
    the indicator row's totals over all reports.
    """
    links = visible_report_indicators(viewer, channel=channel)
    return Indicator.objects.filter(pk__in=links.values("indicator_id"))


def visible_report_indicators(
    viewer: Membership | None, *, channel: Channel | None = None
) -> QuerySet[ReportIndicator]:
    """Report-indicator links (sharing.ReportIndicator) of reports the viewer may read."""
    return restrict(viewer, ReportIndicator.objects.all(), channel=channel)


# --- Reads for report pages: files, comments, sightings, versions, curation -------------


def visible_attachments(viewer: Membership | None) -> QuerySet[Attachment]:
    return restrict(viewer, Attachment.objects.all())


def visible_comments(viewer: Membership | None) -> QuerySet[Comment]:
    """Comments on reports the viewer may read, each only if they may read the version it was
    written under."""
    return restrict(viewer, Comment.objects.filter(at_readable_version(viewer)))


def visible_sightings(
    viewer: Membership | None, *, channel: Channel | None = None
) -> QuerySet[Sighting]:
    """Sightings of reports the viewer may read, each only if they may read the version it was
    reported under (over the channel: the API passes its own, so a TLP:RED report's
    sightings stay on its page)."""
    sightings = Sighting.objects.filter(at_readable_version(viewer, channel=channel))
    return restrict(viewer, sightings, channel=channel)


def visible_revisions(
    viewer: Membership | None, *, channel: Channel | None = None
) -> QuerySet[ReportRevision]:
    """Versions of reports the viewer may read, each only if they may read it under *its own*
    TLP and audience (docs/tlp.md, "Versions"): a report widened in a later version never
    opens its earlier, narrower text. With a channel, only versions whose label may travel
    over it (an earlier TLP:RED version never leaves the portal)."""
    return restrict(viewer, _versions_admitting(viewer, channel), channel=channel)


# --- One report's rows, as its page reads them -----------------------------------------
# The page has already read the report through `visible_report` (so `can_view` is known
# for this request): its rows are asked only for their report's id, and the versions this
# viewer may not read are listed once, instead of each read carrying the whole policy
# condition for PostgreSQL to plan again. Same answers as the `visible_*` reads filtered by
# report (tests/test_policy_stateful.py compares them).


def _of_report(viewer: Membership | None, report: Report, queryset: QuerySet[M]) -> QuerySet[M]:
    if not can_view(viewer, report):
        return queryset.none()
    return queryset.filter(report_id=report.pk)


def _at_readable_version_of(viewer: Membership, report: Report) -> Q:
    """`at_readable_version` for the rows of one report."""
    if report.version <= 1:
        # Every row belongs to the current (only) version, which the report's own check
        # covers: nothing to look up.
        return Q()
    refused = _reused(
        ("refused_versions", viewer.pk, report.pk, report.version),
        lambda: list(
            ReportRevision.objects.filter(report_id=report.pk)
            .exclude(Q(_revision_reach(viewer)))
            .values_list("number", flat=True)
        ),
    )
    return Q(report_version=report.version) | ~Q(report_version__in=refused)


def _versioned_of_report(
    viewer: Membership | None, report: Report, queryset: QuerySet[M]
) -> QuerySet[M]:
    if viewer is None or not can_view(viewer, report):
        return queryset.none()
    return queryset.filter(report_id=report.pk).filter(_at_readable_version_of(viewer, report))


def sightings_of(viewer: Membership | None, report: Report) -> QuerySet[Sighting]:
    return _versioned_of_report(viewer, report, Sighting.objects.all())


def comments_of(viewer: Membership | None, report: Report) -> QuerySet[Comment]:
    return _versioned_of_report(viewer, report, Comment.objects.all())


def stix_objects_of(viewer: Membership | None, report: Report) -> QuerySet[StixObject]:
    return _versioned_of_report(viewer, report, StixObject.objects.all())


def report_indicators_of(viewer: Membership | None, report: Report) -> QuerySet[ReportIndicator]:
    return _of_report(viewer, report, ReportIndicator.objects.all())


def attachments_of(viewer: Membership | None, report: Report) -> QuerySet[Attachment]:
    return _of_report(viewer, report, Attachment.objects.all())


def revisions_of(viewer: Membership | None, report: Report) -> QuerySet[ReportRevision]:
    return _of_report(viewer, report, _versions_admitting(viewer, None))


def _versions_admitting(
    viewer: Membership | None, channel: Channel | None
) -> QuerySet[ReportRevision]:
    """Versions whose own label (and channel) and audience admit the viewer; whether the
    report itself is readable is left to the caller."""
    if not _is_usable(viewer):
        return ReportRevision.objects.none()
    assert viewer is not None
    revisions = ReportRevision.objects.filter(_revision_reach(viewer))
    if channel is not None:
        revisions = revisions.filter(tlp__in=[t for t in TLP if _channel_allows_tlp(channel, t)])
    return revisions


def _revision_reach(viewer: Membership) -> BoundCondition:
    """`visible_to`'s rules, applied to a version's own label and audience.

    Whether the report itself is readable is checked separately (`restrict`); this only
    asks whether the version's label and audience admit the viewer.
    """
    return _reused(("revision_reach", viewer.pk), lambda: _READABLE_VERSIONS.bind(*_reader(viewer)))


def _readable_versions(shape: _ReaderShape, values: Mapping[str, Any]) -> Q:
    organisation_id, user_id = values["organisation_id"], values["user_id"]
    standing = _in_good_standing(values)
    people = ReportRevision.audience_people.through.objects
    named = Q(Exists(people.filter(reportrevision_id=OuterRef("pk"), user_id=user_id)))
    # The report's organisation and author, asked of the report row (not joined: a compiled
    # condition stays on its own table; see portal.bound_sql).
    own = Q(
        Exists(Report.objects.filter(pk=OuterRef("report_id"), organisation_id=organisation_id))
    )
    mine = Q(
        Exists(
            Report.objects.filter(
                pk=OuterRef("report_id"), organisation_id=organisation_id, author_id=user_id
            )
        )
    )
    submitted = own if shape.is_org_admin else own & (~Q(tlp=TLP.RED) | named)
    green_amber = Q(tlp__in=[TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT]) & _addressed_to(
        ReportRevision, organisation_id
    )
    allowed = mine | submitted | green_amber | (Q(tlp=TLP.RED) & named)
    if shape.is_isac_staff:
        # Versions exist only once published: curators read every one but RED.
        allowed |= ~Q(tlp=TLP.RED)
    return Q(tlp=TLP.CLEAR) | (Q(standing) & allowed)


_READABLE_VERSIONS = ConditionTemplate(
    ReportRevision,
    _readable_versions,
    ints=("organisation_id", "user_id", "agreement_version_id"),
    times=("now",),
)


def at_readable_version(viewer: Membership | None, *, channel: Channel | None = None) -> Q:
    """For rows that belong to one version of a report (`report_id`, `report_version`): STIX
    object versions, comments, sightings. Only those of a version the viewer may read; a
    version with no record (a report not yet published) is read under the report's own
    audience. Combine with `restrict`, which checks the report itself."""
    if not _is_usable(viewer):
        return Q(pk__in=[])
    assert viewer is not None
    admitted = Q(_revision_reach(viewer))
    if channel is not None:
        admitted &= Q(tlp__in=[t for t in TLP if _channel_allows_tlp(channel, t)])
    # No recorded version of that number refuses the viewer. Rows of the current version
    # need no look-up: that version is kept in step with the report, which `restrict` checks.
    refusing = ReportRevision.objects.filter(
        report_id=OuterRef("report_id"), number=OuterRef("report_version")
    ).exclude(admitted)
    return Q(report__version=F("report_version")) | ~Q(Exists(refusing))


def curation_queue(viewer: Membership | None) -> QuerySet[Report]:
    """Reports waiting for ISAC review, for ISAC staff; nothing for anyone else."""
    if not _is_usable(viewer) or viewer is None or not viewer.is_isac_staff:
        return Report.objects.none()
    return visible_to(viewer).filter(status=Report.Status.PENDING_REVIEW)


def can_curate(viewer: Membership | None, report: Report) -> bool:
    return curation_queue(viewer).filter(pk=report.pk).exists()


def curation_thread_visible(viewer: Membership | None, report: Report) -> bool:
    """The review thread is between the ISAC and the report's authors only."""
    if viewer is None or not can_view(viewer, report):
        return False
    return (
        viewer.is_isac_staff
        or viewer.user_id == report.author_id
        or administers(viewer, report.organisation_id)
    )


class SharedReport(Protocol):
    """What `can_see_source` reads of a report: a Report, or a row of one read as values."""

    @property
    def attributed(self) -> bool: ...

    @property
    def organisation_id(self) -> int: ...


def can_see_source(viewer: Membership | None, report: SharedReport) -> bool:
    """Whether the viewer may learn which organisation and person shared the report.

    An unattributed report shows the ISAC as its source to everyone but ISAC staff and the
    organisation that shared it.
    """
    if viewer is None:
        return False
    return bool(
        report.attributed
        or viewer.is_isac_staff
        or viewer.organisation_id == report.organisation_id
    )


def can_interact(viewer: Membership | None, report: Report) -> bool:
    """Comments and sightings: a reader in good standing, on a published report."""
    return (
        report.status == Report.Status.PUBLISHED and can_post(viewer) and can_view(viewer, report)
    )


def indicator_counts(viewer: Membership | None, report: Report) -> dict[int, dict[str, int]]:
    """Per indicator of the report: how many other organisations reported it and how many
    organisations sighted it, counted only over reports the viewer may read.

    Two queries whatever the number of indicators.
    """
    readable = visible_to(viewer).filter(status__in=READABLE_STATUSES).values("pk")
    indicator_ids = report.report_indicators.values("indicator_id")
    links = ReportIndicator.objects
    others = links.filter(indicator_id__in=indicator_ids, report__in=readable)
    if can_see_source(viewer, report):
        others = others.exclude(report__organisation_id=report.organisation_id)
    else:
        # Leaving the hidden source's other reports out of the count would tell a reader
        # who shared this one; only this report itself is left out.
        others = others.exclude(report_id=report.pk)
    reported = others.values("indicator_id").annotate(
        n=Count("report__organisation_id", distinct=True)
    )
    sighted = (
        visible_sightings(viewer)
        .filter(indicator_id__in=indicator_ids)
        .values("indicator_id")
        .annotate(n=Count("organisation_id", distinct=True))
    )
    # One round trip for both counts.
    columns = ("indicator_id", "n", "kind")
    both = (reported.annotate(kind=Value("reported")).order_by().values_list(*columns)).union(
        sighted.annotate(kind=Value("sighted")).order_by().values_list(*columns), all=True
    )
    counts: dict[int, dict[str, int]] = {}
    for indicator_id, n, kind in both:
        counts.setdefault(indicator_id, {})[kind] = n
    return counts


def visible_deliveries(
    viewer: Membership | None, *, channel: Channel | None = None
) -> QuerySet[Delivery]:
    """Fan-out deliveries the viewer may see in a delivery log: those of subscriptions they
    manage (their own; their organisation's as its admin; all as ISAC admin), and only for
    reports they may see themselves (and that may travel over the channel, for the API)."""
    from sharing.models import Subscription

    if not _is_usable(viewer):
        return Delivery.objects.none()
    assert viewer is not None
    # Members' subscriptions only: forwards to partners are read from their own record.
    deliveries = Delivery.objects.filter(report__in=visible_to(viewer), subscription__isnull=False)
    if channel is not None:
        # The log keeps withdrawn reports' deliveries; only the label decides here.
        deliveries = deliveries.filter(
            report__tlp__in=[t for t in TLP if _channel_allows_tlp(channel, t)]
        )
    if viewer.is_isac_admin:
        return deliveries
    managed = Q(subscription__membership=viewer)
    if viewer.is_org_admin:
        managed |= Q(
            subscription__scope=Subscription.Scope.ORGANISATION,
            subscription__membership__organisation_id=viewer.organisation_id,
        )
    return deliveries.filter(managed)


def visible_forwards(viewer: Membership | None) -> QuerySet[Forward]:
    """The record of forwards to government partners: an organisation sees its own reports'
    (those it may still read), ISAC staff every one. Nobody else learns whether a report
    left, or which partner has it."""
    if not _is_usable(viewer):
        return Forward.objects.none()
    assert viewer is not None
    forwards = Forward.objects.all()
    if not viewer.is_isac_staff:
        forwards = forwards.filter(organisation_id=viewer.organisation_id)
    return restrict(viewer, forwards)


def visible_notifications(viewer: Membership | None) -> QuerySet[Notification]:
    """The viewer's in-portal notifications about reports and requests for information they
    may still see (and about their own uploads that failed before any report was made of
    them)."""
    if not _is_usable(viewer):
        return Notification.objects.none()
    about_nothing_shared = Q(report__isnull=True, rfi__isnull=True)
    return Notification.objects.filter(membership=viewer).filter(
        Q(report__in=visible_to(viewer))
        | Q(rfi__in=visible_rfis(viewer).values("pk"))
        | about_nothing_shared
    )


def unread_notification_count(viewer: Membership | None) -> int:
    """The header's badge: the viewer's unread notifications they may still open. Each
    unread row's report is probed on its own (ReportAmong), so the count costs the same
    however many reports the viewer may read."""
    if not _is_usable(viewer):
        return 0
    unread = Notification.objects.filter(membership=viewer, read_at__isnull=True)
    compiled = _visible_ids(viewer)
    if compiled is None:
        return unread.filter(report__isnull=True).count()
    return unread.filter(Q(report__isnull=True) | Q(ReportAmong("report_id", compiled))).count()


def own_stix_objects(viewer: Membership | None) -> QuerySet[StixObject]:
    """The viewer's organisation's own STIX objects as served over TAXII: what it may also
    delete there."""
    if not can_post(viewer):
        return StixObject.objects.none()
    assert viewer is not None
    reports = forwardable(viewer, Channel.TAXII)
    objects = _objects_of(reports.filter(organisation_id=viewer.organisation_id))
    return objects.filter(at_readable_version(viewer, channel=Channel.TAXII))


def group_stix_objects(viewer: Membership | None, group: TrustGroup) -> QuerySet[StixObject]:
    """STIX objects of reports addressed to the trust group that the viewer may receive over
    TAXII (a group collection)."""
    objects = _objects_of(forwardable(viewer, Channel.TAXII).filter(audience_groups=group))
    return objects.filter(at_readable_version(viewer, channel=Channel.TAXII))


def can_see_sighter(viewer: Membership | None, sighting: Sighting) -> bool:
    """Who reported a sighting: hidden for an anonymous one, except from ISAC staff and the
    organisation that reported it. A sighting by the source of an unattributed report is
    hidden from whoever may not learn that source: naming it would name the source."""
    if viewer is None:
        return False
    if viewer.is_isac_staff or viewer.organisation_id == sighting.organisation_id:
        return True
    if sighting.anonymous:
        return False
    return _names_no_hidden_source(viewer, sighting.report, sighting.organisation_id)


def can_see_commenter(viewer: Membership | None, comment: Comment) -> bool:
    """Who wrote a comment: hidden when the writer's organisation is the hidden source of
    an unattributed report (the page says "the reporting member")."""
    if viewer is None:
        return False
    return _names_no_hidden_source(viewer, comment.report, comment.organisation_id)


def _names_no_hidden_source(viewer: Membership, report: Report, organisation_id: int) -> bool:
    return organisation_id != report.organisation_id or can_see_source(viewer, report)


def visible_submissions(viewer: Membership | None) -> QuerySet[Submission]:
    """Raw uploads and their progress: only the submitting organisation sees them."""
    if not _is_usable(viewer):
        return Submission.objects.none()
    assert viewer is not None
    return Submission.objects.filter(organisation_id=viewer.organisation_id)


# --- The directory: which organisations and people a member may learn of ---------------


def visible_sources(viewer: Membership | None) -> QuerySet[Organisation]:
    """Organisations the viewer may see named as the source of a report they can read (the
    report list's Source filter). Nothing for an organisation not in good standing."""
    if not _is_usable(viewer):
        return Organisation.objects.none()
    assert viewer is not None
    # One probe per organisation that stops at its first such report, rather than the
    # distinct sources of every readable report: the list page asks this on every visit.
    reports = visible_to(viewer).filter(
        status__in=READABLE_STATUSES, organisation_id=OuterRef("pk")
    )
    if not viewer.is_isac_staff:
        reports = reports.filter(Q(attributed=True) | Q(organisation_id=viewer.organisation_id))
    # Standing is checked inside the one query, as in `visible_to`.
    standing = good_standing_of(viewer.organisation_id)
    return Organisation.objects.filter(Q(standing), Exists(reports), is_isac=False)


def people_directory(viewer: Membership | None) -> QuerySet[User]:
    """People the viewer may pick by name to address a TLP:RED report: active members in
    good standing of the viewer's own organisation and of organisations that share a trust
    group with it (ISAC staff: every member). Anyone else is named by exact e-mail address
    (`person_by_email`). Nobody for an organisation not in good standing."""
    if not can_post(viewer):
        return User.objects.none()
    assert viewer is not None
    usable = Membership.objects.filter(
        is_active=True,
        organisation__in=organisations_in_good_standing(),
    )
    if not viewer.is_isac_staff:
        circles = TrustGroup.objects.filter(
            kind=TrustGroup.Kind.CUSTOM, memberships__organisation_id=viewer.organisation_id
        )
        usable = usable.filter(
            Q(organisation_id=viewer.organisation_id)
            | Q(organisation__group_memberships__group__in=circles)
        )
    return User.objects.filter(is_active=True, pk__in=usable.values("user_id"))


def person_by_email(viewer: Membership | None, email: str) -> User | None:
    """The active member in good standing with exactly this address, for naming in a
    TLP:RED report; None for an organisation not in good standing."""
    if not can_post(viewer):
        return None
    usable = Membership.objects.filter(
        is_active=True, organisation__in=organisations_in_good_standing()
    )
    return User.objects.filter(
        is_active=True, email__iexact=email.strip(), pk__in=usable.values("user_id")
    ).first()


def submissions_for_staff(viewer: Membership | None) -> QuerySet[Submission]:
    """Submissions the portal could not process and told ISAC staff about: ISAC staff see
    their state (never their content) on the curation page; nobody else does."""
    if not _is_usable(viewer) or viewer is None or not viewer.is_isac_staff:
        return Submission.objects.none()
    return Submission.objects.filter(
        staff_alerted_at__isnull=False, status=Submission.Status.FAILED
    )


# --- Requests for information ----------------------------------------------------------
# An RFI is shared material: its TLP and audience mean what they mean on a report, and its
# answers are read exactly by those who may read it (docs/tlp.md, "Requests for
# information").


def visible_rfis(viewer: Membership | None, *, channel: Channel | None = None) -> QuerySet[Rfi]:
    """Every request for information the viewer may read (with its answers). With a channel,
    only those whose label may travel over it: the API never carries a TLP:RED one."""
    if not _is_usable(viewer):
        return Rfi.objects.none()
    assert viewer is not None
    rfis = _reused(("visible_rfis", viewer.pk), lambda: _visible_rfis(viewer)).all()
    if channel is not None:
        rfis = rfis.filter(tlp__in=[t for t in TLP if _channel_allows_tlp(channel, t)])
    return rfis


def _visible_rfis(viewer: Membership) -> QuerySet[Rfi]:
    """`visible_to`'s rules for an RFI, which has no draft: it is shared when it is asked."""
    organisation = viewer.organisation
    standing = good_standing_of(organisation.pk)
    people = Rfi.audience_people.through.objects
    named = Q(Exists(people.filter(rfi_id=OuterRef("pk"), user_id=viewer.user_id)))
    own = Q(organisation_id=organisation.pk)
    mine = own & Q(asked_by_id=viewer.user_id)
    # The asking organisation follows its questions; a colleague's TLP:RED one only when
    # named in it or as the organisation's admin.
    submitted = own if viewer.is_org_admin else own & (~Q(tlp=TLP.RED) | named)
    green_amber = Q(tlp__in=[TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT]) & _addressed_to(
        Rfi, organisation.pk
    )
    allowed = mine | submitted | green_amber | (Q(tlp=TLP.RED) & named)
    if viewer.is_isac_staff:
        # Analysts route, merge and answer every RFI but RED, which they read when named.
        allowed |= ~Q(tlp=TLP.RED)
    return Rfi.objects.filter(Q(tlp=TLP.CLEAR) | (Q(standing) & allowed))


def can_view_rfi(viewer: Membership | None, rfi: Rfi) -> bool:
    return _reused(
        ("can_view_rfi", _key(viewer), rfi.pk),
        lambda: visible_rfis(viewer).filter(pk=rfi.pk).exists(),
    )


def visible_rfi(viewer: Membership | None, **lookup: Any) -> Rfi | None:
    """The one RFI matching the lookup (e.g. uuid=...) if the viewer may read it."""
    rfi = visible_rfis(viewer).select_related("organisation", "asked_by").filter(**lookup).first()
    if rfi is not None:
        _reused(("can_view_rfi", _key(viewer), rfi.pk), lambda: True)
    return rfi


def visible_rfi_answers(
    viewer: Membership | None, *, channel: Channel | None = None
) -> QuerySet[RfiAnswer]:
    """Answers to the RFIs the viewer may read (over the channel)."""
    if not _is_usable(viewer):
        return RfiAnswer.objects.none()
    return RfiAnswer.objects.filter(rfi__in=visible_rfis(viewer, channel=channel).values("pk"))


def can_forward_rfi(rfi: Rfi, channel: Channel) -> bool:
    """Whether the RFI's label lets it (or a notice about it) travel over the channel."""
    return _channel_allows_tlp(channel, TLP(rfi.tlp))


def can_see_asker(viewer: Membership | None, rfi: Rfi) -> bool:
    """Who asked: hidden for an anonymous RFI (the ISAC is shown) from everyone but ISAC
    staff and the asking organisation."""
    if viewer is None:
        return False
    return bool(
        not rfi.anonymous or viewer.is_isac_staff or viewer.organisation_id == rfi.organisation_id
    )


def can_see_answerer(viewer: Membership | None, answer: RfiAnswer) -> bool:
    """Who answered: hidden for an anonymous answer and for one written for the ISAC (the
    ISAC is shown), except from ISAC staff and the answering organisation. An answer by the
    hidden asker's own organisation is hidden from whoever may not learn the asker: naming
    it would name them."""
    if viewer is None:
        return False
    if viewer.is_isac_staff or viewer.organisation_id == answer.organisation_id:
        return True
    if answer.anonymous or answer.for_isac:
        return False
    return answer.organisation_id != answer.rfi.organisation_id or can_see_asker(viewer, answer.rfi)


def can_answer_rfi(viewer: Membership | None, rfi: Rfi) -> bool:
    """A reader in good standing, while the RFI is not closed."""
    return not rfi.is_closed and can_post(viewer) and can_view_rfi(viewer, rfi)


def can_manage_rfi(viewer: Membership | None, rfi: Rfi) -> bool:
    """Route, merge and answer for the ISAC: ISAC staff who may read it, while it is open."""
    return bool(
        viewer is not None
        and viewer.is_isac_staff
        and not rfi.is_closed
        and can_view_rfi(viewer, rfi)
    )


def can_close_rfi(viewer: Membership | None, rfi: Rfi) -> bool:
    """ISAC staff, and the asker for the organisation they asked for, close an RFI."""
    if viewer is None or rfi.is_closed or not can_view_rfi(viewer, rfi):
        return False
    asker = viewer.user_id == rfi.asked_by_id and viewer.organisation_id == rfi.organisation_id
    return viewer.is_isac_staff or asker


# --- Alerts and acknowledgements ------------------------------------------------------
# An alert quotes what matched in a report: it is shared material, read under the report's
# version it was raised for. An acknowledgement is an organisation's answer: its own
# members see it; ISAC staff and the report's own organisation see counts, never names.


def visible_alerts(viewer: Membership | None) -> QuerySet[Alert]:
    """Alerts about the viewer's organisation, for report versions the viewer may read."""
    if not _is_usable(viewer):
        return Alert.objects.none()
    assert viewer is not None
    alerts = Alert.objects.filter(organisation_id=viewer.organisation_id)
    return restrict(viewer, alerts.filter(at_readable_version(viewer)))


def can_acknowledge(viewer: Membership | None, report: Report) -> bool:
    """Read receipts and impact answers: a reader in good standing, on a published report
    of another organisation."""
    return _acknowledges(viewer, report) and can_interact(viewer, report)


def _acknowledges(viewer: Membership | None, report: Report) -> bool:
    """Only other member organisations ever read-receipt a report: not its own, not the
    ISAC."""
    return (
        viewer is not None
        and not viewer.organisation.is_isac
        and viewer.organisation_id != report.organisation_id
    )


def own_acknowledgement(viewer: Membership | None, report: Report) -> ReportAcknowledgement | None:
    """The viewer's organisation's own read receipt and answer for a report it may read
    (no query for those who never have one: the report's own organisation, the ISAC)."""
    if viewer is None or not _acknowledges(viewer, report) or not can_view(viewer, report):
        return None
    return ReportAcknowledgement.objects.filter(
        report=report, organisation_id=viewer.organisation_id
    ).first()


def can_see_acknowledgement_counts(viewer: Membership | None, report: Report) -> bool:
    """ISAC staff and the report's own organisation (its admins and its author) may see how
    many organisations read a report and what they answered; nobody sees who."""
    if viewer is None or not can_view(viewer, report):
        return False
    return viewer.is_isac_staff or (
        viewer.organisation_id == report.organisation_id
        and (viewer.user_id == report.author_id or administers(viewer, report.organisation_id))
    )


def acknowledgement_counts(viewer: Membership | None, report: Report) -> dict[str, int] | None:
    """How many organisations read the report and how many answered each impact; None for
    anyone who may not see them. Counts only: no organisation is named."""
    if not can_see_acknowledgement_counts(viewer, report):
        return None
    impact = ReportAcknowledgement.Impact
    counts = ReportAcknowledgement.objects.filter(report=report).aggregate(
        read=Count("pk"),
        affected=Count("pk", filter=Q(impact=impact.AFFECTED)),
        not_affected=Count("pk", filter=Q(impact=impact.NOT_AFFECTED)),
        investigating=Count("pk", filter=Q(impact=impact.INVESTIGATING)),
    )
    return {key: int(value or 0) for key, value in counts.items()}
