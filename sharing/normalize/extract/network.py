"""Hosts, addresses and links: domains (also internationalised), URLs, e-mail addresses,
IPv4/IPv6 addresses and networks, autonomous systems.

Each `find_*` takes the original text (for context) and the working text (the original with
values already found blanked out) and yields what it found.
"""

import base64
import binascii
import ipaddress
import re
import unicodedata
from collections.abc import Collection, Iterator
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

import tldextract

from sharing.normalize.extract.context import before, header_name
from sharing.normalize.extract.patterns import character_table, runs, words_at_word_start
from sharing.normalize.extract.types import Extracted, IndicatorType
from sharing.normalize.refang import AT, COLON, DOT, SCHEME_SEPARATOR, SCHEMES, is_defanged, refang

# Names reserved for documentation and testing (RFC 2606, RFC 6761) and Tor's special-use
# name (RFC 7686): not in every Public Suffix List snapshot but used in reports.
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local", "onion"})
# Top-level domains that are also common file extensions: "invoice.zip" in a text is far more
# often a file than a host. Matched only when the text defanged it.
FILE_LIKE_TLDS = frozenset(
    {"zip", "mov", "py", "sh", "pl", "rs", "md", "so", "ps", "cc", "do", "one", "pub", "cab"}
)
# Reversed-domain package names (Android, Java): com.tencent.mm is an app, not a host.
PACKAGE_PREFIXES = frozenset({"com", "org", "net", "io", "android", "androidx", "java", "javax"})
MAX_URL_LENGTH = 2048  # Indicator.value; longer "URLs" are data blobs, not indicators


@lru_cache(maxsize=1)
def public_tlds() -> frozenset[str]:
    """Top-level labels of the Public Suffix List snapshot shipped with tldextract (offline)."""
    extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return frozenset(suffix.rsplit(".", 1)[-1] for suffix in extractor.tlds)


def has_known_tld(domain: str) -> bool:
    tld = domain.rsplit(".", 1)[-1]
    return tld in public_tlds() or tld in RESERVED_TLDS


# Letters of the scripts look-alike domains are written in (Latin, Greek, Cyrillic).
_LETTER = r"a-z0-9\u00e0-\u024f\u0370-\u03ff\u0400-\u04ff"
_LABEL = rf"(?>[{_LETTER}](?:[{_LETTER}_-]{{0,61}}[{_LETTER}])?)"
_TLD = r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
_DOMAIN = rf"(?:{_LABEL}{DOT})+{_TLD}"
_OCTET = r"\d{1,3}"
_IPV4 = rf"{_OCTET}{DOT}{_OCTET}{DOT}{_OCTET}{DOT}{_OCTET}"
_IPV4_AFTER_FIRST_DIGIT = rf"\d{{0,2}}{DOT}{_OCTET}{DOT}{_OCTET}{DOT}{_OCTET}"
_NOT_BEFORE = rf"(?<![{_LETTER}_.@/\\-])"
_NOT_AFTER_DOMAIN = rf"(?![{_LETTER}_-]|\.[{_LETTER}])"

URL_RE = re.compile(
    rf"(?<![\w]){SCHEMES}{SCHEME_SEPARATOR}"
    r"(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\[redacted\]|[^\s<>\"'`()\[\]{}|\\^])+",
    re.IGNORECASE,
)
_EMAIL_RE = re.compile(
    rf"(?<![\w.+%-])(?>[a-z0-9](?:[a-z0-9._%+-]{{0,62}}[a-z0-9_-])?){AT}{_DOMAIN}"
    rf"{_NOT_AFTER_DOMAIN}",
    re.IGNORECASE,
)
# Each starts with a digit (the lookbehind checks the character before it) so that the
# regex engine skips quickly to the next digit instead of trying every position.
_CIDR4_RE = re.compile(rf"\d(?<![\d.]\d){_IPV4_AFTER_FIRST_DIGIT}/\d{{1,2}}(?![\d/])")
_IPV4_RE = re.compile(rf"\d(?<![\d.\w]\d){_IPV4_AFTER_FIRST_DIGIT}(?![\d]|\.\d|\[\.\]\d)")
_IPV6_RE = re.compile(
    rf"(?<![\w:.\[])(?:[0-9a-f]{{0,4}}{COLON}){{2,7}}"
    rf"(?:[0-9a-f]{{1,4}}|{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET})?(?:/\d{{1,3}})?(?![\w:])",
    re.IGNORECASE,
)
_ASN_RE = re.compile(
    r"[Aa](?<![\w-][Aa])(?:(?<=A)S[ ]?|[Ss][Nn][ ]?[:#]?[ ]?)(\d{1,10})(?![\w]|[.,]\d)"
)
_DOMAIN_RE = re.compile(rf"{_NOT_BEFORE}{_DOMAIN}{_NOT_AFTER_DOMAIN}", re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}>"

# Dotted numbers after these words are versions, sections or OIDs, not addresses.
_VERSION_WORDS = (
    *("versions?", "ver", "v", "builds?", "releases?", "rel", "sections?", "sect"),
    *("chapters?", "clauses?", "paragraphs?", "firmware", "fw", "kb", "oid", "rfc"),
    *("revision", "rev", "runbook", "before", "prior to"),
)


# Dotted numbers right after a section sign or a letter and a slash ("§ 4.2.1", "Chrome/119.0")
# are not addresses either.
_VERSION_MARK = re.compile(r"(?:§\s?|[A-Za-z]/)$", re.IGNORECASE)
# The words case-insensitive, spelt so the engine skips ahead (see extract.patterns).
_VERSION_WORD = re.compile(rf"{words_at_word_start(_VERSION_WORDS)}\b(?:(?!\.\s)[^\n]){{0,40}}$")
# A match ends the context: it starts at most this far from the end (the longest word and
# the 40 characters after it).
_VERSION_REACH = max(len(word) for word in _VERSION_WORDS) + 40
_LATER = re.compile(r"\s*(?:and|or)\s+(?:later|earlier|newer|older|above|below)\b", re.I)
# Headers whose values look like addresses but identify messages, not mailboxes.
_MESSAGE_ID_HEADERS = frozenset(
    {"message-id", "in-reply-to", "references", "resent-message-id", "content-id", "thread-index"}
)


def _to_ascii(domain: str) -> str | None:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None


_ASCII_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+" + _TLD)


@lru_cache(maxsize=65536)
def normalise_domain(value: str) -> str | None:
    domain = refang(value).strip().rstrip(".").lower()
    if not domain or len(domain) > 253 or "." not in domain:
        return None
    ascii_domain = _to_ascii(domain)
    if ascii_domain is None:
        return None
    if not _ASCII_DOMAIN.fullmatch(ascii_domain):
        return None
    return ascii_domain if has_known_tld(ascii_domain) else None


def _bidi_allowed(label: str) -> bool:
    """RFC 3454 section 6: a label with right-to-left letters holds no left-to-right letter
    and starts and ends with a right-to-left one."""
    directions = [unicodedata.bidirectional(char) for char in label]
    if "R" not in directions and "AL" not in directions:
        return True
    return "L" not in directions and directions[0] in ("R", "AL") and directions[-1] in ("R", "AL")


@lru_cache(maxsize=65536)
def unicode_form(domain: str) -> str:
    """The Unicode form of a punycode (IDNA) domain, or the domain itself.

    Each "xn--" label is decoded on its own (Punycode, RFC 3492) and kept only when it is
    what nameprep would leave (printable, lower case, NFKC, right-to-left letters only as
    RFC 3454 allows) and encodes back to itself, as the idna codec requires; the codec also
    runs nameprep over every label, plain ones included, which costs 15 times as much.
    """
    if "xn--" not in domain:
        return domain
    labels = domain.split(".")
    try:
        for index, label in enumerate(labels):
            if label[:4].lower() != "xn--":
                continue
            encoded = label[4:]
            decoded = encoded.encode("ascii").decode("punycode")
            if (
                decoded.isascii()
                or not decoded.isprintable()
                or unicodedata.normalize("NFKC", decoded.lower()) != decoded
                or decoded.encode("punycode").decode() != encoded.lower()
                or not _bidi_allowed(decoded)
            ):
                return domain
            labels[index] = decoded
    except UnicodeError:
        return domain
    return ".".join(labels)


_URL_PARTS = re.compile(r"^([a-z][a-z0-9+.-]*)://([^/?#]+)(.*)$", re.IGNORECASE | re.DOTALL)
_PORT = re.compile(r":\d{1,5}")


@lru_cache(maxsize=65536)
def normalise_url(value: str) -> str | None:
    url = refang(value.strip()).rstrip(_TRAILING)
    if len(url) > MAX_URL_LENGTH:
        return None
    match = _URL_PARTS.match(url)
    if not match:
        return None
    scheme, authority, rest = match.groups()
    host = authority.rsplit("@", 1)[-1]
    port = ""
    if host.startswith("["):
        end = host.find("]")
        host, port = host[: end + 1], host[end + 1 :]
        if normalise_ip(host.strip("[]")) is None:
            return None
    else:
        if ":" in host:
            host, port = host.split(":", 1)
            port = ":" + port
        if normalise_ip(host) is None:
            ascii_host = normalise_domain(host)
            if ascii_host is None:
                return None
            host = ascii_host
    if port and not _PORT.fullmatch(port):
        return None
    userinfo = authority[: -len(authority.rsplit("@", 1)[-1])]
    return f"{scheme.lower()}://{userinfo}{host.lower()}{port}{rest}"


@lru_cache(maxsize=65536)
def normalise_email(value: str) -> str | None:
    email = refang(value).strip()
    if email.count("@") != 1:
        return None
    local, domain = email.split("@")
    normalised = normalise_domain(domain)
    if not local or normalised is None:
        return None
    return f"{local.lower()}@{normalised}"


def ipv4_number(value: str) -> int | None:
    """The number of `value` when it is an IPv4 address as `ipaddress` accepts one (four
    decimal octets, no leading zeros), else None: the same answer without building an
    address object, or raising and catching two errors for every host that is a name."""
    parts = value.split(".")
    if len(parts) != 4:
        return None
    number = 0
    for part in parts:
        if not (0 < len(part) <= 3 and part.isascii() and part.isdigit()):
            return None
        if part[0] == "0" and part != "0":
            return None
        octet = int(part)
        if octet > 255:
            return None
        number = number << 8 | octet
    return number


@lru_cache(maxsize=65536)
def normalise_ip(value: str) -> str | None:
    address = refang(value).strip()
    if ":" not in address:
        # Not IPv6 (every IPv6 address has a colon): an IPv4 address, written as `ipaddress`
        # would write it back, or nothing.
        return address if ipv4_number(address) is not None else None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


@lru_cache(maxsize=65536)
def normalise_cidr(value: str) -> str | None:
    try:
        network = ipaddress.ip_network(refang(value).strip(), strict=False)
    except ValueError:
        return None
    if network.prefixlen == network.max_prefixlen:
        return None
    return str(network)


_ASN_PREFIX = re.compile(r"^(?:ASN?)\s*[:#]?\s*")


def normalise_asn(value: str) -> str | None:
    digits = _ASN_PREFIX.sub("", value.strip().upper())
    if not digits.isdigit() or not 0 < int(digits) < 2**32:
        return None
    return f"AS{int(digits)}"


@lru_cache(maxsize=65536)
def domain_and_parents(domain: str) -> tuple[str, ...]:
    """`domain` and each of its parents that still holds a dot, never the bare TLD:
    `a.b.example.com` gives itself, `b.example.com` and `example.com`."""
    labels = domain.split(".")
    return tuple(".".join(labels[i:]) for i in range(len(labels) - 1))


def domain_in(domain: str, domains: Collection[str]) -> bool:
    """`domain` is one of `domains` or a subdomain of one."""
    # A loop, not any(): called for every value against several lists, and the
    # generator's overhead would double its time.
    for parent in domain_and_parents(domain):  # noqa: SIM110
        if parent in domains:
            return True
    return False


@lru_cache(maxsize=65536)
def url_host(url: str) -> str:
    authority = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = authority.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host[1 : host.find("]")]
    return host.split(":", 1)[0]


# Links rewritten by mail gateways: the indicator is the link inside.
_SAFELINKS_HOST = re.compile(r"(?:^|\.)safelinks\.protection\.outlook\.com$")
_URLDEFENSE_V3 = re.compile(r"^https?://urldefense(?:\.proofpoint)?\.com/v3/__(.+?)__;", re.I)


@lru_cache(maxsize=65536)
def unwrap_gateway_url(url: str) -> str:
    """The original link inside a Microsoft Safe Links or Proofpoint URL Defense rewrite."""
    host = url_host(url).lower()
    if _SAFELINKS_HOST.search(host):
        inner = parse_qs(urlsplit(url).query).get("url")
        if inner:
            return inner[0]
    match = _URLDEFENSE_V3.match(url)
    if match:
        return match.group(1)
    return url


_WRAP_CONTINUATION = re.compile(r"(?:>[ \t]?)*[ \t]*([^\s<>\"'`()\[\]{}|\\^]+)")
_WRAP_SEPARATOR_END = "=&?/-_.%"
_LINK_START = re.compile(r"(?:https?|hxxps?|ftp)", re.IGNORECASE)
_LINK_CHARACTER = re.compile(r"[/?=&%]")
_DIGIT = re.compile(r"\d")


def _continue_wrapped(text: str, end: int, line_start: int) -> int:
    """Where a URL cut by an e-mail client's line wrapping really ends.

    A URL that runs to the end of a long line (or ends on a separator such as '=' or '&')
    continues on the next line when that line starts with something only a URL contains.
    """
    newline = text.find("\n", end)
    if newline == -1 or text[end:newline].strip():
        return end
    line_length = end - line_start
    ends_on_separator = text[end - 1] in _WRAP_SEPARATOR_END
    if not ends_on_separator and line_length < 60:
        return end
    match = _WRAP_CONTINUATION.match(text, newline + 1)
    if not match:
        return end
    token = match.group(1).rstrip(_TRAILING)
    if not token or _LINK_START.match(token):
        return end
    # The rest of a wrapped link fills the start of the next line: it has characters only
    # links have, or it is all that line holds. A word followed by more prose is prose.
    line_end = text.find("\n", match.end(1))
    rest_of_line = text[match.end(1) : len(text) if line_end == -1 else line_end]
    strong = _LINK_CHARACTER.search(token) is not None
    alone = not rest_of_line.strip(_TRAILING + " \t\r")
    if not strong and not (alone and (_DIGIT.search(token) or ends_on_separator)):
        return end
    return match.start(1) + len(token)


_URL_ANCHOR = re.compile(rf"{SCHEME_SEPARATOR}")
_SCHEME_AT_END = re.compile(rf"(?<![\w]){SCHEMES}$", re.IGNORECASE)
# One character class first (the engine skips ahead to it), then what follows each: written
# as `@|[[({](?:@|at)[])}]` with IGNORECASE the engine would try every position.
_EMAIL_ANCHOR = re.compile(r"[@\[({](?:(?<=@)|(?<=[\[({])(?:@|[Aa][Tt])[\])}])")


def _url_matches(working: str) -> Iterator[re.Match[str]]:
    """URL_RE's matches, found from the scheme separators: much faster than trying the
    pattern at every position of a long text."""
    position = 0
    for anchor in _URL_ANCHOR.finditer(working):
        if anchor.start() < position:
            continue
        scheme = _SCHEME_AT_END.search(working, max(0, anchor.start() - 8), anchor.start())
        if scheme is None:
            continue
        match = URL_RE.match(working, scheme.start())
        if match:
            position = match.end()
            yield match


def find_urls(text: str, working: str) -> Iterator[Extracted]:
    for match in _url_matches(working):
        start, end = match.span()
        original = text[start:end].rstrip(_TRAILING)
        end = start + len(original)
        line_start = text.rfind("\n", 0, start) + 1
        wrapped_end = _continue_wrapped(text, end, line_start)
        raw = original
        if wrapped_end != end:
            continuation = _WRAP_CONTINUATION.match(text, text.find("\n", end) + 1)
            if continuation:
                raw = original + continuation.group(1).rstrip(_TRAILING)
                end = wrapped_end
        value = normalise_url(raw)
        if value is None:
            continue
        unwrapped = unwrap_gateway_url(value)
        if unwrapped != value:
            inner = normalise_url(unwrapped)
            if inner is None:
                continue
            value = inner
        yield Extracted(IndicatorType.URL, value, start, end, text[start:end])


# The characters of a local part, read backwards (in the reversed text) from an '@'.
_LOCAL_PART_RUN = re.compile(r"[a-z0-9._%+-]{0,65}", re.IGNORECASE)


def _email_matches(working: str) -> Iterator[re.Match[str]]:
    """_EMAIL_RE's matches, tried only where the local part before an '@' (or its defanged
    forms) starts: the lookbehind allows no other start, and the local part cannot hold an
    '@', so the run of its characters before the '@' is all of it."""
    reversed_text = working[::-1]
    position = 0
    for anchor in _EMAIL_ANCHOR.finditer(working):
        at = anchor.start()
        if at < position:
            continue
        if working[at] != "@" and at > 0 and working[at - 1].isspace():
            at -= 1  # "ops [at] evil [.] info"
        run = _LOCAL_PART_RUN.match(reversed_text, len(working) - at)
        start = at - (run.end() - run.start()) if run else at
        if start == at or at - start > 64 or start < position:
            continue
        match = _EMAIL_RE.match(working, start, min(len(working), anchor.end() + 260))
        if match and match.end() > anchor.start():
            position = match.end()
            yield match


_MACHINE_MADE_LOCAL_PART = re.compile(r"[0-9a-f.$=_+-]{16,}", re.IGNORECASE)


def find_emails(text: str, working: str) -> Iterator[Extracted]:
    for match in _email_matches(working):
        start, end = match.span()
        if header_name(text, start) in _MESSAGE_ID_HEADERS:
            continue
        # <local@host> right after an opening angle bracket with a machine-made local part
        # (hex, digits, dots) is a Message-ID quoted in a body, not a mailbox.
        local = match.group(0).split("@", 1)[0]
        if text[start - 1 : start] == "<" and _MACHINE_MADE_LOCAL_PART.fullmatch(local):
            continue
        value = normalise_email(match.group(0))
        if value:
            yield Extracted(IndicatorType.EMAIL, value, start, end, text[start:end])


# The slash of a network's prefix length, between two digits.
_PREFIX_SLASH = re.compile(r"/(?<=\d/)(?=\d)")
# How far before its slash a network starts: four octets and three separators (" [dot] ").
_CIDR4_REACH = 4 * 3 + 3 * 7


def _cidr4_matches(working: str) -> Iterator[re.Match[str]]:
    """_CIDR4_RE's matches, searched only just before a slash between digits (every match
    has one, and the pattern reads at most three characters after it)."""
    position = 0
    for slash in _PREFIX_SLASH.finditer(working):
        at = slash.start()
        if at < position:
            continue
        match = _CIDR4_RE.search(working, max(position, at - _CIDR4_REACH), at + 4)
        if match:
            position = match.end()
            yield match


def find_cidrs(text: str, working: str) -> Iterator[Extracted]:
    if "/" not in working:  # every network is written with its prefix length
        return
    for match in _cidr4_matches(working):
        value = normalise_cidr(match.group(0))
        if value:
            yield Extracted(IndicatorType.CIDR, value, *match.span(), match.group(0))


def _is_version_context(context: str) -> bool:
    """`context` (the text before a dotted number, on its line) ends with a word that makes
    the number a version, section or OID, or with a section sign or a "letters/" prefix."""
    length = len(context)
    return (
        _VERSION_WORD.search(context, max(0, length - _VERSION_REACH)) is not None
        or _VERSION_MARK.search(context, max(0, length - 2)) is not None
    )


# What an address is written with: digits, white space and the characters of the defanged
# dots ("[.]", " (dot) "); any non-ASCII character may be a digit or a space (runs() turns
# each into "?"). The shortest address, "1.2.3.4", has seven.
_IPV4_CHARACTERS = character_table(
    "0123456789.[](){}dot?" + "".join(chr(code) for code in range(128) if chr(code).isspace())
)
_SHORTEST_IPV4 = 7
_IPV4_GAP = 40


def _ipv4_matches(working: str) -> Iterator[re.Match[str]]:
    """_IPV4_RE's matches, searched only in the runs of an address's characters long enough
    to hold one: a list of hashes has digits everywhere, and the pattern was tried at each.
    A match never leaves its run; the pattern's lookbehind reads before the run (a search
    from a position still sees the text before it) and its lookahead only fails on the
    character ending the run, which is in the searched span."""
    ipv4_runs = runs(working, _IPV4_CHARACTERS, _SHORTEST_IPV4)
    if ipv4_runs is None:
        yield from _IPV4_RE.finditer(working)
        return
    # Runs close together are searched as one span (no match starts between them): one
    # search costs more than scanning a few dozen characters.
    spans: list[tuple[int, int]] = []
    for start, end in ipv4_runs:
        if spans and start - spans[-1][1] < _IPV4_GAP:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    for start, end in spans:
        yield from _IPV4_RE.finditer(working, start, end + 1)


def find_ipv4(text: str, working: str) -> Iterator[Extracted]:
    for match in _ipv4_matches(working):
        start, end = match.span()
        value = normalise_ip(match.group(0))
        if not value or ":" in value:
            continue
        context = before(text, start, 60)
        if not context.strip() and start > 0:  # at a line start: the cue may end the line above
            context = before(text, text.rfind("\n", 0, start), 60) + " "
        if _is_version_context(context) or _LATER.match(text, end):
            continue
        yield Extracted(IndicatorType.IPV4, value, start, end, text[start:end])


_IPV6_ANCHOR = re.compile(r":[0-9a-f]{0,4}:|\[:\][0-9a-f]{0,4}\[:\]|\(:\)[0-9a-f]{0,4}\(:\)", re.I)


# The characters an address is written with, read backwards (in the reversed text) from
# an anchor: a match holds no other, so one that reaches the anchor starts in this run.
_IPV6_RUN = re.compile(r"[0-9a-f:.\[\]()/]{0,45}", re.IGNORECASE)


def _ipv6_matches(working: str) -> Iterator[re.Match[str]]:
    """_IPV6_RE's matches, searched only around two colons close together, from the start
    of the run of an address's characters that holds them (at most 45 before)."""
    position = 0
    reversed_text = ""
    for anchor in _IPV6_ANCHOR.finditer(working):
        at = anchor.start()
        if at < position:
            continue
        if not reversed_text:
            reversed_text = working[::-1]
        run = _IPV6_RUN.match(reversed_text, len(working) - at)
        start = at - (run.end() - run.start()) if run else at
        window_end = min(len(working), anchor.end() + 60)
        for match in _IPV6_RE.finditer(working, max(position, start), window_end):
            if match.end() > anchor.start():
                position = match.end()
                yield match
                break


_HEX_DIGIT = re.compile(r"[0-9a-f]", re.IGNORECASE)
_DIGITS_AND_COLONS = re.compile(r"[\d:]+")


def find_ipv6(text: str, working: str) -> Iterator[Extracted]:
    for match in _ipv6_matches(working):
        raw = refang(match.group(0))
        if raw.count(":") < 2 or not _HEX_DIGIT.search(raw):
            continue
        start, end = match.span()
        if "/" in raw:
            cidr = normalise_cidr(raw)
            if cidr:
                yield Extracted(IndicatorType.CIDR, cidr, start, end, text[start:end])
            continue
        value = normalise_ip(raw)
        # "::" alone, or a time such as 10:20:30 is not an address worth reporting.
        if not value or ":" not in value or value == "::":
            continue
        if _DIGITS_AND_COLONS.fullmatch(raw) and "::" not in raw:
            continue
        yield Extracted(IndicatorType.IPV6, value, start, end, text[start:end])


# What every ASN holds, in lower case: "as" and a digit, or "asn" and its separators. A
# pattern starting with two letters is searched at full speed; _ASN_RE, case-insensitive
# on its first letter, is tried at every "a" of the text.
_ASN_IN_LOWER_CASE = re.compile(r"asn?[ ]?[:#]?[ ]?\d")


def find_asns(text: str, working: str) -> Iterator[Extracted]:
    if not _ASN_IN_LOWER_CASE.search(working.lower()):
        return
    for match in _ASN_RE.finditer(working):
        value = normalise_asn(match.group(0))
        if value:
            yield Extracted(IndicatorType.ASN, value, *match.span(), match.group(0))


_DOT_SEPARATOR = re.compile(DOT)


@lru_cache(maxsize=65536)
def _looks_like_product_or_file(original: str, domain: str) -> bool:
    labels = domain.split(".")
    tld_written = _DOT_SEPARATOR.split(original)[-1]
    if "_" in domain:  # registrable names cannot hold underscores; file names often do
        return True
    if labels[-1] in FILE_LIKE_TLDS and len(labels) == 2:  # invoice.zip, but not a.b.cc
        return True
    if len(labels) == 2 and not tld_written.islower():  # ASP.NET, Socket.IO, VB.NET
        return True
    return len(labels) >= 3 and labels[0] in PACKAGE_PREFIXES


# Where the first dot of a domain can be: a dot, or a bracketed one ("[.]", "(dot)" ...),
# between a letter or digit and the letter or digit that starts the next label.
_DOT_ANCHOR = re.compile(
    rf"[.\[({{](?:(?<=[{_LETTER}]\.)|(?<=[{_LETTER}][\[({{])(?:\.|dot)[\])}}]\s?"
    rf"|(?<=[{_LETTER}]\s[\[({{])(?:\.|dot)[\])}}]\s?)(?=[{_LETTER}])",
    re.IGNORECASE,
)
_LONGEST_LABEL = 63
# A run of label characters, read backwards (in the reversed text) from a dot.
_LABEL_RUN = re.compile(rf"[{_LETTER}_-]{{0,{_LONGEST_LABEL + 1}}}", re.IGNORECASE)


def _domain_matches(working: str) -> Iterator[re.Match[str]]:
    """_DOMAIN_RE's matches, tried only where a label ends at a dot.

    A domain starts where a run of label characters starts (the lookbehind refuses any
    other place) and its first label, that whole run, is followed by a dot: so going back
    from each dot to the start of its run finds every place the pattern can match, in
    order, without trying it at every word of the text.
    """
    reversed_text = working[::-1]
    length = len(working)
    position = 0  # where the last match ended: like finditer, nothing starts before it
    tried = -1
    for anchor in _DOT_ANCHOR.finditer(working):
        end = anchor.start()
        if end < position:
            continue
        if working[end] != "." and working[end - 1].isspace():
            end -= 1  # "evil [.] com"
        run = _LABEL_RUN.match(reversed_text, length - end)
        start = end - (run.end() - run.start()) if run else end
        if end - start > _LONGEST_LABEL or start < position or start == tried:
            continue
        tried = start
        match = _DOMAIN_RE.match(working, start)
        if match:
            position = match.end()
            yield match


def find_domains(text: str, working: str) -> Iterator[Extracted]:
    for match in _domain_matches(working):
        original = match.group(0)
        value = normalise_domain(original)
        if value is None:
            continue
        if not is_defanged(original) and _looks_like_product_or_file(original, value):
            continue
        labels = ("idn",) if not original.isascii() or "xn--" in value else ()
        yield Extracted(IndicatorType.DOMAIN, value, *match.span(), original, labels=labels)


_PLAIN_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_DECODED_ADDRESS = re.compile(rb"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def base64_addresses(text: str) -> list[str]:
    """The tokens of `text` (a link's query or fragment) that are e-mail addresses written
    in base64 (standard or URL-safe alphabet, padded or not), as written."""
    tokens: list[str] = []
    for token in _BASE64_TOKEN.findall(text):
        try:
            clear = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_")
        except (binascii.Error, ValueError):
            continue
        if _DECODED_ADDRESS.fullmatch(clear):
            tokens.append(token)
    return tokens


def _personal_in_url(url: str) -> list[str]:
    """Addresses written in a URL's query or fragment, plainly, percent-encoded or base64."""
    found: list[str] = []
    parts = urlsplit(url)
    for chunk in (parts.query, parts.fragment):
        if "@" in chunk or "%" in chunk:  # an address, or one percent-encoded
            found.extend(_PLAIN_ADDRESS.findall(unquote(chunk)))
        found.extend(base64_addresses(chunk))
    return found


REDACTED_IN_URL = "[redacted]"


@lru_cache(maxsize=65536)
def scrub_url(url: str) -> str:
    """`url` with e-mail addresses in its query and fragment replaced.

    Phishing kits put the target's address in the link (plain, percent-encoded or base64)
    to prefill the form; the link stays a useful indicator without it.
    """
    if "?" not in url and "#" not in url:
        return url
    head, sep, tail = url.partition("?") if "?" in url else url.partition("#")
    for personal in _personal_in_url(url):
        for form in {personal, personal.replace("@", "%40"), personal.replace("@", "%40").lower()}:
            tail = tail.replace(form, REDACTED_IN_URL)
    return head + sep + tail
