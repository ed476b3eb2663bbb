"""Undo the defanging analysts apply so indicators cannot be clicked: hxxp, [.], [at] ...

The extractor matches defanged text directly (so it can report where in the original text a
value was) and calls `refang` on each match.
"""

import re
from collections.abc import Callable
from functools import lru_cache

# Separators as analysts write them, with or without spaces around the brackets
# ("evil [.] com", "ops [at] evil [.] info"). The patterns are shared with the extractor.
# (Factored: "[.]", "[dot]", "(.)" ... share the optional spaces around them, so the regex
# engine tries each bracket once instead of once per spelling.)
DOT = r"(?:\.|\s?(?:\[(?:\.|dot)\]|\((?:\.|dot)\)|\{(?:\.|dot)\})\s?)"
AT = r"(?:@|\s?\[@\]\s?|\s?\(@\)\s?|\s?\[at\]\s?|\s?\(at\)\s?|\s?\{at\}\s?|\s\[at\]\s|\s\(at\)\s)"
COLON = r"(?::|\[:\]|\(:\))"
# Schemes analysts write for web links, defanged or not, and the protocols exploit strings
# carry (`${jndi:ldap://host/a}`): each names a host worth extracting.
SCHEMES = (
    r"(?:h(?:tt|xx|\*\*)ps?|meow|f(?:t|x)ps?|sftp|ldaps?|rmi|dns|iiop|corba|nds|nis"
    r"|smb|wss?|ssh|telnet|rdp|tcp|udp|gopher)"
)
SCHEME_SEPARATOR = r"(?:://|\[://\]|\[:\]//|\(:\)//|\[:/\]/|:\\\\)"

# Each replacement with what the value must hold for it to change anything (tested on the
# value as the replacements before it left it): most defanged values need one or two of the
# eight, and a substring test is far cheaper than a substitution that finds nothing.
_BRACKETS = "[({"
_REPLACEMENTS: list[tuple[re.Pattern[str], str, Callable[[str], bool]]] = [
    (
        re.compile(r"\s?[\[\(\{](?:\.|dot)[\]\)\}]\s?", re.IGNORECASE),
        ".",
        lambda value: any(bracket in value for bracket in _BRACKETS),
    ),
    (
        re.compile(r"\s?[\[\(\{](?:@|at)[\]\)\}]\s?", re.IGNORECASE),
        "@",
        lambda value: any(bracket in value for bracket in _BRACKETS),
    ),
    (re.compile(r"\[(://)\]"), "://", lambda value: "[://]" in value),
    (re.compile(r"\[:/\]/"), "://", lambda value: "[:/]/" in value),
    (re.compile(r"[\[\(](:)[\]\)]"), ":", lambda value: ":" in value),
    (
        re.compile(r"^(?:h[xX*]{2}p|meow)(s?)(?=:)", re.IGNORECASE),
        r"http\1",
        lambda value: value[:1] in ("h", "H", "m", "M"),
    ),
    (
        re.compile(r"^f[xX]p(s?)(?=:)", re.IGNORECASE),
        r"ftp\1",
        lambda value: value[:1] in ("f", "F"),
    ),
    (re.compile(r"^([a-z]+):\\\\", re.IGNORECASE), r"\1://", lambda value: "\\\\" in value),
]


# What every replacement above needs: a bracket or a backslash somewhere, or a defanged
# scheme at the start. Most values have none, and one search is far cheaper than eight.
_MAY_BE_DEFANGED = re.compile(r"[\[({\\]|^(?:h[x*]{2}p|meow|fxp)", re.IGNORECASE)


def refang(value: str) -> str:
    """The live form of one defanged value: `hxxps://evil[.]com` -> `https://evil.com`."""
    if not _MAY_BE_DEFANGED.search(value):
        return value
    for pattern, replacement, may_change in _REPLACEMENTS:
        if may_change(value):
            value = pattern.sub(replacement, value)
    return value


@lru_cache(maxsize=65536)
def is_defanged(value: str) -> bool:
    return refang(value) != value
