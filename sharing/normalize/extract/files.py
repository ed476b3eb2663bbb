"""What identifies malware on a host: file hashes, the names that go with them, Windows
registry keys and mutexes."""

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from sharing.normalize.extract.patterns import character_table, span_of_runs
from sharing.normalize.extract.spans import Spans
from sharing.normalize.extract.types import HASH_TYPES, Extracted, IndicatorType

# Hex runs of a hash's length: the first class lets the engine skip ahead, the lookbehind
# checks the character before it.
# Both cases spelt out instead of re.IGNORECASE, which would keep the engine from skipping
# to the next hex digit. [0-9a-z] under IGNORECASE also matches four non-ASCII letters
# (dotted capital I, dotless i, long s, Kelvin sign): listed so the boundaries stay the same.
HEX = "0-9a-fA-F"
ALNUM = "0-9a-zA-Z\u0130\u0131\u017f\u212a"
_HASH_RE = re.compile(
    rf"[{HEX}](?<![{ALNUM}][{HEX}])"
    rf"(?:[{HEX}]{{127}}|[{HEX}]{{63}}|[{HEX}]{{39}}|[{HEX}]{{31}})"
    rf"(?![{ALNUM}])"
)
_HASH_LENGTHS = {
    32: IndicatorType.MD5,
    40: IndicatorType.SHA1,
    64: IndicatorType.SHA256,
    128: IndicatorType.SHA512,
}
# Hashes written next to these words are TLS fingerprints, not files (see fingerprints.py).
_FINGERPRINT_CONTEXT = re.compile(r"ja3s?\b|ja3s?[\"']", re.IGNORECASE)


_LOWER_HEX = re.compile(r"[0-9a-f]+")


@lru_cache(maxsize=65536)
def normalise_hash(value: str) -> tuple[IndicatorType, str] | None:
    cleaned = value.strip().lower()
    kind = _HASH_LENGTHS.get(len(cleaned))
    if kind is None or not _LOWER_HEX.fullmatch(cleaned):
        return None
    if len(set(cleaned)) < 4:  # 000...0, fff...f: placeholders, not hashes
        return None
    return kind, cleaned


_HEX_DIGITS = character_table("0123456789abcdefABCDEF")
_SHORTEST_HASH = 32


def _hash_matches(working: str) -> Iterator[re.Match[str]]:
    """_HASH_RE's matches, searched only from the first run of 32 hex digits or more to the
    end of the last (every match is such a run; the character after the last one, which the
    pattern reads, is in the searched span): most texts have none and are not searched."""
    span = span_of_runs(working, _HEX_DIGITS, _SHORTEST_HASH)
    if span is not None:
        yield from _HASH_RE.finditer(working, span[0], span[1] + 1)


def find_hashes(text: str, working: str) -> Iterator[Extracted]:
    for match in _hash_matches(working):
        found = normalise_hash(match.group(0))
        if found:
            yield Extracted(found[0], found[1], *match.span(), match.group(0))


# File names: a name with an extension, possibly at the end of a path.
_FILE_NAME_RE = re.compile(r"(?<![\w.$~+-])[\w$~+-][\w.$~+-]{0,120}\.[A-Za-z0-9]{1,8}(?![\w.-])")
# What may stand between a file name and its hash: separators, quotes, a hash label.
_NAME_HASH_GAP = re.compile(
    r"[\s(){}\[\]|:=,\"'-]*(?:(?:md5|sha-?1|sha-?256|sha-?512|sha|hash(?:es)?|sum)"
    r"[\s(){}\[\]|:=,\"'-]*)*",
    re.IGNORECASE,
)
_NOT_FILE_EXTENSIONS = re.compile(r"\.(?:\d+|com|net|org|gov|edu|info|io|ru|cn|de|uk)$", re.I)


def _file_names_on_line(
    text: str, line_start: int, cache: dict[int, list[tuple[int, int, str]]]
) -> list[tuple[int, int, str]]:
    """File names on the line starting at `line_start` (a name never spans lines)."""
    names = cache.get(line_start)
    if names is None:
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end == -1 else line_end
        names = []
        if text.find(".", line_start, line_end) != -1:  # a name has a dot; hashes alone have none
            names = [
                (match.start(), match.end(), match.group(0))
                for match in _FILE_NAME_RE.finditer(text, line_start, line_end)
                if not _NOT_FILE_EXTENSIONS.search(match.group(0))
                and not match.group(0)[0].isdigit()
            ]
        cache[line_start] = names
    return names


def _file_name_candidates(
    text: str, start: int, end: int, cache: dict[int, list[tuple[int, int, str]]]
) -> list[tuple[int, int, str]]:
    """File names on the line of a hash and on the lines around it (each line is read once
    for all the hashes near it: a list of hashes has one per line)."""
    line_start = text.rfind("\n", 0, start) + 1
    candidates: list[tuple[int, int, str]] = []
    if line_start > 0:
        candidates += _file_names_on_line(text, text.rfind("\n", 0, line_start - 1) + 1, cache)
    candidates += _file_names_on_line(text, line_start, cache)
    next_line = text.find("\n", end)
    if next_line != -1:
        candidates += _file_names_on_line(text, next_line + 1, cache)
    return candidates


def find_file_names(
    text: str, hashes: Iterable[Extracted], taken: list[tuple[int, int]]
) -> Iterator[Extracted]:
    """The file name written next to each hash ("sync.js - 1f26...", "a.exe (SHA-1 ...)").

    Only a name separated from its hash by nothing but separators and a hash label counts:
    a file mentioned elsewhere on the line is not known to have that hash.
    """
    seen: set[int] = set()
    taken_spans: Spans | None = None
    lines: dict[int, list[tuple[int, int, str]]] = {}
    for item in hashes:
        if item.type not in HASH_TYPES:
            continue
        if taken_spans is None:
            taken_spans = Spans(taken)
        best: tuple[int, int, int, str] | None = None
        for start, end, name in _file_name_candidates(text, item.start, item.end, lines):
            if taken_spans.overlaps(start, end):
                continue
            if end <= item.start:
                gap = text[end : item.start]
            elif start >= item.end:
                gap = text[item.end : start]
            else:
                continue
            if not _NAME_HASH_GAP.fullmatch(gap) or gap.count("\n") > 1:
                continue
            distance = len(gap)
            if best is None or distance < best[0]:
                best = (distance, start, end, name)
        if best is None or best[1] in seen:
            continue
        seen.add(best[1])
        yield Extracted(IndicatorType.FILE_NAME, best[3], best[1], best[2], best[3])


_HIVES = {
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKCU": "HKEY_CURRENT_USER",
    "HKCR": "HKEY_CLASSES_ROOT",
    "HKU": "HKEY_USERS",
    "HKCC": "HKEY_CURRENT_CONFIG",
}
_REGISTRY_RE = re.compile(
    r"(H(?<![\w\\]H)(?:KEY_LOCAL_MACHINE|KEY_CURRENT_USER|KEY_CLASSES_ROOT|KEY_USERS|"
    r"KEY_CURRENT_CONFIG|KLM|KCU|KCR|KU|KCC)):?"
    r"((?:\\{1,2}[\w .{}()$&@#~!+-]+)+)",
    re.IGNORECASE,
)


@lru_cache(maxsize=65536)
def normalise_registry_key(value: str) -> str | None:
    """The full key with its hive spelt out, as STIX asks: HKLM\\Run is HKEY_LOCAL_MACHINE\\Run."""
    match = re.fullmatch(
        r"([A-Za-z_]+):?((?:\\[^\\]+)+)\\?", re.sub(r"\\\\", "\\\\", value.strip())
    )
    if not match:
        return None
    hive = match.group(1).upper()
    hive = _HIVES.get(hive, hive)
    if hive not in _HIVES.values():
        return None
    return hive + match.group(2).rstrip()


def find_registry_keys(text: str, working: str) -> Iterator[Extracted]:
    if "\\" not in working:  # every key has a backslash after its hive: most texts have none
        return
    for match in _REGISTRY_RE.finditer(working):
        path = match.group(2)
        segments = re.split(r"\\{1,2}", path)
        # The last segment ends at the first space: what follows is a value name, an
        # option (/v) or prose ("Run value "OneDriveSync"", "command  (UAC bypass)").
        last = segments[-1].split(" ", 1)[0].rstrip(".,;:)")
        kept = [segment.strip() for segment in segments[1:-1]] + [last]
        if not last:
            kept = kept[:-1]
        if not kept:
            continue
        value = normalise_registry_key(match.group(1) + "\\" + "\\".join(kept))
        if value is None:
            continue
        start = match.start()
        end = start + len(match.group(0)) - (len(segments[-1]) - len(last))
        yield Extracted(IndicatorType.REGISTRY_KEY, value, start, end, text[start:end])


# Mutexes are only named as such: the word, then quoted names or names shaped like one.
_MUTEX_CUE = re.compile(r"\bmut(?:ex(?:es)?|ants?)\b", re.IGNORECASE)
_MUTEX_VALUE = re.compile(
    r"\"([^\"\n]{3,100})\"|'([^'\n]{3,100})'"
    r"|(?<![\w\\])((?:Global|Local|Session\\\\?\d+)\\{1,2}[^\s\"',;]+)"
    r"|(?<![\w\\])([A-Za-z][\w{}$#@.-]{4,80}[\w}])(?![\w\\])"
)


def _mutex_shaped(name: str) -> bool:
    if re.match(r"(?:Global|Local|Session)\\", name):
        return True
    return bool(re.search(r"[_{}]|\d", name)) and not re.fullmatch(r"[a-z]+", name)


def find_mutexes(text: str, working: str) -> Iterator[Extracted]:
    if "mut" not in working.lower():  # the cue word is missing: most texts
        return
    for cue in _MUTEX_CUE.finditer(working):
        window_end = working.find("\n", cue.end())
        window_end = len(working) if window_end == -1 else window_end
        sentence_end = re.search(r"\.(?:\s|$)", working[cue.end() : window_end])
        if sentence_end:
            window_end = cue.end() + sentence_end.start()
        window_end = min(window_end, cue.end() + 160)
        for match in _MUTEX_VALUE.finditer(working, cue.end(), window_end):
            group = next(index for index in range(1, 5) if match.group(index) is not None)
            raw = match.group(group)
            if group == 4 and not _mutex_shaped(raw):
                continue
            name = re.sub(r"\\\\", r"\\", raw.strip())
            if not name or (" " in name and group != 1 and group != 2):
                continue
            start, end = match.span(group)
            yield Extracted(IndicatorType.MUTEX, name, start, end, text[start:end])
