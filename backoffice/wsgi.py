import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
# A web worker never waits on one statement longer than this (gunicorn ends a worker after 30 s).
os.environ.setdefault("STATEMENT_TIMEOUT_SECONDS", "25")
application = get_wsgi_application()
