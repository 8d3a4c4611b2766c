DROP INDEX webhook_outbox_by_grievance;
ALTER TABLE webhook_outbox DROP COLUMN grievance_id;
DROP TRIGGER grievance_events_no_update;
CREATE TRIGGER grievance_events_no_update BEFORE UPDATE ON grievance_events
BEGIN
    SELECT RAISE(ABORT, 'grievance history is append-only');
END;
