-- The phone sync feed (GET /sync/changes). Every visit, grievance and account carries the
-- position of its last change: the id of the transaction that wrote it (`sync_xid`) and a
-- number from one sequence (`sync_seq`). Triggers set both on every insert and update, so
-- no write path can forget them. The feed reads a source in (sync_xid, sync_seq) order,
-- only below the oldest transaction still running (src/db/sync.rs explains why).
CREATE SEQUENCE sync_seq;

CREATE FUNCTION sync_position() RETURNS trigger AS $$
BEGIN
    NEW.sync_xid := pg_current_xact_id()::text::bigint;
    NEW.sync_seq := nextval('sync_seq');
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- Rows written before this migration keep transaction 0: older than any to come.
ALTER TABLE visits ADD COLUMN sync_xid BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE grievances ADD COLUMN sync_xid BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN sync_xid BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT 0;
UPDATE visits SET sync_seq = nextval('sync_seq');
UPDATE grievances SET sync_seq = nextval('sync_seq');
UPDATE users SET sync_seq = nextval('sync_seq');

-- Records that left someone's sync set without leaving the query that finds them there:
-- a grievance reassigned away from an official. (Erasure and an account moved elsewhere
-- need none: the record's position moves and the feed judges it again.)
CREATE TABLE sync_removals (
    id         BIGSERIAL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sync_xid   BIGINT NOT NULL DEFAULT 0,
    sync_seq   BIGINT NOT NULL DEFAULT 0
);

CREATE TRIGGER visits_sync_position BEFORE INSERT OR UPDATE ON visits
    FOR EACH ROW EXECUTE FUNCTION sync_position();
CREATE TRIGGER grievances_sync_position BEFORE INSERT OR UPDATE ON grievances
    FOR EACH ROW EXECUTE FUNCTION sync_position();
CREATE TRIGGER users_sync_position BEFORE INSERT OR UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION sync_position();
CREATE TRIGGER sync_removals_position BEFORE INSERT ON sync_removals
    FOR EACH ROW EXECUTE FUNCTION sync_position();

-- One index per source of a sync set, in feed order.
CREATE INDEX visits_by_author_sync ON visits (author_id, sync_xid, sync_seq);
CREATE INDEX grievances_by_reporter_sync ON grievances (reporter_id, sync_xid, sync_seq);
CREATE INDEX grievances_by_assignee_sync ON grievances (assignee_id, sync_xid, sync_seq);
CREATE INDEX sync_removals_by_user ON sync_removals (user_id, sync_xid, sync_seq);
CREATE INDEX sync_removals_by_time ON sync_removals (created_at);

CREATE FUNCTION grievances_sync_reassigned() RETURNS trigger AS $$
BEGIN
    INSERT INTO sync_removals (user_id, kind, record_id, created_at)
    VALUES (OLD.assignee_id, 'grievance', NEW.id, now() AT TIME ZONE 'UTC');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER grievances_sync_reassigned AFTER UPDATE ON grievances
    FOR EACH ROW
    WHEN (OLD.assignee_id IS NOT NULL AND OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
    EXECUTE FUNCTION grievances_sync_reassigned();

-- An account moved to another area, given another role or renamed: everything in its
-- sync set moves to a new position, so the feed judges each record again (a volunteer's
-- visits left behind in its old area go as removals) and shows the new name.
CREATE FUNCTION users_sync_moved() RETURNS trigger AS $$
BEGIN
    UPDATE visits SET sync_seq = sync_seq WHERE author_id = NEW.id;
    UPDATE grievances SET sync_seq = sync_seq WHERE reporter_id = NEW.id OR assignee_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_sync_moved AFTER UPDATE ON users
    FOR EACH ROW
    WHEN (OLD.area_code IS DISTINCT FROM NEW.area_code OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION users_sync_moved();
