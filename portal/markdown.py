"""Markdown to safe HTML (report bodies, agreement texts): rendered by markdown-it, then
sanitised by nh3.

Raw HTML in the Markdown is not rendered at all, and whatever the renderer produces is
cleaned again against an allow-list, so a script in any field is shown inert.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_renderer.enable("table")
_renderer.enable("strikethrough")

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
LINK_REL = "noopener noreferrer nofollow"


def render_markdown(text: str) -> SafeString:
    """Sanitised HTML for the Markdown text; links open nothing and pass no referrer."""
    html = _renderer.render(text or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
    )
    return mark_safe(cleaned)  # noqa: S308  # sanitised by nh3 just above
