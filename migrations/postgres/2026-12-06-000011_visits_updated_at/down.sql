DROP INDEX visits_by_update;
ALTER TABLE visits DROP COLUMN updated_at;
