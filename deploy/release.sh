#!/bin/sh
# A release on one machine, run as the backoffice user in /srv/backoffice/app after the new code is checked
# out (docs/deploy.md, "A release"): install the pinned requirements, check the production settings,
# collect static files, apply migrations, then replace gunicorn's workers without dropping a request.
# With several app machines: run it on one, then `sudo systemctl reload backoffice` on the others.
set -eu

ENV_FILE=${ENV_FILE:-/etc/backoffice/backoffice.env}
cd "$(dirname "$0")/.."

set -a
. "$ENV_FILE"
set +a

.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python manage.py check --deploy --fail-level WARNING
.venv/bin/python manage.py collectstatic --noinput -v 0
# Migrations first, code second: a migration must keep working with the code still running until the reload.
.venv/bin/python manage.py migrate --noinput
sudo systemctl reload backoffice
echo "released $(git rev-parse --short HEAD)"
