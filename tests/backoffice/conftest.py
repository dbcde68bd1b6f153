def pytest_terminal_summary(terminalreporter):
    from tests.backoffice import crawler

    if crawler.SUMMARY:
        terminalreporter.section("admin crawl")
        for line in crawler.SUMMARY:
            terminalreporter.write_line(line)
