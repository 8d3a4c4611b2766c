DROP TABLE webhook_outbox;
DROP TABLE grievance_comments;
DROP TABLE grievance_events;
DROP FUNCTION grievance_events_append_only();
DROP TABLE grievances;
