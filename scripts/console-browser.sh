#!/usr/bin/env bash
# End-to-end browser tests of the web console (/console/): for each storage engine
# (SQLite, then PostgreSQL) starts fieldweek on fresh demo data and drives Debian's
# chromium with Playwright for Python through tests/browser/test_console.py.
# Screenshots go to ${CONSOLE_SHOTS:-target/console-screenshots}. Exits non-zero if any
# engine fails. Environment: FIELDWEEK_BIN (default target/debug/fieldweek),
# CONSOLE_ENGINES (default "sqlite postgres"), CONSOLE_PG (default
# postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${FIELDWEEK_BIN:-target/debug/fieldweek}
out=${CONSOLE_SHOTS:-target/console-screenshots}
engines=${CONSOLE_ENGINES:-sqlite postgres}
pg=${CONSOLE_PG:-postgres://postgres@127.0.0.1:5432}
playwright_version=1.65.3
export PGSSLMODE=disable

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# --- what the tests need ---------------------------------------------------------
bash scripts/browser-packages.sh
if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("playwright"))' 2>/dev/null)" != "$playwright_version" ]; then
    pip install -q "playwright==$playwright_version" ||
        pip install -q --break-system-packages "playwright==$playwright_version"
fi
if [ ! -x "$bin" ]; then
    echo "no fieldweek binary at $bin (build it, or set FIELDWEEK_BIN)" >&2
    exit 2
fi
mkdir -p "$out"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

server=""
work=""
database=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    server=""
    if [ -n "$database" ]; then
        psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    database=""
    if [ -n "$work" ]; then rm -rf "$work"; fi
    work=""
}
trap cleanup EXIT

run_engine() {
    local engine=$1 port base started
    work=$(mktemp -d)
    port=$(free_port)
    base="http://127.0.0.1:$port"
    unset DATABASE_URL
    if [ "$engine" = postgres ]; then
        if ! pg_isready -q -h 127.0.0.1 -p 5432; then
            as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
            for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
        fi
        database="console_e2e_$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
        psql -q "$pg/postgres" -c "CREATE DATABASE $database" >/dev/null
        export DATABASE_URL="$pg/$database"
    fi
    export FIELDWEEK_DATA_DIR="$work" FIELDWEEK_BIND="127.0.0.1:$port"

    echo "=== $engine: demo data"
    "$bin" demo-data --visits 3000 --grievances 1500 > "$work/demo.log" 2>&1 || {
        echo "demo-data failed:"; tail -20 "$work/demo.log"; return 1; }
    "$bin" serve > "$work/server.log" 2>&1 &
    server=$!
    started=""
    for _ in $(seq 1 150); do
        if curl -fsS -o /dev/null "$base/healthz" 2>/dev/null; then started=yes; break; fi
        kill -0 "$server" 2>/dev/null || break
        sleep 0.2
    done
    if [ -z "$started" ]; then
        echo "the server did not come up:"; tail -30 "$work/server.log"; return 1
    fi
    echo "=== $engine: browser tests against $base"
    local status=0
    python3 tests/browser/test_console.py --base "$base" --engine "$engine" --out "$out" || status=1
    if grep -q 'request failed\|panicked' "$work/server.log"; then
        echo "the server logged failures:"; grep 'request failed\|panicked' "$work/server.log" | head -20
        status=1
    fi
    if [ $status != 0 ]; then
        cp "$work/server.log" "$out/$engine-server.log" 2>/dev/null || true
        echo "server log kept in $out/$engine-server.log"
    fi
    return $status
}

overall=0
for engine in $engines; do
    t0=$(date +%s)
    if run_engine "$engine"; then result=passed; else result=FAILED; overall=1; fi
    cleanup
    echo "=== $engine: $result in $(( $(date +%s) - t0 ))s"
done
exit $overall
