"""How malware talks: TLS client fingerprints (JA3, JA4) and HTTP user agents."""

import re
from collections.abc import Iterator

from sharing.normalize.extract.context import before, line_at
from sharing.normalize.extract.files import ALNUM, HEX
from sharing.normalize.extract.types import Extracted, IndicatorType

# JA4: protocol, TLS version, SNI, counts, ALPN, then two truncated SHA-256 (FoxIO spec).
_JA4_RE = re.compile(
    r"[tqd](?<![\w][tqd])(?:1[0-3]|s[0-3]|d[0-3]|00)[di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}"
    r"(?![\w])"
)
# Both cases spelt out instead of re.IGNORECASE, which keeps the engine from skipping to the
# next hex digit (files.py explains the four non-ASCII letters).
_MD5_RE = re.compile(rf"[{HEX}](?<![{ALNUM}][{HEX}])[{HEX}]{{31}}(?![{ALNUM}])")
# "JA3", "(JA3)", "ja3=", "\"ja3\":" before the hash, not JA3S (the server's fingerprint).
_JA3_BEFORE = re.compile(r"\bja3(?![s\w])[^\n]{0,40}$", re.IGNORECASE)
_JA3S_BEFORE = re.compile(r"\bja3s\b[^\n]{0,12}$", re.IGNORECASE)


def _table_column(text: str, start: int) -> str:
    """The header of the table column holding `start` (pipe or tab tables), or ""."""
    line_start, line_end = line_at(text, start)
    line = text[line_start:line_end]
    separator = "|" if line.count("|") >= 2 else "\t" if "\t" in line else ""
    if not separator:
        return ""
    column = line[: start - line_start].count(separator)
    position = line_start
    header = line
    while position > 0:
        previous_start, _ = line_at(text, position - 1)
        previous = text[previous_start : position - 1]
        if previous.count(separator) < max(1, line.count(separator) - 1):
            break
        if not re.fullmatch(r"[\s|:+-]*", previous):
            header = previous
        position = previous_start
    cells = header.split(separator)
    return cells[column].strip().lower() if column < len(cells) else ""


def fingerprint_kind(text: str, start: int) -> str:
    """ "ja3" or "ja3s" when the 32-hex value at `start` is a TLS fingerprint, else ""."""
    context = before(text, start, 60)
    if _JA3S_BEFORE.search(context):
        return "ja3s"
    if _JA3_BEFORE.search(context):
        return "ja3"
    column = _table_column(text, start)
    if column in ("ja3", "ja3s"):
        return column
    return ""


def find_ja4(text: str, working: str) -> Iterator[Extracted]:
    if "_" not in working:  # a JA4 fingerprint has two underscores
        return
    for match in _JA4_RE.finditer(working):
        yield Extracted(IndicatorType.JA4, match.group(0), *match.span(), match.group(0))


def find_ja3(text: str, working: str) -> Iterator[Extracted]:
    # A JA3 hash is one the text labels as such (before it or as its column's header):
    # without the word anywhere, no hash needs its context read.
    if "ja3" not in text.lower():
        return
    for match in _MD5_RE.finditer(working):
        kind = fingerprint_kind(text, match.start())
        if kind == "ja3":
            value = match.group(0).lower()
            yield Extracted(IndicatorType.JA3, value, *match.span(), match.group(0))
        elif kind == "ja3s":
            # A server fingerprint is neither a client fingerprint nor a file: not extracted
            # (a blank span keeps it from being read as an MD5).
            yield Extracted(IndicatorType.JA3, "", *match.span(), match.group(0))


# Both cases of the first letter spelt out, the rest case-insensitive: with IGNORECASE on the
# whole pattern the engine could not skip ahead to the next "u".
_UA_CUE = re.compile(r"[Uu](?<!\w[Uu])(?i:ser[ _-]?agents?|a|seragent)\b[\"']?(?:\s*[:=]\s*)?")
_QUOTED = re.compile(r"\s*(?:is\s+|of\s+)?([\"'])((?:(?!\1)[^\n]){2,512})\1")
_NEXT_QUOTED = re.compile(
    r"\s*(?:,|and(?: also)?|or|as well as)\s+([\"'])((?:(?!\1)[^\n]){2,512})\1"
)
_HEADER_VALUE = re.compile(r"[ \t]*([A-Za-z][\w.-]*/[^\s]+(?:[ \t][^\n]*)?)")


def _user_agent_value(value: str) -> bool:
    return bool(value.strip()) and "${" not in value and "://" not in value.split(" ", 1)[0]


def find_user_agents(text: str, working: str) -> Iterator[Extracted]:
    """User agents where the text clearly quotes one: after "user agent", "UA" or a
    User-Agent header or field, in quotes (several joined by "and"), or as a header value."""
    for cue in _UA_CUE.finditer(working):
        quoted = _QUOTED.match(working, cue.end())
        if quoted and _user_agent_value(quoted.group(2)):
            start, end = quoted.span(2)
            yield Extracted(
                IndicatorType.USER_AGENT, quoted.group(2).strip(), start, end, text[start:end]
            )
            position = quoted.end()
            while more := _NEXT_QUOTED.match(working, position):
                if _user_agent_value(more.group(2)):
                    start, end = more.span(2)
                    yield Extracted(
                        IndicatorType.USER_AGENT, more.group(2).strip(), start, end, text[start:end]
                    )
                position = more.end()
            continue
        if working[cue.start() : cue.end()].rstrip().endswith(":"):
            header = _HEADER_VALUE.match(working, cue.end())
            if header and _user_agent_value(header.group(1)):
                value = header.group(1).strip()
                start = header.start(1)
                yield Extracted(IndicatorType.USER_AGENT, value, start, start + len(value), value)
