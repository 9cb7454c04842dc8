"""Downloading a calendar from the web without opening a way into the city's own network.

A host name is resolved once per request; every address it resolves to must be public (the
IPv4 address inside IPv6 transition forms is checked as well), and the connection goes to
exactly the checked addresses. A DNS answer that changes between check and connect (DNS
rebinding) therefore cannot send the request elsewhere. The Host header, TLS SNI and the
certificate check keep using the host name. Redirects are followed here, each hop checked
the same way.
"""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urljoin, urlsplit

from flask_babel import gettext as _

from app.errors import ValidationError

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HEADERS = {
    "Accept": "text/calendar, */*",
    "Accept-Encoding": "identity",
    "User-Agent": "Stadtkalender",
    "Connection": "close",
}

SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # ::a.b.c.d, RFC 4291 (deprecated)
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215, local use
NAT64_LOCAL_96 = ipaddress.ip_network("64:ff9b:1::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _public_ipv4(address: ipaddress.IPv4Address) -> bool:
    """Return True for an IPv4 address outside every special-purpose range."""
    return not (
        address.is_unspecified
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address in SHARED
        or not address.is_global
    )


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """Return the IPv4 addresses an IPv6 transition form carries, None for plain IPv6.

    Forms: IPv4-mapped, IPv4-compatible, NAT64 (well-known and local-use /96 prefix), 6to4
    and Teredo (server and client).
    """
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in IPV4_COMPATIBLE or address in NAT64 or address in NAT64_LOCAL_96:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    return None


def is_public(address: Address) -> bool:
    """Return True if a server at the address is outside the city's network (and any other)."""
    if address.version == 4:
        return _public_ipv4(address)
    if address in NAT64_LOCAL and address not in NAT64_LOCAL_96:
        # Other local-use prefix lengths put the IPv4 address elsewhere: it cannot be told.
        return False
    embedded = embedded_ipv4(address)
    if embedded is not None:
        # Python files these prefixes as reserved or private whatever they carry; what the
        # packets reach is the IPv4 address inside.
        return all(_public_ipv4(inner) for inner in embedded)
    return not (
        address.is_unspecified
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_site_local
        or address.is_multicast
        or address.is_reserved
        or not address.is_global
    )


def _refused() -> ValidationError:
    return ValidationError.single(
        "url", _("Addresses inside the administration's own network cannot be imported.")
    )


def _unreachable(reason) -> ValidationError:
    return ValidationError.single(
        "url", _("The address could not be loaded: %(reason)s", reason=reason)
    )


def resolve(host: str, port: int, allow_private: bool) -> list[tuple[str, int]]:
    """Resolve a host once and return its (address, port) pairs, every one of them checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _unreachable(host) from None
    targets: list[tuple[str, int]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        try:
            address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        except ValueError:
            raise _refused() from None
        if not allow_private and not is_public(address):
            raise _refused()
        if (sockaddr[0], sockaddr[1]) not in targets:
            targets.append((sockaddr[0], sockaddr[1]))
    if not targets:
        raise _unreachable(host)
    return targets


def _connect(targets: list[tuple[str, int]], timeout: float) -> socket.socket:
    """Open a TCP connection to the first checked address that answers (never by name)."""
    error: OSError | None = None
    for target in targets:
        try:
            return socket.create_connection(target, timeout)
        except OSError as failure:
            error = failure
    raise error or OSError("no address")


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to checked addresses; the Host header still names the host."""

    def __init__(self, host: str, port: int, targets: list[tuple[str, int]], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.targets = targets

    def connect(self) -> None:
        """Connect to the pinned addresses instead of resolving the name again."""
        self.sock = _connect(self.targets, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to checked addresses; SNI and the certificate check use the host name."""

    def __init__(self, host: str, port: int, targets: list[tuple[str, int]], timeout: float):
        self.tls = ssl.create_default_context()  # verifies the chain and the host name
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.targets = targets

    def connect(self) -> None:
        """Connect to the pinned addresses, then speak TLS for the host name."""
        sock = _connect(self.targets, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _web_address(url: str):
    """Return the split address if it is http or https with a host, else a ValidationError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError.single(
            "url", _("Enter an address starting with http:// or https://.")
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as error:
        raise _unreachable(error) from None
    return parts


def _connection(parts, allow_private: bool, timeout: float) -> http.client.HTTPConnection:
    """Return an unopened connection pinned to the checked addresses of the URL's host."""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    targets = resolve(parts.hostname, port, allow_private)
    kind = PinnedHTTPSConnection if https else PinnedHTTPConnection
    return kind(parts.hostname, port, targets, timeout)


def fetch(url: str, *, timeout: float, max_bytes: int, allow_private: bool) -> bytes:
    """Return at most max_bytes + 1 bytes of the body at an http(s) address, checking and
    pinning the address of every hop; ValidationError on the url field otherwise."""
    for _hop in range(MAX_REDIRECTS + 1):
        parts = _web_address(url)
        connection = _connection(parts, allow_private, timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        response = None
        try:
            connection.request("GET", target, headers=HEADERS)
            response = connection.getresponse()
            location = (response.getheader("Location") or "").strip()
            if response.status in REDIRECT_STATUSES and location:
                url = urljoin(url, location)
                if urlsplit(url).scheme not in ("http", "https"):
                    raise ValidationError.single(
                        "url", _("The address redirects to a non-web address.")
                    )
                continue
            if not 200 <= response.status < 300:
                raise ValidationError.single(
                    "url",
                    _("The server answered with HTTP status %(code)d.", code=response.status),
                )
            return response.read(max_bytes + 1)
        except (http.client.HTTPException, OSError, ValueError) as error:
            raise _unreachable(getattr(error, "reason", None) or error) from None
        finally:
            if response is not None:
                response.close()  # it holds the socket once the connection handed it over
            connection.close()
    raise ValidationError.single("url", _("The address redirects too often."))
