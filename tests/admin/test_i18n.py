"""Site administration in the admin's language: the page, and the form again with its errors translated."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import csrf_token, log_in, make_user


def test_the_admin_page_and_its_errors_in_german(client: TestClient, session: Session) -> None:
    log_in(client, session, make_user(session, is_site_admin=True))
    german = {"Accept-Language": "de"}
    page = client.get("/admin", headers=german).text
    assert "<h1>Website-Verwaltung</h1>" in page and "Marke anlegen" in page
    refused = client.post("/admin/brands", data={"csrftoken": csrf_token(client), "name": ""}, headers=german)
    assert refused.status_code == 422
    assert "Bitte korrigiere die markierten Felder." in refused.text
    assert "Gib den Namen der Marke ein (bis zu 80 Zeichen)." in refused.text
