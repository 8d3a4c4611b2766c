DROP TABLE audit_log;
DROP TABLE app_meta;
DROP TABLE areas;
