"""Shipping addresses and households: one kit per household, recognised by a normalised address."""

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.campaigns.models import (
    Campaign,
    CampaignApplication,
)
from app.i18n import _
from app.i18n.formatting import format_number

# ------------------------------------------------------------------------------------------------------------
# Applications and households
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    recipient_name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    postcode: str = ""
    country: str = ""


ADDRESS_FIELDS = ("recipient_name", "address_line1", "address_line2", "city", "postcode", "country")
_ADDRESS_LIMITS = {"recipient_name": 120, "address_line1": 200, "address_line2": 200, "city": 100, "postcode": 20}
# Spellings of the same thing in street addresses, each mapped to one token.
_ADDRESS_WORDS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "boulevard": "blvd",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "terrace": "ter",
    "highway": "hwy",
    "apartment": "apt",
    "apt": "apt",
    "flat": "apt",
    "unit": "apt",
    "suite": "apt",
    "ste": "apt",
    "no": "",
    "number": "",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


def _address_tokens(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    # "#3" is an apartment number; other punctuation only separates words.
    ascii_text = re.sub(r"#\s*", " apt ", ascii_text)
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text).split()
    tokens = [_ADDRESS_WORDS.get(word, word) for word in words]
    return [token for token in tokens if token]


def normalise_address(address: Address) -> str:
    """The address as one canonical string: "12 Main St., Apt 3" and "12 main street apt 3" read the same."""
    street = " ".join(_address_tokens(f"{address.address_line1} {address.address_line2}"))
    city = " ".join(_address_tokens(address.city))
    postcode = re.sub(r"[^a-z0-9]", "", address.postcode.lower())
    return f"{street}|{city}|{postcode}|{address.country.strip().lower()}"


def household_key(address: Address) -> str:
    """A hash of the normalised address: enough to spot a second application from one household, and no more."""
    return hashlib.sha256(normalise_address(address).encode()).hexdigest()


def validate_address(address: Address) -> dict[str, str]:
    """The address's errors per field (empty when it will do)."""
    errors = {}
    for name, limit in _ADDRESS_LIMITS.items():
        if len(getattr(address, name).strip()) > limit:
            errors[name] = _("Use at most %(limit)s characters.", limit=format_number(limit))
    for name, message in (
        ("recipient_name", _("Enter the name to ship to.")),
        ("address_line1", _("Enter the street address.")),
        ("city", _("Enter the town or city.")),
    ):
        if not getattr(address, name).strip():
            errors[name] = message
    if not re.fullmatch(r"[A-Za-z]{2}", address.country.strip()):
        errors["country"] = _("Use the two-letter country code, e.g. GB or US.")
    return errors


def set_address(application: CampaignApplication, address: Address) -> None:
    """Store the address on the application, tidied, with its household key."""
    application.recipient_name = address.recipient_name.strip()
    application.address_line1 = address.address_line1.strip()
    application.address_line2 = address.address_line2.strip()
    application.city = address.city.strip()
    application.postcode = address.postcode.strip().upper()
    application.country = address.country.strip().upper()
    application.household_key = household_key(address)


def address_of(application: CampaignApplication) -> Address:
    return Address(**{name: getattr(application, name) for name in ADDRESS_FIELDS})


def household_mates(session: Session, *, campaign: Campaign) -> dict[int, list[User]]:
    """For the review table: each application that shares its household (normalised address) with others in the
    campaign, mapped to those others' applicants. Withdrawn applications have no household and never count."""
    mate = aliased(CampaignApplication)
    rows = session.exec(
        select(CampaignApplication.id, User)
        .join(mate, col(mate.household_key) == CampaignApplication.household_key)
        .join(User, col(User.id) == mate.user_id)
        .where(
            CampaignApplication.campaign_id == campaign.id,
            mate.campaign_id == campaign.id,
            col(mate.id) != CampaignApplication.id,
            col(CampaignApplication.household_key).is_not(None),
        )
        .order_by(col(CampaignApplication.id), col(mate.id))
    ).all()
    mates: dict[int, list[User]] = defaultdict(list)
    for application_id, user in rows:
        mates[application_id or 0].append(user)  # ids of stored rows are never None
    return dict(mates)
