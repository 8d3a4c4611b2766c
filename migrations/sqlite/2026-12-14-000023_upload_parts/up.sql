-- The parts of resumable uploads: which bytes of an upload each stored object holds.
-- Every chunk is kept as an object of its own in the photo store (the data directory or
-- a bucket all nodes share), and recorded here in the same transaction that moves the
-- upload's offset, so any node can continue an upload, and a chunk two nodes received
-- at once is recorded once: the other's object is never referred to.
CREATE TABLE upload_parts (
    upload_id    TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    start_offset BIGINT NOT NULL,
    end_offset   BIGINT NOT NULL,
    object_key   TEXT NOT NULL,
    PRIMARY KEY (upload_id, start_offset)
);

-- Uploads begun before kept their bytes in one file, `photos/uploads/<id>.part`: that
-- file is their first part.
INSERT INTO upload_parts (upload_id, start_offset, end_offset, object_key)
SELECT id, 0, upload_offset, 'uploads/' || id || '.part'
FROM uploads
WHERE upload_offset > 0 AND photo_id IS NULL;
