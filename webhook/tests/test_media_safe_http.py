"""The download policy on its own: hosts by family, addresses after resolution."""

from __future__ import annotations

import io

import pytest

from webhook.media.safe_http import BlockedURL, Policy, request


def policy(*hosts: str, networks: tuple[str, ...] = ()) -> Policy:
    return Policy.build(hosts, networks, timeout=1)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("storage.z-api.io", True),
        ("z-api.io", True),
        ("evilz-api.io", False),
        ("storage.z-api.io.evil.com", False),
        ("STORAGE.Z-API.IO.", True),
    ],
)
def test_host_suffixes(host: str, allowed: bool) -> None:
    assert policy(".z-api.io").host_allowed(host) is allowed


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_and_special_addresses_refused(address: str) -> None:
    assert not policy().address_allowed(address)


def test_public_addresses_and_allowed_networks() -> None:
    assert policy().address_allowed("157.240.1.1")
    assert policy(networks=("10.0.0.5/32",)).address_allowed("10.0.0.5")
    assert not policy(networks=("10.0.0.5/32",)).address_allowed("10.0.0.6")


@pytest.mark.parametrize(
    "url", ["ftp://mmg.whatsapp.net/x", "file:///etc/passwd", "gopher://x/", "http:///nohost"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(BlockedURL):
        request(url, io.BytesIO(), policy=policy(".whatsapp.net"), max_bytes=10)


def test_localhost_by_name_is_refused_after_resolution() -> None:
    with pytest.raises(BlockedURL, match="endereço"):
        request("http://localhost:9/x", io.BytesIO(), policy=policy("localhost"), max_bytes=10)
