def pytest_terminal_summary(terminalreporter):
    from tests.backoffice import crawler, hostile

    if crawler.SUMMARY:
        terminalreporter.section("admin crawl")
        for line in crawler.SUMMARY:
            terminalreporter.write_line(line)
    if hostile.SUMMARY:
        terminalreporter.section("hostile input on our own pages")
        for line in hostile.SUMMARY:
            terminalreporter.write_line(line)
        requests = sum(int(line.split(": ")[1].split()[0]) for line in hostile.SUMMARY)
        inputs = sum(int(line.split(", ")[-1].split()[0]) for line in hostile.SUMMARY)
        terminalreporter.write_line(f"in all: {requests} requests, {inputs} hostile inputs")
