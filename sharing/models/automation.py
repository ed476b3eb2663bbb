"""What an organisation's admins decide for reports its automation publishes."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class PublishingDefaults(models.Model):
    """The audience of uploads published directly by the organisation's tokens that may
    publish (a SOAR, its own MISP, the TAXII inbox).

    The TLP always comes from the upload's own markings and the source shown follows the
    organisation's agreement (or the uploader's explicit choice); only the audience is a
    default. Without an audience here, such uploads wait as drafts for a person.
    """

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="publishing_defaults"
    )
    audience_everyone = models.BooleanField(default=False)
    audience_sectors = models.ManyToManyField("accounts.Sector", blank=True, related_name="+")
    audience_groups = models.ManyToManyField("accounts.TrustGroup", blank=True, related_name="+")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "publishing defaults"

    def __str__(self) -> str:
        return f"Publishing defaults of {self.organisation}"
