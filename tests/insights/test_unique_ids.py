"""Ids are unique on every results page, also when two segments are compared side by side: a chart's title and
description are named by id (aria-labelledby), so a repeated id would label one segment's chart with the other's."""

from collections import Counter
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.brands.models import StaffRole
from tests.factories import add_staff, log_in, make_user
from tests.insights.factories import campaign_world


class Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1


def repeated_ids(html: str) -> list[str]:
    parser = Ids()
    parser.feed(html)
    assert parser.ids, "a page without ids tells nothing"
    return sorted(ident for ident, count in parser.ids.items() if count > 1)


def test_compared_segments_repeat_no_id(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    analyst = make_user(session)
    add_staff(session, world.brand, analyst, StaffRole.analyst)
    log_in(client, session, analyst)
    outcome = world.questions["outcome"].id
    # Every one of both segments' figures is drawn: 9 keepers against the other 9.
    compare = {"compare": "1", "a": f"{outcome}:keep", "b": f"{outcome}:change_price,change_colour,scrap"}
    survey = f"/brands/{world.brand.slug}/surveys/{world.campaign.survey_id}/insights"
    campaign = f"/c/{world.community.slug}/campaigns/{world.campaign.slug}/insights"
    for url in (survey, campaign):
        page = client.get(url, params=compare)
        assert page.status_code == 200
        assert 'data-testid="respondents-a">9<' in page.text and 'data-testid="respondents-b">9<' in page.text
        assert page.text.count('role="img"') >= 10
        assert repeated_ids(page.text) == [], url
        assert repeated_ids(client.get(url).text) == [], url  # one segment: the outcome and its question too
