DROP TABLE webhook_outbox;
DROP TABLE grievance_comments;
DROP TABLE grievance_events;
DROP TABLE grievances;
