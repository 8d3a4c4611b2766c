-- Tamper evidence: each entry carries the hash of the one before it and its own hash
-- over its contents and that link. Entries written before this migration have empty
-- hashes; the chain starts after them.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN hash TEXT NOT NULL DEFAULT '';
