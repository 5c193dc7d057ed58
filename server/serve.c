/*
 * `fremdrift serve`: the HTTP server and the pipeline on one libuv loop.
 */
#include "fremdrift/serve.h"

#include "fremdrift/db.h"
#include "fremdrift/err.h"

#include "fremdrift/auth.h"
#include "fremdrift/buf.h"
#include "fremdrift/dapi.h"
#include "fremdrift/dash_page.h"
#include "fremdrift/http_server.h"
#include "fremdrift/links.h"
#include "fremdrift/pages.h"
#include "fremdrift/env.h"
#include "fremdrift/log.h"
#include "fremdrift/pg_conn.h"
#include "fremdrift/rapi.h"

#include "page_headers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHUTDOWN_GRACE_MS 10000
#define SMALL_BODY_MAX (64u << 10) /* under /l/ and /api/v1/invitations */

struct serve {
	uv_loop_t *loop;
	const struct fr_config *cfg;
	struct ing_env env;
	struct auth *auth;
	struct records_api *api;
	struct links *links;
	struct pages *pages; /* the citizen's and consultant's pages */
	struct dpage *dash;  /* the leadership page */
	struct pgc *pg;      /* ingest, tokens, health */
	struct pgc *pg_dash; /* dashboard queries, which may take seconds */
	struct pgc *pg_rec;  /* record batches only, beside those on pg */
	struct http_server *http;
	uv_signal_t sigint, sigterm;
	uv_timer_t grace;
	int preparing; /* env_prepare in flight */
	int stopping;
	int exit_code;
};

struct health {
	struct serve *s;
	struct http_req *req;
};

/* why is "unreachable" or "not_migrated"; run, when not NULL, is the
 * command that would make the database ready. */
static void health_unavailable(struct http_req *req, const char *why,
			       const char *run)
{
	char body[256];
	int n = run ? snprintf(body, sizeof(body),
			       "{\"status\":\"unavailable\",\"database\":"
			       "\"%s\",\"message\":\"the database cannot take "
			       "records yet: run `%s`\"}",
			       why, run)
		    : snprintf(body, sizeof(body),
			       "{\"status\":\"unavailable\",\"database\":"
			       "\"%s\"}",
			       why);

	http_respond(req, 503, "application/json", "Retry-After: 1\r\n", body,
		     (size_t)n);
}

static void on_env(struct ing_env *env, int rc, const char *error, void *data);
static void stop(struct serve *s, const char *why);

/* The catalogues could not be loaded when the database came up (most
 * often: it was not migrated yet). Each health check tries again, so
 * `fremdrift migrate` on a running server is noticed without a restart. */
static void retry_prepare(struct serve *s)
{
	if (s->preparing || s->stopping)
		return;
	if (env_prepare(&s->env, s->pg, on_env, s) == 0)
		s->preparing = 1;
}

static void on_health_result(struct pgc *c, PGresult *res, const char *error,
			     void *data)
{
	struct health *h = data;
	static const char ok[] = "{\"status\":\"ok\",\"database\":\"ok\"}";

	(void)c;
	if (res == NULL || error != NULL ||
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		health_unavailable(h->req, "unreachable", NULL);
	else if (!h->s->env.ready) {
		health_unavailable(h->req, "not_migrated",
				   h->s->env.ids_pending
					   ? "fremdrift migrate-ids"
					   : "fremdrift migrate");
		retry_prepare(h->s);
	} else
		http_respond(h->req, 200, "application/json", NULL, ok,
			     sizeof(ok) - 1);
	free(h);
}

static void handle_health(struct serve *s, struct http_req *req)
{
	struct health *h;

	/* Ready means both connections: the dashboard's (its API and the
	 * leadership page) comes up on its own and may lag the first. */
	if (s->pg_dash && !pgc_is_up(s->pg_dash)) {
		health_unavailable(req, "unreachable", NULL);
		return;
	}
	h = fr_xmalloc(sizeof(*h));

	h->s = s;
	h->req = req;
	if (pgc_query(s->pg, "SELECT 1", 0, NULL, s->cfg->db_timeout_ms,
		      on_health_result, h) != 0) {
		free(h);
		health_unavailable(req, "unreachable", NULL);
	}
}

/* Before a body is read: refuse what could only be refused after it. */
static int on_headers(struct http_req *req, void *data, const char **code,
		      const char **message)
{
	struct serve *s = data;

	const char *path = http_req_path(req), *len, *te;

	if (strcmp(path, "/api/v1/records") == 0)
		return rapi_check_headers(s->api, req, code, message);
	if (strncmp(path, "/l/", 3) != 0 &&
	    strncmp(path, "/api/v1/invitations", 19) != 0 && !dpage_owns(path))
		return 0;
	/* A link's form or answer, an invitation: small. A bigger body (or
	 * one of unknown length) is refused before it is read, so nobody
	 * parks megabytes per connection in front of a token check. */
	len = http_req_header(req, "content-length");
	te = http_req_header(req, "transfer-encoding");
	if (te != NULL || (len != NULL && strtoull(len, NULL, 10) >
						  SMALL_BODY_MAX)) {
		*code = "body_too_large";
		*message = "this resource takes a body of at most 64 KiB, "
			   "with a Content-Length";
		return 413;
	}
	return 0;
}

static void on_request(struct http_req *req, void *data)
{
	struct serve *s = data;
	const char *path = http_req_path(req);
	const char *method = http_req_method(req);

	static const char use_get[] =
		"{\"error\":\"method_not_allowed\",\"message\":\"use GET\"}";

	if (strcmp(path, "/health") == 0) {
		if (strcmp(method, "GET") != 0)
			http_respond(req, 405, "application/json",
				     "Allow: GET\r\n", use_get,
				     sizeof(use_get) - 1);
		else
			handle_health(s, req);
		return;
	}
	if (strcmp(path, "/api/v1/records") == 0) {
		rapi_handle(s->api, req);
		return;
	}
	if (strncmp(path, "/api/v1/invitations", 19) == 0 &&
	    (path[19] == '\0' || path[19] == '/')) {
		links_handle_api(s->links, req);
		return;
	}
	if (strncmp(path, "/api/v1/dashboard", 17) == 0 &&
	    (path[17] == '\0' || path[17] == '/')) {
		dapi_handle(s->auth, s->pg_dash, 30000, req);
		return;
	}
	if (s->dash && dpage_owns(path)) {
		dpage_handle(s->dash, req);
		return;
	}
	/* A leader with a session who opens the server's address goes to
	 * the leadership page; everyone else sees the citizen's welcome. */
	if (s->dash && strcmp(path, "/") == 0 && strcmp(method, "GET") == 0 &&
	    dpage_has_cookie(s->dash, req)) {
		http_respond(req, 303, NULL,
			     SECURITY_HEADERS "Location: /dashboard\r\n"
			     "Cache-Control: no-store\r\n",
			     NULL, 0);
		return;
	}
	if (s->pages && pages_owns(path)) {
		pages_handle(s->pages, req);
		return;
	}
	http_respond_error(req, 404, "not_found", "no such resource");
}

static void on_env(struct ing_env *env, int rc, const char *error, void *data)
{
	struct serve *s = data;

	s->preparing = 0;
	if (rc == FR_EKEY) {
		/* A key the database does not know would give every citizen
		 * a second pseudonym: no amount of waiting makes it right. */
		log_error("serve", "refusing to run: %s", error);
		s->exit_code = FR_EXIT_FATAL;
		stop(s, "unknown pseudonym key");
	} else if (rc != 0)
		log_error("serve", "cannot accept records yet: %s%s", error,
			  env->ids_pending ? ""
					   : " (has `fremdrift migrate` run?)");
	else
		log_info("serve", "ready to accept records");
}

static void on_pg_state(struct pgc *c, int up, void *data)
{
	struct serve *s = data;

	log_info("serve", "database is %s", up ? "reachable" : "unreachable");
	if (!up)
		return;
	/* Catalogues are reloaded on every reconnect: new departments added
	 * with SQL are picked up without a restart. */
	if (!s->preparing && env_prepare(&s->env, c, on_env, s) == 0)
		s->preparing = 1;
	auth_connection_up(s->auth);
	rapi_connection_up(s->api);
}

/* The records' own connection: a batch waiting for it goes on. */
static void on_rec_state(struct pgc *c, int up, void *data)
{
	struct serve *s = data;

	(void)c;
	if (up && s->api)
		rapi_connection_up(s->api);
}

static void on_closed(uv_handle_t *h) { (void)h; }

static void on_grace(uv_timer_t *t)
{
	struct serve *s = t->data;

	log_warning("serve", "shutdown took longer than %d ms; stopping now",
		    SHUTDOWN_GRACE_MS);
	s->exit_code = FR_EXIT_FATAL;
	uv_stop(s->loop);
}

static void http_closed(void *data)
{
	struct serve *s = data;

	s->http = NULL;
	/* Answers are all out: now the database connection may go. */
	pages_free(s->pages);
	dpage_free(s->dash);
	s->dash = NULL;
	s->pages = NULL;
	if (s->links) {
		links_close(s->links);
		s->links = NULL;
	}
	if (s->api) {
		rapi_close(s->api);
		s->api = NULL;
	}
	if (s->pg) {
		pgc_close(s->pg, NULL, NULL);
		s->pg = NULL;
	}
	if (s->pg_dash) {
		pgc_close(s->pg_dash, NULL, NULL);
		s->pg_dash = NULL;
	}
	if (s->pg_rec) {
		pgc_close(s->pg_rec, NULL, NULL);
		s->pg_rec = NULL;
	}
	uv_close((uv_handle_t *)&s->grace, on_closed);
}

static void stop(struct serve *s, const char *why)
{
	if (s->stopping)
		return;
	s->stopping = 1;
	log_info("serve", "stopping (%s)", why);
	uv_close((uv_handle_t *)&s->sigint, on_closed);
	uv_close((uv_handle_t *)&s->sigterm, on_closed);
	uv_timer_start(&s->grace, on_grace, SHUTDOWN_GRACE_MS, 0);
	uv_unref((uv_handle_t *)&s->grace);
	http_server_close(s->http, http_closed, s);
}

static void on_signal(uv_signal_t *h, int signum)
{
	stop(h->data, signum == SIGINT ? "SIGINT" : "SIGTERM");
}

/* The links object, once the port is known: by default links point to
 * the server's own address (FREMDRIFT_PUBLIC_URL). */
static int start_links(struct serve *s)
{
	struct fr_err err;
	char url[300];

	if (s->cfg->public_url_default)
		snprintf(url, sizeof(url),
			 strchr(s->cfg->http_host, ':') ? "http://[%s]:%d"
							: "http://%s:%d",
			 s->cfg->http_host, http_server_port(s->http));
	else
		snprintf(url, sizeof(url), "%s", s->cfg->public_url);
	s->links = links_new(s->loop, s->pg, &s->env, s->api, s->auth, url);
	if (s->links == NULL) {
		log_error("serve", "FREMDRIFT_PUBLIC_URL is not a URL");
		return -1;
	}
	/* The pages' own queries (progress, sub-goal names) are small and
	 * indexed: they share the links' connection. */
	s->pages = pages_new(s->links, s->pg, &err);
	if (s->pages == NULL) {
		log_error("serve", "%s", err.msg);
		return -1;
	}
	/* The leadership page's queries go on the dashboard's connection. */
	s->dash = dpage_new(s->pg_dash, pages_href(s->pages, "app.css"),
			    pages_href(s->pages, "dash.css"),
			    pages_href(s->pages, "app.js"), url);
	if (s->cfg->dash_sso_header &&
	    dpage_sso(s->dash, s->cfg->dash_sso_header, s->cfg->dash_sso_from,
		      s->cfg->dash_sso_logout) != 0) {
		log_error("serve", "FREMDRIFT_DASH_SSO_FROM is not an address");
		return -1;
	}
	if (s->cfg->dash_sso_header)
		log_info("serve", "the leadership page trusts %s from %s "
				  "(single sign-on)",
			 s->cfg->dash_sso_header, s->cfg->dash_sso_from);
	return 0;
}

int serve_run(const struct fr_config *cfg)
{
	struct http_server_opts hopts;
	struct serve s;
	struct fr_err err;
	char *shown;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.loop = uv_default_loop();
	fr_err_clear(&err);
	if (env_init(&s.env, cfg->key_file, &err) != 0) {
		log_error("serve", "%s", err.msg);
		return FR_EXIT_FATAL;
	}
	log_info("serve", "pseudonym key %s loaded", s.env.key.id);

	shown = db_masked_conninfo(cfg->database_url);
	log_info("serve", "database: %s", shown);
	free(shown);
	if (pgc_new(s.loop, cfg->database_url, NULL, on_pg_state, &s, &s.pg,
		    &err) != 0) {
		log_error("serve", "%s", err.msg);
		env_free(&s.env);
		return FR_EXIT_FATAL;
	}
	/* A second connection for the dashboard: a long aggregate must not
	 * hold up ingest batches or health checks queued behind it. */
	if (pgc_new(s.loop, cfg->database_url, NULL, NULL, NULL, &s.pg_dash,
		    &err) != 0) {
		log_error("serve", "%s", err.msg);
		pgc_close(s.pg, NULL, NULL);
		uv_run(s.loop, UV_RUN_DEFAULT);
		env_free(&s.env);
		return FR_EXIT_FATAL;
	}
	s.auth = auth_new(s.loop, s.pg);
	s.api = rapi_new(s.loop, s.pg, &s.env, s.auth);
	/* With FREMDRIFT_DB_RECORD_CONNECTIONS=2, a third for record
	 * batches alone, so that one batch is written while another commits
	 * (issue 19). While it is down every batch goes over the first. */
	if (cfg->db_record_connections > 1) {
		if (pgc_new(s.loop, cfg->database_url, NULL, on_rec_state, &s,
			    &s.pg_rec, &err) == 0)
			rapi_add_connection(s.api, s.pg_rec);
		else
			log_warning("serve", "record batches share the first "
					     "connection: %s", err.msg);
	}

	memset(&hopts, 0, sizeof(hopts));
	hopts.host = cfg->http_host;
	hopts.port = cfg->http_port;
	hopts.max_header = cfg->http_max_header;
	hopts.max_body = cfg->http_max_body;
	hopts.idle_timeout_ms = cfg->http_idle_timeout_ms;
	hopts.request_timeout_ms = cfg->http_request_timeout_ms;
	hopts.max_connections = cfg->http_max_connections;
	hopts.max_per_client = cfg->http_max_per_client;
	hopts.max_bodies_total = cfg->http_max_bodies_total;
	hopts.on_headers = on_headers;
	if (http_server_start(s.loop, &hopts, on_request, &s, &s.http, &err) !=
	    0) {
		log_error("serve", "%s", err.msg);
		rapi_close(s.api);
		pgc_close(s.pg, NULL, NULL);
		pgc_close(s.pg_dash, NULL, NULL);
		if (s.pg_rec)
			pgc_close(s.pg_rec, NULL, NULL);
		uv_run(s.loop, UV_RUN_DEFAULT);
		uv_loop_close(s.loop);
		env_free(&s.env);
		auth_free(s.auth);
		return FR_EXIT_FATAL;
	}
	uv_signal_init(s.loop, &s.sigint);
	uv_signal_init(s.loop, &s.sigterm);
	uv_timer_init(s.loop, &s.grace);
	s.sigint.data = s.sigterm.data = s.grace.data = &s;
	uv_signal_start(&s.sigint, on_signal, SIGINT);
	uv_signal_start(&s.sigterm, on_signal, SIGTERM);
	if (start_links(&s) != 0) {
		stop(&s, "bad FREMDRIFT_PUBLIC_URL");
		s.exit_code = FR_EXIT_FATAL;
	}

	log_info("serve", "listening on http://%s:%d/", cfg->http_host,
		 http_server_port(s.http));
	printf("fremdrift: serving on http://%s:%d/ (health: "
	       "http://%s:%d/health); Ctrl-C stops\n",
	       cfg->http_host, http_server_port(s.http), cfg->http_host,
	       http_server_port(s.http));
	fflush(stdout);

	uv_run(s.loop, UV_RUN_DEFAULT);
	if (s.exit_code == 0 && uv_loop_close(s.loop) != 0)
		log_warning("serve", "event loop closed with handles open");
	env_free(&s.env);
	auth_free(s.auth);
	log_info("serve", "stopped");
	return s.exit_code;
}
