"""Public pages over the fixture data: campaign list, campaign page, action pages, errors, Spanish."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from outreach.models import Campaign, CampaignStatus, Letter
from tests.conftest import csrf_token

SLUG = "end-ice-entanglement"
CAMPAIGN_URL = f"/c/{SLUG}"
ACTION_URL = f"/c/{SLUG}/end-287g"
DEMAND_SLUGS = ["end-287g", "end-secure-communities", "end-ice-detainers"]

NOT_LISTED = "Not on our list of signers — our list is incomplete"
DID_NOT_SIGN = "Did not sign the letter"
HOUSE_LETTER_NOT_ELIGIBLE = "Not eligible: this was a House letter and they were in the Senate"


# --- a small HTML tree, enough to look inside one element -------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent: "Node | None" = None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list["Node"]:
        return [n for n in self.iter()
                if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
                and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs) -> "Node | None":
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def ancestor(self, tag: str) -> "Node | None":
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def text_of(response) -> str:
    return parse(response.get_data(as_text=True)).text()


def member_cards(doc: Node) -> dict[str, Node]:
    return {li.attrs["data-bioguide"]: li for li in doc.find_all("li", "member")}


def badge(card: Node) -> str:
    found = card.find("p", "badge")
    assert found is not None, f"no badge on {card.text()}"
    return found.text()


# --- helpers -----------------------------------------------------------------------------------

def post_lookup(client, url=ACTION_URL, **data):
    """GET the action page, then POST the form with its CSRF token."""
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def set_campaign_status(db, status: CampaignStatus) -> None:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == SLUG))
    campaign.status = status
    db.session.commit()


def set_signers_complete(db) -> None:
    letter = db.session.scalar(select(Letter))
    letter.signers_complete = True
    db.session.commit()


# --- campaign list and campaign page -----------------------------------------------------------

def test_index_lists_the_live_campaign(client, synced):
    response = client.get("/")
    assert response.status_code == 200
    doc = parse(response.get_data(as_text=True))
    links = [a.attrs["href"] for a in doc.find_all("a") if a.attrs.get("href") == CAMPAIGN_URL]
    assert links == [CAMPAIGN_URL]
    assert "End ICE entanglement with local police" in doc.text()
    assert "There are no campaigns running right now." not in doc.text()


def test_index_without_campaigns_says_so(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "There are no campaigns running right now." in text_of(response)


def test_campaign_page_shows_summary_and_demands(client, synced):
    response = client.get(CAMPAIGN_URL)
    assert response.status_code == 200
    doc = parse(response.get_data(as_text=True))
    assert doc.find("h1").text() == "End ICE entanglement with local police"
    assert "more than sixty Members of the House wrote to the Secretary of Homeland Security" in doc.text()
    demands = doc.find("ol", "demands").find_all("li")
    assert [li.find("h3").text() for li in demands] == [
        "End the 287(g) program", "End the Secure Communities program", "Stop using ICE detainers"]
    assert [li.find("a").attrs["href"] for li in demands] == [f"{CAMPAIGN_URL}/{s}" for s in DEMAND_SLUGS]
    assert all(li.find("a").text() == "Take action" for li in demands)
    # Each linked action page exists.
    for slug in DEMAND_SLUGS:
        assert client.get(f"{CAMPAIGN_URL}/{slug}").status_code == 200


def test_campaign_page_shows_signers_and_their_roles(client, synced):
    doc = parse(client.get(CAMPAIGN_URL).get_data(as_text=True))
    rows = {li.find("span", "name").text(): li for li in doc.find("ul", "signers").find_all("li")}
    assert len(rows) == 15
    roles = {name: li.find("span", "role").text() for name, li in rows.items()}
    assert roles["Janice D. Schakowsky"] == "Representative, IL-9"
    assert roles["Mike Quigley"] == "Representative, IL-5"
    assert roles["Judy Chu"] == "Representative, CA-28"  # current seat, not the 2021 one
    assert roles["Earl Blumenauer"] == "Has left Congress"  # B000574, only in the 117th file
    assert roles["Anthony G. Brown"] == "Has left Congress"
    assert roles["Cori Bush"] == "Role unknown"  # signer with no record in the fixture
    assert rows["Janice D. Schakowsky"].find("span", "lead") is not None
    assert rows["Earl Blumenauer"].find("span", "lead") is None


def test_campaign_page_says_the_list_is_incomplete_with_counts(client, synced):
    text = text_of(client.get(CAMPAIGN_URL))
    assert ("We know 15 of the signers; the letter had about 60. Our list is incomplete, "
            "so a member missing from it may still have signed.") in text
    assert "Of these, 4 still serve in the House, 0 are now in the Senate and 2 have left Congress." in text


def test_campaign_page_with_complete_list_counts_signers(client, synced, db):
    set_signers_complete(db)
    text = text_of(client.get(CAMPAIGN_URL))
    assert "15 members signed." in text
    assert "Our list is incomplete" not in text


@pytest.mark.parametrize("url", ["/c/no-such-campaign", "/c/no-such-campaign/end-287g",
                                 f"{CAMPAIGN_URL}/no-such-demand"])
def test_unknown_campaign_or_demand_is_404_page(client, synced, url):
    response = client.get(url)
    assert response.status_code == 404
    doc = parse(response.get_data(as_text=True))
    assert doc.find("h1").text() == "Page not found"
    assert doc.find("a", href="/") is not None


def test_draft_campaign_is_hidden(client, synced, db):
    set_campaign_status(db, CampaignStatus.DRAFT)
    for url in (CAMPAIGN_URL, ACTION_URL):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page not found" in text_of(response)
    assert "There are no campaigns running right now." in text_of(client.get("/"))


def test_closed_campaign_shows_ended_notice_and_no_form(client, synced, db):
    set_campaign_status(db, CampaignStatus.CLOSED)
    campaign = client.get(CAMPAIGN_URL)
    assert campaign.status_code == 200
    doc = parse(campaign.get_data(as_text=True))
    assert "This campaign has ended. Thank you to everyone who took part." in doc.find("p", "notice").text()
    assert not [a for a in doc.find_all("a") if a.attrs.get("href", "").startswith(f"{CAMPAIGN_URL}/")]
    assert "Janice D. Schakowsky" in doc.text()  # signers still listed

    action = client.get(ACTION_URL)
    assert action.status_code == 200
    doc = parse(action.get_data(as_text=True))
    assert doc.find("p", "notice").text() == "This campaign has ended and no longer takes actions."
    assert doc.find("form") is None
    assert doc.find("input", name="zip_code") is None
    assert "csrf_token" not in action.get_data(as_text=True)
    # Not on the list of running campaigns.
    assert "There are no campaigns running right now." in text_of(client.get("/"))


# --- the action page: ZIP lookups --------------------------------------------------------------

def test_zip_lookup_shows_signer_badge_and_phone(client, synced):
    response = post_lookup(client, zip_code="60202")
    assert response.status_code == 200
    doc = parse(response.get_data(as_text=True))
    cards = member_cards(doc)
    assert list(cards) == ["S001145", "D000563", "D000622"]

    schakowsky = cards["S001145"]
    assert schakowsky.find("h3").text() == "Janice D. Schakowsky"
    assert "U.S. Representative, IL district 9" in schakowsky.find("p", "seat").text()
    assert badge(schakowsky) == "Signed the letter"
    assert "badge-signed" in schakowsky.find("p", "badge").classes
    call = schakowsky.find("a", "button")
    assert call.attrs["href"] == "tel:+12022252111"
    assert call.text() == "Call 202-225-2111"

    for senator in ("D000563", "D000622"):
        assert "U.S. Senator, IL" in cards[senator].find("p", "seat").text()
        assert badge(cards[senator]) == HOUSE_LETTER_NOT_ELIGIBLE
        assert cards[senator].find("a", "button").attrs["href"].startswith("tel:+1202224")
    # The typed ZIP stays in the field.
    assert doc.find("input", name="zip_code").attrs["value"] == "60202"


def test_not_listed_member_is_never_called_a_non_signer(client, synced):
    response = post_lookup(client, zip_code="10001", seat="NY-12")
    html = response.get_data(as_text=True)
    cards = member_cards(parse(html))
    assert badge(cards["N000002"]) == NOT_LISTED
    assert "Did not sign" not in html


def test_not_listed_member_with_complete_list_did_not_sign(client, synced, db):
    set_signers_complete(db)
    cards = member_cards(parse(post_lookup(client, zip_code="10001", seat="NY-12").get_data(as_text=True)))
    assert badge(cards["N000002"]) == DID_NOT_SIGN
    assert badge(cards["S000148"]) == HOUSE_LETTER_NOT_ELIGIBLE  # senators unaffected


def test_split_zip_without_geocoder_offers_each_district(client, synced):
    response = post_lookup(client, zip_code="10001")
    assert response.status_code == 200
    doc = parse(response.get_data(as_text=True))
    text = doc.text()
    assert "ZIP code 10001 is split between 2 districts. Choose yours above to find your Representative." in text
    assert "Possible districts: NY-10, NY-12" in text
    radios = doc.find_all("input", type="radio", name="seat")
    assert [r.attrs["value"] for r in radios] == ["NY-10", "NY-12"]
    assert [r.ancestor("label").text() for r in radios] == ["NY-10", "NY-12"]
    assert doc.find("input", name="address") is None  # address search is off
    # Both candidates are shown (behind a disclosure), the senators up front.
    cards = member_cards(doc)
    assert set(cards) == {"G000599", "N000002", "S000148", "G000555"}
    assert {c.attrs["data-bioguide"] for c in doc.find("details").find_all("li", "member")} == {"G000599", "N000002"}
    assert badge(cards["G000599"]) == "Not in Congress when the letter was sent"


def test_picking_a_seat_gives_that_representative_only(client, synced):
    doc = parse(post_lookup(client, zip_code="10001", seat="NY-12").get_data(as_text=True))
    assert list(member_cards(doc)) == ["N000002", "S000148", "G000555"]
    assert "is split between" not in doc.find("section", "results").text()
    assert doc.find("input", type="radio") is None


def test_picking_a_seat_outside_the_zip_is_an_error_on_the_choice(client, synced):
    doc = parse(post_lookup(client, zip_code="10001", seat="IL-9").get_data(as_text=True))
    assert "Choose one of the districts listed for your ZIP code." in doc.text()
    assert not member_cards(doc)


def test_dc_zip_says_no_senators(client, synced):
    doc = parse(post_lookup(client, zip_code="20001").get_data(as_text=True))
    assert list(member_cards(doc)) == ["N000147"]
    assert "U.S. Representative, DC at large" in member_cards(doc)["N000147"].text()
    notices = [p.text() for p in doc.find_all("p", "notice")]
    assert "DC has no U.S. Senators." in notices


def test_vacant_seat_zip_shows_notice_and_senators(client, synced):
    doc = parse(post_lookup(client, zip_code="94541").get_data(as_text=True))
    notices = [p.text() for p in doc.find_all("p", "notice")]
    assert "The House seat for CA-14 is vacant right now." in notices
    cards = member_cards(doc)
    assert list(cards) == ["P000145", "S001150"]
    assert badge(cards["P000145"]) == HOUSE_LETTER_NOT_ELIGIBLE
    # Schiff was in the House in 2021: judged by that seat, not by his Senate seat now.
    assert badge(cards["S001150"]) == NOT_LISTED
    assert "has no U.S. Senators" not in doc.text()


# --- errors next to their field ----------------------------------------------------------------

def test_malformed_zip_error_sits_in_the_zip_field(client, synced):
    response = post_lookup(client, zip_code="6020")
    assert response.status_code == 200
    doc = parse(response.get_data(as_text=True))
    zip_input = doc.find("input", name="zip_code")
    field = zip_input.ancestor("div")
    assert {"field", "has-error"} <= field.classes
    assert [p.text() for p in field.find_all("p", "error")] == ["Enter a five-digit ZIP code, like 60202."]
    assert zip_input.attrs["value"] == "6020"
    assert zip_input.attrs["aria-invalid"] == "true"
    assert zip_input.attrs["aria-describedby"] == field.find("p", "error").attrs["id"]
    assert len(doc.find_all("p", "error")) == 1
    assert not member_cards(doc)
    assert doc.find("section", "results") is None


def test_empty_form_asks_for_a_zip(client, synced):
    doc = parse(post_lookup(client, zip_code="").get_data(as_text=True))
    field = doc.find("input", name="zip_code").ancestor("div")
    assert "has-error" in field.classes
    assert field.find("p", "error").text() == "Enter a ZIP code or a street address."


def test_unknown_zip_is_not_found(client, synced):
    doc = parse(post_lookup(client, zip_code="99999").get_data(as_text=True))
    field = doc.find("input", name="zip_code").ancestor("div")
    assert "has-error" in field.classes
    assert field.find("p", "error").text().startswith("We could not find ZIP code 99999.")
    assert not member_cards(doc)


def test_field_without_error_has_no_none_aria_attributes(client, synced):
    html = client.get(ACTION_URL).get_data(as_text=True)
    zip_input = parse(html).find("input", name="zip_code")
    assert zip_input.attrs.get("aria-describedby") != "None"
    assert zip_input.attrs.get("aria-invalid") != "None"


def test_post_without_csrf_token_is_refused(client, synced):
    client.get(ACTION_URL)
    response = client.post(ACTION_URL, data={"zip_code": "60202"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Schakowsky" not in html
    assert "data-bioguide" not in html


def test_post_with_a_wrong_csrf_token_is_refused(client, synced):
    client.get(ACTION_URL)
    response = client.post(ACTION_URL, data={"zip_code": "60202", "csrf_token": "forged"})
    assert response.status_code == 400
    assert "Schakowsky" not in response.get_data(as_text=True)


# --- Spanish -----------------------------------------------------------------------------------

def test_lang_es_translates_labels_and_demand(client, synced):
    response = client.get(f"{ACTION_URL}?lang=es")
    doc = parse(response.get_data(as_text=True))
    assert doc.find("html").attrs["lang"] == "es"
    assert doc.find("label", for_="zip_code").text() == "Código postal"
    assert doc.find("button", type="submit").text() == "Buscar"
    assert doc.find("h1").text() == "Terminar el programa 287(g)"
    assert "End the 287(g) program" not in doc.text()


def test_spanish_sticks_in_the_session_and_errors_are_spanish(client, synced):
    client.get(f"{CAMPAIGN_URL}?lang=es")
    # Next request, no ?lang: still Spanish.
    page = client.get(ACTION_URL)
    doc = parse(page.get_data(as_text=True))
    assert doc.find("h1").text() == "Terminar el programa 287(g)"
    response = client.post(ACTION_URL, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                             "zip_code": "6020"})
    doc = parse(response.get_data(as_text=True))
    field = doc.find("input", name="zip_code").ancestor("div")
    assert field.find("p", "error").text() == "Escriba un código postal de cinco dígitos, como 60202."
    # And the results are Spanish too.
    response = post_lookup(client, zip_code="60202")
    cards = member_cards(parse(response.get_data(as_text=True)))
    assert badge(cards["S001145"]) == "Firmó la carta"
    # Switching back works and sticks as well.
    client.get(f"{CAMPAIGN_URL}?lang=en")
    assert parse(client.get(ACTION_URL).get_data(as_text=True)).find("h1").text() == "End the 287(g) program"


def test_accept_language_alone_gives_spanish(client, synced):
    response = client.get(ACTION_URL, headers={"Accept-Language": "es"})
    doc = parse(response.get_data(as_text=True))
    assert doc.find("h1").text() == "Terminar el programa 287(g)"
    assert doc.find("label", for_="zip_code").text() == "Código postal"
    # Without the header a new visitor gets English.
    other = client.application.test_client()
    assert parse(other.get(ACTION_URL).get_data(as_text=True)).find("h1").text() == "End the 287(g) program"


def test_spanish_campaign_page(client, synced):
    text = text_of(client.get(CAMPAIGN_URL, headers={"Accept-Language": "es-MX,es;q=0.9"}))
    assert "Que ICE deje de usar a la policía local" in text
    assert "Ya no está en el Congreso" in text
    assert "Nuestra lista está incompleta" in text


# --- with the Census geocoder configured -------------------------------------------------------

class TestWithCensusGeocoder:
    @pytest.fixture
    def app_config(self, census_app_config):
        return census_app_config

    def test_split_zip_asks_for_a_street_address(self, client, synced):
        doc = parse(post_lookup(client, zip_code="10001").get_data(as_text=True))
        assert doc.find("input", name="address") is not None
        assert doc.find("input", type="radio") is None
        assert ("ZIP code 10001 is split between 2 districts. Enter your street address above to find your "
                "Representative.") in doc.text()

    def test_address_gives_one_district(self, client, synced, fake_census):
        fake_census.add_examples()
        response = post_lookup(client, zip_code="10001", address="1800 Sherman Ave, Evanston, IL 60201")
        doc = parse(response.get_data(as_text=True))
        cards = member_cards(doc)
        assert list(cards) == ["S001145", "D000563", "D000622"]
        assert badge(cards["S001145"]) == "Signed the letter"
        assert "is split between" not in doc.find("section", "results").text()
        assert fake_census.requests[-1]["address"] == "1800 Sherman Ave, Evanston, IL 60201"

    def test_unknown_address_error_sits_in_the_address_field(self, client, synced, fake_census):
        doc = parse(post_lookup(client, address="1 Nowhere Rd, Springfield, XX").get_data(as_text=True))
        field = doc.find("input", name="address").ancestor("div")
        assert "has-error" in field.classes
        assert field.find("p", "error").text().startswith("We could not find that address.")
        assert "has-error" not in doc.find("input", name="zip_code").ancestor("div").classes
        assert not member_cards(doc)

    def test_geocoder_down_is_explained(self, client, synced, fake_census):
        fake_census.fail()
        doc = parse(post_lookup(client, address="1800 Sherman Ave, Evanston, IL").get_data(as_text=True))
        field = doc.find("input", name="address").ancestor("div")
        assert field.find("p", "error").text().startswith("The address service is not answering right now.")


def test_member_card_lists_district_offices_with_tap_to_call(client, synced):
    doc = parse(post_lookup(client, zip_code="60202").get_data(as_text=True))
    offices = member_cards(doc)["S001145"].find("details", "offices")
    assert offices is not None
    assert "Offices in IL" in offices.text()
    links = [a.attrs["href"] for a in offices.find_all("a")]
    assert links and all(link.startswith("tel:+1") and link[6:].isdigit() for link in links)
