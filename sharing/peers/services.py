"""Configuring peers: the peer, its credentials (and a MISP feed's request headers),
collections, rules and pushed feeds.

Only ISAC admins configure peers (`by=None` is the system: commands, fixtures). Every
change is audited; a credential is stored encrypted and never shown again.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Membership, Organisation, Sector, TrustGroup, User
from accounts.policy import require_isac_admin
from sharing.fanout.services.subscriptions import webhook_url_problem
from sharing.misp.client import MispFeedError, normalise_feed_url
from sharing.models import Feed, Peer, PeerCollection, PeerRule, Report, Subscription
from sharing.peers.credentials import PeerSecrets, encrypt_secrets, header_lines, peer_secrets
from sharing.peers.rules import RuleAudience, rule_problem
from sharing.taxii.client import AuthKind, Credentials
from sharing.tlp import TLP


@dataclass
class PeerSettings:
    """Everything about a peer an admin sets on its form (the secret apart)."""

    name: str
    kind: str = Peer.Kind.TAXII21
    api_root_url: str = ""
    feed_url: str = ""
    auth: str = AuthKind.BEARER
    username: str = ""
    is_active: bool = True
    pull_enabled: bool = True
    poll_minutes: int = 15
    unmarked_tlp: str = TLP.AMBER
    push_collection_id: str = ""
    push_tlp_max: str = TLP.GREEN
    push_sectors: list[Sector] = field(default_factory=list)
    push_report_types: list[str] = field(default_factory=list)
    push_attribution: bool = False


_FIELDS = (
    "name",
    "kind",
    "api_root_url",
    "feed_url",
    "auth",
    "username",
    "is_active",
    "pull_enabled",
    "poll_minutes",
    "unmarked_tlp",
    "push_collection_id",
    "push_tlp_max",
    "push_report_types",
    "push_attribution",
)


def _validate(settings: PeerSettings, secrets: PeerSecrets) -> None:
    if not settings.name.strip():
        raise ValidationError("Give the peer a name.")
    if settings.kind == Peer.Kind.TAXII21 and not settings.api_root_url:
        raise ValidationError("A TAXII peer needs the URL of its API root.")
    if settings.kind == Peer.Kind.MISP and settings.feed_url:
        try:
            settings.feed_url = normalise_feed_url(settings.feed_url)
            header_lines(secrets.headers)
        except (MispFeedError, ValueError) as error:
            raise ValidationError(str(error)) from None
    # The URL the portal pulls from: a TAXII API root, or a MISP peer's feed (without one
    # a MISP peer only subscribes to the portal's MISP feed).
    url = settings.api_root_url if settings.kind == Peer.Kind.TAXII21 else settings.feed_url
    if url:
        problem = webhook_url_problem(url)
        if problem:
            raise ValidationError(f"The portal may not connect to this URL: {problem}")
        credentials = Credentials(
            kind=AuthKind(settings.auth),
            username=settings.username,
            password=secrets.password,
            token=secrets.token,
            certificate_pem=secrets.certificate_pem,
            key_pem=secrets.key_pem,
        )
        if problems := credentials.problems():
            raise ValidationError(" ".join(problems))
    if settings.poll_minutes < 1:
        raise ValidationError("Poll at most once a minute.")
    if TLP(settings.push_tlp_max).rank > TLP.AMBER.rank:
        raise ValidationError("TLP:AMBER+STRICT and TLP:RED never leave for a peer.")
    known_types = set(Report.Type.values)
    if unknown := set(settings.push_report_types) - known_types:
        raise ValidationError(f"Unknown report types: {', '.join(sorted(unknown))}.")


def _snapshot(peer: Peer) -> dict[str, Any]:
    return {name: getattr(peer, name) for name in _FIELDS}


@transaction.atomic
def peer_create(
    *,
    settings: PeerSettings,
    secrets: PeerSecrets | None = None,
    by: Membership | None,
    creator: User | None = None,
) -> Peer:
    """A new peer. `creator` (for by=None) is the person its pulled reports are filed by."""
    require_isac_admin(by, "Only ISAC admins configure peers.")
    secrets = secrets or PeerSecrets()
    _validate(settings, secrets)
    if Peer.objects.filter(name__iexact=settings.name.strip()).exists():
        raise ValidationError("A peer of this name exists already.")
    owner = by.user if by is not None else creator
    if owner is None:
        raise ValidationError("Say who files the peer's reports.")
    values = {name: getattr(settings, name) for name in _FIELDS}
    values["name"] = settings.name.strip()
    peer = Peer.objects.create(
        **values, secret_encrypted=encrypt_secrets(secrets), created_by=owner
    )
    peer.push_sectors.set(settings.push_sectors)
    audit_record(action="peer.create", obj=peer, by=by, after=_snapshot(peer))
    return peer


@transaction.atomic
def peer_update(
    *,
    peer: Peer,
    settings: PeerSettings,
    secrets: PeerSecrets | None = None,
    by: Membership | None,
) -> Peer:
    """Change a peer; each secret left blank keeps its stored value."""
    require_isac_admin(by, "Only ISAC admins configure peers.")
    merged = (secrets or PeerSecrets()).merged(peer_secrets(peer))
    _validate(settings, merged)
    if Peer.objects.filter(name__iexact=settings.name.strip()).exclude(pk=peer.pk).exists():
        raise ValidationError("A peer of this name exists already.")
    before = _snapshot(peer)
    if settings.feed_url != peer.feed_url:
        # Another feed: its manifest's ETag says nothing about the new one.
        peer.feed_etag = ""
    for name in _FIELDS:
        setattr(peer, name, getattr(settings, name))
    peer.name = settings.name.strip()
    changed_secret = encrypt_secrets(merged) != "" and merged != peer_secrets(peer)
    peer.secret_encrypted = encrypt_secrets(merged)
    peer.save()
    peer.push_sectors.set(settings.push_sectors)
    after = _snapshot(peer)
    if changed_secret:
        after["credentials"] = "changed"
    audit_record(action="peer.update", obj=peer, by=by, before=before, after=after)
    return peer


@transaction.atomic
def peer_collection_add(
    *, peer: Peer, collection_id: str, title: str = "", added_after: str = "", by: Membership | None
) -> PeerCollection:
    """Pull one more of the peer's collections (from `added_after`, or from its start)."""
    require_isac_admin(by, "Only ISAC admins configure peers.")
    collection_id = collection_id.strip()
    if not collection_id or "/" in collection_id:
        raise ValidationError("Give the collection's id as the peer lists it.")
    collection, created = PeerCollection.objects.get_or_create(
        peer=peer,
        collection_id=collection_id,
        defaults={"title": title[:300], "added_after": added_after},
    )
    if not created:
        raise ValidationError("This collection is pulled already.")
    audit_record(action="peer.collection_add", obj=peer, by=by, after={"collection": collection_id})
    return collection


@transaction.atomic
def peer_collection_remove(*, collection: PeerCollection, by: Membership | None) -> None:
    require_isac_admin(by, "Only ISAC admins configure peers.")
    audit_record(
        action="peer.collection_remove",
        obj=collection.peer,
        by=by,
        before={"collection": collection.collection_id},
    )
    collection.delete()


@transaction.atomic
def peer_rule_set(
    *,
    peer: Peer,
    tlp: str,
    everyone: bool = False,
    sectors: Iterable[Sector] = (),
    groups: Iterable[TrustGroup] = (),
    organisations: Iterable[Organisation] = (),
    people: Iterable[User] = (),
    by: Membership | None,
) -> PeerRule:
    """Where the peer's reports of this TLP go (replacing the rule for it, if any)."""
    require_isac_admin(by, "Only ISAC admins configure peers.")
    label = TLP(tlp)
    sectors, groups = list(sectors), list(groups)
    organisations, people = list(organisations), list(people)
    audience = RuleAudience(
        everyone=everyone,
        sectors=len(sectors),
        groups=len(groups),
        organisations=len(organisations),
        people=len(people),
    )
    if problem := rule_problem(label, audience):
        raise ValidationError(problem)
    rule, _ = PeerRule.objects.update_or_create(
        peer=peer, tlp=label, defaults={"audience_everyone": everyone}
    )
    rule.audience_sectors.set(sectors)
    rule.audience_groups.set(groups)
    rule.audience_organisations.set(organisations)
    rule.audience_people.set(people)
    audit_record(
        action="peer.rule_set",
        obj=peer,
        by=by,
        after={
            "tlp": label.value,
            "everyone": everyone,
            "sectors": [s.pk for s in sectors],
            "groups": [g.pk for g in groups],
            "organisations": [o.pk for o in organisations],
            "people": [p.pk for p in people],
        },
    )
    return rule


@transaction.atomic
def peer_rule_remove(*, rule: PeerRule, by: Membership | None) -> None:
    require_isac_admin(by, "Only ISAC admins configure peers.")
    audit_record(action="peer.rule_remove", obj=rule.peer, by=by, before={"tlp": rule.tlp})
    rule.delete()


@transaction.atomic
def peer_push_add(*, peer: Peer, feed: Feed, by: Membership) -> Subscription:
    """Push a feed to the peer: a subscription of the acting ISAC admin over the peer
    channel, so its deliveries go through the outbox like webhooks and are re-checked (as
    that admin, and by the peer's gateway) at send time."""
    require_isac_admin(by, "Only ISAC admins configure peers.")
    if peer.kind != Peer.Kind.TAXII21 or not peer.push_collection_id:
        raise ValidationError("Set the peer's TAXII collection to push to first.")
    if feed.kind == Feed.Kind.PERSONAL:
        raise ValidationError("Push one of the ISAC's feeds, not a personal filter.")
    subscription, created = Subscription.objects.get_or_create(
        feed=feed,
        peer=peer,
        channel=Subscription.ChannelKind.PEER,
        defaults={
            "membership": by,
            "scope": Subscription.Scope.ORGANISATION,
            "name": f"{feed.name} to {peer.name}"[:150],
        },
    )
    if not created:
        if subscription.is_active:
            raise ValidationError("This feed is pushed to the peer already.")
        subscription.is_active = True
        subscription.membership = by
        subscription.save(update_fields=["is_active", "membership"])
    audit_record(action="peer.push_add", obj=peer, by=by, after={"feed": str(feed.uuid)})
    return subscription


@transaction.atomic
def peer_push_remove(*, subscription: Subscription, by: Membership) -> None:
    """Stop pushing the feed. The subscription is turned off, not deleted: its deliveries
    stay in the record; those still pending are cancelled at send time."""
    require_isac_admin(by, "Only ISAC admins configure peers.")
    peer = subscription.peer
    assert peer is not None
    audit_record(
        action="peer.push_remove", obj=peer, by=by, before={"feed": str(subscription.feed.uuid)}
    )
    subscription.is_active = False
    subscription.save(update_fields=["is_active"])
