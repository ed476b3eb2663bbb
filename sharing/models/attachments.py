"""Files attached to a report, kept outside the web root under names the server makes."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Attachment(models.Model):
    """One uploaded file. The bytes live at MEDIA_ROOT/attachments/<stored_name>.

    The person's file name is kept only to label the download; the type was decided from
    the content, not the name. Served only through the access policy.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    report = models.ForeignKey(
        "sharing.Report", on_delete=models.CASCADE, related_name="attachments"
    )
    stored_name = models.CharField(max_length=64, unique=True, editable=False)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name
