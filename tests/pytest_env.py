"""Loaded by pytest before Django: the settings refuse to start without a secret key."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
# The test client and the browser journeys' server speak plain HTTP on loopback; a deployment is
# served over HTTPS (the default when DEBUG is off: tests/backoffice/test_deploy.py checks it).
os.environ.setdefault("HTTPS", "0")
# Jobs run in the test's own process (Celery eager); the tests with a real worker give it their broker.
os.environ.pop("CELERY_BROKER_URL", None)
# On PostgreSQL the suite has a replica alias: the test database itself (Django's test mirror). Reports read
# from it only in the tests that turn REPLICA_READS on (tests/reporting/test_replica.py): a mirror is another
# connection, which does not see the rows a test writes inside its own transaction.
if os.environ.get("DATABASE_URL") and not os.environ.get("REPLICA_DATABASE_URL"):
    os.environ["REPLICA_DATABASE_URL"] = os.environ["DATABASE_URL"]
    os.environ["REPLICA_READS"] = "0"
