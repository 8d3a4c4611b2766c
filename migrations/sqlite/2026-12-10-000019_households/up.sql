-- The target-group register: the households volunteers visit again and again, and the
-- people in them. Like visits, `id` is the phone's own id and `content_hash` tells a
-- resend from a different household. Members' phones and national IDs are stored
-- encrypted, with a keyed hash for lookups and the last 4 digits for masked display,
-- exactly like complainants'; without the household's consent no name, phone or
-- national ID is stored at all.
CREATE TABLE households (
    id             TEXT PRIMARY KEY,
    created_by     TEXT NOT NULL REFERENCES users (id),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    lat            REAL NOT NULL,
    lon            REAL NOT NULL,
    accuracy_m     REAL,
    area_code      TEXT NOT NULL,
    province_code  TEXT NOT NULL,
    district_code  TEXT,
    address        TEXT,
    consent        BOOLEAN NOT NULL,
    -- The target groups of its current members, as bits (TargetGroup::bits_of).
    target_groups  BIGINT NOT NULL DEFAULT 0,
    version        BIGINT NOT NULL,
    content_hash   TEXT NOT NULL,
    sync_xid       BIGINT NOT NULL DEFAULT 0,
    sync_seq       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX households_by_province ON households (province_code, id);
CREATE INDEX households_by_district ON households (district_code, id);
CREATE INDEX households_by_area ON households (area_code, id);
CREATE INDEX households_by_place ON households (lat, lon);
-- The phone sync feed reads an area's households in position order (src/db/sync.rs).
CREATE INDEX households_by_area_sync ON households (area_code, sync_xid, sync_seq);
CREATE INDEX households_by_district_sync ON households (district_code, sync_xid, sync_seq);
-- Positions in the sync feed, as for visits (see 000012_sync_positions).
CREATE TRIGGER households_sync_insert AFTER INSERT ON households BEGIN
    UPDATE sync_counter SET seq = seq + 1;
    UPDATE households SET sync_seq = (SELECT seq FROM sync_counter) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER households_sync_update AFTER UPDATE ON households
WHEN NEW.sync_seq = OLD.sync_seq BEGIN
    UPDATE sync_counter SET seq = seq + 1;
    UPDATE households SET sync_seq = (SELECT seq FROM sync_counter) WHERE rowid = NEW.rowid;
END;

CREATE TABLE household_members (
    id                  TEXT PRIMARY KEY,
    household_id        TEXT NOT NULL REFERENCES households (id),
    -- Members in the order they were added.
    position            BIGINT NOT NULL,
    name                TEXT,
    birth_year          INTEGER,
    sex                 TEXT,
    target_groups       BIGINT NOT NULL DEFAULT 0,
    phone_cipher        TEXT,
    phone_hash          TEXT,
    phone_last4         TEXT,
    national_id_cipher  TEXT,
    national_id_hash    TEXT,
    national_id_last4   TEXT,
    notes               TEXT,
    removed             BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX household_members_of ON household_members (household_id, position);
CREATE INDEX household_members_by_national_id ON household_members (national_id_hash);
CREATE INDEX household_members_by_phone ON household_members (phone_hash);

-- What changed in a household, in order: which fields and members, never their values
-- (personal data in an append-only table could not be erased).
CREATE TABLE household_events (
    id            TEXT PRIMARY KEY,
    household_id  TEXT NOT NULL REFERENCES households (id),
    version       BIGINT NOT NULL,
    action        TEXT NOT NULL,
    changes       TEXT NOT NULL,
    actor_id      TEXT NOT NULL REFERENCES users (id),
    at            TIMESTAMP NOT NULL
);
CREATE INDEX household_events_of ON household_events (household_id, version);

CREATE TRIGGER household_events_no_update BEFORE UPDATE ON household_events
BEGIN
    SELECT RAISE(ABORT, 'household history is append-only');
END;
CREATE TRIGGER household_events_no_delete BEFORE DELETE ON household_events
BEGIN
    SELECT RAISE(ABORT, 'household history is append-only');
END;
