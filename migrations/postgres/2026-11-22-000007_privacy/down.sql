DROP INDEX grievances_for_retention;
ALTER TABLE grievances DROP COLUMN anonymised_at;
