"""What extraction produces: indicator types and one found value."""

from dataclasses import dataclass

from sharing.indicator_types import IndicatorType as IndicatorType  # extraction names it here too
from sharing.normalize.carriers import quick_init

HASH_TYPES = frozenset(
    {IndicatorType.MD5, IndicatorType.SHA1, IndicatorType.SHA256, IndicatorType.SHA512}
)


@quick_init
@dataclass(frozen=True, slots=True)
class Extracted:
    """One indicator found in text: its type, normalised value and where it was.

    `derived_from` is set on values the text did not write on their own (the host of a URL,
    the domain of an attacker's address); `labels` carry what the analyst should know
    (`look-alike-domain`, `hosted-on-shared-service`, `derived` ...).
    """

    type: IndicatorType
    value: str
    start: int
    end: int
    original: str
    derived_from: str = ""
    labels: tuple[str, ...] = ()
