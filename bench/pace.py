#!/usr/bin/env python3
"""PostgreSQL at its own tools' pace (issue 27): four figures of fieldweek on PostgreSQL,
each beside PostgreSQL's own tool doing the same work in the same run.

- The read tail: `GET /visits/{id}` at 16 connections (wrk), p50 and p99 in the median
  of 3 runs, beside pgbench running the same statements at the same concurrency.
- WAL a filed visit, right after a CHECKPOINT and in steady state, beside the WAL of a
  row pgbench inserts into the same table.
- Batch filing (`POST /visits/batch`, 200 a request) beside pgbench's 200-row
  transactions into the same table.
- The CSV export of a week beside `psql \\copy` of the same rows and columns.

    bash bench/run.sh --only pace          # through run.sh: builds, installs the tools
    python3 bench/pace.py --figures get    # one figure, on the database already loaded

Writes its section of BENCHMARKS.md (between the PACE markers) and the raw figures to
target/bench/pace.json.
"""

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import time
from pathlib import Path

import driver
from wal import visit_body

WORK = driver.WORK / "pace"
FIGURES = ("get", "wal", "batch", "export")
BEGIN_MARK = "<!-- pace: written by bench/pace.py -->"
END_MARK = "<!-- /pace -->"
# The tail's target: p99 at most this many times p50.
TAIL_TARGET = 5.0


def pgbench_latencies(db, script, seconds, clients, threads=2):
    """Runs a pgbench script for `seconds` and returns (transactions/s, latencies in ms
    of each transaction, from pgbench's own log)."""
    logs = WORK / "pgbench-logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    out = driver.run(
        [driver.pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads),
         "-T", str(seconds), "-l", "--log-prefix", str(logs / "tx"), "-f", str(script),
         db.url]).stdout
    rate = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latencies = []
    for log in logs.iterdir():
        for line in log.read_text().splitlines():
            # client_id transaction_no time script_no time_epoch time_us
            latencies.append(int(line.split()[2]) / 1000.0)
    return rate, latencies


class CpuShares:
    """CPU seconds spent during a phase by PostgreSQL (every backend, those that ended
    too), the fieldweek server and the load's own tools (wrk, pgbench, psql, curl): on
    two shared cores, what one of them takes the others cannot have."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, server):
        self.server = server

    @classmethod
    def postgres_seconds(cls):
        # A backend's own time, and through the postmaster's children's times those of
        # the backends that ended.
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            name = text[text.index("(") + 1:text.rindex(")")]
            if name in ("postgres", "postmaster"):
                fields = text[text.rindex(")") + 2:].split()
                total += sum(int(f) for f in fields[11:15])
        return total / cls.TICK

    def server_seconds(self):
        fields = Path(f"/proc/{self.server.process.pid}/stat").read_text()
        fields = fields[fields.rindex(")") + 2:].split()
        return sum(int(f) for f in fields[11:13]) / self.TICK

    @staticmethod
    def tools_seconds():
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def __enter__(self):
        self.started = (time.perf_counter(), self.postgres_seconds(),
                        self.server_seconds() if self.server else 0, self.tools_seconds())
        return self

    def __exit__(self, *exc):
        wall, pg, server, tools = self.started
        # The server's own time, as a child of this script, is not among the tools'.
        self.shares = {
            "wall": time.perf_counter() - wall,
            "postgres": self.postgres_seconds() - pg,
            "fieldweek": (self.server_seconds() - server) if self.server else 0,
            "tools": self.tools_seconds() - tools,
        }


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def captured(server_args, username, path):
    """The SQL statements a GET of `path` by `username` makes the server run, with their
    binds inlined."""
    server = driver.Server(*server_args, rust_log="warn,fieldweek::sql=debug")
    try:
        token = server.login(username)
        time.sleep(0.5)
        offset = server.log_path.stat().st_size
        server.request("GET", path, token)
        time.sleep(0.5)
    finally:
        server.stop()
    return driver.captured_statements(server.log_path, offset, "postgres")


# ------------------------------------------------------------------ the four figures


def read_tail(db, server, server_args, options):
    """GET /visits/{id} at `connections`, 3 runs; and pgbench on the same statements."""
    supervisor = server.login(f"demo.sup.{driver.PROVINCE}")
    ids = [row[0] for row in db.rows(
        f"SELECT id FROM visits WHERE province_code = '{driver.PROVINCE}' ORDER BY id LIMIT 2000")]
    ids_file = WORK / "visit-ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    runs = []
    for _ in range(options.runs):
        with CpuShares(server) as cpu:
            runs.append(driver.wrk(server.base, options.seconds, options.connections,
                                   "get_visit.lua", (supervisor, ids_file)))
        runs[-1]["cpu"] = cpu.shares
    # The same statements, taken from the server's own log for one of the ids, replayed by
    # pgbench with the id drawn at random from the same 2,000 (a subquery in each
    # statement, so the round trips stay the same).
    server.stop()
    statements = captured(server_args, f"demo.sup.{driver.PROVINCE}",
                          f"/api/v1/visits/{ids[0]}")
    db.psql(db.url, "DROP TABLE IF EXISTS pace_ids; CREATE TABLE pace_ids "
                    "(n int PRIMARY KEY, id text NOT NULL)")
    db.psql(db.url, "INSERT INTO pace_ids SELECT n, id FROM (SELECT row_number() OVER "
                    f"(ORDER BY id) AS n, id FROM visits WHERE province_code = "
                    f"'{driver.PROVINCE}' ORDER BY id LIMIT 2000) chosen")
    drawn = "(SELECT id FROM pace_ids WHERE n = :k)"
    lines = [f"\\set k random(1, {len(ids)})"]
    for sql in statements:
        if sql.strip().upper().startswith(("BEGIN", "COMMIT")):
            lines.append(sql.strip().rstrip(";") + ";")
            continue
        lines.append(sql.replace(f"'{ids[0]}'", drawn).rstrip().rstrip(";") + ";")
    script = WORK / "get-visit.pgbench"
    script.write_text("\n".join(lines) + "\n")
    baselines = []
    for _ in range(options.runs):
        with CpuShares(None) as cpu:
            rate, latencies = pgbench_latencies(db, script, options.seconds,
                                                options.connections)
        baselines.append({"rps": rate, "p50_ms": percentile(latencies, 50),
                          "p99_ms": percentile(latencies, 99), "cpu": cpu.shares})
    db.psql(db.url, "DROP TABLE pace_ids")
    restarted = driver.Server(*server_args)
    return restarted, {
        "runs": runs, "baseline_runs": baselines, "statements": statements,
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "rps": statistics.median(r["rps"] for r in runs),
        "baseline_p50_ms": statistics.median(r["p50_ms"] for r in baselines),
        "baseline_p99_ms": statistics.median(r["p99_ms"] for r in baselines),
        "baseline_rps": statistics.median(r["rps"] for r in baselines),
    }


def wal_a_row(db, action, count):
    start = db.rows("SELECT pg_current_wal_lsn()")[0][0]
    action(count)
    end = db.rows("SELECT pg_current_wal_lsn()")[0][0]
    return int(db.rows(f"SELECT pg_wal_lsn_diff('{end}', '{start}')")[0][0]) / count


def wal(db, server, options, filing):
    """WAL a visit filed one request at a time, after a CHECKPOINT and in steady state;
    the same of a row pgbench inserts, one a transaction, into the same table."""
    token, lat, lon, _ = filing
    count = options.wal_visits
    area = server.request("GET", "/api/v1/me", token)["area_code"]

    def file_visits(n):
        # One request at a time, as a phone files them; the body is bench/wal.py's.
        for _ in range(n):
            server.request("POST", "/api/v1/visits", token,
                           visit_body((float(lat), float(lon)), area))

    script = WORK / "raw-insert.pgbench"
    script.write_text(db.raw_insert_sql(1))

    def insert_rows(n):
        driver.run([driver.pgbench_binary(), "-n", "-c", "1", "-t", str(n), "-f", str(script), db.url])

    figures = {}
    for name, action in (("fieldweek", file_visits), ("baseline", insert_rows)):
        db.psql(db.url, "CHECKPOINT")
        figures[f"{name}_after_checkpoint"] = wal_a_row(db, action, count)
        figures[f"{name}_steady"] = wal_a_row(db, action, count)
    db.delete_raw_rows()
    figures["visits"] = count
    figures["settings"] = dict(db.rows(
        "SELECT name, setting FROM pg_settings WHERE name IN "
        "('full_page_writes', 'wal_compression', 'checkpoint_timeout')"))
    return figures


def batch(db, server, options, filing):
    token, lat, lon, visited_at = filing
    with CpuShares(None) as theirs_cpu:
        baseline, _ = db.raw_insert_rate(options.seconds, options.batch_connections,
                                          per_transaction=200)
    # The same, as fieldweek's statement does it: rows whose id is there already left
    # out (ON CONFLICT DO NOTHING), the ids inserted returned.
    with CpuShares(None) as idempotent_cpu:
        idempotent, _ = db.raw_insert_rate(options.seconds, options.batch_connections,
                                            per_transaction=200, idempotent=True)
    with CpuShares(server) as ours_cpu:
        ours = driver.wrk(server.base, options.seconds, options.batch_connections,
                          "post_batch.lua", (token, lat, lon, visited_at, 200))
    return {"rate": ours["rps"] * 200, "p99_ms": ours["p99_ms"], "baseline_rate": baseline,
            "errors": driver.errors_in(ours), "cpu": ours_cpu.shares,
            "baseline_cpu": theirs_cpu.shares, "idempotent_rate": idempotent,
            "idempotent_cpu": idempotent_cpu.shares}


def export(db, server, options, week):
    admin = server.login("demo.admin")
    start, end = driver.week_span(db, week)
    sql_file = WORK / "export.sql"
    sql_file.write_text(db.export_sql(start, end))
    rows = int(db.rows(
        f"SELECT count(*) FROM visits WHERE visited_at >= {driver.sql_time(start, 'postgres')} "
        f"AND visited_at < {driver.sql_time(end, 'postgres')}")[0][0])
    url = (f"{server.base}/api/v1/reports/weekly/export?week={week}"
           "&format=csv&dataset=visits")
    db.export_cli(sql_file)  # once unmeasured: both timed runs find the same caches
    ours, theirs, growth = [], [], []
    for _ in range(options.runs):
        before = server.memory_kib("VmRSS")
        server.reset_peak_memory()
        with CpuShares(server) as cpu:
            driver.run(["curl", "-sf", "-o", "/dev/null", "-H",
                        f"Authorization: Bearer {admin}", url])
        ours.append(cpu.shares)
        growth.append(server.memory_kib("VmHWM") - before)
        with CpuShares(None) as cpu:
            db.export_cli(sql_file)
        theirs.append(cpu.shares)
    return {"rows": rows, "seconds": statistics.median(r["wall"] for r in ours),
            "baseline_seconds": statistics.median(r["wall"] for r in theirs),
            "growth_kib": max(growth), "each": ours, "baseline_each": theirs}


# ------------------------------------------------------------------ the run


def section(results, options):
    m = driver.machine()
    lines = [BEGIN_MARK, "",
             f"`{driver.command_line()}` at {m['commit']}, {m['date']}, on {m['cpu']}; "
             f"{options.visits:,} demo visits.", "",
             "| Figure | fieldweek | PostgreSQL's own tool, same run | Ratio | Target | |",
             "|---|---|---|---|---|---|"]
    def row(figure, ours, theirs, ratio, target="(context)", ok=None):
        verdict = "" if ok is None else driver.verdict(ok)
        lines.append(f"| {figure} | {ours} | {theirs} | {ratio} | {target} | {verdict} |")

    if "get" in results:
        r = results["get"]
        tail = r["p99_ms"] / r["p50_ms"]
        row(f"`GET /visits/{{id}}` at {options.connections} connections, median of "
            f"{options.runs}",
            f"p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms ({r['rps']:,.0f} req/s)",
            f"pgbench, the same {len(r['statements'])} statements, {options.connections} "
            f"clients: p50 {r['baseline_p50_ms']:.2f} ms, p99 {r['baseline_p99_ms']:.2f} ms "
            f"({r['baseline_rps']:,.0f} tx/s)",
            f"p99/p50 {tail:.1f} (pgbench's {r['baseline_p99_ms'] / r['baseline_p50_ms']:.1f})",
            f"p99 ≤ {TAIL_TARGET:.0f}× p50", tail <= TAIL_TARGET)
    if "wal" in results:
        r = results["wal"]
        for phase, label in (("after_checkpoint", "right after a CHECKPOINT"),
                             ("steady", "the next ones, in steady state")):
            ours, theirs = r[f"fieldweek_{phase}"], r[f"baseline_{phase}"]
            row(f"WAL a filed visit, {label} ({r['visits']} visits, `wal_compression="
                f"{r['settings'].get('wal_compression')}`)", f"{ours / 1024:.1f} KiB",
                f"{theirs / 1024:.1f} KiB a row pgbench inserts, one a transaction",
                f"{ours / theirs:.2f}", "≤ 10.8 KB (ODK Central)", ours <= 10_800)
    if "batch" in results:
        r = results["batch"]
        ours = f"{r['rate']:,.0f} visits/s"
        ratio = r["rate"] / r["baseline_rate"]
        row(f"Batch filing (`POST /visits/batch`, 200 a request, "
            f"{options.batch_connections} connections)", ours,
            f"{r['baseline_rate']:,.0f} rows/s, pgbench's 200-row transactions, "
            f"{options.batch_connections} clients", f"{ratio:.2f}", "≥ 0.9", ratio >= 0.9)
        row("Batch filing, against the database doing what it does", ours,
            f"{r['idempotent_rate']:,.0f} rows/s, the same 200-row transactions with "
            "`ON CONFLICT DO NOTHING RETURNING id`", f"{r['rate'] / r['idempotent_rate']:.2f}")
    if "export" in results:
        r = results["export"]
        ratio = r["baseline_seconds"] / r["seconds"]
        row(f"CSV export of {r['rows']:,} visits, median of {options.runs}",
            f"{r['seconds']:.1f} s, memory +{r['growth_kib'] / 1024:.1f} MiB",
            f"{r['baseline_seconds']:.1f} s `psql \\copy`", f"{ratio:.2f}",
            "≥ 0.9, flat memory", ratio >= 0.9 and r["growth_kib"] < 20 * 1024)
    lines += ["", "CPU seconds each side used (the machine has 2 cores; the load tools are "
              "wrk, curl, pgbench and psql):", ""]
    for name, ours, theirs in cpu_rows(results):
        lines.append(f"- {name}: fieldweek's run {describe(ours)}; the baseline's {describe(theirs)}.")
    lines += ["", END_MARK]
    return "\n".join(lines)


def describe(shares):
    parts = [f"PostgreSQL {shares['postgres']:.1f}"]
    if shares.get("fieldweek"):
        parts.append(f"fieldweek {shares['fieldweek']:.1f}")
    parts.append(f"tools {shares['tools']:.1f}")
    return f"{', '.join(parts)} s in {shares['wall']:.1f} s"


def cpu_rows(results):
    """(figure, fieldweek's CPU shares, the baseline's) of the figures that took them;
    of the median run where there were several."""
    def middle(runs):
        return sorted(runs, key=lambda shares: shares["wall"])[len(runs) // 2]
    if "get" in results:
        r = results["get"]
        yield ("`GET /visits/{id}`", middle([run["cpu"] for run in r["runs"]]),
               middle([run["cpu"] for run in r["baseline_runs"]]))
    if "batch" in results:
        yield "Batch filing", results["batch"]["cpu"], results["batch"]["baseline_cpu"]
    if "export" in results:
        yield ("CSV export", middle(results["export"]["each"]),
               middle(results["export"]["baseline_each"]))


def write_section(text, path):
    report = Path(path)
    content = report.read_text()
    if BEGIN_MARK in content:
        before, rest = content.split(BEGIN_MARK, 1)
        after = rest.split(END_MARK, 1)[1]
        content = before + text + after
    else:
        content = content.rstrip("\n") + "\n\n## PostgreSQL at its own tools' pace\n\n" + text + "\n"
    report.write_text(content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", default=",".join(FIGURES))
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--volunteers", type=int, default=1000)
    parser.add_argument("--grievances", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batch-connections", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--wal-visits", type=int, default=2000)
    parser.add_argument("--port", type=int, default=18095)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database already loaded by an earlier run")
    parser.add_argument("--out", default=str(driver.ROOT / "BENCHMARKS.md"))
    parser.add_argument("--only", help=argparse.SUPPRESS)  # passed on by run.sh
    options = parser.parse_args()
    figures = options.figures.split(",")
    unknown = set(figures) - set(FIGURES)
    if unknown:
        parser.error(f"--figures: unknown {', '.join(sorted(unknown))}")

    WORK.mkdir(parents=True, exist_ok=True)
    db = driver.Postgres(WORK)
    if not options.reuse:
        driver.load_demo_data(db, options)
    db.data_dir.mkdir(parents=True, exist_ok=True)
    server_args = ("postgres", db.url, db.data_dir, options.port, options.connections)
    server = driver.Server(*server_args)
    results = {}
    try:
        newest = driver.newest_demo_visit(db)
        volunteer = server.login(f"demo.vol.{driver.PROVINCE}.1")
        lat, lon = db.rows(
            f"SELECT v.lat, v.lon FROM visits v JOIN users u ON u.username = "
            f"'demo.vol.{driver.PROVINCE}.1' WHERE v.area_code = u.area_code "
            "ORDER BY v.author_id = u.id DESC LIMIT 1")[0]
        filing = (volunteer, lat, lon, newest.strftime("%Y-%m-%dT%H:%M:%SZ"))
        if "get" in figures:
            driver.log("pace: GET /visits/{id} and pgbench on its statements")
            server, results["get"] = read_tail(db, server, server_args, options)
            filing = (server.login(f"demo.vol.{driver.PROVINCE}.1"),) + filing[1:]
        if "wal" in figures:
            driver.log("pace: WAL a visit and a pgbench row")
            results["wal"] = wal(db, server, options, filing)
        if "batch" in figures:
            driver.log("pace: batches and pgbench's 200-row transactions")
            results["batch"] = batch(db, server, options, filing)
        if "export" in figures:
            driver.log("pace: the CSV export and psql \\copy")
            results["export"] = export(db, server, options, driver.bangkok_week(newest))
    finally:
        server.stop()
    (WORK / "pace.json").write_text(json.dumps(results, indent=2, default=str))
    text = section(results, options)
    print(text)
    write_section(text, options.out)


if __name__ == "__main__":
    main()
