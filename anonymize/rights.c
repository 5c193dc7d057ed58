/*
 * The citizen's rights (GDPR art. 15 and 17), driven by CPR numbers on
 * stdin and the key file:
 *
 *   fremdrift access      everything stored about each citizen, as JSON
 *   fremdrift erase       deletes all of it; reports counts
 *   fremdrift cpr-change  "OLD NEW" per line: moves the old number's
 *                         history to the new one
 *
 * The tables are found, not listed: every table in schema fremdrift with a
 * `pseudonym` column, so a table added later is covered without a change
 * here. Erasures and changes leave a row in fremdrift.rights_log with
 * counts only. Each citizen is handled in its own transaction.
 *
 * Access and erasure also say which research extracts held the citizen
 * (project, extract number, date), from fremdrift.extract_ledger, so the
 * provider can tell those recipients (GDPR art. 15(1)(c), 17(2) and 19).
 * Erasure says it before it deletes the citizen's ledger rows with the
 * rest: after that, fremdrift keeps nothing that ties the citizen to an
 * extract, and the line printed is the provider's record of whom to tell.
 */
#include "fremdrift/rights.h"

#include "fremdrift/buf.h"
#include "fremdrift/cpr.h"
#include "fremdrift/db.h"
#include "fremdrift/err.h"
#include "fremdrift/keyfile.h"
#include "fremdrift/pseudonym.h"
#include "fremdrift/refresh.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A bytea parameter: "\\x" and 64 hex digits. */
#define PARAM_LEN (2 + PSEUD_HEX_LEN + 1)

static const char *const who_of[] = {"access", "erase", "cpr-change"};

struct rights {
	enum rights_action action;
	const char *who; /* the command, for messages */
	PGconn *conn;
	struct pseud_ctx *ctx;
	struct cpr_date today;
	char **tables; /* fremdrift tables with a pseudonym column */
	int *facts;    /* 1 where the table also has birth_year and sex */
	int ntables;
	int ledger; /* 1 if fremdrift.extract_ledger exists (migration 11) */
	const char *run_by;
	int errors;
};

/* A CPR number (len bytes at s) to "\\x<hex>" for a bytea parameter, and
 * the derived birth year and sex. The CPR is wiped here. */
static int pseudonym_of(struct rights *r, const char *s, size_t len,
			char out[PARAM_LEN], int *year, char *sex,
			struct fr_err *err)
{
	struct cpr cpr;
	unsigned char mac[PSEUD_LEN];
	int rc = cpr_parse(s, len, &r->today, &cpr, err);

	if (rc == 0)
		rc = pseud_citizen(r->ctx, cpr.canonical, mac);
	if (rc == 0) {
		memcpy(out, "\\x", 2);
		pseud_hex(mac, PSEUD_LEN, out + 2);
		if (year)
			*year = cpr.birth.year;
		if (sex)
			*sex = cpr.sex;
	}
	cpr_wipe(&cpr);
	return rc;
}

static int load_tables(struct rights *r)
{
	PGresult *res = db_query(r->conn, r->who,
				 "SELECT c.table_name, bool_or(f.column_name = "
				 "'birth_year') FROM information_schema.columns c "
				 "JOIN information_schema.tables t USING (table_schema, "
				 "table_name) JOIN information_schema.columns f USING "
				 "(table_schema, table_name) WHERE c.table_schema = "
				 "'fremdrift' AND c.column_name = 'pseudonym' AND "
				 "t.table_type = 'BASE TABLE' GROUP BY 1 ORDER BY 1",
				 0, NULL);

	if (res == NULL)
		return -1;
	r->ntables = PQntuples(res);
	r->tables = fr_xcalloc((size_t)r->ntables + 1, sizeof(char *));
	r->facts = fr_xcalloc((size_t)r->ntables + 1, sizeof(int));
	for (int i = 0; i < r->ntables; i++) {
		r->tables[i] = fr_xstrdup(PQgetvalue(res, i, 0));
		r->facts[i] = PQgetvalue(res, i, 1)[0] == 't';
		r->ledger |= strcmp(r->tables[i], "extract_ledger") == 0;
	}
	PQclear(res);
	return 0;
}

/* The research extracts that held pseudonym p, oldest first, as a JSON
 * array of {project, extract, date}; NULL after printing why. */
static json_t *held_by(struct rights *r, const char *p)
{
	const char *params[1] = {p};
	json_t *out = json_array();
	PGresult *res;

	if (!r->ledger)
		return out;
	res = db_query(r->conn, r->who,
		       "SELECT e.project, e.extract_no, e.created_at::date "
		       "FROM fremdrift.extract_ledger l JOIN fremdrift.extracts "
		       "e USING (extract_no) WHERE l.pseudonym = $1 GROUP BY 1, "
		       "2, 3 ORDER BY 2",
		       1, params);
	if (res == NULL) {
		json_decref(out);
		return NULL;
	}
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(
			out, json_pack("{s:s, s:i, s:s}", "project",
				       PQgetvalue(res, i, 0), "extract",
				       atoi(PQgetvalue(res, i, 1)), "date",
				       PQgetvalue(res, i, 2)));
	PQclear(res);
	return out;
}

static void print_json(json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (text) {
		puts(text);
		free(text);
	}
	json_decref(o);
}

static void line_error(struct rights *r, long line, const char *why)
{
	r->errors++;
	print_json(json_pack("{s:I, s:s}", "line", (json_int_t)line, "error", why));
}

/* The rows of one table for pseudonym p, as a JSON array; NULL after
 * printing why. */
static json_t *table_rows(struct rights *r, int i, const char *p)
{
	const char *params[1] = {p};
	char sql[256];
	PGresult *res;
	json_t *rows;

	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(json_agg(t), '[]')::text FROM (SELECT * "
		 "FROM fremdrift.%s WHERE pseudonym = $1) t",
		 r->tables[i]);
	res = db_query(r->conn, r->who, sql, 1, params);
	if (res == NULL)
		return NULL;
	rows = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	PQclear(res);
	return rows;
}

/*
 * Prints everything stored under pseudonym p. A table that cannot be read
 * fails the whole command (-1): an answer to an access request that
 * silently leaves out a table would be wrong, and look complete.
 */
static int do_access(struct rights *r, long line, const char *p)
{
	json_t *tables = json_object(), *extracts = held_by(r, p);
	int total = 0;

	if (extracts == NULL) {
		json_decref(tables);
		return -1;
	}
	for (int i = 0; i < r->ntables; i++) {
		json_t *rows = table_rows(r, i, p);

		if (rows == NULL) {
			fprintf(stderr, "fremdrift access: cannot read table "
					"fremdrift.%s; no answer for line %ld\n",
				r->tables[i], line);
			json_decref(tables);
			json_decref(extracts);
			return -1;
		}
		total += (int)json_array_size(rows);
		json_object_set_new(tables, r->tables[i], rows);
	}
	print_json(json_pack("{s:I, s:s, s:i, s:o, s:o}", "line", (json_int_t)line,
			     "pseudonym", p + 2, "rows", total, "tables", tables,
			     "extracts", extracts));
	return 0;
}

/* The statement that erases or moves one table's rows. */
static void change_sql(const struct rights *r, int i, struct fr_buf *sql)
{
	int erase = r->action == RIGHTS_ERASE;

	fr_buf_printf(sql, "%s fremdrift.%s %s", erase ? "DELETE FROM" : "UPDATE",
		      r->tables[i],
		      erase ? "WHERE pseudonym = $1"
		      : r->facts[i]
			      ? "SET pseudonym = $2, birth_year = $3, sex = "
				"$4 WHERE pseudonym = $1"
			      : "SET pseudonym = $2 WHERE pseudonym = $1");
}

/* Changes every table and writes the audit row; 0, or -1 after printing
 * (the caller rolls back). */
static int change_tables(struct rights *r, const char *const *params,
			 json_t *counts, int *total)
{
	int np = r->action == RIGHTS_ERASE ? 1 : 4;
	char *tables, n[16];
	PGresult *res;

	/* Erasure takes the citizen out of the dashboard's release first, from
	 * their rows as they are; a cpr-change keeps the record keys (the
	 * new number's, when it has some already: two citizens become one). */
	res = db_query(r->conn, r->who,
		       np == 1 ? "SELECT fremdrift.dash_forget($1)"
			       : "DELETE FROM fremdrift.citizen_keys WHERE "
				 "pseudonym = $1 AND EXISTS (SELECT 1 FROM "
				 "fremdrift.citizen_keys WHERE pseudonym = $2)",
		       np == 1 ? 1 : 2, params);
	if (res == NULL)
		return -1;
	PQclear(res);
	for (int i = 0; i < r->ntables; i++) {
		struct fr_buf sql;

		fr_buf_init(&sql, 512);
		change_sql(r, i, &sql);
		res = db_query(r->conn, r->who, sql.data,
			       np == 4 && !r->facts[i] ? 2 : np, params);
		fr_buf_free(&sql);
		if (res == NULL)
			return -1;
		*total += atoi(PQcmdTuples(res));
		json_object_set_new(counts, r->tables[i],
				    json_integer(atoi(PQcmdTuples(res))));
		PQclear(res);
	}
	tables = json_dumps(counts, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(n, sizeof(n), "%d", *total);
	res = db_query(r->conn, r->who,
		       "INSERT INTO fremdrift.rights_log (action, run_by, rows, "
		       "tables) VALUES ($1, $2, $3, $4)",
		       4,
		       (const char *const[]){np == 1 ? "erase" : "cpr_change",
					     r->run_by, n, tables});
	free(tables);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/*
 * Erases (params: pseudonym) or moves (params: old, new, birth year, sex)
 * one citizen's rows in every table, in one transaction with its audit
 * row, and prints the counts. A refused statement refuses the line (its
 * transaction is rolled back); a transaction that cannot begin or end is
 * fatal (-1).
 */
static int per_table(struct rights *r, long line, const char *const *params)
{
	json_t *counts = json_object(), *extracts = NULL, *out;
	int total = 0, ok, done;

	/* After a running refresh (the same lock): it writes back only the
	 * rows that changed since it read them. */
	if (db_exec(r->conn, r->who,
		    "BEGIN; SELECT pg_advisory_xact_lock(" FR_REFRESH_LOCK
		    ")") != 0) {
		json_decref(counts);
		return -1;
	}
	/* Which extracts held the citizen, read before the ledger rows go. */
	if (r->action == RIGHTS_ERASE)
		ok = (extracts = held_by(r, params[0])) != NULL &&
		     change_tables(r, params, counts, &total) == 0;
	else
		ok = change_tables(r, params, counts, &total) == 0;
	done = db_exec(r->conn, r->who, ok ? "COMMIT" : "ROLLBACK");
	if (done != 0 || !ok) {
		json_decref(counts);
		json_decref(extracts);
		if (done != 0)
			return -1;
		line_error(r, line, "the database refused; nothing was changed");
		return 0;
	}
	out = json_pack("{s:I, s:i, s:o}", "line", (json_int_t)line,
			r->action == RIGHTS_ERASE ? "deleted" : "moved", total,
			"tables", counts);
	if (extracts)
		json_object_set_new(out, "extracts", extracts);
	print_json(out);
	return 0;
}

/* One "OLD NEW" line of cpr-change. */
static int change_line(struct rights *r, long lineno, const char *line,
		       size_t n)
{
	size_t cut = strcspn(line, " \t,;");
	char p1[PARAM_LEN], p2[PARAM_LEN], year[8], sexs[2] = {0, 0};
	struct fr_err err;
	int y;

	if (cut >= n) {
		line_error(r, lineno, "expected two CPR numbers: OLD NEW");
		return 0;
	}
	fr_err_clear(&err);
	if (pseudonym_of(r, line, cut, p1, NULL, NULL, &err) != 0 ||
	    pseudonym_of(r, line + cut + 1, n - cut - 1, p2, &y, &sexs[0],
			 &err) != 0) {
		line_error(r, lineno, err.msg);
		return 0;
	}
	snprintf(year, sizeof(year), "%d", y);
	return per_table(r, lineno, (const char *const[]){p1, p2, year, sexs});
}

/* One input line (n bytes, no line end). 0, or -1 when fatal. */
static int one_line(struct rights *r, long lineno, const char *line, size_t n)
{
	char p[PARAM_LEN];
	struct fr_err err;

	if (r->action == RIGHTS_CPR_CHANGE)
		return change_line(r, lineno, line, n);
	fr_err_clear(&err);
	if (pseudonym_of(r, line, n, p, NULL, NULL, &err) != 0) {
		line_error(r, lineno, err.msg);
		return 0;
	}
	if (r->action == RIGHTS_ACCESS)
		return do_access(r, lineno, p);
	return per_table(r, lineno, (const char *const[]){p});
}

/* Every line of stdin; each is wiped once handled. 0 or -1 (fatal). */
static int each_line(struct rights *r)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		rc = one_line(r, lineno, line, (size_t)n);
		OPENSSL_cleanse(line, cap);
	}
	if (line)
		OPENSSL_cleanse(line, cap);
	free(line);
	return rc;
}

/* The pseudonym key, the database and its tables. 0 or -1 (printed). */
static int open_rights(struct rights *r, const char *keypath,
		       const struct fr_config *cfg)
{
	struct pseud_key key;
	struct fr_err err;
	int rc;

	fr_err_clear(&err);
	if (keyfile_load(keypath, &key, &err) != 0) {
		fprintf(stderr, "fremdrift %s: %s\n", r->who, err.msg);
		return -1;
	}
	rc = pseud_ctx_new(key.bytes, key.len, &r->ctx, &err);
	keyfile_wipe(&key);
	if (rc != 0) {
		fprintf(stderr, "fremdrift %s: %s\n", r->who, err.msg);
		return -1;
	}
	cpr_today(&r->today);
	if ((r->conn = db_connect(cfg, r->who)) == NULL)
		return -1;
	return load_tables(r);
}

int rights_run(const struct rights_opts *o, const struct fr_config *cfg)
{
	struct passwd *pw = getpwuid(getuid());
	struct rights r;
	int rc = FR_EXIT_FATAL;

	memset(&r, 0, sizeof(r));
	r.action = o->action;
	r.who = who_of[o->action];
	r.run_by = pw ? pw->pw_name : "unknown";
	if (open_rights(&r, o->key_file ? o->key_file : cfg->key_file, cfg) == 0 &&
	    each_line(&r) == 0)
		rc = r.errors ? FR_EXIT_REJECTED : FR_EXIT_OK;
	pseud_ctx_free(r.ctx);
	if (r.conn)
		PQfinish(r.conn);
	for (int i = 0; i < r.ntables; i++)
		free(r.tables[i]);
	free(r.tables);
	free(r.facts);
	return rc;
}
