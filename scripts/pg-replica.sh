#!/usr/bin/env bash
# A streaming replica of the local PostgreSQL (the `main` cluster on 127.0.0.1:5432), for
# the read-replica tests: `start` makes one (pg_createcluster, then pg_basebackup from the
# primary) on a free port and prints its URL; `stop` removes it. Needs root (it runs the
# server as the postgres user) and lets local replication connections in with the same
# trust the primary gives local connections.
#   export TEST_READ_DATABASE_URL=$(bash scripts/pg-replica.sh start)
#   bash scripts/pg-replica.sh stop
set -euo pipefail

version=$(ls /etc/postgresql | sort -n | tail -1)
cluster=fieldweek_replica
primary_conf=/etc/postgresql/$version/main

stop() {
    if pg_lsclusters -h | awk '{print $2}' | grep -qx "$cluster"; then
        pg_dropcluster --stop "$version" "$cluster" >&2
    fi
}

case "${1:-}" in
start)
    stop
    # The primary must accept replication connections from this host.
    if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$primary_conf/pg_hba.conf"; then
        echo "host replication all 127.0.0.1/32 trust" >> "$primary_conf/pg_hba.conf"
        pg_ctlcluster "$version" main reload >&2
    fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pg_createcluster "$version" "$cluster" -p "$port" >&2
    data=$(pg_lsclusters -h | awk -v c="$cluster" '$2 == c {print $6}')
    cp "$primary_conf/pg_hba.conf" "/etc/postgresql/$version/$cluster/pg_hba.conf"
    rm -rf "${data:?}"/*
    # A copy of the primary that follows it: -R writes primary_conninfo and standby.signal.
    su postgres -c "pg_basebackup -h 127.0.0.1 -p 5432 -U postgres -D '$data' -R -X stream --checkpoint=fast" >&2
    pg_ctlcluster "$version" "$cluster" start >&2
    for _ in $(seq 1 60); do
        if pg_isready -q -h 127.0.0.1 -p "$port"; then
            echo "postgres://postgres@127.0.0.1:$port/postgres"
            exit 0
        fi
        sleep 0.5
    done
    echo "the replica did not start" >&2
    exit 1
    ;;
stop)
    stop
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
