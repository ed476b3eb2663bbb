"""Peer ISACs: TAXII 2.1 servers the portal pulls from and pushes to, MISP instances whose
MISP feed it pulls, and what it exchanged.

A peer is configured by ISAC admins. What arrives from it becomes reports addressed inside
the portal by the peer's rules (one per TLP); what leaves goes through the fan-out outbox
as deliveries of `Subscription`s whose channel is `peer` and passes the peer's outbound
gateway at send time. Every object pulled or pushed is one `PeerExchange` row: the record,
the counts on the status page, and (for pulls) the key that keeps an object version from
being imported twice.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sharing.taxii.client import AUTH_KIND_LABELS, AuthKind
from sharing.tlp import TLP


class Peer(models.Model):
    """Another ISAC (or a MISP community) the portal exchanges intelligence with."""

    class Kind(models.TextChoices):
        TAXII21 = "taxii21", "TAXII 2.1 server"
        MISP = "misp", "MISP instance (pulled through its MISP feed)"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=150, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TAXII21)
    # The TAXII API root, e.g. https://taxii.peer.example/api1/ (collections are under it).
    api_root_url = models.URLField(max_length=2000, blank=True)
    auth = models.CharField(
        max_length=20,
        choices=[(kind.value, label) for kind, label in AUTH_KIND_LABELS.items()],
        default=AuthKind.BEARER,
    )
    username = models.CharField(max_length=200, blank=True)
    # A MISP peer: the folder of its MISP feed (manifest.json and <event-uuid>.json are
    # under it), and the ETag of the last manifest read completely (MISP answers 304 to it).
    feed_url = models.URLField(max_length=2000, blank=True)
    feed_etag = models.CharField(max_length=200, blank=True)
    # Password, token, client certificate and key (and a MISP feed's request headers) as
    # JSON, encrypted at rest like webhook secrets (sharing.fanout.secrets); see
    # sharing.peers.credentials.
    secret_encrypted = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    # Pull: how often, and the TLP of objects the peer sent without a marking.
    pull_enabled = models.BooleanField(default=True)
    poll_minutes = models.PositiveIntegerField(default=15)
    unmarked_tlp = models.CharField(max_length=20, choices=TLP.choices, default=TLP.AMBER)

    # Push: the outbound gateway. Empty sectors / report types mean "any".
    push_collection_id = models.CharField(max_length=200, blank=True)
    push_tlp_max = models.CharField(max_length=20, choices=TLP.choices, default=TLP.GREEN)
    push_sectors = models.ManyToManyField("accounts.Sector", blank=True, related_name="+")
    push_report_types = models.JSONField(default=list, blank=True)
    # Name the member as source when its agreement and the report allow it; otherwise (and
    # always when False) the ISAC is the source of everything pushed.
    push_attribution = models.BooleanField(default=False)

    # State of the exchange, for the status page and /healthz.
    last_pull_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # Held by the worker pulling the peer, so two workers never pull it at once.
    pull_claimed_until = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PeerCollection(models.Model):
    """One of the peer's TAXII collections the portal pulls, with its resumable cursor.

    `added_after` is the newest `X-TAXII-Date-Added-Last` the peer reported for a page that
    was stored; `next_cursor` the server's `next` while a paged read is under way. Both are
    written in the transaction that stores the page, so a crash resumes at the page it lost.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="collections")
    collection_id = models.CharField(max_length=200)
    title = models.CharField(max_length=300, blank=True)
    pull_enabled = models.BooleanField(default=True)
    added_after = models.CharField(max_length=40, blank=True)
    next_cursor = models.CharField(max_length=500, blank=True)
    # The newest date_added stored during the read under way: `added_after` once it ends.
    seen_until = models.CharField(max_length=40, blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["peer_id", "collection_id"]
        constraints = [
            models.UniqueConstraint(fields=["peer", "collection_id"], name="one_peer_collection")
        ]

    def __str__(self) -> str:
        return f"{self.peer} / {self.title or self.collection_id}"


class PeerRule(models.Model):
    """Where the peer's reports of one TLP go inside the portal.

    Without a rule for its TLP a report from the peer is not accepted. A TLP:AMBER+STRICT
    rule must name organisations and a TLP:RED rule must name people: those labels are
    never accepted for a sector or the whole membership.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="rules")
    tlp = models.CharField(max_length=20, choices=TLP.choices)
    audience_everyone = models.BooleanField(default=False)
    audience_sectors = models.ManyToManyField("accounts.Sector", blank=True, related_name="+")
    audience_groups = models.ManyToManyField("accounts.TrustGroup", blank=True, related_name="+")
    audience_organisations = models.ManyToManyField(
        "accounts.Organisation", blank=True, related_name="+"
    )
    audience_people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["peer_id", "tlp"]
        constraints = [
            models.UniqueConstraint(fields=["peer", "tlp"], name="one_peer_rule_per_tlp")
        ]

    def __str__(self) -> str:
        return f"{self.peer}: {TLP(self.tlp).label}"


class PeerReport(models.Model):
    """A portal report made of what a peer sent: the peer is its source."""

    report = models.OneToOneField(
        "sharing.Report", on_delete=models.CASCADE, related_name="peer_origin"
    )
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="reports")
    # The peer's own `report` object id, or "" for objects that came without one.
    stix_report_id = models.CharField(max_length=100, blank=True, db_index=True)
    collection_id = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.report_id} from {self.peer}"


class PeerCorroboration(models.Model):
    """A peer also reported what a member's report carries ("also reported by peer X")."""

    report = models.ForeignKey(
        "sharing.Report", on_delete=models.CASCADE, related_name="peer_corroborations"
    )
    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="corroborations")
    matched = models.PositiveIntegerField(default=0, help_text="values or objects in common")
    first_at = models.DateTimeField(default=timezone.now)
    last_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "peer"], name="one_corroboration_per_peer")
        ]

    def __str__(self) -> str:
        return f"{self.peer} also reported {self.report_id}"


class PeerExchange(models.Model):
    """One STIX object version pulled from or pushed to a peer, and what became of it."""

    class Direction(models.TextChoices):
        PULL = "pull", "Pulled"
        PUSH = "push", "Pushed"

    class Outcome(models.TextChoices):
        IMPORTED = "imported", "Imported"
        DUPLICATE = "duplicate", "Already known"
        REFUSED = "refused", "Refused by a rule"
        INVALID = "invalid", "Not valid STIX 2.1"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE, related_name="exchanges")
    direction = models.CharField(max_length=4, choices=Direction.choices)
    collection_id = models.CharField(max_length=200, blank=True)
    stix_id = models.CharField(max_length=100)
    modified = models.CharField(max_length=40, blank=True)
    type = models.CharField(max_length=64, blank=True)
    tlp = models.CharField(max_length=20, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    report = models.ForeignKey(
        "sharing.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["peer", "direction", "at"], name="peerexchange_log_idx")]
        constraints = [
            # A pulled object version is recorded once: the key that stops re-imports.
            models.UniqueConstraint(
                fields=["peer", "stix_id", "modified"],
                condition=models.Q(direction="pull"),
                name="peer_pull_once_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.stix_id} {self.outcome}"
