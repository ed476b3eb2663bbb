"""Look-alike domains: hosts written with letters of other scripts that render like a
member's domain (Cyrillic "о" in nоrthwind-bank.com). Pure."""

import unicodedata
from collections.abc import Collection
from functools import lru_cache

from sharing.normalize.extract.network import domain_and_parents, unicode_form

LOOK_ALIKE_LABEL = "look-alike-domain"

# Letters that render like Latin ones (Unicode confusables, the common subset).
_CONFUSABLES = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "ѕ": "s",
        "һ": "h",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "ӏ": "l",
        "ь": "b",
        "ո": "n",
        "α": "a",
        "β": "b",
        "ε": "e",
        "η": "n",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ω": "w",
        "ı": "i",
        "ɡ": "g",
        "ɑ": "a",
    }
)


@lru_cache(maxsize=65536)
def skeleton(domain: str) -> str:
    """`domain` with look-alike letters replaced by the Latin letters they imitate."""
    text = unicode_form(domain).lower().translate(_CONFUSABLES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def imitated_domain(domain: str, protected: Collection[str]) -> str | None:
    """The protected (member) domain that `domain` imitates, if it is a Unicode look-alike."""
    shown = unicode_form(domain)
    if shown.isascii():
        return None
    return next(
        (parent for parent in domain_and_parents(skeleton(domain)) if parent in protected), None
    )
