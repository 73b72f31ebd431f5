"""A campaign's results pages and JSON: the full page and its htmx fragment, segments and their comparison, the
connectors' table, free text, the printable report, the CSV exports (consent respected), the outcome with its chart
on the participants' pages, and who may see any of it."""

import csv
import io

from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from app.brands.models import StaffRole
from app.communities.models import MemberRole
from tests.campaigns.factories import move_to
from tests.factories import add_member, add_staff, csrf_token, log_in, make_brand, make_user
from tests.insights.factories import CampaignWorld, campaign_world

HTMX = {"HX-Request": "true"}


def _page(world: CampaignWorld, tail: str = "") -> str:
    return f"/c/{world.community.slug}/campaigns/{world.campaign.slug}/insights{tail}"


def _api(world: CampaignWorld, tail: str = "") -> str:
    return f"/api/v1/communities/{world.community.slug}/campaigns/{world.campaign.slug}/insights{tail}"


def _analyst(session: Session, world: CampaignWorld, client: TestClient) -> None:
    person = make_user(session)
    add_staff(session, world.brand, person, StaffRole.analyst)
    log_in(client, session, person)


def _rows(response: Response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_the_page_its_fragment_segments_and_comparison(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    _analyst(session, world, client)
    page = client.get(_page(world))
    assert page.status_code == 200 and "<html" in page.text and "Results of Fizz summer" in page.text
    # The answer first: the headline figures, before every question; Explore folded below them.
    assert page.text.index('data-testid="headline-respondents">18<') < page.text.index(
        "Every question, every respondent"
    )
    assert page.text.index("Every question, every respondent") < page.text.index(
        '<details class="explore card" id="explore">'
    )
    assert 'data-testid="respondents-a"' not in page.text  # no segment asked for: nothing explored
    assert "The referral chain" in page.text and "Reach by hop" in page.text and "Net Promoter Score" in page.text
    assert world.connectors["a"].handle in page.text and 'role="img"' in page.text
    outcome = world.questions["outcome"].id
    fragment = client.get(_page(world), params={"a": f"{outcome}:keep"}, headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="campaign-insights"' in fragment.text
    assert 'data-testid="respondents-a">9<' in fragment.text and "Not known for answer or date filters" in fragment.text
    assert '<details class="explore card" open id="explore">' in fragment.text  # a shared link shows its segment
    assert 'data-testid="headline-respondents">18<' in fragment.text  # the headline stays the whole campaign's
    assert f"responses.csv?a={outcome}%3Akeep" in fragment.text  # exports follow the segment
    through = client.get(_page(world), params={"a_connector": world.connectors["b"].handle})
    assert (
        'data-testid="respondents-a">5<' in through.text and f"through @{world.connectors['b'].handle}" in through.text
    )
    compared = client.get(
        _page(world), params={"compare": "1", "a_connector": world.connectors["a"].handle, "b": f"{outcome}:scrap"}
    )
    assert 'data-testid="respondents-a">12<' in compared.text and 'data-testid="respondents-b">5<' in compared.text
    hidden = client.get(_page(world), params={"a_hop": "2"})
    assert "answers are hidden" in hidden.text and 'data-testid="respondents-a"' not in hidden.text
    bad = client.get(_page(world), params={"a_connector": "nobody_here", "a_hop": "x"})
    assert bad.status_code == 200 and "is not a connector of this campaign" in bad.text
    assert 'data-testid="respondents-a">18<' in bad.text  # the rest of the segment still applies
    crosstab = client.get(
        _page(world), params={"rows": str(outcome), "columns": str(world.questions["recommended"].id)}
    )
    assert "(rows) by" in crosstab.text
    report = client.get(_page(world, "/report"))
    assert report.status_code == 200 and "Report: Results of Fizz summer" in report.text
    assert "segment-form" not in report.text


def test_the_connectors_table_sorts_and_swaps_alone(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    _analyst(session, world, client)
    url = _page(world, "/connectors")
    a, b, c = (world.connectors[key].handle for key in ("a", "b", "c"))
    page = client.get(url, params={"sort": "rate", "order": "asc"})
    assert page.status_code == 200 and "<html" in page.text
    table = page.text[page.text.index('data-testid="connectors"') :]
    # a's rate first from the end; b's (hidden) and c's (no sample) unknown, before it.
    assert table.index(f"@{c}") < table.index(f"@{a}") and table.index(f"@{b}") < table.index(f"@{a}")
    fragment = client.get(url, params={"sort": "samples", "order": "desc"}, headers=HTMX)
    assert "<html" not in fragment.text and fragment.text.lstrip().startswith('<section id="connectors"')
    table = fragment.text[fragment.text.index('data-testid="connectors"') :]
    assert table.index(f"@{a}") < table.index(f"@{b}") < table.index(f"@{c}")
    assert 'aria-sort="descending"' in fragment.text
    assert client.get(url, params={"sort": "nonsense"}).status_code == 200  # falls back to the default order


def test_free_text_answers_keep_the_campaign_segment(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    _analyst(session, world, client)
    comments = world.questions["comments"].id
    a, b = world.connectors["a"].handle, world.connectors["b"].handle
    page = client.get(_page(world, "/answers"), params={"question": comments, "a_connector": a})
    assert page.status_code == 200 and "Most frequent words and phrases" in page.text
    assert f"through @{a}" in page.text and f'name="a_connector" value="{a}"' in page.text
    assert page.text.count("<li>Lovely fizz") == 3 and "Too sweet</li>" not in page.text  # b's friend's
    searched = client.get(
        _page(world, "/answers"), params={"question": comments, "a_connector": a, "search": "SWEET"}, headers=HTMX
    )
    assert "<html" not in searched.text and searched.text.count("<li>") == 2
    # Through b: one comment, fewer than 5: not shown.
    hidden = client.get(_page(world, "/answers"), params={"question": comments, "a_connector": b})
    assert "Fewer than 5 answers" in hidden.text and "Too sweet" not in hidden.text
    assert client.get(_page(world, "/answers"), params={"question": 0}).status_code == 422


def test_csv_exports_respect_consent_and_the_segment(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    _analyst(session, world, client)
    rows = _rows(client.get(_page(world, "/responses.csv")))
    assert len(rows) == 18 and {"connector", "hop", "email"} <= set(rows[0])
    # Only the two who agreed to be contacted; one address starts with "=" and is neutralised for spreadsheets.
    assert sorted(row["email"] for row in rows if row["email"]) == ["'=cmd@example.com", "first@example.com"]
    assert "second@example.com" not in client.get(_page(world, "/responses.csv")).text
    hop2 = _rows(client.get(_page(world, "/responses.csv"), params={"a_connector": world.connectors["a"].handle}))
    assert len(hop2) == 12 and {row["connector"] for row in hop2} == {world.connectors["a"].handle}
    funnel = _rows(client.get(_page(world, "/export.csv"), params={"table": "funnel"}))
    # The referral chain of the four links (a, a2, b, c): all opened and answered, two brought a member.
    assert [(row["step"], row["links"], row["of"]) for row in funnel] == [
        ("shared", "4", ""),
        ("opened", "4", "4"),
        ("answered", "4", "4"),
        ("joined", "2", "4"),
    ]
    hops = _rows(client.get(_page(world, "/export.csv"), params={"table": "hops"}))
    assert [(row["hop"], row["responses"]) for row in hops] == [("1", ""), ("2", "")]  # 14 and 4: hidden
    connectors = _rows(client.get(_page(world, "/export.csv"), params={"table": "connectors", "sort": "name"}))
    assert len(connectors) == 3 and {row["rate"] for row in connectors} == {"1.2", ""}  # b's hidden
    assert client.get(_page(world, "/export.csv"), params={"table": "addresses"}).status_code == 422
    figures = _rows(client.get(_page(world, "/aggregates.csv")))
    keep = next(row for row in figures if row["question"] == "outcome" and row["value"] == "Keep it as it is")
    assert (keep["count"], keep["answered"]) == ("9", "18")


def test_json_api(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    _analyst(session, world, client)
    everyone = client.get(_api(world)).json()
    assert everyone["respondents"] == 18 and everyone["survey"]["nps"]["promoters"] == 7
    assert [step["people"] for step in everyone["funnel"]] == [4, 4, 4, 2] and everyone["recommended_to"] == 16
    assert [hop["responses"] for hop in everyone["hops"]] == [None, None] and len(everyone["connectors"]) == 3
    assert [hop["suppressed"] for hop in everyone["hops"]] == [True, True]
    by_rate = client.get(_api(world), params={"sort": "rate", "order": "asc"}).json()
    assert by_rate["connectors"][0]["response_rate"] is None
    connector = world.connectors["a"].handle
    theirs = client.get(_api(world), params={"a_connector": connector, "a_hop": [1, 2]}).json()
    assert theirs["respondents"] == 12 and theirs["segment"] == {"connector": connector, "hops": [1, 2]}
    outcome = world.questions["outcome"].id
    compared = client.get(_api(world, "/compare"), params={"a": f"{outcome}:keep", "b_connector": connector}).json()
    assert (compared["a"]["respondents"], compared["b"]["respondents"]) == (9, 12)
    table = client.get(
        _api(world, "/crosstab"), params={"rows": outcome, "columns": world.questions["recommended"].id}
    ).json()
    # Keepers: 5 said they recommended it and 4 not; the 4 is hidden, and the 5 with it (the row's total is known).
    assert table["row_labels"][0] == "Keep it as it is" and table["cells"][0] == [None, None]
    comments = world.questions["comments"].id
    text = client.get(_api(world, "/answers"), params={"question": comments, "search": "fizz"}).json()
    assert len(text["answers"]) == 3 and text["keywords"][0]["phrase"] == "lovely fizz"
    few = client.get(
        _api(world, "/answers"), params={"question": comments, "a_connector": world.connectors["b"].handle}
    )
    assert few.json()["suppressed"] is True
    for params in ({"a_connector": "nobody_here"}, {"a": "nonsense"}, {"a_hop": 0}, {"sort": "height"}):
        refused = client.get(_api(world), params=params)
        assert refused.status_code == 422 and "detail" in refused.json(), params
    assert client.get(_api(world, "/crosstab"), params={"rows": 0, "columns": outcome}).status_code == 422


def test_another_brands_analyst_and_members_get_404(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    outsider = make_user(session)
    add_staff(session, make_brand(session), outsider, StaffRole.analyst)
    member = make_user(session)
    add_member(session, world.community, member, MemberRole.member)
    comments = world.questions["comments"].id
    urls = [
        _page(world),
        _page(world, "/report"),
        _page(world, "/connectors"),
        _page(world, f"/answers?question={comments}"),
        _page(world, "/responses.csv"),
        _page(world, "/aggregates.csv"),
        _page(world, "/export.csv?table=connectors"),
        _api(world),
        _api(world, "/compare"),
        _api(world, f"/crosstab?rows={world.questions['outcome'].id}&columns={world.questions['recommended'].id}"),
        _api(world, f"/answers?question={comments}"),
    ]
    for person, status in ((outsider, 404), (member, 403)):
        client.cookies.clear()
        log_in(client, session, person)
        for url in urls:
            response = client.get(url)
            assert response.status_code == status, (person.handle, url)
            assert "first@example.com" not in response.text and world.connectors["a"].handle not in response.text


def test_the_outcome_with_its_chart_reaches_participants(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    move_to(session, world.campaign, "feedback")
    log_in(client, session, world.manager)
    progress = client.get(f"/c/{world.community.slug}/campaigns/{world.campaign.slug}/progress")
    assert 'name="outcome_chart"' in progress.text and "Referral funnel" in progress.text
    assert f"{world.campaign.slug}/insights" in progress.text
    url = f"/c/{world.community.slug}/campaigns/{world.campaign.slug}/outcome"
    outcome = world.questions["outcome"].id
    refused = client.post(url, data={"outcome": "Keeping it.", "outcome_chart": "q0", "csrftoken": csrf_token(client)})
    assert refused.status_code == 422 and "Choose one of the charts." in refused.text and "Keeping it." in refused.text
    posted = client.post(
        url,
        data={"outcome": "You told us to *keep it*.", "outcome_chart": f"q{outcome}", "csrftoken": csrf_token(client)},
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"].endswith("#outcome")
    again = client.get(f"/c/{world.community.slug}/campaigns/{world.campaign.slug}/progress")
    assert f'<option value="q{outcome}" selected>' in again.text
    # A connector sees it on the campaign page; a friend on the page their link leads to.
    client.cookies.clear()
    log_in(client, session, world.connectors["b"])
    detail = client.get(f"/c/{world.community.slug}/campaigns/{world.campaign.slug}")
    assert "<em>keep it</em>" in detail.text and "What the 18 people who answered said" in detail.text
    assert 'role="img"' in detail.text and "Keep it as it is" in detail.text
    client.cookies.clear()
    shared = client.get(f"/s/{world.links['c'].code}/thanks")
    assert "What the 18 people who answered said" in shared.text and 'role="img"' in shared.text
    # And brand systems read it with the campaign.
    log_in(client, session, world.manager)
    detail_json = client.get(f"/api/v1/communities/{world.community.slug}/campaigns/{world.campaign.slug}").json()
    assert detail_json["outcome_chart"]["question"]["code"] == "outcome"
    api = f"/api/v1/communities/{world.community.slug}/campaigns/{world.campaign.slug}/outcome"
    headers = {"x-csrftoken": csrf_token(client)}
    put = client.put(api, json={"outcome": "Now with the funnel", "chart": "funnel"}, headers=headers)
    assert put.status_code == 200
    assert [step["people"] for step in put.json()["outcome_chart"]["funnel"]] == [4, 4, 4, 2]
    assert client.put(api, json={"outcome": "x", "chart": "pie"}, headers=headers).status_code == 422
    share = client.get(f"/api/v1/share/{world.links['a'].code}").json()
    assert share["outcome_chart"]["kind"] == "funnel"


def test_the_campaign_and_progress_pages_link_to_the_results(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    _analyst(session, world, client)
    base = f"/c/{world.community.slug}/campaigns/{world.campaign.slug}"
    assert f'href="{base}/insights"' in client.get(base).text
    assert f'href="{base}/insights"' in client.get(f"{base}/progress").text


def test_crosstab_cells_hidden_to_protect_others_are_not_labelled_under_5(client: TestClient, session: Session) -> None:
    world = campaign_world(session)
    _analyst(session, world, client)
    params = {"rows": str(world.questions["outcome"].id), "columns": str(world.questions["recommended"].id)}
    page = client.get(_page(world), params=params)
    # Keepers: 5 said yes and 4 no; the 5 is hidden only to protect the 4, so neither may read "<5".
    table = page.text[page.text.index('id="crosstab-heading"') :]
    table = table[: table.index("</section>")]
    assert "&lt;5" not in table and "<5" not in table
    assert table.count('<abbr title="hidden: fewer than 5, or would reveal a cell that is">\u2013</abbr>') >= 2
    assert 'data-testid="crosstab-legend"' in table
    api = client.get(_api(world, "/crosstab"), params=params).json()
    assert api["cells"][0] == [None, None] and "fewer than 5" in api["suppression"]


def test_hops_beyond_the_campaigns_furthest_are_refused(client: TestClient, session: Session) -> None:
    world = campaign_world(session)  # reached hop 2 at most
    _analyst(session, world, client)
    for hops in ([99], [3], [1, 3]):
        refused = client.get(_api(world), params={"a_hop": hops})
        assert refused.status_code == 422, hops
        assert refused.json()["detail"].startswith("This campaign has reached hop 2 at most: choose hops from 1 to 2")
    assert client.get(_api(world), params={"a_hop": [2]}).status_code == 200
    page = client.get(_page(world), params={"a_hop": "99"})
    assert "This campaign has reached hop 2 at most" in page.text and "at hop 99" not in page.text
    assert 'data-testid="respondents-a">18<' in page.text  # the hop is left out of the segment
    both = client.get(_page(world), params={"a_hop": ["1", "99"], "a_connector": "nobody_here"})
    assert "at hop 1" in both.text and "is not a connector" in both.text and "reached hop 2 at most" in both.text
