"""The labelled extraction corpus and how an extractor's output is scored against it.

Pure (no Django): `bench/extraction.py` prints these figures for the portal and for a peer
library, and `tests/test_normalize_corpus.py` enforces the portal's targets with them.
"""

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "extraction"

# Victims' data inside URLs is replaced by the portal; an expected URL matches whatever
# stands in that place (the value itself is checked by the personal-data count instead).
_PERSONAL_IN_URL = re.compile(
    r"\[redacted[^\]]*\]|[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
    r"|(?<=#)[A-Za-z0-9+/]{16,}={0,2}$"
)


@dataclass(frozen=True)
class Document:
    """One labelled document: its text and what a careful analyst expects from it."""

    name: str
    text: str
    kind: str  # the submission kind: "text" or "csv"
    source: str
    submitter: str
    expected: Mapping[str, tuple[str, ...]]
    derived: Mapping[str, tuple[str, ...]]
    labels: Mapping[str, str]
    references: tuple[str, ...]
    forbidden: tuple[str, ...]
    personal: tuple[str, ...]
    antitrust: tuple[str, ...]


@dataclass
class Output:
    """What one extractor produced for one document, as plain values.

    `indicators` maps a type to the values shared as indicators; `shared_text` is all other
    text that leaves the portal (the STIX bundle: descriptions, names, patterns).
    """

    indicators: dict[str, set[str]] = field(default_factory=dict)
    derived: dict[str, set[str]] = field(default_factory=dict)
    labels: dict[str, set[str]] = field(default_factory=dict)
    references: set[str] = field(default_factory=set)
    shared_text: str = ""
    antitrust: set[str] = field(default_factory=set)


def load_members() -> dict[str, list[str]]:
    data = json.loads((CORPUS_DIR / "members.json").read_text())
    return {name: domains for name, domains in data.items() if not name.startswith("_")}


def load_corpus() -> list[Document]:
    documents = []
    for sidecar in sorted(CORPUS_DIR.glob("[0-9]*.json")):
        label = json.loads(sidecar.read_text())
        kind = label.get("kind", "text")
        path = sidecar.with_suffix(".csv" if kind == "csv" else ".txt")
        documents.append(
            Document(
                name=sidecar.stem,
                text=path.read_text(),
                kind=kind,
                source=label["source"],
                submitter=label["submitter"],
                expected={k: tuple(v) for k, v in label.get("expected", {}).items()},
                derived={k: tuple(v) for k, v in label.get("derived", {}).items()},
                labels=label.get("labels", {}),
                references=tuple(label.get("references", ())),
                forbidden=tuple(label.get("forbidden", ())),
                personal=tuple(label.get("personal", ())),
                antitrust=tuple(label.get("antitrust", ())),
            )
        )
    return documents


def comparable(kind: str, value: str) -> str:
    """A form of `value` in which equal indicators compare equal whoever extracted them."""
    value = value.strip()
    if kind == "url":
        rest = value.split("://", 1)[-1]
        host, _, path = rest.partition("/")
        path = _PERSONAL_IN_URL.sub("<pd>", "/" + path if path or rest.endswith("/") else "")
        return host.lower().rstrip(".") + path.rstrip("/")
    if kind in ("registry-key", "mutex", "user-agent", "file-name", "crypto-wallet", "ja4"):
        return value if kind in ("crypto-wallet", "user-agent") else value.lower()
    return value.lower()


@dataclass
class Score:
    """Counts over the corpus for one extractor."""

    expected: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    missed: list[tuple[str, str, str]] = field(default_factory=list)
    derived_expected: int = 0
    derived_found: int = 0
    labels_expected: int = 0
    labels_found: int = 0
    references_expected: int = 0
    references_found: int = 0
    forbidden: list[tuple[str, str]] = field(default_factory=list)
    leaked_in_indicators: list[tuple[str, str]] = field(default_factory=list)
    leaked_in_bundle: list[tuple[str, str]] = field(default_factory=list)
    antitrust_expected: int = 0
    antitrust_found: int = 0
    antitrust_false: list[tuple[str, str]] = field(default_factory=list)
    documents: int = 0

    def recall(self, kind: str | None = None) -> float:
        expected = self.expected[kind] if kind else sum(self.expected.values())
        found = self.found[kind] if kind else sum(self.found.values())
        return found / expected if expected else 1.0


def _contains(haystack: str, needle: str) -> bool:
    """`needle` in `haystack` as a whole word or phrase, ignoring case."""
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack, re.IGNORECASE) is not None


def _matches_forbidden(entry: str, indicators: Mapping[str, set[str]]) -> bool:
    kind, _, value = (
        entry.partition(":") if re.match(r"^[a-z0-9-]+:(?!//)", entry) else ("", "", entry)
    )
    if not value:
        kind, value = "", entry
    for found_kind, values in indicators.items():
        if kind and found_kind != kind:
            continue
        target = comparable(found_kind, value)
        if any(comparable(found_kind, found) == target for found in values):
            return True
    return False


def score(documents: Iterable[Document], outputs: Mapping[str, Output]) -> Score:
    """Compare each document's labels with what the extractor produced for it."""
    result = Score()
    for document in documents:
        output = outputs[document.name]
        result.documents += 1
        for kind, values in document.expected.items():
            got = {comparable(kind, value) for value in output.indicators.get(kind, ())}
            for value in values:
                result.expected[kind] += 1
                if comparable(kind, value) in got:
                    result.found[kind] += 1
                else:
                    result.missed.append((document.name, kind, value))
        for kind, values in document.derived.items():
            got = {
                comparable(kind, value)
                for value in output.derived.get(kind, set()) | output.indicators.get(kind, set())
            }
            result.derived_expected += len(values)
            result.derived_found += sum(comparable(kind, value) in got for value in values)
        for value, label in document.labels.items():
            result.labels_expected += 1
            result.labels_found += label in output.labels.get(value, set())
        for reference in document.references:
            result.references_expected += 1
            result.references_found += reference in output.references
        for entry in document.forbidden:
            if _matches_forbidden(entry, output.indicators):
                result.forbidden.append((document.name, entry))
        every_value = [value for values in output.indicators.values() for value in values]
        every_value += [value for values in output.derived.values() for value in values]
        for personal in document.personal:
            if any(_contains(value, personal) for value in every_value):
                result.leaked_in_indicators.append((document.name, personal))
            if _contains(output.shared_text, personal):
                result.leaked_in_bundle.append((document.name, personal))
        result.antitrust_expected += len(document.antitrust)
        result.antitrust_found += len(set(document.antitrust) & output.antitrust)
        if not document.antitrust:
            # A text with nothing competitively sensitive must raise no flag at all.
            for category in sorted(output.antitrust):
                result.antitrust_false.append((document.name, category))
    return result
