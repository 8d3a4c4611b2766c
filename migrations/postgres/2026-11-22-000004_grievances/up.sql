-- Citizens' grievances (ความเดือดร้อน). Like visits, `id` is the phone's own id and
-- `content_hash` tells a resend from a different grievance. The complainant's phone and
-- national ID are stored encrypted, with a keyed hash for lookups and the last 4 digits
-- for masked display; never in plain text.
CREATE TABLE grievances (
    id                   TEXT PRIMARY KEY,
    reporter_id          TEXT NOT NULL REFERENCES users (id),
    reported_at          TIMESTAMP NOT NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    lat                  DOUBLE PRECISION NOT NULL,
    lon                  DOUBLE PRECISION NOT NULL,
    accuracy_m           DOUBLE PRECISION,
    declared_area_code   TEXT,
    area_code            TEXT NOT NULL,
    province_code        TEXT NOT NULL,
    district_code        TEXT,
    category             TEXT NOT NULL,
    priority             TEXT NOT NULL,
    title                TEXT NOT NULL,
    description          TEXT NOT NULL,
    target_groups        TEXT NOT NULL,
    visit_id             TEXT,
    complainant_name     TEXT,
    complainant_consent  BOOLEAN,
    phone_cipher         TEXT,
    phone_hash           TEXT,
    phone_last4          TEXT,
    national_id_cipher   TEXT,
    national_id_hash     TEXT,
    national_id_last4    TEXT,
    status               TEXT NOT NULL,
    version              BIGINT NOT NULL,
    assignee_id          TEXT REFERENCES users (id),
    referred_to          TEXT,
    due_at               TIMESTAMP NOT NULL,
    resolved_at          TIMESTAMP,
    reopen_count         BIGINT NOT NULL DEFAULT 0,
    overdue_notified     BOOLEAN NOT NULL DEFAULT FALSE,
    content_hash         TEXT NOT NULL
);
CREATE INDEX grievances_by_created ON grievances (created_at, id);
CREATE INDEX grievances_by_updated ON grievances (updated_at, id);
CREATE INDEX grievances_by_province ON grievances (province_code, created_at, id);
CREATE INDEX grievances_by_district ON grievances (district_code, created_at, id);
CREATE INDEX grievances_by_area ON grievances (area_code, created_at, id);
CREATE INDEX grievances_by_reporter ON grievances (reporter_id, updated_at, id);
CREATE INDEX grievances_by_assignee ON grievances (assignee_id, status);
CREATE INDEX grievances_by_due ON grievances (status, due_at);
CREATE INDEX grievances_by_place ON grievances (category, lat, lon);
CREATE INDEX grievances_by_national_id ON grievances (national_id_hash);
CREATE INDEX grievances_by_phone ON grievances (phone_hash);

-- What happened to a grievance, in order. Append-only.
CREATE TABLE grievance_events (
    id           TEXT PRIMARY KEY,
    grievance_id TEXT NOT NULL REFERENCES grievances (id),
    action       TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    actor_id     TEXT NOT NULL REFERENCES users (id),
    note         TEXT,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX grievance_events_by_grievance ON grievance_events (grievance_id, at);
CREATE INDEX grievance_events_by_time ON grievance_events (to_status, at);

CREATE FUNCTION grievance_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'grievance history is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER grievance_events_append_only BEFORE UPDATE OR DELETE ON grievance_events
    FOR EACH ROW EXECUTE FUNCTION grievance_events_append_only();

CREATE TABLE grievance_comments (
    id           TEXT PRIMARY KEY,
    grievance_id TEXT NOT NULL REFERENCES grievances (id),
    author_id    TEXT NOT NULL REFERENCES users (id),
    body         TEXT NOT NULL,
    internal     BOOLEAN NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX grievance_comments_by_grievance ON grievance_comments (grievance_id, created_at);

-- Webhook deliveries, written in the same transaction as the change they announce, and
-- sent by a background dispatcher with retries: a receiver that is down loses nothing.
CREATE TABLE webhook_outbox (
    id              BIGSERIAL PRIMARY KEY,
    delivery_id     TEXT NOT NULL UNIQUE,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    delivered_at    TIMESTAMP,
    last_error      TEXT
);
CREATE INDEX webhook_outbox_pending ON webhook_outbox (delivered_at, next_attempt_at);
