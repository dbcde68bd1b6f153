"""Finance runs a report and takes it away as CSV, Excel and PDF; a counter agent sees their own drawer only."""

import io
import re

import openpyxl
from playwright.sync_api import Page, expect

from tests.browser.helpers import button, follow, link, log_in, open_menu, pdf_text


def test_finance_runs_the_sales_report_by_week_and_exports_it(page: Page):
    log_in(page, "finance")
    open_menu(page, "Sales")
    expect(page.get_by_role("heading", name="Sales: tickets issued", exact=True)).to_be_visible()
    page.get_by_label("Group by").select_option(label="ISO week")
    follow(page, button(page, "Run the report"))
    expect(
        page.get_by_text(re.compile(r"^Tickets issued from .*, both days whole, Europe/Paris time\. By ISO week\."))
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Run by Fay Finance on "))).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=re.compile(r"^\s*Total"))).to_have_count(1)

    csv = page.request.get(link(page, "CSV").get_attribute("href"))
    assert csv.ok and csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.body().startswith("\ufeffPeriod,Route,Tickets,Fare,Taxes,Total\r\n".encode())

    excel = page.request.get(link(page, "Excel").get_attribute("href"))
    assert excel.ok
    sheet = openpyxl.load_workbook(io.BytesIO(excel.body())).active
    assert sheet["A1"].value == "Sales: tickets issued"
    assert sheet["A5"].value == "Period"

    pdf = " ".join(pdf_text(page, link(page, "PDF").get_attribute("href")).split())
    assert pdf.startswith("Axis Blue Sales: tickets issued Tickets issued from ")
    assert "both days whole, Europe/Paris time. By ISO week." in pdf
    assert re.search(r"Run by Fay Finance on .* \(Europe/Paris\)\. Period Route Tickets Fare Taxes Total ", pdf)
    assert re.search(r" Total [\d,]+ [\d,]+\.\d\d [\d,]+\.\d\d [\d,]+\.\d\d ", pdf)
    pages = re.search(r" page 1 of (\d+)( |$)", pdf)
    assert pages and pdf.endswith(f" page {pages[1]} of {pages[1]}"), pdf[-200:]

    follow(page, link(page, "Each document"))
    expect(page.get_by_role("heading", name="Sales: documents issued", exact=True)).to_be_visible()
    expect(page.get_by_role("columnheader", name="Ticket number")).to_be_visible()
    documents = " ".join(pdf_text(page, link(page, "PDF").get_attribute("href")).split())
    assert "Sales: documents issued" in documents and "Ticket number Issued (local) Agent" in documents


def test_a_counter_agent_opens_their_own_drawer_only(page: Page):
    log_in(page, "counter")
    for report in ("salesreport", "refundreport", "loadfactorreport"):
        expect(page.locator(f'a[href="/admin/reporting/{report}/"]')).to_have_count(0)
    open_menu(page, "Payments and cash-up")
    agent = page.get_by_label("Agent")
    expect(agent).to_be_disabled()
    expect(agent.locator("option:checked")).to_have_text(re.compile("^counter"))
    expect(page.get_by_text(re.compile(r"^Payments taken and refunds paid out from "))).to_be_visible()
    response = page.request.get(page.url.split("?")[0] + "?agent=finance")
    assert response.status == 403
