"""The labelled extraction corpus (tests/corpus/extraction): the targets members rely on,
enforced so a regression fails CI. Speed is measured by bench/extraction.py, not here."""

from functools import cache

import pytest

from tests.corpus.portal import portal_output
from tests.corpus.scoring import Document, Score, load_corpus, load_members, score

# Types the corpus must exercise: every indicator type the portal extracts.
ALL_TYPES = {
    "ipv4", "ipv6", "cidr", "domain", "url", "email", "md5", "sha1", "sha256", "sha512", "cve",
    "asn", "attack-technique", "crypto-wallet", "registry-key", "mutex", "file-name",
    "user-agent", "ja3", "ja4",
}  # fmt: skip


@cache
def corpus_score() -> Score:
    documents = load_corpus()
    members = load_members()
    return score(documents, {doc.name: portal_output(members, doc) for doc in documents})


def test_corpus_has_forty_varied_documents_covering_every_type() -> None:
    documents = load_corpus()

    assert len(documents) >= 40
    assert len({document.source for document in documents}) >= 20
    assert {kind for document in documents for kind in document.expected} == ALL_TYPES


def test_members_get_at_least_97_percent_of_the_values_a_careful_analyst_lists() -> None:
    result = corpus_score()

    missed = "\n".join(f"{doc}: {kind} {value}" for doc, kind, value in result.missed)
    assert result.recall() >= 0.97, missed
    for kind in ALL_TYPES:
        assert result.recall(kind) >= 0.9, f"{kind}: {result.recall(kind):.0%}\n{missed}"


def test_at_most_one_benign_or_reference_value_per_ten_documents_reaches_members() -> None:
    result = corpus_score()

    assert len(result.forbidden) * 10 <= result.documents, result.forbidden


def test_no_personal_data_leaves_the_portal_in_indicators_or_the_stix_bundle() -> None:
    result = corpus_score()

    assert result.leaked_in_indicators == []
    assert result.leaked_in_bundle == []


def test_derived_hosts_labels_and_references_are_all_offered() -> None:
    result = corpus_score()

    assert result.derived_found == result.derived_expected
    assert result.labels_found == result.labels_expected
    assert result.references_found == result.references_expected


def test_every_antitrust_category_is_flagged_and_threat_reports_raise_none() -> None:
    result = corpus_score()

    assert result.antitrust_found == result.antitrust_expected
    assert result.antitrust_false == []


@pytest.mark.parametrize("document", load_corpus(), ids=lambda document: document.name)
def test_each_corpus_document_leaks_nothing_personal(document: Document) -> None:
    output = portal_output(load_members(), document)

    result = score([document], {document.name: output})
    assert result.leaked_in_indicators == []
    assert result.leaked_in_bundle == []
