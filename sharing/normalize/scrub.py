"""Remove personal data not directly related to a threat before anything is shared.

The US Cybersecurity Information Sharing Act of 2015 asks sharers to remove personal
information of people who are not the threat. Here that means:
- e-mail addresses at member organisations' registered domains (the victims), written
  plainly, defanged, percent-encoded inside links or base64-encoded in a link's query;
- any e-mail address inside a link's query or fragment (phishing kits prefill the target's
  address there);
- the names of victims: from their addresses (dana.whitfield -> Dana Whitfield, s.marchand
  -> Sophie Marchand), from header lines ("Whitfield, Dana" <...>), after words that say the
  person was the target or works at the member ("our AP clerk, Priya Raman", "customer"),
  with a title ("Ms Raman", "Dr. Siddiqui", "Herr Brenner"), before their phone number and
  above a signature; each found name is then removed everywhere in the text, also its first
  name alone and its surname after a title; an address written right after a victim's name
  is the victim's too;
- phone numbers in the common national formats (E.164, North American, UK, German, French,
  Japanese, Australian ...).
Attackers' addresses are indicators and stay. Pure: domains are passed in.

Why no named-entity model: spaCy's small English model was measured on the labelled corpus
(bench/extraction.py --ner, docs/benchmarks.md); it finds person names but cannot tell a
victim from an attacker or researcher, misses names in e-mail headers and German text, adds
tens of megabytes and is many times slower than these rules.
"""

import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from sharing.normalize.carriers import quick_init
from sharing.normalize.extract import Extracted, IndicatorType
from sharing.normalize.extract.network import base64_addresses, domain_in
from sharing.normalize.extract.patterns import character_table, runs
from sharing.normalize.extract.spans import Spans

REDACTED_EMAIL = "[redacted e-mail]"
REDACTED_PHONE = "[redacted phone]"
REDACTED_PERSON = "[redacted person]"
REDACTED_VALUE = "[redacted]"


@quick_init
@dataclass(frozen=True, slots=True)
class Redaction:
    """What was removed (kind: email, phone or person), what replaces it, and where."""

    kind: str
    original: str
    replacement: str
    start: int
    end: int


_PHONE_RE = re.compile(
    # The first character is matched on its own (a class the regex engine skips ahead to),
    # then the lookbehinds check the one before it and say which prefix it starts.
    r"[+(\d](?<![\w+.:/#=$€£-].)"
    r"(?:(?<=\+)\d{1,3}[\s.-]?(?:\(0?\d{1,5}\)[\s.-]?)?\d{1,8}"
    r"|(?<=\()0?\d{1,5}\)[\s.-]?\d{1,8}"
    r"|(?<=\d)\d{0,7})"
    r"(?:[\s.-]\d{1,8}){1,6}"
    r"(?![\w:/%-]|[.,]\d)"
)
# What a phone number is written with (any non-ASCII character may be a digit or a space:
# runs() turns each into "?"); the shortest number redacted has seven digits.
_PHONE_CHARACTERS = character_table(
    "".join(chr(code) for code in range(128) if chr(code).isspace() or chr(code).isdecimal())
    + "+().-?"
)
_SHORTEST_PHONE = 7


def _phone_matches(text: str) -> Iterator[re.Match[str]]:
    """_PHONE_RE's matches in the runs of phone characters long enough to hold a number
    (a match never leaves its run, and the pattern reads at most two characters after it);
    shorter runs, which can only hold what _looks_like_phone refuses, are skipped."""
    phone_runs = runs(text, _PHONE_CHARACTERS, _SHORTEST_PHONE)
    if phone_runs is None:
        yield from _PHONE_RE.finditer(text)
        return
    for start, end in phone_runs:
        yield from _PHONE_RE.finditer(text, start, end + 2)


_PHONE_CUE = re.compile(
    r"\b(?:tel|phone|mobil\w*|cell|fax|call\w*|line|ext|number|on)\.?:?\s*$", re.I
)
_NOT_PHONE_BEFORE = re.compile(
    r"\b(?:ports?|version|build|ticket|invoice|case|id|bins?)\s*[:#]?\s*$", re.I
)
_ANY_ADDRESS = re.compile(
    r"(?<![\w.+-])[a-z0-9][a-z0-9._+-]{0,63}(?:@|%40|\s?\[at\]\s?|\s?\(at\)\s?|\s?\[@\]\s?)"
    r"([a-z0-9-]+(?:(?:\.|\s?\[\.\]\s?)[a-z0-9-]+)+)",
    re.IGNORECASE,
)
_NAME_WORD = r"[A-Z][a-zà-ÿ'\u2019]+(?:-[A-Z][a-zà-ÿ'\u2019]+)?"
_FULL_NAME = rf"{_NAME_WORD}(?:\s[A-Z]\.)?\s{_NAME_WORD}"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|M)\.?"
_NAME_BEFORE_ADDRESS = re.compile(
    rf"(?:\"?({_FULL_NAME})\"?|\"?({_NAME_WORD},\s{_NAME_WORD})\"?)\s*[(<\[,]?\s*(?:mailto:)?$"
)
# Words saying the person next to them is a victim or works at a member, in the order they
# are tried.
_VICTIM_CUE_WORDS = (
    "employees?",
    "staff(?: members?)?",
    "colleagues?",
    "users?",
    "customers?",
    "clients?",
    "members?",
    "clerks?",
    "accountants?",
    "nurses?",
    *(
        f"{role} managers?"
        for role in ("nurse", "account", "office", "branch", "team", "line", "help desk")
    ),
    "managers?",
    "supervisors?",
    "directors?",
    "leads?",
    "heads?",
    "officers?",
    "tellers?",
    "analysts?",
    "engineers?",
    "administrators?",
    "admins?",
    "assistants?",
    *("CFO", "CEO", "CTO", "CIO", "CISO", "COO", "controller", "treasurer"),
    "contact(?: for this case)?",
    *("victims?", "recipients?", "patients?", "account holders?", "owners?"),
    *("Kollegen?", "Kollegin", "Mitarbeiter(?:in)?"),
    *("called", "emailed", "phoned", "contacted", "asked", "told"),
    *("Dear", "Hi", "Hello", "Hallo", "Hey", "Thanks", "Thank you", "Regards", "Cheers"),
    *("Sincerely", "Best"),
)


def _by_first_letter(words: Iterable[str]) -> str:
    """An alternation of `words` grouped by their first (literal) character, in their order
    within each group: the regex engine then skips ahead to characters that can start one
    and tries only the words starting there. Words with different first characters never
    match at the same place, so the grouping changes no match."""
    words = list(words)
    if not all(word[:1].isalnum() for word in words):  # "\\." would be split in two
        return "|".join(words)
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(word[1:])
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())


_VICTIM_CUE_PATTERN = (
    rf"(?:{_by_first_letter(_VICTIM_CUE_WORDS)})"
    rf"(?:\s+(?:at|of|in|for|from)\s+[\w& ]{{1,30}}?)?(?:\s*[,:(]\s*|\s+)"
    rf"(?:{_TITLE}\s+)?({_FULL_NAME})(?![\w'\u2019-])"
)
_VICTIM_CUE = re.compile(_VICTIM_CUE_PATTERN)
# After the character that ends the word before (instead of \b): the engine skips from one
# such character (a space, a punctuation mark) to the next at full speed.
_VICTIM_CUE_AFTER_WORD = re.compile(rf"\W{_VICTIM_CUE_PATTERN}")
# More names listed with a victim's: "Dr. Ahmed Siddiqui and Lena Park".
_LISTED_WITH = re.compile(
    rf"(?:,\s*|\s+and\s+|\s+&\s+)(?:{_TITLE}\s+)?({_FULL_NAME})(?![\w'\u2019-])"
)
_TITLED_NAME = re.compile(rf"{_TITLE}\s+((?:{_NAME_WORD}\s)?{_NAME_WORD})(?![\w'\u2019-])")


# Every cue is followed by a full name: a text without two capitalised words in a row (a
# list of values, a log) needs no search for the cue words.
_ANY_FULL_NAME = re.compile(_FULL_NAME)


def _victim_cues(text: str) -> Iterator[re.Match[str]]:
    """_VICTIM_CUE's matches where a word starts (as a leading \b would give)."""
    if not _ANY_FULL_NAME.search(text):
        return
    position = 0
    first = _VICTIM_CUE.match(text)
    if first:
        yield first
        position = first.end()
    # The previous match ends with a name, so the next cue is never right at its end.
    yield from _VICTIM_CUE_AFTER_WORD.finditer(text, position)


def _at_word_starts(
    pattern: re.Pattern[str], text: str, joining: str = ""
) -> Iterator[re.Match[str]]:
    """The matches `\b` before `pattern` would give (pattern starts with a word character),
    or `(?<![\\w{joining}])`: a match right after a word character (or one of `joining`) is
    refused and the search goes on from its next character."""
    position = 0
    while match := pattern.search(text, position):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_" + joining):
            position = start + 1
            continue
        yield match
        position = match.end()


_SIGN_OFF_WORDS = (
    r"(?:regards|best regards|kind regards|many thanks|thanks|thank you|cheers|best|"
    r"sincerely|mit freundlichen gr(?:ü|ue)(?:ß|ss)en|viele gr(?:ü|ue)(?:ß|ss)e|"
    r"cordialement)[,.!]?\s*$"
)
_SIGN_OFF = re.compile(rf"^\s*{_SIGN_OFF_WORDS}", re.IGNORECASE | re.MULTILINE)
# The same from the newline before the line: a pattern starting with a literal character
# is searched for at full speed, one starting with ^ is tried at every position.
_SIGN_OFF_AFTER_NEWLINE = re.compile(rf"\n\s*{_SIGN_OFF_WORDS}", re.IGNORECASE | re.MULTILINE)
_SIGNATURE_NAME = re.compile(rf"[ \t]*({_FULL_NAME})[ \t]*(?:[|,]|$)", re.MULTILINE)
# A name, then up to 28 words of "in", "at", "on", "from" or other characters that may come
# between a name and a number. (Spelt first as `(?:[\s,(:]|\b(?:in|at|on|from)\b|[\w ])`:
# a space matched both classes, so a search that failed tried every way of splitting the
# spaces between them; the one class below matches the same characters, once.)
_NAME_BEFORE_PHONE = re.compile(rf"({_FULL_NAME})(?:\b(?:in|at|on|from)\b|[\s,(:\w]){{0,28}}$")
# Capitalised words that start sentences or name things, not people.
_NAME_LIKE_WORDS = (
    "The This That These Those Our Your Their His Her Its We You They He She It An A And Or",
    "But If When Then After Before During Later Next Last First Second Two One Another",
    "Other Some All No None Not Security Incident Report Phishing Malware Threat Team Help",
    "Desk Service Services Card Operations Member Members Customer Customers Bank Credit",
    "Union Health Power Utilities Finance Treasury Please Subject From To Date Sent Mobile",
    "Phone Tel Windows Microsoft Google Apple Amazon Cloud Office Exchange Server Dear Hi",
    "Hello Thanks Regards Best Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "January February March April May June July August September October November December",
    "Harbour Northwind Meridian Cascadia Bluewater Federal Trust First Action Card Digital",
    "Assets Express Parcel Fraud Group Risk",
)
_NOT_NAMES = frozenset(word for line in _NAME_LIKE_WORDS for word in line.split())
_NAME_SEPARATORS = re.compile(r"[\s,]+")
_QUERY_MARK = re.compile(r"[?#&=]")
_BETWEEN_NAME_AND_ADDRESS = re.compile(r"[\s,(<:]{1,4}")


def is_victim_address(email: str, member_domains: Collection[str]) -> bool:
    return domain_in(email.rsplit("@", 1)[-1].lower(), member_domains)


def _plausible_name(name: str) -> bool:
    words = _NAME_SEPARATORS.split(name)
    return all(word.rstrip(".") not in _NOT_NAMES for word in words if word)


_NON_DIGIT = re.compile(r"\D")
_DIGIT_GROUP = re.compile(r"\d+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHORT_DATE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
_DOTTED_NORTH_AMERICAN = re.compile(r"\(?\d{3}\)?\.\d{3}\.\d{4}")


def _looks_like_phone(candidate: str, before: str) -> bool:
    stripped = candidate.strip()
    # The count of digits first: most candidates (times, amounts, counts) fail it, and
    # every test below only refuses.
    digits = _NON_DIGIT.sub("", stripped)
    if not 7 <= len(digits) <= 15:
        return False
    if _ISO_DATE.match(stripped) or _SHORT_DATE.fullmatch(stripped):
        return False  # a date
    if _NOT_PHONE_BEFORE.search(before):
        return False
    groups = _DIGIT_GROUP.findall(stripped)
    if "." in stripped and not (
        stripped.startswith("+") or _DOTTED_NORTH_AMERICAN.fullmatch(stripped)
    ):
        return False  # dotted groups are versions or addresses far more often
    has_prefix = stripped.startswith("+") or "(" in stripped
    if len(digits) >= 10 or has_prefix:
        return len(groups) >= 2
    return bool(_PHONE_CUE.search(before)) and len(groups) >= 2


def _names_from_address(email: str) -> tuple[set[str], set[tuple[str, str]]]:
    """Names a person with this address has: dana.whitfield -> Dana Whitfield; for
    s.marchand, smarchand or marchand.s the (initial, surname) to look for in the text."""
    local = email.split("@", 1)[0]
    parts = [part for part in re.split(r"[._-]", local) if part.isalpha()]
    names: set[str] = set()
    initials: set[tuple[str, str]] = set()
    if len(parts) >= 2 and len(parts[0]) > 1 and len(parts[1]) > 1:
        names.add(f"{parts[0].capitalize()} {parts[1].capitalize()}")
    if len(parts) >= 2:
        first, second = parts[0], parts[1]
        if len(first) == 1 and len(second) > 2:
            initials.add((first.upper(), second.capitalize()))
        if len(second) == 1 and len(first) > 2:
            initials.add((second.upper(), first.capitalize()))
    elif len(parts) == 1 and len(parts[0]) > 4:
        initials.add((parts[0][0].upper(), parts[0][1:].capitalize()))
    return names, initials


def _alternation(words: Iterable[str], *, grouped: bool = False) -> str:
    """The words, longest first, as a regular expression alternation (grouped by first
    letter: see _by_first_letter)."""
    escaped = [re.escape(word) for word in sorted(set(words), key=len, reverse=True)]
    return _by_first_letter(escaped) if grouped else "|".join(escaped)


@lru_cache(maxsize=65536)
def _personal_tokens_in_url(url: str) -> tuple[str, ...]:
    """Base64 tokens in a link's query or fragment that decode to an e-mail address."""
    tail = url.split("?", 1)[1] if "?" in url else url.split("#", 1)[-1] if "#" in url else ""
    return tuple(token.rstrip("=") for token in base64_addresses(tail))


# One character class first, as in extract.network._EMAIL_ANCHOR (the plain spelling,
# `@|%40|[[(](?:at|@)[])]` with IGNORECASE, makes the engine try every position).
_ADDRESS_ANCHOR = re.compile(r"[@%\[(](?:(?<=@)|(?<=%)40|(?<=[\[(])(?:[Aa][Tt]|@)[\])])")


# The characters of a local part, read backwards (in the reversed text) from an '@'.
_LOCAL_PART_RUN = re.compile(r"[a-z0-9._+-]{0,65}", re.IGNORECASE)


def _addresses(text: str) -> Iterator[re.Match[str]]:
    """_ANY_ADDRESS's matches, tried only where the local part before an '@' (or its
    encoded forms) starts: the pattern's lookbehind allows no other start, and the local
    part cannot hold an '@', so the run of its characters before the '@' is all of it."""
    reversed_text = text[::-1]
    position = 0
    for anchor in _ADDRESS_ANCHOR.finditer(text):
        at = anchor.start()
        if at < position:
            continue
        if text[at] in "[(" and at > 0 and text[at - 1].isspace():
            at -= 1  # "ana [at] member.example"
        run = _LOCAL_PART_RUN.match(reversed_text, len(text) - at)
        start = at - (run.end() - run.start()) if run else at
        if start == at or at - start > 64 or start < position:
            continue
        match = _ANY_ADDRESS.match(text, start, min(len(text), anchor.end() + 260))
        if match and match.end() > anchor.start():
            position = match.end()
            yield match


_ENCODED_AT = re.compile(r"%40|\s?[\[(](?:at|@)[\])]\s?", re.IGNORECASE)
_DEFANGED_DOT = re.compile(r"\s?\[\.\]\s?")


def _address_redactions(
    text: str, extracted: list[Extracted], domains: set[str]
) -> tuple[list[Redaction], list[tuple[int, str]]]:
    """Victims' addresses anywhere (also inside links) and any address in a link's query."""
    found: list[Redaction] = []
    victims: list[tuple[int, str]] = []
    url_spans: Spans | None = None  # made on the first address: most texts have none
    for match in _addresses(text):
        start, end = match.span()
        address = _ENCODED_AT.sub("@", match.group(0))
        address = _DEFANGED_DOT.sub(".", address)
        if url_spans is None:
            url_spans = Spans(
                (item.start, item.end) for item in extracted if item.type == IndicatorType.URL
            )
        link = url_spans.containing(start, end)
        in_link_query = link is not None and _QUERY_MARK.search(text, link[0], start) is not None
        if is_victim_address(address, domains) or in_link_query:
            # Inside a link the replacement keeps the link one token ("?user=[redacted]").
            replacement = REDACTED_VALUE if link is not None else REDACTED_EMAIL
            found.append(Redaction("email", match.group(0), replacement, start, end))
            victims.append((start, address.lower()))
    for item in extracted:
        if item.type != IndicatorType.URL:
            continue
        for token in _personal_tokens_in_url(item.original):
            offset = item.original.find(token)
            if offset >= 0:
                start = item.start + offset
                found.append(Redaction("email", token, REDACTED_VALUE, start, start + len(token)))
    return found, victims


def _sign_off_ends(text: str) -> list[int]:
    """Where _SIGN_OFF's matches end (all that is read of them): each ends after one sign-off
    line, found from the text's start or from a newline before it."""
    ends: list[int] = []
    first = _SIGN_OFF.match(text)
    if first:
        ends.append(first.end())
    for match in _SIGN_OFF_AFTER_NEWLINE.finditer(text):
        if not ends or match.end() > ends[-1]:
            ends.append(match.end())
    return ends


def _first_name_before(surnames: str) -> re.Pattern[str]:
    """A word in capitals before one of `surnames` (an alternation): `\b([A-Z]...)\\s(...)\b`
    with the first letter matched before the boundary, so the engine skips ahead to capitals
    instead of trying every position."""
    return re.compile(rf"([A-Z](?<!\w[A-Z])[a-zà-ÿ'\u2019]+)\s({surnames})\b")


def _victim_names(
    text: str, victims: list[tuple[int, str]], extracted: list[Extracted]
) -> set[str]:
    names: set[str] = set()
    initials: set[tuple[str, str]] = set()
    for start, address in victims:
        full, partial = _names_from_address(address)
        names.update(full)
        initials.update(partial)
        line_start = text.rfind("\n", 0, start) + 1
        before = _NAME_BEFORE_ADDRESS.search(text[max(line_start, start - 60) : start])
        if before:
            names.add(before.group(1) or before.group(2))
    if initials:
        surnames = _alternation(surname for _, surname in initials)
        for match in _first_name_before(surnames).finditer(text):
            if (match.group(1)[0], match.group(2)) in initials:
                names.add(f"{match.group(1)} {match.group(2)}")
    for match in [*_victim_cues(text), *_at_word_starts(_TITLED_NAME, text)]:
        names.add(match.group(1))
        position = match.end()
        while listed := _LISTED_WITH.match(text, position):
            names.add(listed.group(1))
            position = listed.end()
    for sign_off_end in _sign_off_ends(text):
        signature = _SIGNATURE_NAME.match(text, sign_off_end + 1)
        if signature:
            names.add(signature.group(1))
    return {name for name in names if _plausible_name(name)}


def _name_variants(names: set[str]) -> set[str]:
    """Each name, "Surname, First" and the first name alone; the surname after a title."""
    variants: set[str] = set()
    for name in names:
        variants.add(name)
        if "," in name:
            surname, first = (part.strip() for part in name.split(",", 1))
            variants.add(f"{first} {surname}")
            parts = [first, surname]
        else:
            parts = name.split()
            variants.add(f"{parts[-1]}, {parts[0]}")
        if len(parts[0]) > 2 and parts[0] not in _NOT_NAMES:
            variants.add(parts[0])
    return variants


def find_redactions(
    text: str, extracted: Iterable[Extracted], *, member_domains: Collection[str]
) -> list[Redaction]:
    """Spans of `text` to redact, not overlapping, in order."""
    domains = set(map(str.lower, member_domains))
    extracted = list(extracted)
    indicator_spans = Spans((item.start, item.end) for item in extracted)
    found, victims = _address_redactions(text, extracted, domains)

    phones: list[Redaction] = []
    for match in _phone_matches(text):
        start, end = match.span()
        if indicator_spans.overlaps(start, end):
            continue
        if _looks_like_phone(match.group(0), text[max(0, start - 30) : start]):
            phones.append(Redaction("phone", match.group(0), REDACTED_PHONE, start, end))
    found.extend(phones)

    names = _victim_names(text, victims, extracted)
    for phone in phones:
        before = _NAME_BEFORE_PHONE.search(text[max(0, phone.start - 60) : phone.start])
        if before and _plausible_name(before.group(1)):
            names.add(before.group(1))
    variants = _name_variants(names)
    surnames = {name.split(",")[0].strip() if "," in name else name.split()[-1] for name in names}
    if variants:
        pattern = re.compile(rf"(?:{_alternation(variants, grouped=True)})(?![\w'\u2019-])")
        for match in _at_word_starts(pattern, text, joining="'\u2019-"):
            found.append(Redaction("person", match.group(0), REDACTED_PERSON, *match.span()))
    if surnames:
        pattern = re.compile(rf"{_TITLE}\s+(?:{_alternation(surnames)})(?![\w'\u2019-])")
        for match in _at_word_starts(pattern, text):
            found.append(Redaction("person", match.group(0), REDACTED_PERSON, *match.span()))
    # An address right after a victim's name is that person's too ("Ana Souza, ana@...").
    for redaction in [item for item in found if item.kind == "person"]:
        after = _BETWEEN_NAME_AND_ADDRESS.match(text[redaction.end : redaction.end + 4])
        if after:
            address = _ANY_ADDRESS.match(text, redaction.end + after.end())
            if address:
                found.append(Redaction("email", address.group(0), REDACTED_EMAIL, *address.span()))

    found.sort(key=lambda redaction: (redaction.start, -redaction.end))
    result: list[Redaction] = []
    for redaction in found:
        if result and redaction.start < result[-1].end:
            continue
        result.append(redaction)
    return result


def apply_redactions(text: str, redactions: Iterable[Redaction]) -> str:
    parts: list[str] = []
    position = 0
    for redaction in redactions:
        parts.append(text[position : redaction.start])
        parts.append(redaction.replacement)
        position = redaction.end
    parts.append(text[position:])
    return "".join(parts)
