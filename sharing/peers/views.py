"""ISAC admin pages: peers, their rules, collections and pushes, their state and record."""

import uuid

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import isac_admin_required
from accounts.http import AuthenticatedRequest
from accounts.web import run_service
from sharing.models import Peer, PeerCollection, PeerExchange, PeerRule, Subscription
from sharing.peers import selectors, services
from sharing.peers.forms import CollectionForm, PeerForm, PushForm, RuleForm


@isac_admin_required
def peer_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "peers/peer_list.html",
        {"peers": selectors.peer_list(), "failing": selectors.peers_failing_for_long()},
    )


@isac_admin_required
def peer_create(request: AuthenticatedRequest) -> HttpResponse:
    form = PeerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = run_service(
            request,
            lambda: services.peer_create(
                settings=form.peer_settings(), secrets=form.secrets(), by=request.membership
            ),
            lambda peer: f"Peer {peer.name} added.",
            form=form,
        )
        if created:
            return redirect("peers:detail", peer_uuid=created.value.uuid)
    return render(request, "peers/peer_form.html", {"form": form, "peer": None})


def _peer(peer_uuid: uuid.UUID) -> Peer:
    return get_object_or_404(Peer, uuid=peer_uuid)


@isac_admin_required
def peer_edit(request: AuthenticatedRequest, peer_uuid: uuid.UUID) -> HttpResponse:
    peer = _peer(peer_uuid)
    form = PeerForm(request.POST or None, initial=PeerForm.initial_from(peer))
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            request,
            lambda: services.peer_update(
                peer=peer,
                settings=form.peer_settings(),
                secrets=form.secrets(),
                by=request.membership,
            ),
            "Peer saved.",
            form=form,
        )
        if saved:
            return redirect("peers:detail", peer_uuid=peer.uuid)
    return render(request, "peers/peer_form.html", {"form": form, "peer": peer})


@isac_admin_required
def peer_detail(request: AuthenticatedRequest, peer_uuid: uuid.UUID) -> HttpResponse:
    """The peer's status page: last success, lag, failures, counts, rules, the record."""
    peer = _peer(peer_uuid)
    direction = request.GET.get("direction", "")
    outcome = request.GET.get("outcome", "")
    if direction not in PeerExchange.Direction.values:
        direction = ""
    if outcome not in PeerExchange.Outcome.values:
        outcome = ""
    return render(
        request,
        "peers/peer_detail.html",
        {
            "peer": peer,
            "counts": selectors.peer_counts(peer),
            "lag": selectors.peer_lag(peer),
            "collections": peer.collections.all(),
            "misp_events": (
                selectors.peer_misp_events(peer) if peer.kind == Peer.Kind.MISP else []
            ),
            "rules": peer.rules.prefetch_related(
                "audience_sectors", "audience_groups", "audience_organisations", "audience_people"
            ),
            "pushes": selectors.peer_pushes(peer),
            "record": selectors.peer_record(peer, direction=direction, outcome=outcome),
            "direction": direction,
            "outcome": outcome,
            "outcomes": PeerExchange.Outcome.choices,
            "rule_form": RuleForm(),
            "collection_form": CollectionForm(),
            "push_form": PushForm(),
        },
    )


@isac_admin_required
@require_POST
def rule_set(request: AuthenticatedRequest, peer_uuid: uuid.UUID) -> HttpResponse:
    peer = _peer(peer_uuid)
    form = RuleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        run_service(
            request,
            lambda: services.peer_rule_set(
                peer=peer,
                tlp=data["tlp"],
                everyone=data["audience_everyone"],
                sectors=data["audience_sectors"],
                groups=data["audience_groups"],
                organisations=data["audience_organisations"],
                people=data["audience_people"],
                by=request.membership,
            ),
            "Rule saved.",
        )
    return redirect("peers:detail", peer_uuid=peer.uuid)


@isac_admin_required
@require_POST
def rule_remove(
    request: AuthenticatedRequest, peer_uuid: uuid.UUID, rule_uuid: uuid.UUID
) -> HttpResponse:
    rule = get_object_or_404(PeerRule, uuid=rule_uuid, peer__uuid=peer_uuid)
    run_service(
        request, lambda: services.peer_rule_remove(rule=rule, by=request.membership), "Removed."
    )
    return redirect("peers:detail", peer_uuid=peer_uuid)


@isac_admin_required
@require_POST
def collection_add(request: AuthenticatedRequest, peer_uuid: uuid.UUID) -> HttpResponse:
    peer = _peer(peer_uuid)
    form = CollectionForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: services.peer_collection_add(
                peer=peer,
                collection_id=form.cleaned_data["collection_id"],
                title=form.cleaned_data["title"],
                added_after=form.cleaned_data["added_after"].strip(),
                by=request.membership,
            ),
            "The collection will be pulled at the next poll.",
        )
    return redirect("peers:detail", peer_uuid=peer.uuid)


@isac_admin_required
@require_POST
def collection_remove(
    request: AuthenticatedRequest, peer_uuid: uuid.UUID, collection_uuid: uuid.UUID
) -> HttpResponse:
    collection = get_object_or_404(PeerCollection, uuid=collection_uuid, peer__uuid=peer_uuid)
    run_service(
        request,
        lambda: services.peer_collection_remove(collection=collection, by=request.membership),
        "The collection is no longer pulled.",
    )
    return redirect("peers:detail", peer_uuid=peer_uuid)


@isac_admin_required
@require_POST
def push_add(request: AuthenticatedRequest, peer_uuid: uuid.UUID) -> HttpResponse:
    peer = _peer(peer_uuid)
    form = PushForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: services.peer_push_add(
                peer=peer, feed=form.cleaned_data["feed"], by=request.membership
            ),
            "The feed is pushed to the peer from its next publication on.",
        )
    return redirect("peers:detail", peer_uuid=peer.uuid)


def _push(peer_uuid: uuid.UUID, subscription_uuid: uuid.UUID) -> Subscription:
    return get_object_or_404(
        Subscription.objects.select_related("feed", "peer", "membership"),
        uuid=subscription_uuid,
        peer__uuid=peer_uuid,
        channel=Subscription.ChannelKind.PEER,
    )


@isac_admin_required
@require_POST
def push_remove(
    request: AuthenticatedRequest, peer_uuid: uuid.UUID, subscription_uuid: uuid.UUID
) -> HttpResponse:
    subscription = _push(peer_uuid, subscription_uuid)
    run_service(
        request,
        lambda: services.peer_push_remove(subscription=subscription, by=request.membership),
        "The feed is no longer pushed.",
    )
    return redirect("peers:detail", peer_uuid=peer_uuid)


@isac_admin_required
def push_dry_run(
    request: AuthenticatedRequest, peer_uuid: uuid.UUID, subscription_uuid: uuid.UUID
) -> HttpResponse:
    """What the push would send now, and what the gateway holds back: nothing is sent."""
    subscription = _push(peer_uuid, subscription_uuid)
    peer = subscription.peer
    assert peer is not None
    rows = selectors.push_dry_run(peer, subscription)
    return render(
        request,
        "peers/push_dry_run.html",
        {
            "peer": peer,
            "subscription": subscription,
            "rows": rows,
            "leaving": sum(1 for row in rows if row.problem is None),
        },
    )
