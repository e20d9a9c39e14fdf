"""A constituent on a phone looks up their members on an action page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_zip_lookup_shows_member_and_badge(page: Page, live_server):
    page.goto(f"{live_server}/c/end-ice-entanglement/end-287g")
    expect(page.get_by_role("heading", level=1)).to_have_text("End the 287(g) program")

    page.get_by_label("ZIP code").fill("60202")
    page.get_by_role("button", name="Look up").click()

    schakowsky = page.locator("li.member", has_text="Janice D. Schakowsky")
    expect(schakowsky).to_contain_text("U.S. Representative, IL district 9")
    expect(schakowsky.locator(".badge")).to_have_text("Signed the letter")
    expect(schakowsky.get_by_role("link", name=re.compile(r"^Call "))).to_have_attribute("href", re.compile(r"^tel:\+1\d{10}$"))
    durbin = page.locator("li.member", has_text="Durbin")
    expect(durbin.locator(".badge")).to_contain_text("Not eligible")
    # Nothing on the page is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_bad_zip_error_sits_next_to_field_in_spanish(page: Page, live_server):
    page.goto(f"{live_server}/c/end-ice-entanglement/end-ice-detainers?lang=es")
    page.get_by_label("Código postal").fill("6020")
    page.get_by_role("button", name="Buscar").click()
    error = page.locator(".field.has-error .error")
    expect(error).to_have_text("Escriba un código postal de cinco dígitos, como 60202.")
    expect(page.get_by_label("Código postal")).to_have_value("6020")
