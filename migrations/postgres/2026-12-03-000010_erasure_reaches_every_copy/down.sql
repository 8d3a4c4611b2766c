DROP INDEX webhook_outbox_by_grievance;
ALTER TABLE webhook_outbox DROP COLUMN grievance_id;
CREATE OR REPLACE FUNCTION grievance_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'grievance history is append-only';
END;
$$ LANGUAGE plpgsql;
