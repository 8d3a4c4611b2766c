-- The time index carries every column the weekly visit figures read, so the country's
-- weekly summary is read from the index alone: through the old index each visit of the
-- week cost a lookup in the table, three to four times the whole pass. Its order is
-- unchanged (time, then id), so listings and exports walk it as before.
DROP INDEX visits_by_time;
CREATE INDEX visits_by_time ON visits (
    visited_at, id,
    area_code, province_code, district_code, activity, target_groups,
    households_visited, people_reached
);
