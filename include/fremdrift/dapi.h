/*
 * GET /api/v1/dashboard/<view>?from=&to=&department=&target_group=
 * for a token of role dashboard: the suppressed aggregates of the
 * dashboard schema as JSON (docs/dashboard.md). Loop thread only.
 */
#ifndef FREMDRIFT_DAPI_H
#define FREMDRIFT_DAPI_H

#include "fremdrift/http_server.h"
#include "fremdrift/pg_conn.h"

struct auth;

/*
 * Handles a request under /api/v1/dashboard. auth checks tokens; pg
 * runs the query and should be a connection of its own (serve.c), since a
 * dashboard aggregate can take seconds and would hold up whatever is
 * queued behind it; a query past timeout_ms drops and re-opens pg.
 */
void dapi_handle(struct auth *auth, struct pgc *pg, unsigned timeout_ms,
		 struct http_req *req);

#endif
