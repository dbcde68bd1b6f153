#!/bin/sh
# A release on one machine, run as the backoffice user in /srv/backoffice/app after the new code is checked
# out (docs/deploy.md, "A release"): install the pinned requirements, check the production settings,
# collect static files, apply migrations, then replace gunicorn's workers without dropping a request.
# With several app machines: run it on one, then `sudo systemctl reload backoffice` (and restart
# backoffice-worker where one runs) on the others.
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
# Workers and beat take the new code too; a running job finishes first (or goes back to the queue).
if systemctl is-enabled --quiet backoffice-worker 2>/dev/null; then sudo systemctl restart backoffice-worker; fi
if systemctl is-enabled --quiet backoffice-beat 2>/dev/null; then sudo systemctl restart backoffice-beat; fi
echo "released $(git rev-parse --short HEAD)"
