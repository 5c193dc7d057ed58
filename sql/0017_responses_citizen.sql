-- Issue 19: a cheaper index on a response's citizen. Every query that
-- looks a citizen's responses up does so by pseudonym alone (access,
-- erasure and cpr-change in anonymize/rights.c; key rotation joins on
-- it); none orders or filters by answered_at within a citizen, so the
-- second column only made the index bigger. On pseudonym alone, a
-- citizen's responses share one key, which PostgreSQL's B-tree
-- deduplication stores once with a list of rows: about a seventh of the
-- size, and fewer pages dirtied by every load (docs/storage.md,
-- docs/benchmarks.md). events_citizen has had this shape from the start.
DROP INDEX fremdrift.responses_citizen;
CREATE INDEX responses_citizen ON fremdrift.responses (pseudonym);
