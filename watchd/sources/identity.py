"""Telling items apart and alike: canonical URLs and the keys of feed entries.

`canonical_url` is what the store compares to spot the same story reached through two
sources or two links. `entry_key` is the identity of a feed entry within its source: it
must not change when the feed moves to another host, switches to https or adds tracking
parameters, or the entries would alert again.
"""

from __future__ import annotations

import hashlib
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

WEB_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = frozenset({80, 443})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid"}
    | {"mc_cid", "mc_eid", "igshid", "ref", "ref_src", "ref_url", "_ga", "_gl", "_hsenc"}
    | {"_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "rb_clickid", "s_cid"}
    | {"ncid", "cmpid", "spm", "smid", "at_medium", "at_campaign", "wt_mc"}
)


def canonical_url(url: str) -> str:
    """`url` in the one form two links to the same page share.

    Scheme and host in lower case, http the same as https, no "www.", no default port,
    no user, no fragment, no tracking parameters, the other parameters sorted, no
    trailing slash. Anything that is not an http(s) URL comes back stripped, unchanged.
    """
    parts = web_parts(url)
    if parts is None:
        return url.strip()
    return f"https://{authority(parts)}{url_path(parts)}"


def url_key(url: str) -> str:
    """The canonical path and query of an http(s) URL, without scheme and host ("/" for
    the root); anything else stripped, unchanged."""
    parts = web_parts(url)
    return url.strip() if parts is None else url_path(parts) or "/"


def entry_key(guid: str | None, link: str | None, title: str, date: str) -> str:
    """The key of a feed entry: its guid, else its link, else a hash of title and date.

    A guid or link that is a web address keeps only its canonical path and query.
    """
    for value in (guid, link):
        if value and value.strip():
            return url_key(value)
    digest = hashlib.sha256(f"{title.strip()}\n{date.strip()}".encode()).hexdigest()
    return f"sha256:{digest}"


def is_web_url(value: str) -> bool:
    """Whether `value` is an http(s) URL with a host."""
    return web_parts(value) is not None


def web_parts(url: str) -> SplitResult | None:
    """The parts of an http(s) URL with a host, else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unbalanced [ in an IPv6 host
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return parts


def authority(parts: SplitResult) -> str:
    """The host in lower case without "www." or a trailing dot, and a port unless 80/443."""
    host = (parts.hostname or "").rstrip(".").removeprefix("www.")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    try:
        port = parts.port
    except ValueError:  # not a number: keep the authority as written
        return parts.netloc.lower()
    return host if port is None or port in DEFAULT_PORTS else f"{host}:{port}"


def url_path(parts: SplitResult) -> str:
    """The path without its trailing slash, and the query without tracking, sorted."""
    path = parts.path.rstrip("/")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode(sorted((k, v) for k, v in pairs if not is_tracking(k)))
    return f"{path or '/'}?{query}" if query else path


def is_tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)
