-- A grievance keeps the same placement flags as a visit (`near_boundary` when its point
-- lies just outside the reporter's area, `area_mismatch`, `low_accuracy`,
-- `area_approximate`) and its photos' EXIF flags: names joined by commas, as on visits.
ALTER TABLE grievances ADD COLUMN flags TEXT NOT NULL DEFAULT '';
