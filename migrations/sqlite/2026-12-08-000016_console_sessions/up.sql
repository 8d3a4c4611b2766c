-- Signed-in sessions of the web console. The browser holds a random token in an
-- HttpOnly cookie; only its SHA-256 is stored. A session ends at sign-out (row deleted),
-- after a spell of inactivity (`last_seen_at`), when the account is deactivated, and when
-- its password changes (`token_version` moves on). `csrf_token` is the session's
-- anti-forgery token, sent back with every form and htmx request.
CREATE TABLE console_sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    token_version BIGINT NOT NULL,
    csrf_token    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
