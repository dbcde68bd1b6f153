"""gunicorn's settings for a deployment behind nginx (docs/deploy.md). Read by deploy/systemd/backoffice.service:
    gunicorn -c deploy/gunicorn.conf.py backoffice.wsgi
"""

import multiprocessing
import os

# nginx on the same machine talks to gunicorn over loopback; nothing else can reach it.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# WEB_CONCURRENCY (gunicorn's own variable) in the environment file overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
# A report's PDF or Excel file is capped to finish well inside this (REPORT_*_MAX_ROWS, README).
timeout = 30
graceful_timeout = 30
# A worker is replaced after this many requests (a slow leak never grows without bound).
max_requests = 2000
max_requests_jitter = 200
# The back office logs every request itself, with its user (LOG_FORMAT); gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
loglevel = "warning"
# Only nginx, on loopback, may say a request came over HTTPS and from which address; Django decides with
# TRUSTED_PROXY_COUNT and SECURE_PROXY_SSL_HEADER.
forwarded_allow_ips = "127.0.0.1,::1"
