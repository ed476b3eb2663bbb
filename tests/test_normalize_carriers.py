"""The per-value carriers' faster construction, and the per-context memo of warning-list and
label decisions in text analysis: each gives what the plain code gives."""

import dataclasses
from datetime import UTC, datetime

import pytest

from sharing.normalize.analysis import WarningHit, analyse_text
from sharing.normalize.antitrust import SensitiveHit
from sharing.normalize.carriers import quick_init
from sharing.normalize.extract import Extracted, IndicatorType
from sharing.normalize.parsers import ParsedIndicator
from sharing.normalize.pipeline import KeptIndicator
from sharing.normalize.scrub import Redaction

T = IndicatorType
NOW = datetime(2026, 12, 4, tzinfo=UTC)


def _plain(cls: type) -> type:
    """The same dataclass with the generated `__init__`."""
    fields = [
        (field.name, field.type, dataclasses.field(default=field.default))
        if field.default is not dataclasses.MISSING
        else (field.name, field.type)
        for field in dataclasses.fields(cls)
    ]
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True, slots=True)


CASES = [
    (Extracted, (T.DOMAIN, "evil.test", 3, 12, "evil[.]test"), {}),
    (Extracted, (T.DOMAIN, "evil.test", 3, 12, "evil[.]test", "http://evil.test/", ("d",)), {}),
    (Extracted, (T.URL, "http://x.test/"), {"start": 0, "end": 5, "original": "x", "labels": ()}),
    (ParsedIndicator, (T.MD5, "0" * 32), {}),
    (ParsedIndicator, (T.MD5, "0" * 32), {"description": "d", "from_text_analysis": True}),
    (
        KeptIndicator,
        (T.IPV4, "192.0.2.1", NOW, None, 50, "d", "", False),
        {"labels": ("derived",)},
    ),
    (WarningHit, ("8.8.8.8", T.IPV4, "public resolvers"), {}),
    (Redaction, ("email", "a@b.test", "[redacted email]", 1, 9), {}),
    (SensitiveHit, ("raise prices", "pricing", 4), {"explanation": "why"}),
]


@pytest.mark.parametrize(("cls", "args", "kwargs"), CASES)
def test_quick_init_builds_what_the_dataclass_builds(cls, args, kwargs):
    quick = cls(*args, **kwargs)
    plain = _plain(cls)(*args, **kwargs)
    assert dataclasses.astuple(quick) == dataclasses.astuple(plain)
    assert hash(quick) == hash(cls(*args, **kwargs))
    assert quick == dataclasses.replace(quick)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(quick, dataclasses.fields(cls)[0].name, "other")


def test_quick_init_refuses_what_it_cannot_build():
    @dataclasses.dataclass(slots=True)
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class WithFactory:
        a: list[int] = dataclasses.field(default_factory=list)

    for cls in (Mutable, WithFactory):
        with pytest.raises(TypeError):
            quick_init(cls)
    with pytest.raises(TypeError):
        Extracted(T.DOMAIN, "evil.test")  # type: ignore[call-arg]


TEXT = """Campaign hosts: northw1nd-bank.com, xn--nrthwind-bank-xkb.com, abc123.cloudfront.net,
https://storage.googleapis.com/bucket/payload.zip and mail from ceo@northwind-bank.com and
ops@evil-mail.test, resolver 8.8.8.8, sample at 192.0.2.10 and example.com."""


def test_the_memo_keeps_each_context_apart():
    """The same values analysed under different contexts, alternately and repeatedly, give
    what a fresh process gives for each context."""
    contexts = [
        ({"storage.googleapis.com"}, {"northwind-bank.com", "storage.googleapis.com"}, False),
        (set(), {"northwind-bank.com"}, False),
        (set(), set(), False),
        (set(), set(), True),
        ({"evil-mail.test"}, {"evil-mail.test"}, True),
    ]

    def run(context):
        own, members, allow = context
        return analyse_text(
            TEXT, own_domains=own, member_domains=members, allow_documentation_ranges=allow
        )

    first = [run(context) for context in contexts]
    assert len({repr(analysis) for analysis in first}) == len(contexts)
    for _ in range(2):
        for context, expected in zip(reversed(contexts), reversed(first), strict=True):
            assert run(context) == expected
