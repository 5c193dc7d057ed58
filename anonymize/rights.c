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
 */
#include "cli.h"
#include "fremdrift/db.h"

#include "fremdrift/buf.h"
#include "fremdrift/cpr.h"
#include "fremdrift/keyfile.h"
#include "fremdrift/pseudonym.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum action { ACCESS, ERASE, CHANGE };

struct rights {
	enum action action;
	PGconn *conn;
	struct pseud_ctx *ctx;
	struct cpr_date today;
	char **tables; /* fremdrift tables with a pseudonym column */
	int *facts;    /* 1 where the table also has birth_year and sex */
	int ntables;
	const char *run_by;
	int errors;
};

/* A CPR number (len bytes at s) to "\\x<hex>" for a bytea parameter, and
 * the derived birth year and sex. The CPR is wiped here. */
static int pseudonym_of(struct rights *r, const char *s, size_t len,
			char out[2 + PSEUD_HEX_LEN + 1], int *year, char *sex,
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
	PGresult *res = PQexec(r->conn,
			       "SELECT c.table_name, bool_or(f.column_name = "
			       "'birth_year') FROM information_schema.columns c "
			       "JOIN information_schema.tables t USING (table_schema, "
			       "table_name) JOIN information_schema.columns f USING "
			       "(table_schema, table_name) WHERE c.table_schema = "
			       "'fremdrift' AND c.column_name = 'pseudonym' AND "
			       "t.table_type = 'BASE TABLE' GROUP BY 1 ORDER BY 1");

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "fremdrift: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	r->ntables = PQntuples(res);
	r->tables = fr_xcalloc((size_t)r->ntables + 1, sizeof(char *));
	r->facts = fr_xcalloc((size_t)r->ntables + 1, sizeof(int));
	for (int i = 0; i < r->ntables; i++) {
		r->tables[i] = fr_xstrdup(PQgetvalue(res, i, 0));
		r->facts[i] = PQgetvalue(res, i, 1)[0] == 't';
	}
	PQclear(res);
	return 0;
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

static void do_access(struct rights *r, long line, const char *p)
{
	json_t *out = json_pack("{s:I}", "line", (json_int_t)line);
	json_t *tables = json_object();
	const char *params[1] = {p};
	int total = 0;

	for (int i = 0; i < r->ntables; i++) {
		char sql[256];
		PGresult *res;
		json_t *rows;

		snprintf(sql, sizeof(sql),
			 "SELECT coalesce(json_agg(t), '[]')::text FROM (SELECT * "
			 "FROM fremdrift.%s WHERE pseudonym = $1) t",
			 r->tables[i]);
		res = PQexecParams(r->conn, sql, 1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			PQclear(res);
			continue;
		}
		rows = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		PQclear(res);
		total += (int)json_array_size(rows);
		json_object_set_new(tables, r->tables[i], rows ? rows : json_array());
	}
	json_object_set_new(out, "pseudonym", json_string(p + 2));
	json_object_set_new(out, "rows", json_integer(total));
	json_object_set_new(out, "tables", tables);
	print_json(out);
}

/*
 * Erases (params: pseudonym) or moves (params: old, new, birth year, sex)
 * one citizen's rows in every table, in one transaction with its audit
 * row, and prints the counts.
 */
static void per_table(struct rights *r, long line, const char *const *params)
{
	int erase = r->action == ERASE;
	json_t *counts = json_object();
	PGresult *res = PQexec(r->conn, "BEGIN");
	int total = 0, ok = 1;

	PQclear(res);
	for (int i = 0; i < r->ntables && ok; i++) {
		struct fr_buf sql;
		int np = erase ? 1 : r->facts[i] ? 4 : 2;

		fr_buf_init(&sql, 512);
		fr_buf_printf(&sql, "%s fremdrift.%s %s", erase ? "DELETE FROM" : "UPDATE",
			      r->tables[i],
			      erase ? "WHERE pseudonym = $1"
			      : r->facts[i]
				      ? "SET pseudonym = $2, birth_year = $3, sex = "
					"$4 WHERE pseudonym = $1"
				      : "SET pseudonym = $2 WHERE pseudonym = $1");
		res = PQexecParams(r->conn, sql.data, np, NULL, params, NULL, NULL, 0);
		fr_buf_free(&sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			const char *why = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

			fprintf(stderr, "fremdrift: %s: %s\n", r->tables[i],
				why ? why : "failed");
			ok = 0;
		} else {
			int n = atoi(PQcmdTuples(res));

			total += n;
			json_object_set_new(counts, r->tables[i], json_integer(n));
		}
		PQclear(res);
	}
	if (ok) {
		char *tables = json_dumps(counts, JSON_COMPACT | JSON_SORT_KEYS);
		char n[16];
		const char *p[4] = {erase ? "erase" : "cpr_change", r->run_by, n,
				    tables};

		snprintf(n, sizeof(n), "%d", total);
		res = PQexecParams(r->conn,
				   "INSERT INTO fremdrift.rights_log (action, run_by, "
				   "rows, tables) VALUES ($1, $2, $3, $4)",
				   4, NULL, p, NULL, NULL, 0);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		free(tables);
	}
	res = PQexec(r->conn, ok ? "COMMIT" : "ROLLBACK");
	PQclear(res);
	if (!ok) {
		json_decref(counts);
		line_error(r, line, "the database refused; nothing was changed");
		return;
	}
	print_json(json_pack("{s:I, s:i, s:o}", "line", (json_int_t)line,
			     erase ? "deleted" : "moved", total, "tables", counts));
}

static int usage(enum action a, FILE *out)
{
	static const char *const text[] = {
		"usage: fremdrift access [--key FILE]\n\n"
		"Reads CPR numbers on stdin, one a line, and prints for each a "
		"JSON line with\neverything stored about that citizen, table by "
		"table (GDPR art. 15). The CPR\nnumber itself is never stored, so "
		"it is not in the answer either.\n",
		"usage: fremdrift erase [--key FILE]\n\n"
		"Reads CPR numbers on stdin, one a line, and deletes every row "
		"of each\ncitizen from every table that holds a pseudonym (GDPR "
		"art. 17), printing the\ncounts. An audit row with the counts "
		"only is kept in fremdrift.rights_log.\nRun `fremdrift measure "
		"refresh` afterwards for the dashboards.\n",
		"usage: fremdrift cpr-change [--key FILE]\n\n"
		"Reads lines \"OLD NEW\" (two CPR numbers) on stdin and moves "
		"all of the old\nnumber's history to the new one's pseudonym, "
		"with the birth year and sex of\nthe new number. An audit row "
		"with counts only is kept.\n"};

	fputs(text[a], out);
	return out == stdout ? EXIT_OK : EXIT_FATAL;
}

static int run(enum action action, int argc, char **argv,
	       const struct fr_config *cfg)
{
	const char *keypath = cfg->key_file;
	struct rights r;
	struct pseud_key key;
	struct fr_err err;
	struct passwd *pw = getpwuid(getuid());
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int rc = EXIT_FATAL;

	memset(&r, 0, sizeof(r));
	r.action = action;
	r.run_by = pw ? pw->pw_name : "unknown";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
			keypath = argv[++i];
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(action, stdout);
		else
			return usage(action, stderr);
	}
	fr_err_clear(&err);
	if (keyfile_load(keypath, &key, &err) != 0) {
		fprintf(stderr, "fremdrift: %s\n", err.msg);
		return EXIT_FATAL;
	}
	if (pseud_ctx_new(key.bytes, key.len, &r.ctx, &err) != 0)
		goto out;
	keyfile_wipe(&key);
	cpr_today(&r.today);
	if ((r.conn = db_connect(cfg, "rights")) == NULL || load_tables(&r) != 0)
		goto out;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		char p1[2 + PSEUD_HEX_LEN + 1], p2[2 + PSEUD_HEX_LEN + 1];

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (action == CHANGE) {
			char *sep = line + strcspn(line, " \t,;");
			char year[8], sexs[2];
			int y;
			char sex;

			if ((size_t)(sep - line) >= (size_t)n) {
				line_error(&r, lineno, "expected two CPR numbers: OLD NEW");
				continue;
			}
			if (pseudonym_of(&r, line, (size_t)(sep - line), p1, NULL, NULL,
					 &err) != 0 ||
			    pseudonym_of(&r, sep + 1, (size_t)(n - (sep + 1 - line)),
					 p2, &y, &sex, &err) != 0) {
				line_error(&r, lineno, err.msg);
				continue;
			}
			snprintf(year, sizeof(year), "%d", y);
			sexs[0] = sex;
			sexs[1] = '\0';
			{
				const char *params[4] = {p1, p2, year, sexs};

				per_table(&r, lineno, params);
			}
		} else {
			if (pseudonym_of(&r, line, (size_t)n, p1, NULL, NULL, &err)) {
				line_error(&r, lineno, err.msg);
				continue;
			}
			if (action == ACCESS) {
				do_access(&r, lineno, p1);
			} else {
				const char *params[1] = {p1};

				per_table(&r, lineno, params);
			}
		}
		OPENSSL_cleanse(line, cap);
	}
	rc = r.errors ? EXIT_REJECTED : EXIT_OK;
out:
	if (line) {
		OPENSSL_cleanse(line, cap);
		free(line);
	}
	keyfile_wipe(&key);
	pseud_ctx_free(r.ctx);
	if (r.conn)
		PQfinish(r.conn);
	for (int i = 0; i < r.ntables; i++)
		free(r.tables[i]);
	free(r.tables);
	free(r.facts);
	return rc;
}

int cmd_access(int argc, char **argv, const struct fr_config *cfg)
{
	return run(ACCESS, argc, argv, cfg);
}

int cmd_erase(int argc, char **argv, const struct fr_config *cfg)
{
	return run(ERASE, argc, argv, cfg);
}

int cmd_cpr_change(int argc, char **argv, const struct fr_config *cfg)
{
	return run(CHANGE, argc, argv, cfg);
}
