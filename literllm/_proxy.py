"""Proxies from the environment, resolved as curl resolves them.

``HTTPS_PROXY``/``https_proxy`` for https:// URLs, ``HTTP_PROXY``/``http_proxy`` for http://,
``ALL_PROXY``/``all_proxy`` for either (the lowercase name wins when both are set). A proxy
without a scheme (``host:3128``) is ``http://host:3128``. ``NO_PROXY``/``no_proxy`` lists, by
commas or spaces, what goes direct:

- ``*`` alone: every host;
- a name: that host and every subdomain (``example.com`` and ``.example.com`` both match
  ``example.com`` and ``api.example.com``, never ``badexample.com``); a trailing ``*.`` prefix
  is read as a leading dot;
- an IP address or an IPv4/IPv6 CIDR block (``10.0.0.0/8``, ``::1``, ``[::1]``, ``fd00::/8``)
  matching a URL whose host is an address in it (names are not looked up);
- any of these with ``:port``: only that port.

urllib's ``proxy_bypass_environment`` knows neither CIDR blocks nor ``*`` among other entries,
and reads ``host:port`` entries only loosely; this follows curl 7.86+ (and Go's
``httpproxy``, and requests' CIDR support).

The credentials of a proxy URL (``http://user:password@proxy:3128``) are split off: the proxy
URL handed to aiohttp has none, they travel as ``proxy_auth``, and every form of them (the
password, ``user:password`` and its base64) is a secret the client redacts.
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import SplitResult, unquote, urlsplit

from .errors import ConfigurationError

__all__ = ["Proxy", "ProxyConfig", "bypasses", "proxy_config_from_env"]


class Proxy(NamedTuple):
    """A proxy with its credentials split off (``url`` carries none)."""

    url: str
    login: str | None
    password: str | None

    @property
    def _pair(self) -> str | None:
        if self.login is None and self.password is None:
            return None
        return f"{self.login or ''}:{self.password or ''}"

    @property
    def authorization(self) -> str | None:
        """The ``Proxy-Authorization`` value for the URL's credentials (``None``: none)."""
        pair = self._pair
        return None if pair is None else "Basic " + base64.b64encode(pair.encode()).decode()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every form the credentials may take in what a proxy or aiohttp says back."""
        pair, authorization = self._pair, self.authorization
        if pair is None or authorization is None:
            return ()
        forms = {self.password or "", pair, authorization.removeprefix("Basic ")}
        return tuple(sorted((form for form in forms if form), key=len, reverse=True))

    def __repr__(self) -> str:
        return f"Proxy(url={self.url!r}, login={'set' if self.login else None})"


class _Rule(NamedTuple):
    host: str | None  # a name, lowercased, without a leading dot (None: a network)
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None
    port: int | None


class ProxyConfig(NamedTuple):
    by_scheme: Mapping[str, Proxy]
    bypass_all: bool
    rules: tuple[_Rule, ...]

    def proxy_for(self, url: str) -> Proxy | None:
        parts = urlsplit(url)
        proxy = self.by_scheme.get(parts.scheme)
        if proxy is None or bypasses(self, parts.hostname or "", _port_of(parts)):
            return None
        return proxy


def _port_of(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        return None
    if port is None:
        return {"https": 443, "http": 80}.get(parts.scheme)
    return port


def _env(environ: Mapping[str, str], name: str) -> str | None:
    # curl: the lowercase name first (and only it for http_proxy; we take both, as requests).
    for candidate in (name.lower(), name.upper()):
        value = environ.get(candidate)
        if value is not None and value.strip():
            return value.strip()
    return None


def parse_proxy(value: str, variable: str) -> Proxy:
    """A proxy URL as the environment gives it; ``host:port`` means ``http://host:port``."""
    if "://" not in value:
        value = "http://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Not the value itself: it may hold a password.
        raise ConfigurationError(
            f"{variable} must be an http(s) proxy URL with a host (scheme {parts.scheme!r})"
        )
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"{variable} has an invalid port") from None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    url = f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
    login = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return Proxy(url, login, password)


def _rule(entry: str) -> _Rule | None:
    entry = entry.strip().lower()
    if not entry:
        return None
    port: int | None = None
    if entry.startswith("["):  # [v6] or [v6]:port
        end = entry.find("]")
        if end < 0:
            return None
        host, rest = entry[1:end], entry[end + 1 :]
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    elif entry.count(":") == 1:  # name:port or v4:port (more colons: a bare v6 address)
        host, _, port_text = entry.partition(":")
        if not port_text.isdigit():
            return None
        port = int(port_text)
    else:
        host = entry
    try:
        return _Rule(None, ipaddress.ip_network(host, strict=False), port)
    except ValueError:
        pass
    if host.startswith("*."):
        host = host[1:]
    host = host.lstrip(".").rstrip(".")
    return _Rule(host, None, port) if host else None


def proxy_config_from_env(environ: Mapping[str, str] | None = None) -> ProxyConfig:
    """The proxies and bypass rules the environment names (``os.environ`` by default)."""
    environ = os.environ if environ is None else environ
    fallback = _env(environ, "ALL_PROXY")
    by_scheme: dict[str, Proxy] = {}
    for scheme in ("http", "https"):
        variable = f"{scheme}_proxy"
        value = _env(environ, variable) or fallback
        if value:
            name = variable.upper() if _env(environ, variable) else "ALL_PROXY"
            by_scheme[scheme] = parse_proxy(value, name)
    no_proxy = _env(environ, "NO_PROXY") or ""
    entries = no_proxy.replace(",", " ").split()
    rules = tuple(rule for rule in map(_rule, entries) if rule is not None)
    return ProxyConfig(by_scheme, "*" in entries, rules)


def bypasses(config: ProxyConfig, host: str, port: int | None) -> bool:
    """Whether ``host`` (a URL's hostname, brackets removed) on ``port`` goes direct."""
    if config.bypass_all:
        return True
    host = host.lower().rstrip(".")
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(
            host
        )
    except ValueError:
        address = None
    for rule in config.rules:
        if rule.port is not None and rule.port != port:
            continue
        if rule.network is not None:
            if address is not None and address.version == rule.network.version and (
                address in rule.network
            ):
                return True
        elif address is None and rule.host is not None and (
            host == rule.host or host.endswith("." + rule.host)
        ):
            # Names match names only: ".0.0.1" is no rule for 127.0.0.1 (curl agrees).
            return True
    return False
