"""The disclosure rules speak the reader's language: the public page and the JSON rules."""

from fastapi.testclient import TestClient


def test_the_rules_page_in_german(client: TestClient) -> None:
    page = client.get("/disclosure", headers={"Accept-Language": "de"}).text
    assert "<h1>Offenlegungs-Abzeichen</h1>" in page
    assert "Hat eine kostenlose Probe von Brightleaf erhalten" in page and "Team von Brightleaf" in page
    assert "Received a free sample" not in page


def test_the_json_rules_in_spanish_keep_the_brand_placeholder(client: TestClient) -> None:
    rules = client.get("/api/v1/disclosure/rules", headers={"Accept-Language": "es"}).json()
    assert rules[0]["badge"] == "Recibió una muestra gratis de {brand}"
    assert rules[2]["connection"].startswith("Trabaja para la marca")
