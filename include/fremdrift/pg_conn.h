/*
 * One PostgreSQL connection driven by libpq in non-blocking mode on a libuv
 * loop (docs/architecture.md, "Errors, memory and the loop").
 *
 * - Connecting never blocks the loop: a host name is resolved with
 *   uv_getaddrinfo first and handed to libpq as hostaddr; PQconnectPoll is
 *   driven by a uv_poll_t, re-reading PQsocket after every call.
 * - When the server goes away the connection reconnects with exponential
 *   backoff (100 ms doubling to 5 s). Queries queued or in flight when it
 *   drops fail with an error; whoever issued them decides whether to replay.
 * - Queries run one at a time, in the order they were queued, with one
 *   exception that keeps transactions whole: while the session is inside a
 *   transaction block (PQtransactionStatus INTRANS or INERROR), the next
 *   query sent is one queued by the callback of the query that left it
 *   there. A transaction therefore goes on only through queries queued
 *   from its previous query's callback; unrelated queries (token look-ups,
 *   health checks) wait until it ends and never run inside it. A
 *   transaction left open with nothing queued from that callback is rolled
 *   back (with a warning).
 *
 * Threads: every function, and every callback, runs on the loop thread.
 * Ownership: struct pgc is allocated by pgc_new and freed after pgc_close's
 * callback; PGresult pointers handed to callbacks are borrowed and cleared by
 * this module when the callback returns.
 */
#ifndef FREMDRIFT_PG_CONN_H
#define FREMDRIFT_PG_CONN_H

#include <libpq-fe.h>
#include <uv.h>

#include "fremdrift/err.h"

struct pgc;

/* Called when the connection comes up (up=1) or goes down (up=0). */
typedef void (*pgc_state_cb)(struct pgc *c, int up, void *data);

/*
 * Called once per query (a NULL callback means "ignore the result"). On success res is the last result of the query
 * (PGRES_COMMAND_OK, PGRES_TUPLES_OK, or an error status whose message is
 * also in error); when the connection failed or the query timed out, res is
 * NULL and error says why. error is borrowed.
 */
typedef void (*pgc_result_cb)(struct pgc *c, PGresult *res, const char *error,
			      void *data);

struct pgc_opts {
	unsigned connect_timeout_ms; /* 0: 10 s */
	unsigned backoff_min_ms;     /* 0: 100 ms */
	unsigned backoff_max_ms;     /* 0: 5 s */
	const char *application_name; /* NULL: "fremdrift" */
};

/*
 * Makes a connection object for conninfo (borrowed; copied) and starts
 * connecting. opts may be NULL. state_cb (may be NULL) hears of every up and
 * down. Returns 0, or FR_ECONFIG when conninfo does not parse (err says
 * why; no callback is ever called).
 */
int pgc_new(uv_loop_t *loop, const char *conninfo, const struct pgc_opts *opts,
	    pgc_state_cb state_cb, void *data, struct pgc **out,
	    struct fr_err *err);

/* 1 when connected and ready for queries. */
int pgc_is_up(const struct pgc *c);

/*
 * Which server session this is: a number that changes every time the
 * connection comes up (0 before the first), so that session state such as
 * temporary tables can be known to still exist.
 */
unsigned pgc_session(const struct pgc *c);

/*
 * From a result callback, inside a transaction block: the caller keeps the
 * transaction open with nothing queued, and continues it later with its
 * next query (a file batch waiting for the batch before it to commit,
 * copy_sink.h). Without this, a transaction left open with nothing queued
 * is rolled back at once. Anything another caller queues meanwhile would
 * run inside that transaction: only for a connection that one caller
 * owns. A lost connection ends the wish with the transaction; the caller
 * finds out from pgc_session.
 */
void pgc_keep_open(struct pgc *c);

/*
 * Queues sql with nparams text parameters (values may hold NULL for SQL
 * NULL; everything is copied). timeout_ms > 0 bounds the time until the
 * result: when it passes, cb gets error "timed out" and the connection is
 * dropped and re-established (libpq 15 can only cancel by blocking).
 * Returns 0, or FR_EDB when the connection is not up; cb is then never
 * called.
 */
int pgc_query(struct pgc *c, const char *sql, int nparams,
	      const char *const *values, unsigned timeout_ms, pgc_result_cb cb,
	      void *data);

/*
 * Queues sql as a simple query: it may hold several statements separated
 * by ';' but takes no parameters. Otherwise as pgc_query (no timeout).
 */
int pgc_exec(struct pgc *c, const char *sql, pgc_result_cb cb, void *data);

/*
 * Queues a "COPY ... FROM STDIN" statement (other statements without
 * parameters may come before it: "BEGIN; COPY ...") and sends len bytes of data
 * (borrowed: must stay valid until cb) as its input, in chunks, waiting
 * for the socket whenever libpq cannot pass a chunk on. cb gets the COPY's
 * final result (PGRES_COMMAND_OK, or the error). 0 or FR_EDB as pgc_query.
 */
int pgc_copy(struct pgc *c, const char *sql, const char *data, size_t len,
	     pgc_result_cb cb, void *cbdata);

/*
 * Called for each notification (LISTEN/NOTIFY) the connection receives;
 * channel and payload are borrowed for the call.
 */
typedef void (*pgc_notify_cb)(struct pgc *c, const char *channel,
			      const char *payload, void *data);

/* Sets (or, with NULL, clears) the one notification callback of c. The
 * caller sends LISTEN itself, again after every reconnect. */
void pgc_on_notify(struct pgc *c, pgc_notify_cb cb, void *data);

/*
 * Drops the connection, fails what is queued, and frees c once every handle
 * is closed, then calls cb (may be NULL). No callback of c runs after cb.
 */
void pgc_close(struct pgc *c, void (*cb)(void *data), void *data);

#endif
