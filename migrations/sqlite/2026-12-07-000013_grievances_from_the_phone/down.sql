DROP INDEX grievances_by_parent;
ALTER TABLE grievances DROP COLUMN duplicate_of;
