CREATE TABLE visit_target_groups (
    visit_id     TEXT NOT NULL REFERENCES visits (id),
    target_group TEXT NOT NULL,
    PRIMARY KEY (visit_id, target_group)
);
CREATE INDEX visit_target_groups_by_group ON visit_target_groups (target_group, visit_id);
INSERT INTO visit_target_groups (visit_id, target_group)
SELECT v.id, g.code
FROM visits v
JOIN (
    SELECT 'children' AS code, 1 AS bit UNION ALL
    SELECT 'youth', 2 UNION ALL
    SELECT 'women', 4 UNION ALL
    SELECT 'families', 8 UNION ALL
    SELECT 'elderly', 16 UNION ALL
    SELECT 'disabled', 32 UNION ALL
    SELECT 'underprivileged', 64 UNION ALL
    SELECT 'low_income', 128 UNION ALL
    SELECT 'homeless', 256 UNION ALL
    SELECT 'beggars', 512
) g ON (v.target_groups & g.bit) <> 0;
ALTER TABLE visits DROP COLUMN target_groups;
