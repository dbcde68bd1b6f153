# Shared by bin/demo and bin/test (and the scripts that need PostgreSQL's programs: pg_tool). Sourced, not run.

# System programs some steps use (runuser for a throwaway cluster as root, nginx for the proxy check) live in
# sbin, which a minimal PATH (cron, `env -i`, CI) leaves out.
case ":$PATH:" in
  *:/usr/sbin:*) ;;
  *) PATH="$PATH:/usr/sbin:/sbin" ;;
esac
export PATH

# The newest supported Python on this machine: 3.11, 3.12 or 3.13.
find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Python 3.11, 3.12 or 3.13 is needed: sudo apt-get install python3 python3-venv" >&2
  return 1
}

# Create .venv and install a requirements file into it; a second run with the
# same requirements installs nothing.
ensure_venv() {
  local requirements=$1
  if [ ! -x .venv/bin/python ]; then
    local python
    python=$(find_python)
    echo "Creating .venv with $("$python" --version)"
    "$python" -m venv .venv || {
      echo "Could not create a virtualenv: sudo apt-get install python3-venv" >&2
      return 1
    }
  fi
  local stamp=".venv/.installed-$(basename "$requirements")"
  local want
  want=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "Installing $requirements into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" >"$stamp"
  fi
}

# WeasyPrint (PDFs) needs Pango from the system.
check_system_libraries() {
  if ! .venv/bin/python -c 'import weasyprint' >/dev/null 2>&1; then
    echo "WeasyPrint cannot find its system libraries. On Debian or Ubuntu:" >&2
    echo "  sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core" >&2
    return 1
  fi
}

# The browser tests drive a system Chromium through Playwright, which never downloads one here.
# BROWSER_EXECUTABLE wins; else chromium, chromium-browser or google-chrome on PATH; else, as root,
# apt-get installs Debian's chromium; otherwise say what to install and fail.
ensure_browser() {
  local found="${BROWSER_EXECUTABLE:-}"
  if [ -n "$found" ] && [ ! -x "$found" ]; then
    echo "BROWSER_EXECUTABLE=$found is not an executable file." >&2
    return 1
  fi
  if [ -z "$found" ]; then
    found=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
  fi
  if [ -z "$found" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } ||
      true
    found=$(command -v chromium || true)
  fi
  if [ -z "$found" ]; then
    echo "The browser tests need Chromium. On Debian or Ubuntu: sudo apt-get install chromium" >&2
    echo "(or set BROWSER_EXECUTABLE to a Chromium or Chrome binary)." >&2
    return 1
  fi
  export BROWSER_EXECUTABLE=$found
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
}

# PostgreSQL's programs: on PATH, else in the newest /usr/lib/postgresql/<version>/bin (Debian keeps the
# server's programs there, off PATH). `pg_tool pg_dump` prints the path of one program;
# `find_pg_bin` the directory holding initdb and pg_ctl, for a throwaway cluster.
pg_tool() {
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return 0; fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/$1" ]; then echo "$dir/$1"; return 0; fi
  done
  return 1
}

find_pg_bin() {
  local initdb
  initdb=$(pg_tool initdb) || return 1
  local dir
  dir=$(dirname "$initdb")
  if [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}
