"""The ISAC admin's peer pages, the report page's peer lines and /healthz's peer state."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Sector, User
from sharing.models import Peer, PeerCorroboration, PeerExchange, PeerRule
from sharing.peers.credentials import peer_secrets
from sharing.tlp import TLP
from tests.fixtures.reports import report_row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def allow_loopback(settings: Any) -> None:
    settings.FANOUT_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def add_peer(client: Client) -> Peer:
    response = client.post(
        "/isac/peers/new/",
        {
            "name": "Energy ISAC of the North",
            "kind": "taxii21",
            "api_root_url": "http://127.0.0.1:9/api1/",
            "auth": "bearer",
            "token": "peer-token-that-must-stay-secret",
            "is_active": "on",
            "pull_enabled": "on",
            "poll_minutes": "15",
            "unmarked_tlp": "amber",
            "push_collection_id": "inbox",
            "push_tlp_max": "green",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Peer.objects.get()


def test_isac_admin_adds_a_peer_whose_token_is_stored_encrypted_and_never_shown(
    isac_admin_client: Client,
) -> None:
    peer = add_peer(isac_admin_client)

    assert "peer-token-that-must-stay-secret" not in peer.secret_encrypted
    assert peer_secrets(peer).token == "peer-token-that-must-stay-secret"
    page = isac_admin_client.get(f"/isac/peers/{peer.uuid}/edit/").content.decode()
    assert "peer-token-that-must-stay-secret" not in page
    # saving the form again with the token left blank keeps it
    isac_admin_client.post(
        f"/isac/peers/{peer.uuid}/edit/",
        {
            "name": "Energy ISAC of the North", "kind": "taxii21",
            "api_root_url": "http://127.0.0.1:9/api1/", "auth": "bearer", "is_active": "on",
            "poll_minutes": "30", "unmarked_tlp": "amber", "push_tlp_max": "green",
        },
    )  # fmt: skip
    peer.refresh_from_db()
    assert peer.poll_minutes == 30
    assert peer_secrets(peer).token == "peer-token-that-must-stay-secret"


def test_a_peer_on_a_private_address_is_refused_unless_the_operator_allows_it(
    isac_admin_client: Client, settings: Any
) -> None:
    settings.FANOUT_ALLOWED_NETWORKS = []
    response = isac_admin_client.post(
        "/isac/peers/new/",
        {"name": "Inside", "kind": "taxii21", "api_root_url": "http://127.0.0.1:9/api1/",
         "auth": "none", "poll_minutes": "15", "unmarked_tlp": "amber",
         "push_tlp_max": "green"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "may not connect" in response.content.decode()
    assert not Peer.objects.exists()


def test_status_page_shows_rules_counts_and_the_record(
    isac_admin_client: Client, energy: Sector
) -> None:
    peer = add_peer(isac_admin_client)
    response = isac_admin_client.post(
        f"/isac/peers/{peer.uuid}/rules/", {"tlp": "green", "audience_sectors": [energy.pk]}
    )
    assert response.status_code == 302
    assert PeerRule.objects.get(peer=peer).tlp == TLP.GREEN
    # a rule sending RED to a sector is refused with the reason
    isac_admin_client.post(
        f"/isac/peers/{peer.uuid}/rules/", {"tlp": "red", "audience_sectors": [energy.pk]}
    )
    assert not PeerRule.objects.filter(peer=peer, tlp=TLP.RED).exists()
    PeerExchange.objects.create(
        peer=peer, direction="pull", stix_id="indicator--1", modified="2026-01-01T00:00:00Z",
        outcome="refused", tlp="red", detail="No rule accepts TLP:RED from this peer.",
    )  # fmt: skip
    Peer.objects.filter(pk=peer.pk).update(
        consecutive_failures=3, failing_since=timezone.now(), last_error="HTTP 503"
    )

    page = isac_admin_client.get(f"/isac/peers/{peer.uuid}/").content.decode()

    assert "1 refused by a rule" in page
    assert "No rule accepts TLP:RED from this peer." in page
    assert "HTTP 503" in page
    assert "3 failed pulls" in page
    assert energy.name in page


def test_members_never_see_the_peer_pages(analyst_a_client: Client, isac_admin: User) -> None:
    assert analyst_a_client.get("/isac/peers/").status_code == 404


def test_member_report_says_which_peers_also_reported_it(
    analyst_a_client: Client, analyst_a: User, isac_admin_client: Client
) -> None:
    peer = add_peer(isac_admin_client)
    report = report_row(author=analyst_a, tlp=TLP.GREEN, title="Ours", audience_everyone=True)
    PeerCorroboration.objects.create(report=report, peer=peer, matched=2)

    page = analyst_a_client.get(f"/reports/{report.uuid}/").content.decode()

    assert "Also reported by peer Energy ISAC of the North" in page


def test_healthz_reports_a_peer_failing_for_long(
    client: Client, isac_admin_client: Client, settings: Any
) -> None:
    peer = add_peer(isac_admin_client)
    assert client.get("/healthz").json().get("peers") == "ok"  # the test client is loopback
    Peer.objects.filter(pk=peer.pk).update(
        failing_since=timezone.now() - timedelta(minutes=settings.PEERS_FAILING_ALERT_MINUTES + 1),
        last_error="HTTP 401",
    )

    settings.HEALTHZ_TOKEN = "monitor-token"
    settings.HEALTHZ_ALLOWED_NETWORKS = []

    anyone = client.get("/healthz").json()
    monitor = client.get("/healthz", HTTP_AUTHORIZATION="Bearer monitor-token").json()

    assert set(anyone) == {"status"}  # strangers learn nothing of the ISAC's peers
    assert monitor["peers"] == "failing"
    assert monitor["peers_failing"][0]["name"] == peer.name
    assert monitor["peers_failing"][0]["error"] == "HTTP 401"


def test_isac_admin_adds_a_misp_peer_by_its_feed_and_its_page_shows_the_events_pulled(
    isac_admin_client: Client,
) -> None:
    # given the form offers a MISP peer's feed fields
    form = isac_admin_client.get("/isac/peers/new/").content.decode()
    assert 'data-peer-kind="misp"' in form
    assert 'name="feed_url"' in form

    # when the admin adds a MISP peer by its feed's URL and a protecting header
    response = isac_admin_client.post(
        "/isac/peers/new/",
        {
            "name": "CERT Community MISP", "kind": "misp",
            "feed_url": "http://127.0.0.1:9/feeds/community/manifest.json",
            "headers": "X-Feed-Key: header-value-that-must-stay-secret", "auth": "none",
            "is_active": "on", "pull_enabled": "on", "poll_minutes": "15",
            "unmarked_tlp": "amber", "push_tlp_max": "green",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]

    # then the feed's folder is kept, the header encrypted and never shown again
    peer = Peer.objects.get()
    assert peer.feed_url == "http://127.0.0.1:9/feeds/community/"
    assert "header-value-that-must-stay-secret" not in peer.secret_encrypted
    assert peer_secrets(peer).headers == "X-Feed-Key: header-value-that-must-stay-secret"
    edit = isac_admin_client.get(f"/isac/peers/{peer.uuid}/edit/").content.decode()
    assert "header-value-that-must-stay-secret" not in edit
    # and its status page lists the events pulled, as the record of each event version
    event_uuid = "0a5a3c1e-8d3f-4a57-9d0b-3f3b1c9b2e11"
    PeerExchange.objects.create(
        peer=peer, direction="pull", collection_id=event_uuid, stix_id=f"report--{event_uuid}",
        modified="2026-12-01T10:00:00.000Z", type="report", tlp="green", outcome="refused",
        detail="No rule accepts TLP:GREEN from this peer.",
    )  # fmt: skip
    page = isac_admin_client.get(f"/isac/peers/{peer.uuid}/").content.decode()
    assert "MISP feed pulled" in page
    assert event_uuid in page
    assert "Collections pulled" not in page


def test_a_misp_peers_header_must_be_a_name_and_a_value(isac_admin_client: Client) -> None:
    response = isac_admin_client.post(
        "/isac/peers/new/",
        {
            "name": "Bad headers", "kind": "misp", "feed_url": "http://127.0.0.1:9/feed/",
            "headers": "Host: elsewhere.example", "auth": "none", "poll_minutes": "15",
            "unmarked_tlp": "amber", "push_tlp_max": "green",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "the portal sets Host itself" in response.content.decode()
    assert not Peer.objects.exists()
