"""Indicator lifecycle: the decay rules ISAC admins set, and every expiry on record.

The lifecycle state itself lives on `ReportIndicator` (an indicator as one report shares
it): its base score, when its clock started, when it stops being valid and whether it was
revoked. Reads compute the current score from those and the rule; nothing is rewritten as
time passes except by the sweep that revokes what fell below the rule's threshold.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IndicatorDecayRule(models.Model):
    """An ISAC admin's decay rule for one indicator type; a type without a row uses the
    default in `sharing.lifecycle.decay.DEFAULT_RULES`."""

    indicator_type = models.CharField(max_length=20, unique=True)
    lifetime_days = models.PositiveIntegerField()
    pound = models.FloatField()
    revoke_score = models.PositiveSmallIntegerField()
    base_score = models.PositiveSmallIntegerField()
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["indicator_type"]

    def __str__(self) -> str:
        return f"decay rule for {self.indicator_type}"


class IndicatorExpiry(models.Model):
    """One ending (or call to end) of an indicator as a report shares it.

    `DECAYED`: the sweep found its score below the revoke score. `EXPIRED`: its author's
    organisation or ISAC staff ended it for everyone. `FLAGGED`: another member who can
    read it says it is no longer valid; flags are counted on the indicator page and shown
    to ISAC staff and the author, who decide.
    """

    class Kind(models.TextChoices):
        DECAYED = "decayed", "Score fell below the threshold"
        EXPIRED = "expired", "Marked expired for everyone"
        FLAGGED = "flagged", "Flagged as expired"

    link = models.ForeignKey(
        "sharing.ReportIndicator", on_delete=models.CASCADE, related_name="expiries"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One flag per organisation: a flag is a vote, not a counter to pump up.
            models.UniqueConstraint(
                fields=["link", "organisation"],
                condition=models.Q(kind="flagged"),
                name="indicator_expiry_one_flag_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.link}"
