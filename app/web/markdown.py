"""Markdown from members, rendered with raw HTML off and sanitised again after rendering."""

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("js-default")
_ALLOWED_TAGS = {
    "a",
    "p",
    "br",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "del",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def render_markdown(text: str) -> str:
    """Safe HTML for member-written Markdown: no scripts, no event handlers, only http(s) and mailto links."""
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",  # i18n: ignore
    )
