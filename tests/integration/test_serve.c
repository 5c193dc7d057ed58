/*
 * `fremdrift serve` over real sockets against a real PostgreSQL: health,
 * limits, keep-alive, slow clients, the connection cap, the database going
 * away and coming back, and clean shutdown.
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
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static int port;
static pid_t server;
static struct h_site site;
static char log_path[256], env_http[64];
static const char *key_path = site.key_path;

static const char *serve_env[] = {
	site.env_db,
	env_http,
	site.env_key,
	"FREMDRIFT_HTTP_MAX_BODY=64KiB",
	"FREMDRIFT_HTTP_MAX_HEADER=8KiB",
	"FREMDRIFT_HTTP_IDLE_TIMEOUT=400ms",
	"FREMDRIFT_HTTP_REQUEST_TIMEOUT=2s",
	"FREMDRIFT_HTTP_MAX_CONNECTIONS=8",
	"FREMDRIFT_DB_TIMEOUT=2s",
	NULL};

static char *read_log(void)
{
	FILE *f = fopen(log_path, "r");
	static char buf[1 << 16];
	size_t n;

	if (f == NULL)
		return strcpy(buf, "");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void start_server(void)
{
	const char *args[] = {"serve", NULL};

	server = h_spawn(args, serve_env, log_path);
	assert_true(server > 0);
	if (h_wait_status(port, "/health", 200, 10000) != 200)
		fail_msg("server did not become healthy; log:\n%s", read_log());
}

static int setup(void **state)
{
	(void)state;
	if (h_site_new(&site, "it_serve") != 0)
		return -1;
	port = h_listen_env(env_http, log_path, "serve");
	start_server();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (server > 0) {
		kill(server, SIGKILL);
		h_wait(server, 5000);
	}
	return 0;
}

static void test_health_ok(void **state)
{
	char *body = NULL;

	(void)state;
	assert_int_equal(h_get(port, "/health", &body), 200);
	assert_string_equal(body, "{\"status\":\"ok\",\"database\":\"ok\"}");
	free(body);
}

static void test_not_found_and_method(void **state)
{
	char *body = NULL, *resp = NULL;
	static const char post[] = "POST /health HTTP/1.1\r\nHost: x\r\n"
				   "Content-Length: 0\r\nConnection: close\r\n\r\n";

	(void)state;
	assert_int_equal(h_get(port, "/nowhere", &body), 404);
	assert_non_null(strstr(body, "\"error\":\"not_found\""));
	free(body);
	assert_int_equal(h_http(port, post, sizeof(post) - 1, &resp), 405);
	assert_non_null(strstr(resp, "Allow: GET"));
	assert_non_null(strstr(resp, "\"error\":\"method_not_allowed\""));
	free(resp);
}

static void test_keep_alive_and_pipelining(void **state)
{
	static const char two[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char third[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd = h_connect(port);
	char *a = NULL, *b = NULL, *c = NULL;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(send(fd, two, sizeof(two) - 1, 0), sizeof(two) - 1);
	assert_int_equal(h_read_response(fd, &a, 3000), 200);
	assert_int_equal(h_read_response(fd, &b, 3000), 404);
	/* Still open: a third request on the same connection. */
	assert_int_equal(send(fd, third, sizeof(third) - 1, 0),
			 sizeof(third) - 1);
	assert_int_equal(h_read_response(fd, &c, 3000), 200);
	assert_null(strstr(a, "Connection: close"));
	free(a);
	free(b);
	free(c);
	close(fd);
}

static void test_body_too_large(void **state)
{
	static const char big[] = "POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
				  "Content-Type: application/x-ndjson\r\n"
				  "Content-Length: 1000000\r\n\r\n";
	char *resp = NULL, chunked[70000 + 200];
	int n;

	(void)state;
	/* Refused from the header alone, before the body is sent. */
	assert_int_equal(h_http(port, big, sizeof(big) - 1, &resp), 413);
	assert_non_null(strstr(resp, "\"error\":\"too_large\""));
	assert_non_null(strstr(resp, "Connection: close"));
	free(resp);

	/* A chunked body that grows past the limit. (Any path: the records
	 * API would refuse an unknown token before reading the body.) */
	n = snprintf(chunked, sizeof(chunked),
		     "POST /health HTTP/1.1\r\nHost: x\r\n"
		     "Transfer-Encoding: chunked\r\n\r\n%x\r\n",
		     70000);
	memset(chunked + n, 'a', 70000);
	n += 70000;
	n += snprintf(chunked + n, sizeof(chunked) - (size_t)n, "\r\n0\r\n\r\n");
	assert_int_equal(h_http(port, chunked, (size_t)n, &resp), 413);
	free(resp);
	/* The server is fine afterwards. */
	assert_int_equal(h_get(port, "/health", NULL), 200);
}

static void test_headers_too_large(void **state)
{
	char req[12000];
	int n = snprintf(req, sizeof(req), "GET /health HTTP/1.1\r\nX-Big: ");

	(void)state;
	memset(req + n, 'b', 10000);
	n += 10000;
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n\r\n");
	assert_int_equal(h_http(port, req, (size_t)n, NULL), 431);
}

static void test_bad_request(void **state)
{
	static const char junk[] = "THIS IS NOT HTTP\r\n\r\n";
	char *resp = NULL;

	(void)state;
	assert_int_equal(h_http(port, junk, sizeof(junk) - 1, &resp), 400);
	assert_non_null(strstr(resp, "\"error\":\"bad_request\""));
	free(resp);
}

static void test_slow_client_dropped(void **state)
{
	static const char part[] = "GET /hea";
	int fd = h_connect(port);
	char *resp = NULL, byte;
	long long t0 = h_now_ms();

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(send(fd, part, sizeof(part) - 1, 0), sizeof(part) - 1);
	/* Nothing more: the server answers 408 and closes after ~400 ms. */
	assert_int_equal(h_read_response(fd, &resp, 5000), 408);
	assert_true(h_now_ms() - t0 < 3000);
	assert_int_equal(recv(fd, &byte, 1, 0), 0);
	free(resp);
	close(fd);

	/* An idle connection that sends nothing is closed too. */
	fd = h_connect(port);
	t0 = h_now_ms();
	assert_int_equal(h_read_response(fd, NULL, 5000), -1);
	assert_true(h_now_ms() - t0 < 3000);
	assert_int_equal(recv(fd, &byte, 1, 0), 0);
	close(fd);

	/* A drip-feeding client (one byte every 300 ms, each within the idle
	 * timeout) still meets the whole-request deadline of 2 s. */
	fd = h_connect(port);
	t0 = h_now_ms();
	assert_int_equal(send(fd, "GET /health HTTP/1.1\r\nX-Drip: ", 31, 0), 31);
	{
		int answered = 0;

		for (int i = 0; i < 20 && !answered; i++) {
			struct pollfd p = {fd, POLLIN, 0};

			if (poll(&p, 1, 300) > 0)
				answered = 1;
			else
				send(fd, "a", 1, MSG_NOSIGNAL);
		}
		assert_true(answered);
	}
	assert_in_range(h_now_ms() - t0, 1500, 3500);
	assert_int_equal(h_read_response(fd, NULL, 2000), 408);
	close(fd);
	assert_int_equal(h_get(port, "/health", NULL), 200);
}

static void test_connection_limit(void **state)
{
	int fds[8];
	int extra;
	char *resp = NULL;

	(void)state;
	h_sleep_ms(500); /* let earlier connections close */
	for (int i = 0; i < 8; i++) {
		fds[i] = h_connect(port);
		assert_true(fds[i] >= 0);
	}
	h_sleep_ms(100);
	/* At the cap the longest-idle connection makes room (issue 12). */
	extra = h_connect(port);
	assert_true(extra >= 0);
	assert_int_equal(send(extra, "GET /health HTTP/1.1\r\n\r\n", 24, 0), 24);
	assert_int_equal(h_read_response(extra, &resp, 3000), 200);
	free(resp);
	close(extra);
	for (int i = 0; i < 8; i++)
		close(fds[i]);
	h_sleep_ms(200);
	assert_int_equal(h_get(port, "/health", NULL), 200);
}

static void test_database_down_and_back(void **state)
{
	char *body = NULL, *resp = NULL;
	static const char get[] = "GET /health HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n";

	(void)state;
	assert_int_equal(h_pg("stop"), 0);
	assert_int_equal(h_wait_status(port, "/health", 503, 10000), 503);
	assert_int_equal(h_get(port, "/health", &body), 503);
	assert_non_null(strstr(body, "\"database\":\"unreachable\""));
	free(body);
	assert_int_equal(h_http(port, get, sizeof(get) - 1, &resp), 503);
	assert_non_null(strstr(resp, "Retry-After"));
	free(resp);
	assert_int_equal(h_pg("start"), 0);
	/* Reconnects by itself (backoff tops out at 5 s). */
	assert_int_equal(h_wait_status(port, "/health", 200, 15000), 200);
	assert_non_null(strstr(read_log(), "re-established"));
}

static void test_clean_shutdown(void **state)
{
	int st;

	(void)state;
	assert_int_equal(kill(server, SIGTERM), 0);
	st = h_wait(server, 5000);
	assert_int_equal(st, 0);
	server = 0;
	assert_non_null(strstr(read_log(), "msg=\"stopping (SIGTERM)\""));
	assert_non_null(strstr(read_log(), "msg=\"stopped\""));
	assert_int_equal(h_connect(port), -1);

	/* And SIGINT, as Ctrl-C sends it. */
	start_server();
	assert_int_equal(kill(server, SIGINT), 0);
	assert_int_equal(h_wait(server, 5000), 0);
	server = 0;
	assert_non_null(strstr(read_log(), "msg=\"stopping (SIGINT)\""));
}

static void test_refuses_unsafe_key(void **state)
{
	const char *args[] = {"serve", NULL};
	struct h_result r;

	(void)state;
	assert_int_equal(chmod(key_path, 0644), 0);
	r = h_run(args, serve_env, NULL, 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "chmod 600"));
	h_result_free(&r);
	assert_int_equal(chmod(key_path, 0600), 0);
}

static void test_refuses_busy_port(void **state)
{
	const char *args[] = {"serve", NULL};
	struct h_result r;

	(void)state;
	start_server();
	r = h_run(args, serve_env, NULL, 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cannot listen"));
	h_result_free(&r);
	kill(server, SIGTERM);
	assert_int_equal(h_wait(server, 5000), 0);
	server = 0;
}

/*
 * A server started on a database that was never migrated cannot take
 * records: /health says so (503, "run `fremdrift migrate`") instead of
 * 200, and turns 200 once migrate has run, without a restart. Token
 * commands on such a database say the same, and fail.
 */
static void test_not_migrated(void **state)
{
	const char *db = h_fresh_db("it_serve_unmigrated");
	const char *args[] = {"serve", NULL}, *margs[] = {"migrate", NULL};
	const char *targs[] = {"token", "create", "--source", "x", "--role",
			       "ingest", NULL};
	const char *largs[] = {"token", "list", NULL};
	char env_db2[600], *body = NULL;
	const char *env2[] = {env_db2, env_http, site.env_key, NULL};
	struct h_result r;
	pid_t pid;

	(void)state;
	snprintf(env_db2, sizeof(env_db2), "DATABASE_URL=%s", db);
	r = h_run(targs, env2, NULL, 0);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "run `fremdrift migrate`"));
	h_result_free(&r);
	r = h_run(largs, env2, NULL, 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "run `fremdrift migrate`"));
	h_result_free(&r);

	pid = h_spawn(args, env2, log_path);
	assert_true(pid > 0);
	/* Until it has connected, the database is "unreachable". */
	for (int i = 0; i < 100; i++) {
		free(body);
		body = NULL;
		if (h_get(port, "/health", &body) == 503 &&
		    strstr(body, "not_migrated"))
			break;
		h_sleep_ms(100);
	}
	assert_non_null(body);
	assert_non_null(strstr(body, "\"database\":\"not_migrated\""));
	assert_non_null(strstr(body, "fremdrift migrate"));
	free(body);
	r = h_run(margs, env2, NULL, 0);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	assert_int_equal(h_wait_status(port, "/health", 200, 10000), 200);
	kill(pid, SIGTERM);
	assert_int_equal(h_wait(pid, 5000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_ok),
		cmocka_unit_test(test_not_found_and_method),
		cmocka_unit_test(test_keep_alive_and_pipelining),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_headers_too_large),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_slow_client_dropped),
		cmocka_unit_test(test_connection_limit),
		cmocka_unit_test(test_database_down_and_back),
		cmocka_unit_test(test_clean_shutdown),
		cmocka_unit_test(test_refuses_unsafe_key),
		cmocka_unit_test(test_refuses_busy_port),
		cmocka_unit_test(test_not_migrated),
	};
	return cmocka_run_group_tests_name("serve", tests, setup, teardown);
}
