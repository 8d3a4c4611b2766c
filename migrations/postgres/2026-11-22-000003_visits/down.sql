DROP TABLE visit_photos;
DROP TABLE visit_target_groups;
DROP TABLE visits;
