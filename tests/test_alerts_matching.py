"""Matching published material against watch lists: one kind of match at a time, with plain
inputs (no database), and the look-alike detector's false positives measured."""

from importlib import resources

import pytest
from django.core.exceptions import ValidationError

from sharing.alerts.lookalike import skeleton, within_one_edit
from sharing.alerts.matching import Asset, MatchKind, ProfileIndex, Published
from sharing.alerts.products import parse_cpe, stix_cve_products
from sharing.alerts.validation import clean_asset

BANK = Asset(1, 10, "domain", "example-bank.com")
RANGE4 = Asset(2, 10, "network", "203.0.113.0/24")
RANGE6 = Asset(3, 11, "network", "2001:db8:4000::/36")
AS = Asset(4, 11, "asn", "AS64500")
BRAND = Asset(5, 12, "brand", "Contoso")
FORTIOS = Asset(6, 12, "product", "Fortinet FortiOS", "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*")
EXCHANGE = Asset(7, 13, "product", "Microsoft Exchange Server")
INDEX = ProfileIndex([BANK, RANGE4, RANGE6, AS, BRAND, FORTIOS, EXCHANGE])


def kinds(host: str) -> list[tuple[int, MatchKind]]:
    return [(m.organisation_id, m.kind) for m in INDEX.match_host(host)]


def found(**published: object) -> set[tuple[int, MatchKind, str]]:
    matches = INDEX.match(Published(**published))  # type: ignore[arg-type]
    return {(m.organisation_id, m.kind, m.matched) for m in matches}


# --- domains ---------------------------------------------------------------------------


def test_the_registered_domain_itself_matches_as_the_organisations_domain() -> None:
    assert kinds("example-bank.com") == [(10, MatchKind.DOMAIN)]
    assert kinds("EXAMPLE-BANK.COM.") == [(10, MatchKind.DOMAIN)]


def test_a_subdomain_at_any_depth_matches_as_a_subdomain() -> None:
    assert kinds("login.example-bank.com") == [(10, MatchKind.SUBDOMAIN)]
    assert kinds("a.b.c.example-bank.com") == [(10, MatchKind.SUBDOMAIN)]


def test_the_domain_in_front_of_another_domain_is_a_look_alike_not_a_subdomain() -> None:
    matches = list(INDEX.match_host("login.example-bank.com.evil.tld"))

    assert [(m.organisation_id, m.kind) for m in matches] == [(10, MatchKind.LOOKALIKE)]
    assert "in front of another domain" in matches[0].reason


def test_a_different_domain_that_merely_ends_alike_does_not_match() -> None:
    assert kinds("notexample-bank.com.br") == []  # neither a label run nor one edit away
    assert kinds("bank.com") == []


def test_urls_and_email_addresses_are_matched_by_their_host() -> None:
    assert found(observables=(("url", "https://pay.example-bank.com:8443/x?y"),)) == {
        (10, MatchKind.SUBDOMAIN, "pay.example-bank.com")
    }
    assert found(observables=(("email", "ceo@example-bank.com"),)) == {
        (10, MatchKind.DOMAIN, "example-bank.com")
    }


# --- look-alikes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "how"),
    [
        ("examp1e-bank.com", "homoglyphs"),  # digit one for l
        ("exarnple-bank.com", "homoglyphs"),  # rn for m
        ("\u0435x\u0430mple-bank.com", "homoglyphs"),  # Cyrillic ie and a
        ("xn--xmple-bank-zqi2d.com", "homoglyphs"),  # the same, as punycode
        ("exampel-bank.com", "typing mistake"),  # swapped neighbours
        ("exmple-bank.com", "typing mistake"),  # a letter left out
        ("examplle-bank.com", "typing mistake"),  # a letter doubled
        ("example-bank-secure-login.net", "combines extra words"),
        ("example-bank.net", "under another suffix"),
        ("examplebank.com", "homoglyphs"),  # the hyphen dropped
        ("secure.examp1e-bank.co.uk", "homoglyphs"),
    ],
)
def test_look_alikes_of_a_registered_domain_are_caught_with_the_reason(host: str, how: str) -> None:
    matches = list(INDEX.match_host(host))

    assert [(m.organisation_id, m.kind) for m in matches] == [(10, MatchKind.LOOKALIKE)]
    assert how in matches[0].reason


def test_the_punycode_sample_really_is_the_cyrillic_name() -> None:
    assert "\u0435x\u0430mple-bank".encode("idna").decode() == "xn--xmple-bank-zqi2d"


def test_an_organisation_is_not_alerted_about_its_own_other_domains() -> None:
    index = ProfileIndex([BANK, Asset(8, 10, "domain", "example-bank.net")])

    assert [m.kind for m in index.match_host("example-bank.net")] == [MatchKind.DOMAIN]


def test_short_names_are_not_compared_by_edit_distance() -> None:
    # One edit away from a four-letter name is half the dictionary.
    index = ProfileIndex([Asset(1, 1, "domain", "acme.com")])

    assert list(index.match_host("acne.com")) == []
    assert list(index.match_host("acme-shop.com")) == []
    assert [m.kind for m in index.match_host("acrne.com")] == [MatchKind.LOOKALIKE]


# Organisations that look like real ISAC members, and hosts that show up in reports every
# day (the warning list of widely used services plus common infrastructure).
MEMBER_DOMAINS = [
    "example-bank.com", "northwind-energy.com", "contoso-power.com", "fabrikam.com",
    "tailspin-airlines.com", "woodgrove-bank.com", "adventure-works.com", "litware.com",
    "first-national.com", "citypower.com", "rivergrid.com", "medstar-health.org",
]  # fmt: skip
EVERYDAY_HOSTS = [
    "google.com", "www.google.com", "microsoft.com", "login.microsoftonline.com", "github.com",
    "amazon.com", "s3.amazonaws.com", "cloudflare.com", "apple.com", "facebook.com",
    "twitter.com", "linkedin.com", "dropbox.com", "wikipedia.org", "yahoo.com", "bing.com",
    "office.com", "outlook.com", "zoom.us", "slack.com", "paypal.com", "netflix.com",
    "first.org", "mitre.org", "nist.gov", "cisa.gov", "virustotal.com", "shodan.io",
    "national-grid.com", "citibank.com", "bankofamerica.com", "powergrid.in", "riverbank.com",
    "adventure.com", "workday.com", "fabrik.com", "contoso.com", "northwind.com",
    "tailspin.com", "medstar.net",
]  # fmt: skip


def test_look_alike_false_positives_against_everyday_hosts_are_measured_at_zero() -> None:
    index = ProfileIndex(
        Asset(i, i, "domain", domain) for i, domain in enumerate(MEMBER_DOMAINS, start=1)
    )
    benign = resources.files("sharing.normalize").joinpath("data/benign-domains.txt")
    hosts = EVERYDAY_HOSTS + [
        line.strip()
        for line in benign.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    false_positives = [(host, m.reason) for host in hosts for m in index.match_host(host)]

    assert len(hosts) > 100
    assert false_positives == []


def test_look_alike_helpers() -> None:
    assert skeleton("paypa1") == skeleton("paypal")
    assert skeleton("rnicrosoft") == skeleton("microsoft")
    assert within_one_edit("example", "exmaple")
    assert within_one_edit("example", "examples")
    assert not within_one_edit("example", "elpmaxe")
    assert not within_one_edit("example", "exa")


# --- addresses and ASNs -------------------------------------------------------------------


def test_an_ipv4_address_in_a_registered_range_matches() -> None:
    assert found(observables=(("ipv4", "203.0.113.7"),)) == {(10, MatchKind.ADDRESS, "203.0.113.7")}
    assert found(observables=(("ipv4", "203.0.114.1"), ("ipv4", "203.0.112.255"))) == set()


def test_range_edges_and_overlapping_ranges() -> None:
    index = ProfileIndex(
        [
            Asset(1, 1, "network", "198.51.100.0/24"),
            Asset(2, 2, "network", "198.51.100.128/25"),
            Asset(3, 3, "network", "198.51.101.0/24"),
        ]
    )

    def orgs(value: str) -> list[int]:
        return sorted(m.organisation_id for m in index.match_network(value))

    assert orgs("198.51.100.0") == [1]
    assert orgs("198.51.100.127") == [1]
    assert orgs("198.51.100.128") == [1, 2]
    assert orgs("198.51.100.255") == [1, 2]
    assert orgs("198.51.101.0") == [3]
    assert orgs("198.51.99.255") == []
    assert orgs("198.51.100.0/23") == [1, 2, 3]  # a published range overlapping ours


def test_an_ipv6_address_in_a_registered_range_matches_and_v4_never_meets_v6() -> None:
    assert found(observables=(("ipv6", "2001:db8:4abc::1"),)) == {
        (11, MatchKind.ADDRESS, "2001:db8:4abc::1")
    }
    assert found(observables=(("ipv6", "2001:db8:5000::1"),)) == set()
    # 203.0.113.7 as an integer is far inside IPv6's ::/96; families are kept apart.
    assert found(observables=(("ipv6", "::cb00:7107"),)) == set()


def test_the_asn_matches_as_an_indicator_and_in_the_text() -> None:
    assert found(observables=(("asn", "AS64500"),)) == {(11, MatchKind.ASN, "AS64500")}
    assert found(text="Traffic came from AS 64500 and AS64501.") == {(11, MatchKind.ASN, "AS64500")}


# --- brand names ------------------------------------------------------------------------


def test_the_brand_name_matches_as_a_whole_word_in_text_and_indicators() -> None:
    assert found(text="Phishing pages imitate CONTOSO's login.") == {
        (12, MatchKind.BRAND, "contoso")
    }
    assert (12, MatchKind.BRAND, "contoso") in found(
        observables=(("domain", "contoso-payroll.top"),)
    )
    assert found(text="Contosoft released a patch.") == set()


# --- CVEs for products -------------------------------------------------------------------


def test_a_cve_tied_to_the_products_cpe_in_stix_matches() -> None:
    pairs = stix_cve_products(
        [
            {
                "type": "vulnerability",
                "id": "vulnerability--1",
                "name": "CVE-2024-21762",
                "x_cpes": ["cpe:2.3:o:fortinet:fortios:7.4.2:*:*:*:*:*:*:*"],
            }
        ]
    )

    assert found(cve_products=frozenset(pairs)) == {(12, MatchKind.PRODUCT, "CVE-2024-21762")}


def test_a_software_object_related_to_the_vulnerability_ties_its_cpe() -> None:
    objects = [
        {"type": "vulnerability", "id": "vulnerability--1", "name": "CVE-2024-21762"},
        {"type": "vulnerability", "id": "vulnerability--2", "name": "CVE-2023-0001"},
        {
            "type": "software",
            "id": "software--1",
            "name": "FortiOS",
            "cpe": "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",
        },
        {
            "type": "relationship",
            "id": "relationship--1",
            "source_ref": "vulnerability--1",
            "target_ref": "software--1",
        },
    ]

    cves = {cve for cve, _ in stix_cve_products(objects)}

    assert cves == {"CVE-2024-21762"}


def test_a_product_named_near_a_cve_id_in_the_text_matches() -> None:
    text = "Attackers exploit CVE-2023-36745 in Microsoft Exchange Server 2019 at scale."

    assert found(text=text) == {(13, MatchKind.PRODUCT, "CVE-2023-36745")}


def test_a_product_named_far_from_any_cve_or_with_no_cve_does_not_match() -> None:
    far = "CVE-2023-36745 is old news. " + "x " * 200 + "We also run Microsoft Exchange Server."

    assert found(text=far) == set()
    assert found(text="Microsoft Exchange Server hardening guide.") == set()


def test_a_cpe_of_another_product_does_not_match() -> None:
    cpe = parse_cpe("cpe:2.3:a:fortinet:forticlient:7.0:*:*:*:*:*:*:*")
    assert cpe is not None

    assert found(cve_products=frozenset({("CVE-2024-1", cpe)})) == set()


# --- what an organisation may register -----------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("domain", "Example-Bank.COM.", "example-bank.com"),
        ("domain", "*.example-bank.com", "example-bank.com"),
        ("domain", "bücher.de", "xn--bcher-kva.de"),
        ("network", "203.0.113.0/24", "203.0.113.0/24"),
        ("network", "2001:DB8::/32", "2001:db8::/32"),
        ("network", "203.0.113.9", "203.0.113.9/32"),
        ("asn", "asn 64500", "AS64500"),
        ("brand", "  Contoso   Bank ", "Contoso Bank"),
    ],
)
def test_entries_are_stored_normalised(kind: str, value: str, stored: str) -> None:
    assert clean_asset(kind, value)[0] == stored


@pytest.mark.parametrize(
    ("kind", "value", "cpe", "message"),
    [
        ("domain", "https://example-bank.com/", "", "not a domain name"),
        ("domain", "localhost", "", "not a domain name"),
        ("domain", "co.uk", "", "public suffix"),
        ("network", "203.0.113.5/24", "", "host bits set: did you mean 203.0.113.0/24"),
        ("network", "203.0.113", "", "CIDR notation"),
        ("network", "10.0.0.0/7", "", "wider than /8"),
        ("network", "2001::/16", "", "wider than /19"),
        ("network", "127.0.0.0/8", "", "not a range anyone can attack"),
        ("asn", "AS-FOO", "", "not an AS number"),
        ("brand", "ab", "", "fewer than 3"),
        ("product", "OS", "", "at least 4 characters"),
        ("product", "FortiOS", "fortios", "not a CPE name"),
        ("brand", "Contoso", "cpe:2.3:a:x:y", "Only products have a CPE"),
        ("planet", "Mars", "", "Unknown kind"),
    ],
)
def test_bad_entries_are_refused_with_a_clear_error(
    kind: str, value: str, cpe: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        clean_asset(kind, value, cpe)

    assert message in " ".join(refused.value.messages)


def test_a_product_given_only_by_cpe_is_named_from_it() -> None:
    assert clean_asset("product", "", "cpe:2.3:a:microsoft:exchange_server:2019")[0] == (
        "microsoft exchange server"
    )


def test_host_names_in_the_text_are_matched_even_under_an_unknown_suffix() -> None:
    text = "Victims land on login.example-bank.com.evil.tld, then on www.example-bank.com."

    assert found(text=text) == {
        (10, MatchKind.LOOKALIKE, "login.example-bank.com.evil.tld"),
        (10, MatchKind.SUBDOMAIN, "www.example-bank.com"),
    }
    assert found(text="See myexample-bank.com and example-bank.community.") == set()
