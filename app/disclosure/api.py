"""JSON API for the disclosure rules: the same table as the public page."""

from fastapi import APIRouter

from app.accounts.deps import Public
from app.disclosure import schemas
from app.disclosure.service import RULES

router = APIRouter(tags=["disclosure"])


@router.get("/disclosure/rules", summary="Which connection to a brand gives which disclosure badge")
def list_rules(_visitor: Public) -> list[schemas.DisclosureRulePublic]:
    return [
        schemas.DisclosureRulePublic(kind=rule.kind, badge=rule.badge_for("{brand}"), connection=rule.connection_text())
        for rule in RULES
    ]
