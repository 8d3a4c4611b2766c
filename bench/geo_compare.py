#!/usr/bin/env python3
"""Start time, memory and filing rate of two fieldweek binaries, alternated in one run
(issue 22: the polygon locator against the centroid one it replaced).

    python3 bench/geo_compare.py OLD_BINARY NEW_BINARY [--rounds 3] [--seconds 8]

Each round starts each binary on a fresh SQLite database (or, with --database-url, a
fresh PostgreSQL database made from that server), and takes: the time from spawn to the
first 200 of /readyz; VmRSS one second later; then wrk posting one new visit a request
(bench/wrk/post_visit.lua, 16 connections, a 3 s unmeasured run first) as a volunteer
of Chiang Mai, at a point in Suthep. Medians over the rounds are printed.
Standard library only, plus wrk.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
PORT = 18981
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench password 22 long enough"
POINT = (18.8035, 98.9530)  # Chiang Mai University, Suthep


def request(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=60) as answer:
        return json.loads(answer.read() or b"null")


def login(username):
    return request("POST", "/api/v1/auth/login",
                   body={"username": username, "password": PASSWORD})["access_token"]


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise KeyError("VmRSS")


def fresh_postgres(url, name):
    subprocess.run(["psql", "-X", "-q", url, "-c", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", "-X", "-q", url, "-c", f"CREATE DATABASE {name}"], check=True)
    return re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", url, count=1)


def one_round(binary, seconds, database_url):
    work = Path(tempfile.mkdtemp(prefix="geo-bench-"))
    env = dict(os.environ, FIELDWEEK_DATA_DIR=str(work / "data"), FIELDWEEK_BIND=f"127.0.0.1:{PORT}",
               FIELDWEEK_WRITES_PER_MINUTE="1000000", FIELDWEEK_DB_POOL_SIZE="16",
               FIELDWEEK_ADMIN_USERNAME="bench.admin", FIELDWEEK_ADMIN_PASSWORD=PASSWORD,
               RUST_LOG="warn")
    if database_url:
        env["DATABASE_URL"] = fresh_postgres(database_url, "geo_bench")
    else:
        env.pop("DATABASE_URL", None)
    # Migrate first, so that start time is the server's own, not the first migration's.
    subprocess.run([binary, "migrate"], env=env, check=True, capture_output=True)
    log = open(work / "server.log", "w")
    started = time.monotonic()
    process = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while True:
            try:
                with urllib.request.urlopen(BASE + "/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() - started > 60:
                raise SystemExit(f"{binary} did not start; see {work / 'server.log'}")
            time.sleep(0.005)
        start_s = time.monotonic() - started
        time.sleep(1)
        rss = rss_kib(process.pid)
        admin = login("bench.admin")
        request("POST", "/api/v1/users", admin, {
            "username": "bench.vol", "display_name": "Bench volunteer", "password": PASSWORD,
            "role": "volunteer", "area_code": "50"})
        volunteer = login("bench.vol")
        visited_at = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
        args = ["--", volunteer, str(POINT[0]), str(POINT[1]), visited_at]
        script = str(HERE / "wrk" / "post_visit.lua")
        subprocess.run(["wrk", "-t2", "-c16", "-d3s", "-s", script, BASE] + args,
                       check=True, capture_output=True)
        out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", script, BASE] + args,
                             check=True, capture_output=True, text=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if bad:
            raise SystemExit(f"{binary}: {bad.group(1)} failed requests")
        return start_s, rss, rate
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--database-url", help="a PostgreSQL server to make the databases on")
    options = parser.parse_args()
    results = {"old": [], "new": []}
    for round_ in range(options.rounds):
        # Alternate the order, so that neither always runs second.
        order = ("old", "new") if round_ % 2 == 0 else ("new", "old")
        for name in order:
            binary = getattr(options, name)
            start_s, rss, rate = one_round(binary, options.seconds, options.database_url)
            print(f"round {round_ + 1} {name}: start {start_s * 1000:.0f} ms, "
                  f"RSS {rss / 1024:.1f} MiB, filing {rate:,.0f} visits/s", flush=True)
            results[name].append((start_s, rss, rate))
    for name, rows in results.items():
        start = statistics.median(r[0] for r in rows)
        rss = statistics.median(r[1] for r in rows)
        rate = statistics.median(r[2] for r in rows)
        print(f"median {name}: start {start * 1000:.0f} ms, RSS {rss / 1024:.1f} MiB, "
              f"filing {rate:,.0f} visits/s")
    old_rate = statistics.median(r[2] for r in results["old"])
    new_rate = statistics.median(r[2] for r in results["new"])
    print(f"filing new/old: {new_rate / old_rate:.3f}")


main()
