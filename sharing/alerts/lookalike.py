"""Look-alike domain names: homoglyphs, typing mistakes and names embedded in other names.

Pure functions, no database. An organisation's domain label ("example-bank" of
example-bank.com) is compared with the labels of a published host name in three ways:

- the same *skeleton* (Unicode TR39's idea, with a table of the confusables that
  phishing actually uses: Cyrillic and Greek letters that look Latin, digits that look like
  letters, "rn" for "m"), so "examp1e-bank", or "example-bank" written with Cyrillic
  letters, look like it;
- one edit away (insertion, deletion, substitution or swap of neighbours), found through a
  deletion index (SymSpell's trick): every label and every one-letter deletion of it is a
  key, so a look-up costs O(length) whatever the number of organisations;
- the label as hyphen-separated words inside a longer label ("example-bank-login").

Short labels are left alone: one edit away from a four-letter name is half the dictionary.
The thresholds were chosen by measuring false positives (tests/test_alerts_matching.py).
"""

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

# Shortest label compared by edit distance and by embedding in a longer label.
MIN_TYPO_LENGTH = 6
# Shortest label whose skeleton (homoglyph) or other-suffix twin is reported.
MIN_SKELETON_LENGTH = 4

# Characters that render like a Latin letter in the fonts browsers use for the address bar.
_CONFUSABLE = str.maketrans(
    {
        "\N{CYRILLIC SMALL LETTER A}": "a",
        "\N{CYRILLIC SMALL LETTER VE}": "b",
        "\N{CYRILLIC SMALL LETTER ES}": "c",
        "\N{CYRILLIC SMALL LETTER KOMI DE}": "d",
        "\N{CYRILLIC SMALL LETTER IE}": "e",
        "\N{CYRILLIC SMALL LETTER SHHA}": "h",
        "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}": "i",
        "\N{CYRILLIC SMALL LETTER JE}": "j",
        "\N{CYRILLIC SMALL LETTER KA}": "k",
        "\N{CYRILLIC SMALL LETTER PALOCHKA}": "l",
        "\N{CYRILLIC SMALL LETTER EM}": "m",
        "\N{CYRILLIC SMALL LETTER EN}": "h",
        "\N{CYRILLIC SMALL LETTER O}": "o",
        "\N{CYRILLIC SMALL LETTER ER}": "p",
        "\N{CYRILLIC SMALL LETTER QA}": "q",
        "\N{CYRILLIC SMALL LETTER DZE}": "s",
        "\N{CYRILLIC SMALL LETTER TE}": "t",
        "\N{ARMENIAN SMALL LETTER SEH}": "u",
        "\N{GREEK SMALL LETTER NU}": "v",
        "\N{CYRILLIC SMALL LETTER WE}": "w",
        "\N{CYRILLIC SMALL LETTER HA}": "x",
        "\N{CYRILLIC SMALL LETTER U}": "y",
        "\N{CYRILLIC SMALL LETTER STRAIGHT U}": "y",
        "\N{LATIN SMALL LETTER SCRIPT G}": "g",
        "\N{GREEK SMALL LETTER ALPHA}": "a",
        "\N{GREEK SMALL LETTER BETA}": "b",
        "\N{GREEK SMALL LETTER EPSILON}": "e",
        "\N{GREEK SMALL LETTER ETA}": "n",
        "\N{GREEK SMALL LETTER IOTA}": "i",
        "\N{GREEK SMALL LETTER KAPPA}": "k",
        "\N{GREEK SMALL LETTER OMICRON}": "o",
        "\N{GREEK SMALL LETTER RHO}": "p",
        "\N{GREEK SMALL LETTER TAU}": "t",
        "\N{GREEK SMALL LETTER UPSILON}": "u",
        "\N{GREEK SMALL LETTER CHI}": "x",
        "\N{GREEK SMALL LETTER OMEGA}": "w",
        "\N{GREEK LUNATE SIGMA SYMBOL}": "c",
        "\N{LATIN SMALL LETTER DOTLESS I}": "i",
        "\N{LATIN SMALL LETTER L WITH STROKE}": "l",
        "\N{LATIN SMALL LETTER O WITH STROKE}": "o",
        "\N{LATIN SMALL LETTER SHARP S}": "b",
        "0": "o",
        "1": "l",
        "3": "e",
        "5": "s",
        "7": "t",
        "|": "l",
        "!": "l",
    }
)
# Letter pairs read as one letter at a glance, replaced after the single characters.
_DIGRAPHS = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("ii", "u"))


@lru_cache(maxsize=131072)
def unicode_label(label: str) -> str:
    """The label as a person reads it: punycode (xn--) decoded, lower case."""
    if label.startswith("xn--"):
        try:
            return label.encode("ascii").decode("idna").lower()
        except UnicodeError:
            return label.lower()
    return label.lower()


@lru_cache(maxsize=131072)
def skeleton(label: str) -> str:
    """What the label looks like: accents dropped, confusables folded, hyphens ignored."""
    decomposed = unicodedata.normalize("NFKD", unicode_label(label))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = plain.translate(_CONFUSABLE).replace("-", "").replace("_", "")
    # "i" and "l" are told apart in lower case, but "l" and "1" are not (folded above).
    for pair, single in _DIGRAPHS:
        folded = folded.replace(pair, single)
    return folded


def deletions(label: str) -> set[str]:
    """The label and every string one character shorter than it."""
    return {label} | {label[:i] + label[i + 1 :] for i in range(len(label))}


def within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance (optimal string alignment) of at most one."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    shorter, longer = (a, b) if la < lb else (b, a)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


@dataclass(frozen=True)
class Lookalike:
    """Why a host label looks like a registered one."""

    key: int  # what the caller registered (an asset id)
    how: str  # "homoglyph", "typo", "combination"


class LookalikeIndex:
    """Registered labels, indexed for look-alike questions about many host labels."""

    def __init__(self) -> None:
        self._labels: dict[str, list[int]] = {}
        self._skeletons: dict[str, list[int]] = {}
        self._deletions: dict[str, list[tuple[str, int]]] = {}
        self._words: dict[str, list[tuple[tuple[str, ...], int]]] = {}

    def add(self, label: str, key: int) -> None:
        label = unicode_label(label)
        self._labels.setdefault(label, []).append(key)
        if len(label) >= MIN_SKELETON_LENGTH:
            self._skeletons.setdefault(skeleton(label), []).append(key)
        if len(label) >= MIN_TYPO_LENGTH:
            for variant in deletions(label):
                self._deletions.setdefault(variant, []).append((label, key))
            words = tuple(label.split("-"))
            # Indexed by the first word: a host label's words are looked up one by one.
            self._words.setdefault(words[0], []).append((words, key))

    def exact(self, label: str) -> list[int]:
        return self._labels.get(unicode_label(label), [])

    def similar(self, label: str) -> Iterator[Lookalike]:
        """Registered labels that this (different) label imitates."""
        label = unicode_label(label)
        seen: set[int] = set(self._labels.get(label, ()))
        if len(label) >= MIN_SKELETON_LENGTH:
            for key in self._skeletons.get(skeleton(label), ()):
                if key not in seen:
                    seen.add(key)
                    yield Lookalike(key, "homoglyph")
        if len(label) >= MIN_TYPO_LENGTH - 1:
            for variant in deletions(label):
                for registered, key in self._deletions.get(variant, ()):
                    if key not in seen and within_one_edit(label, registered):
                        seen.add(key)
                        yield Lookalike(key, "typo")
        words = label.split("-")
        if len(words) > 1:
            for start, word in enumerate(words):
                for registered_words, key in self._words.get(word, ()):
                    end = start + len(registered_words)
                    if key not in seen and tuple(words[start:end]) == registered_words:
                        seen.add(key)
                        yield Lookalike(key, "combination")
