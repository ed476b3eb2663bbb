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

from sharing.normalize import antitrust, pipeline, references, scrub
from sharing.normalize.extract import files, fingerprints, network, wallets
from sharing.normalize.extract.patterns import words_at_word_start

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


def _digits(match: re.Match[str]) -> int:
    return sum(char.isdecimal() for char in match.group(0))


PHONE_TEXTS = st.lists(st.sampled_from([*PHONE_PIECES, "\u00a0", "\u0663", "é", "?"]), max_size=24)


@settings(max_examples=300, deadline=None)
@given(PHONE_TEXTS.map("".join))
def test_phone_runs_find_every_number_the_pattern_finds(text: str) -> None:
    """Runs shorter than seven characters are skipped: only matches with fewer than seven
    digits (which are never redacted) may be missing."""
    expected = [m.span() for m in scrub._PHONE_RE.finditer(text) if _digits(m) >= 7]
    found = [m.span() for m in scrub._phone_matches(text) if _digits(m) >= 7]
    assert found == expected


HEX_PIECES = [
    *("0123456789abcdef" * 2, "a" * 8, "F" * 8, "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
    *("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "0x" + "ab" * 20, "g", "_", "-", " "),
    *("\n", "İ", "\u0131", "\u017f", "\u212a", "é", "1", "4", "L"),
]
HEX_TEXTS = st.lists(st.sampled_from(HEX_PIECES), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(HEX_TEXTS)
def test_hash_runs_find_what_the_pattern_finds(text: str) -> None:
    expected = [match.span() for match in files._HASH_RE.finditer(text)]
    assert [match.span() for match in files._hash_matches(text)] == expected


@settings(max_examples=300, deadline=None)
@given(HEX_TEXTS)
def test_wallet_runs_find_what_the_pattern_finds(text: str) -> None:
    expected = [match.span() for match in wallets._WALLET_RE.finditer(text)]
    assert [match.span() for match in wallets._wallet_matches(text)] == expected


CIDR_PIECES = [
    *("10", "0", "192", "1234", "/", "/24", "/8", "/33", "/245", ".", "[.]", " [dot] ", "(.)"),
    *(" ", "\n", "a", "٣", "2001:db8::/32", "1.2.3.4/5/6"),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CIDR_PIECES), max_size=16).map("".join))
def test_network_candidates_find_what_the_pattern_finds(text: str) -> None:
    expected = [match.span() for match in network._CIDR4_RE.finditer(text)]
    assert [match.span() for match in network._cidr4_matches(text)] == expected


IPV4_PIECES = [
    *("10", "0", "192", "1234", "255", "5", ".", "..", "[.]", " [.] ", "(.)", "{.}", "[dot]"),
    *(" (dot) ", "(dot)", "{dot}", "[DOT]", " ", "  ", "\n", "\t", "\u00a0", "\u2003", "\u0663"),
    *("a", "d", "o", "t", "x", "_", "-", "/", ":", "?", "é", "v", "0af6ab13c38e", "d15057"),
    *("1.2.3.4", "185.39.19[.]176", "10 [.] 0 (dot) 0{.}1", "10.0.0", "1.2.3", "7.8.9.10.11"),
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(IPV4_PIECES), max_size=16).map("".join))
def test_address_runs_find_what_the_pattern_finds(text: str) -> None:
    expected = [match.span() for match in network._IPV4_RE.finditer(text)]
    assert [match.span() for match in network._ipv4_matches(text)] == expected


CUE_WORDS = ("advisory", "Sources", "write-up", "versions", "v", "SECT", "prior to", "s\u017f")
CUE_PIECES = [*CUE_WORDS, "İ", "K", "\u017f", " ", ".", ". ", "/", "§", "a/", "x", "_", "\n", "9"]
CUE_TEXTS = st.lists(st.sampled_from(CUE_PIECES), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["sources?", "advisory", "ver", "v", "kb", "i\u017f"]), min_size=1))
def test_words_at_word_start_match_the_words_after_a_boundary(words: list[str]) -> None:
    plain = re.compile(rf"\b(?:{'|'.join(words)})", re.IGNORECASE)
    fast = re.compile(words_at_word_start(words))
    texts = ("sources Sources \u017fources xsources", "a kb \u212ab KB İ v1", "i\u017f \u0131s")
    for text in texts:
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


# The patterns as they were first written: `\b` and the words with IGNORECASE, searched
# over the whole context.
PLAIN_REFERENCE_CUE = re.compile(
    r"\b(?:advisory|advisories|bulletin|write-?up|blog|article|statement|reporting|"
    r"reported by|references?|sources?|read more|documentation|according to|see also|"
    r"more at|details at|analysis at)\b[^\n]{0,60}$",
    re.IGNORECASE,
)
PLAIN_VERSION_CONTEXT = re.compile(
    r"(?:\b(?:versions?|ver|v|builds?|releases?|rel|sections?|sect|chapters?|clauses?|"
    r"paragraphs?|firmware|fw|kb|oid|rfc|revision|rev|runbook|before|prior to)\b"
    r"(?:(?!\.\s)[^\n]){0,40}|§\s?|[A-Za-z]/)$",
    re.IGNORECASE,
)


@settings(max_examples=300, deadline=None)
@given(CUE_TEXTS, st.integers(min_value=0, max_value=70))
def test_reference_cue_is_found_as_the_plain_pattern_finds_it(text: str, padding: int) -> None:
    context = text + "y" * padding
    reach = max(0, len(context) - references._CUE_REACH)
    found = references._CUE.search(context, reach) is not None
    assert found == (PLAIN_REFERENCE_CUE.search(context) is not None)


@settings(max_examples=300, deadline=None)
@given(CUE_TEXTS, st.integers(min_value=0, max_value=50))
def test_version_context_is_found_as_the_plain_pattern_finds_it(text: str, padding: int) -> None:
    text = text.replace("\n", " ")  # the context is what precedes a value on its line
    for context in (text, text + "y" * padding, "y" * padding + text):
        expected = PLAIN_VERSION_CONTEXT.search(context) is not None
        assert network._is_version_context(context) == expected


PLAIN_USER_AGENT_CUE = re.compile(
    r"u(?<![\w]u)(?:ser[ _-]?agents?|a|seragent)\b[\"']?(?:\s*[:=]\s*)?", re.IGNORECASE
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["User-Agent", "ua", "UA:", "u\u017fer agents", "useragent", "x", " ", "'", "="]
        ),
        max_size=10,
    ).map("".join)
)
def test_user_agent_cue_matches_its_plain_spelling(text: str) -> None:
    expected = [match.span() for match in PLAIN_USER_AGENT_CUE.finditer(text)]
    assert [match.span() for match in fingerprints._UA_CUE.finditer(text)] == expected


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_address_anchors_match_their_plain_spelling(text: str) -> None:
    plain_email = re.compile(r"@|[\[({](?:@|at)[\])}]", re.IGNORECASE)
    plain_address = re.compile(r"@|%40|[\[(](?:at|@)[\])]", re.IGNORECASE)
    spans = [match.span() for match in network._EMAIL_ANCHOR.finditer(text)]
    assert spans == [match.span() for match in plain_email.finditer(text)]
    spans = [match.span() for match in scrub._ADDRESS_ANCHOR.finditer(text)]
    assert spans == [match.span() for match in plain_address.finditer(text)]


SIGN_OFF_PIECES = ["Regards,", "Best", "thanks!", "Dana Whitfield", " ", "\t", "\n", "\n\n", "x"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SIGN_OFF_PIECES), max_size=12).map("".join))
def test_sign_offs_are_found_where_the_plain_pattern_finds_them(text: str) -> None:
    assert scrub._sign_off_ends(text) == [match.end() for match in scrub._SIGN_OFF.finditer(text)]


NAME_PIECES = [
    *("our clerk ", "Customer: ", "Dr. ", "Priya Raman", "Dana", " Whitfield", "staff"),
    *(" ", ",", "\n", "and ", "the", "Hi "),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(NAME_PIECES), max_size=10).map("".join))
def test_victim_cues_are_found_where_the_plain_pattern_finds_them(text: str) -> None:
    """What is read of them: the name and where the match ends (a match after a word also
    holds the character before the cue)."""
    plain = re.compile(rf"\b{scrub._VICTIM_CUE_PATTERN}")
    found = [(m.span(1), m.end()) for m in scrub._victim_cues(text)]
    assert found == [(m.span(1), m.end()) for m in plain.finditer(text)]


FILE_PIECES = ["a.exe", " - ", "loader.bin", "\n", "x", "1.2", " ", "sha256: ", "run.ps1"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FILE_PIECES), max_size=14).map("".join), st.data())
def test_file_names_are_read_on_the_lines_around_a_hash(text: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(min_value=0, max_value=len(text)))
    first = text.rfind("\n", 0, max(0, text.rfind("\n", 0, position))) + 1
    next_line = text.find("\n", position)
    last = text.find("\n", next_line + 1) if next_line != -1 else -1
    last = len(text) if next_line == -1 or last == -1 else last
    expected = [
        (match.start(), match.end(), match.group(0))
        for match in files._FILE_NAME_RE.finditer(text, first, last)
        if not files._NOT_FILE_EXTENSIONS.search(match.group(0)) and not match.group(0)[0].isdigit()
    ]
    assert files._file_name_candidates(text, position, position, {}) == expected


PLAIN_NAME_BEFORE_PHONE = re.compile(
    rf"({scrub._FULL_NAME})(?:[\s,(:]|\b(?:in|at|on|from)\b|[\w ]){{0,28}}$"
)
BEFORE_PHONE_PIECES = [
    *("Priya Raman", "Dana B. Whitfield", "Ana", " ", "  ", ",", "(", ":", "in", "at", "from"),
    *("on", "the", "desk", "x", "\n", "+", "-", "9", "é", "Tel"),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(BEFORE_PHONE_PIECES), max_size=16).map("".join))
def test_name_before_a_phone_is_found_as_the_plain_pattern_finds_it(text: str) -> None:
    def found(pattern: re.Pattern[str]) -> tuple[tuple[int, int], str] | None:
        match = pattern.search(text)
        return (match.span(), match.group(1)) if match else None

    assert found(scrub._NAME_BEFORE_PHONE) == found(PLAIN_NAME_BEFORE_PHONE)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["Sophie", " ", "Marchand", "xMarchand", "_S", "é", "S"]), max_size=10)
)
def test_first_name_before_a_surname_is_found_as_the_plain_pattern_finds_it(
    pieces: list[str],
) -> None:
    text = "".join(pieces)
    plain = re.compile(r"\b([A-Z][a-zà-ÿ'\u2019]+)\s(Marchand|Sophie)\b")
    spans = [m.span() for m in scrub._first_name_before("Marchand|Sophie").finditer(text)]
    assert spans == [m.span() for m in plain.finditer(text)]


_TLP_PIECES = ["TLP", "tlp", "Tlp", "tLP", "LP", "lp", "T", "x", ":", ": ", " ", "\n", "-", "İ"]
_TLP_PIECES += ["CLEAR", "white", "Green", "AMBER+STRICT", "amber", "AMBER", "RED", "redx", "K"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TLP_PIECES), max_size=14).map("".join))
def test_tlp_markings_are_found_as_the_plain_pattern_finds_them(text: str) -> None:
    assert pipeline._tlp_names(text) == pipeline._TLP_IN_TEXT.findall(text)


@settings(max_examples=300, deadline=None)
@given(PROSE, st.integers(0, 40))
def test_gates_tried_by_first_letter_open_what_every_gate_opens(text: str, start: int) -> None:
    head = text.lower()[start : start + antitrust._GATE_REACH]
    expected = frozenset(
        category for category, gate in antitrust._GATE_RES.items() if gate.match(head)
    )
    antitrust._categories_at.cache_clear()
    assert antitrust._categories_at(head) == expected
