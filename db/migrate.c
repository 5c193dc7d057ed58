#include "fremdrift/migrate.h"

#include "fremdrift/db.h"
#include "fremdrift/err.h"
#include "fremdrift/buf.h"
#include "fremdrift/catalog.h"
#include "fremdrift/log.h"
#include "fremdrift/pseudonym.h"

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One key for every fremdrift migrate, so two never run at once. */
#define MIGRATE_LOCK "4242020601"

static const char bootstrap_sql[] =
	"SET client_min_messages = warning;"
	"CREATE SCHEMA IF NOT EXISTS fremdrift;"
	"CREATE TABLE IF NOT EXISTS fremdrift.schema_migrations ("
	" version integer PRIMARY KEY,"
	" name text NOT NULL,"
	" sha256 text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now());"
	"CREATE TABLE IF NOT EXISTS fremdrift.schema_definitions ("
	" name text PRIMARY KEY,"
	" sha256 text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

static void sha256_hex(const char *text, char out[PSEUD_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
	pseud_hex(md, sizeof(md), out);
}

/* Runs sql; on failure fills err with the server's message. */
static int exec(PGconn *conn, const char *sql, struct fr_err *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		char *msg = fr_xstrdup(PQerrorMessage(conn));
		size_t len = strlen(msg);

		while (len > 0 && msg[len - 1] == '\n')
			msg[--len] = '\0';
		rc = fr_err_set(err, FR_EDB, NULL, "%s", msg);
		free(msg);
	}
	PQclear(res);
	return rc;
}

/* Runs sql with text parameters, expecting no rows back. */
static int exec_params(PGconn *conn, const char *sql, int n,
		       const char *const *params, struct fr_err *err)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = fr_err_set(err, FR_EDB, NULL, "%s", PQresultErrorMessage(res));
	PQclear(res);
	return rc;
}

/* Opens a transaction holding the lock every migrate run takes. */
static int begin_locked(PGconn *conn, struct fr_err *err)
{
	int rc = exec(conn, "BEGIN", err);

	if (rc == 0)
		rc = exec(conn, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")",
			  err);
	return rc;
}

/* Runs the text of a migration or definition file; on failure err says
 * which file failed and why. */
static int exec_file(PGconn *conn, const char *sql, const char *what,
		     struct fr_err *err)
{
	int rc = exec(conn, sql, err);

	if (rc != 0) {
		char msg[FR_ERR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
		rc = fr_err_set(err, FR_EDB, NULL, "%s failed: %s", what, msg);
	}
	return rc;
}

/* Sets *exists to whether fremdrift.<table> exists. */
static int table_exists(PGconn *conn, const char *table, int *exists,
			struct fr_err *err)
{
	const char *params[1] = {table};
	PGresult *res = PQexecParams(
		conn, "SELECT to_regclass('fremdrift.' || $1) IS NOT NULL", 1,
		NULL, params, NULL, NULL, 0);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = fr_err_set(err, FR_EDB, NULL, "%s",
				PQresultErrorMessage(res));
	else
		*exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return rc;
}

static const struct migration *find(int version)
{
	for (int i = 0; i < fr_migrations_count; i++)
		if (fr_migrations[i].version == version)
			return &fr_migrations[i];
	return NULL;
}

/*
 * Reads what the database has applied and checks it against the binary.
 * Fills done[i] for each binary migration that is applied. Must run inside
 * a transaction holding the lock (or read-only, for migrate_check).
 */
static int compare(PGconn *conn, int *done, struct fr_err *err)
{
	PGresult *res = PQexec(conn, "SELECT version, name, sha256 FROM "
				     "fremdrift.schema_migrations ORDER BY version");
	int rc = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = fr_err_set(err, FR_EDB, NULL,
				"cannot read fremdrift.schema_migrations: %s",
				PQresultErrorMessage(res));
		goto out;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		int version = atoi(PQgetvalue(res, r, 0));
		const struct migration *m = find(version);
		char sum[PSEUD_HEX_LEN + 1];

		if (m == NULL) {
			rc = fr_err_set(
				err, FR_EDB, NULL,
				"the database has migration %04d (%s), which "
				"this fremdrift does not know: it was migrated "
				"by a newer version; run that version, or "
				"restore a matching backup",
				version, PQgetvalue(res, r, 1));
			goto out;
		}
		sha256_hex(m->sql, sum);
		if (strcmp(sum, PQgetvalue(res, r, 2)) != 0) {
			rc = fr_err_set(
				err, FR_EDB, NULL,
				"migration %04d (%s) in the database differs "
				"from the one in this binary: a migration must "
				"never change once applied; add a new one",
				version, m->name);
			goto out;
		}
		done[m - fr_migrations] = 1;
	}
out:
	PQclear(res);
	return rc;
}

static int find_definition(const char *name)
{
	for (int i = 0; i < fr_definitions_count; i++)
		if (strcmp(fr_definitions[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * Sets stale[i] for each definition file the database has not recorded,
 * or recorded with other text; counts them in *pending. A recorded file
 * this binary does not know was written by a newer fremdrift (that one
 * may be applied over, so refuse). Reads nothing when the bookkeeping
 * table does not exist yet: then every file is pending.
 */
static int compare_definitions(PGconn *conn, int *stale, int *pending,
			       struct fr_err *err)
{
	PGresult *res = NULL;
	int rc, exists = 0;

	for (int i = 0; i < fr_definitions_count; i++)
		stale[i] = 1;
	*pending = fr_definitions_count;
	rc = table_exists(conn, "schema_definitions", &exists, err);
	if (rc != 0 || !exists)
		return rc;
	res = PQexec(conn, "SELECT name, sha256 FROM fremdrift.schema_definitions");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = fr_err_set(err, FR_EDB, NULL,
				"cannot read fremdrift.schema_definitions: %s",
				PQresultErrorMessage(res));
		goto out;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		int i = find_definition(PQgetvalue(res, r, 0));
		char sum[PSEUD_HEX_LEN + 1];

		if (i < 0) {
			rc = fr_err_set(
				err, FR_EDB, NULL,
				"the database has definition file current/%s, "
				"which this fremdrift does not know: it was "
				"migrated by a newer version; run that version, "
				"or restore a matching backup",
				PQgetvalue(res, r, 0));
			goto out;
		}
		sha256_hex(fr_definitions[i].sql, sum);
		stale[i] = strcmp(sum, PQgetvalue(res, r, 1)) != 0;
		*pending -= !stale[i];
	}
out:
	PQclear(res);
	return rc;
}

int migrate_check(void *pgconn, struct fr_err *err)
{
	PGconn *conn = pgconn;
	int *done = fr_xcalloc((size_t)fr_migrations_count + 1, sizeof(int));
	int *stale = fr_xcalloc((size_t)fr_definitions_count + 1, sizeof(int));
	int rc, exists = 0, pending = 0, defs = 0;

	rc = table_exists(conn, "schema_migrations", &exists, err);
	if (rc == 0 && !exists)
		rc = fr_err_set(err, FR_ESTATE, NULL,
				"the database is not migrated; run `fremdrift "
				"migrate`");
	if (rc == 0)
		rc = compare(conn, done, err);
	if (rc == 0)
		rc = compare_definitions(conn, stale, &defs, err);
	if (rc != 0)
		goto out;
	for (int i = 0; i < fr_migrations_count; i++)
		pending += !done[i];
	if (pending > 0)
		rc = fr_err_set(err, FR_ESTATE, NULL,
				"%d migration(s) pending; run `fremdrift "
				"migrate`",
				pending);
	else if (defs > 0)
		rc = fr_err_set(err, FR_ESTATE, NULL,
				"%d definition file(s) pending; run `fremdrift "
				"migrate`",
				defs);
out:
	free(stale);
	free(done);
	return rc;
}

/* Inserts five values into fremdrift.<table> unless the row is there. */
static int insert5(PGconn *conn, const char *table, const char *const *p,
		   struct fr_err *err)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO fremdrift.%s VALUES ($1, $2, $3, $4, $5) "
		 "ON CONFLICT DO NOTHING",
		 table);
	return exec_params(conn, sql, 5, p, err);
}

/*
 * Stores every compiled-in questionnaire definition the database lacks, and
 * refuses one whose stored text differs: a changed definition must be a new
 * version, or old scores would silently mean something else.
 */
static int sync_instruments(PGconn *conn, struct fr_err *err)
{
	struct catalog cat;
	int rc = catalog_init(&cat, err);

	if (rc != 0)
		return rc;
	for (int i = 0; i < fr_instrument_sources_count && rc == 0; i++) {
		const struct catalog_source *src = &fr_instrument_sources[i];
		const struct instrument *ins = &cat.instruments[i];
		char sum[PSEUD_HEX_LEN + 1], version[16];
		const char *params[5];
		PGresult *res;

		sha256_hex(src->text, sum);
		snprintf(version, sizeof(version), "%d", ins->version);
		params[0] = ins->name;
		params[1] = version;
		params[2] = ins->respondent == 'c' ? "citizen" : "consultant";
		params[3] = src->text;
		params[4] = sum;
		res = PQexecParams(
			conn,
			"WITH ins AS (INSERT INTO fremdrift.instruments "
			"(instrument, version, respondent, definition, sha256) "
			"VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING "
			"RETURNING sha256) "
			"SELECT sha256 FROM ins UNION ALL SELECT sha256 FROM "
			"fremdrift.instruments WHERE instrument = $1 AND "
			"version = $2 LIMIT 1",
			5, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = fr_err_set(err, FR_EDB, NULL,
					"cannot store instruments/%s: %s",
					src->name, PQresultErrorMessage(res));
		} else if (PQntuples(res) != 1 ||
			   strcmp(PQgetvalue(res, 0, 0), sum) != 0) {
			rc = fr_err_set(err, FR_EDB, NULL,
					"instruments/%s (%s version %d) differs "
					"from the stored definition of that "
					"version: a changed questionnaire must "
					"get a new version number",
					src->name, ins->name, ins->version);
		}
		PQclear(res);
		/* The shape the report views join on. */
		for (int d = 0; d < ins->ndims && rc == 0; d++) {
			char idx[16], prior[32];
			const char *p[5] = {ins->name, version, idx,
					    ins->dims[d].id, prior};

			snprintf(idx, sizeof(idx), "%d", d + 1);
			snprintf(prior, sizeof(prior), "%.4f", ins->dims[d].prior_alpha);
			rc = insert5(conn, "instrument_dimensions", p, err);
		}
		for (int g = 0; g < ins->nsubgoals && rc == 0; g++) {
			char thr[32];
			const char *p[5] = {ins->name, version, ins->subgoals[g].id,
					    ins->dims[ins->subgoals[g].dim].id, thr};

			snprintf(thr, sizeof(thr), "%.2f", ins->subgoals[g].threshold);
			rc = insert5(conn, "instrument_subgoals", p, err);
		}
	}
	catalog_free(&cat);
	return rc;
}

/* Applies migration i unless the database has it, in its own
 * transaction; adds 1 to *applied if it did. */
static int apply_migration(PGconn *conn, int i, int *done, int *applied,
			   struct fr_err *err)
{
	const struct migration *m = &fr_migrations[i];
	char sum[PSEUD_HEX_LEN + 1], version[16], what[96];
	const char *params[3] = {version, m->name, sum};
	int rc = begin_locked(conn, err);

	/* Re-read under the lock each time: another run may have applied
	 * some meanwhile. */
	if (rc == 0)
		rc = compare(conn, done, err);
	if (rc != 0 || done[i])
		return rc != 0 ? rc : exec(conn, "COMMIT", err);
	snprintf(what, sizeof(what), "migration %04d (%s)", m->version, m->name);
	sha256_hex(m->sql, sum);
	snprintf(version, sizeof(version), "%d", m->version);
	rc = exec_file(conn, m->sql, what, err);
	if (rc == 0)
		rc = exec_params(conn,
				 "INSERT INTO fremdrift.schema_migrations "
				 "(version, name, sha256) VALUES ($1, $2, $3)",
				 3, params, err);
	if (rc == 0)
		rc = exec(conn, "COMMIT", err);
	if (rc == 0) {
		log_info("migrate", "applied migration %04d %s", m->version,
			 m->name);
		(*applied)++;
	}
	return rc;
}

/* Applies definition file i and records its SHA-256 (inside the
 * caller's transaction). */
static int apply_definition(PGconn *conn, int i, struct fr_err *err)
{
	const struct definition *d = &fr_definitions[i];
	char sum[PSEUD_HEX_LEN + 1], what[96];
	const char *params[2] = {d->name, sum};
	int rc;

	snprintf(what, sizeof(what), "definition file current/%s", d->name);
	sha256_hex(d->sql, sum);
	rc = exec_file(conn, d->sql, what, err);
	if (rc == 0)
		rc = exec_params(conn,
				 "INSERT INTO fremdrift.schema_definitions "
				 "(name, sha256) VALUES ($1, $2) ON CONFLICT "
				 "(name) DO UPDATE SET sha256 = excluded.sha256, "
				 "applied_at = now()",
				 2, params, err);
	return rc;
}

/*
 * Applies the stale definition files (every one when force is set), in
 * one transaction, so the views and functions change together. The
 * migrations are compared again under the lock: a newer fremdrift may
 * have migrated since, and its definitions must not be overwritten.
 */
static int apply_definitions(PGconn *conn, int force, int *applied,
			     struct fr_err *err)
{
	int *done = fr_xcalloc((size_t)fr_migrations_count + 1, sizeof(int));
	int *stale = fr_xcalloc((size_t)fr_definitions_count + 1, sizeof(int));
	int pending = 0, n = 0, rc = begin_locked(conn, err);

	if (rc == 0)
		rc = compare(conn, done, err);
	if (rc == 0)
		rc = compare_definitions(conn, stale, &pending, err);
	for (int i = 0; i < fr_definitions_count && rc == 0; i++) {
		if (!stale[i] && !force)
			continue;
		rc = apply_definition(conn, i, err);
		n++;
	}
	if (rc == 0)
		rc = exec(conn, "COMMIT", err);
	for (int i = 0; i < fr_definitions_count && rc == 0; i++)
		if (stale[i] || force)
			log_info("migrate", "applied definition file current/%s",
				 fr_definitions[i].name);
	if (rc == 0)
		*applied += n;
	free(stale);
	free(done);
	return rc;
}

int migrate_apply(void *pgconn, int *applied, struct fr_err *err)
{
	PGconn *conn = pgconn;
	int *done = fr_xcalloc((size_t)fr_migrations_count + 1, sizeof(int));
	int rc;

	*applied = 0;
	/* The bookkeeping tables themselves, under the lock so two runs
	 * agree. */
	rc = begin_locked(conn, err);
	if (rc == 0)
		rc = exec(conn, bootstrap_sql, err);
	if (rc == 0)
		rc = exec(conn, "COMMIT", err);
	for (int i = 0; i < fr_migrations_count && rc == 0; i++)
		rc = apply_migration(conn, i, done, applied, err);
	if (rc == 0)
		rc = apply_definitions(conn, *applied > 0, applied, err);
	free(done);
	if (rc != 0) {
		exec(conn, "ROLLBACK", NULL);
		return rc;
	}
	return sync_instruments(conn, err);
}

int migrate_run(const struct fr_config *cfg, int check_only)
{
	struct fr_err err;
	PGconn *conn;
	int applied = 0, rc;

	conn = db_connect(cfg, "migrate");
	if (conn == NULL)
		return FR_EXIT_FATAL;
	fr_err_clear(&err);
	if (check_only) {
		rc = migrate_check(conn, &err);
		PQfinish(conn);
		if (rc == 0) {
			printf("database is up to date (%d migrations)\n",
			       fr_migrations_count);
			return FR_EXIT_OK;
		}
		fprintf(stderr, "fremdrift migrate: %s\n", err.msg);
		return rc == FR_ESTATE ? 1 : FR_EXIT_FATAL;
	}
	rc = migrate_apply(conn, &applied, &err);
	PQfinish(conn);
	if (rc != 0) {
		fprintf(stderr, "fremdrift migrate: %s\n", err.msg);
		return FR_EXIT_FATAL;
	}
	if (applied == 0)
		printf("database is up to date (%d migrations); nothing to "
		       "apply\n",
		       fr_migrations_count);
	else
		printf("applied %d change(s) (migrations and definition "
		       "files); database is up to date (%d migrations)\n",
		       applied, fr_migrations_count);
	return FR_EXIT_OK;
}
