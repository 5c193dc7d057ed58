/*
 * `fremdrift serve`: the HTTP server and the pipeline on one libuv loop.
 */
#include "cli.h"
#include "fremdrift/db.h"

#include "fremdrift/dapi.h"
#include "fremdrift/http_server.h"
#include "fremdrift/env.h"
#include "fremdrift/log.h"
#include "fremdrift/pg_conn.h"
#include "fremdrift/rapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHUTDOWN_GRACE_MS 10000

struct serve {
	uv_loop_t *loop;
	const struct fr_config *cfg;
	struct ing_env env;
	struct records_api *api;
	struct pgc *pg;      /* ingest, tokens, health */
	struct pgc *pg_dash; /* dashboard queries, which may take seconds */
	struct http_server *http;
	uv_signal_t sigint, sigterm;
	uv_timer_t grace;
	int stopping;
	int exit_code;
};

static void on_health_result(struct pgc *c, PGresult *res, const char *error,
			     void *data)
{
	struct http_req *req = data;
	static const char ok[] = "{\"status\":\"ok\",\"database\":\"ok\"}";
	static const char bad[] =
		"{\"status\":\"unavailable\",\"database\":\"unreachable\"}";

	(void)c;
	if (res != NULL && error == NULL &&
	    PQresultStatus(res) == PGRES_TUPLES_OK)
		http_respond(req, 200, "application/json", NULL, ok,
			     sizeof(ok) - 1);
	else
		http_respond(req, 503, "application/json", "Retry-After: 1\r\n",
			     bad, sizeof(bad) - 1);
}

static void handle_health(struct serve *s, struct http_req *req)
{
	static const char bad[] =
		"{\"status\":\"unavailable\",\"database\":\"unreachable\"}";

	if (pgc_query(s->pg, "SELECT 1", 0, NULL, s->cfg->db_timeout_ms,
		      on_health_result, req) != 0)
		http_respond(req, 503, "application/json", "Retry-After: 1\r\n",
			     bad, sizeof(bad) - 1);
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
	if (strncmp(path, "/api/v1/dashboard", 17) == 0 &&
	    (path[17] == '\0' || path[17] == '/')) {
		dash_handle(s->api, s->pg_dash, 30000, req);
		return;
	}
	http_respond_error(req, 404, "not_found", "no such resource");
}

static void on_env(struct ing_env *env, int rc, const char *error, void *data)
{
	(void)env;
	(void)data;
	if (rc != 0)
		log_error("serve", "cannot accept records yet: %s", error);
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
	env_prepare(&s->env, c, on_env, s);
	rapi_connection_up(s->api);
}

static void on_closed(uv_handle_t *h) { (void)h; }

static void on_grace(uv_timer_t *t)
{
	struct serve *s = t->data;

	log_warning("serve", "shutdown took longer than %d ms; stopping now",
		    SHUTDOWN_GRACE_MS);
	s->exit_code = EXIT_FATAL;
	uv_stop(s->loop);
}

static void http_closed(void *data)
{
	struct serve *s = data;

	s->http = NULL;
	/* Answers are all out: now the database connection may go. */
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

int cmd_serve(int argc, char **argv, const struct fr_config *cfg)
{
	struct http_server_opts hopts;
	struct serve s;
	struct fr_err err;
	char *shown;

	if (cli_wants_help(argc, argv)) {
		printf("usage: fremdrift serve\n\n"
		       "Runs the HTTP server (FREMDRIFT_HTTP, default "
		       "127.0.0.1:8080) and the ingest\npipeline until SIGINT "
		       "or SIGTERM. Needs the key file (FREMDRIFT_KEY_FILE)\n"
		       "and a migrated database (DATABASE_URL or the embedded "
		       "cluster). Endpoints:\n"
		       "  GET /health            200 {\"status\":\"ok\",\"database\":"
		       "\"ok\"}, or 503 when the\n"
		       "                         database is unreachable\n"
		       "  POST /api/v1/records   NDJSON or a JSON array of "
		       "records, with an ingest\n"
		       "                         token (docs/formats.md)\n"
		       "  GET /api/v1/dashboard/<view>?from=&to=&department=&"
		       "target_group=\n"
		       "                         suppressed aggregates for a "
		       "dashboard token\n"
		       "                         (docs/dashboard.md)\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "fremdrift serve: unexpected '%s' (see --help)\n",
			argv[1]);
		return EXIT_FATAL;
	}
	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.loop = uv_default_loop();
	fr_err_clear(&err);
	if (env_init(&s.env, cfg->key_file, &err) != 0) {
		log_error("serve", "%s", err.msg);
		return EXIT_FATAL;
	}
	log_info("serve", "pseudonym key %s loaded", s.env.key.id);

	shown = db_masked_conninfo(cfg->database_url);
	log_info("serve", "database: %s", shown);
	free(shown);
	if (pgc_new(s.loop, cfg->database_url, NULL, on_pg_state, &s, &s.pg,
		    &err) != 0) {
		log_error("serve", "%s", err.msg);
		env_free(&s.env);
		return EXIT_FATAL;
	}
	/* A second connection for the dashboard: a long aggregate must not
	 * hold up ingest batches or health checks queued behind it. */
	if (pgc_new(s.loop, cfg->database_url, NULL, NULL, NULL, &s.pg_dash,
		    &err) != 0) {
		log_error("serve", "%s", err.msg);
		pgc_close(s.pg, NULL, NULL);
		uv_run(s.loop, UV_RUN_DEFAULT);
		env_free(&s.env);
		return EXIT_FATAL;
	}
	s.api = rapi_new(s.loop, s.pg, &s.env);

	memset(&hopts, 0, sizeof(hopts));
	hopts.host = cfg->http_host;
	hopts.port = cfg->http_port;
	hopts.max_header = cfg->http_max_header;
	hopts.max_body = cfg->http_max_body;
	hopts.idle_timeout_ms = cfg->http_idle_timeout_ms;
	hopts.request_timeout_ms = cfg->http_request_timeout_ms;
	hopts.max_connections = cfg->http_max_connections;
	if (http_server_start(s.loop, &hopts, on_request, &s, &s.http, &err) !=
	    0) {
		log_error("serve", "%s", err.msg);
		rapi_close(s.api);
		pgc_close(s.pg, NULL, NULL);
		pgc_close(s.pg_dash, NULL, NULL);
		uv_run(s.loop, UV_RUN_DEFAULT);
		uv_loop_close(s.loop);
		env_free(&s.env);
		return EXIT_FATAL;
	}
	uv_signal_init(s.loop, &s.sigint);
	uv_signal_init(s.loop, &s.sigterm);
	uv_timer_init(s.loop, &s.grace);
	s.sigint.data = s.sigterm.data = s.grace.data = &s;
	uv_signal_start(&s.sigint, on_signal, SIGINT);
	uv_signal_start(&s.sigterm, on_signal, SIGTERM);

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
	log_info("serve", "stopped");
	return s.exit_code;
}
