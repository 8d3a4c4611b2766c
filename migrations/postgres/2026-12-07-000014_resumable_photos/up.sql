-- Photos on grievances, kept like visit photos: files named by their SHA-256, the same
-- bytes on the same grievance kept once.
CREATE TABLE grievance_photos (
    id            TEXT PRIMARY KEY NOT NULL,
    grievance_id  TEXT NOT NULL REFERENCES grievances (id),
    sha256        TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    bytes         BIGINT NOT NULL,
    uploaded_by   TEXT NOT NULL REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    taken_at      TIMESTAMP,
    taken_lat     DOUBLE PRECISION,
    taken_lon     DOUBLE PRECISION,
    flags         TEXT NOT NULL DEFAULT '',
    UNIQUE (grievance_id, sha256)
);

-- Where and when a photo was taken (its EXIF, when it has one) and what that says about
-- its record (`photo_far_from_record`, `photo_time_mismatch`).
ALTER TABLE visit_photos ADD COLUMN taken_at TIMESTAMP;
ALTER TABLE visit_photos ADD COLUMN taken_lat DOUBLE PRECISION;
ALTER TABLE visit_photos ADD COLUMN taken_lon DOUBLE PRECISION;
ALTER TABLE visit_photos ADD COLUMN flags TEXT NOT NULL DEFAULT '';

-- How many photos the phone said it would send, and how many arrived: a count kept with
-- the record, so `photos_missing=true` is a comparison of two columns, and a partial
-- index holds only the records still waiting, in the lists' order.
ALTER TABLE visits ADD COLUMN photos_expected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visits ADD COLUMN photos_received INTEGER NOT NULL DEFAULT 0;
UPDATE visits SET photos_received = (SELECT COUNT(*) FROM visit_photos WHERE visit_photos.visit_id = visits.id);
CREATE INDEX visits_photos_missing ON visits (visited_at, id) WHERE photos_received < photos_expected;
ALTER TABLE grievances ADD COLUMN photos_expected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE grievances ADD COLUMN photos_received INTEGER NOT NULL DEFAULT 0;
CREATE INDEX grievances_photos_missing ON grievances (created_at, id) WHERE photos_received < photos_expected;

-- Resumable (tus) uploads in progress. The bytes are in `<data dir>/photos/uploads/<id>`;
-- `upload_offset` is how many of them are acknowledged. A finished upload keeps its row
-- (with the photo it became) until it expires, so a phone that lost the last answer
-- still learns the offset is complete.
CREATE TABLE uploads (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id),
    record_type     TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    upload_length   BIGINT NOT NULL,
    upload_offset   BIGINT NOT NULL,
    metadata        TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    photo_id        TEXT,
    photo_created   BOOLEAN
);
CREATE INDEX uploads_by_expiry ON uploads (expires_at);
