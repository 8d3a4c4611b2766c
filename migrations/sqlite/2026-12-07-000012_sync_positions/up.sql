-- The phone sync feed (GET /sync/changes). Every visit, grievance and account carries the
-- position of its last change: `sync_seq`, from one counter that triggers bump on every
-- insert and update, so no write path can forget it. SQLite has one writer at a time, so
-- positions are taken in commit order and `sync_xid` stays 0 (it is PostgreSQL's
-- transaction id there; src/db/sync.rs explains both).
CREATE TABLE sync_counter (
    id  INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL
);

ALTER TABLE visits ADD COLUMN sync_xid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE visits ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE grievances ADD COLUMN sync_xid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE grievances ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN sync_xid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT 0;

-- Rows written before this migration: distinct positions, table after table.
UPDATE visits SET sync_seq = rowid;
UPDATE grievances SET sync_seq = rowid + (SELECT COALESCE(MAX(sync_seq), 0) FROM visits);
UPDATE users SET sync_seq = rowid + (SELECT MAX(seq) FROM (
    SELECT COALESCE(MAX(sync_seq), 0) AS seq FROM visits
    UNION ALL SELECT COALESCE(MAX(sync_seq), 0) FROM grievances));
INSERT INTO sync_counter (id, seq) SELECT 1, MAX(seq) FROM (
    SELECT COALESCE(MAX(sync_seq), 0) AS seq FROM visits
    UNION ALL SELECT COALESCE(MAX(sync_seq), 0) FROM grievances
    UNION ALL SELECT COALESCE(MAX(sync_seq), 0) FROM users);

-- Records that left someone's sync set without leaving the query that finds them there:
-- a grievance reassigned away from an official. (Erasure and an account moved elsewhere
-- need none: the record's position moves and the feed judges it again.)
CREATE TABLE sync_removals (
    id         INTEGER PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sync_xid   BIGINT NOT NULL DEFAULT 0,
    sync_seq   BIGINT NOT NULL DEFAULT 0
);

-- A row written gets the next position. SQLite cannot change NEW in a BEFORE trigger, so
-- the row is updated after; the update trigger's WHEN sees the position changed and stays
-- quiet. An update that set no position of its own gets the next one the same way.
CREATE TRIGGER visits_sync_insert AFTER INSERT ON visits BEGIN
    UPDATE sync_counter SET seq = seq + 1;
    UPDATE visits SET sync_seq = (SELECT seq FROM sync_counter) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER visits_sync_update AFTER UPDATE ON visits WHEN NEW.sync_seq = OLD.sync_seq BEGIN
    UPDATE sync_counter SET seq = seq + 1;
    UPDATE visits SET sync_seq = (SELECT seq FROM sync_counter) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER grievances_sync_insert AFTER INSERT ON grievances BEGIN
    UPDATE sync_counter SET seq = seq + 1;
    UPDATE grievances SET sync_seq = (SELECT seq FROM sync_counter) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER grievances_sync_update AFTER UPDATE ON grievances
WHEN NEW.sync_seq = OLD.sync_seq BEGIN
    UPDATE sync_counter SET seq = seq + 1;
    UPDATE grievances SET sync_seq = (SELECT seq FROM sync_counter) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER users_sync_insert AFTER INSERT ON users BEGIN
    UPDATE sync_counter SET seq = seq + 1;
    UPDATE users SET sync_seq = (SELECT seq FROM sync_counter) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER users_sync_update AFTER UPDATE ON users WHEN NEW.sync_seq = OLD.sync_seq BEGIN
    UPDATE sync_counter SET seq = seq + 1;
    UPDATE users SET sync_seq = (SELECT seq FROM sync_counter) WHERE rowid = NEW.rowid;
END;
CREATE TRIGGER sync_removals_insert AFTER INSERT ON sync_removals BEGIN
    UPDATE sync_counter SET seq = seq + 1;
    UPDATE sync_removals SET sync_seq = (SELECT seq FROM sync_counter) WHERE id = NEW.id;
END;

-- One index per source of a sync set, in feed order.
CREATE INDEX visits_by_author_sync ON visits (author_id, sync_xid, sync_seq);
CREATE INDEX grievances_by_reporter_sync ON grievances (reporter_id, sync_xid, sync_seq);
CREATE INDEX grievances_by_assignee_sync ON grievances (assignee_id, sync_xid, sync_seq);
CREATE INDEX sync_removals_by_user ON sync_removals (user_id, sync_xid, sync_seq);
CREATE INDEX sync_removals_by_time ON sync_removals (created_at);

CREATE TRIGGER grievances_sync_reassigned AFTER UPDATE OF assignee_id ON grievances
WHEN OLD.assignee_id IS NOT NULL AND OLD.assignee_id IS NOT NEW.assignee_id BEGIN
    INSERT INTO sync_removals (user_id, kind, record_id, created_at)
    VALUES (OLD.assignee_id, 'grievance', NEW.id, strftime('%Y-%m-%d %H:%M:%f', 'now'));
END;

-- An account moved to another area, given another role or renamed: everything in its
-- sync set moves to a new position, so the feed judges each record again (a volunteer's
-- visits left behind in its old area go as removals) and shows the new name.
CREATE TRIGGER users_sync_moved AFTER UPDATE ON users
WHEN OLD.area_code IS NOT NEW.area_code OR OLD.role IS NOT NEW.role
    OR OLD.display_name IS NOT NEW.display_name BEGIN
    UPDATE visits SET sync_seq = sync_seq WHERE author_id = NEW.id;
    UPDATE grievances SET sync_seq = sync_seq WHERE reporter_id = NEW.id OR assignee_id = NEW.id;
END;
