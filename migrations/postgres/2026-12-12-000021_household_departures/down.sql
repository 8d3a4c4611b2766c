DROP TRIGGER households_departed ON households;
DROP FUNCTION households_departed();
DROP TABLE household_departures;
