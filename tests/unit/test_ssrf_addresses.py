"""The SSRF guard's address rule (issue 11, defect 7): reserved addresses, and every IPv6 form
that carries an IPv4 address (mapped, compatible, 6to4, NAT64, Teredo), are judged by what
they reach."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budgetguard.domain.recipients import forbidden_address

NOT_PUBLIC = [
    IPv4Network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
              "100.64.0.0/10", "0.0.0.0/8", "240.0.0.0/4", "224.0.0.0/4", "198.18.0.0/15",
              "192.0.0.0/29", "192.0.2.0/24", "255.255.255.255/32")
]  # fmt: skip
PUBLIC = IPv4Address("93.184.215.14")

not_public_ipv4 = st.sampled_from(NOT_PUBLIC).flatmap(lambda net: st.ip_addresses(network=net))
any_16_bits = st.integers(0, 0xFFFF)
any_64_bits = st.integers(0, 2**64 - 1)


def mapped(v4: IPv4Address) -> IPv6Address:
    return IPv6Address(0xFFFF_0000_0000 | int(v4))


def compatible(v4: IPv4Address) -> IPv6Address:
    return IPv6Address(int(v4))


def nat64(v4: IPv4Address) -> IPv6Address:
    return IPv6Address(0x0064_FF9B << 96 | int(v4))


def nat64_local_use(v4: IPv4Address, subnet: int) -> IPv6Address:
    """64:ff9b:1::/48 (RFC 8215), the IPv4 address where a /96 translator puts it."""
    return IPv6Address((0x0064_FF9B_0001 << 80) | (subnet << 32) | int(v4))


def sixtofour(v4: IPv4Address, subnet: int, interface: int) -> IPv6Address:
    return IPv6Address((0x2002 << 112) | (int(v4) << 80) | (subnet << 64) | interface)


def teredo(server: IPv4Address, client: IPv4Address, port: int) -> IPv6Address:
    """2001::/32: the server, flags, then the client's port and address XOR-ed (RFC 4380)."""
    return IPv6Address(
        (0x2001_0000 << 96) | (int(server) << 64) | ((port ^ 0xFFFF) << 32)
        | (int(client) ^ 0xFFFF_FFFF)
    )  # fmt: skip


@pytest.mark.parametrize(
    "address",
    ["::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "64:ff9b:1::a9fe:a9fe",
     "2001:0:5db8:d70e:0:ffff:80ff:fffe", "::ffff:a9fe:a9fe", "fec0::1", "100::1", "2001:db8::1",
     "240.0.0.1", "255.255.255.255", "ff02::1", "::", "0.0.0.0"],  # noqa: S104
)  # fmt: skip
def test_reserved_and_tunnelled_private_addresses_are_refused(address: str) -> None:
    assert forbidden_address(address)


@given(v4=not_public_ipv4, subnet=any_16_bits, interface=any_64_bits, port=any_16_bits)
def test_every_ipv6_form_of_a_non_public_ipv4_address_is_refused(
    v4: IPv4Address, subnet: int, interface: int, port: int
) -> None:
    forms = [
        mapped(v4), compatible(v4), nat64(v4), nat64_local_use(v4, subnet),
        sixtofour(v4, subnet, interface), teredo(PUBLIC, v4, port), teredo(v4, PUBLIC, port),
    ]  # fmt: skip
    assert forbidden_address(str(v4))
    assert [f for f in forms if not forbidden_address(str(f))] == []


@given(subnet=any_16_bits, interface=any_64_bits)
def test_a_public_ipv4_address_may_be_reached_through_nat64_6to4_or_mapped(
    subnet: int, interface: int
) -> None:
    """DNS64 hands IPv6-only hosts 64:ff9b::/96 addresses of IPv4-only receivers: allowed when
    the IPv4 address inside is public. Deprecated (compatible) and local-use forms are not."""
    allowed = [nat64(PUBLIC), mapped(PUBLIC), sixtofour(PUBLIC, subnet, interface)]
    refused = [compatible(PUBLIC), nat64_local_use(PUBLIC, subnet), teredo(PUBLIC, PUBLIC, 1)]

    assert [forbidden_address(str(a)) for a in allowed] == [False] * 3
    assert [forbidden_address(str(a)) for a in refused] == [True] * 3
