"""Loaded by pytest before Django: the settings refuse to start without a secret key."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
# The test client and the browser journeys' server speak plain HTTP on loopback; a deployment is
# served over HTTPS (the default when DEBUG is off: tests/backoffice/test_deploy.py checks it).
os.environ.setdefault("HTTPS", "0")
# Jobs run in the test's own process (Celery eager); the tests with a real worker give it their broker.
os.environ.pop("CELERY_BROKER_URL", None)
