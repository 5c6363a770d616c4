"""The client's address: the one place that says who is on the other end of a request.

Sign-in lockouts, rate limits and the address in audit events all count by it.  Behind
a reverse proxy every connection comes from the proxy, so the proxy's header is read,
but only when the connection comes from a proxy named in ``AMANAT_TRUSTED_PROXIES``:
anyone else could write any address into the header.

``X-Forwarded-For`` is read from the right: each proxy appends the address it saw, so
the right end is written by our proxies and the left by whoever sent the request.
Hops that are trusted proxies themselves are skipped; the first hop that is not is the
client.  An unreadable hop stops the walk at the last address a trusted proxy vouched
for, so garbage never becomes a fresh identity.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("amanat.core.clientaddr")

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

# Limits count an IPv6 client by its /64: one subscriber gets a whole /64, and counting
# its single addresses would give it 2**64 fresh identities.
IPV6_LIMIT_PREFIX = 64

_warned_untrusted_header = False


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    # settings.py has checked the entries already; strict=False accepts 10.0.0.1/8.
    return tuple(ip_network(entry, strict=False) for entry in entries)


def trusted_proxies() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "AMANAT_TRUSTED_PROXIES", ())))


def _parse(text: str) -> Address | None:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's view of an IPv4 client
    return address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def _warn_untrusted_header(request: HttpRequest, peer: Address) -> None:
    """Say once per process that a header came from a peer we do not trust: either a
    client forging it (harmless, it is ignored) or a proxy missing from the setting."""
    global _warned_untrusted_header
    if _warned_untrusted_header or "HTTP_X_FORWARDED_FOR" not in request.META:
        return
    _warned_untrusted_header = True
    logger.warning(
        "X-Forwarded-For from %s, which is not in AMANAT_TRUSTED_PROXIES: ignored. If %s "
        "is your reverse proxy, add it, or every client is counted as the proxy.", peer, peer
    )


def client_ip(request: HttpRequest) -> Address | None:
    """The client's address, or None when the connection has none (not over TCP)."""
    peer = _parse(str(request.META.get("REMOTE_ADDR") or ""))
    networks = trusted_proxies()
    if peer is None or not _is_trusted(peer, networks):
        if peer is not None:
            _warn_untrusted_header(request, peer)
        return peer
    client = peer
    for hop in reversed(str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")):
        address = _parse(hop)
        if address is None:
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return client


def client_address(request: HttpRequest) -> str:
    """The client's address as text, for records (audit events); "" when unknown."""
    address = client_ip(request)
    return "" if address is None else str(address)


def client_limit_address(request: HttpRequest) -> str:
    """What limits and lockouts count by: the IPv4 address, or the IPv6 /64 (written as
    its first address, so it still fits an address column); "" when unknown."""
    address = client_ip(request)
    if address is None:
        return ""
    if isinstance(address, IPv6Address):
        network = ip_network(f"{address}/{IPV6_LIMIT_PREFIX}", strict=False)
        return str(network.network_address)
    return str(address)


# Headers only a reverse proxy may set: the client's address (read above) and the
# scheme (Django's SECURE_PROXY_SSL_HEADER believes X-Forwarded-Proto from anyone).
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                 "HTTP_X_FORWARDED_PORT", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


class UntrustedProxyHeadersMiddleware:
    """Drop the proxy headers of a connection that does not come from a trusted proxy,
    before anything reads them: a client that reaches the app directly cannot then
    claim HTTPS (no redirect, "secure" request) any more than another address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = _parse(str(request.META.get("REMOTE_ADDR") or ""))
        if peer is None or not _is_trusted(peer, trusted_proxies()):
            if peer is not None:
                _warn_untrusted_header(request, peer)
            for name in PROXY_HEADERS:
                request.META.pop(name, None)
        return self.get_response(request)
