"""Benchmark of indicator extraction and scrubbing on the labelled corpus (not a test).

    python bench/extraction.py [--repeat N] [--large-mb 1.0] [--peer-large-kb 256] [--no-peer]

For the portal and for ioc-finder (all its types, Unicode on) side by side, prints: recall per
indicator type on the values written standalone in the texts, forbidden values extracted
(members' hosts, benign infrastructure, versions, file and product names, references),
personal data leaked (in indicator values and, for the portal, anywhere in the STIX bundle
text), derived indicators, labels, references and antitrust flags; then speed: MB/s per
document (worst and median of the corpus) and on one large text made of the corpus repeated
(128 KB up to `--large-mb`), to show that time grows linearly with size.

The corpus is tests/corpus/extraction/ (see its README). ioc-finder is installed by the
`bench` extra: `pip install -e '.[bench]'`.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

import django

django.setup()

from tests.corpus.portal import analyse, context_for, portal_output  # noqa: E402
from tests.corpus.scoring import (  # noqa: E402
    Document,
    Output,
    Score,
    load_corpus,
    load_members,
    score,
)

Runner = Callable[[Document], Output]
Timed = Callable[[Document], object]


def portal_runner(members: dict[str, list[str]]) -> Runner:
    return lambda document: portal_output(members, document)


def portal_extraction(members: dict[str, list[str]]) -> Timed:
    """What is timed: extraction, warning lists, scrubbing and flags (not STIX building,
    which bench/normalize.py measures)."""
    return lambda document: analyse(members, document)


# ioc-finder's keys and the portal's types they correspond to.
PEER_TYPES = {
    "urls": "url",
    "urls_complete": "url",
    "domains": "domain",
    "ipv4s": "ipv4",
    "ipv6s": "ipv6",
    "ipv4_cidrs": "cidr",
    "ipv6_cidrs": "cidr",
    "email_addresses": "email",
    "email_addresses_complete": "email",
    "md5s": "md5",
    "sha1s": "sha1",
    "sha256s": "sha256",
    "sha512s": "sha512",
    "cves": "cve",
    "asns": "asn",
    "bitcoin_addresses": "crypto-wallet",
    "monero_addresses": "crypto-wallet",
    "registry_key_paths": "registry-key",
    "user_agents": "user-agent",
}


def peer_runner() -> Runner:
    import logging

    from ioc_finder.ioc_finder import SUPPORTED_IOC_TYPES, find_iocs

    logging.getLogger("ioc_finder").setLevel(logging.WARNING)

    def run(document: Document) -> Output:
        found = find_iocs(
            document.text, parse_unicode_iocs=True, included_ioc_types=SUPPORTED_IOC_TYPES
        )
        output = Output()
        for key, values in found.items():
            if isinstance(values, dict):  # ATT&CK: {framework: [ids]}
                flat = [value for group in values.values() for value in group]
                kind = "attack-technique" if "technique" in key else f"other:{key}"
            else:
                flat = list(values)
                kind = PEER_TYPES.get(key, f"other:{key}")
            if key == "asns":
                flat = [f"AS{value}" if value.isdigit() else value for value in flat]
            if key == "file_paths":
                names = {value.replace("\\", "/").rsplit("/", 1)[-1] for value in flat}
                output.indicators.setdefault("file-name", set()).update(names)
            output.indicators.setdefault(kind, set()).update(flat)
        # Without scrubbing, the whole text is what a member would share along.
        output.shared_text = document.text
        return output

    return run


def _memories() -> list[Any]:
    """The pipeline's per-value memories (functools caches of more than one entry)."""
    found = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("sharing.normalize"):
            continue
        for value in vars(module).values():
            info = getattr(value, "cache_info", None)
            if info is not None and info().maxsize != 1:
                found.append(value)
    return found


_MEMORIES: list[Any] = []
_MODULES_SEEN = [0]  # how many modules were loaded when _MEMORIES was listed


def forget_values() -> None:
    """Empty the pipeline's per-value memories (URL and address normalisation, warning-list
    decisions, ...), keeping the data loaded once per process (warning lists, patterns).

    Each timed run then pays for its values as a text of new values would: the benchmark
    analyses every document once before timing it, and a run that found the same values
    remembered would measure the memory, not the extraction. The memories are listed once
    (walking every loaded module before each run took longer than analysing a document and
    left the processor's caches cold for the run it timed).
    """
    if len(sys.modules) != _MODULES_SEEN[0]:  # a module was imported since: list again
        _MEMORIES[:] = _memories()
        _MODULES_SEEN[0] = len(sys.modules)
    for memory in _MEMORIES:
        memory.cache_clear()


def evaluate(
    documents: list[Document], run: Runner, timed: Timed, repeat: int
) -> tuple[Score, list[float]]:
    """Scores, and MB/s per document measured in CPU time of this process (on a shared
    machine wall-clock time mostly measures the neighbours; the load average is printed),
    each timed run with the per-value memories emptied first (`forget_values`); the median
    of the runs, since a garbage collection of everything the benchmark holds now and then
    lands in one run of a document that takes half a millisecond."""
    outputs = {}
    speeds = []
    for document in documents:
        outputs[document.name] = run(document)
        times = []
        for _ in range(repeat):
            forget_values()
            start = time.process_time()
            timed(document)
            times.append(time.process_time() - start)
        speeds.append(len(document.text.encode()) / max(statistics.median(times), 1e-9) / 1e6)
    return score(documents, outputs), speeds


def large_text_speeds(
    documents: list[Document], run: Timed, sizes_kb: list[int]
) -> list[tuple[int, float]]:
    text_docs = [document for document in documents if document.kind == "text"]
    corpus = "\n\n".join(document.text for document in text_docs)
    results = []
    for size in sizes_kb:
        text = (corpus * (size * 1024 // len(corpus) + 1))[: size * 1024]
        big = Document(
            name="large",
            text=text,
            kind="text",
            source="",
            submitter=text_docs[0].submitter,
            expected={},
            derived={},
            labels={},
            references=(),
            forbidden=(),
            personal=(),
            antitrust=(),
        )
        # The median of three runs: one run of a size now and then pays for a full garbage
        # collection of everything the benchmark holds, which says nothing about the size.
        times = []
        for _ in range(3):
            forget_values()
            start = time.process_time()
            run(big)
            times.append(max(time.process_time() - start, 1e-9))
        results.append((size, len(text.encode()) / statistics.median(times) / 1e6))
    return results


def _row(label: str, *cells: str) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def report(scores: dict[str, Score], speeds: dict[str, list[float]]) -> None:
    names = list(scores)
    print(_row("measure", *names))
    print("|---|" + "---|" * len(names))
    kinds = sorted({kind for s in scores.values() for kind in s.expected})
    first = scores[names[0]]
    for kind in kinds:
        cells = [
            f"{s.recall(kind):.0%} ({s.found[kind]}/{s.expected[kind]})" for s in scores.values()
        ]
        print(_row(f"recall {kind}", *cells))
    print(
        _row(
            "**recall, all standalone values**",
            *[
                f"**{s.recall():.1%}** ({sum(s.found.values())}/{sum(s.expected.values())})"
                for s in scores.values()
            ],
        )
    )
    print(
        _row(
            "derived indicators offered",
            *[f"{s.derived_found}/{s.derived_expected}" for s in scores.values()],
        )
    )
    print(
        _row(
            "labels (shared hosting, look-alike)",
            *[f"{s.labels_found}/{s.labels_expected}" for s in scores.values()],
        )
    )
    print(
        _row(
            "advisory sources as external_references",
            *[f"{s.references_found}/{s.references_expected}" for s in scores.values()],
        )
    )
    print(
        _row(
            "**forbidden values extracted** (per 10 documents)",
            *[
                f"**{len(s.forbidden)}** ({len(s.forbidden) * 10 / s.documents:.1f})"
                for s in scores.values()
            ],
        )
    )
    print(
        _row(
            "**personal data leaked in indicators**",
            *[f"**{len(s.leaked_in_indicators)}**" for s in scores.values()],
        )
    )
    print(
        _row(
            "**personal data leaked in the shared text / STIX bundle**",
            *[f"**{len(s.leaked_in_bundle)}**" for s in scores.values()],
        )
    )
    print(
        _row(
            "antitrust categories flagged (false flags)",
            *[
                f"{s.antitrust_found}/{s.antitrust_expected} ({len(s.antitrust_false)})"
                for s in scores.values()
            ],
        )
    )
    print(
        _row(
            "speed per document, worst / median (MB/s of CPU time)",
            *[f"{min(v):.2f} / {statistics.median(v):.2f}" for v in speeds.values()],
        )
    )
    print(f"\n{first.documents} documents, {sum(first.expected.values())} standalone values.")
    for name, s in scores.items():
        print(f"\n## {name}: misses ({len(s.missed)})")
        for document, kind, value in s.missed:
            print(f"- {document}: {kind} {value}")
        print(f"## {name}: forbidden values extracted ({len(s.forbidden)})")
        for document, value in s.forbidden:
            print(f"- {document}: {value}")
        print(
            f"## {name}: personal data leaked ({len(s.leaked_in_indicators)} in indicators, "
            f"{len(s.leaked_in_bundle)} in shared text)"
        )
        for document, value in s.leaked_in_indicators:
            print(f"- {document}: {value} (indicator)")
        for document, value in s.leaked_in_bundle:
            print(f"- {document}: {value} (shared text)")
        if s.antitrust_false:
            print(f"## {name}: antitrust false flags: {s.antitrust_false}")


def _is_name(personal: str) -> bool:
    return not any(char.isdigit() or char in "@." for char in personal) and " " in personal.strip()


def ner_comparison(documents: list[Document], members: dict[str, list[str]], model: str) -> None:
    """Victims' names left in the shared text, and other words removed, by the portal's rules
    and by a spaCy model's PERSON entities (each with the same address and phone scrubbing)."""
    import importlib

    from sharing.normalize.analysis import analyse_text

    try:
        nlp = importlib.import_module(model).load()
    except ImportError:
        print(f"\n## Names: {model} is not installed; skipped")
        return
    nlp("Warm up the model before timing it.")
    names = [(doc, p) for doc in documents for p in doc.personal if _is_name(p)]
    rules_leaks = ner_leaks = ner_extra = rules_extra = 0
    rules_time = ner_time = 0.0
    leaked_by_ner: list[str] = []
    for document in documents:
        if document.kind != "text":
            continue
        context = context_for(members, document)
        start = time.process_time()
        analysis = analyse_text(
            document.text,
            own_domains=context.own_domains,
            member_domains=context.member_domains,
        )
        rules_time += time.process_time() - start
        start = time.process_time()
        parsed = nlp(document.text)
        ner_time += time.process_time() - start
        people = [ent for ent in parsed.ents if ent.label_ == "PERSON"]
        ner_text = document.text
        for ent in sorted(people, key=lambda e: e.start_char, reverse=True):
            ner_text = ner_text[: ent.start_char] + "[redacted person]" + ner_text[ent.end_char :]
        personal = [p for p in document.personal if _is_name(p)]
        for name in personal:
            rules_leaks += name in analysis.redacted_text
            if name in ner_text:
                ner_leaks += 1
                leaked_by_ner.append(f"{document.name}: {name}")
        wanted = " ".join(document.personal)
        ner_extra += sum(ent.text not in wanted for ent in people)
        rules_extra += sum(
            r.kind == "person" and r.original not in wanted for r in analysis.redactions
        )
    size = sum(f.stat().st_size for f in Path(nlp.path).rglob("*") if f.is_file()) / 1e6
    total = sum(len(d.text.encode()) for d in documents if d.kind == "text") / 1e6
    print(f"\n## Victims' names: rules against {model} (PERSON entities)")
    print(f"{len(names)} victims' names in the corpus.\n")
    print("| measure | rules (sharing/normalize/scrub.py) | spaCy NER |")
    print("|---|---|---|")
    print(f"| victims' names left in the shared text | {rules_leaks} | {ner_leaks} |")
    print(f"| other words removed as names | {rules_extra} | {ner_extra} |")
    print(
        f"| speed (MB/s, whole analysis vs NER alone) | {total / rules_time:.3f} | "
        f"{total / ner_time:.3f} |"
    )
    print(f"| size | 0 (part of the code) | model {size:.0f} MB + spaCy and its dependencies |")
    for line in leaked_by_ner:
        print(f"- left by NER: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per document for timing")
    parser.add_argument("--large-mb", type=float, default=1.0)
    parser.add_argument("--peer-large-kb", type=int, default=256, help="ioc-finder is slow")
    parser.add_argument("--no-peer", action="store_true", help="only the portal")
    parser.add_argument(
        "--ner",
        metavar="MODULE",
        help="also compare victims' name scrubbing with a spaCy model package, e.g. "
        "en_core_web_sm (pip install spacy and the model's wheel first)",
    )
    args = parser.parse_args()

    documents = load_corpus()
    members = load_members()
    runners: dict[str, tuple[Runner, Timed]] = {
        "portal": (portal_runner(members), portal_extraction(members))
    }
    if not args.no_peer:
        peer = peer_runner()
        runners["ioc-finder"] = (peer, peer)
    scores: dict[str, Score] = {}
    speeds: dict[str, list[float]] = {}
    for name, (run, timed) in runners.items():
        repeat = args.repeat if name == "portal" else 1
        scores[name], speeds[name] = evaluate(documents, run, timed, repeat)
    report(scores, speeds)

    print(f"\nLoad average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")
    print("\n## Speed on one large text (MB/s of CPU time at each size)")
    largest = int(args.large_mb * 1024)
    for name, (_, timed) in runners.items():
        limit = largest if name == "portal" else min(largest, args.peer_large_kb)
        sizes = [size for size in (64, 128, 256, 512, 1024, 2048) if size <= limit]
        if limit not in sizes:
            sizes.append(limit)
        figures = large_text_speeds(documents, timed, sizes)
        print(f"- {name}: " + ", ".join(f"{size} KB: {speed:.2f}" for size, speed in figures))
    if args.ner:
        ner_comparison(documents, members, args.ner)


if __name__ == "__main__":
    main()
