-- The grants of the service role (sql/0014_service_role.sql): exactly
-- what `fremdrift serve` and `fremdrift ingest` need, table by table.
-- Re-applied whenever this file or a migration changes, so a new table
-- gets its grant here or none at all. docs/operations.md, "Database
-- roles", lists them for IT staff.

GRANT USAGE ON SCHEMA fremdrift, report, dashboard TO fremdrift_service;

-- Read: catalogues, questionnaires, keys' ids, tokens' hashes, the
-- migration state (GET /health), reliability (the progress page), the
-- published release (the leadership page and its API) and the summary of
-- what foretells a good exit (the leadership page; never the validity
-- tables themselves).
GRANT SELECT ON fremdrift.departments, fremdrift.target_groups,
    fremdrift.interventions, fremdrift.intervention_categories,
    fremdrift.exit_statuses, fremdrift.subgoals, fremdrift.meeting_types,
    fremdrift.instruments, fremdrift.instrument_dimensions,
    fremdrift.instrument_subgoals, fremdrift.dimension_reliability,
    fremdrift.api_tokens, fremdrift.ids_pseudonymised,
    fremdrift.schema_migrations, fremdrift.schema_definitions,
    fremdrift.cadence, fremdrift.dash_published, fremdrift.dash_params,
    fremdrift.dash_published_periods, fremdrift.validity_summary
    TO fremdrift_service;
GRANT SELECT ON ALL TABLES IN SCHEMA dashboard TO fremdrift_service;
GRANT SELECT ON report.dimension_reliability TO fremdrift_service;

-- Write: records (insert only: the service never changes or deletes
-- one), the bookkeeping that makes ingest exactly-once, the first
-- pseudonym key of an empty database, links and their drafts, and the
-- leadership page's sessions.
GRANT SELECT, INSERT ON fremdrift.responses, fremdrift.events,
    fremdrift.ingest_batches, fremdrift.pseudonym_keys TO fremdrift_service;
GRANT SELECT, INSERT, UPDATE ON fremdrift.file_checkpoints,
    fremdrift.invitations TO fremdrift_service;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA fremdrift TO fremdrift_service;
GRANT SELECT, INSERT, UPDATE, DELETE ON fremdrift.web_sessions
    TO fremdrift_service;

-- The functions the server calls (each runs with the caller's rights).
GRANT EXECUTE ON FUNCTION fremdrift.dash_answer(text, text, text, text, text),
    fremdrift.dash_page(text, text, text),
    fremdrift.dash_page_session(bytea, integer, text, text, text),
    fremdrift.invitation_get(text, text, "char", bytea, bytea, text),
    fremdrift.invitations_due(text), fremdrift.draft_merge(jsonb, jsonb),
    fremdrift.invitation_save(bigint, jsonb) TO fremdrift_service;
