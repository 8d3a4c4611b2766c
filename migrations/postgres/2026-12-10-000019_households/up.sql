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
    lat            DOUBLE PRECISION NOT NULL,
    lon            DOUBLE PRECISION NOT NULL,
    accuracy_m     DOUBLE PRECISION,
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
CREATE TRIGGER households_sync_position BEFORE INSERT OR UPDATE ON households
    FOR EACH ROW EXECUTE FUNCTION sync_position();

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

CREATE FUNCTION household_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'household history is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER household_events_append_only BEFORE UPDATE OR DELETE ON household_events
    FOR EACH ROW EXECUTE FUNCTION household_events_append_only();
