#!/usr/bin/env bash
# Resumable photo uploads with a real tus client: starts fieldweek on a fresh SQLite
# database and runs scripts/tus_resume.py (tuspy, pinned in scripts/tus-requirements.txt),
# which cuts a transfer mid-body and resumes it from a new client. The venv is kept in
# target/; PyPI is needed on the first run.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${TUS_VENV:-target/tus-venv}
requirements=scripts/tus-requirements.txt
bin=target/debug/fieldweek
if ! cmp -s "$requirements" "$venv/pinned.txt"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/pinned.txt"
fi
cargo build --quiet

work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite://$work/fieldweek.db" FIELDWEEK_DATA_DIR="$work" FIELDWEEK_BIND="127.0.0.1:$port"
export FIELDWEEK_ADMIN_USERNAME=admin FIELDWEEK_ADMIN_PASSWORD="tus resume admin password"
export FIELDWEEK_USERNAME=admin FIELDWEEK_PASSWORD="$FIELDWEEK_ADMIN_PASSWORD"
export FIELDWEEK_URL="http://127.0.0.1:$port"
"$bin" serve > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
    if ! kill -0 "$server" 2>/dev/null; then
        cat "$work/server.log"; echo "fieldweek serve exited at start" >&2; exit 1
    fi
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" \
        2>/dev/null && break
    sleep 0.2
done
status=0
"$venv/bin/python" scripts/tus_resume.py || status=1
if grep -q 'request failed\|panicked' "$work/server.log"; then
    echo "the server logged failures:"; grep 'request failed\|panicked' "$work/server.log" | head -20
    status=1
fi
if [ $status -ne 0 ]; then
    echo "--- server log (last 40 lines)"; tail -40 "$work/server.log"
fi
exit $status
