# The Celery application loads with Django, so that tasks are bound to it (backoffice/celery.py).
from backoffice.celery import app as celery_app

__all__ = ("celery_app",)
