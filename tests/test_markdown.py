"""Organizer Markdown renders to HTML that can run nothing: scripts, handlers and unsafe links are removed."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from outreach.campaigns.markdown import render_markdown


def test_markdown_renders_the_allowed_elements():
    html = render_markdown("## Asks\n\n**End** *287(g)*\n\n- one\n- two\n\n> quoted\n\n`code`\n\n    block\n")
    assert isinstance(html, Markup)
    for fragment in ("<h2>Asks</h2>", "<strong>End</strong>", "<em>287(g)</em>", "<li>one</li>",
                     "<blockquote>", "<code>code</code>", "<pre><code>block"):
        assert fragment in html


def test_links_keep_safe_schemes_and_get_rel():
    html = render_markdown('[ACLU](https://www.aclu.org/ "press") and <mailto:office@example.org>')
    assert '<a href="https://www.aclu.org/" title="press" rel="noopener noreferrer nofollow">ACLU</a>' in html
    assert 'href="mailto:office@example.org"' in html


def test_script_tags_are_removed_with_their_content():
    html = render_markdown("Hello <script>alert('x')</script> world\n\n<script src=https://evil.example/x.js></script>")
    assert "<script" not in html.lower()
    assert "alert" not in html
    assert "evil.example" not in html
    assert "Hello" in html and "world" in html


@pytest.mark.parametrize("link", [
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="java&#x09;script:alert(1)">click</a>',
    "[click](vbscript:msgbox(1))",
])
def test_javascript_links_are_inert(link):
    html = render_markdown(link)
    assert "javascript" not in html.lower() and "vbscript" not in html.lower()
    assert "alert" not in html or "href" not in html
    assert "click" in html


@pytest.mark.parametrize("text", [
    '<img src="x" onerror="alert(1)">',
    '<p onclick="alert(1)">text</p>',
    '<a href="https://example.org" onmouseover="alert(1)">x</a>',
    '<svg onload="alert(1)"></svg>',
])
def test_event_handler_attributes_are_removed(text):
    html = render_markdown(text)
    assert "onerror" not in html and "onclick" not in html and "onmouseover" not in html and "onload" not in html
    assert "<img" not in html and "<svg" not in html


@pytest.mark.parametrize("text", [
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
])
def test_data_urls_are_inert(text):
    html = render_markdown(text)
    assert "data:" not in html
    assert "<img" not in html


def test_style_iframe_and_forms_are_removed():
    html = render_markdown('<style>body{display:none}</style><iframe src="https://x"></iframe>'
                           '<form action="https://x"><input name=a></form><p style="color:red">kept</p>')
    for bad in ("<style", "display:none", "<iframe", "<form", "<input", "style="):
        assert bad not in html
    assert "kept" in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == "" and render_markdown(None) == ""


def test_jinja_filter_renders_sanitized_markdown(app):
    rendered = app.jinja_env.from_string("{{ text|markdown }}").render(text="**hi** <script>x()</script>")
    assert "<strong>hi</strong>" in rendered and "<script" not in rendered
