#!/usr/bin/env bash
# Schema-driven API testing: starts fieldweek on a fresh SQLite database with demo data
# and runs schemathesis against api-spec/openapi.yaml, once as a volunteer and once as
# an admin. Fails on any 5xx, any response that breaks the schema, any undocumented
# status code or content type. Each run is bounded by SCHEMATHESIS_SECONDS (default 90).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${SCHEMATHESIS_SECONDS:-90}
venv=${SCHEMATHESIS_VENV:-target/schemathesis-venv}
bin=target/debug/fieldweek

if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r api-spec/schemathesis-requirements.txt
fi
cargo build --quiet

work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export DATABASE_URL="sqlite://$work/fieldweek.db" FIELDWEEK_DATA_DIR="$work" FIELDWEEK_BIND="127.0.0.1:$port"
export FIELDWEEK_ADMIN_USERNAME=admin FIELDWEEK_ADMIN_PASSWORD="schemathesis admin password"
# The fuzzer writes far faster than any person; the limit itself is tested elsewhere.
export FIELDWEEK_WRITES_PER_MINUTE=1000000

"$bin" demo-data --provinces 2 --volunteers-per-province 10 --visits 1500 --grievances 150 --seed 7 > "$work/demo.log"
"$bin" serve > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

# Plain-Python HTTP, so the script needs nothing beyond python3.
api() {
    python3 - "$@" <<'PY'
import json, sys, urllib.request
method, url, token, body = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
request = urllib.request.Request(url, method=method, data=body.encode() or None)
request.add_header("Content-Type", "application/json")
if token:
    request.add_header("Authorization", "Bearer " + token)
with urllib.request.urlopen(request) as response:
    print(response.read().decode())
PY
}
for _ in $(seq 1 100); do
    api GET "$base/readyz" "" "" > /dev/null 2>&1 && break
    sleep 0.2
done
token() {
    api POST "$base/api/v1/auth/login" "" "{\"username\": \"$1\", \"password\": \"$2\"}" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
# Both tokens first: fuzzing the login endpoint soon locks this address out of it.
admin=$(token admin "$FIELDWEEK_ADMIN_PASSWORD")
api POST "$base/api/v1/users" "$admin" \
    '{"username": "fuzz.volunteer", "display_name": "อาสาสมัครทดสอบ", "password": "volunteer password", "role": "volunteer", "area_code": "50"}' > /dev/null
volunteer=$(token fuzz.volunteer "volunteer password")

# Raw-byte bodies of the tus uploads (application/offset+octet-stream) need a serializer.
export SCHEMATHESIS_HOOKS="$PWD/api-spec/schemathesis_hooks.py"
status=0
# The volunteer first: the admin run may reset passwords and end other sessions.
for who in volunteer admin; do
    echo "=== schemathesis as $who (${seconds}s)"
    "$venv/bin/schemathesis" run api-spec/openapi.yaml --url "$base" \
        --header "Authorization: Bearer ${!who}" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --max-time "$seconds" --seed 42 \
        --exclude-path /api/v1/auth/logout --exclude-path /api/v1/me/password \
        || status=1
done
# A 5xx or a panic is logged by fieldweek as "request failed" / "panicked". (actix's own
# ERROR lines about unparseable requests from the fuzzer are the client's fault.)
if grep -q 'request failed\|panicked' "$work/server.log"; then
    echo "the server logged failures:"; grep 'request failed\|panicked' "$work/server.log" | head -20
    status=1
fi
exit $status
