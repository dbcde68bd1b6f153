"""Settings, read from the environment.

DATABASE_URL selects the database (PostgreSQL in production and tests).
Without it the back office runs on an embedded SQLite file under var/.
"""

import datetime as dt
import os
import re
from zoneinfo import ZoneInfo

import csp.constants as csp
import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from backoffice.checkout import BASE_DIR, var_dir

VAR_DIR = var_dir()


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and (VAR_DIR / "secret_key").is_file():
    # The key manage.py or bin/demo made for this checkout (backoffice/checkout.py).
    SECRET_KEY = (VAR_DIR / "secret_key").read_text().strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Demo users and passwords exist only where this is switched on explicitly.
DEMO = env_bool("BACKOFFICE_DEMO", False)

# --- The airline -----------------------------------------------------------

AIRLINE_CODE = os.environ.get("AIRLINE_CODE", "XB")
AIRLINE_NAME = os.environ.get("AIRLINE_NAME", "Axis Blue")
# IATA accounting (ticketing) code: the first three digits of every ticket number.
TICKET_ACCOUNTING_CODE = os.environ.get("TICKET_ACCOUNTING_CODE", "952")
CURRENCY = os.environ.get("CURRENCY", "EUR")
# "Today", business days and every report use this zone.
BUSINESS_TIME_ZONE = os.environ.get("BUSINESS_TIME_ZONE", "Europe/Paris")
HOLD_DURATION_HOURS = int(os.environ.get("HOLD_DURATION_HOURS", "24"))
# Check-in at the airport counter opens this long before departure and closes, with counter sales,
# this long before (docs/decisions.md); the home page shows each departure's check-in from them.
CHECK_IN_OPENS_HOURS = int(os.environ.get("CHECK_IN_OPENS_HOURS", "3"))
CHECK_IN_CLOSES_MINUTES = int(os.environ.get("CHECK_IN_CLOSES_MINUTES", "45"))
# The most rows a report's PDF or Excel file is made for while the user waits; above, the page offers the CSV
# (streamed, any size). bench/report_pdf.py: 10,000 rows take about 3.5 s of CPU as PDF; bench/report_xlsx.py:
# 200,000 rows of the sales listing took 22-34 s through the Excel export on a loaded machine, so 50,000 (about
# 6-9 s there), well inside gunicorn's 30 s worker timeout (docs/decisions.md).
REPORT_PDF_MAX_ROWS = int(os.environ.get("REPORT_PDF_MAX_ROWS", "10000"))
REPORT_XLSX_MAX_ROWS = int(os.environ.get("REPORT_XLSX_MAX_ROWS", "50000"))

if len(AIRLINE_CODE) != 2 or not AIRLINE_CODE.isalnum() or AIRLINE_CODE != AIRLINE_CODE.upper():
    raise ImproperlyConfigured("AIRLINE_CODE must be a two-character IATA airline code, e.g. XB.")
if len(TICKET_ACCOUNTING_CODE) != 3 or not TICKET_ACCOUNTING_CODE.isdigit():
    raise ImproperlyConfigured("TICKET_ACCOUNTING_CODE must be three digits, e.g. 952.")
if len(CURRENCY) != 3 or not CURRENCY.isalpha():
    raise ImproperlyConfigured("CURRENCY must be an ISO 4217 code, e.g. EUR.")
try:
    ZoneInfo(BUSINESS_TIME_ZONE)
except Exception as exc:
    raise ImproperlyConfigured(f"BUSINESS_TIME_ZONE {BUSINESS_TIME_ZONE!r} is not an IANA time zone.") from exc
if HOLD_DURATION_HOURS < 1:
    raise ImproperlyConfigured("HOLD_DURATION_HOURS must be at least 1.")
if not 1 <= CHECK_IN_OPENS_HOURS <= 48:
    raise ImproperlyConfigured("CHECK_IN_OPENS_HOURS must be between 1 and 48.")
# A hold ends 2 hours before departure; sales cannot close after it.
if not 0 <= CHECK_IN_CLOSES_MINUTES <= 120:
    raise ImproperlyConfigured("CHECK_IN_CLOSES_MINUTES must be between 0 and 120.")

# --- Django ----------------------------------------------------------------

INSTALLED_APPS = [
    # unfold's basic config: the admin site is backoffice's subclass of unfold's (BackofficeAdminConfig).
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "backoffice.apps.BackofficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "import_export",
    "rangefilter",
    "axes",
    "csp",
    "backoffice",
    "fleet",
    "sales",
    "refunds",
    "reporting",
    # The customer site, above every other app (docs/architecture.md).
    "customers",
]

MIDDLEWARE = [
    # GET /health/ for load balancers, answered before anything else (no session, no HTTPS redirect).
    "backoffice.health.health_check",
    # One log line per request: method, path, status, duration, user (backoffice/observability.py).
    "backoffice.observability.request_log",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "backoffice.middleware.strip_nul_from_query",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A session left alone for SESSION_IDLE_HOURS ends.
    "backoffice.middleware.end_idle_sessions",
    # A password set by someone else: its owner chooses their own before anything else.
    "backoffice.middleware.password_change_first",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records request.user as the acting user on every history row.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Login throttling: answers a locked-out login with the login page and when to retry.
    "axes.middleware.AxesMiddleware",
    # A lock wait, a statement past its time or a dropped connection: a 503 that says so, not a 500.
    "backoffice.db_faults.DatabaseTroubleMiddleware",
]

# --- Uploads waiting for confirmation (schedule imports) ------------------------------
# django-import-export keeps an upload between preview and confirmation; ours is named by a
# signed token bound to the uploader (backoffice/uploads.py), in a directory of our own.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "backoffice.uploads.SignedUserUploadStorage"
# Kept through STORAGES["uploads"] (below): UPLOAD_DIR by default. Several app servers share one storage (the
# preview and its confirmation may reach different servers): UPLOAD_DIR on a shared file system, or another storage
# class (UPLOAD_STORAGE, a dotted path: an object store's, configured in its own settings); docs/scaling.md.
UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or str(VAR_DIR / "uploads")
UPLOAD_STORAGE = os.environ.get("UPLOAD_STORAGE") or "backoffice.uploads.UploadDirStorage"
# Finished jobs' files (backoffice/jobs.py), STORAGES["jobs"].
JOB_FILES_DIR = os.environ.get("JOB_FILES_DIR") or str(VAR_DIR / "job-files")
UPLOAD_MAX_AGE_HOURS = int(os.environ.get("UPLOAD_MAX_AGE_HOURS", "24"))
# The most schedule lines (legs) an upload in the admin may hold: its preview and its import each finish well
# inside a request (bench/schedule_import.py: 10,000 legs, 150,000 flights, 28 s). A larger file is imported
# by a job (fleet/jobs.py), or with `manage.py import_schedule`; neither has such a limit.
SCHEDULE_UPLOAD_MAX_LINES = int(os.environ.get("SCHEDULE_UPLOAD_MAX_LINES", "2000"))

# --- Login throttling (django-axes) -------------------------------------------------
# After LOGIN_FAILURE_LIMIT failed log-ins for one user name, or from one address, that
# user name or address is refused for LOGIN_LOCKOUT_MINUTES after its last failure (an
# Admin can lift it sooner under "Log-in lockouts"). Every attempt is logged.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The log names the user name and address of every attempt (passwords are never logged).
AXES_SENSITIVE_PARAMETERS = []
AXES_VERBOSE = False  # no start-up banner; attempts are still logged with name and address
AXES_ENABLE_ADMIN = False  # our own pages, in backoffice/admin.py
AXES_LOCKOUT_CALLABLE = "backoffice.login_throttle.locked_out"
AXES_CLIENT_IP_CALLABLE = "backoffice.login_throttle.client_address"
AXES_USERNAME_CALLABLE = "backoffice.login_throttle.username_of"
# Behind a reverse proxy (nginx), how many proxies append to X-Forwarded-For; 0 trusts only
# the connection's address (a client can write any X-Forwarded-For it likes).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backoffice" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
STATEMENT_TIMEOUT_SECONDS = int(os.environ.get("STATEMENT_TIMEOUT_SECONDS", "0"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A lock wait ends with an error, never a hang; services turn it into "try again".
        # No JIT: it compiles the large report and export queries for seconds (12 s of a 1-million-row
        # CSV, bench/reports.py) and never pays back on the short ones.
        # A statement past STATEMENT_TIMEOUT_SECONDS is cancelled: a message, never a worker stuck on it. Web
        # workers get 25 s (backoffice/wsgi.py: under gunicorn's 30 s); commands none by default (bulk work).
        options = "-c lock_timeout=5000 -c jit=off"
        if STATEMENT_TIMEOUT_SECONDS:
            options += f" -c statement_timeout={STATEMENT_TIMEOUT_SECONDS * 1000}"
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = options
    # Reports, their files and the dashboards read from a streaming replica (backoffice/replica.py).
    REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL", "")
    if REPLICA_DATABASE_URL:
        DATABASES["replica"] = dj_database_url.parse(REPLICA_DATABASE_URL, conn_max_age=60, conn_health_checks=True)
        DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
        # Tests: the replica is the test database itself (Django's test mirror).
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "backoffice.sqlite3",
            "OPTIONS": {
                # BEGIN IMMEDIATE takes the write lock at the start of a transaction, so
                # two writers queue instead of failing half-way with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
    # Two report indexes carry a non-key column for PostgreSQL's index-only scans (INCLUDE); SQLite
    # builds them without it, which is all the embedded default needs: no warning on every migrate.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATABASE_ROUTERS = ["backoffice.replica.ReplicaRouter"]
if os.environ.get("REPLICA_DATABASE_URL") and not DATABASE_URL:
    raise ImproperlyConfigured("REPLICA_DATABASE_URL needs DATABASE_URL: a replica of the PostgreSQL primary.")
# With a replica configured, reports read from it (off only for tests that need their own transaction's rows).
REPLICA_READS = env_bool("REPLICA_READS", True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
USE_I18N = True
# A 24-hour clock everywhere (Django's en_GB prints "4:20 p.m."): backoffice/formats/en_GB/formats.py.
FORMAT_MODULE_PATH = ["backoffice.formats"]
USE_TZ = True
# Stored times are UTC; what the admin shows by default (and "today") is the business zone.
TIME_ZONE = BUSINESS_TIME_ZONE

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Finished jobs' files, downloaded through the job page only (never served as static files).
    "jobs": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": JOB_FILES_DIR}},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    # Schedule uploads waiting for their confirmation (backoffice/uploads.py).
    "uploads": {"BACKEND": UPLOAD_STORAGE},
}
# Nothing is cached in a process between requests (docs/scaling.md): the one user of Django's cache is unfold's
# sidebar search, which kept each user's results for 5 minutes in the process that answered, so a role taken away
# still showed its pages there, and each server had its own. The search is a filter over the user's own menu.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

# --- Background jobs (Celery) ------------------------------------------------
# With a broker (Redis in production: redis://host:6379/0) jobs go to `celery -A backoffice worker`
# and hold expiry runs every minute under `celery -A backoffice beat`. Without one (the embedded
# demo) a job runs in the process that starts it, before the page answers.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
# A task is taken off the queue only once it has run: a worker killed half-way gives it back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Jobs one worker runs at once; by default the machine's CPUs.
CELERY_WORKER_CONCURRENCY = int(os.environ["CELERY_CONCURRENCY"]) if os.environ.get("CELERY_CONCURRENCY") else None
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "backoffice")
# Redis gives an unacknowledged task back after this long when its worker vanished without a word.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "expire-holds": {"task": "sales.expire_holds", "schedule": 60.0},
    "expire-job-files": {"task": "backoffice.expire_job_files", "schedule": 3600.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Job files (exports) are kept this many days, then deleted; the job then says its file expired.
JOB_FILES_KEEP_DAYS = int(os.environ.get("JOB_FILES_KEEP_DAYS", "7"))
# A flight with more live tickets than this is cancelled by a job (refunds/jobs.py), not while the Admin waits.
FLIGHT_CANCEL_BACKGROUND_TICKETS = int(os.environ.get("FLIGHT_CANCEL_BACKGROUND_TICKETS", "300"))
# How often a running job writes how far it is.
JOB_PROGRESS_SECONDS = float(os.environ.get("JOB_PROGRESS_SECONDS", "0.5"))

# History is an audit trail: restoring an old version would bypass the services' rules
# (the version page also refuses POST: backoffice/admin_base.py).
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# --- HTTPS, sessions, the admin's address ------------------------------------------
# A deployment is served over HTTPS: with DEBUG off, HTTP is redirected to HTTPS,
# browsers are told to use nothing else (HSTS), and the session and CSRF cookies travel only over
# HTTPS. bin/demo and the tests serve plain HTTP on loopback and say so with HTTPS=0.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
# Behind nginx, which ends TLS, the request's scheme is the one the proxy says it received.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): pages load scripts, styles, fonts and images from this site only;
# an inline script runs only with the page's nonce (`nonce="{{ request.csp_nonce }}"`). Unfold needs
# 'unsafe-eval' (Alpine.js evaluates its x-data expressions) and inline styles (its theme colours and
# style attributes); its icons and fonts are served from our static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE, "'unsafe-eval'"],
        "style-src": [csp.SELF, "'unsafe-inline'"],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}
# A session ends after this long without a request (a counter terminal is shared and left logged in);
# backoffice/middleware.py end_idle_sessions.
SESSION_IDLE_HOURS = float(os.environ.get("SESSION_IDLE_HOURS", "8"))
SESSION_COOKIE_AGE = int(SESSION_IDLE_HOURS * 3600)
# Where the admin answers: a path of its own makes it a little harder to find (`backstage/`).
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"
if SESSION_COOKIE_AGE < 60:
    raise ImproperlyConfigured("SESSION_IDLE_HOURS must be at least a minute (0.02).")
if not re.fullmatch(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*/", ADMIN_URL):
    raise ImproperlyConfigured("ADMIN_URL must be a path of letters, digits, - and _, e.g. backstage/.")

# --- Logs and error reports (backoffice/observability.py, docs/deploy.md) ----------------
# Everything logs to stderr (journald keeps it under systemd): one line per request with its method, path
# (no query string), status, duration and user, as text or, with LOG_FORMAT=json, as JSON lines.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "backoffice.observability.JSONFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # WeasyPrint and fontTools narrate every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Our request line says the same as the server's own for every 4xx and 5xx; errors keep their traceback.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}
# With SENTRY_DSN set, unhandled errors go to Sentry (sentry-sdk's Django integration) without personal data;
# unset, sentry-sdk is not even imported.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = os.environ.get("SENTRY_ENVIRONMENT", "production")
if SENTRY_DSN:
    from backoffice.observability import init_sentry

    init_sentry(SENTRY_DSN, SENTRY_ENVIRONMENT)

# --- E-mail (the customer site's confirmation and password links) ------------------------
# With EMAIL_HOST set, mail goes out by SMTP; without it (the demo, development) each message is
# written to a file under EMAIL_FILE_PATH. EMAIL_BACKEND overrides either.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or str(VAR_DIR / "sent-mail")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{AIRLINE_NAME} <no-reply@localhost>")

# --- Admin (django-unfold) -------------------------------------------------


def _can(*perms):
    def check(request):
        return any(request.user.has_perm(perm) for perm in perms)

    return check


UNFOLD = {
    "SITE_TITLE": f"{AIRLINE_NAME} back office",
    "SITE_HEADER": AIRLINE_NAME,
    "SITE_SUBHEADER": f"{AIRLINE_CODE} · back office",
    "SITE_SYMBOL": "flight_takeoff",
    "SITE_URL": f"/{ADMIN_URL}",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "ENVIRONMENT": "backoffice.admin_site.environment_badge",
    # The home page: each role's dashboard (reporting/admin_dashboard.py).
    "DASHBOARD_CALLBACK": "reporting.admin_dashboard.dashboard",
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": lambda request: static("backoffice/favicon.svg")},
    ],
    "STYLES": [lambda request: static("backoffice/backoffice.css")],
    "SCRIPTS": [lambda request: static("backoffice/backoffice.js")],
    "COLORS": {
        "primary": {
            "50": "oklch(97% .014 254.604)",
            "100": "oklch(93.2% .032 255.585)",
            "200": "oklch(88.2% .059 254.128)",
            "300": "oklch(80.9% .105 251.813)",
            "400": "oklch(70.7% .165 254.624)",
            "500": "oklch(62.3% .214 259.815)",
            "600": "oklch(54.6% .245 262.881)",
            "700": "oklch(48.8% .243 264.376)",
            "800": "oklch(42.4% .199 265.638)",
            "900": "oklch(37.9% .146 265.522)",
            "950": "oklch(28.2% .091 267.935)",
        },
    },
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        # Grouped by what each role does; an item shows only to users who may use it.
        "navigation": [
            {
                "title": _("Counter"),
                "items": [
                    {
                        "title": _("Find flights and book"),
                        "icon": "search",
                        "link": reverse_lazy("admin:sales_booking_search"),
                        "permission": _can("sales.add_booking"),
                    },
                    {
                        "title": _("Bookings"),
                        "icon": "confirmation_number",
                        "link": reverse_lazy("admin:sales_booking_changelist"),
                        "permission": _can("sales.view_booking"),
                    },
                    {
                        "title": _("Tickets"),
                        "icon": "airplane_ticket",
                        "link": reverse_lazy("admin:sales_ticket_changelist"),
                        "permission": _can("sales.view_ticket"),
                    },
                    {
                        "title": _("Payments"),
                        "icon": "payments",
                        "link": reverse_lazy("admin:sales_payment_changelist"),
                        "permission": _can("sales.view_payment"),
                    },
                ],
            },
            {
                "title": _("Finance"),
                "items": [
                    {
                        "title": _("Refunds to approve"),
                        "icon": "pending_actions",
                        "link": lambda request: reverse("admin:refunds_refund_changelist") + "?status__exact=requested",
                        "permission": _can("refunds.decide_refund"),
                    },
                    {
                        "title": _("Refunds"),
                        "icon": "currency_exchange",
                        "link": reverse_lazy("admin:refunds_refund_changelist"),
                        "permission": _can("refunds.view_refund"),
                    },
                ],
            },
            {
                "title": _("Reports"),
                "items": [
                    {
                        "title": _("Sales"),
                        "icon": "query_stats",
                        "link": reverse_lazy("admin:reporting_salesreport_changelist"),
                        "permission": _can("reporting.view_salesreport"),
                    },
                    {
                        "title": _("Refunds report"),
                        "icon": "receipt_long",
                        "link": reverse_lazy("admin:reporting_refundreport_changelist"),
                        "permission": _can("reporting.view_refundreport"),
                    },
                    {
                        "title": _("Payments and cash-up"),
                        "icon": "point_of_sale",
                        "link": reverse_lazy("admin:reporting_cashupreport_changelist"),
                        "permission": _can("reporting.view_cashupreport"),
                    },
                    {
                        "title": _("Load factor"),
                        "icon": "airline_seat_recline_normal",
                        "link": reverse_lazy("admin:reporting_loadfactorreport_changelist"),
                        "permission": _can("reporting.view_loadfactorreport"),
                    },
                ],
            },
            {
                "title": _("Background work"),
                "items": [
                    {
                        "title": _("My jobs"),
                        "icon": "hourglass_top",
                        "link": reverse_lazy("admin:backoffice_job_changelist"),
                        "permission": lambda request: request.user.is_active and request.user.is_staff,
                    },
                ],
            },
            {
                "title": _("Operations"),
                "items": [
                    {
                        "title": _("Flights"),
                        "icon": "flight",
                        "link": reverse_lazy("admin:fleet_flight_changelist"),
                        "permission": _can("fleet.view_flight"),
                    },
                ],
            },
            {
                "title": _("Network and fleet"),
                "items": [
                    {
                        "title": _("Schedule and import"),
                        "icon": "calendar_month",
                        "link": reverse_lazy("admin:fleet_scheduleline_changelist"),
                        "permission": _can("fleet.view_scheduleline"),
                    },
                    {
                        "title": _("Airports"),
                        "icon": "local_airport",
                        "link": reverse_lazy("admin:fleet_airport_changelist"),
                        "permission": _can("fleet.view_airport"),
                    },
                    {
                        "title": _("Cities"),
                        "icon": "location_city",
                        "link": reverse_lazy("admin:fleet_city_changelist"),
                        "permission": _can("fleet.view_city"),
                    },
                    {
                        "title": _("Aircraft types"),
                        "icon": "airlines",
                        "link": reverse_lazy("admin:fleet_aircrafttype_changelist"),
                        "permission": _can("fleet.view_aircrafttype"),
                    },
                ],
            },
            {
                "title": _("Fares and taxes"),
                "items": [
                    {
                        "title": _("Fare classes"),
                        "icon": "sell",
                        "link": reverse_lazy("admin:sales_fareclass_changelist"),
                        "permission": _can("sales.change_fareclass"),
                    },
                    {
                        "title": _("Route fare table"),
                        "icon": "route",
                        "link": reverse_lazy("admin:sales_routefare_changelist"),
                        "permission": _can("sales.view_routefare"),
                    },
                    {
                        "title": _("Refund rules"),
                        "icon": "rule",
                        "link": reverse_lazy("admin:refunds_refundrule_changelist"),
                        "permission": _can("refunds.view_refundrule"),
                    },
                    {
                        "title": _("Taxes"),
                        "icon": "account_balance",
                        "link": reverse_lazy("admin:sales_tax_changelist"),
                        "permission": _can("sales.view_tax"),
                    },
                ],
            },
            {
                "title": _("Users and roles"),
                "items": [
                    {
                        "title": _("Users"),
                        "icon": "person",
                        "link": reverse_lazy("admin:auth_user_changelist"),
                        "permission": _can("auth.view_user"),
                    },
                    {
                        "title": _("Roles"),
                        "icon": "group",
                        "link": reverse_lazy("admin:auth_group_changelist"),
                        "permission": _can("auth.view_group"),
                    },
                    {
                        "title": _("Log-in lockouts"),
                        "icon": "lock_person",
                        "link": reverse_lazy("admin:axes_accessattempt_changelist"),
                        "permission": _can("axes.view_accessattempt"),
                    },
                    {
                        "title": _("Log-in log"),
                        "icon": "manage_search",
                        "link": reverse_lazy("admin:axes_accesslog_changelist"),
                        "permission": _can("axes.view_accesslog"),
                    },
                    {
                        "title": _("Failed log-ins"),
                        "icon": "no_accounts",
                        "link": reverse_lazy("admin:axes_accessfailurelog_changelist"),
                        "permission": _can("axes.view_accessfailurelog"),
                    },
                ],
            },
        ],
    },
}
