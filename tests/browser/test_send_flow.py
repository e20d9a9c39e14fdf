"""A constituent on a phone looks up their members, writes to them, and copies the message for each office."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, Page, expect

ACTION_PAGE = "/c/end-ice-entanglement/end-287g"
IL9 = ["S001145", "D000563", "D000622"]


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def write_and_send(page: Page, live_server: str) -> None:
    """ZIP lookup → Write to them → fill in → Send, checking each page fits the phone."""
    page.goto(f"{live_server}{ACTION_PAGE}")
    page.get_by_label("ZIP code").fill("60202")
    page.get_by_role("button", name="Look up").click()
    page.get_by_role("button", name="Write to them").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Write to your members of Congress")
    for bioguide in IL9:
        expect(page.locator(f"li.member[data-bioguide={bioguide}] input[type=checkbox]")).to_be_checked()
    expect(page.get_by_label(re.compile(r"^Message to Janice D\. Schakowsky"))).to_have_value(
        re.compile(r"^Thank you for signing"))
    expect(page.get_by_label("ZIP code")).to_have_value("60202")
    expect(page.locator("#sms_opt_in")).not_to_be_checked()
    no_horizontal_scroll(page)

    page.get_by_label("Why this matters to you").fill("Our neighbors are afraid to call the police.")
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Quintero")
    page.get_by_label("Email").fill("ana.quintero@example.org")
    page.get_by_label("Street address").fill("1234 Chicago Ave")
    page.get_by_label("City").fill("Evanston")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/a/[A-Za-z0-9_-]{20,}$"))


def test_write_send_and_copy_on_a_phone(page: Page, context: BrowserContext, live_server):
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    write_and_send(page, live_server)

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Ana!")
    offices = page.locator("li.delivery[data-kind=office_message]")
    expect(offices).to_have_count(3)
    assert offices.evaluate_all("rows => rows.map(r => r.dataset.recipient)") == IL9
    for row in offices.all():
        expect(row.locator(".delivery-state")).to_contain_text("Ready for you to send")
        expect(row.get_by_role("link", name=re.compile(r"^Call "))).to_have_attribute(
            "href", re.compile(r"^tel:\+1\d{10}$"))
        expect(row.get_by_role("button", name="Copy the message")).to_be_visible()
    no_horizontal_scroll(page)

    durbin = offices.filter(has_text="Richard J. Durbin")
    message = durbin.locator("textarea")
    expect(message).to_have_value(re.compile(r"^Dear Senator Richard J\. Durbin,"))
    durbin.get_by_role("button", name="Copy the message").click()
    expect(durbin.locator("button.copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == message.input_value()
    # Only the pressed button changed.
    expect(offices.filter(has_text="Tammy Duckworth").locator("button.copy")).to_have_text("Copy the message")


def test_status_page_works_without_javascript(browser: Browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740},
                                  locale="en-US")
    page = context.new_page()
    try:
        write_and_send(page, live_server)
        offices = page.locator("li.delivery[data-kind=office_message]")
        expect(offices).to_have_count(3)
        # No dead button: the message sits in a read-only box the person can select and copy by hand.
        expect(page.locator("button.copy").first).to_be_hidden()
        for row in offices.all():
            expect(row.locator("textarea")).to_have_attribute("readonly", "")
            expect(row.locator("textarea")).to_have_value(re.compile(r"Sincerely,\nAna Quintero\nEvanston$"))
        no_horizontal_scroll(page)
    finally:
        context.close()
