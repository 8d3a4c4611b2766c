-- When a visit last changed, for `GET /visits?updated_since=`: it is filed (received_at)
-- and may later be reviewed (reviewed_at). Kept as a column of its own so the list can
-- walk it in order with a keyset cursor. New keys arrive in time order, so the index
-- grows at its end.
ALTER TABLE visits ADD COLUMN updated_at TIMESTAMP;
UPDATE visits SET updated_at = GREATEST(received_at, reviewed_at);
ALTER TABLE visits ALTER COLUMN updated_at SET NOT NULL;
CREATE INDEX visits_by_update ON visits (updated_at, id);
