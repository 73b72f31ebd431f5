"""Cross-cutting protections: CSRF, rate limits, body size cap, error pages, security headers, sanitising."""

from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt
from sqlmodel import Session, func, select

from app.accounts import service as accounts_service
from app.accounts import tokens as accounts_tokens
from app.accounts.models import User
from app.config import get_settings
from app.main import create_app
from app.web import markdown
from app.web.markdown import render_markdown
from tests.databases import use_test_session
from tests.factories import PASSWORD, csrf_token, log_in, make_brand, make_community, make_user

SITE_HEADER = '<header class="site-header">'


def _count_users(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def _app_for(session: Session) -> FastAPI:
    """A fresh app on the test session: for settings that create_app reads once (e.g. the body size cap)."""
    app = create_app(check_migrations=False)

    use_test_session(app, session)
    return app


# --- CSRF ---------------------------------------------------------------------------------------------------


def test_html_form_post_with_session_but_without_csrf_token_is_refused(client: TestClient, session: Session) -> None:
    user = make_user(session, display_name="Before")
    log_in(client, session, user)
    token = csrf_token(client)

    missing = client.post("/settings", data={"display_name": "Hijacked", "bio": ""}, follow_redirects=False)
    assert missing.status_code == 403
    assert missing.headers["content-type"].startswith("text/html")
    assert "Form expired" in missing.text and "Reload the page" in missing.text

    wrong = client.post(
        "/settings",
        data={"display_name": "Hijacked", "bio": "", "csrftoken": token + "x"},
        follow_redirects=False,
    )
    assert wrong.status_code == 403

    session.refresh(user)
    assert user.display_name == "Before"

    # The same form with the right token goes through: the refusals above were about the token.
    ok = client.post("/settings", data={"display_name": "After", "bio": "", "csrftoken": token}, follow_redirects=False)
    assert ok.status_code == 303
    session.refresh(user)
    assert user.display_name == "After"


def test_a_forged_csrf_cookie_does_not_pass(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    client.cookies.set("csrftoken", "forged")
    response = client.post(
        "/settings", data={"display_name": "Hijacked", "csrftoken": "forged"}, follow_redirects=False
    )
    assert response.status_code == 403


def test_api_post_with_session_cookie_needs_the_csrf_header(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    token = csrf_token(client)

    refused = client.post("/api/v1/me/tokens", json={"name": "sneaky"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json()["detail"].startswith("CSRF check failed")
    assert accounts_tokens.list_api_tokens(session, user=user) == []

    wrong = client.post("/api/v1/me/tokens", json={"name": "sneaky"}, headers={"x-csrftoken": "nope"})
    assert wrong.status_code == 403

    allowed = client.post("/api/v1/me/tokens", json={"name": "script"}, headers={"x-csrftoken": token})
    assert allowed.status_code == 201


def test_bearer_token_api_requests_need_no_csrf_token(app: FastAPI, session: Session) -> None:
    user = make_user(session)
    _, plain = accounts_tokens.create_api_token(session, user=user, name="cli")
    with TestClient(app) as bearer:
        response = bearer.patch(
            "/api/v1/me", json={"display_name": "Via token"}, headers={"Authorization": f"Bearer {plain}"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["display_name"] == "Via token"
        assert "csrftoken" not in bearer.cookies


def test_the_csrf_token_is_made_only_for_pages_that_ask_for_it(client: TestClient) -> None:
    """app.web.csrf.CsrfGate: an answer that renders no form sets no cookie; a page with a form gets one (with
    Vary: Cookie), and the next page reuses it instead of making another."""
    plain = client.get("/healthz")
    assert plain.status_code == 200
    assert "set-cookie" not in plain.headers
    assert "csrftoken" not in client.cookies

    page = client.get("/login")
    assert "csrftoken=" in page.headers["set-cookie"]
    assert "Cookie" in page.headers["vary"]
    token = client.cookies["csrftoken"]
    assert f'value="{token}"' in page.text

    again = client.get("/login")
    assert "set-cookie" not in again.headers
    assert f'value="{token}"' in again.text


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"login": "someone", "password": PASSWORD}),
        ("/signup", {"email": "new@example.com", "handle": "newbie", "password": "copper-lantern-91"}),
        ("/reset", {"email": "someone@example.com"}),
    ],
)
def test_login_signup_and_reset_forms_are_checked_even_without_cookies(
    client: TestClient, session: Session, path: str, data: dict[str, str]
) -> None:
    make_user(session, handle="someone", email="someone@example.com")
    users_before = _count_users(session)
    assert not client.cookies
    response = client.post(path, data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "Form expired" in response.text
    assert "chorus_session" not in response.cookies
    assert _count_users(session) == users_before


def test_other_cookieless_posts_are_not_csrf_checked(client: TestClient) -> None:
    """Without cookies there is no session to ride on; the API answers on its own terms (here: log in)."""
    response = client.post("/api/v1/me/tokens", json={"name": "x"})
    assert response.status_code == 401
    assert response.json()["detail"]


# --- Rate limits --------------------------------------------------------------------------------------------


def test_sixth_html_login_attempt_for_one_account_is_rate_limited(client: TestClient, session: Session) -> None:
    make_user(session, handle="target")
    token = csrf_token(client)
    for _ in range(5):
        response = client.post("/login", data={"login": "target", "password": "wrong-guess-1", "csrftoken": token})
        assert response.status_code == 401
    limited = client.post("/login", data={"login": "target", "password": PASSWORD, "csrftoken": token})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert "Too many login attempts for this account" in limited.text
    assert '<form method="post" action="/login"' in limited.text
    assert "chorus_session" not in limited.cookies

    # Another account from the same address is not affected by that account's limit.
    make_user(session, handle="bystander")
    other = client.post(
        "/login",
        data={"login": "bystander", "password": PASSWORD, "csrftoken": token},
        follow_redirects=False,
    )
    assert other.status_code == 303


def test_sixth_api_login_attempt_for_one_account_is_rate_limited(client: TestClient, session: Session) -> None:
    make_user(session, handle="apitarget")
    for attempt in range(5):
        # The account limit counts the login as typed, case-insensitively.
        login = "APITARGET" if attempt % 2 else "apitarget"
        response = client.post("/api/v1/auth/session", json={"login": login, "password": "wrong-guess-1"})
        assert response.status_code == 401
    limited = client.post("/api/v1/auth/session", json={"login": "apitarget", "password": PASSWORD})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["detail"] == "Too many login attempts for this account."


def test_sign_up_is_limited_per_ip(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "signup_rate_per_ip", "2/hour")
    token = csrf_token(client)
    for number in (1, 2):
        response = client.post(
            "/signup",
            data={
                "email": f"ip{number}@example.com",
                "handle": f"ip_user{number}",
                "password": "copper-lantern-91",
                "csrftoken": token,
            },
        )
        assert response.status_code == 200
        assert "Check your inbox" in response.text
    users_before = _count_users(session)
    third = client.post(
        "/signup",
        data={
            "email": "ip3@example.com",
            "handle": "ip_user3",
            "password": "copper-lantern-91",
            "csrftoken": token,
        },
    )
    assert third.status_code == 429
    assert "Retry-After" in third.headers
    assert "Too many sign-ups from here" in third.text
    assert 'value="ip3@example.com"' in third.text  # the form comes back filled in
    assert _count_users(session) == users_before

    api = client.post(
        "/api/v1/users",
        json={"email": "ip4@example.com", "handle": "ip_user4", "password": "copper-lantern-91"},
        headers={"x-csrftoken": token},
    )
    assert api.status_code == 429
    assert api.json() == {"detail": "Too many sign-ups from here."}
    assert "Retry-After" in api.headers


def test_rate_limits_can_be_switched_off(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "rate_limits_enabled", False)
    make_user(session, handle="unlimited")
    for _ in range(7):
        response = client.post("/api/v1/auth/session", json={"login": "unlimited", "password": "wrong-guess-1"})
        assert response.status_code == 401


# --- Body size ----------------------------------------------------------------------------------------------


def test_oversize_bodies_are_refused_with_413(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "max_request_bytes", 1000)
    user = make_user(session)
    _, plain = accounts_tokens.create_api_token(session, user=user, name="cli")
    users_before = _count_users(session)
    with TestClient(_app_for(session)) as client:
        api = client.patch(
            "/api/v1/me",
            json={"display_name": "x", "bio": "y" * 2000},
            headers={"Authorization": f"Bearer {plain}"},
        )
        assert api.status_code == 413
        assert api.headers["content-type"].startswith("application/json")
        assert api.json() == {"detail": "The request is too large: the limit is 1,000 bytes."}

        page = client.post("/signup", data={"email": "big@example.com", "handle": "big_one", "password": "p" * 2000})
        assert page.status_code == 413
        assert page.headers["content-type"].startswith("text/html")
        assert "The request is too large" in page.text

        # Just under the cap is fine.
        small = client.patch(
            "/api/v1/me",
            json={"display_name": "Small", "bio": "y" * 100},
            headers={"Authorization": f"Bearer {plain}"},
        )
        assert small.status_code == 200
    session.refresh(user)
    assert user.display_name == "Small"
    assert _count_users(session) == users_before


def _chunks(start: bytes, filler: bytes, end: bytes) -> Iterator[bytes]:
    """A body sent in pieces with no Content-Length, so only counting the bytes can catch it."""
    yield start
    for _ in range(10):
        yield filler * 200
    yield end


def test_oversize_bodies_without_a_content_length_are_refused_too(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "max_request_bytes", 1000)
    user = make_user(session, display_name="Unchanged")
    _, plain = accounts_tokens.create_api_token(session, user=user, name="cli")
    with TestClient(_app_for(session)) as client:
        api = client.patch(
            "/api/v1/me",
            content=_chunks(b'{"display_name": "x", "bio": "', b"y", b'"}'),
            headers={"Authorization": f"Bearer {plain}", "content-type": "application/json"},
        )
        assert api.status_code == 413
        assert api.json()["detail"] == "The request is too large: the limit is 1,000 bytes."

        # A form the CSRF check reads first (it has a cookie), and one FastAPI reads (no cookie: not checked).
        token = csrf_token(client)
        checked = client.post(
            "/signup",
            content=_chunks(f"csrftoken={token}&email=a%40example.com&password=".encode(), b"p", b""),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert checked.status_code == 413
        assert "The request is too large" in checked.text
        client.cookies.clear()
        unchecked = client.post(
            "/settings",
            content=_chunks(b"display_name=", b"n", b""),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert unchecked.status_code == 413
        assert unchecked.headers["content-type"].startswith("text/html")
        assert "The request is too large" in unchecked.text
    session.refresh(user)
    assert user.display_name == "Unchanged"


# --- Error pages --------------------------------------------------------------------------------------------


def test_unknown_page_renders_the_404_page_in_the_site_design(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert SITE_HEADER in response.text
    assert "We could not find that page." in response.text


def test_unknown_api_url_is_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"detail": "We could not find that page."}


def test_wrong_method_is_405_json_under_the_api(client: TestClient) -> None:
    response = client.put("/api/v1/communities")
    assert response.status_code == 405
    assert set(response.json()) == {"detail"}


def test_unknown_id_in_the_api_is_404_json(client: TestClient, session: Session) -> None:
    user = make_user(session)
    _, plain = accounts_tokens.create_api_token(session, user=user, name="cli")
    headers = {"Authorization": f"Bearer {plain}"}
    response = client.delete("/api/v1/me/tokens/999999", headers=headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such token."}
    missing_user = client.get("/api/v1/users/nobody_here")
    assert missing_user.status_code == 404
    assert missing_user.json() == {"detail": "There is no member with that handle."}


def test_wrong_types_are_422_json_with_detail(client: TestClient, session: Session) -> None:
    brand = make_brand(session)
    admin = make_user(session, is_site_admin=True)
    community = make_community(session, brand)
    _, plain = accounts_tokens.create_api_token(session, user=admin, name="cli")
    response = client.get(
        f"/api/v1/communities/{community.slug}/members?page=abc", headers={"Authorization": f"Bearer {plain}"}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("The request is not valid")
    assert any(error["field"] == "query.page" for error in body["errors"])


def test_wrong_types_in_html_pages_get_an_html_page(client: TestClient) -> None:
    response = client.get("/dev/outbox/not-a-number")
    assert response.status_code == 422
    assert SITE_HEADER in response.text


def test_htmx_errors_come_as_a_toast_trigger(client: TestClient) -> None:
    response = client.get("/no/such/page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.text == ""
    assert "chorus:toast" in response.headers["HX-Trigger"]


def test_login_required_pages_redirect_to_login_with_next(client: TestClient) -> None:
    response = client.get("/settings/tokens", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings/tokens"
    assert client.get("/api/v1/me").status_code == 401


def test_an_unexpected_error_is_a_500_page_not_a_traceback(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(accounts_service, "get_user_by_handle", explode)
    with TestClient(_app_for(session), raise_server_exceptions=False) as client:
        page = client.get("/u/anyone")
        assert page.status_code == 500
        assert "Something went wrong on our side" in page.text
        assert "boom" not in page.text and "Traceback" not in page.text
        api = client.get("/api/v1/users/anyone")
        assert api.status_code == 500
        assert api.json() == {"detail": "Something went wrong on our side. It has been logged; please try again."}
    for response in (page, api):  # made by Starlette's outermost middleware, outside SecurityHeaders
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


# --- Security headers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/api/v1/communities", "/no/such/page"])
def test_security_headers_are_set(client: TestClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_security_headers_are_set_on_refusals_made_before_the_app_too(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    csrf_refusal = client.post("/login", data={"login": "x", "password": "y"})
    assert csrf_refusal.status_code == 403
    monkeypatch.setattr(get_settings(), "max_request_bytes", 100)
    with TestClient(_app_for(session)) as small:
        too_large = small.post("/api/v1/users", json={"email": "x" * 200})
    assert too_large.status_code == 413
    for response in (csrf_refusal, too_large):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_only_the_api_docs_may_run_inline_scripts(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "script-src 'self' 'unsafe-inline'" in response.headers["Content-Security-Policy"]


def test_session_cookie_is_httponly_and_lax(client: TestClient, session: Session) -> None:
    make_user(session, handle="cookie_monster")
    response = client.post("/api/v1/auth/session", json={"login": "cookie_monster", "password": PASSWORD})
    assert response.status_code == 200
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("chorus_session="))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()


def test_a_tampered_session_cookie_is_ignored(client: TestClient, session: Session) -> None:
    user = make_user(session)
    log_in(client, session, user)
    assert client.get("/api/v1/me").status_code == 200
    signed = client.cookies["chorus_session"]
    token, _, signature = signed.rpartition(".")
    client.cookies.set("chorus_session", token + "." + signature[::-1])
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.set("chorus_session", token)  # the bare token, unsigned
    assert client.get("/api/v1/me").status_code == 401


# --- Markdown -----------------------------------------------------------------------------------------------


class _Elements(HTMLParser):
    """The elements of an HTML fragment with their attributes (escaped text is not an element)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def tags(self) -> set[str]:
        return {tag for tag, _ in self.elements}

    def hrefs(self) -> list[str]:
        return [attrs["href"] or "" for tag, attrs in self.elements if tag == "a" and "href" in attrs]

    def handlers(self) -> list[str]:
        return [name for _, attrs in self.elements for name in attrs if name.startswith("on")]


DANGEROUS = (
    "Hello <script>alert('x')</script> **there**\n\n"
    '<img src="x" onerror="alert(1)"> <p onclick="alert(2)">p</p> <svg onload="alert(3)"></svg>\n\n'
    '[click](javascript:alert(1)) [case](JaVaScRiPt:alert(1)) <a href="javascript:alert(2)">raw</a> '
    "<javascript:alert(3)> [vb](vbscript:msgbox(1)) [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
    "[ref][1]\n\n[1]: javascript:alert(4)\n"
)


@pytest.fixture(params=["as configured", "raw HTML let through by the Markdown parser"])
def markdown_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Also run the checks with a parser that passes raw HTML on, so the sanitiser alone is shown to hold."""
    if request.param != "as configured":
        monkeypatch.setattr(markdown, "_markdown", MarkdownIt("commonmark"))
        assert "<script>" in markdown._markdown.render("<script>x</script>")
    return request.param


def test_markdown_removes_scripts(markdown_parser: str) -> None:
    html = render_markdown(DANGEROUS)
    elements = _Elements(html)
    assert not elements.tags() & {"script", "img", "svg", "iframe", "style"}
    assert "<strong>there</strong>" in html


def test_markdown_removes_javascript_and_other_non_web_links(markdown_parser: str) -> None:
    hrefs = _Elements(render_markdown(DANGEROUS)).hrefs()
    assert all(href.startswith(("http://", "https://", "mailto:")) for href in hrefs), hrefs


def test_markdown_removes_event_handler_attributes(markdown_parser: str) -> None:
    assert _Elements(render_markdown(DANGEROUS)).handlers() == []


def test_markdown_links_get_nofollow_ugc_noopener(markdown_parser: str) -> None:
    html = render_markdown("See [the site](https://example.com) or mail [us](mailto:us@example.com).")
    links = [attrs for tag, attrs in _Elements(html).elements if tag == "a"]
    assert [link["href"] for link in links] == ["https://example.com", "mailto:us@example.com"]
    assert all(link["rel"] == "nofollow ugc noopener" for link in links)


def test_markdown_keeps_ordinary_formatting() -> None:
    html = render_markdown("### Title\n\n- one\n- two\n\n`code` and _em_")
    assert "<h3>Title</h3>" in html
    assert "<li>one</li>" in html
    assert "<code>code</code>" in html and "<em>em</em>" in html


def test_member_written_markdown_is_sanitised_on_the_page(client: TestClient, session: Session) -> None:
    make_user(session, handle="sneaky", bio=DANGEROUS + "\n[fine](https://example.org)")
    page = client.get("/u/sneaky")
    assert page.status_code == 200
    prose = page.text.split('<div class="prose">', 1)[1].split("</div>", 1)[0]
    elements = _Elements(prose)
    assert not elements.tags() & {"script", "img", "svg"}
    assert elements.handlers() == []
    assert elements.hrefs() == ["https://example.org"]
