"""Hardening: the webhook allow-list, caching of shared material, what /healthz and the API
schema tell anonymous callers."""

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from sharing.fanout import netguard
from sharing.fanout.services import allowance_add, webhook_url_problem
from sharing.models import PrivateNetworkAllowance, Report
from tests.fixtures.members import acting, signed_in
from tests.fixtures.taxii import IssueToken

# --- the webhook allow-list -------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "reason"),
    [
        ("127.0.0.0/8", "loopback"),
        ("127.0.0.1/32", "loopback"),
        ("::1/128", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("169.254.169.254/32", "link-local"),
        ("fe80::/64", "link-local"),
        ("fd00:ec2::254/128", "metadata"),
        ("0.0.0.0/0", "wider than a /16"),
        ("10.0.0.0/8", "wider than a /16"),
        ("::/0", "wider than a /48"),
        ("fc00::/7", "wider than a /48"),
        ("0.0.0.0/16", "unspecified"),
    ],
)
def test_the_allow_list_refuses_ranges_that_would_open_the_portal_itself(
    network: str, reason: str
) -> None:
    problem = netguard.allowance_problem(ipaddress.ip_network(network))

    assert problem is not None
    assert reason in problem


@pytest.mark.parametrize("network", ["10.20.0.0/16", "192.168.7.0/24", "fd12:3456:789a::/48"])
def test_the_allow_list_takes_a_site_range(network: str) -> None:
    assert netguard.allowance_problem(ipaddress.ip_network(network)) is None


def test_an_isac_admin_is_told_why_a_range_is_refused(isac_admin: User) -> None:
    client = signed_in(isac_admin)

    page = client.post("/feeds/allow-list/", {"network": "127.0.0.0/8", "note": "oops"})

    assert page.status_code == 200
    assert "loopback" in page.content.decode()
    assert not PrivateNetworkAllowance.objects.exists()
    with pytest.raises(ValidationError, match="wider than a /16"):
        allowance_add(network="0.0.0.0/0", by=acting(isac_admin))


def test_a_range_saved_before_the_rules_opens_nothing(
    isac_admin: User, settings: SettingsWrapper
) -> None:
    settings.FANOUT_ALLOWED_NETWORKS = []
    PrivateNetworkAllowance.objects.create(network="0.0.0.0/0", created_by=isac_admin)

    assert webhook_url_problem("http://127.0.0.1:9/hook") is not None


# --- caching ----------------------------------------------------------------------------


def test_pages_with_shared_material_are_never_stored(analyst_a: User, amber_for_b: Report) -> None:
    client = signed_in(analyst_a)

    for path in ("/", "/reports/", f"/reports/{amber_for_b.uuid}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path


def test_api_and_taxii_answers_are_private_and_vary_by_token(
    peer_b: User, amber_for_b: Report, issue_token: IssueToken
) -> None:
    token = issue_token(peer_b)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    taxii = Client(
        HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT="application/taxii+json;version=2.1"
    )

    for client, path in ((api, "/api/v1/reports/"), (taxii, "/taxii2/portal/")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "private, no-store", path
        assert "Authorization" in response["Vary"], path


# --- what anonymous callers learn ---------------------------------------------------------


def test_healthz_names_nothing_to_an_anonymous_caller(db: None, settings: SettingsWrapper) -> None:
    settings.HEALTHZ_TOKEN = "monitor-secret"

    outside = Client(REMOTE_ADDR="203.0.113.9").get("/healthz")
    monitor = Client(REMOTE_ADDR="203.0.113.9").get(
        "/healthz", HTTP_AUTHORIZATION="Bearer monitor-secret"
    )
    wrong = Client(REMOTE_ADDR="203.0.113.9").get("/healthz", HTTP_AUTHORIZATION="Bearer nope")
    local = Client(REMOTE_ADDR="127.0.0.1").get("/healthz")

    assert set(outside.json()) == {"status"}
    assert set(wrong.json()) == {"status"}
    assert {"status", "database", "redis", "worker"} <= set(monitor.json())
    assert {"status", "database", "redis", "worker"} <= set(local.json())


def test_the_api_schema_is_public_and_names_no_host_or_software_version(db: None) -> None:
    response = Client(REMOTE_ADDR="203.0.113.9").get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["version"] == "1"
    assert "servers" not in schema
    assert b"postgres" not in response.content.lower()
    assert b"celery@" not in response.content
