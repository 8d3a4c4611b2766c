-- Field visits. `id` is the phone's own id: the primary key makes a resend idempotent.
-- `province_code`/`district_code` repeat the prefixes of `area_code` so scoping is an
-- indexed equality; `content_hash` tells a true resend from a different visit.
CREATE TABLE visits (
    id                 TEXT PRIMARY KEY,
    author_id          TEXT NOT NULL REFERENCES users (id),
    visited_at         TIMESTAMP NOT NULL,
    received_at        TIMESTAMP NOT NULL,
    lat                DOUBLE PRECISION NOT NULL,
    lon                DOUBLE PRECISION NOT NULL,
    accuracy_m         DOUBLE PRECISION,
    declared_area_code TEXT,
    area_code          TEXT NOT NULL,
    province_code      TEXT NOT NULL,
    district_code      TEXT,
    activity           TEXT NOT NULL,
    households_visited BIGINT NOT NULL,
    people_reached     BIGINT NOT NULL,
    summary            TEXT NOT NULL,
    needs              TEXT NOT NULL,
    follow_up_needed   BOOLEAN NOT NULL,
    flags              TEXT NOT NULL,
    review_status      TEXT NOT NULL,
    review_note        TEXT,
    reviewed_by        TEXT REFERENCES users (id),
    reviewed_at        TIMESTAMP,
    content_hash       TEXT NOT NULL
);
-- Every list is newest first, within a scope: one index per way of scoping.
CREATE INDEX visits_by_time ON visits (visited_at, id);
CREATE INDEX visits_by_province ON visits (province_code, visited_at, id);
CREATE INDEX visits_by_district ON visits (district_code, visited_at, id);
CREATE INDEX visits_by_area ON visits (area_code, visited_at, id);
CREATE INDEX visits_by_author ON visits (author_id, visited_at, id);
CREATE INDEX visits_by_review ON visits (review_status, visited_at, id);
CREATE INDEX visits_by_lat ON visits (lat, lon);

-- One row per target group of a visit, so "by target group" is an indexed join and a
-- GROUP BY, never a text search.
CREATE TABLE visit_target_groups (
    visit_id     TEXT NOT NULL REFERENCES visits (id),
    target_group TEXT NOT NULL,
    PRIMARY KEY (visit_id, target_group)
);
CREATE INDEX visit_target_groups_by_group ON visit_target_groups (target_group, visit_id);

-- Photos are files named by their SHA-256 under the data directory; the same bytes on
-- the same visit are kept once.
CREATE TABLE visit_photos (
    id           TEXT PRIMARY KEY,
    visit_id     TEXT NOT NULL REFERENCES visits (id),
    sha256       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    uploaded_by  TEXT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (visit_id, sha256)
);
