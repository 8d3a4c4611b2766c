-- PDPA erasure reaches a grievance's history: an event's note may be replaced by the
-- redaction marker, and nothing else of an event may change. Deletion stays refused.
CREATE OR REPLACE FUNCTION grievance_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND NEW.note = '[ลบข้อมูลส่วนบุคคลแล้ว / personal data removed]'
        AND (NEW.id, NEW.grievance_id, NEW.action, NEW.to_status, NEW.actor_id, NEW.at,
             NEW.elapsed_seconds)
            = (OLD.id, OLD.grievance_id, OLD.action, OLD.to_status, OLD.actor_id, OLD.at,
               OLD.elapsed_seconds)
        AND NEW.from_status IS NOT DISTINCT FROM OLD.from_status
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'grievance history is append-only';
END;
$$ LANGUAGE plpgsql;

-- Which grievance a webhook delivery is about, so erasure can find its copies.
ALTER TABLE webhook_outbox ADD COLUMN grievance_id TEXT;
UPDATE webhook_outbox SET grievance_id = payload::json -> 'grievance' ->> 'id';
CREATE INDEX webhook_outbox_by_grievance ON webhook_outbox (grievance_id);
