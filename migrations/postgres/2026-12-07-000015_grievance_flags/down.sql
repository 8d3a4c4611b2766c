ALTER TABLE grievances DROP COLUMN flags;
