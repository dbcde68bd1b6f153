"""Loaded by pytest before Django: the settings refuse to start without a secret key."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
# The test client and the browser journeys' server speak plain HTTP on loopback; a deployment is
# served over HTTPS (the default when DEBUG is off: tests/backoffice/test_deploy.py checks it).
os.environ.setdefault("HTTPS", "0")
