"""Undo the defanging analysts apply so indicators cannot be clicked: hxxp, [.], [at] ...

The extractor matches defanged text directly (so it can report where in the original text a
value was) and calls `refang` on each match.
"""

import re

# Separators as analysts write them. The patterns are shared with the extractor.
DOT = r"(?:\.|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\s\[dot\]\s|\s\(dot\)\s)"
AT = r"(?:@|\[@\]|\(@\)|\[at\]|\(at\)|\{at\}|\s\[at\]\s|\s\(at\)\s)"
COLON = r"(?::|\[:\]|\(:\))"

_REPLACEMENTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\s?[\[\(\{](?:\.|dot)[\]\)\}]\s?", re.IGNORECASE), "."),
    (re.compile(r"\s?[\[\(\{](?:@|at)[\]\)\}]\s?", re.IGNORECASE), "@"),
    (re.compile(r"[\[\(](:)[\]\)]"), ":"),
    (re.compile(r"\[(://)\]"), "://"),
    (re.compile(r"^h[xX]{2}p", re.IGNORECASE), "http"),
    (re.compile(r"^f[xX]p", re.IGNORECASE), "ftp"),
    (re.compile(r"^(https?|ftp):\\\\", re.IGNORECASE), r"\1://"),
]


def refang(value: str) -> str:
    """The live form of one defanged value: `hxxps://evil[.]com` -> `https://evil.com`."""
    for pattern, replacement in _REPLACEMENTS:
        value = pattern.sub(replacement, value)
    return value


def is_defanged(value: str) -> bool:
    return refang(value) != value
