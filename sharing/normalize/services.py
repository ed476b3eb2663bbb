"""Creating submissions.

Minimal version of the normalisation change's service, with its signature, so TAXII and the
API can hand uploads over; that change's version (which also enqueues the pipeline) replaces
this one.
"""

import hashlib
from collections.abc import Sequence

from django.db import transaction

from accounts.models import Organisation, User
from sharing.models import Report, Submission


@transaction.atomic
def submission_create(
    *,
    organisation: Organisation,
    submitted_by: User,
    kind: str,
    raw: bytes,
    filename: str = "",
    content_type: str = "",
    report: Report | None = None,
    anonymous: bool = False,
    insist_values: Sequence[str] = (),
) -> Submission:
    return Submission.objects.create(
        organisation=organisation,
        submitted_by=submitted_by,
        kind=kind,
        raw=raw,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        insist_values=list(insist_values),
        filename=filename,
        content_type=content_type,
        report=report,
        anonymous=anonymous,
    )
