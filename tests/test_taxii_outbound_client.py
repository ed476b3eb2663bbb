"""The outbound TAXII 2.1 client against medallion, the OASIS reference server, on loopback.

Loopback is refused by the SSRF guard unless allowed, as for webhooks: these tests pass
the allow-list the way the portal's FANOUT_ALLOWED_NETWORKS would.
"""

import ipaddress
import uuid

import pytest

from sharing.taxii.client import AuthKind, Credentials, TaxiiClient, TaxiiError
from tests.fixtures.medallion import PASSWORD, USER, Medallion

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]
BASIC = Credentials(kind=AuthKind.BASIC, username=USER, password=PASSWORD)


def _indicator(value: str, modified: str = "2026-11-01T10:00:00.000Z") -> dict[str, object]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(uuid.NAMESPACE_DNS, value)}",
        "created": "2026-11-01T10:00:00.000Z",
        "modified": modified,
        "name": f"Malicious domain {value}",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[domain-name:value = '{value}']",
        "pattern_type": "stix",
        "valid_from": "2026-11-01T10:00:00.000Z",
    }


def test_objects_posted_to_a_partner_arrive_and_the_status_says_so(medallion: Medallion) -> None:
    objects = [_indicator(f"evil-{n}.example") for n in range(3)]
    with TaxiiClient(api_root=medallion.api_root, credentials=BASIC, allowed=LOOPBACK) as client:
        status = client.add_objects(medallion.collection_id, {"type": "bundle", "objects": objects})
        assert status.is_complete
        assert (status.total_count, status.success_count, status.failure_count) == (3, 3, 0)
        again = client.status(status.id)
    assert again.id == status.id
    assert again.success_count == 3
    arrived = {obj["id"]: obj for obj in medallion.objects()}
    assert {o["id"] for o in objects} == set(arrived)
    assert arrived[objects[0]["id"]]["pattern"] == objects[0]["pattern"]


def test_the_same_object_version_sent_twice_is_kept_once(medallion: Medallion) -> None:
    obj = _indicator("twice.example")
    with TaxiiClient(api_root=medallion.api_root, credentials=BASIC, allowed=LOOPBACK) as client:
        client.add_objects(medallion.collection_id, [obj])
        second = client.add_objects(medallion.collection_id, [obj])
    assert second.success_count == 0
    assert [o["id"] for o in medallion.objects(versions="all")] == [obj["id"]]


def test_reading_objects_follows_the_servers_pages(medallion: Medallion) -> None:
    objects = [_indicator(f"page-{n}.example") for n in range(7)]
    with TaxiiClient(api_root=medallion.api_root, credentials=BASIC, allowed=LOOPBACK) as client:
        client.add_objects(medallion.collection_id, objects)
        pages = list(client.iter_object_pages(medallion.collection_id, limit=3))
        later = list(
            client.iter_objects(medallion.collection_id, added_after="2999-01-01T00:00:00Z")
        )
    assert [len(page.objects) for page in pages] == [3, 3, 1]
    assert pages[0].more
    assert not pages[-1].more
    assert sorted(o["id"] for p in pages for o in p.objects) == sorted(
        str(o["id"]) for o in objects
    )
    assert later == []


def test_wrong_credentials_are_a_permanent_error(medallion: Medallion) -> None:
    wrong = Credentials(kind=AuthKind.BASIC, username=USER, password="not-it")
    client = TaxiiClient(api_root=medallion.api_root, credentials=wrong, allowed=LOOPBACK)
    with client, pytest.raises(TaxiiError) as refused:
        client.add_objects(medallion.collection_id, [_indicator("x.example")])
    assert refused.value.status_code == 401
    assert refused.value.permanent
    assert medallion.objects() == []


def test_a_partner_on_loopback_is_refused_without_the_allow_list(medallion: Medallion) -> None:
    client = TaxiiClient(api_root=medallion.api_root, credentials=BASIC)
    with client, pytest.raises(TaxiiError) as refused:
        client.collection(medallion.collection_id)
    assert "loopback" in refused.value.message
    assert refused.value.permanent


def test_a_server_that_is_down_is_a_temporary_error(medallion: Medallion) -> None:
    medallion.stop()
    client = TaxiiClient(api_root=medallion.api_root, credentials=BASIC, allowed=LOOPBACK)
    with client, pytest.raises(TaxiiError) as failed:
        client.add_objects(medallion.collection_id, [_indicator("down.example")])
    assert not failed.value.permanent


def test_a_client_certificate_opens_a_server_that_requires_one(medallion_tls: Medallion) -> None:
    authority = medallion_tls.authority
    assert authority is not None
    with_certificate = Credentials(
        kind=AuthKind.CERTIFICATE,
        certificate_pem=authority.client_certificate_pem,
        key_pem=authority.client_key_pem,
        ca_certificate_pem=authority.ca_pem,
    )
    without = Credentials(kind=AuthKind.NONE, ca_certificate_pem=authority.ca_pem)
    obj = _indicator("tls.example")
    with TaxiiClient(
        api_root=medallion_tls.api_root, credentials=with_certificate, allowed=LOOPBACK
    ) as client:
        assert client.add_objects(medallion_tls.collection_id, [obj]).success_count == 1
    refused = TaxiiClient(api_root=medallion_tls.api_root, credentials=without, allowed=LOOPBACK)
    with refused, pytest.raises(TaxiiError):
        refused.collection(medallion_tls.collection_id)
    assert [o["id"] for o in medallion_tls.objects()] == [obj["id"]]


def test_credentials_say_what_is_missing_and_never_print_secrets() -> None:
    assert Credentials(kind=AuthKind.BASIC, username="u").problems()
    assert Credentials(kind=AuthKind.BEARER).problems()
    assert Credentials(kind=AuthKind.CERTIFICATE, certificate_pem="x").problems()
    token = Credentials(kind=AuthKind.BEARER, token="s3cr3t")
    assert token.headers() == {"Authorization": "Bearer s3cr3t"}
    assert "s3cr3t" not in repr(token)
    with pytest.raises(TaxiiError):
        TaxiiClient(api_root="https://user:pw@taxii.example/api1/")
    with pytest.raises(TaxiiError):
        TaxiiClient(api_root="ftp://taxii.example/api1/")
