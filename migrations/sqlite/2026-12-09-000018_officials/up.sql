-- An account whose password was set by someone else (a bulk import, a reset) must change
-- it before doing anything else.
ALTER TABLE users ADD COLUMN password_change_required BOOLEAN NOT NULL DEFAULT 0;

-- When each account last signed in and last synced, for the officials' admin screens.
-- Kept apart from `users` so that these frequent writes do not move the account in the
-- sync feed or rewrite its row.
CREATE TABLE account_activity (
    user_id         TEXT PRIMARY KEY REFERENCES users (id),
    last_sign_in_at TIMESTAMP,
    last_sync_at    TIMESTAMP
);
