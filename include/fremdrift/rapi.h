/*
 * POST /api/v1/records (design §8): NDJSON or a JSON array of records,
 * authorised by an ingest token, answered only after the transaction that
 * holds the records has committed.
 *
 * Group commit: the records of every request that arrives while a batch is
 * being written go into the next batch together, flushed once per loop
 * iteration (a uv_check_t), so throughput does not hang on one commit per
 * request. When both batches are full, further requests wait unparsed
 * (their connections are not read meanwhile): backpressure to the client.
 *
 * Threads: loop thread only.
 */
#ifndef FREMDRIFT_RECORDS_API_H
#define FREMDRIFT_RECORDS_API_H

#include <uv.h>

#include "fremdrift/http_server.h"
#include "fremdrift/env.h"
#include "fremdrift/pg_conn.h"

struct records_api;

/* env and pg are borrowed and must outlive the api. */
struct records_api *rapi_new(uv_loop_t *loop, struct pgc *pg,
			     struct ing_env *env);

/* Handles one request to /api/v1/records (any method). */
void rapi_handle(struct records_api *api, struct http_req *req);

/* Call when the database connection comes back (replays a lost batch). */
void rapi_connection_up(struct records_api *api);

/*
 * Checks an Authorization header against the api_tokens table (cached for
 * a minute). cb gets the token's source and role, or NULL when the token is
 * missing, unknown or revoked. Returns FR_EDB when the database is down
 * and the token is not cached (cb is then never called).
 */
typedef void (*rapi_auth_cb)(const char *source, const char *role, void *data);
int rapi_authorize(struct records_api *api, const char *authorization,
		   rapi_auth_cb cb, void *data);

/* Stops the flush handle; call once no request is pending. */
void rapi_close(struct records_api *api);

#endif
