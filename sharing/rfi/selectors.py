"""Reads for requests for information. Every row comes from sharing.policy."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from accounts.models import Membership
from sharing import policy
from sharing.fanout.services.notifications import RfiRecipient
from sharing.feeds.selectors import ReportFacts, feeds_matching
from sharing.models import Report, Rfi, RfiAnswer, Subscription
from sharing.tlp import TLP


def rfi_list(viewer: Membership | None, *, status: str = "", q: str = "") -> QuerySet[Rfi]:
    """The RFIs the viewer may read, newest first, narrowed by status and words."""
    rfis = policy.visible_rfis(viewer)
    if status in Rfi.Status.values:
        rfis = rfis.filter(status=status)
    if q.strip():
        words = q.strip()
        rfis = rfis.filter(Q(title__icontains=words) | Q(body_markdown__icontains=words))
    # Counting answers groups the rows, and Django drops Meta.ordering from grouped queries.
    return (
        rfis.select_related("organisation", "asked_by")
        .annotate(answer_count=Count("answers"))
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class RfiCounts:
    open: int = 0
    answered: int = 0
    closed: int = 0

    @property
    def total(self) -> int:
        return self.open + self.answered + self.closed


def rfi_counts(viewer: Membership | None) -> RfiCounts:
    """How many RFIs the viewer may read, per state (one query)."""
    rows = dict(
        policy.visible_rfis(viewer)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return RfiCounts(
        open=rows.get(Rfi.Status.OPEN, 0),
        answered=rows.get(Rfi.Status.ANSWERED, 0),
        closed=rows.get(Rfi.Status.CLOSED, 0),
    )


def rfi_answers(viewer: Membership | None, rfi: Rfi) -> list[tuple[RfiAnswer, bool]]:
    """The answers to the RFI the viewer may read, each with whether they may learn who
    wrote it (sharing.policy.can_see_answerer)."""
    answers = list(
        policy.visible_rfi_answers(viewer)
        .filter(rfi=rfi)
        .select_related("author", "organisation", "report")
    )
    for answer in answers:
        answer.rfi = rfi
    return [(answer, policy.can_see_answerer(viewer, answer)) for answer in answers]


def rfi_facts(rfi: Rfi) -> ReportFacts:
    """An RFI as a feed filter sees it: a report of type "rfi" for its audience's sectors,
    with no confidence threshold to meet."""
    return ReportFacts(
        tlp=TLP(rfi.tlp),
        report_type=Report.Type.RFI,
        confidence=100,
        sector_ids=frozenset(rfi.audience_sectors.values_list("pk", flat=True)),
        organisation_id=rfi.organisation_id,
        attributed=not rfi.anonymous,
        group_ids=frozenset(rfi.audience_groups.values_list("pk", flat=True)),
    )


def rfi_audience_subscribers(rfi: Rfi) -> list[RfiRecipient]:
    """The people whose active in-portal or e-mail subscription's feed fits the RFI.

    Whether each may read it is decided when they are told (`rfi_notify` asks the policy);
    a webhook or TAXII subscription carries reports, not questions.
    """
    feed_ids = feeds_matching(rfi_facts(rfi))
    subscriptions = Subscription.objects.filter(
        is_active=True,
        feed_id__in=feed_ids,
        channel__in=[Subscription.ChannelKind.PORTAL, Subscription.ChannelKind.EMAIL],
    ).select_related("membership__user", "membership__organisation")
    asker = asker_membership(rfi)
    return [
        RfiRecipient(s.membership, email=s.channel == Subscription.ChannelKind.EMAIL)
        for s in subscriptions
        if asker is None or s.membership.pk != asker.pk
    ]


def asker_membership(rfi: Rfi) -> Membership | None:
    """The asker, acting for the organisation they asked for, while still a member there."""
    return (
        Membership.objects.filter(
            user_id=rfi.asked_by_id, organisation_id=rfi.organisation_id, is_active=True
        )
        .select_related("user", "organisation")
        .first()
    )
