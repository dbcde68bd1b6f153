"""PDF exports: A4, the heading on the first page, the column headers and "page N of M" on every page, totals;
money right-aligned, long text cut visibly inside its column, any script printed without a crash."""

import datetime as dt
import itertools
import re
from collections import defaultdict
from html import unescape

import pytest
from django.contrib.auth.models import Group, User
from reportlab.lib.pagesizes import A4, landscape

from backoffice.roles import FINANCE
from refunds import services as refunds
from reporting import files
from reporting.pdf import MARGIN, TextRun, width
from tests.reporting.conftest import at, sell
from tests.reporting.helpers import (
    REPORT_MODELS,
    cents,
    local_midnight,
    pdf_pages,
    pdf_reader,
    read_csv,
    report_url,
    sql,
)

pytestmark = pytest.mark.django_db

FIRST, LAST = dt.date(2020, 10, 21), dt.date(2021, 1, 6)
TICKET_NUMBER = re.compile(r"\b952\d{10}\b")


def test_a_long_listing_repeats_its_headers_and_numbers_its_pages(sales_history, agents, client):
    client.force_login(agents["fay"])
    response = client.get(report_url("sales", "listing_pdf", date_from=FIRST, date_to=LAST))
    assert response["Content-Disposition"] == f'attachment; filename="sales-list-{FIRST}-{LAST}.pdf"'
    reader = pdf_reader(response)
    for page in reader.pages:
        assert sorted(round(float(side)) for side in page.mediabox[2:]) == sorted(round(side) for side in A4)
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    count = len(pages)
    assert count > 1

    first = pages[0]
    assert first.startswith("Axis Blue Sales: documents issued ")
    assert "Tickets issued from Wed 21 Oct 2020 to Wed 6 Jan 2021, both days whole, Europe/Paris time." in first
    assert re.search(r"Run by fay on \d+ \w+ \d{4} \d\d:\d\d CET \(Europe/Paris\)\.", first)
    for number, text in enumerate(pages, start=1):
        assert "Ticket number Issued (local) Agent Record locator Passenger" in text, number
        assert text.endswith(f"page {number} of {count}"), number
        assert "Run by fay on " in text, number
    assert "Sales: documents issued · Tickets issued from Wed 21 Oct 2020" in pages[1]

    ((tickets, fare, taxes, total),) = sql(
        "SELECT COUNT(*), SUM(fare_amount), SUM(tax_amount), SUM(total_amount) FROM sales_ticket "
        "WHERE issued_at >= %s AND issued_at < %s",
        [local_midnight(FIRST), local_midnight(LAST + dt.timedelta(days=1))],
    )
    # Every document once, none lost or repeated where the pages break.
    printed = TICKET_NUMBER.findall(" ".join(pages))
    assert len(printed) == len(set(printed)) == tickets
    assert f"Total {cents(fare):,} {cents(taxes):,} {cents(total):,}" in pages[-1]


def test_every_report_and_listing_has_its_pdf(sales_history, agents, client):
    client.force_login(agents["otto"])
    for report in REPORT_MODELS:
        for part in ("pdf", "listing_pdf"):
            pages = pdf_pages(client.get(report_url(report, part, date_from=FIRST, date_to="2021-02-28")))
            assert "Run by otto on" in pages[0], (report, part)
            assert pages[0].endswith(f"page 1 of {len(pages)}"), (report, part)
            assert "Total" in pages[-1], (report, part)
            assert "Nothing in this range" not in pages[0], (report, part)
            if part == "pdf":
                assert " Period " in pages[0], report


def test_a_range_with_nothing_in_it_says_so(network, agents, client):
    client.force_login(agents["fay"])
    (page,) = pdf_pages(client.get(report_url("refunds", "listing_pdf", date_from="2020-11-01", date_to="2020-11-01")))
    assert "Refunds requested from Sun 1 Nov 2020 to Sun 1 Nov 2020" in page
    assert "Nothing in this range." in page
    assert "Total" not in page and page.endswith("page 1 of 1")


@pytest.fixture
def drawn(monkeypatch):
    """Each value the next PDFs draw in their tables, by baseline: [(x, width, text)], left to right."""
    lines = defaultdict(list)
    show = TextRun.show

    def recording(run, x, y, text, font, size):
        lines[round(y, 2)].append((x, width(text, font, size), text))
        show(run, x, y, text, font, size)

    monkeypatch.setattr(TextRun, "show", recording)
    return lines


def in_order(lines):
    return [sorted(runs) for _y, runs in sorted(lines.items(), reverse=True)]


def test_money_is_right_aligned_and_long_text_is_cut_visibly_inside_its_column(network, agents, client, drawn):
    day = dt.date(2020, 11, 10)
    tickets = []
    for hour, passengers in ((9, 1), (10, 9)):
        tickets += sell(network[1], agent=agents["carl"], now=at(day, hour), passengers=passengers, method="card")
    reason = "The fare rules were read to the passenger at the counter; " * 6 + "THE END"
    for ticket in tickets[:2]:
        refund = refunds.request_refund(ticket=ticket, requested_by=agents["carl"], now=at(day, 12))
        refunds.reject_refund(refund=refund, approver=agents["fay"], reason=reason, now=at(day, 13))
    client.force_login(agents["fay"])
    (text,) = pdf_pages(client.get(report_url("refunds", "listing_pdf", date_from=day, date_to=day)))
    assert drawn
    assert "The fare rules" in text and "…" in text and "THE END" not in text
    page_width = landscape(A4)[0]
    for runs in in_order(drawn):
        for (x, run_width, run), (next_x, _w, following) in itertools.pairwise(runs):
            assert x + run_width < next_x, f"{run!r} runs into {following!r}"
        assert runs[-1][0] + runs[-1][1] < page_width - MARGIN

    # The amounts of the cash-up listing end at one edge, whatever their length.
    drawn.clear()
    pdf_pages(client.get(report_url("cash_up", "listing_pdf", date_from=day, date_to=day)))
    amounts = [runs[-1] for runs in in_order(drawn)]
    assert [text for _x, _w, text in amounts] == ["230.45", "2,074.05", "2,304.50"]  # two payments, then the total
    assert len({round(x + run_width, 2) for x, run_width, _text in amounts}) == 1
    assert amounts[0][0] > amounts[1][0]  # the shorter amount starts further right


def test_accents_right_to_left_text_and_emoji_are_printed(network, agents, client):
    day = dt.date(2020, 11, 10)
    sell(network[0], agent=agents["carl"], now=at(day, 9), method="card", reference="Réf. Œuvre ß 😀 שלום مرحبا 中")
    long_hebrew = "ראשון " + "מילה " * 40 + "אחרון"
    sell(network[0], agent=agents["carl"], now=at(day, 10), method="card", reference=long_hebrew)
    finance = User.objects.create_user("elodie", password="x", is_staff=True, first_name="Élodie", last_name="Brûlé")
    finance.groups.add(Group.objects.get(name=FINANCE))
    client.force_login(finance)
    (page,) = pdf_pages(client.get(report_url("cash_up", "listing_pdf", date_from=day, date_to=day)))
    assert "Run by Élodie Brûlé on" in page
    # A character the font lacks is marked, never an empty box; right-to-left words are drawn right to left,
    # so that they read (and copy) in their own order.
    assert "Réf. Œuvre ß \ufffd שלום مرحبا" in page and page.count("\ufffd") == 2
    # Cut where its column ends, a right-to-left text keeps its beginning.
    assert "ראשון מילה" in page and "אחרון" not in page


def test_a_file_too_large_to_make_while_the_user_waits_is_refused_and_the_csv_offered(
    network, agents, client, settings, monkeypatch
):
    day = dt.date(2020, 11, 10)
    for bucket in (network[0], network[6]):  # CDG-LHR and CDG-FCO: two rows by route
        sell(bucket, agent=agents["carl"], now=at(day, 9), passengers=3)
    settings.REPORT_PDF_MAX_ROWS, settings.REPORT_XLSX_MAX_ROWS = 5, 1

    def no_file(**_kwargs):
        raise AssertionError("a file was made")

    monkeypatch.setattr(files, "report_pdf", no_file)
    monkeypatch.setattr(files, "xlsx_file", no_file)
    client.force_login(agents["fay"])
    cases = [
        ("listing_pdf", "This report has 6 rows: a PDF is made while you wait for at most 5.", 6),
        ("xlsx", "This report has 2 rows: an Excel file is made while you wait for at most 1.", 2),
    ]
    for part, message, rows in cases:
        response = client.get(report_url("sales", part, date_from=day, date_to=day))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html"), part
        assert not response.has_header("Content-Disposition"), part
        html = response.content.decode()
        assert message in html, part
        assert "Have it made in the background, narrow the range or the filters, or download the CSV." in html
        (csv_url,) = re.findall(r'<a href="([^"]+)"[^>]*>Download the CSV</a>', html)
        csv_url = unescape(csv_url)
        assert csv_url.startswith(report_url("sales", part.replace("pdf", "csv").replace("xlsx", "csv")) + "?")
        assert len(read_csv(client.get(csv_url))) == rows, part

    # At the limit the file is made.
    monkeypatch.undo()
    settings.REPORT_PDF_MAX_ROWS = 6
    pages = pdf_pages(client.get(report_url("sales", "listing_pdf", date_from=day, date_to=day)))
    assert len(TICKET_NUMBER.findall(" ".join(pages))) == 6
