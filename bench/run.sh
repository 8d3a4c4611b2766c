#!/usr/bin/env bash
# The benchmark: installs its tools, builds the release binary, and runs bench/driver.py,
# which loads demo data, measures fieldweek on SQLite and PostgreSQL beside same-run
# baselines, and writes BENCHMARKS.md. Takes about 10 minutes on 2 cores.
#
#   bash bench/run.sh                      # the full run, 1 million visits
#   bash bench/run.sh --visits 20000 --seconds 2 --runs 1 --out /tmp/smoke.md
#   bash bench/run.sh --engines sqlite     # one engine
#   bash bench/run.sh --only grievance-list  # one figure, its rows of BENCHMARKS.md only
#   bash bench/run.sh --only sync-feed       # likewise: a page of the phone sync feed
#   bash bench/run.sh --only pace            # PostgreSQL beside pgbench and psql (bench/pace.py)
set -euo pipefail
cd "$(dirname "$0")/.."

# wrk makes the load; sqlite3 and psql/pgbench give the baselines; curl times the export.
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v curl >/dev/null || missing+=(curl)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v pgbench >/dev/null || ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 \
    || missing+=(postgresql-contrib)
if ((${#missing[@]})); then
    echo "bench: installing ${missing[*]}"
    sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ " $* " != *" --engines sqlite "* ]] && ! psql -X -q postgres://postgres@127.0.0.1:5432/postgres -c 'select 1' >/dev/null 2>&1; then
    echo "bench: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi

cargo build --release --quiet
if [[ " $* " == *" --only pace "* ]]; then
    # PostgreSQL against its own tools: bench/pace.py (issue 27).
    exec python3 bench/pace.py "$@"
fi
exec python3 bench/driver.py "$@"
