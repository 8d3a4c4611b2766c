DROP TRIGGER households_departed;
DROP TRIGGER household_departures_insert;
DROP TABLE household_departures;
