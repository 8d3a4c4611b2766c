#!/usr/bin/env python3
"""Packs the shared Thai boundary GeoJSON into src/geo/data/boundaries.bin.

Usage: python3 scripts/pack-boundaries.py ../shared/data/thai-boundaries src/geo/data/boundaries.bin
Standard library only. The source coordinates are already rounded to 1e-5 degree,
so storing them as integers of 1e-5 degree loses nothing.

Format (little-endian; varints are LEB128, signed ones zigzag-encoded):
  b"FWB1"
  three levels in turn (provinces, districts, subdistricts), each:
    u32 feature count, then per feature, sorted by code:
      u32 code (as a number; the level gives its length)
      u8 kind: 0 plain, 1 also covers newer codes, 2 abolished (replaced by successors)
      u8 n, then n u32 codes: the covered or successor codes
      varint polygon count; per polygon: varint ring count (exterior first);
        per ring: varint point count (the closing point is left out), then
        each point as signed varint deltas (lon, lat) from the previous point
        of the ring (the first from 0, 0).
"""
import json
import struct
import sys

SCALE = 100_000


def varint(out, value):
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def svarint(out, value):
    varint(out, (value << 1) ^ (value >> 63) if value < 0 else value << 1)


def pack_level(out, path):
    with open(path, encoding="utf-8") as f:
        features = json.load(f)["features"]
    features.sort(key=lambda f: f["properties"]["code"])
    out += struct.pack("<I", len(features))
    for feature in features:
        props = feature["properties"]
        out += struct.pack("<I", int(props["code"]))
        if props.get("abolished"):
            kind, extra = 2, props["successors"]
        elif props.get("also_covers"):
            kind, extra = 1, props["also_covers"]
        else:
            kind, extra = 0, []
        out += struct.pack("<BB", kind, len(extra))
        for code in extra:
            out += struct.pack("<I", int(code))
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            raise SystemExit(f"{props['code']}: unexpected {geometry['type']}")
        varint(out, len(polygons))
        for rings in polygons:
            varint(out, len(rings))
            for ring in rings:
                assert ring[0] == ring[-1], props["code"]
                ring = ring[:-1]
                varint(out, len(ring))
                x0 = y0 = 0
                for lon, lat in ring:
                    x, y = round(lon * SCALE), round(lat * SCALE)
                    svarint(out, x - x0)
                    svarint(out, y - y0)
                    x0, y0 = x, y
    return len(features)


def main():
    source, target = sys.argv[1], sys.argv[2]
    out = bytearray(b"FWB1")
    for level in ("provinces", "districts", "subdistricts"):
        count = pack_level(out, f"{source}/{level}.geojson")
        print(level, count)
    with open(target, "wb") as f:
        f.write(out)
    print(target, len(out), "bytes")


main()
