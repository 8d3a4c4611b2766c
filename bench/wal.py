#!/usr/bin/env python3
"""Where a filed visit's PostgreSQL WAL goes (issue 27, part 2): files visits through
the real server one request at a time, as a phone does, and reads the WAL they wrote
back with pg_walinspect, by relation and by kind of record.

Two phases of N visits each: right after a CHECKPOINT (every page touched for the first
time since then is written whole, a full-page image) and in steady state (the same pages
again, images mostly paid for). The WAL between two LSNs is everything the server wrote,
so the audit entry, the outbox row and every index are in it.

    python3 bench/wal.py [--binary target/debug/fieldweek] [--visits 500]

Needs the local PostgreSQL (see bench/run.sh) with the pg_walinspect extension (15+).
The build profile does not change what is written, so a debug build will do.
"""

import argparse
import collections
import datetime as dt
import re
import uuid
from pathlib import Path

import driver

WORK = driver.ROOT / "target" / "bench-wal"
DATABASE = "fieldweek_wal"
# `blkref #0: rel 1663/16384/24601 fork main blk 12` (PostgreSQL 15's block_ref text).
BLOCK_REF = re.compile(r"rel (\d+)/(\d+)/(\d+) fork (\w+) blk \d+")


def lsn_of(db):
    return db.rows("SELECT pg_current_wal_lsn()")[0][0]


def wal_between(db, start, end):
    """Bytes of WAL between two LSNs, and its records as (resource manager, record
    length, full-page image length, first block's relfilenode)."""
    total = int(db.rows(f"SELECT pg_wal_lsn_diff('{end}', '{start}')")[0][0])
    records = []
    for manager, length, fpi, refs in db.rows(
        "SELECT resource_manager, record_length, fpi_length, coalesce(block_ref, '') "
        f"FROM pg_get_wal_records_info('{start}', '{end}')"
    ):
        found = BLOCK_REF.search(refs)
        node = f"{found.group(3)}{'' if found.group(4) == 'main' else ':' + found.group(4)}" if found else ""
        records.append((manager, int(length), int(fpi), node))
    return total, records


def relation_names(db):
    """relfilenode -> relation name (tables, indexes, TOAST), for this database."""
    return {
        node: name
        for node, name in db.rows(
            "SELECT pg_relation_filenode(c.oid)::text, c.relname FROM pg_class c "
            "WHERE pg_relation_filenode(c.oid) IS NOT NULL"
        )
    }


def visit_body(centre, area, household=None):
    body = {
        # The app declares the worker's own subdistrict, as the demo's visits do.
        "area_code": area,
        "id": str(uuid.uuid4()),
        "visited_at": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat(),
        "location": {"lat": centre[0], "lon": centre[1], "accuracy_m": 12.0},
        "target_groups": ["elderly", "disabled"],
        "activity": "home_visit",
        "households_visited": 1,
        "people_reached": 3,
        "summary": "เยี่ยมบ้านผู้สูงอายุติดเตียง ต้องการรถเข็น ประสานเทศบาลแล้ว",
        "needs": ["wheelchair"],
        "follow_up_needed": True,
    }
    if household:
        body["household_id"] = household
    return body


def phase(server, db, token, centre, area, count, households=()):
    start = lsn_of(db)
    for i in range(count):
        household = households[i % len(households)] if households else None
        server.request("POST", "/api/v1/visits", token, visit_body(centre, area, household))
    return wal_between(db, start, lsn_of(db))


def report(title, count, total, records, names):
    by_relation = collections.defaultdict(lambda: [0, 0, 0])
    by_manager = collections.defaultdict(lambda: [0, 0, 0])
    for manager, length, fpi, node in records:
        for bucket in (by_relation[names.get(node.split(":")[0], node or "(none)")
                                   + (":" + node.split(":")[1] if ":" in node else "")],
                       by_manager[manager]):
            bucket[0] += 1
            bucket[1] += length
            bucket[2] += fpi
    counted = sum(length for _, length, _, _ in records)
    lines = [
        f"### {title}",
        "",
        f"{total / count / 1024:.1f} KiB of WAL a visit ({total:,} bytes for {count} visits; "
        f"records {counted / count / 1024:.1f} KiB, the rest page padding and segment "
        "headers).",
        "",
        "| Relation (first block of each record) | records a visit | bytes a visit | of which full-page images |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, (n, length, fpi) in sorted(by_relation.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"| {name} | {n / count:.2f} | {length / count:,.0f} | {fpi / count:,.0f} |")
    lines += ["", "| Resource manager | records a visit | bytes a visit | of which full-page images |",
              "| --- | ---: | ---: | ---: |"]
    for name, (n, length, fpi) in sorted(by_manager.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"| {name} | {n / count:.2f} | {length / count:,.0f} | {fpi / count:,.0f} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(driver.ROOT / "target" / "debug" / "fieldweek"))
    parser.add_argument("--visits", type=int, default=500, help="visits filed in each phase")
    parser.add_argument("--table-visits", type=int, default=1_000_000,
                        help="demo visits already there (the benchmark's table)")
    parser.add_argument("--port", type=int, default=18091)
    parser.add_argument("--out", default=str(WORK / "wal.md"))
    options = parser.parse_args()
    driver.BINARY = Path(options.binary)

    driver.PG_BENCH_DB = DATABASE
    db = driver.Postgres(WORK)
    db.reset()
    driver.Postgres.psql(db.url, "CREATE EXTENSION IF NOT EXISTS pg_walinspect")
    # Accounts, and enough visits and households that the tables and indexes are not
    # trivially small.
    driver.run(
        [options.binary, "demo-data", "--provinces", "1", "--volunteers-per-province", "5",
         "--officials-per-province", "1", "--visits", str(options.table_visits),
         "--grievances", "200"],
        env={**driver.os.environ, "DATABASE_URL": db.url, "FIELDWEEK_DATA_DIR": str(db.data_dir)},
    )
    db.settle()
    server = driver.Server("postgres", db.url, db.data_dir, options.port, pool_size=4)
    try:
        token = server.login("demo.vol.50.1")
        # Where the volunteer works: one of its demo visits.
        own = server.request("GET", "/api/v1/visits?limit=1", token)["items"][0]["location"]
        centre = (own["lat"], own["lon"])
        area = server.request("GET", "/api/v1/me", token)["area_code"]
        households = [h["id"] for h in server.request("GET", "/api/v1/households?limit=5", token)["items"]]
        names = relation_names(db)
        phase(server, db, token, centre, area, 100)  # warm the server's statement caches

        sections = []
        for title, chosen in [("A visit", ()), ("A visit to a household of the register", households)]:
            db.psql(db.url, "CHECKPOINT")
            total, records = phase(server, db, token, centre, area, options.visits, chosen)
            sections.append(report(f"{title}, right after a checkpoint", options.visits,
                                   total, records, names))
            total, records = phase(server, db, token, centre, area, options.visits, chosen)
            sections.append(report(f"{title}, in steady state", options.visits,
                                   total, records, names))
    finally:
        server.stop()
    settings = dict(db.rows(
        "SELECT name, setting FROM pg_settings WHERE name IN "
        "('full_page_writes', 'wal_compression', 'wal_level', 'synchronous_commit')"))
    text = (f"WAL per filed visit, {options.visits} visits a phase, one `POST /visits` each, "
            f"into a table of {options.table_visits:,} demo visits "
            f"(PostgreSQL settings: {', '.join(f'{k}={v}' for k, v in sorted(settings.items()))}).\n\n"
            + "\n".join(sections))
    Path(options.out).parent.mkdir(parents=True, exist_ok=True)
    Path(options.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
