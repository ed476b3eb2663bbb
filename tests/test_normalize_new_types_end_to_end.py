"""End to end: an analyst's report goes through the real worker, is published, and another
member reads it over the API and TAXII with the new indicator types present and the
victims' personal data absent."""

import json
import time
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from sharing.models import Submission
from sharing.taxii.protocol import TAXII_MEDIA_TYPE
from sharing.taxii.selectors import SHARED_WITH_ME_ID
from sharing.tlp import TLP
from tests.fixtures.reports import shared
from tests.fixtures.taxii import IssueToken

pytestmark = pytest.mark.services

BODY = """Ransomware at our billing segment.

Our AP clerk, Priya Raman (priya.raman@b.test, +44 20 7946 0321), opened the lure from
billing@invoice-cloud-portal.net; the link was
https://pay-invoice-portal.top/auth/view.php?user=priya.raman@b.test&ref=q4 and the
payload beaconed to 193.42.33.14 with the user agent "python-requests/2.31.0" and the
JA3 72d9285ef73cfdb8382c09f141f05a0f. Priya reported it within the hour.

Ransom wallet: bc1q2h0fhw06q02zdxw4f72km70r8asx8tmqha9p87
Persistence: HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run
Mutex: "Local\\\\AKR-2026-mtx".
Failed logins also hit vpn.b.test, the peer's own VPN (a victim, not the attacker).

References
- https://www.cisa.gov/news-events/cybersecurity-advisories/aa26-301a
"""
PERSONAL = ("Priya", "Raman", "priya.raman", "7946 0321")


def wait_for_worker(report_id: int, timeout: float = 30.0) -> None:
    done = (Submission.Status.NEEDS_REVIEW, Submission.Status.PUBLISHED)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = set(
            Submission.objects.filter(report_id=report_id).values_list("status", flat=True)
        )
        if statuses and statuses <= set(done):
            return
        assert Submission.Status.FAILED not in statuses
        time.sleep(0.1)
    raise AssertionError("the worker never finished the submission")


def get(client: Client, url: str, token: str, taxii: bool = False) -> Any:
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if taxii:
        headers["HTTP_ACCEPT"] = TAXII_MEDIA_TYPE
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content[:300]
    return response


def test_peer_reads_new_types_over_api_and_taxii_and_no_victim_data(
    celery_worker: object,
    analyst_a: User,
    peer_b: User,
    client: Client,
    issue_token: IssueToken,
) -> None:
    # given an analyst at member A who shares a report about a victim at member B
    report = shared(analyst_a, TLP.GREEN, title="Ransomware at a peer", body_markdown=BODY)

    # when the real worker has normalised it
    wait_for_worker(report.pk)
    as_b = issue_token(peer_b)

    # then member B gets the new types over the API, with derived hosts marked as derived
    api = get(client, f"/api/v1/indicators/?report={report.uuid}", as_b)
    indicators = {(row["type"], row["value"]): row for row in api.json()["results"]}
    assert ("crypto-wallet", "bc1q2h0fhw06q02zdxw4f72km70r8asx8tmqha9p87") in indicators
    assert (
        "registry-key",
        r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run",
    ) in indicators
    assert ("mutex", r"Local\AKR-2026-mtx") in indicators
    assert ("user-agent", "python-requests/2.31.0") in indicators
    assert ("ja3", "72d9285ef73cfdb8382c09f141f05a0f") in indicators
    assert (
        "url",
        "https://pay-invoice-portal.top/auth/view.php?user=[redacted]&ref=q4",
    ) in indicators
    derived = indicators[("domain", "pay-invoice-portal.top")]
    assert derived["description"].startswith("Derived")
    assert not any("b.test" in value for _, value in indicators)

    # and over TAXII the same report as STIX: new observables, a Suricata JA3 rule, the
    # advisory as an external reference, and nothing personal anywhere
    taxii = get(client, f"/taxii2/portal/collections/{SHARED_WITH_ME_ID}/objects/", as_b, True)
    objects = taxii.json()["objects"]
    types = {obj["type"] for obj in objects}
    assert {
        "cryptocurrency-wallet",
        "windows-registry-key",
        "mutex",
        "extension-definition",
    } <= types
    patterns = {obj["pattern"] for obj in objects if obj["type"] == "indicator"}
    assert any("ja3.hash" in pattern for pattern in patterns)
    assert any("'User-Agent' = 'python-requests/2.31.0'" in pattern for pattern in patterns)
    report_object = next(obj for obj in objects if obj["type"] == "report")
    assert report_object["external_references"] == [
        {
            "source_name": "cisa.gov",
            "url": "https://www.cisa.gov/news-events/cybersecurity-advisories/aa26-301a",
        }
    ]
    for text in (taxii.content.decode(), api.content.decode(), json.dumps(report_object)):
        for secret in PERSONAL:
            assert secret not in text
    report_api = get(client, f"/api/v1/reports/{report.uuid}/", as_b).content.decode()
    for secret in PERSONAL:
        assert secret not in report_api
    # and the API's list carries the report exactly as its own address does
    listed = get(client, "/api/v1/reports/", as_b).json()["results"]
    assert [row for row in listed if row["id"] == str(report.uuid)] == [json.loads(report_api)]
