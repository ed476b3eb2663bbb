"""seed_demo shows a living portal: reports at every TLP, with indicators, sightings, comments."""

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from sharing import policy
from sharing.models import Comment, IndicatorExpiry, Report, ReportIndicator, Sighting
from sharing.tlp import TLP
from tests.fixtures.members import acting

pytestmark = pytest.mark.django_db


def test_seed_demo_shares_reports_at_every_tlp_once_members_are_in_good_standing(
    django_capture_on_commit_callbacks: Callable[..., Any], client: Any
) -> None:
    # seed_demo publishes the agreement and has two members accept it before it shares.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", force=True, stdout=StringIO())
    counts = Report.objects.count()
    call_command("seed_demo", force=True, stdout=StringIO())

    assert Report.objects.count() == counts
    # indicators are linked after commit: the second run ends one for everyone (its source)
    # and flags one (another member), once
    assert sorted(IndicatorExpiry.objects.values_list("kind", "link__indicator__value")) == [
        ("expired", "https://support-portal-sso.net/auth/login"),
        ("flagged", "103.108.229.22"),
    ]
    assert set(Report.objects.values_list("tlp", flat=True)) == set(TLP.values)
    assert Report.objects.filter(status=Report.Status.WITHDRAWN).exists()
    assert ReportIndicator.objects.exists()
    assert Sighting.objects.filter(anonymous=True).exists()
    assert Comment.objects.exists()
    red = Report.objects.get(tlp=TLP.RED)
    assert policy.can_view(acting(User.objects.get(email="analyst@harborbank.example")), red)
    assert not policy.can_view(acting(User.objects.get(email="admin@harborbank.example")), red)
    # the ISAC's public feed is on: an anonymous reader sees the curator's released CLEAR
    # advisory and its indicators (one test, as each seed run costs CI seconds)
    feed = client.get("/public/feed.atom")
    assert feed.status_code == 200
    released = Report.objects.get(public_release=True)
    assert released.tlp == TLP.CLEAR
    assert released.title in feed.content.decode()
    assert "45.61.136.14" in client.get("/public/indicators.txt").content.decode()
    # and nothing narrower
    for report in Report.objects.exclude(pk=released.pk):
        assert report.title not in feed.content.decode()
