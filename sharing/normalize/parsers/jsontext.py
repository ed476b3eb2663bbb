"""Strings PostgreSQL cannot store, found in decoded JSON before anything is written.

PostgreSQL text and jsonb refuse the NUL character (\\u0000), and UTF-8 has no encoding
for a lone surrogate (\\ud800): either would otherwise fail deep inside a transaction.
"""

from collections.abc import Iterator
from typing import Any


def unstorable_text(value: Any, *, max_depth: int, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, problem) for each string (key or value) that cannot be stored.

    Iterative, and stops at `max_depth` with a problem of its own, so hostile nesting costs
    neither recursion nor time."""
    stack: list[tuple[str, Any, int]] = [(path, value, 0)]
    while stack:
        where, item, depth = stack.pop()
        if depth > max_depth:
            yield where or "(top)", f"nested more than {max_depth} levels deep"
            return
        if isinstance(item, str):
            if problem := _string_problem(item):
                yield where or "(top)", problem
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{where}.{key}" if where else str(key)
                if problem := _string_problem(str(key)):
                    yield child_path, f"its name {problem}"
                stack.append((child_path, child, depth + 1))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                stack.append((f"{where}[{index}]", child, depth + 1))


def _string_problem(text: str) -> str:
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which is not allowed"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (such as \\ud800), which is not text"
    return ""
