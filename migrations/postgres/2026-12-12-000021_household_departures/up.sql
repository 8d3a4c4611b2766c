-- A household moved to another area leaves the sync sets of its old area's phones
-- without appearing in the query that finds an area's households there any more: its
-- own position moves, but only the new area reads it. So the move is written down,
-- under the old area's codes and with a position of its own, and the old area's phones
-- read it as a removal (src/sync/mod.rs judges the household as it stands now). The
-- trigger writes it, so no path that changes a household's area can forget it. Like
-- sync_removals, a departure is pruned once no usable cursor can be behind it.
CREATE TABLE household_departures (
    id            BIGSERIAL PRIMARY KEY,
    household_id  TEXT NOT NULL,
    area_code     TEXT NOT NULL,
    province_code TEXT NOT NULL,
    district_code TEXT,
    created_at    TIMESTAMP NOT NULL,
    sync_xid      BIGINT NOT NULL DEFAULT 0,
    sync_seq      BIGINT NOT NULL DEFAULT 0
);
CREATE TRIGGER household_departures_position BEFORE INSERT ON household_departures
    FOR EACH ROW EXECUTE FUNCTION sync_position();
CREATE INDEX household_departures_by_area_sync
    ON household_departures (area_code, sync_xid, sync_seq);
CREATE INDEX household_departures_by_district_sync
    ON household_departures (district_code, sync_xid, sync_seq);
CREATE INDEX household_departures_by_time ON household_departures (created_at);

CREATE FUNCTION households_departed() RETURNS trigger AS $$
BEGIN
    INSERT INTO household_departures (household_id, area_code, province_code, district_code, created_at)
    VALUES (OLD.id, OLD.area_code, OLD.province_code, OLD.district_code, now() AT TIME ZONE 'UTC');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER households_departed AFTER UPDATE ON households
    FOR EACH ROW WHEN (OLD.area_code IS DISTINCT FROM NEW.area_code)
    EXECUTE FUNCTION households_departed();
