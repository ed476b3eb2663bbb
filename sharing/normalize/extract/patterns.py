"""Regular expressions spelt so that the engine can skip ahead.

Python's engine searches quickly only for a pattern that starts with a literal character or
a character class: it jumps to the next place one occurs. A pattern starting with `\\b`, a
lookbehind or an alternation of case-insensitive words is tried at every position of the
text, which costs far more than the few places that could match.
"""

from collections.abc import Iterable

# Under IGNORECASE these letters also match non-ASCII ones (dotted capital I, dotless i,
# long s, Kelvin sign): spelt out so the case-sensitive class matches the same characters.
_ALSO_MATCHED = {"i": "\u0130\u0131", "s": "\u017f", "k": "\u212a"}


def _cases(letter: str) -> str:
    return letter.lower() + letter.upper() + _ALSO_MATCHED.get(letter.lower(), "")


def words_at_word_start(words: Iterable[str]) -> str:
    """A pattern matching what `\\b(?i:word|word|...)` matches, where each word (a regular
    expression) starts with an ASCII letter: one class of the first letters (the engine
    skips to the next one), a lookbehind for the word boundary, then the rest of the words
    starting with that letter, in their order, case-insensitive."""
    groups: dict[str, list[str]] = {}
    for word in words:
        first = word[:1].lower()
        if not (first.isascii() and first.isalpha()):
            raise ValueError(f"{word!r} does not start with an ASCII letter")
        groups.setdefault(first, []).append(word[1:])
    letters = "".join(_cases(letter) for letter in groups)
    branches = "|".join(
        f"(?<=[{_cases(letter)}])(?i:{'|'.join(rests)})" for letter, rests in groups.items()
    )
    # The first letter is a word character, so \b before it means: no word character before.
    return rf"[{letters}](?<!\w.)(?:{branches})"


def character_table(characters: str) -> bytes:
    """A bytes.translate table sending each of `characters` (ASCII) to "x", the rest to " "."""
    return bytes(ord("x") if chr(code) in characters else ord(" ") for code in range(256))


def runs(text: str, table: bytes, shortest: int) -> list[tuple[int, int]] | None:
    """The maximal runs of at least `shortest` characters of `table` (see character_table)
    in `text`, as (start, end) offsets; None when they cannot be computed this way.

    A value made of such characters (a hash is a run of hex digits) can only be inside such
    a run: the text is mapped to bytes once and searched with bytes.find, at the speed of a
    memory scan, instead of trying a pattern at every hex digit of the text.
    """
    # Each non-ASCII character becomes one "?", so offsets stay those of the text.
    mapped = text.encode("ascii", "replace").translate(table)
    if len(mapped) != len(text):
        return None
    needle = b"x" * shortest
    found: list[tuple[int, int]] = []
    position = 0
    while (start := mapped.find(needle, position)) != -1:
        end = mapped.find(b" ", start + shortest)
        end = len(mapped) if end == -1 else end
        found.append((start, end))
        position = end
    return found


def span_of_runs(text: str, table: bytes, shortest: int) -> tuple[int, int] | None:
    """From the start of the first run of at least `shortest` characters of `table` to the
    end of the last one (see `runs`), or None when there is none. One search over that span
    costs less than one per run when a text is a list of such values."""
    mapped = text.encode("ascii", "replace").translate(table)
    if len(mapped) != len(text):
        return 0, len(text)
    needle = b"x" * shortest
    first = mapped.find(needle)
    if first == -1:
        return None
    end = mapped.find(b" ", mapped.rfind(needle) + shortest)
    return first, len(mapped) if end == -1 else end
