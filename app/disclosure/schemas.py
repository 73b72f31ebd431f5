"""The JSON shapes of disclosure badges and of the public rules."""

from collections.abc import Iterable

from pydantic import BaseModel

from app.disclosure.service import ConnectionKind, Disclosure


class DisclosurePublic(BaseModel):
    """A badge shown with an author's post: a material connection to the brand, in plain words."""

    kind: ConnectionKind
    text: str


class DisclosureRulePublic(BaseModel):
    kind: ConnectionKind
    badge: str
    connection: str


def disclosures_public(disclosures: Iterable[Disclosure]) -> list[DisclosurePublic]:
    return [DisclosurePublic(kind=disclosure.kind, text=disclosure.text) for disclosure in disclosures]
