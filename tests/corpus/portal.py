"""What the portal shares for one corpus document, as plain values for scoring.

Runs the same pure pipeline as the worker (prepare, classify, STIX objects) without the
database. Needs Django settings (the pipeline reads them), not a database.
"""

import json
from datetime import UTC, datetime

from sharing.normalize.parsers import NormalisationError
from sharing.normalize.pipeline import (
    Classified,
    Context,
    Prepared,
    classify,
    indicator_objects,
    prepare,
)
from sharing.stix.objects import deterministic_id
from tests.corpus.scoring import Document, Output

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
IDENTITY = deterministic_id("identity", "corpus")
MARKING = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def context_for(members: dict[str, list[str]], document: Document) -> Context:
    member_domains = {domain for domains in members.values() for domain in domains}
    return Context(own_domains=set(members[document.submitter]), member_domains=member_domains)


def analyse(members: dict[str, list[str]], document: Document) -> tuple[Prepared, Classified]:
    """Extraction, warning lists, scrubbing and flags: the step the benchmark times."""
    context = context_for(members, document)
    prepared = prepare(document.kind, document.text.encode(), context=context)
    return prepared, classify(prepared.indicators, context=context)


def portal_output(members: dict[str, list[str]], document: Document) -> Output:
    """The indicators, labels, references and STIX text the portal would share."""
    try:
        prepared, classified = analyse(members, document)
    except NormalisationError:
        return Output()
    objects = list(
        indicator_objects(
            classified.kept,
            report_key=document.name,
            now=NOW,
            identity_id=IDENTITY,
            marking_id=MARKING,
        )
    )
    report = {
        "type": "report",
        "name": prepared.title,
        "description": prepared.description,
        "external_references": prepared.references,
    }
    output = Output(shared_text=json.dumps([*objects, report], ensure_ascii=False))
    for item in classified.kept:
        bucket = output.derived if "derived" in item.labels else output.indicators
        bucket.setdefault(item.type.value, set()).add(item.value)
        output.labels.setdefault(item.value, set()).update(item.labels)
    output.references = {
        reference["url"] for reference in prepared.references if "url" in reference
    }
    if prepared.analysis is not None:
        output.antitrust = {hit.category for hit in prepared.analysis.sensitive}
    return output
