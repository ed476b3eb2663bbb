"""Changes made over TAXII: adding objects (a submission) and deleting one's own objects."""

import json
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Membership
from sharing import policy
from sharing.models import Submission
from sharing.normalize.services import submission_create
from sharing.taxii.protocol import ObjectQuery
from sharing.taxii.selectors import matching_versions


@transaction.atomic
def taxii_objects_add(
    *,
    viewer: Membership,
    objects: list[dict[str, Any]],
    content_type: str,
    publish_directly: bool = False,
) -> Submission:
    """Hand the objects of a posted envelope to normalisation as a submission.

    Normalisation reads STIX bundles, so the envelope's objects are stored, unchanged, as
    the equivalent bundle. `publish_directly`: the token may publish (see ApiToken).
    """
    if not policy.can_post(viewer):
        raise PermissionDenied("Only organisations in good standing may submit.")
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    return submission_create(
        organisation=viewer.organisation,
        submitted_by=viewer.user,
        kind=Submission.Kind.TAXII,
        raw=json.dumps(bundle, ensure_ascii=False).encode(),
        filename="taxii-envelope.json",
        content_type=content_type,
        publish_directly=publish_directly,
    )


@transaction.atomic
def taxii_object_delete(*, viewer: Membership, stix_id: str, query: ObjectQuery) -> int:
    """Delete versions of one of the organisation's own shared objects; returns how many.

    Only the organisation's own objects are reachable here: anything else is, for this
    caller, an object that does not exist.
    """
    versions = matching_versions(policy.own_stix_objects(viewer).filter(stix_id=stix_id), query)
    rows = list(versions.select_related("report"))
    for row in rows:
        audit_record(
            action="stix_object.delete",
            obj=row.report,
            actor=viewer.user,
            organisation=viewer.organisation,
            actor_organisation=viewer.organisation,
            before={"stix_id": row.stix_id, "modified": row.modified.isoformat()},
        )
    versions.model.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return len(rows)
