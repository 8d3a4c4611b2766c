-- The grievance a duplicate points at (status `duplicate`); cleared when it is reopened.
-- Checked by the service (a grievance the marker may see, not a duplicate itself);
-- grievances are never deleted, so it never dangles.
-- Parents are looked up by their duplicates and never the other way round in bulk, and
-- most grievances are no duplicate: a partial index holds only those that are.
ALTER TABLE grievances ADD COLUMN duplicate_of TEXT;
CREATE INDEX grievances_by_parent ON grievances (duplicate_of) WHERE duplicate_of IS NOT NULL;
