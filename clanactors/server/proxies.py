"""Who is on the other end: the client's address, believed from `X-Forwarded-For` only when
the connection comes from a reverse proxy named in CLANACTORS_TRUSTED_PROXIES."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
    return address


class TrustedProxies:
    def __init__(self, networks: Iterable[str] = ()) -> None:
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in networks
        )

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in n for n in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: the peer's own, unless the peer is a trusted proxy; then
        the nearest address in `X-Forwarded-For` (read right to left, the order proxies
        append in) that is not itself a trusted proxy. Entries left of it were written by
        the client and are never believed."""
        current = _parse(peer)
        if not self.trusts(current) or not forwarded_for:
            return peer
        for hop in reversed(forwarded_for.split(",")):
            if not self.trusts(current):
                break
            address = _parse(hop)
            if address is None:
                break  # garbage from the client's side of the chain: stop at the proxy
            current = address
        return str(current)


def address_key(address: str) -> str:
    """What a per-address limit counts by: an IPv4 address, or an IPv6 /64 (one network
    is what one household or one machine gets; counting single addresses there would let
    one client pose as billions)."""
    parsed = _parse(address)
    if parsed is None:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)
