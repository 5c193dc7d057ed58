/*
 * `fremdrift key rotate` (key_rotate.h): the case system's identifiers on
 * stdin become old and new pseudonyms, and one transaction moves every
 * row from the old to the new.
 */
#include "fremdrift/key_rotate.h"

#include "fremdrift/buf.h"
#include "fremdrift/cpr.h"
#include "fremdrift/db.h"
#include "fremdrift/keyfile.h"
#include "fremdrift/link_token.h"
#include "fremdrift/pseudonym.h"
#include "fremdrift/refresh.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WHO "key rotate"
/* Identifiers given per run, each kind: the arrays are one parameter. */
#define MAX_LINE_BYTES 4096

enum kind { K_CITIZEN, K_COURSE, K_RECORD, K_N };
static const char *const kind_name[K_N] = {"citizens", "courses", "records"};

struct rot {
	PGconn *conn;
	struct pseud_ctx *ctx[2]; /* old, new */
	char id[2][KEY_ID_LEN + 1];
	char key_no[2][8];
	struct cpr_date today;
	/* text[] literals of hex pseudonyms, old and new, per kind */
	struct fr_buf arr[K_N][2];
	long given[K_N];
	long bad;
	json_t *moved, *unreached;
};

/* ---- the keys ---- */

static int load_key(struct rot *r, int which, const char *path)
{
	struct pseud_key key;
	struct fr_err err;
	int rc;

	fr_err_clear(&err);
	rc = keyfile_load(path, &key, &err);
	if (rc == 0) {
		snprintf(r->id[which], sizeof(r->id[which]), "%s", key.id);
		rc = pseud_ctx_new(key.bytes, key.len, &r->ctx[which], &err);
	}
	keyfile_wipe(&key);
	if (rc != 0)
		fprintf(stderr, "fremdrift %s: %s key: %s\n", WHO,
			which ? "new" : "old", err.msg);
	return rc == 0 ? 0 : -1;
}

/* ---- the lines ---- */

static void append(struct rot *r, enum kind k, const char *old_hex,
		   const char *new_hex)
{
	for (int w = 0; w < 2; w++)
		fr_buf_printf(&r->arr[k][w], "%s%s", r->given[k] ? "," : "",
			      w ? new_hex : old_hex);
	r->given[k]++;
}

static int citizen_line(struct rot *r, const char *s, size_t n,
			struct fr_err *err)
{
	char hex[2][PSEUD_HEX_LEN + 1];
	unsigned char mac[PSEUD_LEN];
	struct cpr cpr;
	int rc = cpr_parse(s, n, &r->today, &cpr, err);

	for (int w = 0; rc == 0 && w < 2; w++) {
		rc = pseud_citizen(r->ctx[w], cpr.canonical, mac);
		pseud_hex(mac, PSEUD_LEN, hex[w]);
	}
	cpr_wipe(&cpr);
	if (rc == 0)
		append(r, K_CITIZEN, hex[0], hex[1]);
	return rc;
}

static int ident_line(struct rot *r, enum kind k, const char *s, size_t n,
		      struct fr_err *err)
{
	char hex[2][PSEUD_HEX_LEN + 1];
	enum pseud_ident what = k == K_COURSE ? PSEUD_COURSE : PSEUD_RECORD_ID;

	if (n == 0)
		return fr_err_set(err, FR_EINVAL, kind_name[k],
				  "nothing after the word");
	if (cpr_shaped(s, n))
		return fr_err_set(err, FR_EINVAL, kind_name[k],
				  "looks like a CPR number, which no course key "
				  "or record id may hold");
	for (int w = 0; w < 2; w++)
		if (pseud_ident_hex(r->ctx[w], what, s, n, hex[w]) != 0)
			return fr_err_set(err, FR_ECRYPTO, kind_name[k],
					  "could not be pseudonymised");
	append(r, k, hex[0], hex[1]);
	return 0;
}

/* One line (n bytes, no line end); a refusal is counted and reported by
 * line number and reason only. */
static void one_line(struct rot *r, long lineno, const char *s, size_t n)
{
	struct fr_err err;
	int rc;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || s[0] == '#')
		return;
	fr_err_clear(&err);
	if (n > 7 && strncmp(s, "course ", 7) == 0)
		rc = ident_line(r, K_COURSE, s + 7, n - 7, &err);
	else if (n > 7 && strncmp(s, "record ", 7) == 0)
		rc = ident_line(r, K_RECORD, s + 7, n - 7, &err);
	else
		rc = citizen_line(r, s, n, &err);
	if (rc != 0) {
		fprintf(stderr, "fremdrift %s: line %ld: %s\n", WHO, lineno,
			err.msg);
		r->bad++;
	}
}

static void read_lines(struct rot *r)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		one_line(r, lineno, line, (size_t)n);
		OPENSSL_cleanse(line, cap);
	}
	free(line);
}

/* ---- the database ---- */

/* One statement with text parameters; its row count into *n (may be
 * NULL). 0 or -1 (printed). */
static int run(struct rot *r, const char *sql, int np,
	       const char *const *params, long *n)
{
	PGresult *res = db_query(r->conn, WHO, sql, np, params);

	if (res == NULL)
		return -1;
	if (n)
		*n = atol(PQcmdTuples(res));
	PQclear(res);
	return 0;
}

/* The key numbers: the old key must be registered; the new one is
 * registered here when it is not yet, and may not be retired. */
static int key_numbers(struct rot *r)
{
	const char *p[2] = {r->id[0], r->id[1]};
	PGresult *res;
	int ok;

	if (run(r, "INSERT INTO fremdrift.pseudonym_keys (key_id) SELECT $1 "
		   "WHERE NOT EXISTS (SELECT 1 FROM fremdrift.pseudonym_keys "
		   "WHERE key_id = $1)",
		1, p + 1, NULL) != 0)
		return -1;
	res = db_query(r->conn, WHO,
		       "SELECT (SELECT key_no FROM fremdrift.pseudonym_keys "
		       "WHERE key_id = $1), (SELECT key_no FROM "
		       "fremdrift.pseudonym_keys WHERE key_id = $2 AND "
		       "retired_at IS NULL)",
		       2, p);
	if (res == NULL)
		return -1;
	ok = !PQgetisnull(res, 0, 0) && !PQgetisnull(res, 0, 1);
	if (ok) {
		snprintf(r->key_no[0], sizeof(r->key_no[0]), "%s",
			 PQgetvalue(res, 0, 0));
		snprintf(r->key_no[1], sizeof(r->key_no[1]), "%s",
			 PQgetvalue(res, 0, 1));
	} else
		fprintf(stderr,
			"fremdrift %s: %s\n", WHO,
			PQgetisnull(res, 0, 0)
				? "the old key is not one this database knows"
				: "the new key is retired in this database");
	PQclear(res);
	return ok ? 0 : -1;
}

/* The mappings as temporary tables, old and new pseudonym per kind. */
static int mappings(struct rot *r)
{
	static const char *const make[K_N] = {
		"CREATE TEMP TABLE rot_citizen ON COMMIT DROP AS SELECT DISTINCT "
		"decode(o, 'hex') AS old, decode(n, 'hex') AS new FROM "
		"unnest($1::text[], $2::text[]) AS u(o, n)",
		"CREATE TEMP TABLE rot_course ON COMMIT DROP AS SELECT DISTINCT o AS "
		"old, n AS new FROM unnest($1::text[], $2::text[]) AS u(o, n)",
		"CREATE TEMP TABLE rot_record ON COMMIT DROP AS SELECT DISTINCT o AS "
		"old, n AS new FROM unnest($1::text[], $2::text[]) AS u(o, n)"};

	for (int k = 0; k < K_N; k++) {
		char *lit[2];
		int rc;

		for (int w = 0; w < 2; w++) {
			fr_buf_printf(&r->arr[k][w], "}");
			lit[w] = r->arr[k][w].data;
		}
		rc = run(r, make[k], 2, (const char *const *)lit, NULL);
		if (rc != 0)
			return -1;
	}
	return db_exec(r->conn, WHO,
		       "CREATE UNIQUE INDEX ON rot_citizen (old); "
		       "CREATE UNIQUE INDEX ON rot_course (old); "
		       "CREATE UNIQUE INDEX ON rot_record (old)");
}

/* Base tables of schema fremdrift with column col, as "a,b,c" (static). */
static const char *tables_with(struct rot *r, const char *col)
{
	static char out[1024];
	const char *p[1] = {col};
	PGresult *res = db_query(
		r->conn, WHO,
		"SELECT coalesce(string_agg(c.table_name, ',' ORDER BY "
		"c.table_name), '') FROM information_schema.columns c JOIN "
		"information_schema.tables t USING (table_schema, table_name) "
		"WHERE c.table_schema = 'fremdrift' AND c.column_name = $1 AND "
		"t.table_type = 'BASE TABLE' AND c.table_name NOT LIKE "
		"'key_rotation%'",
		1, p);

	if (res == NULL)
		return NULL;
	snprintf(out, sizeof(out), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

static int has_column(struct rot *r, const char *table, const char *col)
{
	const char *p[2] = {table, col};
	PGresult *res = db_query(r->conn, WHO,
				 "SELECT count(*) FROM information_schema.columns "
				 "WHERE table_schema = 'fremdrift' AND table_name "
				 "= $1 AND column_name = $2",
				 2, p);
	int yes = res && atoi(PQgetvalue(res, 0, 0)) > 0;

	PQclear(res);
	return yes;
}

/* Moves column col of the tables in list ("a,b"; NULL: every table that
 * has the column) through map; the counts go into moved[what][table]. */
static int move_column(struct rot *r, const char *col, const char *map,
		       const char *what, const char *only)
{
	const char *list = only ? only : tables_with(r, col);
	json_t *counts = json_object();
	char tables[1024], *save = NULL;
	int rc = list ? 0 : -1;

	snprintf(tables, sizeof(tables), "%s", list ? list : "");
	for (char *t = strtok_r(tables, ",", &save); t && rc == 0;
	     t = strtok_r(NULL, ",", &save)) {
		struct fr_buf sql;
		int keyed = strcmp(col, "pseudonym") == 0 &&
			    has_column(r, t, "key_no");
		long n = 0;

		fr_buf_init(&sql, 1024);
		fr_buf_printf(&sql,
			      "UPDATE fremdrift.%s t SET %s = m.new%s FROM %s m "
			      "WHERE t.%s = m.old",
			      t, col, keyed ? ", key_no = $1::smallint" : "", map,
			      col);
		rc = run(r, sql.data, keyed ? 1 : 0,
			 (const char *const[]){r->key_no[1]}, &n);
		fr_buf_free(&sql);
		json_object_set_new(counts, t, json_integer(n));
	}
	json_object_set_new(r->moved, what, counts);
	return rc;
}

/* A citizen who is under both keys already keeps the new pseudonym's
 * record keys (as cpr-change does): the old ones go first. */
static int merge_record_keys(struct rot *r)
{
	return run(r,
		   "DELETE FROM fremdrift.citizen_keys k USING rot_citizen m "
		   "WHERE k.pseudonym = m.old AND EXISTS (SELECT 1 FROM "
		   "fremdrift.citizen_keys n WHERE n.pseudonym = m.new)",
		   0, NULL, NULL);
}

/* The course and record pseudonyms of rows whose citizen moves in this
 * run but that are not moved themselves: before anything moves, every
 * row of a given citizen whose course (or id) is not a given one. */
static int note_unreached(struct rot *r)
{
	static const char *const kinds[2][2] = {{"course", "rot_course"},
						{"record", "rot_record"}};

	for (int i = 0; i < 2; i++) {
		struct fr_buf sql;
		int rc;
		long n = 0;

		fr_buf_init(&sql, 2048);
		fr_buf_printf(
			&sql,
			"INSERT INTO rot_unreached SELECT DISTINCT '%s', x.v, "
			"m.new FROM (SELECT pseudonym, %s AS v FROM "
			"fremdrift.events UNION ALL SELECT pseudonym, %s FROM "
			"fremdrift.responses) x JOIN rot_citizen m ON "
			"m.old = x.pseudonym WHERE NOT EXISTS (SELECT 1 FROM %s "
			"k WHERE k.old = x.v) ON CONFLICT DO NOTHING",
			kinds[i][0], i ? "id" : "course", i ? "id" : "course",
			kinds[i][1]);
		rc = run(r, sql.data, 0, NULL, &n);
		fr_buf_free(&sql);
		if (rc != 0)
			return -1;
		json_object_set_new(r->unreached, kinds[i][0], json_integer(n));
	}
	return 0;
}

/* Every open link gets the token the new key makes from its nonce, so
 * `fremdrift invite` and the due list give links that work; links sent
 * before the rotation stop working (the due list gives the new ones). */
static int rekey_links(struct rot *r)
{
	PGresult *res = db_query(r->conn, WHO,
				 "SELECT id, encode(nonce, 'hex') FROM "
				 "fremdrift.invitations WHERE answered_at IS "
				 "NULL AND revoked_at IS NULL AND expires_at > "
				 "now()",
				 0, NULL);
	long n = 0;
	int rc = res ? 0 : -1;

	for (int i = 0; res && rc == 0 && i < PQntuples(res); i++) {
		unsigned char nonce[LINK_NONCE_LEN], hash[LINK_HASH_LEN];
		char token[LINK_TOKEN_LEN + 1], hex[2 + 2 * LINK_HASH_LEN + 1];

		rc = pseud_unhex(PQgetvalue(res, i, 1), 2 * LINK_NONCE_LEN,
				 nonce, LINK_NONCE_LEN);
		if (rc == 0)
			rc = link_token(r->ctx[1], nonce, token);
		if (rc == 0)
			rc = link_token_hash(token, hash);
		OPENSSL_cleanse(token, sizeof(token));
		memcpy(hex, "\\x", 2);
		pseud_hex(hash, LINK_HASH_LEN, hex + 2);
		if (rc == 0)
			rc = run(r,
				 "UPDATE fremdrift.invitations SET token_hash "
				 "= $2 WHERE id = $1",
				 2, (const char *const[]){PQgetvalue(res, i, 0), hex},
				 NULL);
		n += rc == 0;
	}
	PQclear(res);
	json_object_set_new(r->moved, "open links re-keyed", json_integer(n));
	return rc == 0 ? 0 : -1;
}

/* The audit row, and the unreached pseudonyms under it. */
static int audit(struct rot *r)
{
	struct passwd *pw = getpwuid(getuid());
	json_t *given = json_object();
	char *g, *m, *u;
	int rc;

	for (int k = 0; k < K_N; k++)
		json_object_set_new(given, kind_name[k], json_integer(r->given[k]));
	g = json_dumps(given, JSON_COMPACT | JSON_SORT_KEYS);
	m = json_dumps(r->moved, JSON_COMPACT | JSON_SORT_KEYS);
	u = json_dumps(r->unreached, JSON_COMPACT | JSON_SORT_KEYS);
	rc = run(r,
		 "WITH a AS (INSERT INTO fremdrift.key_rotations (run_by, "
		 "old_key_id, new_key_id, given, moved, unreached) VALUES ($1, "
		 "$2, $3, $4, $5, $6) RETURNING id) INSERT INTO "
		 "fremdrift.key_rotation_unreached SELECT a.id, kind, value, "
		 "pseudonym FROM a, rot_unreached",
		 6,
		 (const char *const[]){pw ? pw->pw_name : "unknown", r->id[0],
				       r->id[1], g, m, u},
		 NULL);
	free(g);
	free(m);
	free(u);
	json_decref(given);
	return rc;
}

/* Everything, in the open transaction. */
static int rotate(struct rot *r)
{
	if (key_numbers(r) != 0 || mappings(r) != 0 ||
	    run(r, "CREATE TEMP TABLE rot_unreached (kind text, value text, "
		   "pseudonym bytea, PRIMARY KEY (kind, value)) ON COMMIT DROP",
		0, NULL, NULL) != 0 ||
	    note_unreached(r) != 0)
		return -1;
	/* courses and ids first, then citizens, then the record keys */
	if (move_column(r, "course", "rot_course", "course", NULL) != 0 ||
	    /* a record id is a text id of the record tables only */
	    move_column(r, "id", "rot_record", "record",
			"events,responses") != 0 ||
	    merge_record_keys(r) != 0 ||
	    move_column(r, "pseudonym", "rot_citizen", "citizen", NULL) != 0)
		return -1;
	return rekey_links(r) == 0 && audit(r) == 0 ? 0 : -1;
}

static void print_summary(const struct rot *r, int dry)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:{s:I, s:I, s:I}, s:O, s:O}",
			      "old_key", r->id[0], "new_key", r->id[1],
			      "dry_run", dry, "given", "citizens",
			      (json_int_t)r->given[K_CITIZEN], "courses",
			      (json_int_t)r->given[K_COURSE], "records",
			      (json_int_t)r->given[K_RECORD], "moved", r->moved,
			      "unreached", r->unreached);
	char *s = json_dumps(o, JSON_COMPACT);

	printf("%s\n", s);
	free(s);
	json_decref(o);
}

/* What is still under the old key, as JSON lines. */
static int list_unreached(struct rot *r)
{
	const char *p[1] = {r->id[0]};
	PGresult *res = db_query(
		r->conn, WHO,
		"WITH k AS (SELECT key_no FROM fremdrift.pseudonym_keys WHERE "
		"key_id = $1) SELECT json_build_object('kind', 'citizen', "
		"'pseudonym', encode(pseudonym, 'hex'), 'rows', count(*))::text "
		"FROM (SELECT pseudonym, key_no FROM fremdrift.events UNION ALL "
		"SELECT pseudonym, key_no FROM fremdrift.responses) x, k WHERE "
		"x.key_no = k.key_no GROUP BY pseudonym UNION ALL SELECT "
		"json_build_object('kind', u.kind, 'pseudonym', u.value, "
		"'citizen', encode(u.pseudonym, 'hex'))::text FROM "
		"fremdrift.key_rotation_unreached u JOIN "
		"fremdrift.key_rotations a ON a.id = u.rotation WHERE "
		"a.old_key_id = $1 AND EXISTS (SELECT 1 FROM fremdrift.events e "
		"WHERE (u.kind = 'course' AND e.course = u.value) OR (u.kind = "
		"'record' AND e.id = u.value) UNION ALL SELECT 1 FROM "
		"fremdrift.responses s WHERE (u.kind = 'course' AND s.course = "
		"u.value) OR (u.kind = 'record' AND s.id = u.value))",
		1, p);

	if (res == NULL)
		return FR_EXIT_FATAL;
	for (int i = 0; i < PQntuples(res); i++)
		printf("%s\n", PQgetvalue(res, i, 0));
	PQclear(res);
	return FR_EXIT_OK;
}

static void rot_free(struct rot *r)
{
	for (int k = 0; k < K_N; k++)
		for (int w = 0; w < 2; w++) {
			OPENSSL_cleanse(r->arr[k][w].data, r->arr[k][w].len);
			fr_buf_free(&r->arr[k][w]);
		}
	pseud_ctx_free(r->ctx[0]);
	pseud_ctx_free(r->ctx[1]);
	json_decref(r->moved);
	json_decref(r->unreached);
	if (r->conn)
		PQfinish(r->conn);
}

static int apply(struct rot *r, int dry)
{
	int ok;

	if (db_exec(r->conn, WHO,
		    "BEGIN; SELECT pg_advisory_xact_lock(" FR_REFRESH_LOCK "); "
		    "LOCK TABLE fremdrift.pseudonym_keys IN SHARE ROW "
		    "EXCLUSIVE MODE") != 0)
		return FR_EXIT_FATAL;
	ok = rotate(r) == 0;
	if (db_exec(r->conn, WHO, ok && !dry ? "COMMIT" : "ROLLBACK") != 0 ||
	    !ok)
		return FR_EXIT_FATAL;
	print_summary(r, dry);
	return FR_EXIT_OK;
}

int key_rotate_run(const struct key_rotate_opts *o,
		   const struct fr_config *cfg)
{
	struct rot r;
	int rc = FR_EXIT_FATAL;

	memset(&r, 0, sizeof(r));
	for (int k = 0; k < K_N; k++)
		for (int w = 0; w < 2; w++) {
			fr_buf_init(&r.arr[k][w], (size_t)1 << 30);
			fr_buf_printf(&r.arr[k][w], "{");
		}
	r.moved = json_object();
	r.unreached = json_object();
	cpr_today(&r.today);
	if (load_key(&r, 0, o->old_key) != 0 ||
	    (!o->unreached && load_key(&r, 1, o->new_key) != 0))
		goto out;
	if (!o->unreached && strcmp(r.id[0], r.id[1]) == 0) {
		fprintf(stderr, "fremdrift %s: the old and the new key are the "
				"same key (%s)\n",
			WHO, r.id[0]);
		goto out;
	}
	if ((r.conn = db_connect_migrated(cfg, WHO)) == NULL)
		goto out;
	if (o->unreached) {
		rc = list_unreached(&r);
		goto out;
	}
	read_lines(&r);
	if (r.bad) {
		fprintf(stderr, "fremdrift %s: %ld line(s) could not be read; "
				"nothing was changed\n",
			WHO, r.bad);
		rc = FR_EXIT_REJECTED;
		goto out;
	}
	rc = apply(&r, o->dry_run);
out:
	rot_free(&r);
	return rc;
}
