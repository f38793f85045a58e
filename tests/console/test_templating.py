"""The console's display filters: every time reads the same way, whatever form it came in."""

import pytest

from intentsync.console.templating import instant, number, signed, when


def test_times_show_in_utc_minutes() -> None:
    assert when(0) == "1970-01-01 00:00 UTC"
    assert when(None) == "—"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("2026-11-20T10:15:00Z", "2026-11-20 10:15 UTC"),
        ("2026-11-20T12:15:00+02:00", "2026-11-20 10:15 UTC"),
        ("2026-11-20T10:15:00", "2026-11-20 10:15 UTC"),
        ("2026-11-20", "2026-11-20 00:00 UTC"),
        ("not a time", "not a time"),
        (None, "—"),
    ],
)
def test_crm_times_show_like_every_other_time(sent: str | None, shown: str) -> None:
    assert instant(sent) == shown


def test_numbers() -> None:
    assert number(1234567) == "1,234,567"
    assert number(2.5) == "2.5"
    assert signed(3) == "+3"
    assert signed(-2) == "-2"
    assert signed(0) == "0"


def test_a_page_variable_named_version_cannot_change_the_footer_or_asset_urls() -> None:
    from starlette.requests import Request

    from intentsync import __version__
    from intentsync.console.templating import render

    request = Request(
        {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    )
    page = render(
        "error.html", request=request, viewer=None, status=404, title="t", message="m", version=7
    )
    assert f"intentsync {__version__}" in page
    assert f"console.css?v={__version__}" in page
