-- Accounts. `username_key` is the lowercased username: unique case-insensitively.
-- `province_code`/`district_code` are the prefixes of `area_code`, so scoping a query to
-- an area is an indexed equality on either engine (no LIKE, no collation surprises).
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    area_code     TEXT NOT NULL,
    province_code TEXT,
    district_code TEXT,
    phone         TEXT,
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    -- Bumped by every change that must end existing sessions; access tokens carry it.
    token_version BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX users_province ON users (province_code, role);
CREATE INDEX users_district ON users (district_code, role);
CREATE INDEX users_area ON users (area_code, role);

-- Refresh tokens are stored only as SHA-256 hashes. One login is one family; rotation
-- spends a token and issues the next in the same family.
CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    spent_at   TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Login attempts, kept in the database so every node sees the same counts.
CREATE TABLE login_attempts (
    id           BIGSERIAL PRIMARY KEY,
    username_key TEXT NOT NULL,
    client_addr  TEXT NOT NULL,
    at           TIMESTAMP NOT NULL,
    succeeded    BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_username ON login_attempts (username_key, at);
CREATE INDEX login_attempts_client ON login_attempts (client_addr, at);
