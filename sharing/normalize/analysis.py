"""What the portal finds in a text before it is shared: the preview the analyst confirms.

`analyse_text` is pure (no database): indicators (with derived ones and labels), warning-
list hits, references, redactions of personal data, the redacted text and competitively
sensitive phrases. `analyse_for_organisation` loads the domains it needs and calls it.
"""

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sharing.normalize.antitrust import SensitiveHit, find_sensitive
from sharing.normalize.carriers import quick_init
from sharing.normalize.extract import Extracted, IndicatorType, derived_indicators, extract
from sharing.normalize.extract.network import scrub_url, unicode_form, url_host
from sharing.normalize.extract.spans import Spans
from sharing.normalize.lookalikes import LOOK_ALIKE_LABEL, imitated_domain
from sharing.normalize.references import Reference, split_references
from sharing.normalize.scrub import Redaction, apply_redactions, find_redactions
from sharing.normalize.warninglists import (
    SHARED_SERVICE_LABEL,
    domain_flags,
    url_flags,
    warning_list_for,
)

if TYPE_CHECKING:
    from accounts.models import Organisation


@quick_init
@dataclass(frozen=True, slots=True)
class WarningHit:
    """A value that looks like an indicator but is on a warning list (`list_name` says which)."""

    value: str
    type: IndicatorType
    list_name: str


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """The result of analysing one text.

    indicators: one `Extracted` (type, value, start, end, original, derived_from, labels) per
    distinct value, at its first occurrence, neither warning-listed nor personal data; links
    are scrubbed of addresses; derived ones (URL hosts, attackers' mail domains) follow.
    notes: a sentence per indicator value that needs one (look-alike of which domain,
    derived from what), used as the indicator's description.
    warning_hits: values not turned into indicators and why (the analyst may insist).
    references: advisory sources and contacts cited, for the report's external_references.
    redactions: personal data removed (kind email/phone/person, original, replacement).
    redacted_text: the text with those redactions applied: what may be shared.
    sensitive: competitively sensitive phrases with their category and why.
    """

    indicators: tuple[Extracted, ...]
    warning_hits: tuple[WarningHit, ...]
    redactions: tuple[Redaction, ...]
    redacted_text: str
    sensitive: tuple[SensitiveHit, ...]
    references: tuple[Reference, ...] = ()
    notes: dict[str, str] = dataclasses.field(default_factory=dict)


def _label(item: Extracted, protected: Collection[str]) -> tuple[tuple[str, ...] | None, str]:
    """The item's labels when they change (None when they stay as they are), and a note for
    its description. Depends only on the item's type, value, labels and derived_from."""
    labels = list(item.labels)
    note = ""
    kind = item.type
    if kind == IndicatorType.URL or kind == IndicatorType.DOMAIN:
        is_url = kind == IndicatorType.URL
        labels += url_flags(item.value) if is_url else domain_flags(item.value)
        host = url_host(item.value) if is_url else item.value
        imitated = imitated_domain(host.split(":")[0], protected)
        if imitated:
            labels.append(LOOK_ALIKE_LABEL)
            note = (
                f"Look-alike of the member domain {imitated}: written {unicode_form(host)} "
                f"with letters of another script ({host} in DNS)."
            )
        if SHARED_SERVICE_LABEL in labels:
            note = (note + " " if note else "") + (
                f"Hosted on a shared service ({host}): block this exact value, not the service."
            )
    if item.derived_from:
        what = "host of the URL" if "://" in item.derived_from else "domain of the address"
        note = (note + " " if note else "") + f"Derived: the {what} {item.derived_from}."
    if not labels:  # nothing to add, nothing to drop
        return None, note
    kept = tuple(label for label in dict.fromkeys(labels) if label != "idn")
    return (None if kept == item.labels else kept), note


# The warning list, labels and note of a value depend only on the value and the analysis
# context (members' domains, the submitter's, documentation ranges allowed), and the same
# values recur from text to text (a campaign's hosts in every member's report): they are
# remembered per context. Bounded: a context's memo is emptied when it is full.
_MEMO_VALUES = 65536
_UNKNOWN = object()


@lru_cache(maxsize=16)
def _memo(own: frozenset[str], members: frozenset[str], allow: bool) -> dict[Any, Any]:
    return {}


def analyse_text(
    text: str,
    *,
    own_domains: Collection[str],
    member_domains: Collection[str],
    allow_documentation_ranges: bool = False,
) -> TextAnalysis:
    """Analyse `text` written by a member whose domains are `own_domains`.

    `member_domains` are all member organisations' registered domains: hosts there are not
    indicators and addresses there belong to victims and are redacted. Documentation ranges
    (192.0.2.0/24, example.com ...) are warning-listed unless `allow_documentation_ranges`.
    """
    own_domains = frozenset(map(str.lower, own_domains))
    member_domains = frozenset(map(str.lower, member_domains))
    extracted = extract(text)
    redactions = find_redactions(text, extracted, member_domains=member_domains)
    redacted_spans = Spans((r.start, r.end) for r in redactions if r.kind == "email")
    candidates, references = split_references(text, extracted)
    protected = member_domains | own_domains  # both in lower case already

    memo = _memo(own_domains, member_domains, allow_documentation_ranges)
    if len(memo) > _MEMO_VALUES:
        memo.clear()

    def listed(kind: IndicatorType, value: str) -> str | None:
        key = (kind, value)
        found = memo.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            found = memo[key] = warning_list_for(
                kind,
                value,
                own_domains=own_domains,
                member_domains=member_domains,
                allow_documentation_ranges=allow_documentation_ranges,
            )
        return found  # type: ignore[no-any-return]

    def labelled(item: Extracted) -> tuple[Extracted, str]:
        key = (item.type, item.value, item.labels, item.derived_from)
        found = memo.get(key)
        if found is None:
            found = memo[key] = _label(item, protected)
        labels, note = found
        if labels is None:
            return item, note
        # Built directly: dataclasses.replace reads the fields again for every value.
        return Extracted(
            item.type, item.value, item.start, item.end, item.original, item.derived_from, labels
        ), note

    indicators: list[Extracted] = []
    hits: list[WarningHit] = []
    notes: dict[str, str] = {}
    seen: set[tuple[IndicatorType, str]] = set()
    for item in candidates:
        if redacted_spans.containing(item.start, item.end):
            continue  # a victim's address
        if item.type == IndicatorType.URL:
            scrubbed = scrub_url(item.value)
            if scrubbed != item.value:
                item = Extracted(
                    item.type,
                    scrubbed,
                    item.start,
                    item.end,
                    item.original,
                    item.derived_from,
                    item.labels,
                )
        key = (item.type, item.value)
        if key in seen:
            continue
        seen.add(key)
        list_name = listed(item.type, item.value)
        if list_name:
            hits.append(WarningHit(item.value, item.type, list_name))
            continue
        labelled_item, note = labelled(item)
        indicators.append(labelled_item)
        if note:
            notes[item.value] = note
    for item in derived_indicators(indicators):
        if (item.type, item.value) in seen or listed(item.type, item.value):
            continue
        seen.add((item.type, item.value))
        labelled_item, note = labelled(item)
        indicators.append(labelled_item)
        notes[item.value] = note
    return TextAnalysis(
        indicators=tuple(indicators),
        warning_hits=tuple(hits),
        redactions=tuple(redactions),
        redacted_text=apply_redactions(text, redactions),
        sensitive=tuple(find_sensitive(text)),
        references=tuple(references),
        notes=notes,
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
