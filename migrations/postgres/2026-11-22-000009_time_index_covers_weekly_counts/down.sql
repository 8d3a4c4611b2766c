DROP INDEX visits_by_time;
CREATE INDEX visits_by_time ON visits (visited_at, id);
