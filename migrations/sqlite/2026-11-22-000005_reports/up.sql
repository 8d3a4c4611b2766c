-- The Bangkok calendar day of each visit, so "days in the field" is a plain
-- COUNT(DISTINCT visited_on) on either engine.
ALTER TABLE visits ADD COLUMN visited_on TEXT NOT NULL DEFAULT '';
UPDATE visits SET visited_on = date(visited_at, '+7 hours');
CREATE INDEX visits_by_author_day ON visits (author_id, visited_on);

-- Seconds from filing to each event, so the median time to resolve is an ORDER BY.
ALTER TABLE grievance_events ADD COLUMN elapsed_seconds BIGINT NOT NULL DEFAULT 0;
CREATE INDEX grievance_events_by_action ON grievance_events (action, at);

-- One-year plans: a user's own targets for a Thai fiscal year (Buddhist Era).
CREATE TABLE plans (
    user_id                    TEXT NOT NULL REFERENCES users (id),
    fiscal_year                INTEGER NOT NULL,
    weekly_field_days          INTEGER NOT NULL,
    visits_target              INTEGER NOT NULL,
    households_target          INTEGER NOT NULL,
    grievances_resolved_target INTEGER NOT NULL,
    updated_at                 TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, fiscal_year)
);
