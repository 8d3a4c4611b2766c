DROP TABLE household_events;
DROP FUNCTION household_events_append_only();
DROP TABLE household_members;
DROP TABLE households;
