/*
 * Tokens mean what they say (issue 12): a valid token is accepted while a
 * batch is being retried, a token writes only its own source, the
 * dashboard asks for a token before anything else, and a revoked token
 * stops working at once on the server it was revoked under.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static int port;
static pid_t server;
static struct h_site site;
static char env_http[64], log_path[256];
static const char *env[] = {site.env_db, site.env_key, env_http,
			    "FREMDRIFT_HTTP_MAX_BODY=16MiB", NULL};

#define CPR "610190-1001"
#define EVT_FMT                                                                \
	"{\"kind\":\"event\",\"id\":\"%s\",%s\"cpr\":\"" CPR "\","             \
	"\"course\":\"H1\",\"at\":\"2026-02-01\",\"type\":\"course_ended\","   \
	"\"exit_status\":\"education\"}\n"

/* Runs text; the first value of its first row, if any, as a number. Tokens
 * are made this way (only their SHA-256 is stored), so a test can have many
 * never-used ones without running `token create` for each. */
static long sql(const char *text)
{
	PGconn *c = h_db(site.db);
	PGresult *r = PQexec(c, text);
	long n;

	assert_true(PQresultStatus(r) == PGRES_COMMAND_OK ||
		    PQresultStatus(r) == PGRES_TUPLES_OK);
	n = PQntuples(r) > 0 ? atol(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	PQfinish(c);
	return n;
}

/*
 * Test tokens have names ("tok-7"); the server refuses anything not shaped
 * like a token ("fr_" and 64 hex digits) before looking it up, so a name
 * becomes "fr_", its bytes in hex, padded with zeros: SHAPED in SQL,
 * shaped() in C.
 */
#define SHAPED(expr)                                                           \
	"'fr_' || rpad(encode(convert_to(" expr ", 'UTF8'), 'hex'), 64, '0')"

static const char *shaped(const char *name)
{
	static char out[3 + 64 + 1];
	size_t n = 0;

	n += (size_t)sprintf(out, "fr_");
	for (const char *p = name; *p && n < 3 + 64; p++)
		n += (size_t)sprintf(out + n, "%02x", (unsigned char)*p);
	while (n < 3 + 64)
		out[n++] = '0';
	out[n] = '\0';
	return out;
}

static int setup(void **state)
{

	(void)state;
	if (h_site_new(&site, "it_auth") != 0)
		return -1;
	sql("INSERT INTO fremdrift.api_tokens (token_sha256, source, role) "
	    "SELECT sha256(convert_to(" SHAPED("'tok-' || g") ", 'UTF8')), "
	    "'app', 'ingest' FROM generate_series(1, 300) g");
	sql("INSERT INTO fremdrift.api_tokens (token_sha256, source, role) "
	    "SELECT sha256(convert_to(" SHAPED("n") ", 'UTF8')), s, r FROM "
	    "(VALUES ('tok-victim', 'victim', 'ingest'), ('tok-dash', "
	    "'board', 'dashboard'), ('tok-gone', 'gone', 'ingest')) t(n, s, r)");
	port = h_listen_env(env_http, log_path, "auth");
	server = h_serve(env, log_path, port);
	return server > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return h_stop(server, 5000);
}

static char *post_request(const char *token, const char *body, int *len)
{
	size_t n = strlen(body);
	char *req = malloc(n + 512);

	*len = sprintf(req,
		       "POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
		       "Connection: close\r\nAuthorization: Bearer %s\r\n"
		       "Content-Type: application/x-ndjson\r\n"
		       "Content-Length: %zu\r\n\r\n",
		       shaped(token), n);
	memcpy(req + *len, body, n);
	*len += (int)n;
	return req;
}

static int post(const char *token, const char *body, char **resp)
{
	int len, status;
	char *req = post_request(token, body, &len);

	status = h_http(port, req, (size_t)len, resp);
	free(req);
	return status;
}

static int get(const char *token, const char *path)
{
	char req[512];

	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s%s%s\r\n",
		 path, token ? "Authorization: Bearer " : "",
		 token ? shaped(token) : "", token ? "\r\n" : "");
	return h_http(port, req, strlen(req), NULL);
}

static char *event(const char *id, const char *source)
{
	static char buf[512];
	char src[96] = "";

	if (source)
		snprintf(src, sizeof(src), "\"source\":\"%s\",", source);
	snprintf(buf, sizeof(buf), EVT_FMT, id, src);
	return buf;
}

/* n new events of round k, the last one a duplicate of "seed", so the COPY
 * works through every row before it fails and the batch is retried. */
static char *round_body(int k, int n)
{
	char *body = malloc((size_t)n * 256), *p = body, id[32];

	for (int i = 0; i < n - 1; i++) {
		snprintf(id, sizeof(id), "r%d-%d", k, i);
		p = stpcpy(p, event(id, NULL));
	}
	stpcpy(p, event("seed", NULL));
	return body;
}

/* Defect 2: token look-ups and health checks never run inside the
 * aborted transaction of a batch that is being retried. */
static void test_tokens_while_batch_retried(void **state)
{
	int next_token = 1, checked = 0;

	(void)state;
	assert_int_equal(post("tok-victim", event("seed", NULL), NULL), 200);
	for (int k = 0; k < 4; k++) {
		int len, fd = h_connect(port);
		char *body = round_body(k, 20000), *req, *resp = NULL;
		struct pollfd p = {fd, POLLIN, 0};

		req = post_request("tok-victim", body, &len);
		assert_true(fd >= 0);
		assert_int_equal(send(fd, req, (size_t)len, MSG_NOSIGNAL), len);
		/* While the batch is written, retried and written again,
		 * fresh tokens and health checks keep coming. */
		for (int i = 0; i < 40 && poll(&p, 1, 0) == 0; i++) {
			char tok[32];

			snprintf(tok, sizeof(tok), "tok-%d", next_token++);
			assert_int_equal(post(tok, "\n", NULL), 200);
			assert_int_equal(get(NULL, "/health"), 200);
			checked++;
		}
		assert_int_equal(h_read_response(fd, &resp, 60000), 200);
		assert_non_null(strstr(resp, "\"duplicates\":1"));
		free(resp);
		close(fd);
		free(req);
		free(body);
	}
	/* The test means something only if requests met a batch. */
	assert_true(checked > 0);
}

/* Defect 3: a record naming another source than its token's is
 * rejected; the victim's own record is then stored. */
static void test_token_writes_only_its_source(void **state)
{
	char *resp = NULL;

	(void)state;
	assert_int_equal(post("tok-1", event("v-1", "victim"), &resp), 200);
	assert_non_null(strstr(resp, "\"accepted\":0"));
	assert_non_null(strstr(resp, "\"field\":\"source\""));
	assert_non_null(strstr(resp, "token's source"));
	free(resp);
	assert_int_equal(sql(h_sql("SELECT count(*) FROM fremdrift.events "
				   "WHERE id = '%s'",
				   h_rid(site.key_path, "v-1"))),
			 0);
	assert_int_equal(post("tok-victim", event("v-1", NULL), &resp), 200);
	assert_non_null(strstr(resp, "\"accepted\":1"));
	free(resp);
	assert_int_equal(sql(h_sql("SELECT count(*) FROM fremdrift.events "
				   "WHERE source = 'victim' AND id = '%s'",
				   h_rid(site.key_path, "v-1"))),
			 1);
	/* Naming its own source is fine. */
	assert_int_equal(post("tok-1", event("a-1", "app"), &resp), 200);
	assert_non_null(strstr(resp, "\"accepted\":1"));
	free(resp);
}

/* Defect 11: without a token, every dashboard path answers 401, whatever
 * its parameters; a token of another role 403. */
static void test_dashboard_token_first(void **state)
{
	(void)state;
	assert_int_equal(get(NULL, "/api/v1/dashboard"), 401);
	assert_int_equal(get(NULL, "/api/v1/dashboard/nosuch"), 401);
	assert_int_equal(get(NULL, "/api/v1/dashboard/overview?from=x"), 401);
	assert_int_equal(get(NULL, "/api/v1/dashboard/overview?departmnet=x"),
			 401);
	assert_int_equal(get(NULL, "/api/v1/dashboard/overview?period=2025"),
			 401);
	assert_int_equal(get("fr_wrong", "/api/v1/dashboard"), 401);
	assert_int_equal(get("fr_wrong", "/api/v1/dashboard/nosuch"), 401);
	assert_int_equal(get("fr_wrong",
			     "/api/v1/dashboard/overview?period=2025&period=2025"),
			 401);
	assert_int_equal(get("tok-1", "/api/v1/dashboard"), 403);
	assert_int_equal(get("tok-1", "/api/v1/dashboard/overview?period=2025"),
			 403);
	assert_int_equal(get("tok-1", "/api/v1/dashboard/overview?from=x"), 403);
	assert_int_equal(get("tok-dash", "/api/v1/dashboard"), 200);
	assert_int_equal(get("tok-dash", "/api/v1/dashboard/nosuch"), 404);
	assert_int_equal(get("tok-dash", "/api/v1/dashboard/overview?from=x"),
			 400);
	/* Days are not periods any more (issue 13). */
	assert_int_equal(get("tok-dash",
			     "/api/v1/dashboard/overview?from=2025-01-01"),
			 400);
	/* This database has had no refresh: no release to answer from. */
	assert_int_equal(get("tok-dash", "/api/v1/dashboard/overview?period=2025"),
			 503);
}

/* Defect 9: a revoked token stops working on this server at once (the
 * notification may take a moment; far less than the cache's minute). */
static void test_revoke_takes_effect(void **state)
{
	const char *args[] = {"token", "revoke", "--source", "gone", NULL};
	struct h_result r;
	long long end;
	int status = 0;

	(void)state;
	assert_int_equal(post("tok-gone", "\n", NULL), 200); /* now cached */
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	end = h_now_ms() + 2000;
	while (h_now_ms() < end && (status = post("tok-gone", "\n", NULL)) == 200)
		h_sleep_ms(20);
	assert_int_equal(status, 401);
	/* Other tokens are looked up again and still work. */
	assert_int_equal(post("tok-victim", "\n", NULL), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens_while_batch_retried),
		cmocka_unit_test(test_token_writes_only_its_source),
		cmocka_unit_test(test_dashboard_token_first),
		cmocka_unit_test(test_revoke_takes_effect),
	};
	return cmocka_run_group_tests_name("auth", tests, setup, teardown);
}
