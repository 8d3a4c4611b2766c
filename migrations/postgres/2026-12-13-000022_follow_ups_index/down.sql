DROP INDEX visits_follow_ups_due;
