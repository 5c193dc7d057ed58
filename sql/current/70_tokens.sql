-- Tells running servers that API tokens changed, so that a revoked token
-- stops working at once instead of when a server's cache expires: every
-- `fremdrift serve` listens on fremdrift_tokens and empties its token cache
-- on this notification (server/auth.c). PostgreSQL delivers it when the
-- revoking transaction commits, and not at all if it rolls back. Any
-- UPDATE or DELETE counts, whether `fremdrift token revoke` or plain SQL.
CREATE OR REPLACE FUNCTION fremdrift.api_tokens_changed() RETURNS trigger
LANGUAGE plpgsql AS
$$ BEGIN
	PERFORM pg_notify('fremdrift_tokens', '');
	RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER api_tokens_changed
AFTER UPDATE OR DELETE OR TRUNCATE ON fremdrift.api_tokens
FOR EACH STATEMENT EXECUTE FUNCTION fremdrift.api_tokens_changed();
