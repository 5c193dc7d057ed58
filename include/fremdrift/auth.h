/*
 * auth: API tokens on the server side. Checks an Authorization header
 * against fremdrift.api_tokens (only SHA-256 hashes are stored) and keeps
 * what it learnt for a minute, so a busy client costs one query a minute.
 * Both HTTP APIs authorise through it; the blocking commands that create,
 * list and revoke tokens are in tokens.h.
 *
 * Threads: loop thread only.
 */
#ifndef FREMDRIFT_AUTH_H
#define FREMDRIFT_AUTH_H

#include <uv.h>

#include "fremdrift/pg_conn.h"

/*
 * How long a server trusts a token it has looked up. A change to
 * fremdrift.api_tokens (a revocation) is announced on AUTH_CHANNEL when it
 * commits, and every server listening there empties its cache at once; a
 * server that reconnects empties it too, since it may have missed one. The
 * minute is the bound only for a server that cannot hear notifications
 * (one behind a transaction-pooling proxy, say).
 */
#define AUTH_CACHE_MS 60000
#define AUTH_CHANNEL "fremdrift_tokens"

struct auth;

/* pg is borrowed and must outlive the cache, whose notification callback
 * (pgc_on_notify) it becomes. */
struct auth *auth_new(uv_loop_t *loop, struct pgc *pg);
void auth_free(struct auth *a);

/* To be called each time pg comes up: empties the cache and listens on
 * AUTH_CHANNEL. */
void auth_connection_up(struct auth *a);

/*
 * cb gets the token's source and role (borrowed, valid during the call),
 * or NULLs when the header is missing or the token unknown or revoked.
 * cb may be called before auth_check returns (a cached token). Returns
 * FR_EDB when the database is down and the token is not cached; cb is then
 * never called.
 */
typedef void (*auth_cb)(const char *source, const char *role, void *data);
int auth_check(struct auth *a, const char *authorization, auth_cb cb,
	       void *data);

#endif
