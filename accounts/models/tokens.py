"""API tokens: machine access for one membership (REST API and TAXII)."""

import uuid

from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A bearer token bound to one membership; only a hash of the secret is stored.

    The plaintext is shown once, when the token is issued. The prefix identifies the token
    in lists and logs and is what the hash is looked up by.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    read_only = models.BooleanField(default=False)
    # Uploads made with the token are published at once with the organisation's publishing
    # defaults, instead of waiting as a draft for a person to confirm. Chosen at issue only.
    may_publish = models.BooleanField(default=False)
    allowed_networks = models.JSONField(
        default=list, blank=True, help_text="CIDR ranges the token may be used from; empty: any."
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
