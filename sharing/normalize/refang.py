"""Undo the defanging analysts apply so indicators cannot be clicked: hxxp, [.], [at] ...

The extractor matches defanged text directly (so it can report where in the original text a
value was) and calls `refang` on each match.
"""

import re
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

# The replacements, in the order they apply. Most defanged values need one or two of them,
# and a substring test is far cheaper than a substitution that finds nothing, so `refang`
# tests for what each needs first (written out: a table of tests cost a call apiece).
_BRACKETED_DOT = re.compile(r"\s?[\[\(\{](?:\.|dot)[\]\)\}]\s?", re.IGNORECASE)
_BRACKETED_AT = re.compile(r"\s?[\[\(\{](?:@|at)[\]\)\}]\s?", re.IGNORECASE)
_BRACKETED_SEPARATOR = re.compile(r"\[(://)\]")
_HALF_BRACKETED_SEPARATOR = re.compile(r"\[:/\]/")
_BRACKETED_COLON = re.compile(r"[\[\(](:)[\]\)]")
_DEFANGED_HTTP = re.compile(r"^(?:h[xX*]{2}p|meow)(s?)(?=:)", re.IGNORECASE)
_DEFANGED_FTP = re.compile(r"^f[xX]p(s?)(?=:)", re.IGNORECASE)
_BACKSLASH_SEPARATOR = re.compile(r"^([a-z]+):\\\\", re.IGNORECASE)

# What every replacement above needs: a bracket or a backslash somewhere, or a defanged
# scheme at the start. Most values have none, and one search is far cheaper than eight.
_MAY_BE_DEFANGED = re.compile(r"[\[({\\]|^(?:h[x*]{2}p|meow|fxp)", re.IGNORECASE)


def refang(value: str) -> str:
    """The live form of one defanged value: `hxxps://evil[.]com` -> `https://evil.com`."""
    if not _MAY_BE_DEFANGED.search(value):
        return value
    if "[" in value or "(" in value or "{" in value:
        value = _BRACKETED_DOT.sub(".", value)
        if "[" in value or "(" in value or "{" in value:
            value = _BRACKETED_AT.sub("@", value)
            if "[://]" in value:
                value = _BRACKETED_SEPARATOR.sub("://", value)
            if "[:/]/" in value:
                value = _HALF_BRACKETED_SEPARATOR.sub("://", value)
            if "[:" in value or "(:" in value:
                value = _BRACKETED_COLON.sub(":", value)
    first = value[:1]
    if first in ("h", "H", "m", "M"):
        value = _DEFANGED_HTTP.sub(r"http\1", value)
    elif first in ("f", "F"):
        value = _DEFANGED_FTP.sub(r"ftp\1", value)
    if "\\\\" in value:
        value = _BACKSLASH_SEPARATOR.sub(r"\1://", value)
    return value


@lru_cache(maxsize=65536)
def is_defanged(value: str) -> bool:
    return refang(value) != value
