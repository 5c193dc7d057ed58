/*
 * The leadership page, served by `fremdrift serve` under /dashboard
 * (docs/dashboard.md, "The page"):
 *
 *   GET  /dashboard?period=&department=&target_group=  the page, or the
 *        sign-in form when there is no session
 *   GET  /dashboard/csv?...       what the page shows, as CSV
 *   POST /dashboard/login         token=<a dashboard token>: a session
 *   POST /dashboard/logout        ends it
 *
 * A session is a random id in an HttpOnly, SameSite=Strict cookie; the
 * database holds its SHA-256 (fremdrift.web_sessions). The figures come
 * from fremdrift.dash_page(), the published release; the HTML, charts and
 * CSV from dash_render.h.
 *
 * Threads: loop thread only.
 */
#ifndef FREMDRIFT_DASH_PAGE_H
#define FREMDRIFT_DASH_PAGE_H

#include "fremdrift/http_server.h"
#include "fremdrift/pg_conn.h"

/* The session cookie; named __Host-fremdrift_session when the public URL
 * is https (the cookie is then Secure). */
#define DASH_COOKIE "fremdrift_session"
/* A session ends after this long without use, and at the latest after
 * DASH_SESSION_HOURS. */
#define DASH_SESSION_IDLE_MIN 60
#define DASH_SESSION_HOURS 8

struct dpage;

/* pg (borrowed) runs the session and figure queries; css, dcss and js are
 * the hrefs of web/app.css, web/dash.css and web/app.js (copied);
 * public_url is where browsers reach the server (FREMDRIFT_PUBLIC_URL):
 * forms from its origin are accepted, and the cookie is Secure when it is
 * https. */
struct dpage *dpage_new(struct pgc *pg, const char *css, const char *dcss,
			const char *js, const char *public_url);
void dpage_free(struct dpage *d);

/*
 * Behind the provider's single sign-on (docs/dashboard.md): a request
 * from the address from (an IP literal) that carries header (a name) is a
 * signed-in leader, without a token or a session here; logout (may be
 * NULL) is where "Log ud" goes. A request from anywhere else is treated
 * as if the header were not there. 0, or -1 when from is no address.
 */
int dpage_sso(struct dpage *d, const char *header, const char *from,
	      const char *logout);

/* 1 if path is /dashboard or under it. */
int dpage_owns(const char *path);

/* 1 if the request carries a session cookie (GET / then sends the leader
 * to /dashboard). */
int dpage_has_cookie(const struct dpage *d, const struct http_req *req);

void dpage_handle(struct dpage *d, struct http_req *req);

#endif
