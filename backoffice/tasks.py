"""Celery tasks of the back office itself: running a job, and clearing job files past their keeping date."""

from celery import shared_task

from backoffice import jobs


@shared_task(name="backoffice.run_job", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(job_id):
    jobs.run(job_id)


@shared_task(name="backoffice.expire_job_files", ignore_result=True)
def expire_job_files():
    return jobs.expire_files()
