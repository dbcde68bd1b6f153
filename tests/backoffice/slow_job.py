"""A job kind for the worker tests only (`celery worker --include tests.backoffice.slow_job`): counts rows
slowly, so that a test sees its progress move and can kill the worker half-way."""

import tempfile
import time

from backoffice import jobs

SLOW_COUNT = "test_slow_count"


@jobs.kind(SLOW_COUNT)
def slow_count(job, progress):
    rows = job.params["rows"]
    progress.total(rows)
    output = tempfile.TemporaryFile()
    for number in progress.rows(range(1, rows + 1)):
        time.sleep(job.params["delay"])
        output.write(f"{number}\n".encode())
    output.seek(0)
    return jobs.Result(file=output, file_name="count.txt", message=f"Counted to {rows}.")
