#!/usr/bin/env python3
"""The fieldweek benchmark: loads demo data, starts the release server on SQLite and on
PostgreSQL, measures each figure beside a baseline taken in the same run, and writes
BENCHMARKS.md. Run it through bench/run.sh, which installs what it needs and builds.

Standard library only: the load comes from wrk (C), the baselines from each database's
own tools, so this script only starts things, reads numbers and writes the report.
"""

import argparse
import http.cookiejar
import contextlib
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WRK = BENCH / "wrk"
BINARY = ROOT / "target" / "release" / "fieldweek"
WORK = ROOT / "target" / "bench"
PASSWORD = "demo password 2026"
# PostgreSQL runs on this host: TLS on the loopback would protect nothing and cost the
# server, PostgreSQL and the baselines alike (libpq's default sslmode is prefer).
PG_HOST = "postgres://postgres@127.0.0.1:5432"
PG_ADMIN_URL = f"{PG_HOST}/postgres?sslmode=disable"
# Another name lets two benchmarks share one PostgreSQL server without dropping each
# other's database.
PG_BENCH_DB = os.environ.get("FIELDWEEK_BENCH_DB", "fieldweek_bench")
# Chiang Mai: the supervisor and volunteer whose requests the benchmark makes.
PROVINCE = "50"
# The grievance-list figure reads one page of this many grievances, the most a page holds.
GRIEVANCE_PAGE = 500
GRIEVANCE_LIST = "A supervisor's grievance list"
# The sync-feed figure: one page of this many changes, after the volunteer's first.
SYNC_PAGE = 100
SYNC_FEED = "Phone sync feed, a page of changes"
# The console-queue figure: the supervisor of one province holding this many grievances.
QUEUE_GRIEVANCES = 20_000
CONSOLE_QUEUE = "The console's queue page"


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(args, **kwargs):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs)


# ---------------------------------------------------------------- the server


class Server:
    """One `fieldweek serve` process on a database, with its memory readable."""

    def __init__(self, engine, database_url, data_dir, port, pool_size, rust_log="info"):
        self.engine = engine
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = data_dir.parent / f"server-{engine}.log"
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url,
            FIELDWEEK_DATA_DIR=str(data_dir),
            FIELDWEEK_BIND=f"127.0.0.1:{port}",
            # The benchmark files thousands of visits a second as one volunteer; the
            # per-user write limit (300 a minute by default) would answer 429.
            FIELDWEEK_WRITES_PER_MINUTE="1000000",
            # As many connections as wrk and the baselines use.
            FIELDWEEK_DB_POOL_SIZE=str(pool_size),
            RUST_LOG=rust_log,
        )
        if not port_is_free(port):
            # Another server there would answer the readiness check and the requests.
            raise SystemExit(f"another process listens on port {port}: pass --port")
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [BINARY, "serve"], env=env, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise SystemExit(f"the server did not start: see {self.log_path}")

    def memory_kib(self, field):
        """VmRSS (now) or VmHWM (peak) of the server, in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def reset_peak_memory(self):
        # Writing 5 to clear_refs sets the peak (VmHWM) back to the current RSS.
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def request(self, method, path, token=None, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=600) as answer:
            return json.loads(answer.read())

    def login(self, username):
        return self.request(
            "POST", "/api/v1/auth/login", body={"username": username, "password": PASSWORD}
        )["access_token"]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log_file.close()


def port_is_free(port):
    """Whether nothing listens on the port (a closed connection's TIME_WAIT does not count,
    as the server, which sets SO_REUSEADDR, can bind beside it)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# ---------------------------------------------------------------- wrk


WARM_UP_SECONDS = 3


def wrk(target, seconds, connections, script=None, args=(), threads=1, warm_up=True,
        timeout=2):
    """Runs wrk and returns requests/s, latency percentiles (ms) and error counts. A
    short unmeasured run first fills the caches the measured run would otherwise start
    without (SQLite's and the operating system's). A request unanswered after `timeout`
    seconds counts as a socket error, not in the latencies."""
    if warm_up:
        wrk(target, WARM_UP_SECONDS, connections, script, args, threads, warm_up=False,
            timeout=timeout)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
               f"--timeout={timeout}s"]
    if script:
        command += ["-s", str(WRK / script)]
    command.append(target)
    if args:
        command += ["--", *map(str, args)]
    out = run(command).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        result[f"p{pct}_ms"] = value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    result["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    result["socket_errors"] = errors.group(0) if errors else ""
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return result


class CpuWatch:
    """What the whole machine's CPUs did while a phase ran, from /proc/stat every half
    second: a stall in the server's answers with the cores stolen by the host (steal)
    or waiting on the disk (iowait) is the machine's, not the server's."""

    FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")

    def __init__(self):
        self.samples, self._stop = [], threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    @staticmethod
    def _read():
        with open("/proc/stat") as stat:
            values = stat.readline().split()[1:len(CpuWatch.FIELDS) + 1]
        return dict(zip(CpuWatch.FIELDS, map(int, values)))

    def _watch(self):
        before = self._read()
        while not self._stop.wait(0.5):
            now = self._read()
            spent = {k: now[k] - before[k] for k in self.FIELDS}
            total = sum(spent.values()) or 1
            self.samples.append({k: 100 * v / total for k, v in spent.items()})
            before = now

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def summary(self):
        """Mean and worst half-second of busy, iowait and steal, in per cent."""
        if not self.samples:
            return {}
        busy = [100 - s["idle"] - s["iowait"] for s in self.samples]
        return {
            "busy_mean": statistics.mean(busy), "busy_max": max(busy),
            **{f"{k}_{f.__name__}": f(s[k] for s in self.samples)
               for k in ("iowait", "steal") for f in (statistics.mean, max)},
        }


def alternate(reads, background, pairs):
    """Read latency alone, then beside a background load, `pairs` times in turn: on a
    shared machine the host's share of the cores drifts within a minute, and
    alternating spreads that drift over both sides instead of loading it on one."""
    measured = []
    for n in range(pairs):
        with CpuWatch() as cpu_alone:
            alone = reads(warm_up=n == 0)
        with background() as load, CpuWatch() as cpu_beside:
            beside = reads(warm_up=False)
        measured.append({"alone": alone, "beside": beside, "load": load,
                         "cpu_alone": cpu_alone.summary(), "cpu_beside": cpu_beside.summary()})
    return measured


@contextlib.contextmanager
def login_flood(server, seconds, options, usernames):
    """Logins from `login_connections` clients, started a second before the reads and
    ended after them; yields wrk's figures once it is over."""
    figures = {}
    flooder = threading.Thread(target=lambda: figures.update(
        wrk(server.base, seconds + 2, options.login_connections, "login.lua",
            (PASSWORD, usernames), warm_up=False)))
    flooder.start()
    time.sleep(1)
    try:
        yield figures
    finally:
        flooder.join()


# The control beside the login flood: a process outside fieldweek doing what a password
# hash does (one core, 19 MiB touched over and over) at the lowest CPU priority, as
# fieldweek's hashing threads run. What it does to the reads' p99 is the machine's own.
IDLE_CPU_HOG = """
import os
os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
memory = bytearray(19 * 1024 * 1024)
while True:
    for i in range(0, len(memory), 64):
        memory[i] = (memory[i] + 1) & 255
"""


@contextlib.contextmanager
def idle_cpu_hog():
    hog = subprocess.Popen([sys.executable, "-c", IDLE_CPU_HOG])
    time.sleep(1)
    try:
        yield {}
    finally:
        hog.kill()
        hog.wait()


# ---------------------------------------------------------------- databases


class Sqlite:
    name = "SQLite"

    def __init__(self, work):
        self.data_dir = work / "data"
        self.path = self.data_dir / "fieldweek.db"
        self.url = f"sqlite://{self.path}"

    def reset(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)

    def settle(self):
        pass

    def rows(self, sql):
        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql).fetchall()

    def raw_insert_rate(self, seconds, connections, per_transaction=1):
        """Rows of the `visits` table (the same file, indexes and foreign keys),
        `per_transaction` to a transaction, from a plain loop with the server's settings:
        WAL, synchronous=FULL (an fsync at every commit). SQLite takes one writer at a
        time, so one loop."""
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
            conn.execute(f"PRAGMA {pragma}")
        template = dict(conn.execute("SELECT * FROM visits LIMIT 1").fetchone())
        columns = list(template)
        insert = (f"INSERT INTO visits ({', '.join(columns)}) "
                  f"VALUES ({', '.join('?' for _ in columns)})")
        inserted, ids, started = 0, [], time.perf_counter()
        while time.perf_counter() - started < seconds:
            conn.execute("BEGIN IMMEDIATE")
            for _ in range(per_transaction):
                template["id"] = str(uuid.uuid4())
                conn.execute(insert, list(template.values()))
                ids.append(template["id"])
            conn.execute("COMMIT")
            inserted += per_transaction
        rate = inserted / (time.perf_counter() - started)
        conn.execute("DELETE FROM visits WHERE id IN (SELECT value FROM json_each(?))",
                     (json.dumps(ids),))
        conn.close()
        return rate, "rows into `visits`, a Python sqlite3 loop, one connection"

    def cli(self, sql_file, csv=False):
        """Runs a file of SQL in the sqlite3 CLI, its output thrown away."""
        args = ["sqlite3"] + (["-csv", "-header"] if csv else []) + [str(self.path)]
        with open(sql_file) as sql:
            subprocess.run(args, stdin=sql, stdout=subprocess.DEVNULL, check=True)

    def export_sql(self, start, end):
        return EXPORT_SQL.format(
            target_groups=TARGET_GROUPS_SQL,
            start=sql_time(start, "sqlite"),
            end=sql_time(end, "sqlite"),
        )

    def export_cli(self, sql_file):
        self.cli(sql_file, csv=True)
        return "sqlite3 -csv"


class Postgres:
    name = "PostgreSQL"

    def __init__(self, work):
        self.data_dir = work / "data"
        self.url = f"{PG_HOST}/{PG_BENCH_DB}?sslmode=disable"

    def reset(self):
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        self.psql(PG_ADMIN_URL, f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        self.psql(PG_ADMIN_URL, f"CREATE DATABASE {PG_BENCH_DB}")

    def settle(self):
        # What autovacuum would do a little later: without it, its pass over the freshly
        # loaded tables lands in the middle of some phase and skews that figure.
        self.psql(self.url, "VACUUM ANALYZE")
        self.psql(self.url, "CHECKPOINT")  # and write out what the load left dirty

    @staticmethod
    def psql(url, sql):
        return run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql])

    def rows(self, sql):
        out = run(["psql", "-X", "-A", "-t", "-F", "\t", self.url, "-c", sql]).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]

    def raw_insert_rate(self, seconds, connections, per_transaction=1, idempotent=False):
        """Rows of the `visits` table (same indexes), one per transaction from pgbench
        with as many clients as the server has connections, on the same server and so
        with the same durability (synchronous_commit)."""
        script = self.data_dir / "raw-insert.pgbench"
        script.write_text(self.raw_insert_sql(per_transaction, idempotent))
        out = run(
            [pgbench_binary(), "-n", "-c", str(connections), "-j", "2", "-T", str(seconds),
             "-f", str(script), self.url]
        ).stdout
        rate = float(re.search(r"tps = ([\d.]+)", out).group(1)) * per_transaction
        self.delete_raw_rows()
        synchronous = self.psql(self.url, "SHOW synchronous_commit").stdout.strip()
        clients = f"{connections} client" + ("s" if connections != 1 else "")
        return rate, (f"rows into `visits`, pgbench, {clients}, "
                      f"synchronous_commit={synchronous}")

    # What the baseline's rows say in place of a summary, to find them again.
    RAW_MARK = "bench: raw insert"

    def raw_insert_sql(self, per_transaction, idempotent=False):
        """An INSERT of `per_transaction` copies of a demo visit (one that names no
        household: a household adds its own row's work) under new random ids: the
        primary key's leaves are reached at random, as the phones' own ids reach them.
        `idempotent`: as fieldweek files them, each row inserted unless its id is there
        already, and the ids inserted returned."""
        template = json.loads(self.rows(
            "SELECT row_to_json(v) FROM visits v WHERE household_id IS NULL LIMIT 1")[0][0])
        template["summary"] = self.RAW_MARK
        columns = [c for c in template if c != "id"]
        return (f"INSERT INTO visits (id, {', '.join(columns)}) SELECT "
                f"gen_random_uuid()::text, {', '.join(pg_literal(template[c]) for c in columns)} "
                f"FROM generate_series(1, {per_transaction})"
                + (" ON CONFLICT DO NOTHING RETURNING id" if idempotent else "") + ";\n")

    def delete_raw_rows(self):
        self.psql(self.url, f"DELETE FROM visits WHERE summary = '{self.RAW_MARK}'")

    def cli(self, sql_file):
        """Runs a file of SQL in psql, its output thrown away."""
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.url, "-f", str(sql_file)],
            stdout=subprocess.DEVNULL, check=True,
        )

    def export_sql(self, start, end):
        return EXPORT_SQL.format(
            target_groups=TARGET_GROUPS_SQL,
            start=sql_time(start, "postgres"),
            end=sql_time(end, "postgres"),
        ).rstrip().rstrip(";")

    def export_cli(self, sql_file):
        query = Path(sql_file).read_text().replace("\n", " ")
        copy = Path(sql_file).with_suffix(".copy.sql")
        copy.write_text(f"\\copy ({query}) TO '/dev/null' WITH (FORMAT csv, HEADER)\n")
        self.cli(copy)
        return "psql \\copy"


def pgbench_binary():
    """pgbench, on the PATH or where Debian's postgresql-contrib puts it."""
    found = shutil.which("pgbench") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None)
    if found is None:
        raise SystemExit("pgbench not found: install postgresql-contrib")
    return str(found)


def pg_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


# The same rows and columns as the visits CSV export, joined in the database.
EXPORT_SQL = """SELECT v.id, v.visited_at, v.visited_on, v.author_id, u.display_name,
 v.area_code, a.name_th, v.lat, v.lon, v.accuracy_m, v.activity, {target_groups},
 v.households_visited, v.people_reached, v.summary, v.needs, v.follow_up_needed,
 v.review_status, v.flags
FROM visits v JOIN users u ON u.id = v.author_id LEFT JOIN areas a ON a.code = v.area_code
WHERE v.visited_at >= {start} AND v.visited_at < {end}
ORDER BY v.visited_at, v.id;
"""

# The bits of `visits.target_groups` (src/visits/mod.rs), spelled out in alphabetical
# order and joined by ';' as the export writes them.
TARGET_GROUP_BITS = {
    "children": 1, "youth": 2, "women": 4, "families": 8, "elderly": 16, "disabled": 32,
    "underprivileged": 64, "low_income": 128, "homeless": 256, "beggars": 512,
}
TARGET_GROUPS_SQL = "rtrim(" + " || ".join(
    f"CASE WHEN v.target_groups & {bit} <> 0 THEN '{name};' ELSE '' END"
    for name, bit in sorted(TARGET_GROUP_BITS.items())
) + ", ';')"


def sql_time(value, engine):
    text = value.replace("T", " ")
    return f"'{text}'" if engine == "sqlite" else f"TIMESTAMP '{text}'"


# ---------------------------------------------------------------- replaying SQL

LOGGED_SQL = re.compile(r"elapsed_ms=\S+ failed=\S+ sql=(.*) -- binds: (\[.*\])\s*$")


def parse_binds(text):
    """Diesel's debug list of bind values, as Python values (strings, numbers,
    booleans, None, timestamps kept as `Timestamp`, lists for PostgreSQL arrays). A
    value in a wrapper (`Some(…)`, or a newtype such as `UserId("…")`) is what it holds."""
    tokens = re.findall(
        r'"(?:[^"\\]|\\.)*"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?|[A-Z]\w*\(|None|true|false'
        r"|-?\d+\.\d+(?:e-?\d+)?|-?\d+|[\[\](),]",
        text,
    )
    position = 0

    def value():
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "[":
            items = []
            while tokens[position] != "]":
                items.append(value())
                if tokens[position] == ",":
                    position += 1
            position += 1
            return items
        if token.endswith("("):
            inner = value()
            position += 1  # ")"
            return inner
        if token == "None":
            return None
        if token in ("true", "false"):
            return token == "true"
        if token.startswith('"'):
            return json.loads(token)
        if "T" in token:
            return Timestamp(token)
        return float(token) if "." in token else int(token)

    return value()


class Timestamp(str):
    pass


def literal(value, engine):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("1" if value else "0") if engine == "sqlite" else ("TRUE" if value else "FALSE")
    if isinstance(value, Timestamp):
        return sql_time(value, engine)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list):
        return "ARRAY[" + ", ".join(literal(v, engine) for v in value) + "]"
    return repr(value)


def inline_binds(sql, binds, engine):
    if engine == "sqlite":
        parts = sql.split("?")
        assert len(parts) == len(binds) + 1, sql
        return "".join(p + literal(b, engine) for p, b in zip(parts, binds)) + parts[-1]
    return re.sub(r"\$(\d+)", lambda m: literal(binds[int(m.group(1)) - 1], engine), sql)


def captured_statements(log_path, offset, engine):
    """The statements a request ran, from the server's SQL log after `offset`, ready
    for the CLI."""
    statements = []
    with open(log_path, "rb") as log_file:
        log_file.seek(offset)
        lines = log_file.read().decode(errors="replace").splitlines()
    for line in lines:
        match = LOGGED_SQL.search(line)
        if not match:
            continue
        sql, binds = match.group(1), parse_binds(match.group(2))
        if "webhook_outbox" in sql or sql.strip() == "SELECT 1":
            continue  # the background dispatcher and the pool's checks, not the request
        if sql.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SET ")):
            continue
        statements.append(inline_binds(sql, binds, engine).replace("`", '"') + ";")
    return statements


# ---------------------------------------------------------------- measurements


def median_seconds(action, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def newest_demo_visit(db):
    """The time (UTC) of the newest demo visit. The benchmark's own visits are filed at
    that time and its report and export are of that visit's Bangkok week, not simply of
    the current week: early on a Monday in Bangkok no field hour of the new week has
    passed, and the demo data goes into the week before."""
    newest = db.rows("SELECT max(visited_at) FROM visits")[0][0]
    return dt.datetime.fromisoformat(newest.replace("T", " ").rstrip("Z"))


def bangkok_week(utc):
    y, w, _ = (utc + dt.timedelta(hours=7)).isocalendar()
    return f"{y}-W{w:02d}"


def load_demo_data(db, options):
    """A fresh database with the demo data; returns how long the load took (s)."""
    log(f"{db.name}: loading demo data ({options.visits:,} visits)")
    db.reset()
    env = dict(os.environ, DATABASE_URL=db.url, FIELDWEEK_DATA_DIR=str(db.data_dir))
    started = time.perf_counter()
    run([BINARY, "demo-data", "--provinces", "77", "--volunteers-per-province",
         str(options.volunteers), "--officials-per-province", "20", "--weeks", "1",
         "--visits", str(options.visits), "--grievances", str(options.grievances)], env=env)
    seconds = time.perf_counter() - started
    db.settle()
    return seconds


def grievance_list(server, db, options):
    """The supervisor of the province with the most grievances reading the first page of
    their list, newest first, again and again, from `read_connections` clients (a page
    takes long enough for a few of them to keep both cores busy)."""
    province, count = db.rows(
        "SELECT province_code, count(*) FROM grievances GROUP BY province_code "
        "ORDER BY count(*) DESC, province_code LIMIT 1")[0]
    token = server.login(f"demo.sup.{province}")
    path = f"/api/v1/grievances?limit={GRIEVANCE_PAGE}"
    page = server.request("GET", path, token)["items"]
    figures = wrk(server.base, options.seconds, options.read_connections, "get_page.lua",
                  (token, path), timeout=60)
    figures.update(
        province=province, grievances=int(count), rows=len(page),
        with_duplicates=sum(1 for grievance in page if grievance["possible_duplicates"]))
    return figures


def bench_engine(engine_name, db, options):
    results = {"engine": db.name}
    work = WORK / engine_name
    work.mkdir(parents=True, exist_ok=True)
    seconds, conns = options.seconds, options.connections

    results["load_seconds"] = load_demo_data(db, options)
    server = Server(engine_name, db.url, db.data_dir, options.port, conns)
    try:
        time.sleep(1)
        results["rss_idle_kib"] = server.memory_kib("VmRSS")
        admin = server.login("demo.admin")
        supervisor = server.login(f"demo.sup.{PROVINCE}")
        volunteer = server.login(f"demo.vol.{PROVINCE}.1")

        ids = work / "visit-ids.txt"
        ids.write_text("\n".join(
            row[0] for row in db.rows(
                f"SELECT id FROM visits WHERE province_code = '{PROVINCE}' "
                "ORDER BY id LIMIT 2000")) + "\n")
        # Where the volunteer files: one of its own visits, or (in a small data set,
        # where it may have none) another visit of its area.
        lat, lon = db.rows(
            f"SELECT v.lat, v.lon FROM visits v JOIN users u ON u.username = "
            f"'demo.vol.{PROVINCE}.1' WHERE v.area_code = u.area_code "
            "ORDER BY v.author_id = u.id DESC LIMIT 1")[0]
        newest = newest_demo_visit(db)
        visited_at = newest.strftime("%Y-%m-%dT%H:%M:%SZ")
        usernames = work / "usernames.txt"
        usernames.write_text("\n".join(
            f"demo.vol.{p}.{n}" for p in (10, 30, 40, 50, 90)
            for n in range(1, min(200, options.volunteers) + 1)) + "\n")

        log(f"{db.name}: GET /healthz and GET /visits/{{id}}")
        results["healthz"] = wrk(server.base + "/healthz", seconds, conns)
        results["get_visit"] = wrk(server.base, seconds, conns, "get_visit.lua",
                                   (supervisor, ids))
        log(f"{db.name}: a supervisor's grievance list")
        results["grievance_list"] = grievance_list(server, db, options)

        log(f"{db.name}: reads alone and beside a login flood, then beside a CPU hog")
        supervisor = server.login(f"demo.sup.{PROVINCE}")  # good for the whole phase

        def reads(warm_up):
            return wrk(server.base, seconds, options.read_connections, "get_visit.lua",
                       (supervisor, ids), warm_up=warm_up)

        results["flood_pairs"] = alternate(
            reads, lambda: login_flood(server, seconds, options, usernames),
            options.flood_pairs)
        results["hog_pairs"] = alternate(reads, idle_cpu_hog, options.flood_pairs)

        log(f"{db.name}: single and batch visit submission, raw insert baseline")
        results["raw_insert"] = db.raw_insert_rate(seconds, conns)
        if engine_name == "postgres":
            # The issue's own baseline is a small loop: one client, one row a commit.
            # The figure's target is judged against the stricter baseline above (as many
            # clients as the server has connections, whose commits PostgreSQL flushes
            # together); this one is shown beside it.
            results["raw_insert_loop"] = db.raw_insert_rate(seconds, 1)
        results["raw_batch_insert"] = db.raw_insert_rate(
            seconds, options.batch_connections, per_transaction=200)
        volunteer = server.login(f"demo.vol.{PROVINCE}.1")
        results["single"] = wrk(server.base, seconds, conns, "post_visit.lua",
                                (volunteer, lat, lon, visited_at))
        results["batch"] = wrk(server.base, seconds, options.batch_connections,
                               "post_batch.lua", (volunteer, lat, lon, visited_at, 200))

        week = bangkok_week(newest)
        log(f"{db.name}: weekly summary of {week}, whole country")
        admin = server.login("demo.admin")
        weekly_path = f"/api/v1/reports/weekly?week={week}"
        report = server.request("GET", weekly_path, admin)
        results["weekly_visits"] = report["visits"]["total"]
        results["weekly"] = median_seconds(
            lambda: server.request("GET", weekly_path, admin), options.runs)

        log(f"{db.name}: CSV export of the week's visits")
        start, end = week_span(db, week)
        export_sql = work / "export.sql"
        export_sql.write_text(db.export_sql(start, end))
        results["export_rows"] = int(db.rows(
            f"SELECT count(*) FROM visits WHERE visited_at >= {sql_time(start, engine_name)} "
            f"AND visited_at < {sql_time(end, engine_name)}")[0][0])
        # Once unmeasured, so that both timed exports find the week's rows in the same
        # caches: the one timed first would otherwise read them from the disk.
        db.export_cli(export_sql)
        rss_before = server.memory_kib("VmRSS")
        results["rss_peak_kib"] = server.memory_kib("VmHWM")
        server.reset_peak_memory()
        export_url = (f"{server.base}/api/v1/reports/weekly/export?week={week}"
                      "&format=csv&dataset=visits")
        started = time.perf_counter()
        run(["curl", "-sf", "-o", "/dev/null", "-H", f"Authorization: Bearer {admin}",
             export_url])
        results["export_seconds"] = time.perf_counter() - started
        results["export_growth_kib"] = server.memory_kib("VmHWM") - rss_before
        results["rss_peak_kib"] = max(results["rss_peak_kib"], server.memory_kib("VmHWM"))
        started = time.perf_counter()
        results["export_cli_tool"] = db.export_cli(export_sql)
        results["export_cli_seconds"] = time.perf_counter() - started
    finally:
        server.stop()

    log(f"{db.name}: the weekly summary's own statements, replayed in the CLI")
    capture = Server(engine_name, db.url, db.data_dir, options.port, conns,
                     rust_log="warn,fieldweek::sql=debug")
    try:
        token = capture.login("demo.admin")
        offset = capture.log_path.stat().st_size  # only the report's statements from here
        capture.request("GET", weekly_path, token)
        time.sleep(0.5)
    finally:
        capture.stop()
    statements = captured_statements(capture.log_path, offset, engine_name)
    replay = work / "weekly.sql"
    replay.write_text("\n".join(statements) + "\n")
    results["weekly_statements"] = len(statements)
    results["weekly_cli"] = median_seconds(lambda: db.cli(replay), options.runs)
    return results


def bench_grievance_list(engine_name, db, options):
    """Only the grievance-list figure and its baseline, on the same demo data as a full
    run: for measuring a change to that figure without the other phases."""
    results = {"engine": db.name}
    load_demo_data(db, options)
    server = Server(engine_name, db.url, db.data_dir, options.port, options.connections)
    try:
        log(f"{db.name}: GET /healthz and a supervisor's grievance list")
        results["healthz"] = wrk(server.base + "/healthz", options.seconds, options.connections)
        results["grievance_list"] = grievance_list(server, db, options)
    finally:
        server.stop()
    return results


def sync_feed(server, db, options):
    """A volunteer's phone reading one page of SYNC_PAGE changes of its feed, after a
    cursor, again and again. Demo volunteers hold a dozen visits each, so this one files
    SYNC_PAGE + 50 more first (in batches, as a phone syncing after a week offline)."""
    username = f"demo.vol.{PROVINCE}.1"
    lat, lon = db.rows(
        f"SELECT v.lat, v.lon FROM visits v JOIN users u ON u.username = '{username}' "
        "WHERE v.area_code = u.area_code ORDER BY v.author_id = u.id DESC LIMIT 1")[0]
    token = server.login(username)
    visited_at = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    for _ in range(3):
        visits = [{
            "id": str(uuid.uuid4()), "visited_at": visited_at,
            "location": {"lat": float(lat), "lon": float(lon)}, "target_groups": ["elderly"],
            "activity": "home_visit", "households_visited": 1, "people_reached": 2,
            "summary": "เยี่ยมบ้านผู้สูงอายุ", "follow_up_needed": False,
        } for _ in range((SYNC_PAGE + 50) // 3 + 1)]
        answer = server.request("POST", "/api/v1/visits/batch", token, {"visits": visits})
        refused = [r for r in answer["results"] if r["status"] != 201]
        if refused:
            raise SystemExit(f"the volunteer's visits were not filed: {refused[:2]}")
    # The cursor after the first change: every read below is a page of changes, not a
    # first sync.
    first = server.request("GET", "/api/v1/sync/changes?limit=1", token)
    path = f"/api/v1/sync/changes?limit={SYNC_PAGE}&cursor={first['next_cursor']}"
    page = server.request("GET", path, token)
    figures = wrk(server.base, options.seconds, options.read_connections, "get_page.lua",
                  (token, path), timeout=60)
    figures.update(changes=len(page["changes"]), has_more=page["has_more"],
                   visits=int(db.rows("SELECT count(*) FROM visits")[0][0]))
    return figures


def bench_sync_feed(engine_name, db, options):
    """Only the sync-feed figure and its baseline, on the demo data of a full run."""
    results = {"engine": db.name}
    load_demo_data(db, options)
    server = Server(engine_name, db.url, db.data_dir, options.port, options.connections)
    try:
        log(f"{db.name}: GET /healthz and a page of the sync feed")
        results["healthz"] = wrk(server.base + "/healthz", options.seconds, options.connections)
        results["sync_feed"] = sync_feed(server, db, options)
    finally:
        server.stop()
    return results


def console_session(server, username):
    """Signs in through the console's form, as a browser does; returns the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(server.base + "/console/login", timeout=60).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrf": csrf, "next": "/console/"})
    opener.open(server.base + "/console/login", data=form.encode(), timeout=60).read()
    return next(c.value for c in jar if c.name == "fw_session")


def console_queue(server, db, options):
    """The queue's first page (open grievances, deadline first, 50 rows and the six tab
    counts, rendered) beside the API's list of the same filter (the same page, counted),
    for the supervisor of a province holding QUEUE_GRIEVANCES grievances; alternated
    `runs` times, each side's median p50 and p99 kept."""
    province, count = db.rows(
        "SELECT province_code, count(*) FROM grievances GROUP BY province_code "
        "ORDER BY count(*) DESC, province_code LIMIT 1")[0]
    username = f"demo.sup.{province}"
    token = server.login(username)
    cookie = console_session(server, username)
    open_statuses = "submitted,accepted,assigned,in_progress,referred"
    api_path = f"/api/v1/grievances?status={open_statuses}&sort=due_at&limit=50&count=true"
    console_path = "/console/grievances?view=open"
    sides = {"api": [], "console": []}
    for _ in range(options.runs):
        sides["api"].append(wrk(server.base, options.seconds, options.read_connections,
                                "get_page.lua", (token, api_path), timeout=60))
        sides["console"].append(wrk(server.base, options.seconds, options.read_connections,
                                    "get_console.lua", (cookie, console_path), timeout=60))

    def median_of(runs):
        keep = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")}
        keep["non_2xx"] = sum(r["non_2xx"] for r in runs)
        keep["socket_errors"] = "; ".join(r["socket_errors"] for r in runs if r["socket_errors"])
        return keep

    figures = {side: median_of(runs) for side, runs in sides.items()}
    figures.update(province=province, grievances=int(count),
                   non_2xx=figures["api"]["non_2xx"] + figures["console"]["non_2xx"],
                   socket_errors=figures["api"]["socket_errors"]
                   + figures["console"]["socket_errors"])
    return figures


def bench_console_queue(engine_name, db, options):
    """Only the console-queue figure, on a province with QUEUE_GRIEVANCES grievances."""
    results = {"engine": db.name}
    # What the report's line on how the rows were taken names.
    options.visits, options.grievances = 20_000, QUEUE_GRIEVANCES
    log(f"{db.name}: loading one province with {QUEUE_GRIEVANCES:,} grievances")
    db.reset()
    env = dict(os.environ, DATABASE_URL=db.url, FIELDWEEK_DATA_DIR=str(db.data_dir))
    run([BINARY, "demo-data", "--provinces", "1", "--weeks", "4", "--visits", "20000",
         "--grievances", str(QUEUE_GRIEVANCES)], env=env)
    db.settle()
    server = Server(engine_name, db.url, db.data_dir, options.port, options.connections)
    try:
        log(f"{db.name}: GET /healthz, the queue page and the API's list beside it")
        results["healthz"] = wrk(server.base + "/healthz", options.seconds, options.connections)
        results["console_queue"] = console_queue(server, db, options)
    finally:
        server.stop()
    return results


def week_span(db, week):
    """The UTC bounds of a Bangkok ISO week (Monday 00:00 +07:00)."""
    year, number = week.split("-W")
    monday = dt.date.fromisocalendar(int(year), int(number), 1)
    start = dt.datetime.combine(monday, dt.time()) - dt.timedelta(hours=7)
    end = start + dt.timedelta(days=7)
    return start.isoformat(), end.isoformat()


# ---------------------------------------------------------------- the report


def machine():
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    commit = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).stdout.strip()
    dirty = run(["git", "-C", str(ROOT), "status", "--porcelain", "--", ".",
                 ":!BENCHMARKS.md"]).stdout.strip()
    return {
        "cpu": f"{os.cpu_count()} × {cpu}",
        "memory": f"{memory} GiB",
        "kernel": platform.release(),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def verdict(ok):
    return "meets target" if ok else "**misses target**"


def p99_beside(pairs):
    """The median p99 alone and beside the load, and the median of each pair's ratio."""
    ratios = [pair["beside"]["p99_ms"] / pair["alone"]["p99_ms"] for pair in pairs]
    return {
        "alone": statistics.median(pair["alone"]["p99_ms"] for pair in pairs),
        "beside": statistics.median(pair["beside"]["p99_ms"] for pair in pairs),
        "ratio": statistics.median(ratios),
        "each": "median of " + ", ".join(f"{ratio:.2f}×" for ratio in ratios),
    }


def mean_cpu(pairs, side):
    """Each CpuWatch figure averaged over the pairs (the worst steal: its worst)."""
    summaries = [pair[side] for pair in pairs if pair[side]]
    if not summaries:
        return {"busy_mean": 0, "iowait_mean": 0, "steal_mean": 0, "steal_max": 0}
    averaged = {key: statistics.mean(s[key] for s in summaries) for key in summaries[0]}
    averaged["steal_max"] = max(s["steal_max"] for s in summaries)
    return averaged


def significant(value, digits=2):
    """A positive number with `digits` significant digits and no exponent (0.00031)."""
    decimals = max(0, digits - 1 - math.floor(math.log10(value))) if value > 0 else digits
    return f"{value:.{decimals}f}"


def grievance_list_row(r, commit):
    page, health = r["grievance_list"], r["healthz"]["rps"]
    figure = (f"{GRIEVANCE_LIST} (`GET /grievances?limit={GRIEVANCE_PAGE}`, {page['rows']} "
              f"rows of province {page['province']}, {page['with_duplicates']} with possible "
              f"duplicates), at {commit}")
    return (f"| {figure} | {page['rps']:,.1f} pages/s (p99 {page['p99_ms']:,.0f} ms) | "
            f"{health:,.0f} req/s `GET /healthz` | {significant(page['rps'] / health)} | "
            "(context) | |")


def sync_feed_row(r, commit):
    feed, health = r["sync_feed"], r["healthz"]["rps"]
    figure = (f"{SYNC_FEED} (`GET /sync/changes?limit={SYNC_PAGE}&cursor=…`, "
              f"{feed['changes']} changes of one volunteer, {feed['visits']:,} visits in the "
              f"table), at {commit}")
    return (f"| {figure} | {feed['rps']:,.0f} pages/s (p99 {feed['p99_ms']:,.1f} ms) | "
            f"{health:,.0f} req/s `GET /healthz` | {significant(feed['rps'] / health)} | "
            "(context) | |")


def console_queue_row(r, commit):
    queue = r["console_queue"]
    page, api = queue["console"], queue["api"]
    ratio_50, ratio_99 = page["p50_ms"] / api["p50_ms"], page["p99_ms"] / api["p99_ms"]
    figure = (f"{CONSOLE_QUEUE} (`/console/grievances?view=open`: 50 rows, six tab counts, "
              f"rendered; province {queue['province']} with {queue['grievances']:,} "
              f"grievances), at {commit}")
    return (f"| {figure} | p50 {page['p50_ms']:,.1f} ms, p99 {page['p99_ms']:,.1f} ms "
            f"({page['rps']:,.1f} pages/s) | the API's list of the same filter (`count=true`): "
            f"p50 {api['p50_ms']:,.1f} ms, p99 {api['p99_ms']:,.1f} ms | "
            f"{significant(ratio_50)} (p99 {significant(ratio_99)}) | within 1.5 | "
            f"{verdict(ratio_50 <= 1.5 and ratio_99 <= 1.5)} |")


def errors_in(figures):
    return figures["non_2xx"] or figures["socket_errors"]


def engine_section(r, options, commit):
    rows = []

    def add(figure, value, baseline, ratio, target, ok):
        rows.append(f"| {figure} | {value} | {baseline} | {ratio} | {target} | {verdict(ok)} |")

    single = r["single"]["rps"]
    raw, raw_how = r["raw_insert"]
    add("Single visit submission (`POST /visits`)", f"{single:,.0f} visits/s",
        f"{raw:,.0f} rows/s raw insert ({raw_how})", f"{single / raw:.2f}", "≥ 0.8",
        single / raw >= 0.8)
    if "raw_insert_loop" in r:
        loop, loop_how = r["raw_insert_loop"]
        rows.append(f"| Single visit submission, against a small loop | {single:,.0f} visits/s | "
                    f"{loop:,.0f} rows/s raw insert ({loop_how}) | {single / loop:.2f} | "
                    "(context) | |")
    batch = r["batch"]["rps"] * 200
    add("Batch sync (`POST /visits/batch`, 200 a request)", f"{batch:,.0f} visits/s",
        f"{single:,.0f} visits/s single", f"{batch / single:.1f}×", "≥ 10×",
        batch / single >= 10)
    raw_batch, raw_batch_how = r["raw_batch_insert"]
    rows.append(f"| Batch sync, against the database's own batches | {batch:,.0f} visits/s | "
                f"{raw_batch:,.0f} rows/s raw insert, 200 a transaction ({raw_batch_how}) | "
                f"{batch / raw_batch:.2f} | (context) | |")
    get, health = r["get_visit"]["rps"], r["healthz"]["rps"]
    add("Authenticated `GET /visits/{id}`", f"{get:,.0f} req/s (p99 {r['get_visit']['p99_ms']:.1f} ms)",
        f"{health:,.0f} req/s `GET /healthz`", f"{get / health:.2f}", "≥ 0.3", get / health >= 0.3)
    flood, hog = p99_beside(r["flood_pairs"]), p99_beside(r["hog_pairs"])
    logins = statistics.median(pair["load"]["rps"] for pair in r["flood_pairs"])
    add("Read p99 during a login flood",
        f"{flood['beside']:.1f} ms ({logins:,.0f} logins/s)", f"{flood['alone']:.1f} ms without",
        f"{flood['ratio']:.2f}× ({flood['each']})", "≤ 3×", flood["ratio"] <= 3)
    rows.append(f"| Read p99 beside a CPU hog outside fieldweek, at its hashing's priority "
                f"(the machine's own) | {hog['beside']:.1f} ms | {hog['alone']:.1f} ms without | "
                f"{hog['ratio']:.2f}× ({hog['each']}) | (context) | |")
    weekly, cli = r["weekly"], r["weekly_cli"]
    add(f"Weekly summary, whole country ({r['weekly_visits']:,} visits in the week)",
        f"{weekly:.2f} s", f"{cli:.2f} s, its {r['weekly_statements']} statements in the CLI",
        f"{weekly / cli:.2f}×", "≤ 2×", weekly / cli <= 2)
    export, export_cli = r["export_seconds"], r["export_cli_seconds"]
    # The peak can sit below the RSS taken before (pages given back meanwhile): no growth.
    growth_mb = max(0.0, r["export_growth_kib"] / 1024)
    add(f"CSV export of {r['export_rows']:,} visits",
        f"{export:.1f} s, memory +{growth_mb:.1f} MiB",
        f"{export_cli:.1f} s `{r['export_cli_tool']}`", f"{export_cli / export:.2f}",
        "≥ 0.5, < 20 MB", export_cli / export >= 0.5 and growth_mb < 20)
    rows.append(grievance_list_row(r, commit))
    timed = {name: r[name]
             for name in ("healthz", "get_visit", "grievance_list", "single", "batch")}
    for kind in ("flood_pairs", "hog_pairs"):
        for n, pair in enumerate(r[kind]):
            timed[f"{kind} {n + 1} reads alone"] = pair["alone"]
            timed[f"{kind} {n + 1} reads beside"] = pair["beside"]
    errors = [name for name, figures in timed.items() if errors_in(figures)]
    lines = [
        f"### {r['engine']}",
        "",
        "| Figure | fieldweek | Baseline, same run | Ratio | Target | |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Server memory: {r['rss_idle_kib'] / 1024:.0f} MiB resident when idle after start, "
        f"{r['rss_peak_kib'] / 1024:.0f} MiB at the peak of the whole run. "
        f"Demo data ({options.visits:,} visits) loaded in {r['load_seconds']:.0f} s.",
        "",
        "Latency (p50 / p90 / p99, ms): "
        + "; ".join(
            f"{label} {r[k]['p50_ms']:.2f} / {r[k]['p90_ms']:.2f} / {r[k]['p99_ms']:.2f}"
            for label, k in (("healthz", "healthz"), ("GET visit", "get_visit"),
                             ("single POST", "single"), ("batch POST", "batch"))),
        "",
    ]
    lines += [
        "The machine's CPUs while the reads were timed (mean of the pairs; busy includes "
        "time stolen by the host, %): "
        + "; ".join(
            f"{label} busy {cpu['busy_mean']:.0f}, iowait {cpu['iowait_mean']:.1f}, "
            f"stolen {cpu['steal_mean']:.1f} (worst half-second {cpu['steal_max']:.0f})"
            for label, cpu in (
                ("reads alone:", mean_cpu(r["flood_pairs"] + r["hog_pairs"], "cpu_alone")),
                ("beside the login flood:", mean_cpu(r["flood_pairs"], "cpu_beside")),
                ("beside the CPU hog:", mean_cpu(r["hog_pairs"], "cpu_beside"))))
        + ".",
        "",
    ]
    if errors:
        lines += [f"Non-2xx answers or socket errors in: {', '.join(errors)}.", ""]
    return "\n".join(lines)


def command_line():
    return "bash bench/run.sh" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")


def write_report(all_results, options, path):
    m = machine()
    command = command_line()
    text = [
        "# Benchmarks",
        "",
        "Every figure below stands beside a baseline measured in the same run on the same",
        "machine, and the ratio between them is what to compare across machines. The file",
        "is written by the harness; the section after the figures is kept by hand.",
        "",
        f"- Command: `{command}`",
        f"- Machine: {m['cpu']}, {m['memory']}, Linux {m['kernel']}; load generator (wrk) "
        "and databases on the same machine",
        f"- Commit: {m['commit']}, {m['date']}",
        f"- Data: `fieldweek demo-data` with {options.visits:,} visits in one week, "
        f"77 provinces × {options.volunteers} volunteers + 20 officials, "
        f"{options.grievances:,} grievances",
        f"- Load: wrk, {options.seconds} s a phase after {WARM_UP_SECONDS} s unmeasured, "
        f"{options.connections} connections "
        f"({options.read_connections} for the login-flood reads, "
        f"{options.login_connections} logging in, {options.batch_connections} for batches); "
        f"timed requests are the median of {options.runs}; read p99 alone and beside a "
        f"load in {options.flood_pairs} alternated pairs",
        "",
        "## Figures",
        "",
        *[engine_section(r, options, m["commit"]) for r in all_results],
    ]
    notes = BENCH / "NOTES.md"
    if notes.exists():
        text += [notes.read_text()]
    Path(path).write_text("\n".join(text))
    raw = WORK / "results.json"
    raw.write_text(json.dumps(all_results, indent=2, default=str))
    log(f"wrote {path} (raw figures in {raw})")


def update_only_rows(all_results, options, path, key, title, make_row, how_label):
    """Puts this run's grievance-list rows into an existing report: in place of a row of
    the same commit, else after the last row of the engine's table, so that figures of
    other commits (a change's before and after) stay beside them. A line of the header
    says how they were taken; everything else stays as it was."""
    m = machine()
    report = Path(path)
    if not report.exists():
        raise SystemExit(f"{path} does not exist: run the whole benchmark first")
    lines = report.read_text().split("\n")
    for r in all_results:
        if errors_in(r[key]) or errors_in(r["healthz"]):
            raise SystemExit(f"{r['engine']}: non-2xx answers or socket errors: "
                             f"{json.dumps(r, default=str)}")
        heading = lines.index(f"### {r['engine']}") if f"### {r['engine']}" in lines else None
        if heading is None:
            raise SystemExit(f"{path} has no {r['engine']} section: run the whole benchmark")
        start = next(n for n in range(heading, len(lines)) if lines[n].startswith("|"))
        end = next(n for n in range(start, len(lines) + 1)
                   if n == len(lines) or not lines[n].startswith("|"))
        row = make_row(r, m["commit"])
        same_commit = [n for n in range(start, end)
                       if lines[n].startswith(f"| {title} ")
                       and lines[n].split(" | ")[0].endswith(f", at {m['commit']}")]
        if same_commit:
            lines[same_commit[0]] = row
        else:
            lines.insert(end, row)
    how = (f"- {how_label} rows: `{command_line()}`, which loads the demo data afresh "
           f"({options.visits:,} visits, {options.grievances:,} grievances) and takes "
           f"`GET /healthz` and that figure only, {options.seconds} s a phase; each row names "
           f"its commit, the last taken {m['date']}")
    taken = [n for n, line in enumerate(lines) if line.startswith(f"- {how_label} rows:")]
    if taken:
        lines[taken[0]] = how
    else:
        lines.insert(next(n for n, line in enumerate(lines) if line.startswith("- Load:")) + 1,
                     how)
    report.write_text("\n".join(lines))
    raw = WORK / f"{key}.json"
    raw.write_text(json.dumps(all_results, indent=2, default=str))
    log(f"updated the {how_label.lower()} rows of {path} (raw figures in {raw})")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--volunteers", type=int, default=1000,
                        help="volunteers per province (77 provinces)")
    # 50,000 puts more than a page of GRIEVANCE_PAGE in the busiest of the 77 provinces
    # (at 20,000 the busiest had 295), so the grievance-list figure reads a full page.
    parser.add_argument("--grievances", type=int, default=50_000)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk phase")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--read-connections", type=int, default=4)
    parser.add_argument("--login-connections", type=int, default=8)
    parser.add_argument("--batch-connections", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--flood-pairs", type=int, default=3,
                        help="alternated pairs of reads alone and beside a login flood")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--only", choices=["grievance-list", "sync-feed", "console-queue"],
                        help="take only this figure and its baseline, and update its rows "
                             "of --out, leaving the rest of the file as it is")
    options = parser.parse_args()
    # A zero or negative count would fail later with a Python error, halfway through.
    for name in ("visits", "volunteers", "seconds", "connections", "read_connections",
                 "login_connections", "batch_connections", "runs", "flood_pairs"):
        if getattr(options, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    unknown = set(options.engines.split(",")) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"--engines: unknown {', '.join(sorted(unknown))} (sqlite, postgres)")

    bench = {"grievance-list": bench_grievance_list,
             "sync-feed": bench_sync_feed,
             "console-queue": bench_console_queue}.get(options.only, bench_engine)
    results = []
    for engine in options.engines.split(","):
        db = {"sqlite": Sqlite, "postgres": Postgres}[engine](WORK / engine)
        results.append(bench(engine, db, options))
    if options.only == "grievance-list":
        update_only_rows(results, options, options.out, "grievance_list", GRIEVANCE_LIST,
                         grievance_list_row, "Grievance list")
    elif options.only == "console-queue":
        update_only_rows(results, options, options.out, "console_queue", CONSOLE_QUEUE,
                         console_queue_row, "Console queue")
    elif options.only == "sync-feed":
        update_only_rows(results, options, options.out, "sync_feed", SYNC_FEED,
                         sync_feed_row, "Sync feed")
    else:
        write_report(results, options, options.out)


if __name__ == "__main__":
    main()
