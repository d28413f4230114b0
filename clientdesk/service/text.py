"""Sanitising what clients and staff write: every body goes through `clean_html` before it is
stored, whichever path it came by (staff form, API, portal, inbound e-mail), so templates can
render stored HTML as safe."""

from __future__ import annotations

import html
import re

import nh3

_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "i", "li", "ol", "p", "pre", "s",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
    "h1", "h2", "h3", "h4", "hr",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
_TAG = re.compile(r"<[^>]+>")
_BLANK = re.compile(r"\n{3,}")


def clean_html(value: str) -> str:
    """Allow-listed formatting only: no scripts, styles, event handlers, images or forms.
    Links get rel="noopener noreferrer nofollow" and only http, https and mailto schemes."""
    return nh3.clean(
        value or "",
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        # Content of these is dropped, not shown as text (a script's code is not a message).
        clean_content_tags={"script", "style", "title", "head"},
    ).strip()


def text_to_html(value: str) -> str:
    """Plain text (an e-mail's text part, an API body without markup) as safe HTML paragraphs."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", (value or "").strip()) if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


def body_to_html(value: str) -> str:
    """What a person typed: treated as HTML when it contains tags, as plain text otherwise."""
    return clean_html(value) if _TAG.search(value or "") else text_to_html(value)


def html_to_text(value: str) -> str:
    """A plain-text rendering for the text part of outgoing e-mail and for timelines."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", value or "")
    text = html.unescape(_TAG.sub("", text))
    return _BLANK.sub("\n\n", text).strip()
