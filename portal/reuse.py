"""Answers kept for the rest of one read-only request.

A page asks the policies many questions about one viewer: the report, its indicators,
comments, sightings, versions, files, the current agreement version behind good standing.
Within a request that changes nothing (GET, HEAD: see sharing.middleware) the answers
cannot change, so each query is built once and each answer read once. Outside such a
request (services, tasks, tests) nothing is kept: every call asks afresh.
"""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_kept: ContextVar[dict[Hashable, Any] | None] = ContextVar("request_reuse", default=None)


@contextmanager
def reused_within_request() -> Iterator[None]:
    """Keep answers for the rest of this read-only request."""
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def reused(key: Hashable, build: Callable[[], T]) -> T:
    """`build()`, or what it gave earlier in this read-only request."""
    kept = _kept.get()
    if kept is None:
        return build()
    if key not in kept:
        kept[key] = build()
    value: T = kept[key]
    return value
