"""The back office behind Debian's nginx with deploy/nginx/backoffice.conf, over TLS, on loopback.

    python bench/behind_nginx.py

Makes a self-signed certificate (openssl), a throwaway SQLite var/ with one superuser, starts gunicorn with
the production settings (HTTPS on, TRUSTED_PROXY_COUNT=1, LOG_FORMAT=json) and nginx with the deployment's
site config (ports, host name, certificate and paths rewritten for loopback), then checks as a client would:
the plain-HTTP health probe, the redirect to HTTPS, HSTS, cookies Secure and HttpOnly, a log-in through the
proxy with its CSRF token (and refused without it or from another origin), static files served by nginx,
the client's address as nginx saw it, an unknown name refused at the handshake, and the request log naming
the user. Prints each check and a few timings with the load average; exits 1 if a check fails.

Needs nginx (`apt-get install nginx`) and openssl; run as root (nginx's workers run as the caller, to read
the checkout's staticfiles/). `manage.py collectstatic` writes the checkout's staticfiles/ as bin/demo does.
"""

import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "backoffice.conf"
NAME = "backoffice.test"
PASSWORD = "bench-" + secrets.token_urlsafe(12)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificate(directory):
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={NAME}"]
        + ["-addext", f"subjectAltName=DNS:{NAME}", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def render_site(directory, *, http_port, https_port, app_port, cert, key):
    """deploy/nginx/backoffice.conf for loopback: its ports, name, certificate, paths; nothing else changed,
    except that the Host passed on keeps the port (a real deployment is on 443, where $host is the same)."""
    site = SITE.read_text()
    replacements = [
        (r"listen \[::\]:\d+[^;]*;\n", ""),
        (r"listen 80 ", f"listen 127.0.0.1:{http_port} "),
        (r"listen 443 ", f"listen 127.0.0.1:{https_port} "),
        (r"server 127\.0\.0\.1:8000", f"server 127.0.0.1:{app_port}"),
        (r"https://backoffice\.example\.com\$request_uri", f"https://{NAME}:{https_port}$request_uri"),
        (r"backoffice\.example\.com", NAME),
        (r"ssl_certificate +\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key +\S+;", f"ssl_certificate_key {key};"),
        (r"/var/log/nginx/", f"{directory}/"),
        (r"/srv/backoffice/app/staticfiles/", f"{ROOT}/staticfiles/"),
        (r"proxy_set_header Host \$host;", "proxy_set_header Host $http_host;"),
    ]
    for pattern, replacement in replacements:
        site, count = re.subn(pattern, replacement, site)
        assert count, f"{pattern} is no longer in {SITE}"
    (directory / "site.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (directory / "nginx.conf").write_text(
        f"""{user}worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/nginx.error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {directory}/nginx.access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/site.conf;
}}
"""
    )
    return directory / "nginx.conf"


def nginx_test_config(directory):
    """`nginx -t` on the deployment's site, rendered for loopback (tests/backoffice/test_deploy_files.py)."""
    directory = Path(directory)
    cert, key = make_certificate(directory)
    conf = render_site(
        directory, http_port=free_port(), https_port=free_port(), app_port=free_port(), cert=cert, key=key
    )
    return subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(directory)], capture_output=True, text=True)


class Client:
    """HTTPS to 127.0.0.1 with the site's name for SNI and Host, trusting our certificate; keeps its cookies."""

    def __init__(self, port, cert, name=NAME):
        self.port, self.name = port, name
        self.context = ssl.create_default_context(cafile=str(cert))
        self.cookies = {}
        self.set_cookie_headers = []

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=30)
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        connection.sock = self.context.wrap_socket(sock, server_hostname=self.name)
        headers = {"Host": f"{self.name}:{self.port}", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            self.set_cookie_headers.append(header)
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name.strip()] = value
        connection.close()
        return response


def plain_get(port, path, host):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    response.text = response.read().decode()
    connection.close()
    return response


def wait_for(port, process, what, log):
    for _ in range(300):
        if process.poll() is not None:
            sys.exit(f"{what} stopped:\n{Path(log).read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{what} did not listen on {port}")


def main():
    missing = [tool for tool in ("nginx", "openssl") if not shutil.which(tool)]
    if missing:
        print(f"SKIPPED: {' and '.join(missing)} not installed (apt-get install nginx openssl)")
        return 0
    directory = Path(tempfile.mkdtemp(prefix="behind_nginx_"))
    http_port, https_port, app_port = free_port(), free_port(), free_port()
    origin = f"https://{NAME}:{https_port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "HTTPS", "BACKOFFICE_DEMO")}
    env.update(
        BACKOFFICE_VAR_DIR=str(directory / "var"),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=NAME,
        TRUSTED_PROXY_COUNT="1",
        LOG_FORMAT="json",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    manage = [sys.executable, "manage.py"]
    started = time.monotonic()
    for args in (["collectstatic", "--noinput", "-v", "0"], ["migrate", "--noinput", "-v", "0"]):
        subprocess.run(manage + args, cwd=ROOT, env=env, check=True)
    subprocess.run(
        manage + ["createsuperuser", "--noinput", "--username", "boss", "--email", "boss@example.com"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    print(f"migrated and collected in {time.monotonic() - started:.1f} s")

    cert, key = make_certificate(directory)
    conf = render_site(directory, http_port=http_port, https_port=https_port, app_port=app_port, cert=cert, key=key)
    app_log = directory / "gunicorn.log"
    with app_log.open("w") as log:
        app = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "backoffice.wsgi"]
            + ["--bind", f"127.0.0.1:{app_port}", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    nginx = subprocess.Popen(
        ["nginx", "-c", str(conf), "-p", str(directory), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "nginx.stderr", "w"),  # noqa: SIM115
    )
    failures = []

    def check(what, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {what}" + (f"  ({detail})" if detail and not ok else ""))
        if not ok:
            failures.append(what)

    try:
        wait_for(app_port, app, "gunicorn", app_log)
        wait_for(https_port, nginx, "nginx", directory / "nginx.stderr")

        probe = plain_get(http_port, "/health/", "10.0.0.5")
        check("plain-HTTP probe by address: GET /health/ 200 ok", (probe.status, probe.text) == (200, "ok\n"))
        redirect = plain_get(http_port, "/admin/", NAME)
        check(
            "plain HTTP is redirected to HTTPS",
            redirect.status == 301 and redirect.getheader("Location") == f"{origin}/admin/",
            f"{redirect.status} {redirect.getheader('Location')}",
        )

        client = Client(https_port, cert)
        login = client.request("GET", "/admin/login/")
        hsts = login.getheader("Strict-Transport-Security") or ""
        check("HSTS sent, once, by Django", hsts == "max-age=31536000; includeSubDomains; preload", hsts)
        check(
            "Content-Security-Policy sent", "default-src 'self'" in (login.getheader("Content-Security-Policy") or "")
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        check("the login page carries a CSRF token", bool(token))
        csrf_cookie = [h for h in client.set_cookie_headers if h.startswith("csrftoken=")]
        check("the CSRF cookie is Secure", bool(csrf_cookie) and "Secure" in csrf_cookie[0], str(csrf_cookie))

        form = {"username": "boss", "password": PASSWORD, "next": "/admin/"}
        refused = client.request("POST", "/admin/login/", form, {"Origin": origin, "Referer": f"{origin}/admin/login/"})
        check("a log-in without its CSRF token is refused (403)", refused.status == 403, str(refused.status))
        other = client.request(
            "POST",
            "/admin/login/",
            {**form, "csrfmiddlewaretoken": token[1]},
            {"Origin": "https://evil.example", "Referer": "https://evil.example/"},
        )
        check("a log-in posted from another origin is refused (403)", other.status == 403, str(other.status))

        timings = []
        started = time.perf_counter()
        done = client.request(
            "POST",
            "/admin/login/",
            {**form, "csrfmiddlewaretoken": token[1]},
            {"Origin": origin, "Referer": f"{origin}/admin/login/"},
        )
        timings.append(time.perf_counter() - started)
        check(
            "the log-in through the proxy succeeds (302 to the admin)",
            done.status == 302 and done.getheader("Location") == "/admin/",
            f"{done.status} {done.getheader('Location')} {done.text[:200]}",
        )
        session_cookie = [h for h in client.set_cookie_headers if h.startswith("sessionid=")]
        check(
            "the session cookie is Secure and HttpOnly",
            bool(session_cookie) and "Secure" in session_cookie[-1] and "HttpOnly" in session_cookie[-1],
            str(session_cookie),
        )
        home = client.request("GET", "/admin/")
        check("the admin's home answers the logged-in user", home.status == 200 and "boss" in home.text, home.status)

        favicon = re.search(r'href="(/static/backoffice/favicon\.[0-9a-f]{12}\.svg)"', home.text)
        static = client.request("GET", favicon[1]) if favicon else None
        check(
            "hashed static files come from nginx, cached a year",
            static is not None
            and static.status == 200
            and static.getheader("Cache-Control") == "public, max-age=31536000, immutable",
            static and static.getheader("Cache-Control"),
        )

        # A client's own X-Forwarded-For is replaced by nginx: a failed log-in counts against 127.0.0.1.
        anonymous = Client(https_port, cert)
        page = anonymous.request("GET", "/admin/login/")
        anon_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        anonymous.request(
            "POST",
            "/admin/login/",
            {"username": "boss", "password": "wrong-one", "csrfmiddlewaretoken": anon_token},
            {"Origin": origin, "X-Forwarded-For": "203.0.113.9"},
        )
        addresses = (
            subprocess.run(
                manage
                + [
                    "shell",
                    "-c",
                    "from axes.models import AccessFailureLog as F;"
                    "print(sorted({f.ip_address for f in F.objects.all()}))",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        check(
            "login throttling sees the address nginx saw, not the client's header",
            addresses == "['127.0.0.1']",
            addresses,
        )

        try:
            Client(https_port, cert, name="other.example").request("GET", "/admin/login/")
            check("a name nginx does not serve is refused at the handshake", False, "it answered")
        except ssl.SSLError:
            check("a name nginx does not serve is refused at the handshake", True)

        # Timings: the login page through nginx (TLS, a new connection each) and from gunicorn directly.
        def timed(fetch, count=50):
            started = time.perf_counter()
            for _ in range(count):
                fetch()
            return (time.perf_counter() - started) / count * 1000

        via_nginx = timed(lambda: Client(https_port, cert).request("GET", "/admin/login/"))
        direct = timed(lambda: plain_get(app_port, "/health/", NAME))
        via_nginx_health = timed(lambda: plain_get(http_port, "/health/", NAME))
        time.sleep(0.5)
        lines = [json.loads(line) for line in app_log.read_text().splitlines() if line.startswith("{")]
        logged = [line for line in lines if line.get("logger") == "backoffice.request" and line["user"] == "boss"]
        check(
            "the JSON request log names the user, the path and the status",
            any(line["path"] == "/admin/" and line["status"] == 200 for line in logged),
            str(lines[-3:]),
        )
        print(
            f"log-in POST {timings[0] * 1000:.0f} ms; login page over TLS through nginx {via_nginx:.1f} ms a request"
            f" (new connection each); /health/ via nginx {via_nginx_health:.1f} ms, direct {direct:.1f} ms;"
            f" load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}"
        )
    finally:
        nginx.terminate()
        app.terminate()
        nginx.wait(timeout=10)
        app.wait(timeout=20)
    if failures:
        print(f"{len(failures)} checks failed; logs in {directory}")
        return 1
    shutil.rmtree(directory, ignore_errors=True)
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
