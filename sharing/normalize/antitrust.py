"""Flag competitively sensitive content before it reaches competitors.

ISAC members are often competitors. The DOJ/FTC Antitrust Policy Statement on Sharing of
Cybersecurity Information (2014) protects exchanging technical threat data, and the
agencies' guidance on information exchanges and agreements among competitors names what is
not protected: agreements on prices and fees, wages and salaries (including no-poach),
dividing markets or customers, rigging bids, boycotting suppliers or customers, and
limiting output; and sharing competitively sensitive facts (prices, costs, bids, salaries,
plans). This does not block anything: each hit names its category and says why, and the
analyst removes the passage or confirms it. Pure.
"""

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from sharing.normalize.carriers import quick_init


@quick_init
@dataclass(frozen=True, slots=True)
class SensitiveHit:
    """A phrase that looks competitively sensitive, its category, why, and where it is."""

    phrase: str
    category: str
    position: int
    explanation: str = ""


_MONEY = (
    r"(?:[$€£¥]\s?\d[\d,.]*\s?(?:[kmb]|million|billion|thousand)?"
    r"|\d[\d,.]*\s?(?:usd|eur|gbp|dollars|euros))"
)
_NEAR = r"[^.\n]{0,60}?"
_SAME_SENTENCE = r"[^.!?]{0,120}?"


def _any_of(*words: str) -> str:
    """An alternation of `words` (in order) grouped by first letter: the engine then tries
    only the words starting with the letter at hand. Words starting with different letters
    never match at the same place, so the grouping changes no match."""
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(word[1:])
    return (
        "(?:" + "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items()) + ")"
    )


# Words that turn a statement into an arrangement among competitors.
_AGREE = _any_of(
    r"agree[sd]?",
    "agreement",
    "agreeing",
    r"coordinat\w*",
    "align(?:ed)?",
    r"collu\w+",
    "arrange(?:d|ment)",
    "pact",
    "understanding",
    "jointly",
    "together",
    "all (?:of us|members|banks|utilities|companies)",
    "with (?:the )?(?:other|each other|competitors?|rivals?)",
    "among (?:the )?(?:other|each other|competitors?|rivals?)",
    "between (?:the )?(?:other|each other|competitors?|rivals?)",
    "lined up",
    "in step",
    "as discussed",
    "nobody will",
    "no one will",
    "everyone (?:will )?charges?",
)
_PRICE_WORDS = _any_of(
    r"pric\w*",
    "fees?",
    "rates?",
    "interest",
    "surcharges?",
    "commissions?",
    "premiums?",
    "tariffs?",
    "discounts?",
    "margins?",
    "interchange",
    "charges?",
)
_WAGE_WORDS = _any_of(
    r"salar\w+",
    "wages?",
    "pay(?: bands?| scales?| rates?)?",
    "compensation",
    r"bonus\w*",
    r"hir\w+",
    r"recruit\w*",
    r"poach\w*",
    "counter[- ]?offers?",
    r"solicit\w* (?:each other's|the other's|our) (?:staff|employees|analysts|people)",
)

# Agreements among competitors (per se or near per se unlawful): category, explanation, rule.
_AGREEMENTS: list[tuple[str, str, re.Pattern[str]]] = [
    (
        "price-fixing",
        "Competitors agreeing on prices, fees, rates or discounts is price fixing, which "
        "antitrust law forbids whatever the reason; it is not threat information.",
        re.compile(
            rf"\b{_AGREE}\b{_SAME_SENTENCE}\b{_PRICE_WORDS}\b"
            rf"|\b{_PRICE_WORDS}\b{_SAME_SENTENCE}\b(?:agreed|as discussed|lined up)\b"
            r"|\beveryone (?:will )?charges?\b"
            r"|\b(?:set|fix|hold|keep|raise|lower|match)\s+(?:the\s+)?(?:\w+\s+){0,2}"
            rf"{_PRICE_WORDS}\s+at\b",
            re.IGNORECASE,
        ),
    ),
    (
        "wage-fixing",
        "Competitors agreeing on salaries or wages, or not to hire or solicit each other's "
        "staff (no-poach), is wage fixing; antitrust law treats it like price fixing.",
        re.compile(
            rf"\b{_AGREE}\b{_SAME_SENTENCE}\b{_WAGE_WORDS}"
            r"|\b(?:not|never|nobody|no one)\s+(?:to\s+)?(?:hire|hires|recruit|recruits|poach|"
            r"poaches|solicit|solicits|make counter[- ]?offers)\b[^.]{0,40}\b(?:each other|the "
            r"others?|other members|our)\b"
            r"|\bno[- ]poach\b"
            rf"|\b(?:keep|hold|cap|freeze)\b[^.]{{0,40}}\b{_WAGE_WORDS}\b[^.]{{0,60}}"
            r"\b(?:across|all our|at the current|for all)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "market-allocation",
        "Competitors dividing territories, markets or customers between them is market "
        "allocation, which antitrust law forbids.",
        re.compile(
            r"\b(?:divide|divided|split|allocate|allocated|carve up|share out)\s+"
            r"(?:up\s+)?(?:the\s+)?"
            r"(?:\w+\s+){0,4}(?:markets?|territor\w+|regions?|customers?|clients?|accounts?)\b"
            r"|\b(?:not|won't|will not|never)\s+(?:solicit|approach|target|compete for|pursue)\s+"
            r"[^.]{0,40}\b(?:customers?|clients?|accounts?|members?)\b"
            r"|\bstays? out of\b[^.]{0,40}\b(?:customers?|clients?|markets?|members?|territor\w+)"
            r"|\bnobody competes\b",
            re.IGNORECASE,
        ),
    ),
    (
        "bid-rigging",
        "Competitors agreeing who wins a tender, taking turns or submitting cover bids is bid "
        "rigging, a crime under antitrust law.",
        re.compile(
            r"\b(?:cover|complementary|losing|courtesy)\s+bids?\b"
            r"|\bbid rotation\b|\b(?:take turns|rotates?|rotation)\b[^.]{0,60}\b(?:bids?|tenders?|"
            r"contracts?)\b"
            r"|\b(?:bids?|tenders?|contracts?)\b[^.]{0,60}\b(?:take turns|rotates?|rotation)\b"
            r"|\b(?:agreed|decided|arranged)\b[^.]{0,60}\b(?:will|would|should)\s+"
            r"(?:submit\s+)?(?:the\s+)?win(?:ning)?\b[^.]{0,20}\b(?:bid|tender|contract)"
            r"|\blet\s+\w+\s+win\b",
            re.IGNORECASE,
        ),
    ),
    (
        "group-boycott",
        "Competitors agreeing together to stop dealing with a supplier or customer is a group "
        "boycott, which antitrust law forbids.",
        re.compile(
            r"\bboycott\w*\b"
            r"|\b(?:jointly|together|collectively|all)\b[^.]{0,30}\b(?:stop|refuse|cease)\s+"
            r"(?:buying|dealing|working|doing business|using|purchasing)\b"
            r"|\b(?:agree[sd]?|will)\s+(?:not\s+to|to\s+stop|never)\s+(?:buy|deal|work|use|purchase)"
            r"\b[^.]{0,30}\b(?:from|with)\b"
            r"|\bblacklist\w*\s+(?:the\s+)?(?:supplier|vendor|customer)",
            re.IGNORECASE,
        ),
    ),
    (
        "output-restriction",
        "Competitors agreeing to limit or cut output, production, capacity or supply is an "
        "output restriction, which antitrust law treats like price fixing.",
        re.compile(
            rf"\b{_AGREE}\b{_SAME_SENTENCE}\b(?:cut|limit|restrict|reduce|cap|curtail|hold back)\s+"
            r"(?:\w+\s+){0,2}(?:output|production|capacity|supply|generation|lending|issuance)\b"
            r"|\b(?:cut|limit|restrict|reduce|cap|curtail)\s+(?:\w+\s+){0,2}(?:output|production|"
            r"capacity|supply|generation)\b[^.]{0,60}\bprices?\s+(?:stay|remain|go)\s+up\b",
            re.IGNORECASE,
        ),
    ),
]

# Competitively sensitive facts, even without an agreement.
_DISCLOSURES: list[tuple[str, str, re.Pattern[str]]] = [
    (
        "price",
        "Current or future prices shared with competitors can facilitate price coordination.",
        re.compile(
            rf"\b(?:pric(?:e|es|ing)|rate card|tariffs?|discounts?|list price)\b{_NEAR}{_MONEY}"
            r"|\b(?:we|our company|they)\s+(?:will\s+)?(?:raise|increase|cut|lower)\s+"
            r"(?:our\s+|their\s+)?(?:prices|rates|tariffs)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "cost",
        "Costs, budgets and margins are competitively sensitive business data.",
        re.compile(
            rf"\b(?:costs?|budget|spend(?:ing)?|margins?)\b{_NEAR}{_MONEY}"
            r"|\b(?:our|their)\s+(?:cost structure|margins?|operating costs?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "bid",
        "Details of bids, tenders or quotes shared with competitors can facilitate bid rigging.",
        re.compile(
            r"\b(?:our|their|the winning|a)\s+(?:bid|tender|proposal|quote)s?\b"
            r"(?:\s+(?:for|on|of)\b)?"
            r"|\bbid(?:ding)?\s+(?:price|strategy|amount)\b|\brfp\s+response\b",
            re.IGNORECASE,
        ),
    ),
    (
        "salary",
        "Salaries and pay bands shared with competitors can facilitate wage fixing.",
        re.compile(
            r"\b(?:salar(?:y|ies)|wages?|compensation|pay (?:scale|band|rise)|bonus(?:es)?)\b"
            rf"{_NEAR}(?:{_MONEY}|\d+\s?%)"
            r"|\b(?:salary|pay) (?:bands?|scales?|ranges?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "strategy",
        "Strategic plans (markets, acquisitions, roadmaps, customer lists) are competitively "
        "sensitive business data.",
        re.compile(
            r"\b(?:strategic plans?|business plans?|product roadmap|"
            r"market (?:entry|share|expansion)|"
            r"(?:planned|upcoming)\s+(?:acquisition|merger|expansion)|merger talks|"
            r"(?:enter|exit)\s+the\s+\w+\s+market|customer list)\b",
            re.IGNORECASE,
        ),
    ),
]

CATEGORIES = {category: explanation for category, explanation, _ in _AGREEMENTS + _DISCLOSURES}
# Words without which a rule cannot match: a paragraph lacking all of them is skipped, so a
# long indicator list costs one scan per paragraph instead of every pattern. Each is a
# regular expression fragment matched at the start of a word of the lower-cased text.
_GATES = {
    "price-fixing": (
        "pric",
        "fee",
        "rate",
        "interest",
        "surcharge",
        "commission",
        "premium",
        "tariff",
        "discount",
        "margin",
        "interchange",
        "charge",
    ),
    "wage-fixing": (
        "salar",
        "wage",
        "pay",
        "compensation",
        "bonus",
        "hir",
        "recruit",
        "poach",
        "counter",
        "solicit",
    ),
    "market-allocation": (
        "divide",
        "split",
        "allocat",
        "carve",
        "share out",
        "solicit",
        "approach",
        "target",
        "compete",
        "pursue",
        "stay",
    ),
    "bid-rigging": ("bid", "tender", "contract", r"win(?:ning)?\b"),
    "group-boycott": ("boycott", "stop", "refuse", "cease", "not to", "never", "blacklist"),
    "output-restriction": (
        "output",
        "production",
        "capacity",
        "supply",
        "generation",
        "lending",
        "issuance",
    ),
    "price": ("pric", "rate card", "tariff", "discount", "raise", "increase", "cut", "lower"),
    "cost": ("cost", "budget", "spend", "margin"),
    "bid": ("bid", "tender", "proposal", "quote", "rfp"),
    # "pay" only before the words the salary rule needs: "payload" and "payment" are common.
    "salary": (
        *("salar", "wage", "compensation", "bonus"),
        *("pay scale", "pay band", "pay rise", "pay range"),
    ),
    "strategy": (
        "strategic",
        "business plan",
        "roadmap",
        "market",
        "acquisition",
        "merger",
        "customer list",
    ),
}
# The agreement rules are the slowest; each also needs a word that makes an arrangement
# (_AGREE, or the verbs of its other branches): without one of these too, a paragraph that
# merely mentions fees or pay is not searched with them.
_AGREE_GATE = (
    "agree",
    "coordinat",
    "align",
    "collu",
    "arrange",
    "pact",
    "understanding",
    "jointly",
    "together",
    *(f"all {who}" for who in ("of us", "members", "banks", "utilities", "companies")),
    *(
        f"{among} {the}{who}"
        for among in ("with", "among", "between")
        for the in ("", "the ")
        for who in ("other", "each other", "competitor", "rival")
    ),
    "lined up",
    "in step",
    "as discussed",
    "nobody will",
    "no one will",
    "everyone",
)
# Further words, named "category+group", and which of them a category also needs (any of
# the tuples, all of the groups in it): each branch of the rule needs all of one tuple.
_MORE_GATES = {
    "price-fixing+agree": _AGREE_GATE,
    # Followed by a space in the rule: "settings", "fixed" or "matches" open nothing.
    "price-fixing+set": tuple(
        rf"{verb}\s" for verb in ("set", "fix", "hold", "keep", "raise", "lower", "match")
    ),
    "wage-fixing+agree": _AGREE_GATE,
    "wage-fixing+not": ("not", "never", "nobody", "no one"),
    "wage-fixing+hire": ("hir", "recruit", "poach", "solicit", "make counter"),
    "wage-fixing+no-poach": ("no-poach", "no poach"),
    "wage-fixing+keep": ("keep", "hold", "cap", "freeze"),
    "wage-fixing+across": ("across", "all our", "at the current", "for all"),
    "output-restriction+agree": _AGREE_GATE,
    "output-restriction+cut": ("cut", "limit", "restrict", "reduce", "cap", "curtail"),
}
_NEEDS = {
    "price-fixing": (("agree",), ("set",)),
    "wage-fixing": (("agree",), ("not", "hire"), ("no-poach",), ("keep", "across")),
    "output-restriction": (("agree",), ("cut",)),
}
_GATES.update(_MORE_GATES)
_PARAGRAPH = re.compile(r"(?:[^\n]*\S[^\n]*(?:\n|$))+")


_CHUNK_LINES = 8


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Paragraphs, long ones cut into windows of a few lines that overlap by one line."""
    for paragraph in _PARAGRAPH.finditer(text):
        lines = paragraph.group(0).splitlines(keepends=True)
        if len(lines) <= _CHUNK_LINES:
            yield paragraph.start(), paragraph.group(0)
            continue
        offsets = [paragraph.start()]
        for line in lines:
            offsets.append(offsets[-1] + len(line))
        for first in range(0, len(lines), _CHUNK_LINES - 1):
            last = min(len(lines), first + _CHUNK_LINES)
            yield offsets[first], "".join(lines[first:last])
            if last == len(lines):
                break


Rule = tuple[str, str, re.Pattern[str]]


# One alternation per category: a single scan says whether any of its words begins a word
# of the text (every rule has a word boundary before its words), so "generate" does not open
# the price rules nor "payload" the wage rules.
_GATE_RES = {
    # Without a leading \b: the engine then skips ahead to the words' first letters quickly;
    # the boundary is checked on each hit instead (_begins_a_word).
    category: re.compile("|".join(words))
    for category, words in _GATES.items()
}


def _begins_a_word(gate: re.Pattern[str], lower: str) -> bool:
    for hit in gate.finditer(lower):
        start = hit.start()
        if start == 0 or not (lower[start - 1].isalnum() or lower[start - 1] == "_"):
            return True
    return False


def _gated(rules: list[Rule], lower: str) -> list[Rule]:
    """The rules whose words occur in `lower` (plain substring tests: cheap)."""
    present: dict[str, bool] = {}
    gated = []
    for rule in rules:
        category = rule[0]
        if category not in present:
            present[category] = _begins_a_word(_GATE_RES[category], lower)
        if present[category]:
            gated.append(rule)
    return gated


def _any_gate_pattern() -> str:
    """Every gate word of every category, grouped by first letter, after a character that
    ends a word: the engine skips to the next such character (a space, a punctuation mark)
    and tries only the words starting with the letter that follows it."""
    by_letter: dict[str, list[str]] = {}
    for words in _GATES.values():
        for word in words:
            by_letter.setdefault(word[0], []).append(word[1:])
    groups = "|".join(
        f"{letter}(?:{'|'.join(sorted(set(rests)))})" for letter, rests in sorted(by_letter.items())
    )
    return rf"\W(?:{groups})"


# One scan of the text finds each place a word begins that some rule needs, instead of a
# scan per category and per paragraph.
_ANY_GATE = re.compile(_any_gate_pattern())


# How far a gate word can read from where it starts: the longest pattern (never shorter
# than what it matches) and the character after it.
_GATE_REACH = max(len(word) for words in _GATES.values() for word in words) + 1


# The gates each first letter can open: every gate word starts with a plain lower-case letter,
# so a place where a word begins is tried against the few categories with a word starting
# with its letter instead of all of them.
_GATES_BY_LETTER: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    letter: tuple(
        (category, _GATE_RES[category])
        for category, words in _GATES.items()
        if any(word[0] == letter for word in words)
    )
    for letter in sorted({word[0] for words in _GATES.values() for word in words})
}


@lru_cache(maxsize=65536)
def _categories_at(head: str) -> frozenset[str]:
    """The categories whose gate words start `head` (the text where a word begins)."""
    gates = _GATES_BY_LETTER.get(head[:1], ())
    return frozenset(category for category, gate in gates if gate.match(head))


def _gate_hits(lower: str) -> tuple[list[int], list[frozenset[str]]]:
    """Where gate words begin a word of `lower`, and the categories each opens."""
    starts: list[int] = []
    categories: list[frozenset[str]] = []
    candidates = [0]  # the text's first word has no character before it
    position = 0
    # search() from the word's start, not finditer(): a word may begin inside the match of
    # another ("share output" holds "output").
    while hit := _ANY_GATE.search(lower, position):
        position = hit.start() + 1
        candidates.append(position)
    for start in candidates:
        opened = _categories_at(lower[start : start + _GATE_REACH])
        if opened:
            starts.append(start)
            categories.append(opened)
    return starts, categories


def find_sensitive(text: str) -> list[SensitiveHit]:
    """Every competitively sensitive phrase in `text`, in order of position."""
    lower = text.lower()
    if len(lower) != len(text):  # a few letters change length in lower case: offsets move
        return _find_sensitive_by_paragraph(text)
    starts, categories = _gate_hits(lower)
    present = frozenset().union(*categories)
    rules = _opened(_AGREEMENTS + _DISCLOSURES, present)
    if not rules:  # a threat report opens none: no need to cut it into paragraphs
        return []
    hits: dict[tuple[str, int], SensitiveHit] = {}
    for offset, chunk in _chunks(text):
        if len(chunk) == len(text):
            chunk_rules = rules
        else:
            first = bisect.bisect_left(starts, offset)
            last = bisect.bisect_left(starts, offset + len(chunk))
            opened = frozenset().union(*categories[first:last])
            chunk_rules = _opened(rules, opened)
        _match_rules(chunk_rules, offset, chunk, hits)
    return sorted(hits.values(), key=lambda hit: hit.position)


def _opened(rules: list[Rule], opened: frozenset[str]) -> list[Rule]:
    """The rules whose gates `opened` holds (and, for an agreement rule, the further words
    of one of its branches)."""
    return [
        rule
        for rule in rules
        if rule[0] in opened
        and (
            rule[0] not in _NEEDS
            or any(
                all(f"{rule[0]}+{group}" in opened for group in branch)
                for branch in _NEEDS[rule[0]]
            )
        )
    ]


def _match_rules(
    rules: list[Rule], offset: int, chunk: str, hits: dict[tuple[str, int], SensitiveHit]
) -> None:
    for category, explanation, pattern in rules:
        for match in pattern.finditer(chunk):
            position = offset + match.start()
            hits.setdefault(
                (category, position),
                SensitiveHit(match.group(0), category, position, explanation),
            )


def _find_sensitive_by_paragraph(text: str) -> list[SensitiveHit]:
    hits: dict[tuple[str, int], SensitiveHit] = {}
    rules = _gated(_AGREEMENTS + _DISCLOSURES, text.lower())
    if not rules:
        return []
    for offset, chunk in _chunks(text):
        chunk_rules = rules if len(chunk) == len(text) else _gated(rules, chunk.lower())
        _match_rules(chunk_rules, offset, chunk, hits)
    return sorted(hits.values(), key=lambda hit: hit.position)
