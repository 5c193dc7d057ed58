/*
 * POST /api/v1/records: NDJSON or a JSON array of records,
 * authorised by an ingest token, answered only after the transaction that
 * holds the records has committed.
 *
 * Group commit: the records of every request that arrives while batches
 * are being written go into the next batch together, flushed once per
 * loop iteration (a uv_check_t) to a free connection, so throughput does
 * not hang on one commit per request; with a second connection
 * (rapi_add_connection) two batches are in flight at once. When the
 * filling batch is full, further requests wait unparsed (their
 * connections are not read meanwhile): backpressure to the client. A 200
 * goes out only after the commit of the batch holding its records.
 *
 * A body over 1 MiB is taken a slice of records per loop iteration (one
 * such body at a time), so the loop keeps serving other connections; its
 * batch is held back from the sink until the whole body is in, so its
 * records still commit in one transaction. A JSON array is split by the
 * strict scanner (rec_split_next) and checked to its end before any record
 * is taken: no document is built, whatever the body's size.
 *
 * Threads: loop thread only.
 */
#ifndef FREMDRIFT_RAPI_H
#define FREMDRIFT_RAPI_H

#include <uv.h>

#include "fremdrift/http_server.h"
#include "fremdrift/env.h"
#include "fremdrift/pg_conn.h"
#include "fremdrift/record.h"

struct records_api;

struct auth;

/* env, pg and auth are borrowed and must outlive the api. */
struct records_api *rapi_new(uv_loop_t *loop, struct pgc *pg,
			     struct ing_env *env, struct auth *auth);

/*
 * Adds a connection (borrowed; must outlive the api) over which batches
 * are written beside those on the first: up to two batches commit at
 * once. 0, or FR_ESTATE when the api has as many as it uses.
 */
int rapi_add_connection(struct records_api *api, struct pgc *pg);

/* Handles one request to /api/v1/records (any method), whose headers
 * went through rapi_check_headers. */
void rapi_handle(struct records_api *api, struct http_req *req);

/*
 * Checks a request to /api/v1/records on its headers alone, before its
 * body is read (an http_server_opts.on_headers for that path): returns 0
 * for a method other than POST (answered 405 without a body), 401 with
 * *code and *message (static) when the Authorization header cannot hold a
 * token (not "Bearer fr_" and 64 hex digits), 503 when the token is not
 * cached and the database is down, and otherwise HTTP_HEADERS_LATER: the
 * token is looked up (auth_check; a cached one answers during this call)
 * and the request refused with 401 or 403 before its body is read, or let
 * on with the token's source as its note for rapi_handle. Loop thread.
 */
int rapi_check_headers(struct records_api *api, struct http_req *req,
		       const char **code, const char **message);

/*
 * Called once with the outcome of rapi_store, after the transaction that
 * holds the records has committed (or failed): rc 0 with stored (new
 * rows) and duplicates (rows the database already held, or twice in
 * recs); FR_EINVAL when a record was refused (why names its field and
 * reason; nothing of recs was stored); FR_EDB when the database failed or
 * is unreachable (why says so). why is borrowed for the call.
 */
typedef void (*rapi_store_cb)(int rc, int stored, int duplicates,
			      const char *why, void *data);

/*
 * Stores n records the server built itself (recs borrowed for the call:
 * copied into the batch at once) in source, through the same group-commit
 * batches, COPY and exactly-once rule as POST /api/v1/records. Each
 * record's source must be source (a record naming another is refused).
 * cb is called exactly once, normally after the batch's commit; it may be
 * called before rapi_store returns when nothing of recs is to be written
 * (a record refused). Returns 0, or FR_EDB when the database is not ready
 * (cb is then never called). Loop thread, from a loop callback: the batch
 * is written in the iteration's check phase, as for HTTP requests.
 */
int rapi_store(struct records_api *api, const struct record *recs, int n,
	       const char *source, rapi_store_cb cb, void *data);

/* Call when the database connection comes back (replays a lost batch). */
void rapi_connection_up(struct records_api *api);

/* Stops the flush handle; call once no request is pending. */
void rapi_close(struct records_api *api);

#endif
