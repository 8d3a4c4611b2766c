-- When a grievance's personal data was erased (on the complainant's request or by the
-- retention job). The workflow facts stay, so the statistics do not change.
ALTER TABLE grievances ADD COLUMN anonymised_at TIMESTAMP;
CREATE INDEX grievances_for_retention ON grievances (status, updated_at);
