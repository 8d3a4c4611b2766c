DROP TABLE household_events;
DROP TABLE household_members;
DROP TABLE households;
