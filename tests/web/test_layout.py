"""The page frame (templates/base.html): the header's menu works without JavaScript, and flash messages sit in the
page under the header, not over it."""

from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import PASSWORD, csrf_token, make_user


class _Frame(HTMLParser):
    """Where the main navigation's menu, its summary, its links and the flash messages are in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []  # the tags around the current position
        self.events: list[str] = []  # "nav", "details", "summary", "header-end", "toasts" in page order
        self.summary_text = ""
        self.menu_links: list[str] = []
        self.menu_buttons: list[str] = []
        self.nav_label = ""
        self.toast_texts: list[str] = []
        self._in: str = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.open.append(tag)
        if tag == "nav" and attributes.get("class") == "site-nav":
            self.nav_label = attributes.get("aria-label") or ""
            self.events.append("nav")
        elif tag == "details" and "site-menu" in (attributes.get("class") or "").split():
            self.events.append("details")
        elif tag == "summary" and "details" in self.open:
            self.events.append("summary")
            self._in = "summary"
        elif tag == "a" and "details" in self.open and "summary" not in self.open:
            self._in = "link"
            self.menu_links.append("")
        elif tag == "button" and "details" in self.open:
            self._in = "button"
            self.menu_buttons.append("")
        elif tag == "div" and attributes.get("id") == "toasts":
            self.events.append("toasts")
            assert attributes.get("role") == "status"
        elif tag == "p" and "toast" in (attributes.get("class") or "").split():
            self._in = "toast"
            self.toast_texts.append("")

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop() != tag:
            pass
        if tag == "header":
            self.events.append("header-end")
        if tag in {"summary", "a", "button", "p"}:
            self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in == "summary":
            self.summary_text += data
        elif self._in == "link":
            self.menu_links[-1] += data.strip()
        elif self._in == "button":
            self.menu_buttons[-1] += data.strip()
        elif self._in == "toast":
            self.toast_texts[-1] += data


def _frame(html: str) -> _Frame:
    frame = _Frame()
    frame.feed(html)
    return frame


def test_the_header_menu_is_a_labelled_details_with_every_link(client: TestClient) -> None:
    frame = _frame(client.get("/").text)
    assert frame.nav_label == "Main"
    # The menu lives in the main navigation, inside the header: a <details> whose <summary> says what it is.
    assert frame.events[:4] == ["nav", "details", "summary", "header-end"]
    assert frame.summary_text.strip() == "Menu"
    assert frame.menu_links == ["Communities", "Find designs", "Log in", "Sign up"]


def test_a_member_finds_every_link_and_log_out_in_the_menu(client: TestClient, session: Session) -> None:
    make_user(session, handle="ada", display_name="Ada Lovelace")
    response = client.post("/login", data={"csrftoken": csrf_token(client), "login": "ada", "password": PASSWORD})
    assert response.status_code == 200  # followed the redirect
    frame = _frame(response.text)
    assert frame.menu_links == ["Communities", "Find designs", "Profile", "Earnings", "Settings"]
    assert frame.menu_buttons == ["Log out"]
    # The notification bell sits beside the menu, so its unread count shows on a phone without opening it.
    header = response.text.split('<details class="site-menu">')[0]
    assert 'id="bell"' in header and "<header" in header
    # The flash message comes after the header, in the page's flow (static/css/chorus.css gives it no position).
    assert frame.events.index("toasts") > frame.events.index("header-end")
    assert [text.strip() for text in frame.toast_texts] == ["Welcome back, Ada Lovelace."]
