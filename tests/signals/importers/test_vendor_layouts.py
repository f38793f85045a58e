"""Exports in the exact bytes vendors and spreadsheets write, imported through the CLI."""

import codecs
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from intentsync.db.models import Account, SignalEvent
from tests.factories import account
from tests.signals.importers.test_import_command import accounts, import_file, summary
from tests.test_cli import last_line

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

SEP_1_2023 = (date(2023, 9, 1) - date(1970, 1, 1)).days
NNBSP = "\u202f"  # French exports group thousands with a narrow no-break space


def utf16le(path, lines):
    """Campaign Manager's layout: UTF-16LE with a byte-order mark, TAB between cells, CRLF."""
    text = "".join("\t".join(cells) + "\r\n" for cells in lines)
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    return path


def stored(ws):
    """(domain, day, type, quantity, campaign) of every stored signal, in import order."""
    with ws.db.transaction(write=False) as session:
        rows = session.execute(
            select(
                Account.domain,
                SignalEvent.day,
                SignalEvent.type,
                SignalEvent.quantity,
                SignalEvent.attributes,
            )
            .join(Account, Account.id == SignalEvent.account_id)
            .where(SignalEvent.team_id == ws.team_id)
            .order_by(SignalEvent.id)
        )
        return [(d, day, t, q, a.get("campaign")) for d, day, t, q, a in rows]


# Per language: report lines, header, one day (1 Sep 2023) as written, 1234 and 10 as written.
LINKEDIN = {
    "en": (
        [
            "Company Performance Report (in UTC)",
            "Report Start: 9/1/2023, 12:00 AM",
            "Report End: 9/30/2023, 11:59 PM",
            "Date Generated: 10/2/2023, 9:15 AM",
            "Account Name: Intentsync Demo",
        ],
        [
            "Company Name",
            "Company Page URL",
            "Website",
            "Start Date (in UTC)",
            "Campaign Name",
            "Impressions",
            "Clicks",
            "Total Engagements",
            "Leads",
            "Conversions",
            "Total Spent",
        ],
        "9/1/2023",
        "1,234",
        "10.00",
        "1,234.56",
    ),
    "pt": (
        [
            "Relatório de desempenho da empresa (em UTC)",
            "Início do relatório: 01/09/2023 00:00",
            "Fim do relatório: 30/09/2023 23:59",
            "Data de geração: 02/10/2023 09:15",
            "Nome da conta: Intentsync Brasil",
        ],
        [
            "Nome da empresa",
            "URL da página da empresa",
            "Site",
            "Data de início (em UTC)",
            "Nome da campanha",
            "Impressões",
            "Cliques",
            "Total de engajamentos",
            "Leads",
            "Conversões",
            "Total investido",
        ],
        "01/09/2023",
        "1.234",
        "10,00",
        "1.234,56",
    ),
    "es": (
        [
            "Informe de rendimiento de empresas (en UTC)",
            "Inicio del informe: 01/09/2023 0:00",
            "Fin del informe: 30/09/2023 23:59",
            "Fecha de generación: 02/10/2023 9:15",
            "Nombre de la cuenta: Intentsync España",
        ],
        [
            "Nombre de la empresa",
            "URL de la página de empresa",
            "Sitio web",
            "Fecha de inicio (en UTC)",
            "Nombre de la campaña",
            "Impresiones",
            "Clics",
            "Interacciones totales",
            "Clientes potenciales",
            "Conversiones",
            "Importe gastado",
        ],
        "01/09/2023",
        "1.234",
        "10,00",
        "1.234,56",
    ),
    "fr": (
        [
            "Rapport de performance des entreprises (en UTC)",
            "Début du rapport : 01/09/2023 00:00",
            "Fin du rapport : 30/09/2023 23:59",
            "Date de génération : 02/10/2023 09:15",
            "Nom du compte : Intentsync France",
        ],
        [
            "Nom de l'entreprise",
            "URL de la page entreprise",
            "Site web",
            "Date de début (en UTC)",
            "Nom de la campagne",
            "Impressions",
            "Clics",
            "Total des interactions",
            "Prospects",
            "Conversions",
            "Montant dépensé",
        ],
        "01/09/2023",
        f"1{NNBSP}234",
        "10,00",
        f"1{NNBSP}234,56",
    ),
    "de": (
        [
            "Unternehmensleistungsbericht (in UTC)",
            "Berichtsbeginn: 01.09.2023 00:00",
            "Berichtsende: 30.09.2023 23:59",
            "Erstellungsdatum: 02.10.2023 09:15",
            "Kontoname: Intentsync Deutschland",
        ],
        [
            "Unternehmensname",
            "URL der Unternehmensseite",
            "Webseite",
            "Startdatum (in UTC)",
            "Kampagnenname",
            "Impressionen",
            "Klicks",
            "Interaktionen gesamt",
            "Leads",
            "Konversionen",
            "Ausgaben gesamt",
        ],
        "01.09.2023",
        "1.234",
        "10,00",
        "1.234,56",
    ),
}


@pytest.mark.parametrize("language", list(LINKEDIN))
def test_a_campaign_manager_company_export_in_each_language(database_url, ws, tmp_path, language):
    report, header, day, thousands, decimal, spend = LINKEDIN[language]
    ws.push(
        account(
            1,
            domain="contoso.com",
            name="Contoso Ltd",
            linkedinUrl="https://www.linkedin.com/company/1035/",
        ),
        account(2, domain="fabrikam.de", name="Fabrikam"),
    )
    path = utf16le(
        tmp_path / f"linkedin-{language}.csv",
        [
            *([line] for line in report),
            [],
            header,
            # A numeric company page id, the page only.
            [
                "Contoso",
                "https://www.linkedin.com/company/1035/",
                "",
                day,
                "ABM Q3",
                thousands,
                decimal,
                "0",
                "0",
                "0",
                spend,
            ],
            # A name the team already has.
            ["FABRIKAM", "", "", day, "ABM Q3", "500", "0", "0", "1", "0", "0"],
            # A website nobody has yet: a discovered account.
            [
                "Northwind",
                "https://www.linkedin.com/company/northwind-traders/",
                "https://northwind.example/",
                day,
                "ABM Q3",
                "20",
                "0",
                "3",
                "0",
                "0",
                "0",
            ],
        ],
    )
    result = import_file(database_url, ws.team_id, "linkedin", path)
    assert last_line(result) == "6"
    assert result.stderr.strip() == f"{path}: {summary(3, 6, 0, 0)}"
    assert stored(ws) == [
        ("contoso.com", SEP_1_2023, "impression", 1234.0, "ABM Q3"),
        ("contoso.com", SEP_1_2023, "click", 10.0, "ABM Q3"),
        ("fabrikam.de", SEP_1_2023, "impression", 500.0, "ABM Q3"),
        ("fabrikam.de", SEP_1_2023, "lead_form", 1.0, "ABM Q3"),
        ("northwind.example", SEP_1_2023, "impression", 20.0, "ABM Q3"),
        ("northwind.example", SEP_1_2023, "engagement", 3.0, "ABM Q3"),
    ]
    assert accounts(ws)["northwind.example"] == ("Northwind", None)


def test_a_report_without_a_date_column_uses_its_report_start(database_url, ws, tmp_path):
    path = utf16le(
        tmp_path / "linkedin-pt-company.csv",
        [
            ["Relatório de dados demográficos da empresa (em UTC)"],
            ["Início do relatório: 01/09/2023"],
            ["Fim do relatório: 30/09/2023"],
            ["Empresa", "Site", "Impressões", "Cliques"],
            ["Globex", "globex.example", "2.500", "7"],
        ],
    )
    result = import_file(database_url, ws.team_id, "linkedin", path)
    assert last_line(result) == "2"
    assert stored(ws) == [
        ("globex.example", SEP_1_2023, "impression", 2500.0, None),
        ("globex.example", SEP_1_2023, "click", 7.0, None),
    ]


def test_big_endian_utf16_is_read_too(database_url, ws, tmp_path):
    path = tmp_path / "g2-utf16be.csv"
    text = (
        "company_domain,day,signal_type,total_activity\r\n"
        "acme.example,2023-09-01,Pricing Page,3\r\n"
    )
    path.write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    result = import_file(database_url, ws.team_id, "g2", path)
    assert last_line(result) == "1"
    assert stored(ws) == [("acme.example", SEP_1_2023, "pricing", 3.0, None)]


@pytest.mark.parametrize(
    ("name", "lines", "message"),
    [
        (
            "campaign",
            [
                ["Relatório de desempenho da campanha (em UTC)"],
                ["Início do relatório: 01/09/2023"],
                ["Data de início (em UTC)", "Nome da campanha", "Impressões", "Cliques"],
                ["01/09/2023", "ABM Q3", "1.234", "10"],
            ],
            "this is a LinkedIn campaign or ad performance report: its rows name no company, "
            "so they cannot be matched to accounts; export the company report instead "
            "(Campaign Manager, Demographics, Company)",
        ),
        (
            "creative",
            [
                ["Creative Performance Report (in UTC)"],
                ["Start Date (in UTC)", "Creative Name", "Impressions", "Clicks"],
                ["9/1/2023", "Banner A", "1,234", "10"],
            ],
            "this is a LinkedIn campaign or ad performance report: its rows name no company, "
            "so they cannot be matched to accounts; export the company report instead "
            "(Campaign Manager, Demographics, Company)",
        ),
    ],
)
def test_reports_without_companies_are_refused_with_what_to_export(
    database_url, ws, tmp_path, name, lines, message
):
    path = utf16le(tmp_path / f"linkedin-{name}.csv", lines)
    result = import_file(database_url, ws.team_id, "linkedin", path, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert stored(ws) == []


def test_a_spreadsheet_round_trip_of_bombora(database_url, ws, tmp_path):
    """Excel in a decimal-comma locale: UTF-8 BOM, semicolons, 72,5, CRLF, a totals row."""
    path = tmp_path / "bombora-excel.csv"
    path.write_bytes(
        codecs.BOM_UTF8
        + (
            "Bombora Company Surge® export;;;;\r\n"
            "Domain;Topic Name;Composite Score;Week Start;Company Name\r\n"
            "contoso.example;Intent Data;72,5;04.09.2023;Contoso\r\n"
            "fabrikam.example;Intent Data;81;2023-09-04;\r\n"
            "globex.example;Intent Data;64,5;13/09/2023;\r\n"
            "initech.example;Intent Data;60;09/04/2023;\r\n"
            "Total;;;;\r\n"
        ).encode()
    )
    result = import_file(database_url, ws.team_id, "bombora", path)
    assert last_line(result) == "3"
    assert result.stderr.splitlines() == [
        "line 6: Week '09/04/2023' is not a date (YYYY-MM-DD, YYYY/MM/DD, DD.MM.YYYY, or "
        "DD/MM/YYYY and MM/DD/YYYY where the day is above 12, as the file does not say "
        "which comes first) or an ISO week number",
        f"{path}: {summary(4, 3, 0, 1)}",
    ]
    monday = SEP_1_2023 + 3  # 4 Sep 2023
    assert [(d, day) for d, day, *_ in stored(ws)] == [
        ("contoso.example", monday),
        ("fabrikam.example", monday),
        ("globex.example", monday + 7),
    ]
    with ws.db.transaction(write=False) as session:
        scores = session.scalars(
            select(SignalEvent.attributes).where(SignalEvent.team_id == ws.team_id)
        ).all()
    assert [a["compositeScore"] for a in scores] == [72.5, 81, 64.5]


def test_comma_files_read_quoted_thousands(database_url, ws, tmp_path):
    path = tmp_path / "g2-thousands.csv"
    path.write_bytes(
        b"company_domain,day,signal_type,total_activity\n"
        b'acme.example,2023-09-01,Pricing Page,"1,234"\n'
        b"acme.example,2023-09-01,Profile,72,5\n"
    )
    result = import_file(database_url, ws.team_id, "g2", path)
    assert last_line(result) == "1"
    assert result.stderr.splitlines()[0] == (
        "line 3: 5 cells, more than the header's 4; a value holding a comma must be in "
        "double quotes"
    )
    assert stored(ws) == [("acme.example", SEP_1_2023, "pricing", 1234.0, None)]


def test_broken_rows_are_reported_by_line_and_the_rest_is_imported(database_url, ws, tmp_path):
    path = tmp_path / "g2-broken.csv"
    path.write_bytes(
        b"G2 Buyer Intent, exported 2023-09-02\n"
        b"\n"
        b"company_name,company_domain,day,signal_type,total_activity,location\n"
        b'Acme,acme.example,2023-09-01,Pricing Page,1,"Seattle, US"\n'
        b'"Globex,globex.example,2023-09-01,Pricing Page,2,Springfield\n'
        b'Initech,initech.example,2023-09-01,Profile,3,"Austin, US"\n'
        b"Hooli,hooli.example,2023-09-01,Profile,4,Palo Alto,CA\n"
        b"Umbrella,umbrella.example,2023-09-01,Category,5\n"
        b"Wayne,wayne.example,2023-09-01\n"
        b"\n"
        b"Rows: 6\n"
    )
    result = import_file(database_url, ws.team_id, "g2", path)
    assert last_line(result) == "3"
    assert result.stderr.splitlines() == [
        "line 5: a quoted value opens on this line and is never closed; "
        "the lines after it are read as rows",
        "line 7: 7 cells, more than the header's 6; a value holding a comma must be in "
        "double quotes",
        "line 9: 3 cells, fewer than the header's 6; a required value is missing",
        f"{path}: {summary(6, 3, 0, 3)}",
    ]
    assert [(d, t) for d, _, t, _, _ in stored(ws)] == [
        ("acme.example", "pricing"),
        ("initech.example", "profile"),
        ("umbrella.example", "category"),
    ]


def test_the_portuguese_example_export(database_url, ws, tmp_path):
    path = EXAMPLES / "linkedin-company-pt-br.csv"
    assert path.read_bytes().startswith(codecs.BOM_UTF16_LE)
    result = import_file(database_url, ws.team_id, "linkedin", path)
    assert last_line(result) == "15"
    assert result.stderr.strip() == f"{path}: {summary(6, 15, 0, 0)}"
    nov_2 = (date(2026, 11, 2) - date(1970, 1, 1)).days
    signals = stored(ws)
    assert signals[:3] == [
        ("contoso.example", nov_2, "impression", 1250.0, "ABM T4 - Retargeting"),
        ("contoso.example", nov_2, "click", 14.0, "ABM T4 - Retargeting"),
        ("contoso.example", nov_2, "engagement", 22.0, "ABM T4 - Retargeting"),
    ]
    assert ("fabrikam.example", nov_2, "impression", 2410.0, "Guia de dados de intenção") in signals
    assert (
        "northwind-traders.example",
        nov_2 + 8,
        "engagement",
        4.0,
        "Guia de dados de intenção",
    ) in signals
    assert "initech.example" not in accounts(ws)
