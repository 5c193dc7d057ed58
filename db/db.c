/*
 * The blocking database layer of the batch commands: connect, run or fail
 * with one error policy, and read COPY output with its escapes undone.
 */
#include "fremdrift/db.h"

#include "fremdrift/hex.h"

#include "fremdrift/buf.h"
#include "fremdrift/log.h"
#include "fremdrift/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void db_log_notice(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	enum log_level level = LOG_DEBUG;

	(void)arg;
	if (sev != NULL && strcmp(sev, "WARNING") == 0)
		level = LOG_WARNING;
	log_write(level, "pg", "%s: %s", sev ? sev : "NOTICE",
		  msg ? msg : "(no message)");
}

char *db_masked_conninfo(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	struct fr_buf b;

	if (opts == NULL)
		return fr_xstrdup("(unparsable connection string)");
	fr_buf_init(&b, 8192);
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		fr_buf_printf(&b, "%s%s=%s", b.len ? " " : "", o->keyword,
			      strcmp(o->keyword, "password") == 0 ? "********"
								   : o->val);
	}
	PQconninfoFree(opts);
	if (b.data == NULL)
		return fr_xstrdup("");
	return b.data;
}

PGconn *db_connect(const struct fr_config *cfg, const char *who)
{
	PGconn *conn = PQconnectdb(cfg->database_url);

	if (PQstatus(conn) != CONNECTION_OK) {
		char *shown = db_masked_conninfo(cfg->database_url);

		fprintf(stderr,
			"fremdrift %s: cannot connect to the database (%s): %s",
			who, shown, PQerrorMessage(conn));
		if (cfg->database_embedded)
			fprintf(stderr, "The embedded database is started by "
					"`make run`; or set DATABASE_URL.\n");
		free(shown);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, db_log_notice, NULL);
	return conn;
}

PGconn *db_connect_migrated(const struct fr_config *cfg, const char *who)
{
	PGconn *conn = db_connect(cfg, who);
	struct fr_err err;

	if (conn == NULL)
		return NULL;
	fr_err_clear(&err);
	if (migrate_check(conn, &err) != 0) {
		fprintf(stderr, "fremdrift %s: %s\n", who, err.msg);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

void db_report(const char *who, const PGresult *res, PGconn *conn)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
			      : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT)
			       : NULL;

	if (msg == NULL) {
		/* Not a server error: libpq's own message (connection lost). */
		const char *m = conn ? PQerrorMessage(conn) : "";
		size_t n = strlen(m);

		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		fprintf(stderr, "fremdrift %s: database error: %.*s\n", who,
			(int)n, n ? m : "unknown");
		return;
	}
	fprintf(stderr, "fremdrift %s: %s%s%s\n", who, msg, hint ? ". " : "",
		hint ? hint : "");
}

PGresult *db_query(PGconn *conn, const char *who, const char *sql,
		   int nparams, const char *const *params)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL,
				     NULL, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	db_report(who, res, conn);
	PQclear(res);
	return NULL;
}

int db_exec(PGconn *conn, const char *who, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		PQclear(res);
		return 0;
	}
	db_report(who, res, conn);
	PQclear(res);
	return -1;
}

int db_copy_in(PGconn *conn, const char *who, const char *sql,
	       const char *data, size_t len)
{
	PGresult *res = PQexec(conn, sql);
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		db_report(who, res, conn);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if ((len > 0 && PQputCopyData(conn, data, (int)len) != 1) ||
	    PQputCopyEnd(conn, NULL) != 1) {
		db_report(who, NULL, conn);
		rc = -1;
	}
	/* Every result, so the connection is ready for the next command. */
	while ((res = PQgetResult(conn)) != NULL) {
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK) {
			db_report(who, res, conn);
			rc = -1;
		}
		PQclear(res);
	}
	return rc;
}

int db_copy_out_begin(PGconn *conn, const char *who, const char *sql)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) == PGRES_COPY_OUT) {
		PQclear(res);
		return 0;
	}
	db_report(who, res, conn);
	PQclear(res);
	return -1;
}

/* One escape at s[i] (a backslash); writes its byte to *out and returns
 * how many input bytes it took. */
static size_t unescape_one(const char *s, size_t i, size_t len, char *out)
{
	static const char from[] = "btnvfr", to[] = "\b\t\n\v\f\r";
	char c = i + 1 < len ? s[i + 1] : '\\';
	const char *p;
	int v = 0;
	size_t k;

	if (c != '\0' && (p = strchr(from, c)) != NULL) {
		*out = to[p - from];
		return 2;
	}
	if (c >= '0' && c <= '7') {
		for (k = 1; k <= 3 && i + k < len && s[i + k] >= '0' &&
			    s[i + k] <= '7';
		     k++)
			v = v * 8 + (s[i + k] - '0');
		*out = (char)v;
		return k;
	}
	if (c == 'x' && i + 2 < len && fr_hex_digit(s[i + 2]) >= 0) {
		v = fr_hex_digit(s[i + 2]);
		k = 3;
		if (i + 3 < len && fr_hex_digit(s[i + 3]) >= 0)
			v = v * 16 + fr_hex_digit(s[i + k++]);
		*out = (char)v;
		return k;
	}
	/* Any other character stands for itself (\\ included). */
	*out = c;
	return i + 1 < len ? 2 : 1;
}

size_t db_copy_unescape(char *s, size_t len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		if (s[i] != '\\') {
			s[o++] = s[i++];
			continue;
		}
		i += unescape_one(s, i, len, &s[o]);
		o++;
	}
	return o;
}

static void add_field(struct db_copy_row *row, char *start, size_t len)
{
	if (row->nfields == row->cap) {
		row->cap = row->cap ? 2 * row->cap : 16;
		row->fields = fr_xrealloc(row->fields,
					  (size_t)row->cap * sizeof(char *));
		row->lens = fr_xrealloc(row->lens,
					(size_t)row->cap * sizeof(size_t));
	}
	if (len == 2 && start[0] == '\\' && start[1] == 'N') {
		row->fields[row->nfields] = NULL;
		row->lens[row->nfields++] = 0;
		return;
	}
	len = db_copy_unescape(start, len);
	start[len] = '\0';
	row->fields[row->nfields] = start;
	row->lens[row->nfields++] = len;
}

/* Splits line (its escapes intact, so a data tab is "\t") at raw tabs,
 * then unescapes each field in place. */
static void split_row(struct db_copy_row *row, char *line, size_t len)
{
	size_t start = 0;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	row->nfields = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || line[i] == '\t') {
			add_field(row, line + start, i - start);
			start = i + 1;
		}
	}
}

int db_copy_out_next(PGconn *conn, const char *who, struct db_copy_row *row)
{
	char *buf = NULL;
	int n = PQgetCopyData(conn, &buf, 0);
	PGresult *res;
	int rc = 0;

	if (n > 0) {
		free(row->line);
		row->line = fr_xmalloc((size_t)n + 1);
		memcpy(row->line, buf, (size_t)n);
		row->line[n] = '\0';
		PQfreemem(buf);
		split_row(row, row->line, (size_t)n);
		return 1;
	}
	if (n == -2) {
		db_report(who, NULL, conn);
		return -1;
	}
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			db_report(who, res, conn);
			rc = -1;
		}
		PQclear(res);
	}
	return rc;
}

void db_copy_row_free(struct db_copy_row *row)
{
	free(row->line);
	free(row->fields);
	free(row->lens);
	memset(row, 0, sizeof(*row));
}
