"""Trust groups: circles of member organisations that share with each other.

A report addressed to a group is visible to the organisations in it (sharing.policy). Every
change to a group goes through accounts.services.groups and is audited.
"""

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class TrustGroup(models.Model):
    """A named circle of member organisations, owned by a member or by the ISAC.

    Sector communities are built-in groups (kind SECTOR, one per sector): their members are
    every organisation in good standing in the sector, kept up to date by
    `sector_communities_sync`; the policy reads sector membership live, never from stale rows.
    """

    class Kind(models.TextChoices):
        CUSTOM = "custom", "Trust group"
        SECTOR = "sector", "Sector community"

    class JoinPolicy(models.TextChoices):
        INVITE = "invite", "Invitation only"
        REQUEST = "request", "Request and approval"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CUSTOM)
    sector = models.OneToOneField(
        "accounts.Sector",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="community",
        help_text="Set for sector communities only.",
    )
    owner = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="owned_groups"
    )
    join_policy = models.CharField(
        max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.INVITE
    )
    members_visible = models.BooleanField(
        default=True,
        help_text="Members see who else is in the group; otherwise only its managers do.",
    )
    moderators = models.ManyToManyField(
        "accounts.User", blank=True, related_name="moderated_groups"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="trust_group_name_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(kind="sector", sector__isnull=False)
                | models.Q(kind="custom", sector__isnull=True),
                name="trust_group_sector_iff_community",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sector_community(self) -> bool:
        return self.kind == self.Kind.SECTOR


class TrustGroupMember(models.Model):
    """An organisation's place in a group."""

    group = models.ForeignKey(TrustGroup, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="group_memberships"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["group", "organisation"], name="one_group_membership")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.group}"


class TrustGroupInvitation(models.Model):
    """An invitation to an organisation, or an organisation's request to join.

    Pending until the other side answers: the invited organisation accepts or declines; a
    group manager approves or declines a request. Either side may withdraw its own.
    """

    class Direction(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        REQUEST = "request", "Request to join"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(TrustGroup, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="group_invitations"
    )
    direction = models.CharField(max_length=12, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "organisation"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_group_and_org",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: {self.organisation} to {self.group}"
