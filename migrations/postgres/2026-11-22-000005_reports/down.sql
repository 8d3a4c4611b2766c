DROP TABLE plans;
DROP INDEX grievance_events_by_action;
ALTER TABLE grievance_events DROP COLUMN elapsed_seconds;
DROP INDEX visits_by_author_day;
ALTER TABLE visits DROP COLUMN visited_on;
