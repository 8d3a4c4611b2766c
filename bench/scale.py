#!/usr/bin/env python3
"""How the weekly summary and the CSV export grow with the table, on PostgreSQL.

Loads the demo data afresh at each size, the same number of visits a week each time
(about what the country's volunteers file: `--per-week`), so that only the table's size
changes between the sizes; then times, for the newest full week, the whole country's
weekly summary (median of `--runs`) and the CSV export of that week's visits beside
`psql \\copy` of the same rows, and reads the table's and the database's size.

    python3 bench/scale.py                         # 1,000,000 and 5,000,000 visits
    python3 bench/scale.py --sizes 200000,400000   # a quick look
    python3 bench/scale.py --photos-only           # photos a node takes, on the loaded data

Uses the release build (built here if missing) and the local PostgreSQL, like
bench/run.sh; prints a Markdown table and writes the figures to target/bench/scale.json.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import driver  # noqa: E402  (the benchmark's server, database and timing helpers)


def pretty_bytes(n):
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def measure(size, options):
    weeks = max(1, round(size / options.per_week))
    db = driver.Postgres(driver.WORK / "scale")
    driver.log(f"{size:,} visits over {weeks} weeks")
    db.reset()
    env = dict(driver.os.environ, DATABASE_URL=db.url, FIELDWEEK_DATA_DIR=str(db.data_dir))
    started = time.perf_counter()
    driver.run([driver.BINARY, "demo-data", "--provinces", "77",
                "--volunteers-per-province", "1000", "--officials-per-province", "20",
                "--weeks", str(weeks), "--visits", str(size),
                "--grievances", str(size // 20), "--households-per-volunteer", "0"],
               env=env)
    load_seconds = time.perf_counter() - started
    db.settle()
    figures = {
        "visits": size,
        "weeks": weeks,
        "load_seconds": load_seconds,
        "visits_table_bytes": int(db.rows(
            "SELECT pg_total_relation_size('visits')")[0][0]),
        "database_bytes": int(db.rows("SELECT pg_database_size(current_database())")[0][0]),
    }
    server = driver.Server("postgres", db.url, db.data_dir, options.port, pool_size=8)
    try:
        # The newest week the demo filled whole: the one before the newest visit's.
        newest = driver.newest_demo_visit(db)
        week = driver.bangkok_week(newest - driver.dt.timedelta(days=7))
        admin = server.login("demo.admin")
        path = f"/api/v1/reports/weekly?week={week}"
        report = server.request("GET", path, admin)
        figures["week"] = week
        figures["week_visits"] = report["visits"]["total"]
        figures["weekly_seconds"] = driver.median_seconds(
            lambda: server.request("GET", path, admin), options.runs)

        start, end = driver.week_span(db, week)
        export_sql = driver.WORK / "scale" / "export.sql"
        export_sql.write_text(db.export_sql(start, end))
        db.export_cli(export_sql)  # once unmeasured: both timed runs find warm caches
        url = (f"{server.base}/api/v1/reports/weekly/export?week={week}"
               "&format=csv&dataset=visits")
        figures["export_seconds"] = driver.median_seconds(
            lambda: driver.run(["curl", "-sf", "-o", "/dev/null",
                                "-H", f"Authorization: Bearer {admin}", url]),
            options.runs)
        figures["copy_seconds"] = driver.median_seconds(
            lambda: db.export_cli(export_sql), options.runs)
    finally:
        server.stop()
    driver.log(json.dumps(figures))
    return figures


def photo_rate(options):
    """Photos of `--photo-kib` each, sent by `--photo-clients` phones at once for
    `--photo-seconds` to one node keeping them in its data directory (the node's own
    ceiling: an S3 store adds the network to it), on the database the last size left."""
    import http.client
    import os
    import threading

    db = driver.Postgres(driver.WORK / "scale")
    server = driver.Server("postgres", db.url, db.data_dir, options.port, pool_size=8)
    try:
        token = server.login("demo.vol.50.1")
        # A place inside the volunteer's own area, as the benchmark's visits use.
        lat, lon = (float(x) for x in db.rows(
            "SELECT v.lat, v.lon FROM visits v JOIN users u ON u.username = 'demo.vol.50.1' "
            "WHERE v.area_code = u.area_code LIMIT 1")[0])
        host, port = "127.0.0.1", options.port
        visits = []
        for _ in range(options.photo_clients * 150):
            visit_id = str(driver.uuid.uuid4())
            server.request("POST", "/api/v1/visits", token, {
                "id": visit_id, "visited_at": (driver.dt.datetime.now(driver.dt.timezone.utc)
                                               - driver.dt.timedelta(hours=1)).isoformat(),
                "location": {"lat": lat, "lon": lon, "accuracy_m": 10.0},
                "activity": "home_visit", "target_groups": ["elderly"],
                "households_visited": 1, "people_reached": 2, "summary": "photo rate",
                "follow_up_needed": False,
            })
            visits.append(visit_id)
        size = options.photo_kib * 1024
        sent, failed = [0], [0]
        lock = threading.Lock()
        deadline = time.perf_counter() + options.photo_seconds

        def phone(number):
            connection = http.client.HTTPConnection(host, port, timeout=60)
            n = 0
            while time.perf_counter() < deadline:
                visit = visits[(number * 150 + n // 10) % len(visits)]
                body = b"\xff\xd8\xff\xe0" + os.urandom(size - 4)
                connection.request("POST", f"/api/v1/visits/{visit}/photos", body, {
                    "Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"})
                answer = connection.getresponse()
                answer.read()
                with lock:
                    if answer.status == 201:
                        sent[0] += 1
                    else:
                        failed[0] += 1
                n += 1

        started = time.perf_counter()
        threads = [threading.Thread(target=phone, args=(n,))
                   for n in range(options.photo_clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        server.stop()
    figures = {
        "photos": sent[0], "failed": failed[0], "seconds": seconds,
        "photos_per_second": sent[0] / seconds,
        "mib_per_second": sent[0] * size / 2**20 / seconds,
        "photo_kib": options.photo_kib, "clients": options.photo_clients,
    }
    driver.log(json.dumps(figures))
    return figures


def table(rows):
    first = rows[0]
    lines = [
        "| visits in the table | weeks | table + indexes | database | weekly summary "
        "(visits in the week) | CSV export of the week | `psql \\copy` of the same rows |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        growth = "" if r is first else (
            f" ({r['weekly_seconds'] / first['weekly_seconds']:.2f}×)")
        export_growth = "" if r is first else (
            f" ({r['export_seconds'] / first['export_seconds']:.2f}×)")
        lines.append(
            f"| {r['visits']:,} | {r['weeks']} | {pretty_bytes(r['visits_table_bytes'])} | "
            f"{pretty_bytes(r['database_bytes'])} | {r['weekly_seconds']:.2f} s{growth} "
            f"({r['week_visits']:,}) | {r['export_seconds']:.2f} s{export_growth} | "
            f"{r['copy_seconds']:.2f} s |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,5000000")
    parser.add_argument("--per-week", type=int, default=450_000,
                        help="visits a week (150,000 volunteers, three visits each)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=18091)
    parser.add_argument("--photos-only", action="store_true")
    parser.add_argument("--photo-kib", type=int, default=500)
    parser.add_argument("--photo-clients", type=int, default=8)
    parser.add_argument("--photo-seconds", type=int, default=20)
    options = parser.parse_args()
    if not driver.BINARY.exists():
        driver.run(["cargo", "build", "--release", "--quiet"], cwd=driver.ROOT)
    if options.photos_only:
        figures = photo_rate(options)
        (driver.WORK / "scale-photos.json").write_text(json.dumps(figures, indent=2))
        print(f"{figures['photos_per_second']:.0f} photos/s of {options.photo_kib} KiB "
              f"({figures['mib_per_second']:.0f} MiB/s), {options.photo_clients} phones, "
              f"{figures['failed']} refused")
        return
    rows = [measure(int(size), options) for size in options.sizes.split(",")]
    (driver.WORK / "scale.json").write_text(json.dumps(rows, indent=2))
    print(table(rows))


if __name__ == "__main__":
    main()
