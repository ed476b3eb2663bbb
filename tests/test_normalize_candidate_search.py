"""The fast searches of extraction, scrubbing and antitrust flags find exactly what the plain
patterns find.

(Also: the phone number pattern, rewritten to start with a character class, matches what
its plain spelling matched.)

Domains, e-mail addresses and victims' addresses are searched only where a dot or an '@'
makes them possible, and the antitrust rules only run on paragraphs holding their words:
each shortcut must give the same matches as scanning the whole text with the pattern, on
texts built from the pieces that make those patterns hard (defanged separators, long labels,
letters that change under case folding, Cyrillic look-alikes).
"""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sharing.normalize import antitrust, scrub
from sharing.normalize.extract import network

PIECES = [
    *("evil", "Ana.B", "x_y", "member", "example", "com", "info", "xn--80ak6aa92e", "1", "10"),
    *(".", "..", "[.]", " [.] ", "(.)", "{.}", "[dot]", "(dot)", " (dot) ", "[DOT]"),
    *("@", "%40", "%", "[at]", " [at] ", "(at)", "{at}", "[@]", "(@)", "[AT]"),
    *(" ", "\n", "-", "+", "_", "/", "(", "[", "a" * 62, "b" * 64, "é", "İ", "K", "\u0440\u0443"),
]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)

_PROSE_WORDS = (
    "we agreed with other banks to set the fee at 2% . \n \n\n share output salary $5m bid "
    "tender cover bids boycott stop buying together cut production not to hire each other's "
    "staff customers market İstanbul pay payload execute rate card with the competitors all "
    "banks everyone will charge keep hold cap freeze wages across all our no-poach never "
    "nobody recruit solicit limit output prices stay up lined up as discussed pay scale "
    "match the rates at fixed price settings"
)
WORDS = _PROSE_WORDS.split(" ")
PROSE = st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_domain_candidates_find_what_the_pattern_finds(text: str) -> None:
    expected = [match.span() for match in network._DOMAIN_RE.finditer(text)]
    assert [match.span() for match in network._domain_matches(text)] == expected


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_email_candidates_find_what_the_pattern_finds(text: str) -> None:
    expected = [match.span() for match in network._EMAIL_RE.finditer(text)]
    assert [match.span() for match in network._email_matches(text)] == expected


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_victim_address_candidates_find_what_the_pattern_finds(text: str) -> None:
    expected = [match.span() for match in scrub._ANY_ADDRESS.finditer(text)]
    assert [match.span() for match in scrub._addresses(text)] == expected


@settings(max_examples=300, deadline=None)
@given(PROSE)
def test_one_gate_scan_flags_what_gating_each_paragraph_flags(text: str) -> None:
    def flagged(hits: list[antitrust.SensitiveHit]) -> list[tuple[str, int, str]]:
        return [(hit.category, hit.position, hit.phrase) for hit in hits]

    assert flagged(antitrust.find_sensitive(text)) == flagged(
        antitrust._find_sensitive_by_paragraph(text)
    )


def test_agreement_rules_wait_for_an_arrangement_word() -> None:
    """A paragraph about fees or payloads alone is not searched for price or wage fixing;
    the same paragraph with "we agreed with other banks" is, and is flagged."""
    plain = "The payload sets a fee of 2% on every transfer it diverts."
    assert antitrust.find_sensitive(plain) == []
    agreed = "We agreed with other banks to set the fee at 2% from January."
    assert {hit.category for hit in antitrust.find_sensitive(agreed)} >= {"price-fixing"}


# The phone number pattern as it was first written (a look-ahead, then a look-behind).
PLAIN_PHONE = re.compile(
    r"(?=[+(\d])(?<![\w+.:/#=$€£-])(?:\+\d{1,3}[\s.-]?)?(?:\(0?\d{1,5}\)[\s.-]?)?"
    r"\d{1,8}(?:[\s.-]\d{1,8}){1,6}(?![\w:/%-]|[.,]\d)"
)
PHONE_PIECES = [
    *("+", "(", ")", "0", "1", "12", "555", "0171", "49", "1234567", "(0)", "+44 "),
    *("-", ".", " ", "\n", "a", "x:", "/", "$", "€", "£", "=", "#", "%", ",", "_", "Tel: "),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PHONE_PIECES), max_size=16).map("".join))
def test_phone_pattern_matches_its_plain_spelling(text: str) -> None:
    expected = [match.span() for match in PLAIN_PHONE.finditer(text)]
    assert [match.span() for match in scrub._PHONE_RE.finditer(text)] == expected
