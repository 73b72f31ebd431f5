"""Every result view hides the same cells of 1-4 people the same way (app.insights.suppression): the survey and
campaign results pages, their JSON and CSV, and the campaign progress page and its JSON.

The campaign world (tests/insights/factories.py) has 18 responses with small cells: what to do with it is keep 9,
change the price 3, change the colour 1, scrap 5 (so the 3 and the 1 are hidden, and the 5 with them, since the 4
they add up to would show); the NPS groups are 7 detractors, 4 passives, 7 promoters (the 4 hidden with a 7, and
the score with them); responses per hop 14 and 4, per connector 12, 5 and 1.
"""

import csv
import io
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.brands.models import StaffRole
from app.insights.charts import percent
from app.insights.suppression import HIDDEN_LABEL
from app.surveys import questions as surveys_questions
from tests.factories import add_staff, log_in, make_user
from tests.insights.factories import CampaignWorld, campaign_world

# What every view must show: the keepers (9 of 18, so 50 %), nothing else of the outcome, no NPS score.
EXPECTED_OUTCOME = {"keep": False, "change_price": True, "change_colour": True, "scrap": True, "nps": True}
# Responses at hop 1 and 2, and through each connector: the 4 at hop 2 and c's 1 hidden, with one more each.
EXPECTED_REACH = {"hop 1": True, "hop 2": True, "a": False, "b": True, "c": True}


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts (header cells included), each table with its caption."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(("", []))
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None and self.tables:
            self.tables[-1] = ("".join(self._caption).strip(), self.tables[-1][1])
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1][1]:
            self.tables[-1][1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)


def _tables(html: str) -> list[tuple[str, list[list[str]]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def _row(html: str, caption_start: str, first_cell_start: str) -> list[str]:
    for caption, rows in _tables(html):
        if caption.startswith(caption_start):
            for row in rows:
                if row and row[0].startswith(first_cell_start):
                    return row
    raise AssertionError(f"no row {first_cell_start!r} in a table {caption_start!r}")


def _hidden(text: str | None) -> bool:
    return text is None or text in ("", "\u2013", HIDDEN_LABEL) or text.startswith("hidden")


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _staff(session: Session, world: CampaignWorld, client: TestClient) -> None:
    person = make_user(session)
    add_staff(session, world.brand, person, StaffRole.analyst)
    log_in(client, session, person)


def _labels(world: CampaignWorld) -> dict[str, str]:
    return dict(surveys_questions.condition_values(world.questions["outcome"]))


# --- The survey's figures, in six views -------------------------------------------------------------------------


def _survey_base(world: CampaignWorld) -> str:
    return f"/brands/{world.brand.slug}/surveys/{world.campaign.survey_id}/insights"


def _campaign_base(world: CampaignWorld) -> str:
    return f"/c/{world.community.slug}/campaigns/{world.campaign.slug}/insights"


def _from_page(
    client: TestClient, world: CampaignWorld, url: str, nps_title: str = "Net Promoter Score"
) -> dict[str, str | None]:
    page = client.get(url)
    assert page.status_code == 200
    labels = _labels(world)
    title = "What should we do with it?"
    found: dict[str, str | None] = {
        key: _row(page.text, title, labels[key])[1] for key in EXPECTED_OUTCOME if key in labels
    }
    score = _row(page.text, nps_title, "Net Promoter Score")[-1]
    found["nps"] = None if not any(sign in score for sign in "+-") else score
    return found


def _from_json(results: dict) -> dict[str, str | None]:  # type: ignore[type-arg]
    outcome = next(question for question in results["questions"] if question["code"] == "outcome")
    found: dict[str, str | None] = {}
    for option in outcome["options"]:
        count = option["share"]["count"]
        assert (count is None) == (option["share"]["share"] is None)
        found[option["key"]] = None if count is None else str(count)
    found["nps"] = None if results["nps"]["score"] is None else str(results["nps"]["score"])
    return found


def _from_csv(text: str) -> dict[str, str | None]:
    rows = _csv(text)
    labels = {row["value"]: row for row in rows if row["question"] == "outcome"}
    found: dict[str, str | None] = {}
    for key, row in labels.items():
        found[key] = row["count"] or None
    nps = [row for row in rows if row["value"] == "NPS"]
    found["nps"] = nps[0]["share_or_value"] if nps else None
    return found


def survey_page(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    return _from_page(client, world, _survey_base(world))


def survey_json(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    return _from_json(client.get("/api/v1" + _survey_base(world)).json())


def survey_csv(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    found = _from_csv(client.get(_survey_base(world) + "/aggregates.csv").text)
    return _by_key(world, found)


def campaign_page(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    # The campaign's page draws its NPS once, in the outcome at a glance.
    return _from_page(client, world, _campaign_base(world), nps_title="Would they recommend it? Every respondent")


def campaign_json(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    api = f"/api/v1/communities/{world.community.slug}/campaigns/{world.campaign.slug}/insights"
    return _from_json(client.get(api).json()["survey"])


def campaign_csv(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    found = _from_csv(client.get(_campaign_base(world) + "/aggregates.csv").text)
    return _by_key(world, found)


def _by_key(world: CampaignWorld, found: dict[str, str | None]) -> dict[str, str | None]:
    """CSV rows name options by label: back to their keys."""
    keys = {label: key for key, label in _labels(world).items()}
    return {keys.get(name, name): value for name, value in found.items()}


SURVEY_VIEWS: list[Callable[[TestClient, CampaignWorld], dict[str, str | None]]] = [
    survey_page,
    survey_json,
    survey_csv,
    campaign_page,
    campaign_json,
    campaign_csv,
]


@pytest.mark.parametrize("view", SURVEY_VIEWS, ids=lambda view: view.__name__)
def test_every_survey_view_hides_the_same_small_cells(
    client: TestClient, session: Session, view: Callable[[TestClient, CampaignWorld], dict[str, str | None]]
) -> None:
    world = campaign_world(session)
    _staff(session, world, client)
    found = view(client, world)
    assert {key: _hidden(found.get(key)) for key in EXPECTED_OUTCOME} == EXPECTED_OUTCOME
    assert found["keep"] in ("9", percent(9 / 18))


# --- Responses per hop and per connector, in five views -------------------------------------------------------------


def _progress_url(world: CampaignWorld) -> str:
    return f"/c/{world.community.slug}/campaigns/{world.campaign.slug}/progress"


def progress_page(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    page = client.get(_progress_url(world))
    assert page.status_code == 200
    found: dict[str, str | None] = {}
    for _, rows in _tables(page.text):
        for row in rows:
            if len(row) == 5 and row[0] in ("1", "2"):  # Reach by hop: hop, opened, responses, joined, passed on
                found[f"hop {row[0]}"] = row[2]
            for key, person in world.connectors.items():
                if len(row) == 7 and f"@{person.handle}" in row[1]:  # #, connector, kit, samples, responses, rate
                    found[key] = row[4]
                    if _hidden(row[4]):
                        assert row[5] == "\u2013"  # the rate goes with the responses
    return found


def progress_json(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    body = client.get(f"/api/v1/communities/{world.community.slug}/campaigns/{world.campaign.slug}/progress")
    assert body.status_code == 200
    found: dict[str, str | None] = {f"hop {hop['hop']}": _text(hop["responses"]) for hop in body.json()["hops"]}
    for row in body.json()["connectors"]:
        key = next(key for key, person in world.connectors.items() if person.handle == row["handle"])
        assert (row["responses"] is None) <= (row["response_rate"] is None)
        found[key] = _text(row["responses"])
    return found


def campaign_results_page(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    page = client.get(_campaign_base(world))
    found = {f"hop {hop}": _row(page.text, "People who opened", f"Hop {hop}")[2] for hop in (1, 2)}
    for key, person in world.connectors.items():
        row = next(
            row
            for caption, rows in _tables(page.text)
            if caption.startswith("Connectors")
            for row in rows
            if f"@{person.handle}" in row[0]
        )
        found[key] = row[3]
    return found


def campaign_results_json(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    api = f"/api/v1/communities/{world.community.slug}/campaigns/{world.campaign.slug}/insights"
    body = client.get(api).json()
    found = {f"hop {hop['hop']}": _text(hop["responses"]) for hop in body["hops"]}
    for row in body["connectors"]:
        key = next(key for key, person in world.connectors.items() if person.handle == row["handle"])
        found[key] = _text(row["responses"])
    return found


def campaign_results_csv(client: TestClient, world: CampaignWorld) -> dict[str, str | None]:
    hops = _csv(client.get(_campaign_base(world) + "/export.csv", params={"table": "hops"}).text)
    found: dict[str, str | None] = {f"hop {row['hop']}": row["responses"] or None for row in hops}
    connectors = _csv(client.get(_campaign_base(world) + "/export.csv", params={"table": "connectors"}).text)
    for row in connectors:
        key = next(key for key, person in world.connectors.items() if person.handle == row["handle"])
        found[key] = row["responses"] or None
    return found


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


REACH_VIEWS: list[Callable[[TestClient, CampaignWorld], dict[str, str | None]]] = [
    progress_page,
    progress_json,
    campaign_results_page,
    campaign_results_json,
    campaign_results_csv,
]


@pytest.mark.parametrize("view", REACH_VIEWS, ids=lambda view: view.__name__)
def test_every_reach_view_hides_the_same_small_counts(
    client: TestClient, session: Session, view: Callable[[TestClient, CampaignWorld], dict[str, str | None]]
) -> None:
    world = campaign_world(session)
    manager = world.manager
    log_in(client, session, manager)
    found = view(client, world)
    assert {key: _hidden(found.get(key)) for key in EXPECTED_REACH} == EXPECTED_REACH
    assert found["a"] == "12"
