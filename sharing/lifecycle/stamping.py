"""Lifecycle properties on the indicator objects normalisation stores.

Normalisation passes its STIX objects through `Stamper.stamp` before storing them, so an
indicator's first version already carries `valid_until` and `confidence` (and a re-read of
a report's text repeats what later versions said, instead of undoing it).
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from sharing.lifecycle.decay import DecayRule, current_score, valid_until
from sharing.lifecycle.selectors import base_score_of, rules_in_force
from sharing.models import Report, ReportIndicator
from sharing.normalize.parsers.stix import indicators_in
from sharing.stix.objects import parse_timestamp, timestamp


class Stamper:
    """Stamps the indicator objects of one report's normalisation run at `now`."""

    def __init__(self, *, report: Report, now: datetime) -> None:
        self.now = now
        self.rules = rules_in_force()
        self.links = {
            (link.indicator.type, link.indicator.value): link
            for link in ReportIndicator.objects.filter(report=report).select_related("indicator")
        }

    def stamp(self, objects: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for obj in objects:
            if obj.get("type") == "indicator" and not obj.get("revoked"):
                named = {(item.type.value, item.value) for item in indicators_in(obj)}
                if len(named) == 1:
                    obj = self._stamped(obj, *named.pop())
            yield obj

    def _stamped(self, obj: dict[str, Any], kind: str, value: str) -> dict[str, Any]:
        rule = self.rules.get(kind)
        if rule is None:
            return obj
        link = self.links.get((kind, value))
        base: int
        if link is None:
            given = _confidence(obj)
            base = given if given is not None else rule.base_score
            start = self.now
        else:
            known = base_score_of(link, rule)
            base = known if known is not None else rule.base_score
            start = link.decay_from
        until = link.valid_until if link is not None and link.valid_until else None
        if until is None:
            until = valid_until(start=start, base=base, rule=rule)
        stamped = dict(obj)
        stamped["confidence"] = current_score(base=base, start=start, now=self.now, rule=rule)
        stamped["valid_until"] = timestamp(after_valid_from(until, obj))
        if link is not None and link.revoked_at is not None:
            stamped["revoked"] = True
        return stamped


def _confidence(obj: dict[str, Any]) -> int | None:
    value = obj.get("confidence")
    return min(value, 100) if isinstance(value, int) and value >= 0 else None


def after_valid_from(until: datetime, obj: dict[str, Any]) -> datetime:
    """STIX asks valid_until to be later than valid_from."""
    try:
        valid_from = parse_timestamp(str(obj.get("valid_from")))
    except ValueError:
        return until
    return max(until, valid_from + timedelta(milliseconds=1))


def lifecycle_start(
    *, report: Report, now: datetime, rules: dict[str, DecayRule] | None = None
) -> None:
    """Start the clock of the report's new links (those without a valid_until): from `now`,
    the moment the stamped objects were written. One UPDATE per (type, source confidence),
    so a bundle of 100,000 values costs a handful of statements."""
    rules = rules if rules is not None else rules_in_force()
    fresh = ReportIndicator.objects.filter(
        report=report, valid_until__isnull=True, revoked_at__isnull=True
    )
    pairs = fresh.order_by().values_list("indicator__type", "confidence").distinct()
    for kind, confidence in list(pairs):
        rule = rules.get(kind)
        if rule is None:
            continue
        base = min(confidence, 100) if confidence is not None else rule.base_score
        fresh.filter(
            Q(confidence=confidence) if confidence is not None else Q(confidence__isnull=True),
            indicator__type=kind,
            base_score__isnull=True,
        ).update(decay_from=now, valid_until=valid_until(start=now, base=base, rule=rule))
