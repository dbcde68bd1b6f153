"""Celery tasks of sales: hold expiry every minute (Celery beat; `manage.py expire_holds` does the same from cron)."""

from celery import shared_task

from backoffice.system import system_user
from sales.services import expire_holds as expire_lapsed_holds


@shared_task(name="sales.expire_holds", ignore_result=True)
def expire_holds():
    return expire_lapsed_holds(user=system_user())
