"""Loaded by pytest before Django: the settings refuse to start without a secret key."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret")
