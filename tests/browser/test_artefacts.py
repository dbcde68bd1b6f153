"""A journey that fails leaves what CI keeps: a screenshot and the HTML of each open page, and the server's log."""

from types import SimpleNamespace

from playwright.sync_api import Page, expect

from tests.browser import conftest


def failed_call():
    """The report pytest makes of a test body that failed, as far as the hook reads it."""
    return SimpleNamespace(when="call", passed=False, failed=True, outcome="failed", longrepr="", sections=[])


def run_report_hook(item, report):
    """Drive the browser set's report hook (a wrapper) around `report`, as pytest does after a test's body."""
    hook = conftest.pytest_runtest_makereport(item, SimpleNamespace(when="call"))
    next(hook)
    try:
        hook.send(report)
    except StopIteration as done:
        return done.value
    raise AssertionError("the report hook did not finish")


def test_a_failed_journey_leaves_a_screenshot_and_the_html_of_its_pages(page: Page, request, tmp_path, monkeypatch):
    # Kept apart from the run's own artefacts: a passing run leaves none for CI to show.
    monkeypatch.setattr(conftest, "ARTIFACTS", tmp_path)
    page.goto("/admin/login/")
    expect(page.get_by_label("Username")).to_be_visible()

    report = run_report_hook(request.node, failed_call())

    (screenshot,) = tmp_path.glob("*test-a-failed-journey*.png")
    (html,) = tmp_path.glob("*test-a-failed-journey*.html")
    log = tmp_path / "server.log"
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    saved = html.read_text(encoding="utf-8")
    assert saved.startswith(f"<!-- {page.url} -->") and 'name="username"' in saved
    assert log.is_file()
    # The report names them, so the failure's output says where to look.
    assert report.sections == [("browser artefacts", "\n".join(str(path) for path in (screenshot, html, log)))]


def test_a_passing_journey_leaves_nothing(page: Page, request, tmp_path, monkeypatch):
    monkeypatch.setattr(conftest, "ARTIFACTS", tmp_path)
    page.goto("/admin/login/")
    passed = SimpleNamespace(when="call", passed=True, failed=False, outcome="passed", longrepr="", sections=[])
    report = run_report_hook(request.node, passed)
    assert report.sections == [] and not any(tmp_path.iterdir())
