"""The public page listing the disclosure rules, generated from the rule table."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import Public
from app.disclosure.service import RULES
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/disclosure", name="disclosure:rules")
def rules(request: Request, _visitor: Public) -> Response:
    return render(request, "disclosure/rules.html", {"rules": RULES, "brand_example": "Brightleaf"})
