"""Many agents at once: threads that each use their own database connection."""

import threading

from django.db import connection

from sales import services
from sales.exceptions import SalesError


def race(jobs):
    """Run the callables together, released at one instant; returns (results, errors)."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait()
            outcome = job()
            with lock:
                results.append(outcome)
        except SalesError as error:
            with lock:
                errors.append(error)
        except Exception as error:  # noqa: BLE001 - a crash is reported by the test, not swallowed
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an agent hung"
    return results, errors


def booking_job(segments, passengers, agent, contact):
    def job():
        return services.book(segments=segments, passengers=passengers, agent=agent, **contact)

    return job
