"""The shortcuts of value parsing give the answers of the plain code.

The IPv4 parser used instead of `ipaddress` for addresses and hosts accepts the same
addresses (leading zeros, octets over 255, non-ASCII digits, wrong numbers of octets and
host names refused) and writes the same normalised form, and the warning lists name the
same list for every such value. `refang`, which skips the replacements a value cannot
need, gives what applying every replacement in turn gives. `unicode_form`, which decodes
Punycode labels itself, shows what the idna codec shows for every internationalised name
and keeps as written a label the codec refuses."""

import ipaddress
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sharing.normalize import warninglists
from sharing.normalize.extract import network
from sharing.normalize.refang import refang
from sharing.normalize.references import reference_domains

PIECES = [
    *("0", "00", "01", "1", "9", "10", "127", "192", "255", "256", "999", "1000", "0255"),
    *(".", ".", ".", "..", ":", "::", "/", "/24", " ", "\n", "a", "ff", "evil", "com"),
    *("\u0661", "\uff11", "+1", "-1", "1_0", "%", "[.]", "2001:db8::1", "fe80::1%eth0"),
]
VALUES = st.lists(st.sampled_from(PIECES), max_size=9).map("".join)
QUADS = st.lists(
    st.one_of(st.integers(0, 300).map(str), st.sampled_from(["00", "01", "007", ""])),
    min_size=4,
    max_size=4,
).map(".".join)


def _plain_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(refang(value).strip()))
    except ValueError:
        return None


def _plain_number(value: str) -> int | None:
    try:
        return int(ipaddress.IPv4Address(value))
    except ValueError:
        return None


@settings(max_examples=500, deadline=None)
@given(st.one_of(VALUES, QUADS))
def test_ipv4_number_is_what_ipaddress_parses(value: str) -> None:
    assert network.ipv4_number(value) == _plain_number(value)


@settings(max_examples=500, deadline=None)
@given(st.one_of(VALUES, QUADS))
def test_normalise_ip_is_what_ipaddress_writes(value: str) -> None:
    network.normalise_ip.cache_clear()
    assert network.normalise_ip(value) == _plain_ip(value)


@settings(max_examples=500, deadline=None)
@given(st.one_of(VALUES, QUADS), st.booleans())
def test_ip_warning_list_is_what_ipaddress_decides(value: str, allow: bool) -> None:
    warninglists._ip_list.cache_clear()
    fast = warninglists._ip_list(value, allow_documentation_ranges=allow)
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        if "/" not in value and ":" not in value:
            assert fast is None
        return
    if address.version == 4:
        expected = warninglists.benign_infrastructure().get(str(address))
        number = int(address)
        for first, last, name in warninglists._IPV4_RANGES:
            if expected is None and first <= number <= last:
                expected = None if name == "documentation address ranges" and allow else name
                break
        assert fast == expected


REFANG_PIECES = [
    *("hxxp", "hXXps", "h**p", "meow", "fxp", "FXP", "http", "ldap", "evil", "com", "a"),
    *(":", "://", "[://]", "[:]//", "[:/]/", "(:)//", ":\\\\", "\\", "/", "@"),
    *("[.]", "(.)", "{.}", "[dot]", "(DOT)", " [.] ", "[at]", " (at) ", "{@}", "[@]"),
    *("[", "]", "(", ")", "{", "}", ".", " ", "\n", "[[", "]]", "[:", ":]", "x"),
]
REFANG_VALUES = st.lists(st.sampled_from(REFANG_PIECES), max_size=10).map("".join)
# Every replacement, in order, written out here: the reference `refang` must agree with.
EVERY_REPLACEMENT = [
    (r"\s?[\[\(\{](?:\.|dot)[\]\)\}]\s?", re.IGNORECASE, "."),
    (r"\s?[\[\(\{](?:@|at)[\]\)\}]\s?", re.IGNORECASE, "@"),
    (r"\[(://)\]", 0, "://"),
    (r"\[:/\]/", 0, "://"),
    (r"[\[\(](:)[\]\)]", 0, ":"),
    (r"^(?:h[xX*]{2}p|meow)(s?)(?=:)", re.IGNORECASE, r"http\1"),
    (r"^f[xX]p(s?)(?=:)", re.IGNORECASE, r"ftp\1"),
    (r"^([a-z]+):\\\\", re.IGNORECASE, r"\1://"),
]


@settings(max_examples=1000, deadline=None)
@given(REFANG_VALUES)
def test_refang_is_every_replacement_in_turn(value: str) -> None:
    from sharing.normalize import refang as module

    expected = value
    for pattern, flags, replacement in EVERY_REPLACEMENT:
        expected = re.sub(pattern, replacement, expected, flags=flags)
    if not module._MAY_BE_DEFANGED.search(value):
        expected = value
    assert refang(value) == expected


IDN_LETTERS = (
    "abcxyz09-\u043e\u0430\u0435\u0440\u0441\u0456\u03bf\u03b1\u00fc\u00e9\u00df\u65e5\u672c"
)


def _codec_form(domain: str) -> str:
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(IDN_LETTERS, min_size=1, max_size=12), min_size=1, max_size=3))
def test_unicode_form_shows_what_the_idna_codec_shows(labels: list[str]) -> None:
    try:
        domain = ".".join(labels).encode("idna").decode("ascii") + ".com"
    except UnicodeError:
        return  # not a name the codec writes (an empty label, a hyphen where none may be)
    assert network.unicode_form.__wrapped__(domain) == _codec_form(domain)


@settings(max_examples=500, deadline=None)
@given(st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12))
def test_unicode_form_shows_only_the_name_in_dns(encoded: str) -> None:
    """Whatever Punycode is written, the form shown is printable letters that encode back
    to exactly that label, or the label as written."""
    domain = f"xn--{encoded}.com"
    shown = network.unicode_form.__wrapped__(domain)
    if shown == domain:
        return
    label, rest = shown.split(".", 1)
    assert rest == "com"
    assert label.isprintable()
    assert not label.isascii()
    assert label.encode("punycode").decode() == encoded
    if _codec_form(domain) != domain:  # where the codec shows a name, it is this one
        assert _codec_form(domain) == shown


def _plain_public_list(domain: str, allow: bool) -> str | None:
    """The public warning lists consulted one by one, each over every parent of `domain`."""

    def parents(name: str) -> list[str]:
        labels = name.split(".")
        return [".".join(labels[i:]) for i in range(len(labels) - 1)]

    tld = domain.rsplit(".", 1)[-1]
    if tld in warninglists.LOCAL_TLDS or domain.endswith(".home.arpa"):
        return "local names"
    if tld in warninglists.DOCUMENTATION_TLDS or any(
        parent in warninglists.DOCUMENTATION_DOMAINS for parent in parents(domain)
    ):
        return None if allow else "documentation domains"
    for parent in parents(domain):
        if parent in warninglists.benign_infrastructure():
            return warninglists.benign_infrastructure()[parent]
    if any(parent in reference_domains() for parent in parents(domain)):
        return warninglists.REFERENCE_SOURCES
    path_services, subdomain_services = warninglists.shared_services()
    for parent in parents(domain):
        if parent in subdomain_services:
            return warninglists.SHARED_SERVICE if domain in (parent, f"www.{parent}") else None
    if any(parent in path_services for parent in parents(domain)):
        return warninglists.SHARED_SERVICE
    if any(parent in warninglists.benign_domains() for parent in parents(domain)):
        return "common benign domains"
    return None


def _listed_hosts() -> list[str]:
    path_services, subdomain_services = warninglists.shared_services()
    hosts = [
        *sorted(warninglists.DOCUMENTATION_DOMAINS),
        *sorted(
            key for key in warninglists.benign_infrastructure() if "." in key and ":" not in key
        ),
        *sorted(reference_domains()),
        *sorted(path_services),
        *sorted(subdomain_services),
        *sorted(warninglists.benign_domains()),
    ]
    return [host for host in hosts if not host.replace(".", "").isdigit()]


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.sampled_from(["www", "abc123", "cdn", "login", "evil", "a.b"]), max_size=2),
    st.sampled_from([*_listed_hosts(), "evil.com", "example.test", "corp.lan", "x.home.arpa"]),
    st.booleans(),
)
def test_public_warning_list_is_each_list_in_turn(
    prefix: list[str], host: str, allow: bool
) -> None:
    domain = ".".join([*prefix, host])
    warninglists._public_domain_list.cache_clear()
    found = warninglists._public_domain_list(domain, allow_documentation_ranges=allow)
    assert found == _plain_public_list(domain, allow)
