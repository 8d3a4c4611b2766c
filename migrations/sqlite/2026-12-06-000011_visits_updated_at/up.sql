-- When a visit last changed, for `GET /visits?updated_since=`: it is filed (received_at)
-- and may later be reviewed (reviewed_at). Kept as a column of its own so the list can
-- walk it in order with a keyset cursor. New keys arrive in time order, so the index
-- grows at its end.
ALTER TABLE visits ADD COLUMN updated_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE visits SET updated_at = MAX(received_at, COALESCE(reviewed_at, received_at));
CREATE INDEX visits_by_update ON visits (updated_at, id);
