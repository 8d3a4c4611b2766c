-- Visits and grievances belong to a household of the register, and a visit may ask for
-- a follow-up by a date. A household keeps when it was last visited and when it is next
-- due: the latest visit's follow-up date, while it asks for one. A later visit closes it
-- (and sets its own); a visit synced late, older than the last one, changes nothing. The
-- trigger keeps it, so no write path (the filing desk's one statement, a batch, the demo)
-- can forget it, and the household's sync position moves with it.
ALTER TABLE visits ADD COLUMN household_id TEXT REFERENCES households (id);
ALTER TABLE visits ADD COLUMN follow_up_by DATE;
ALTER TABLE grievances ADD COLUMN household_id TEXT REFERENCES households (id);
ALTER TABLE households ADD COLUMN last_visit_at TIMESTAMP;
ALTER TABLE households ADD COLUMN next_visit_due DATE;
CREATE INDEX visits_by_household ON visits (household_id, visited_at);
CREATE INDEX grievances_by_household ON grievances (household_id);
CREATE INDEX households_by_next_visit ON households (next_visit_due);

CREATE FUNCTION households_follow_visit() RETURNS trigger AS $$
BEGIN
    UPDATE households
       SET last_visit_at = NEW.visited_at,
           next_visit_due = CASE WHEN NEW.follow_up_needed THEN NEW.follow_up_by END
     WHERE id = NEW.household_id
       AND (last_visit_at IS NULL OR last_visit_at <= NEW.visited_at);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER visits_follow_household AFTER INSERT ON visits
    FOR EACH ROW WHEN (NEW.household_id IS NOT NULL)
    EXECUTE FUNCTION households_follow_visit();
