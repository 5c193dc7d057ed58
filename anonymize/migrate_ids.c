/*
 * `fremdrift migrate-ids` (see migrate_ids.h): record ids and course keys
 * stored as given by an earlier version become keyed pseudonyms.
 *
 * The distinct (kind, key, value) triples are read through a cursor, a
 * slice at a time, and each value's pseudonym is computed here (the key
 * never enters the database); what goes back into a temporary table is
 * the value's md5, as a join key, and its pseudonym: the values themselves
 * make only the one trip out. Two UPDATEs then rewrite the rows.
 */
#include "fremdrift/migrate_ids.h"

#include "fremdrift/buf.h"
#include "fremdrift/db.h"
#include "fremdrift/err.h"
#include "fremdrift/keyfile.h"
#include "fremdrift/pseudonym.h"
#include "fremdrift/refresh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "migrate-ids"
#define FETCH_ROWS "10000"

struct mids {
	PGconn *conn;
	struct pseud_ctx *ctx[MIDS_MAX_KEYS];
	char id[MIDS_MAX_KEYS][KEY_ID_LEN + 1];
	int key_no[MIDS_MAX_KEYS]; /* in fremdrift.pseudonym_keys, or -1 */
	int nkeys;
	struct fr_buf out;         /* COPY text for ids_map */
	long long values, rows;
};

/* Loads every key file into a context of its own; the key bytes are wiped
 * at once. 0, or -1 after printing why. */
static int load_keys(struct mids *m, const struct mids_opts *opts)
{
	for (int i = 0; i < opts->nkeys; i++) {
		struct pseud_key key;
		struct fr_err err;
		int rc;

		fr_err_clear(&err);
		rc = keyfile_load(opts->key_files[i], &key, &err);
		if (rc != 0) {
			fprintf(stderr, "fremdrift " WHO ": %s\n", err.msg);
			return -1;
		}
		rc = pseud_ctx_new(key.bytes, key.len, &m->ctx[i], &err);
		snprintf(m->id[i], sizeof(m->id[i]), "%s", key.id);
		keyfile_wipe(&key);
		if (rc != 0) {
			fprintf(stderr, "fremdrift " WHO ": %s\n", err.msg);
			return -1;
		}
		m->key_no[i] = -1;
		m->nkeys = i + 1;
	}
	return 0;
}

/* 1 when the database is marked already (said so), 0 when the work is
 * still to do, -1 on an error (printed). */
static int already_done(struct mids *m)
{
	PGresult *res = db_query(
		m->conn, WHO,
		"SELECT how, to_char(done_at, 'YYYY-MM-DD HH24:MI') FROM "
		"fremdrift.ids_pseudonymised",
		0, NULL);
	int done;

	if (res == NULL)
		return -1;
	done = PQntuples(res) > 0;
	if (done)
		fprintf(stderr,
			"fremdrift " WHO ": nothing to do: this database's "
			"record ids and course keys are pseudonyms already (%s, "
			"%s)\n",
			strcmp(PQgetvalue(res, 0, 0), "fresh") == 0
				? "since it was created"
				: "migrated",
			PQgetvalue(res, 0, 1));
	PQclear(res);
	return done;
}

/* The context of key number key_no, or NULL. */
static struct pseud_ctx *ctx_of(const struct mids *m, int key_no)
{
	for (int i = 0; i < m->nkeys; i++)
		if (m->key_no[i] == key_no)
			return m->ctx[i];
	return NULL;
}

/* Finds each key file's number; every key that made rows must be among
 * them. 0, or -1 after printing which keys are missing. */
static int match_keys(struct mids *m)
{
	PGresult *res = db_query(
		m->conn, WHO,
		"SELECT k.key_no, k.key_id, k.key_no IN (SELECT key_no FROM "
		"fremdrift.events UNION SELECT key_no FROM fremdrift.responses) "
		"FROM fremdrift.pseudonym_keys k ORDER BY k.key_no",
		0, NULL);
	struct fr_buf missing;
	int rc = 0;

	if (res == NULL)
		return -1;
	fr_buf_init(&missing, 4096);
	for (int r = 0; r < PQntuples(res); r++) {
		int key_no = atoi(PQgetvalue(res, r, 0)), used;

		for (int i = 0; i < m->nkeys; i++)
			if (strcmp(m->id[i], PQgetvalue(res, r, 1)) == 0)
				m->key_no[i] = key_no;
		used = PQgetvalue(res, r, 2)[0] == 't';
		if (used && ctx_of(m, key_no) == NULL)
			fr_buf_printf(&missing, "%s%s", missing.len ? ", " : "",
				      PQgetvalue(res, r, 1));
	}
	PQclear(res);
	for (int i = 0; i < m->nkeys; i++)
		if (m->key_no[i] < 0)
			fprintf(stderr, "fremdrift " WHO ": note: key %s is not "
					"one this database knows; not used\n",
				m->id[i]);
	if (missing.len) {
		fprintf(stderr,
			"fremdrift " WHO ": rows were stored under key(s) %s, "
			"and no key file given holds it; give the key file of "
			"every key that made rows with --key FILE (each row's "
			"ids are pseudonymised under its own key); nothing was "
			"changed\n",
			missing.data);
		rc = -1;
	}
	fr_buf_free(&missing);
	return rc;
}

/* One slice of the cursor into COPY text for ids_map: kind, key number,
 * md5 of the value, pseudonym. */
static int map_slice(struct mids *m, PGresult *res)
{
	char hex[PSEUD_HEX_LEN + 1];

	fr_buf_reset(&m->out);
	for (int r = 0; r < PQntuples(res); r++) {
		const char *kind = PQgetvalue(res, r, 0);
		struct pseud_ctx *ctx = ctx_of(m, atoi(PQgetvalue(res, r, 1)));

		if (ctx == NULL) {
			fprintf(stderr,
				"fremdrift " WHO ": rows name key number %s, "
				"which fremdrift.pseudonym_keys does not list; "
				"nothing was changed\n",
				PQgetvalue(res, r, 1));
			return -1;
		}
		if (pseud_ident_hex(ctx,
				    kind[0] == 'c' ? PSEUD_COURSE
						   : PSEUD_RECORD_ID,
				    PQgetvalue(res, r, 2),
				    (size_t)PQgetlength(res, r, 2), hex) != 0) {
			fprintf(stderr, "fremdrift " WHO ": pseudonymisation "
					"failed\n");
			return -1;
		}
		fr_buf_printf(&m->out, "%s\t%s\t%s\t%s\n", kind,
			      PQgetvalue(res, r, 1), PQgetvalue(res, r, 3), hex);
		m->values++;
	}
	return db_copy_in(m->conn, WHO, "COPY ids_map FROM STDIN", m->out.data,
			  m->out.len);
}

/* Every distinct value, with its pseudonym, into the temporary ids_map. */
static int build_map(struct mids *m)
{
	int n = -1;

	if (db_exec(m->conn, WHO,
		    "CREATE TEMP TABLE ids_map (kind \"char\", key_no "
		    "smallint, digest text, hex text) ON COMMIT DROP; "
		    "DECLARE ids NO SCROLL CURSOR FOR "
		    "SELECT kind, key_no, v, md5(v) FROM ("
		    "SELECT 'r' AS kind, key_no, id AS v FROM fremdrift.events "
		    "UNION SELECT 'r', key_no, id FROM fremdrift.responses "
		    "UNION SELECT 'c', key_no, course FROM fremdrift.events "
		    "UNION SELECT 'c', key_no, course FROM fremdrift.responses "
		    "WHERE course IS NOT NULL) AS t") != 0)
		return -1;
	while (n != 0) {
		PGresult *res = db_query(m->conn, WHO,
					 "FETCH " FETCH_ROWS " FROM ids", 0,
					 NULL);

		if (res == NULL)
			return -1;
		n = PQntuples(res);
		if (n > 0 && map_slice(m, res) != 0)
			n = -1;
		PQclear(res);
		if (n < 0)
			return -1;
	}
	return db_exec(m->conn, WHO,
		       "CLOSE ids; CREATE INDEX ON ids_map (kind, key_no, "
		       "digest); ANALYZE ids_map");
}

/* Rewrites one table's ids and course keys through ids_map. */
static int rewrite(struct mids *m, const char *table)
{
	char sql[1024];
	PGresult *res;

	snprintf(sql, sizeof(sql),
		 "UPDATE %s t SET id = n.id, course = n.course FROM ("
		 "SELECT o.source, o.id AS old, i.hex AS id, c.hex AS course "
		 "FROM %s o JOIN ids_map i ON i.kind = 'r' AND i.key_no = "
		 "o.key_no AND i.digest = md5(o.id) LEFT JOIN ids_map c ON "
		 "c.kind = 'c' AND c.key_no = o.key_no AND c.digest = "
		 "md5(o.course)) AS n WHERE t.source = n.source AND t.id = n.old",
		 table, table);
	res = db_query(m->conn, WHO, sql, 0, NULL);
	if (res == NULL)
		return -1;
	m->rows += atoll(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

/* The derived tables emptied (they hold course keys as given until the
 * refresh rebuilds them), the marker, and the constraints. */
static int mark(struct mids *m)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "TRUNCATE fremdrift.progression, fremdrift.courses; "
		 "INSERT INTO fremdrift.ids_pseudonymised (how, rows) VALUES "
		 "('migrated', %lld); SELECT fremdrift.ids_constrain()",
		 m->rows);
	return db_exec(m->conn, WHO, sql);
}

/* The work, inside the transaction; 1 when there was none. */
static int migrate(struct mids *m)
{
	int rc;

	if (db_exec(m->conn, WHO,
		    "BEGIN; SELECT pg_advisory_xact_lock(" FR_REFRESH_LOCK "); "
		    "LOCK TABLE fremdrift.ids_pseudonymised, "
		    "fremdrift.events, fremdrift.responses IN SHARE ROW "
		    "EXCLUSIVE MODE; LOCK TABLE fremdrift.progression, "
		    "fremdrift.courses IN ACCESS EXCLUSIVE MODE") != 0)
		return -1;
	rc = already_done(m);
	if (rc != 0)
		return rc;
	if (match_keys(m) != 0 || build_map(m) != 0 ||
	    rewrite(m, "fremdrift.events") != 0 ||
	    rewrite(m, "fremdrift.responses") != 0 || mark(m) != 0)
		return -1;
	return db_exec(m->conn, WHO, "COMMIT");
}

int mids_run(const struct fr_config *cfg, const struct mids_opts *opts)
{
	struct mids m;
	int rc = -1;

	memset(&m, 0, sizeof(m));
	fr_buf_init(&m.out, 64u << 20);
	if (load_keys(&m, opts) != 0)
		goto out;
	m.conn = db_connect_migrated(cfg, WHO);
	if (m.conn == NULL)
		goto out;
	rc = migrate(&m);
	if (rc == 0)
		fprintf(stderr,
			"fremdrift " WHO ": %lld rows rewritten; their %lld "
			"distinct record ids and course keys are keyed "
			"pseudonyms now; the course facts and progression "
			"were emptied%s\n",
			m.rows, m.values,
			opts->refresh ? " and are rebuilt now"
				      : ": run `fremdrift measure refresh`");
out:
	if (m.conn)
		PQfinish(m.conn);
	for (int i = 0; i < m.nkeys; i++)
		pseud_ctx_free(m.ctx[i]);
	fr_buf_free(&m.out);
	if (rc < 0)
		return FR_EXIT_FATAL;
	if (rc == 0 && opts->refresh)
		return refresh_run(cfg);
	return FR_EXIT_OK;
}
