"""G2 buyer-intent exports: signal type wording, quantities, attributes and keys, bad rows."""

import pytest

from intentsync.kit.errors import BadRequest
from intentsync.signals.importers.csvfile import RowError, RowSignals
from intentsync.signals.importers.g2 import signal_type
from intentsync.signals.service import NewSignal
from tests.signals.importers.helpers import parse

NOV_17 = 1_794_873_600_000  # 2026-11-17
DAY_17 = 20774
HEADER = "company_domain,day,signal_type,total_activity"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pricing Page", "pricing"),
        ("pricing", "pricing"),
        ("product_profile", "profile"),
        ("Profile", "profile"),
        ("Comparison", "compare"),
        ("compare", "compare"),
        ("Competitors", "competitor"),
        ("Alternatives", "competitor"),
        ("Category", "category"),
        ("CATEGORY PAGE", "category"),
        ("Reviews", None),
        ("", None),
    ],
)
def test_g2_signal_type_wording(text, expected):
    assert signal_type(text) == expected


def test_rows_become_signals_with_their_attributes(tmp_path):
    items = parse(
        tmp_path,
        "g2",
        "Company Name;Company Domain;Day;Signal Type;Product Name;Category Name;"
        "Competitor Name;Total Activity;Location\n"
        'Contoso;www.contoso.example;2026-11-17;Pricing Page;Intentsync;;;"1.200";Seattle\n'
        ";contoso.example;11/17/2026;Comparison;Intentsync;;Demandbase;2;\n"
        ";contoso.example;2026/11/17;Category;;ABM Platforms;;0,5;\n",
    )
    assert items == [
        RowSignals(
            2,
            (
                NewSignal(
                    "g2",
                    "contoso.example",
                    NOV_17,
                    "pricing",
                    quantity=1200,
                    attributes={"companyName": "Contoso", "product": "Intentsync"},
                ),
            ),
        ),
        # Rows that differ only by competitor or category are different activity.
        RowSignals(
            3,
            (
                NewSignal(
                    "g2",
                    "contoso.example",
                    NOV_17,
                    "compare",
                    quantity=2,
                    key=f"g2|contoso.example|{DAY_17}|compare|Intentsync||Demandbase",
                    attributes={"product": "Intentsync", "competitor": "Demandbase"},
                ),
            ),
        ),
        RowSignals(
            4,
            (
                NewSignal(
                    "g2",
                    "contoso.example",
                    NOV_17,
                    "category",
                    quantity=0.5,
                    key=f"g2|contoso.example|{DAY_17}|category||ABM Platforms|",
                    attributes={"category": "ABM Platforms"},
                ),
            ),
        ),
    ]


def test_short_column_names(tmp_path):
    items = parse(
        tmp_path, "g2", "domain,date,type,activity,product\nacme.com,2026-11-17,profile,3,Widget\n"
    )
    signal = items[0].signals[0]
    assert (signal.type, signal.quantity, signal.attributes) == (
        "profile",
        3,
        {"product": "Widget"},
    )


def test_bad_rows_are_reported_with_their_line(tmp_path):
    items = parse(
        tmp_path,
        "g2",
        f"{HEADER}\n"
        ",2026-11-17,pricing,1\n"
        "acme.com,17 Nov,pricing,1\n"
        "acme.com,2026-11-17,Reviews,1\n"
        "acme.com,2026-11-17,pricing,0\n"
        "acme.com,2026-11-17,pricing,-2\n"
        "acme.com,2026-11-17,pricing,\n"
        "\n"
        "acme.com,2026-11-17,pricing,2\n",
    )
    assert items[:-1] == [
        RowError(2, "company_domain '' is not a valid domain"),
        RowError(3, "day '17 Nov' is not a date (YYYY-MM-DD, YYYY/MM/DD or MM/DD/YYYY)"),
        RowError(
            4,
            "signal_type 'Reviews' is not a G2 signal type; use one of: "
            "Pricing Page, Profile, Compare (Comparison), Competitor (Alternatives), Category",
        ),
        RowError(5, "total_activity 0 must be above 0 and at most 1e9"),
        RowError(6, "total_activity -2 must be above 0 and at most 1e9"),
        RowError(7, "total_activity '' is not a number"),
    ]
    assert isinstance(items[-1], RowSignals)
    assert items[-1].line == 9  # the blank line 8 is passed over but still counted


def test_a_header_without_a_required_column_is_refused(tmp_path):
    with pytest.raises(BadRequest) as caught:
        parse(tmp_path, "g2", "company_domain,day,total_activity\n")
    assert caught.value.custom_message.startswith(
        "the header has no signal_type column; accepted spellings: 'signal_type', 'type'"
    )
