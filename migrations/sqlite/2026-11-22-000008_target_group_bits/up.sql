-- A visit's target groups move into one column of `visits`, a bit per group (the bits
-- are fixed in src/visits/mod.rs and never reused). As rows of their own, the groups of
-- each filed visit cost three more index entries under random keys, which made up most
-- of the disk writes of filing a visit.
ALTER TABLE visits ADD COLUMN target_groups BIGINT NOT NULL DEFAULT 0;
UPDATE visits SET target_groups = (
    SELECT COALESCE(SUM(CASE g.target_group
        WHEN 'children' THEN 1
        WHEN 'youth' THEN 2
        WHEN 'women' THEN 4
        WHEN 'families' THEN 8
        WHEN 'elderly' THEN 16
        WHEN 'disabled' THEN 32
        WHEN 'underprivileged' THEN 64
        WHEN 'low_income' THEN 128
        WHEN 'homeless' THEN 256
        WHEN 'beggars' THEN 512
        ELSE 0 END), 0)
    FROM visit_target_groups g
    WHERE g.visit_id = visits.id
);
DROP TABLE visit_target_groups;
