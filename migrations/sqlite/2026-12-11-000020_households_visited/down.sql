DROP TRIGGER visits_follow_household;
DROP INDEX households_by_next_visit;
DROP INDEX grievances_by_household;
DROP INDEX visits_by_household;
ALTER TABLE households DROP COLUMN next_visit_due;
ALTER TABLE households DROP COLUMN last_visit_at;
ALTER TABLE grievances DROP COLUMN household_id;
ALTER TABLE visits DROP COLUMN follow_up_by;
ALTER TABLE visits DROP COLUMN household_id;
