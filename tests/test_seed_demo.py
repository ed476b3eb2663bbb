"""seed_demo gives the quick start its stable demo people, however often it runs."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts import demo
from accounts.models import Membership, Organisation, User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_every_login() -> None:
    first, second = StringIO(), StringIO()

    call_command("seed_demo", force=True, stdout=first)
    counts = (User.objects.count(), Organisation.objects.count(), Membership.objects.count())
    call_command("seed_demo", force=True, stdout=second)

    assert counts == (len(demo.PEOPLE), len(demo.ORGANISATIONS), len(demo.PEOPLE))
    assert (
        User.objects.count(),
        Organisation.objects.count(),
        Membership.objects.count(),
    ) == counts
    for person in demo.PEOPLE:
        assert person.email in second.getvalue()
    assert demo.DEMO_PASSWORD in second.getvalue()
    assert Organisation.objects.get(is_isac=True).name == "Example ISAC"


@pytest.mark.django_db
def test_seed_demo_tells_a_newcomer_how_isac_staff_set_up_two_factor_sign_in() -> None:
    out = StringIO()

    call_command("seed_demo", force=True, stdout=out)

    printed = out.getvalue()
    assert "admin@ and curator@isac.example" in printed
    assert "authenticator app" in printed
    assert "oathtool --totp -b KEY" in printed
    assert "reset_mfa EMAIL" in printed


@pytest.mark.django_db
def test_demo_analyst_can_sign_in_with_the_published_password(client: Client) -> None:
    call_command("seed_demo", force=True, stdout=StringIO())

    signed_in = client.login(username="analyst@northwind.example", password=demo.DEMO_PASSWORD)

    assert signed_in


@pytest.mark.django_db
def test_seed_demo_refuses_a_production_database(settings: object) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]

    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_publishes_an_agreement_with_one_acceptance_expiring_soon() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import AgreementAcceptance
    from accounts.selectors.members import organisations_with_agreement_state

    call_command("seed_demo", force=True, stdout=StringIO())
    call_command("seed_demo", force=True, stdout=StringIO())

    states = {o.name: o.agreement_state for o in organisations_with_agreement_state()}  # type: ignore[attr-defined]
    assert states["Northwind Energy"] == "active"
    assert states["Harbor Bank"] == "expiring"
    assert states["Cascade Health"] == "pending"
    assert AgreementAcceptance.objects.count() == 2
    soon = AgreementAcceptance.objects.get(organisation__name="Harbor Bank")
    assert soon.expires_at < timezone.now() + timedelta(days=30)
