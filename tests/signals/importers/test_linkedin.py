"""LinkedIn engagement reports: metrics to signals, page URLs, and matching rows to accounts."""

import pytest

from intentsync.kit.errors import BadRequest
from intentsync.signals.importers.csvfile import Conventions, Header, RowError, RowSignals
from intentsync.signals.importers.linkedin import (
    CompanyActivity,
    KnownAccounts,
    layout,
    linkedin_page,
    match,
)
from intentsync.signals.service import NewSignal
from tests.signals.importers.helpers import parse

NOV_16 = 1_794_787_200_000


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.linkedin.com/company/Acme/", "linkedin.com/company/acme"),
        ("http://linkedin.com/company/acme?trk=feed#top", "linkedin.com/company/acme"),
        ("linkedin.com/company/acme/about/", "linkedin.com/company/acme"),
        ("  WWW.LINKEDIN.COM/company/acme-corp  ", "linkedin.com/company/acme-corp"),
        ("https://uk.linkedin.com/company/acme", "linkedin.com/company/acme"),
        ("https://www.linkedin.com/company/1035/", "linkedin.com/company/1035"),
        ("https://br.linkedin.com/company/1035/posts/?feedView=all", "linkedin.com/company/1035"),
        ("https://www.linkedin.com/in/jane", None),
        ("https://www.linkedin.com/company/", None),
        ("https://notlinkedin.com/company/acme", None),
        ("acme.com", None),
    ],
)
def test_linkedin_pages_are_compared_normalised(url, expected):
    assert linkedin_page(url) == expected


def activity(line=2, company="Acme", page=None, website="", raw_website=None, metrics=None):
    return CompanyActivity(
        line=line,
        company=company,
        page=page,
        website=website,
        raw_website=website if raw_website is None else raw_website,
        occurred_ms=NOV_16,
        campaign="",
        metrics=metrics or (("click", 2.0),),
    )


def test_a_row_yields_one_signal_per_non_zero_metric(tmp_path):
    items = parse(
        tmp_path,
        "linkedin",
        "Company Name,Company Page URL,Website,Date,Campaign Name,Impressions,Clicks,"
        "Engagements,Leads,Conversions\n"
        "Acme,https://www.linkedin.com/company/acme/,https://acme.com/,2026-11-16,Q4,"
        '"1,250",14,0,1,\n'
        "Globex,,,2026-11-16,Q4,0,0,0,0,0\n",
    )
    assert items == [
        CompanyActivity(
            line=2,
            company="Acme",
            page="linkedin.com/company/acme",
            website="acme.com",
            raw_website="https://acme.com/",
            occurred_ms=NOV_16,
            campaign="Q4",
            metrics=(("impression", 1250.0), ("click", 14.0), ("lead_form", 1.0)),
        ),
        RowSignals(3, ()),
    ]
    (signals,) = match([items[0]], KnownAccounts())
    attributes = {"companyName": "Acme", "campaign": "Q4"}
    assert signals == RowSignals(
        2,
        tuple(
            NewSignal("linkedin", "acme.com", NOV_16, t, quantity=q, attributes=attributes)
            for t, q in (("impression", 1250), ("click", 14), ("lead_form", 1))
        ),
    )


def test_missing_metric_columns_count_zero_and_short_names_are_accepted(tmp_path):
    items = parse(tmp_path, "linkedin", "company;date;clicks\nAcme;11/16/2026;3\n")
    assert items == [activity(metrics=(("click", 3.0),))]


def test_bad_rows_are_reported_with_their_line(tmp_path):
    items = parse(
        tmp_path,
        "linkedin",
        "Company,Website,Date,Impressions,Clicks\n"
        "Acme,acme.com,yesterday,1,1\n"
        "Acme,acme.com,2026-11-16,many,1\n"
        "Acme,acme.com,2026-11-16,1,-1\n"
        ",,2026-11-16,1,1\n",
    )
    assert items == [
        RowError(2, "Date 'yesterday' is not a date (YYYY-MM-DD, YYYY/MM/DD or MM/DD/YYYY)"),
        RowError(3, "Impressions 'many' is not a number"),
        RowError(4, "Clicks -1 must be from 0 to 1e9"),
        RowError(5, "the row has no Company Name, Company Page URL or Website"),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Company,Date,Spend", "the header has none of the metric columns Impressions, Clicks, "),
        ("Company,Clicks", "the header has no Date column"),
        ("Date,Clicks", "the header has no Company Name column"),
        ("Campaign Name,Date,Clicks", "this is a LinkedIn campaign or ad performance report"),
    ],
)
def test_a_header_without_a_required_column_is_refused(tmp_path, header, message):
    with pytest.raises(BadRequest, match=message):
        parse(tmp_path, "linkedin", header + "\n")


def domains(results):
    return [r.reason if isinstance(r, RowError) else {s.domain for s in r.signals} for r in results]


def test_matching_order_page_then_website_then_name_then_the_website_itself():
    known = KnownAccounts(
        by_page={"linkedin.com/company/acme": {"acme.com"}},
        domains={"acme.com", "acme.io"},
        by_name={"acme": {"acme.de"}, "globex": {"globex.com", "globex.co.uk"}},
    )
    rows = [
        activity(page="linkedin.com/company/acme", website="acme.io"),
        activity(website="acme.io"),
        activity(company=" ACME ", website="acme.fr"),
        activity(company="Umbrella", website="umbrella.example"),
        activity(company="Globex", website="globex.example"),
        activity(company="Globex"),
        activity(company="Initrode", raw_website="not a site"),
        activity(company="Umbrella"),
        activity(company="umbrella ", website="umbrella.example"),
        activity(company="Nobody"),
        activity(company="", page="linkedin.com/company/nobody"),
    ]
    assert domains(match(rows, known)) == [
        {"acme.com"},
        {"acme.io"},
        {"acme.de"},
        {"umbrella.example"},
        # An ambiguous name matches nothing: the website decides, or the row fails.
        {"globex.example"},
        "'Globex' matches 2 accounts by name (globex.co.uk, globex.com); "
        "add its Company Page URL or Website",
        "no account matches 'Initrode' and its website 'not a site' is not a valid domain",
        # Introduced by website earlier in the chunk, as the discovered account will be.
        {"umbrella.example"},
        {"umbrella.example"},
        "no account matches 'Nobody' and the row has no website",
        "no account matches linkedin.com/company/nobody and the row has no website",
    ]


def test_a_page_shared_by_two_accounts_falls_back_to_the_next_rule():
    known = KnownAccounts(
        by_page={"linkedin.com/company/acme": {"acme.com", "acme.io"}},
        by_name={"acme": {"acme.de"}},
    )
    assert domains(match([activity(page="linkedin.com/company/acme")], known)) == [{"acme.de"}]


@pytest.mark.parametrize(
    ("names", "delimiter", "expected"),
    [
        (["Company Name", "Date", "Impressions"], ",", Conventions(False, False)),
        (["Company Name", "Date", "Impressions"], ";", Conventions(False, False)),
        (["Empresa", "Data", "Impressões"], "\t", Conventions(True, True)),
        (["Empresa", "Fecha", "Impresiones"], "\t", Conventions(True, True)),
        (["Entreprise", "Date de début (en UTC)", "Impressions"], "\t", Conventions(True, True)),
        (["Unternehmen", "Datum", "Klicks"], "\t", Conventions(True, True)),
        # As English as French: the order is not guessed, the decimal mark follows the delimiter.
        (["Domain", "Entreprise", "Date", "Impressions"], "\t", Conventions(False, None)),
        (["Domain", "Entreprise", "Date", "Impressions"], ";", Conventions(True, None)),
    ],
)
def test_the_header_language_sets_day_order_and_decimal_mark(names, delimiter, expected):
    assert layout(Header(names), (), delimiter).conventions == expected


@pytest.mark.parametrize(
    ("report", "names", "expected"),
    [
        (["Report Start: 9/1/2023, 12:00 AM"], ["Company", "Clicks"], "2023-09-01"),
        (['"Início do relatório: 01/09/2023 00:00"'], ["Empresa", "Cliques"], "2023-09-01"),
        (["Inicio del informe: 01/09/2023"], ["Empresa", "Clics"], "2023-09-01"),
        (["Début du rapport : 01/09/2023"], ["Entreprise", "Clics"], "2023-09-01"),
        (["Berichtsbeginn: 01.09.2023 00:00"], ["Unternehmen", "Klicks"], "2023-09-01"),
    ],
)
def test_a_report_without_dates_is_dated_by_its_report_start(report, names, expected):
    from datetime import UTC, datetime

    start = layout(Header(names), report, "\t").report_start_ms
    assert start is not None
    assert datetime.fromtimestamp(start / 1000, UTC).date().isoformat() == expected


def test_an_ambiguous_date_in_a_file_of_no_clear_language_fails_its_row(tmp_path):
    text = "Domain\tEntreprise\tDate\tImpressions\nacme.com\tAcme\t01/09/2023\t5\n"
    items = parse(tmp_path, "linkedin", text)
    assert items == [
        RowError(
            2,
            "Date '01/09/2023' is not a date (YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY, or DD/MM/YYYY "
            "and MM/DD/YYYY where the day is above 12, as the file does not say which "
            "comes first)",
        )
    ]
