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
)


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
