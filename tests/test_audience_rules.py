"""`widening`: the pure rule that decides whether an audience change lets anyone new in."""

from hypothesis import given
from hypothesis import strategies as st

from sharing.audience import Audience, widening
from sharing.tlp import TLP

ids = st.frozensets(st.sampled_from(["1", "2", "3"]))
audiences = st.builds(
    Audience,
    tlp=st.sampled_from([t.value for t in TLP]),
    everyone=st.booleans(),
    sectors=ids,
    organisations=ids,
    groups=ids,
    people=ids,
)


@given(audiences)
def test_an_unchanged_audience_widens_nothing(audience: Audience) -> None:
    assert widening(audience, audience) == []


@given(audiences, audiences)
def test_a_stricter_tlp_and_a_subset_of_recipients_never_widen(a: Audience, b: Audience) -> None:
    narrower = Audience(
        tlp=max(a.tlp, b.tlp, key=lambda t: TLP(t).rank),
        everyone=a.everyone and b.everyone,
        sectors=a.sectors & b.sectors,
        organisations=a.organisations & b.organisations,
        groups=a.groups & b.groups,
        people=a.people & b.people,
    )
    assert widening(a, narrower) == []


def test_each_kind_of_widening_is_named() -> None:
    before = Audience(tlp="amber", everyone=False, organisations=frozenset({"1"}))

    assert widening(
        before, Audience(tlp="green", everyone=False, organisations=frozenset({"1"}))
    ) == ["the TLP goes from TLP:AMBER to TLP:GREEN"]
    assert widening(before, Audience(tlp="amber", everyone=True)) == [
        "the whole membership is added"
    ]
    assert widening(
        before,
        Audience(
            tlp="amber",
            everyone=False,
            organisations=frozenset({"1", "2"}),
            groups=frozenset({"9"}),
        ),
    ) == ["organisations added: 1", "trust groups added: 1"]
