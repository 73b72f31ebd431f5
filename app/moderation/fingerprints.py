"""Hashed network and device fingerprints, recorded at login and at scoring, read by vote integrity; and the
keyed hash of a login's address that its session keeps (``UserSession.address_hash``).

Never the raw address or user agent: an HMAC with the site's secret key of the /24 (IPv4) or /48 (IPv6) network
and of the user agent, truncated. The same network gives the same hash, so shared networks show; the hash cannot
be reversed without the key, and a dictionary over all addresses needs the key too.
"""

import hashlib
import hmac
import ipaddress
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.columns import UTCDateTime, utcnow
from app.config import get_settings
from app.moderation.models import MemberFingerprint

HASH_LENGTH = 32


def _keyed_hash(purpose: str, value: str) -> str:
    key = get_settings().resolved_secret_key.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()[:HASH_LENGTH]


@lru_cache(maxsize=4096)
def network_of(ip_address: str) -> str:
    """The /24 of an IPv4 address, the /48 of an IPv6 one; anything unparseable as itself (e.g. "testclient").
    Remembered for the addresses seen most recently: parsing an address is most of a score's fingerprint."""
    try:
        address = ipaddress.ip_address(ip_address.strip())
    except ValueError:
        return ip_address.strip().lower()
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def network_hash(ip_address: str) -> str:
    return _keyed_hash("network", network_of(ip_address))


def address_hash(ip_address: str) -> str:
    """The full address, keyed and hashed: equal for equal addresses, and nothing more."""
    return _keyed_hash("address", ip_address.strip().lower())


def device_hash(user_agent: str) -> str:
    return _keyed_hash("device", user_agent.strip()[:255])


@cache
def _insert_statement(dialect_name: str) -> Any:
    """Built once per dialect, with bound parameters, so SQLAlchemy compiles it once (the scoring path runs it)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    # The Core table, not the class: an ORM-enabled INSERT goes through the bulk-persistence machinery each time.
    table: Table = MemberFingerprint.__table__  # type: ignore[attr-defined]
    return (
        dialect.insert(table)
        .values(
            user_id=bindparam("user_id"),
            network_hash=bindparam("network_hash"),
            device_hash=bindparam("device_hash"),
            first_seen_at=bindparam("first_seen_at", type_=UTCDateTime),
        )
        .on_conflict_do_nothing()
    )


def record_fingerprint(
    session: Session, *, user_id: int, ip_address: str, user_agent: str, now: datetime | None = None
) -> None:
    """Remember that this member was seen on this network with this device: one INSERT that does nothing when
    the row is there already (the scoring path calls it, so it stays one cheap, pre-built statement)."""
    connection = session.connection()
    connection.execute(
        _insert_statement(connection.dialect.name),
        {
            "user_id": user_id,
            "network_hash": network_hash(ip_address),
            "device_hash": device_hash(user_agent),
            "first_seen_at": now or utcnow(),
        },
    )
