"""docs/deploy.md and deploy/: the environment example names every setting, the files named exist, the scripts parse."""

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_settings():
    section = ROOT.joinpath("README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    first_cells = re.findall(r"^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \|", section, re.MULTILINE)
    return [name for cell in first_cells for name in re.findall(r"`([A-Z_]+)`", cell)]


def test_the_environment_example_names_every_setting_of_the_readme():
    settings = readme_settings()
    assert "DATABASE_URL" in settings and "SENTRY_DSN" in settings and "LOG_FORMAT" in settings
    example = ROOT.joinpath("deploy/backoffice.env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z_]+)=", example, re.MULTILINE)) | set(re.findall(r"\b([A-Z_]{4,})\b", example))
    missing = [name for name in settings if name not in named]
    assert missing == [], f"README's settings {missing} are not in deploy/backoffice.env.example: add them there"
    # Production values, not the development ones.
    assert "TRUSTED_PROXY_COUNT=1" in example.splitlines()
    assert not re.search(r"^(DEBUG=1|HTTPS=0|BACKOFFICE_DEMO=)", example, re.MULTILINE)


def test_every_file_the_deployment_page_names_exists():
    page = ROOT.joinpath("docs/deploy.md").read_text()
    named = set(re.findall(r"`(deploy/[\w./{},-]+)`", page))
    assert len(named) >= 10
    for name in named:
        # deploy/systemd/backoffice-dump.{service,timer} names two files.
        brace = re.match(r"(.*)\{(.*)\}(.*)", name)
        paths = [brace[1] + part + brace[3] for part in brace[2].split(",")] if brace else [name]
        for path in paths:
            assert ROOT.joinpath(path).is_file(), path
    # Every file in deploy/ is on the page.
    # (Python's byte-code caches aside: the restore drill's tests import it.)
    listed = {
        p.relative_to(ROOT).as_posix()
        for p in ROOT.joinpath("deploy").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    for path in listed:
        stem = path.rsplit(".", 1)[0]
        assert path in page or stem in page, path


@pytest.mark.parametrize("script", ["deploy/release.sh", "deploy/backup/dump.sh", "deploy/backup/basebackup.sh"])
def test_the_scripts_parse_and_stop_at_the_first_error(script):
    text = ROOT.joinpath(script).read_text()
    assert "set -eu" in text
    assert subprocess.run(["sh", "-n", script], cwd=ROOT).returncode == 0


def test_the_nginx_site_sends_the_headers_trusted_proxy_count_1_believes():
    conf = ROOT.joinpath("deploy/nginx/backoffice.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "proxy_set_header X-Forwarded-Proto https;" in conf
    assert "Strict-Transport-Security" not in conf  # HSTS is Django's
    assert "alias /srv/backoffice/app/staticfiles/;" in conf


@pytest.mark.skipif(
    not (shutil.which("nginx") and shutil.which("openssl")),
    reason="nginx -t needs nginx and openssl (apt-get install nginx); bench/behind_nginx.py runs the whole site",
)
def test_nginx_accepts_the_site(tmp_path):
    spec = importlib.util.spec_from_file_location("behind_nginx", ROOT / "bench" / "behind_nginx.py")
    behind_nginx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(behind_nginx)

    result = behind_nginx.nginx_test_config(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warn" not in result.stderr, result.stderr
