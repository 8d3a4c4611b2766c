-- PDPA erasure reaches a grievance's history: an event's note may be replaced by the
-- redaction marker, and nothing else of an event may change.
DROP TRIGGER grievance_events_no_update;
CREATE TRIGGER grievance_events_no_update BEFORE UPDATE ON grievance_events
WHEN NOT (
    NEW.note = '[ลบข้อมูลส่วนบุคคลแล้ว / personal data removed]'
    AND NEW.id = OLD.id AND NEW.grievance_id = OLD.grievance_id AND NEW.action = OLD.action
    AND NEW.from_status IS OLD.from_status AND NEW.to_status = OLD.to_status
    AND NEW.actor_id = OLD.actor_id AND NEW.at = OLD.at
    AND NEW.elapsed_seconds = OLD.elapsed_seconds
)
BEGIN
    SELECT RAISE(ABORT, 'grievance history is append-only');
END;

-- Which grievance a webhook delivery is about, so erasure can find its copies.
ALTER TABLE webhook_outbox ADD COLUMN grievance_id TEXT;
UPDATE webhook_outbox SET grievance_id = json_extract(payload, '$.grievance.id');
CREATE INDEX webhook_outbox_by_grievance ON webhook_outbox (grievance_id);
