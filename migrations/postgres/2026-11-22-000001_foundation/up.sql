-- Thai administrative areas, loaded at start from the geography compiled into the binary.
CREATE TABLE areas (
    code        TEXT PRIMARY KEY,
    level       TEXT NOT NULL,
    name_th     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    parent_code TEXT,
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION
);
CREATE INDEX areas_parent_code ON areas (parent_code);

-- Small facts about this database (e.g. which geography it holds).
CREATE TABLE app_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Who did what, when, from where. Append-only: the trigger refuses edits and deletions.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor_id    TEXT,
    action      TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id   TEXT,
    client_addr TEXT,
    request_id  TEXT,
    details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_record ON audit_log (record_type, record_id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
