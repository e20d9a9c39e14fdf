"""A new organizer, from the command line to a published campaign, its export, and a logout that sticks."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

PASSWORD = "a long organizer passphrase"
# Two names as a letter prints them that the matcher must work for: a nickname with a title and a suffix-free
# middle initial ("Rep. Jan D. Schakowsky" is Janice), and an accent the data spells without ("Espaíllat").
SIGNER_CSV = "name_as_printed,source_url\nRep. Jan D. Schakowsky,https://example.org/letter\nAdriano Espaíllat,https://example.org/letter\n"


def fill_and_submit(page: Page, fields: dict[str, str], button: str) -> None:
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name=button, exact=True).click()


def add_demand(page: Page, title: str, slug: str) -> None:
    page.get_by_role("link", name="Add a demand").click()
    fill_and_submit(page, {"Title": title, "Slug (the action page: /c/<campaign>/<slug>)": slug,
                           "What it is and why it matters": f"Why {title.lower()} matters.",
                           "What we ask the members to do": "Cosponsor the bill."}, "Add demand")


def write_message(page: Page, demand_title: str, row: str, subject: str) -> None:
    """Open the English message of one audience from the overview and save it."""
    article = page.locator("article", has=page.get_by_role("heading", name=demand_title))
    article.get_by_role("row", name=re.compile(row)).get_by_role("link").first.click()
    fill_and_submit(page, {"Subject": subject, "Message": f"{subject}. Please keep going.",
                           "Text-message version (call script)": f"{subject}: please call."}, "Save")


def test_new_organizer_builds_publishes_exports_and_logs_out(browser: Browser, live_server, runner, tmp_path):
    created = runner.invoke(args=["outreach", "create-organizer", "new.organizer@example.org", "--password-stdin"],
                            input=PASSWORD + "\n")
    assert created.exit_code == 0, created.output

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()

    # An anonymous visit to the dashboard lands on the login page.
    page.goto(f"{live_server}/dashboard/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Email").fill("new.organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    # A campaign for another letter, dated within the current Congress.
    page.get_by_role("link", name="New campaign").first.click()
    fill_and_submit(page, {"Title": "Stop the raids", "Slug (the address: /c/<slug>)": "stop-the-raids",
                           "Date of the letter": "2025-03-01", "Sent to": "The Secretary of Homeland Security",
                           "Letter text (Markdown)": "We **urge** you to stop the raids."}, "Create draft")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stop the raids")

    add_demand(page, "End 287(g)", "end-287g")
    expect(page.get_by_role("heading", name="End 287(g)")).to_be_visible()
    page.get_by_role("link", name="Overview").click()
    add_demand(page, "End detainers", "end-detainers")
    page.get_by_role("link", name="Overview").click()
    for demand in ("End 287(g)", "End detainers"):
        write_message(page, demand, "Signers", f"Thank you ({demand})")
        page.get_by_role("link", name="Overview").click()
        write_message(page, demand, "Everyone else", f"Please act ({demand})")
        page.get_by_role("link", name="Overview").click()

    # Signer import: both hard names match without help.
    page.get_by_role("link", name="Signers", exact=True).click()
    page.get_by_label("Paste names or CSV").fill(SIGNER_CSV)
    page.get_by_role("button", name="Match names").click()
    expect(page.locator("p.summary")).to_contain_text("2 matched, 0 ambiguous, 0 unmatched")
    page.get_by_role("button", name="Save signatures").click()
    expect(page.locator(".flash")).to_contain_text("2 signatures added")

    page.get_by_role("link", name="Overview").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("p.crumb .status")).to_have_text("live")

    # The public page: IL-9's Representative signed; its senators were senators on the letter's date.
    public = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    public.goto(f"{live_server}/c/stop-the-raids/end-287g")
    public.get_by_label("ZIP code").fill("60202")
    public.get_by_role("button", name="Look up").click()
    schakowsky = public.locator("[data-bioguide=S001145]").first
    expect(schakowsky).to_contain_text("Signed the letter")
    expect(public.locator("[data-bioguide=D000563]").first).to_contain_text(
        "Not eligible: this was a House letter and they were in the Senate")
    public.context.close()

    # The report's CSV export.
    page.get_by_role("link", name="Report").first.click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download actions (CSV)").click()
    path = tmp_path / "actions.csv"
    download_info.value.save_as(path)
    assert path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")[:3] == ["created_at", "demand", "state"]

    # Log out; the cookie the browser had before no longer opens the dashboard.
    old_cookies = context.cookies()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    replay = browser.new_context()
    replay.add_cookies(old_cookies)
    replayed = replay.new_page()
    replayed.goto(f"{live_server}/dashboard/")
    expect(replayed).to_have_url(re.compile(r"/login"))
    replay.close()
    context.close()
