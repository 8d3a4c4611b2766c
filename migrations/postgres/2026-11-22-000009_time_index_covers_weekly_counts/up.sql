-- The time index carries every column the weekly visit figures read, so the country's
-- weekly summary can be an index-only scan instead of a heap fetch per visit of the
-- week. Its keys are unchanged (time, then id); the rest rides along as payload.
DROP INDEX visits_by_time;
CREATE INDEX visits_by_time ON visits (visited_at, id) INCLUDE (
    area_code, province_code, district_code, activity, target_groups,
    households_visited, people_reached
);
