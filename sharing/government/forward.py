"""Building what leaves for a government partner, from the database: the report's current
STIX objects, anonymised with the ISAC as source and the consent the report carries."""

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import Membership, Organisation, OrganisationDomain, TrustGroup
from sharing.formats.stix import report_bundle
from sharing.government.bundle import Anonymity, government_bundle
from sharing.government.consent import ReportConsent, ais_label, report_consent
from sharing.models import Report, ReportRevision
from sharing.stix.objects import PORTAL_NAMESPACE, timestamp
from sharing.stix.report import source_identity
from sharing.tlp import TLP


@dataclass(frozen=True)
class Prepared:
    """One bundle ready to send, and what the record keeps about it."""

    bundle: dict[str, Any]
    content: bytes
    sha256: str
    consent: ReportConsent

    @property
    def object_count(self) -> int:
        return len(self.bundle["objects"])


def bundle_id_for(key: str) -> str:
    """A bundle id derived from the delivery: the same on every retry of one delivery."""
    return f"bundle--{uuid.uuid5(PORTAL_NAMESPACE, 'government/' + key)}"


def canonical_json(bundle: dict[str, Any]) -> bytes:
    """The bytes hashed for the record (sorted keys, no spaces): anyone holding the bundle
    can recompute the hash."""
    return json.dumps(bundle, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def internal_names(report: Report) -> list[str]:
    """Names that must not leave: every member organisation, every trust group, and the
    people of the organisation that wrote the report."""
    organisations = Organisation.objects.filter(is_isac=False).values_list("name", flat=True)
    groups = TrustGroup.objects.values_list("name", flat=True)
    people = Membership.objects.filter(organisation_id=report.organisation_id).values_list(
        "user__full_name", flat=True
    )
    return [*organisations, *groups, *people, report.author.full_name]


def _version_stamp(report: Report) -> str:
    created = (
        ReportRevision.objects.filter(report=report, number=report.version)
        .values_list("created_at", flat=True)
        .first()
    )
    return timestamp(created or report.published_at or report.created_at)


def prepare_forward(*, report: Report, key: str, withdrawn: bool) -> Prepared:
    """The anonymised bundle of the report's current version (or its revocation)."""
    consent = report_consent(report)
    isac = source_identity(report=report, now=timezone.now(), anonymous=True)
    anonymity = Anonymity(
        isac_identity_id=isac["id"],
        isac_name=isac["name"],
        isac_created=isac["created"],
        consent_label=ais_label(consent.scope, cisa_proprietary=consent.cisa_proprietary),
        tlp=TLP(report.tlp),
        version_stamp=_version_stamp(report),
        portal_url=settings.PORTAL_BASE_URL,
        member_domains=frozenset(
            d.lower() for d in OrganisationDomain.objects.values_list("domain", flat=True)
        ),
        internal_names=internal_names(report),
        revoked_at=timestamp(report.withdrawn_at or timezone.now()) if withdrawn else None,
    )
    bundle = government_bundle(
        report_bundle(report)["objects"], bundle_id=bundle_id_for(key), anonymity=anonymity
    )
    content = canonical_json(bundle)
    return Prepared(
        bundle=bundle,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        consent=consent,
    )
