"""Each signal source has one name on every console page and chart; files and APIs keep keys."""

import re
from html import unescape

from intentsync.console.labels import SOURCE_LABELS
from tests.console.conftest import ConsoleClient, DemoWorkspace

NAMES = ["Website", "G2", "Bombora", "LinkedIn ads"]


def _words(html: str) -> str:
    """What a person reads: text between tags, with attribute values left out."""
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_the_labels_are_the_agreed_names() -> None:
    assert SOURCE_LABELS == {
        "website": "Website",
        "g2": "G2",
        "bombora": "Bombora",
        "linkedin": "LinkedIn ads",
        "sales": "Sales",
    }


def test_every_page_names_the_sources_alike(demo: DemoWorkspace, demo_admin: ConsoleClient) -> None:
    overview = demo_admin.get("/").text
    volume = overview[overview.index('id="volume-title"') :]
    assert re.findall(r'<th scope="col" class="num">([^<]+)</th>', volume)[:4] == NAMES
    options = re.findall(r'<option value="(\w+)" [^>]*>([^<]+)</option>', volume)
    assert [label for _, label in options] == NAMES
    assert [key for key, _ in options] == ["website", "g2", "bombora", "linkedin"]
    assert re.findall(r"</svg> ([^<]+)</li>", volume) == NAMES  # the chart's legend
    assert re.findall(r'data-series="([^"]+)"', volume) == NAMES

    listing = demo_admin.get("/accounts").text
    headings = _words(" ".join(re.findall(r'<th scope="col".*?</th>', listing, re.S))).split()
    assert "LinkedIn" in headings
    assert "ads" in headings
    assert "<legend>LinkedIn ads</legend>" in listing
    assert '<label for="f-advertising-min">LinkedIn ads min</label>' in listing
    csv_header = demo_admin.get("/accounts.csv").text.splitlines()[0].split(",")
    assert csv_header[6:10] == ["website", "g2", "bombora", "advertising"]  # keys stay

    key = re.search(r'href="/accounts/([^"?#]+)"', listing)
    assert key
    account = demo_admin.get(f"/accounts/{key.group(1)}").text
    assert '<option value="linkedin" >LinkedIn ads</option>' in account
    assert re.search(r'<th scope="row">LinkedIn ads(?: <small>\(off\)</small>)?</th>', account)
    assert 'data-series="LinkedIn ads"' in account

    segments = demo_admin.get("/segments").text
    dynamic = re.search(r'<a href="/segments/(\w+)">Hot accounts</a>', segments)
    assert dynamic
    builder = demo_admin.get(f"/segments/{dynamic.group(1)}").text
    assert re.search(
        r'<option value="advertising_activity_score"\s*>LinkedIn ads score</option>', builder
    )
    assert re.search(r'<option value="g2_intent_score"\s*>G2 score</option>', builder)
    assert re.search(r'<option value="account_score"\s*selected>Account score</option>', builder)

    scoring = demo_admin.get("/settings/scoring").text
    assert re.findall(r'<th scope="row">([^<]+)</th>', scoring)[:5] == [*NAMES, "Sales"]
    assert '<label for="w-linkedin" class="sr-only">LinkedIn ads weight</label>' in scoring
    assert 'name="weights.linkedin"' in scoring  # the form still sends the key

    scored = account[: account.index('id="signals-h"')]  # signal topics are data, not labels
    for page in (overview, listing, scored, builder, scoring):
        shown = _words(page)
        for old in ("Advertising", "advertising_activity_score"):
            assert old not in shown
        assert not re.search(r"(?<![\w./-])linkedin(?![\w.-])", shown)
