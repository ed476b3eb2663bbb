"""A demo government partner: configured, turned off, with a dry run to look at. It points
at a TAXII server that does not exist, so nothing is ever sent from the demo."""

from sharing.government.services import PartnerSettings, partner_create
from sharing.models import Partner

DEMO_PARTNER = PartnerSettings(
    name="CISA AIS (demo, off)",
    api_root="https://taxii.ais.example.gov/taxii2/api1/",
    collection_id="e2e1a340-4f0d-4d77-9a1a-4d1f3fd8c0d5",
    auth_kind="bearer",
    token="demo-token-not-a-real-credential",
    is_us_government=True,
)


def seed_partner() -> int:
    """Create the demo partner if missing; returns how many were created."""
    if Partner.objects.filter(name=DEMO_PARTNER.name).exists():
        return 0
    partner_create(values=DEMO_PARTNER, by=None)
    return 1
