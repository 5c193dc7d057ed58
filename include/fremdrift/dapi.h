/*
 * GET /api/v1/dashboard/<view>?period=P | from=P&to=P, department=CODE,
 * target_group=CODE for a token of role dashboard: the protected release
 * of fixed quarters and years (fremdrift.dash_answer) as JSON
 * (docs/dashboard.md). Any other parameter, a repeated one or a value of
 * the wrong shape is a 400 naming it. Loop thread only.
 */
#ifndef FREMDRIFT_DAPI_H
#define FREMDRIFT_DAPI_H

#include "fremdrift/http_server.h"
#include "fremdrift/pg_conn.h"

struct auth;

/*
 * Handles a request under /api/v1/dashboard. auth checks tokens; pg
 * runs the query and should be a connection of its own (serve.c), so that
 * a large answer never holds up whatever is queued behind it; a query past
 * timeout_ms drops and re-opens pg. auth, pg and req are borrowed; req is
 * answered exactly once, now or later from the loop thread.
 */
void dapi_handle(struct auth *auth, struct pgc *pg, unsigned timeout_ms,
		 struct http_req *req);

/* 1 if the len bytes at v are a year such as 2025 or a quarter such as
 * 2025-Q3; dapi_code_ok: a catalogue code (lowercase letters, digits, _,
 * at most REC_CODE_MAX). The leadership page checks its filters with
 * them too. */
int dapi_period_ok(const char *v, size_t len);
int dapi_code_ok(const char *v, size_t len);

#endif
