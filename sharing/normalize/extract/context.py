"""Reading the text around a match: the line it is on, the words before it, its header."""

import re

_HEADER = re.compile(r"^(?:>\s?)*([A-Za-z][A-Za-z0-9-]{1,40}):")


def line_at(text: str, position: int) -> tuple[int, int]:
    """Start and end offsets of the line holding `position`."""
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return start, len(text) if end == -1 else end


def before(text: str, position: int, width: int) -> str:
    """Up to `width` characters before `position` on the same line."""
    line_start = text.rfind("\n", 0, position) + 1
    return text[max(line_start, position - width) : position]


def header_name(text: str, position: int) -> str:
    """The e-mail header (lower case) whose value holds `position`, or "".

    Folded headers continue on lines starting with white space, so those are followed back
    to the line that names the header.
    """
    start, _ = line_at(text, position)
    for _ in range(20):
        line_end = text.find("\n", start)
        line = text[start : len(text) if line_end == -1 else line_end]
        if not line[:1].isspace() or start == 0:
            match = _HEADER.match(line)
            return match.group(1).lower() if match else ""
        start = text.rfind("\n", 0, start - 1) + 1
    return ""
