"""This checkout's own files under var/ (embedded database, secret key), for the settings and manage.py."""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def var_dir():
    return Path(os.environ.get("BACKOFFICE_VAR_DIR", BASE_DIR / "var"))


def ensure_secret_key(*, with_database_url=False):
    """Make var/secret_key (random, mode 0600) when no SECRET_KEY is exported and none is kept yet.

    Only for the embedded default (no DATABASE_URL), so manage.py works on a fresh clone with nothing
    exported; a deployment on PostgreSQL must set SECRET_KEY (the settings say so). bin/demo asks for
    the key even on DATABASE_URL (with_database_url=True): a demo is not a deployment.
    """
    if os.environ.get("SECRET_KEY") or (os.environ.get("DATABASE_URL") and not with_database_url):
        return
    path = var_dir() / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as key_file:
        key_file.write(secrets.token_urlsafe(50) + "\n")
