"""The stable demo people and organisations of the README quick start."""

from dataclasses import dataclass

from accounts.models import Membership

DEMO_PASSWORD = "isac-demo-password"


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    short_name: str
    sectors: tuple[str, ...]
    country: str
    domains: tuple[str, ...]
    is_isac: bool = False


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    organisation: str
    role: str
    # An account used by a program through an API token: no password, not in the logins.
    token_only: bool = False


ISAC = DemoOrganisation("Example ISAC", "ISAC", (), "US", ("isac.example",), is_isac=True)
ORGANISATIONS = (
    ISAC,
    DemoOrganisation("Northwind Energy", "Northwind", ("energy",), "US", ("northwind.example",)),
    DemoOrganisation(
        "Harbor Bank", "Harbor", ("financial-services",), "US", ("harborbank.example",)
    ),
    DemoOrganisation(
        "Cascade Health",
        "Cascade",
        ("healthcare-and-public-health",),
        "CA",
        ("cascadehealth.example",),
    ),
    DemoOrganisation(
        "Granite Water Utility",
        "Granite",
        ("water-and-wastewater-systems", "energy"),
        "US",
        ("granitewater.example",),
    ),
    # The account the demo's peer ISAC reads this portal's TAXII server with (sharing/peers/
    # demo.py): a peer is a member organisation of the ISAC it pulls from.
    DemoOrganisation("Mirror ISAC", "Mirror", (), "US", ("mirror-isac.example",)),
)
PEOPLE = (
    DemoPerson("admin@isac.example", "Alex Admin", ISAC.name, Membership.Role.ISAC_ADMIN),
    DemoPerson("curator@isac.example", "Casey Curator", ISAC.name, Membership.Role.ISAC_ANALYST),
    DemoPerson(
        "analyst@northwind.example", "Nora Analyst", "Northwind Energy", Membership.Role.ANALYST
    ),
    DemoPerson(
        "admin@northwind.example", "Niels Admin", "Northwind Energy", Membership.Role.ORG_ADMIN
    ),
    DemoPerson(
        "analyst@harborbank.example", "Hana Analyst", "Harbor Bank", Membership.Role.ANALYST
    ),
    DemoPerson("admin@harborbank.example", "Hugo Admin", "Harbor Bank", Membership.Role.ORG_ADMIN),
    DemoPerson(
        "analyst@cascadehealth.example", "Chen Analyst", "Cascade Health", Membership.Role.ANALYST
    ),
    DemoPerson(
        "analyst@granitewater.example",
        "Gil Analyst",
        "Granite Water Utility",
        Membership.Role.ANALYST,
    ),
    DemoPerson(
        "liaison@mirror-isac.example",
        "Mirror ISAC liaison",
        "Mirror ISAC",
        Membership.Role.ORG_ADMIN,
        token_only=True,
    ),
)


AGREEMENT_BODY = """\
# Membership agreement

This agreement is between the **Example ISAC** and the member organisation that accepts it.

## 1. What members share
Technical cyber-threat information only: indicators, tactics, techniques, vulnerabilities
and incidents. Never prices, costs, bids, wages, customers or business strategy: the ISAC is
not a place to discuss competition (antitrust).

## 2. Traffic Light Protocol
Every report carries a TLP 2.0 label. Members respect the label of everything they receive
and never share beyond it.

## 3. Use of shared data
Shared data is used for network defence only. The ISAC anonymises what it forwards.

## 4. Liability
Information is shared in good faith and as is, without warranty. No member is liable to
another for acting, or not acting, on shared information.
"""

AGREEMENT_LABEL = "2026.1"
# Whose acceptance the demo records, and how many days before it lapses (None: a full term).
DEMO_ACCEPTANCES = {
    "Northwind Energy": ("admin@northwind.example", None),
    "Harbor Bank": ("admin@harborbank.example", 12),
    "Mirror ISAC": ("liaison@mirror-isac.example", None),
}
# The government forwarding consent each chooses when accepting (AIS vocabulary).
DEMO_FORWARDING_CONSENT = {"Northwind Energy": "usg", "Harbor Bank": "none", "Mirror ISAC": "none"}


@dataclass(frozen=True)
class DemoGroup:
    name: str
    description: str
    owner: str
    members: tuple[str, ...]
    join_policy: str = "invite"
    members_visible: bool = True


GROUPS = (
    DemoGroup(
        "Grid and water operators",
        "Operators of electricity and water networks sharing OT/ICS intrusions.",
        ISAC.name,
        ("Northwind Energy", "Granite Water Utility"),
    ),
    DemoGroup(
        "Payments fraud circle",
        "Banks and payment processors comparing card-fraud and BEC campaigns.",
        "Harbor Bank",
        (),
        join_policy="request",
        members_visible=False,
    ),
)
