"""seed_demo gives the quick start its stable demo people, however often it runs."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts import demo
from accounts.models import AgreementAcceptance, ApiToken, Membership, Organisation, User
from accounts.selectors.members import organisations_with_agreement_state
from sharing.models import (
    Alert,
    AlertMatch,
    Peer,
    PeerCollection,
    PeerRule,
    ReportAcknowledgement,
    Rfi,
    RfiAnswer,
    WatchedAsset,
)


def _lane_rows() -> dict[str, int]:
    return {
        "rfis": Rfi.objects.count(),
        "closed rfis": Rfi.objects.filter(status=Rfi.Status.CLOSED).count(),
        "answers": RfiAnswer.objects.count(),
        "watch list": WatchedAsset.objects.count(),
        "alerts": Alert.objects.filter(state=Alert.State.ACKNOWLEDGED).count(),
        "investigating": ReportAcknowledgement.objects.filter(impact="investigating").count(),
        "peers": Peer.objects.count(),
        "collections": PeerCollection.objects.count(),
        "rules": PeerRule.objects.count(),
        "tokens": ApiToken.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_every_login(settings: Any, client: Client) -> None:
    # One test for what two runs leave behind: each seed run costs CI seconds.
    # The demo peer ISAC reads this portal on loopback, which scripts/demo allows.
    settings.FANOUT_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    first, second = StringIO(), StringIO()

    call_command("seed_demo", force=True, stdout=first)
    counts = (User.objects.count(), Organisation.objects.count(), Membership.objects.count())
    lanes = _lane_rows()
    call_command("seed_demo", force=True, stdout=second)

    assert counts == (len(demo.PEOPLE), len(demo.ORGANISATIONS), len(demo.PEOPLE))
    assert (
        User.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
    ) == counts
    # one RFI answered and open, one closed; the watch list raised one alert, acknowledged
    # and answered "investigating"; one peer with its collection and two rules
    assert (
        lanes
        == _lane_rows()
        == {
            "rfis": 2,
            "closed rfis": 1,
            "answers": 2,
            "watch list": 3,
            "alerts": 1,
            "investigating": 1,
            "peers": 1,
            "collections": 1,
            "rules": 2,
            "tokens": 1,
        }
    )
    assert set(AlertMatch.objects.values_list("kind", flat=True)) == {
        "address",
        "subdomain",
        "product",
    }
    printed = second.getvalue()
    for person in demo.PEOPLE:
        assert person.email in printed
    assert demo.DEMO_PASSWORD in printed
    assert Organisation.objects.get(is_isac=True).name == "Example ISAC"
    # links on the port the demo serves, the peer's API root on loopback at that port
    base = settings.PORTAL_BASE_URL.rstrip("/")
    for path in ("/rfis/", "/alerts/", "/figures/", f"/isac/peers/{Peer.objects.get().uuid}/"):
        assert f"{base}{path}" in printed
    assert f"(http://127.0.0.1:{settings.PORT}/taxii2/portal/)" in printed
    # the agreement: in force at Northwind and Mirror ISAC, expiring soon at Harbor Bank,
    # pending at Cascade Health; accepted once each however often the seed runs
    states = {o.name: o.agreement_state for o in organisations_with_agreement_state()}  # type: ignore[attr-defined]
    assert states["Northwind Energy"] == "active"
    assert states["Harbor Bank"] == "expiring"
    assert states["Cascade Health"] == "pending"
    assert states["Mirror ISAC"] == "active"
    assert AgreementAcceptance.objects.count() == 3
    soon = AgreementAcceptance.objects.get(organisation__name="Harbor Bank")
    assert soon.expires_at < timezone.now() + timedelta(days=30)
    # a member signs in with the published password; the peer's liaison has none
    assert client.login(username="analyst@northwind.example", password=demo.DEMO_PASSWORD)
    assert not User.objects.get(email="liaison@mirror-isac.example").has_usable_password()


@pytest.mark.django_db
def test_seed_demo_tells_a_newcomer_how_isac_staff_sign_in_and_how_to_get_the_peer() -> None:
    out = StringIO()

    call_command("seed_demo", force=True, stdout=out)

    printed = out.getvalue()
    assert "admin@ and curator@isac.example" in printed
    assert "authenticator app" in printed
    assert "oathtool --totp -b KEY" in printed
    assert "reset_mfa EMAIL" in printed
    # without loopback allowed by the operator there is no peer, and the output says why
    assert not Peer.objects.exists()
    assert "No demo peer ISAC" in printed
    assert "FANOUT_ALLOWED_NETWORKS=127.0.0.1/32" in printed


@pytest.mark.django_db
def test_seed_demo_refuses_a_production_database(settings: object) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]

    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()
