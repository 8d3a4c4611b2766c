DROP INDEX grievances_queue_counts;
