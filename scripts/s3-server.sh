#!/usr/bin/env bash
# An S3-compatible server for the photo store's tests: moto's standalone server (PyPI,
# pinned in scripts/s3-requirements.txt, in a venv kept in target/), on a free port of
# 127.0.0.1. Prints the endpoint on stdout and leaves the server running in the
# background; its process id is in target/s3-server.pid. Use it as
#   export TEST_S3_ENDPOINT=$(bash scripts/s3-server.sh)
# and stop it with `kill $(cat target/s3-server.pid)`.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${S3_VENV:-target/s3-venv}
requirements=scripts/s3-requirements.txt
if ! cmp -s "$requirements" "$venv/pinned.txt"; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
    cp "$requirements" "$venv/pinned.txt"
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p target
nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > target/s3-server.log 2>&1 &
echo $! > target/s3-server.pid
for _ in $(seq 1 100); do
    if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null; then
        echo "http://127.0.0.1:$port"
        exit 0
    fi
    sleep 0.2
done
cat target/s3-server.log >&2
echo "moto_server did not start" >&2
exit 1
