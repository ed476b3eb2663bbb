"""Webhook destinations are checked address by address (SSRF), with plain inputs."""

import ipaddress
import socket

import pytest

from sharing.fanout import netguard


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "169.254.169.254",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",
        "224.0.0.1",
        "0.0.0.0",
        "240.0.0.1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1",
        "ff02::1",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    assert netguard.address_problem(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert netguard.address_problem(ipaddress.ip_address(address)) is None


def test_an_allow_listed_private_range_is_reachable_and_nothing_else() -> None:
    allowed = netguard.parse_networks(["10.20.0.0/16"])

    assert netguard.address_problem(ipaddress.ip_address("10.20.3.4"), allowed=allowed) is None
    assert netguard.address_problem(ipaddress.ip_address("10.21.0.1"), allowed=allowed)


def test_cloud_metadata_stays_refused_even_when_its_range_is_allow_listed() -> None:
    allowed = netguard.parse_networks(["169.254.0.0/16", "0.0.0.0/0"])

    problem = netguard.address_problem(ipaddress.ip_address("169.254.169.254"), allowed=allowed)

    assert problem is not None
    assert "metadata" in problem


def test_ipv4_mapped_ipv6_is_judged_by_its_ipv4_address() -> None:
    problem = netguard.address_problem(ipaddress.ip_address("::ffff:169.254.169.254"))

    assert problem is not None
    assert "metadata" in problem


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://localhost:8080/hook",  # a host name that resolves to a loopback address
        "http://[::ffff:7f00:1]/hook",
        "ftp://example.com/hook",
        "http://user:pass@93.184.215.14/hook",
    ],
)
def test_urls_that_reach_inside_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(netguard.BlockedDestination):
        netguard.check_url(url)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(netguard.BlockedDestination, match="does not resolve"):
        netguard.check_url("http://no-such-host.invalid/hook")


def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.fixtures.fanout import Receiver, free_port

    receiver = Receiver(port=free_port())
    receiver.start()
    lookups: list[str] = []

    def resolver(host: str, port: object, *args: object, **kwargs: object) -> list[object]:
        # A name server that would answer differently the second time (DNS rebinding).
        # Address literals resolve to themselves, as they do without a name server.
        try:
            ipaddress.ip_address(host)
        except ValueError:
            lookups.append(host)
        else:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (host, port))]
        address = "127.0.0.1" if len(lookups) == 1 else "10.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    try:
        response = netguard.post(
            f"http://hooks.member.example:{receiver.port}/in",
            content=b"{}",
            headers={"Content-Type": "application/json"},
            allowed=netguard.parse_networks(["127.0.0.0/8"]),
        )
    finally:
        receiver.stop()

    assert response.status_code == 204
    assert lookups == ["hooks.member.example"]  # resolved once, then pinned
    [request] = receiver.requests
    assert request.host == f"hooks.member.example:{receiver.port}"
    assert request.path == "/in"
