"""Fast overlap tests against many spans (a text can hold 100,000 indicators)."""

import bisect
from collections.abc import Iterable
from itertools import accumulate


class Spans:
    """Sorted, possibly overlapping (start, end) spans with logarithmic lookups."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self._spans = sorted(spans)
        self._starts = [start for start, _ in self._spans]
        # The largest end among spans up to each index: a span ending after `start` exists
        # before index i exactly when this running maximum is greater than `start`.
        self._max_end: list[int] = list(accumulate((end for _, end in self._spans), max))

    def overlaps(self, start: int, end: int) -> bool:
        index = bisect.bisect_left(self._starts, end) - 1
        return index >= 0 and self._max_end[index] > start

    def containing(self, start: int, end: int) -> tuple[int, int] | None:
        """The span that contains [start, end), if any (the nearest one starting before)."""
        index = bisect.bisect_right(self._starts, start) - 1
        while index >= 0:
            span = self._spans[index]
            if span[1] >= end:
                return span
            if self._max_end[index] < end:
                return None
            index -= 1
        return None
