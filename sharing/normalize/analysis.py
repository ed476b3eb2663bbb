"""What the portal finds in a text before it is shared: the preview the analyst confirms.

`analyse_text` is pure (no database): indicators, warning-list hits, redactions of personal
data, the redacted text and competitively sensitive phrases. `analyse_for_organisation`
loads the domains it needs from the database and calls it.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sharing.normalize.antitrust import SensitiveHit, find_sensitive
from sharing.normalize.extract import Extracted, IndicatorType, extract
from sharing.normalize.scrub import Redaction, apply_redactions, find_redactions
from sharing.normalize.warninglists import warning_list_for

if TYPE_CHECKING:
    from accounts.models import Organisation


@dataclass(frozen=True, slots=True)
class WarningHit:
    """A value that looks like an indicator but is on a warning list (`list_name` says which)."""

    value: str
    type: IndicatorType
    list_name: str


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """The result of analysing one text.

    indicators: one `Extracted` (type, value, start, end, original) per distinct value, at
    its first occurrence, neither warning-listed nor personal data.
    warning_hits: values not turned into indicators and why (the analyst may insist).
    redactions: personal data removed (kind email/phone/person, original, replacement).
    redacted_text: the text with those redactions applied: what may be shared.
    sensitive: competitively sensitive phrases (category price/cost/bid/salary/strategy).
    """

    indicators: tuple[Extracted, ...]
    warning_hits: tuple[WarningHit, ...]
    redactions: tuple[Redaction, ...]
    redacted_text: str
    sensitive: tuple[SensitiveHit, ...]


def analyse_text(
    text: str,
    *,
    own_domains: Collection[str],
    member_domains: Collection[str],
    allow_documentation_ranges: bool = False,
) -> TextAnalysis:
    """Analyse `text` written by a member whose domains are `own_domains`.

    `member_domains` are all member organisations' registered domains: addresses there
    belong to victims and are redacted. Documentation ranges (192.0.2.0/24, example.com ...)
    are warning-listed unless `allow_documentation_ranges`.
    """
    extracted = extract(text)
    redactions = find_redactions(text, extracted, member_domains=member_domains)
    redacted_spans = {(redaction.start, redaction.end) for redaction in redactions}

    indicators: list[Extracted] = []
    hits: list[WarningHit] = []
    seen: set[tuple[IndicatorType, str]] = set()
    for item in extracted:
        key = (item.type, item.value)
        if key in seen or (item.start, item.end) in redacted_spans:
            continue
        seen.add(key)
        list_name = warning_list_for(
            item.type,
            item.value,
            own_domains=own_domains,
            allow_documentation_ranges=allow_documentation_ranges,
        )
        if list_name:
            hits.append(WarningHit(item.value, item.type, list_name))
        else:
            indicators.append(item)
    return TextAnalysis(
        indicators=tuple(indicators),
        warning_hits=tuple(hits),
        redactions=tuple(redactions),
        redacted_text=apply_redactions(text, redactions),
        sensitive=tuple(find_sensitive(text)),
    )


def analyse_for_organisation(text: str, *, organisation: "Organisation") -> TextAnalysis:
    """`analyse_text` for a text written for `organisation`, with domains from the database."""
    from django.conf import settings

    from accounts.models import OrganisationDomain

    rows = OrganisationDomain.objects.values_list("organisation_id", "domain")
    member_domains = {domain.lower() for _, domain in rows}
    own_domains = {domain.lower() for org_id, domain in rows if org_id == organisation.pk}
    return analyse_text(
        text,
        own_domains=own_domains,
        member_domains=member_domains,
        allow_documentation_ranges=settings.NORMALIZE_ALLOW_DOCUMENTATION_RANGES,
    )
