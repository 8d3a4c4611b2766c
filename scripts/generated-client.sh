#!/usr/bin/env bash
# The spec as a client team uses it: validates api-spec/openapi.yaml (openapi-spec-validator),
# generates a Python client from it (openapi-python-client), installs that client and runs
# api-spec/client_smoke.py, written against the generated client, on a fresh fieldweek
# server (SQLite, empty). Fails if the spec is invalid, if the generator skips or degrades
# anything beyond the known PNG/WebP upload bodies and the CSV import body, or if the client cannot do the job.
# Needs python3 >= 3.11 and PyPI for the first run (the venv is kept in target/).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv=${CLIENT_VENV:-target/client-venv}
requirements=api-spec/client-requirements.txt
bin=target/debug/fieldweek

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    { echo "python3 3.11 or newer is needed (the generated client's floor)" >&2; exit 1; }
# A venv made from other pins is made again.
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

echo "=== openapi-spec-validator"
"$venv/bin/openapi-spec-validator" api-spec/openapi.yaml

echo "=== openapi-python-client"
# The generator runs ruff on its output; it finds it on PATH.
if ! (cd "$work" && PATH="$root/$venv/bin:$PATH" openapi-python-client generate \
    --path "$root/api-spec/openapi.yaml" --config "$root/api-spec/openapi-python-client.yaml" \
    --meta setup --output-path "$work/client") > "$work/generate.log" 2>&1; then
    cat "$work/generate.log"; echo "openapi-python-client failed" >&2; exit 1
fi
# The only warnings allowed: the upload's PNG and WebP bodies and the import's CSV body,
# which the generator cannot type beside a bytes body of the same call (see
# api-spec/openapi-python-client.yaml). Anything else is a part of the API the generated
# client lacks.
warnings=$(grep -E '^(WARNING|ERROR)' "$work/generate.log" | sort | uniq -c | sed 's/^ *//' || true)
expected="2 WARNING parsing POST /api/v1/grievances/{id}/photos within grievances.
1 WARNING parsing POST /api/v1/users/import within users.
2 WARNING parsing POST /api/v1/visits/{id}/photos within visits."
if [ "$warnings" != "$expected" ] ||
    ! grep -qx 'Unsupported content type image/png' "$work/generate.log" ||
    ! grep -qx 'Unsupported content type image/webp' "$work/generate.log" ||
    ! grep -qx 'Unsupported content type text/csv' "$work/generate.log"; then
    cat "$work/generate.log"
    echo "openapi-python-client warned about more than the PNG/WebP upload bodies and the CSV import" >&2
    exit 1
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --force-reinstall "$work/client"

echo "=== smoke test through the generated client"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite://$work/fieldweek.db" FIELDWEEK_DATA_DIR="$work" FIELDWEEK_BIND="127.0.0.1:$port"
export FIELDWEEK_ADMIN_USERNAME=admin FIELDWEEK_ADMIN_PASSWORD="generated client admin password"
export FIELDWEEK_URL="http://127.0.0.1:$port"
"$bin" serve > "$work/server.log" 2>&1 &
server=$!
# Up to a minute for the port (a loaded CI machine hashes the admin password slowly); a
# server that exits at start is reported at once.
for _ in $(seq 1 300); do
    if ! kill -0 "$server" 2>/dev/null; then
        cat "$work/server.log"; echo "fieldweek serve exited at start" >&2; exit 1
    fi
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" \
        2>/dev/null && break
    sleep 0.2
done
status=0
"$venv/bin/python" api-spec/client_smoke.py || status=1
# A 5xx or a panic is logged by fieldweek as "request failed" / "panicked".
if grep -q 'request failed\|panicked' "$work/server.log"; then
    echo "the server logged failures:"; grep 'request failed\|panicked' "$work/server.log" | head -20
    status=1
fi
if [ $status -ne 0 ]; then
    echo "--- server log (last 40 lines)"; tail -40 "$work/server.log"
fi
exit $status
