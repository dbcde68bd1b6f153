"""GET /health/ for load balancers: 200 "ok" when the database answers and every migration is applied, else 503.

It is the first middleware, so it answers before anything else runs: no session is read or written, no
login, no CSRF cookie, no redirect to HTTPS and no Host check, so a plain-HTTP probe addressed to the
machine's IP address works (the body names no host and nothing secret). Any other path goes on to Django.

django-health-check (4.8) was looked at and not kept: it answers 500, not 503, has no migrations check
any more, and brings dnspython and an async view for what is two queries here (docs/deploy.md).
"""

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponse

PATH = "/health/"

logger = logging.getLogger("backoffice.health")

# Set once every migration was seen applied: the code this process runs cannot gain migrations without a
# restart, so from then on a probe costs one query and never reads the migration files again.
_migrated = False


def pending_migrations():
    """The migrations of the running code that the database has not applied (app, name), in order."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [(migration.app_label, migration.name) for migration, _backwards in plan]


def status():
    """(HTTP status, short reason) of this process's database."""
    global _migrated
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _migrated:
            pending = pending_migrations()
            if pending:
                logger.warning("health: %d migrations not applied, first %s.%s", len(pending), *pending[0])
                return 503, "migrations not applied"
            _migrated = True
    except DatabaseError as error:
        logger.warning("health: database unreachable: %s", str(error).strip().splitlines()[0] if str(error) else "")
        return 503, "database unreachable"
    return 200, "ok"


def health_check(get_response):
    def middleware(request):
        if request.path_info != PATH:
            return get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse("GET or HEAD only\n", status=405, content_type="text/plain")
            response["Allow"] = "GET, HEAD"
            return response
        code, reason = status()
        response = HttpResponse(reason + "\n", status=code, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response

    return middleware
