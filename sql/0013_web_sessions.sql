-- Sessions of the leadership page (issue 16, docs/dashboard.md "The
-- page"): a leader signs in once with a dashboard token and gets a random
-- session id in an HttpOnly, SameSite=Strict cookie. The database holds
-- SHA-256 of the id, never the id, and the token it came from: revoking
-- the token (or deleting it) ends its sessions at once. A session ends
-- after FREMDRIFT_DASH_SESSION_IDLE minutes without use or at expires_at,
-- whichever is first, and at sign-out (the row is deleted).
CREATE TABLE fremdrift.web_sessions (
    id_sha256    bytea PRIMARY KEY CHECK (length(id_sha256) = 32),
    token_sha256 bytea NOT NULL
                 REFERENCES fremdrift.api_tokens ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX web_sessions_token ON fremdrift.web_sessions (token_sha256);
