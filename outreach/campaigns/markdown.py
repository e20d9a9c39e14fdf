"""Organizer Markdown to safe HTML: Python-Markdown renders, nh3 (an allow-list sanitizer) decides what stays."""

from __future__ import annotations

import markdown as _markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "h2", "h3", "h4", "code", "pre",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Links leave our site for pages we do not vouch for: no opener access, no referrer, no search-engine credit.
LINK_REL = "noopener noreferrer nofollow"


def render_markdown(text: str | None) -> Markup:
    """Render organizer Markdown to HTML that keeps only the allow-listed tags, attributes and link schemes."""
    if not text:
        return Markup("")
    # Raw HTML in the Markdown is passed through by Python-Markdown on purpose and removed by nh3 below:
    # one sanitizer that sees the final HTML is safer than escaping at two levels.
    html = _markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    cleaned = nh3.clean(html, tags=set(ALLOWED_TAGS), attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
                        url_schemes=set(ALLOWED_URL_SCHEMES), link_rel=LINK_REL, strip_comments=True)
    return Markup(cleaned)
