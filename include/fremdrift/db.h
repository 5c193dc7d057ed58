/*
 * db: the one blocking database layer, used by every batch command
 * (migrate, token, measure refresh, extract, access/erase/cpr-change).
 * `serve` and `ingest` talk to PostgreSQL through pg_conn (libpq on the
 * libuv loop) instead; nothing here but db_log_notice may be called from
 * a loop thread.
 *
 * One error policy: a function that fails prints one line,
 * "fremdrift WHO: <PostgreSQL's message>[ (detail)][ hint]", to stderr
 * (never a value: PostgreSQL's DETAIL can hold a row's key, so it is left
 * out) and returns -1 or NULL. Callers only clean up and exit 2.
 */
#ifndef FREMDRIFT_DB_H
#define FREMDRIFT_DB_H

#include "fremdrift/config.h"

#include <libpq-fe.h>
#include <stddef.h>

/*
 * Connects to cfg->database_url. On failure prints why (password masked)
 * and, for the embedded cluster, how to start it, and returns NULL.
 * PostgreSQL's NOTICE and WARNING messages are routed through the logger
 * (one logfmt line, level debug for notices), never printed raw.
 * The caller owns the connection (PQfinish).
 */
PGconn *db_connect(const struct fr_config *cfg, const char *who);

/*
 * As db_connect, and then checks that every migration compiled into this
 * binary has been applied; if not, prints "the database is not migrated:
 * run `fremdrift migrate`" (or what else is wrong) and returns NULL.
 */
PGconn *db_connect_migrated(const struct fr_config *cfg, const char *who);

/*
 * A libpq notice receiver for every connection, blocking or on the loop:
 * PostgreSQL's NOTICE and WARNING messages become one log line each
 * (notices at debug level), with the primary message only, since a DETAIL
 * may quote a row's values. arg is unused.
 */
void db_log_notice(void *arg, const PGresult *res);

/* The conninfo with any password replaced by "********" (caller frees). */
char *db_masked_conninfo(const char *conninfo);

/*
 * Runs sql (no parameters; may hold several statements). 0 on success;
 * on failure prints the error as above and returns -1.
 */
int db_exec(PGconn *conn, const char *who, const char *sql);

/*
 * Runs sql with text parameters. Returns the result when it is
 * PGRES_TUPLES_OK or PGRES_COMMAND_OK (caller PQclears it); otherwise
 * prints the error and returns NULL.
 */
PGresult *db_query(PGconn *conn, const char *who, const char *sql,
		   int nparams, const char *const *params);

/*
 * Runs sql (a COPY ... FROM STDIN) with the len bytes at data (borrowed,
 * COPY text) as its whole input. 0, or -1 after printing the error.
 */
int db_copy_in(PGconn *conn, const char *who, const char *sql,
	       const char *data, size_t len);

/* Prints res's error message in the one format (used by callers that
 * drive libpq themselves, such as COPY). */
void db_report(const char *who, const PGresult *res, PGconn *conn);

/*
 * A reader of COPY ... TO STDOUT in text format that gives each row's
 * fields unescaped, so they compare equal to PQgetvalue text: a field
 * holding a backslash, tab, newline or any other byte reads back exactly.
 */
struct db_copy_row {
	char *line;    /* owned: the row as PostgreSQL sent it, unescaped in place */
	char **fields; /* borrowed pointers into line; NULL for SQL NULL */
	size_t *lens;  /* byte length of each field (fields may hold NUL) */
	int nfields;
	int cap;
};

/* Starts sql (a COPY ... TO STDOUT). 0 or -1 after printing. */
int db_copy_out_begin(PGconn *conn, const char *who, const char *sql);

/*
 * Reads the next row into row (reusing its memory). 1 a row, 0 the end
 * (the COPY's result has been checked), -1 an error (printed).
 */
int db_copy_out_next(PGconn *conn, const char *who, struct db_copy_row *row);

/* Frees what db_copy_out_next allocated; row may be reused after. */
void db_copy_row_free(struct db_copy_row *row);

/*
 * Unescapes one COPY text field in place (\\ \t \n \r \b \f \v, octal
 * \ooo and hex \xhh); returns its new length. Exposed for tests.
 */
size_t db_copy_unescape(char *s, size_t len);

#endif
