"""The shortcuts of value parsing give the answers of the plain code.

The IPv4 parser used instead of `ipaddress` for addresses and hosts accepts the same
addresses (leading zeros, octets over 255, non-ASCII digits, wrong numbers of octets and
host names refused) and writes the same normalised form, and the warning lists name the
same list for every such value. `refang`, which skips the replacements a value cannot
need, gives what applying every replacement in turn gives."""

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from sharing.normalize import warninglists
from sharing.normalize.extract import network
from sharing.normalize.refang import refang

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


@settings(max_examples=1000, deadline=None)
@given(REFANG_VALUES)
def test_refang_is_every_replacement_in_turn(value: str) -> None:
    from sharing.normalize import refang as module

    expected = value
    for pattern, replacement, _ in module._REPLACEMENTS:
        expected = pattern.sub(replacement, expected)
    if not module._MAY_BE_DEFANGED.search(value):
        expected = value
    assert refang(value) == expected
