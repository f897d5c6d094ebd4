#!/usr/bin/env bash
# What the test suite needs from the machine besides npm packages: Debian's Chromium (Playwright
# cannot download its own browser here) and a PostgreSQL server (the suite runs on PGlite and on
# a real server). As root, installs and starts what is missing; otherwise says the exact command.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
pg_url="${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
is_root() { [ "$(id -u)" = 0 ]; }
apt_updated=""
apt_install() {
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
pg_ready() {
  node -e 'const pg=require("pg");const c=new pg.Client(process.argv[1]);c.connect().then(()=>c.end()).then(()=>process.exit(0),()=>process.exit(1))' "$pg_url"
}

if [ ! -x "$chromium" ]; then
  if is_root; then
    echo "[prerequisites] installing Debian's chromium"
    apt_install chromium
  else
    echo "[prerequisites] Chromium is missing: run  sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi

if ! pg_ready; then
  if [ -z "${TEST_POSTGRES_URL:-}" ] && is_root; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$version" ]; then
      echo "[prerequisites] installing Debian's postgresql"
      apt_install postgresql
      version=$(ls /etc/postgresql | sort -V | tail -n 1)
      # A server installed just for the tests: let loopback connect without a password, as on
      # the CI machines, since each test database is created and dropped by the suite.
      sed -i '1i host all all 127.0.0.1/32 trust' "/etc/postgresql/$version/main/pg_hba.conf"
    fi
    echo "[prerequisites] starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
    for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  fi
  if ! pg_ready; then
    echo "[prerequisites] No PostgreSQL server answers at $pg_url." >&2
    echo "  Start one (Debian: sudo apt-get install -y postgresql && sudo pg_ctlcluster \$(ls /etc/postgresql) main start)," >&2
    echo "  or set TEST_POSTGRES_URL to a server where this user may create databases." >&2
    exit 1
  fi
fi
echo "[prerequisites] chromium: $("$chromium" --version 2>/dev/null | head -n 1); postgresql: reachable"
