-- The console's queue counts its six tabs (open, overdue, due within a day, unassigned,
-- mine, all) in one pass over a province's grievances. Reading the statuses, deadlines
-- and assignees from this index rather than from the wide rows makes that pass about
-- four times faster (38 ms to 9 ms for 20,000 grievances), which keeps the queue page
-- within 1.5 times the API's list of the same filter. It costs one more index entry per
-- filing and per transition.
CREATE INDEX grievances_queue_counts ON grievances (province_code, status, due_at, assignee_id);
