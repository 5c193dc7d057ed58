/*
 * `fremdrift serve` against hostile HTTP clients (issue 12): lenient
 * framing that a proxy could read differently (request smuggling), answers
 * that must reach a client still sending, and clients without a token
 * trying to exhaust memory or connections.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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
static char log_path[256], env_http[64];
static char ingest_token[80], dash_token[80];

/* Small limits, so that each one is easy to reach. */
static const char *serve_env[] = {
	site.env_db,
	env_http,
	site.env_key,
	"FREMDRIFT_HTTP_MAX_BODY=200KiB",
	"FREMDRIFT_HTTP_MAX_BODIES_TOTAL=256KiB",
	"FREMDRIFT_HTTP_MAX_CONNECTIONS=8",
	"FREMDRIFT_HTTP_MAX_PER_CLIENT=4",
	"FREMDRIFT_HTTP_IDLE_TIMEOUT=10s",
	"FREMDRIFT_HTTP_REQUEST_TIMEOUT=10s",
	"FREMDRIFT_DB_TIMEOUT=2s",
	NULL};

/* Shaped like a token (fr_ and 64 hex digits) but never issued. */
#define FAKE_TOKEN                                                             \
	"fr_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int make_token(const char *role, char *out)
{
	return h_token(serve_env, "abuse", role, out);
}

static int setup(void **state)
{
	const char *args[] = {"serve", NULL};

	(void)state;
	if (h_site_new(&site, "it_http_abuse") != 0)
		return -1;
	port = h_listen_env(env_http, log_path, "abuse");
	if (make_token("ingest", ingest_token) != 0 ||
	    make_token("dashboard", dash_token) != 0)
		return -1;
	server = h_spawn(args, serve_env, log_path);
	if (server <= 0)
		return -1;
	return h_wait_status(port, "/health", 200, 10000) == 200 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kill(server, SIGKILL);
	h_wait(server, 5000);
	return 0;
}

/* Connects to the server from a chosen loopback address (127.0.0.x). */
static int connect_from(const char *source)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, source, &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		goto fail;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static void send_text(int fd, const char *text)
{
	size_t n = strlen(text);

	assert_int_equal(send(fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Waits up to 3 s for the peer to close; 1 if it did. */
static int peer_closed(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	char byte;

	if (poll(&p, 1, 3000) <= 0)
		return 0;
	return recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

/* Earlier tests' connections must be gone before counting starts. */
static void settle(void)
{
	h_sleep_ms(300);
	assert_int_equal(h_wait_status(port, "/health", 200, 5000), 200);
}

/* Opens n connections from address a (b for the second half), each
 * sending text (may be empty), and lets the server see them. */
static void open_many(int *fds, int n, const char *a, const char *b,
		      const char *text)
{
	for (int i = 0; i < n; i++) {
		fds[i] = connect_from(i < n / 2 ? a : b);
		assert_true(fds[i] >= 0);
		if (*text)
			send_text(fds[i], text);
		h_sleep_ms(20);
	}
	h_sleep_ms(200);
}

/* A connection from address that the server refuses with status. */
static void expect_refused(const char *address, int status)
{
	char *resp = NULL;
	int fd = connect_from(address);

	assert_true(fd >= 0);
	assert_int_equal(h_read_response(fd, &resp, 3000), status);
	assert_non_null(strstr(resp, "Retry-After"));
	free(resp);
	close(fd);
}

static void close_many(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static int raw(const char *text)
{
	return h_http(port, text, strlen(text), NULL);
}

/* ---- defect 7: framing a proxy could read differently ---- */

static void test_strict_framing(void **state)
{
	(void)state;
	/* Well-formed controls: plain, chunked with a trailer. */
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n"
			     "3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"),
			 200);
	/* Bytes other than CRLF after chunk data. */
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n"
			     "3\r\nabcXX0\r\n\r\n"),
			 400);
	/* A chunk size line ended by CR alone. */
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n"
			     "3\rXabc\r\n0\r\n\r\n"),
			 400);
	/* White space before a header's colon. */
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost : x\r\n\r\n"), 400);
	/* A folded header line (obs-fold). */
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\n"
			     "X-A: a\r\n b\r\n\r\n"),
			 400);
	/* Lines ended by LF alone. */
	assert_int_equal(raw("GET /health HTTP/1.1\nHost: x\n\n"), 400);
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\n\r\n"), 400);
	/* A request line without a version (HTTP/0.9), or with extra space. */
	assert_int_equal(raw("GET /health\r\n\r\n"), 400);
	assert_int_equal(raw("GET  /health HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(raw("GET /health HTTP/2.0\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(h_get(port, "/health", NULL), 200);
}

/* The same checks hold when a request arrives one byte at a time. */
static void test_strict_framing_split(void **state)
{
	static const char bad[] = "GET /health HTTP/1.1\r\nHost: x\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n"
				  "3\r\nabc\rX0\r\n\r\n";
	int fd = h_connect(port);

	(void)state;
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(bad) - 1; i++) {
		if (send(fd, bad + i, 1, MSG_NOSIGNAL) != 1)
			break;
		h_sleep_ms(2);
	}
	assert_int_equal(h_read_response(fd, NULL, 3000), 400);
	close(fd);
}

/* ---- defect 8: the answer reaches a client that is still sending ---- */

static void test_too_large_answer_arrives(void **state)
{
	static const char head[] =
		"POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
		"Authorization: Bearer " FAKE_TOKEN "\r\n"
		"Content-Type: application/x-ndjson\r\n"
		"Content-Length: 2000000\r\n\r\n";
	char chunk[65536];
	char *resp = NULL;
	int fd = h_connect(port);

	(void)state;
	settle();
	assert_true(fd >= 0);
	send_text(fd, head);
	/* Keep sending while the server has already refused. */
	h_sleep_ms(200);
	memset(chunk, 'a', sizeof(chunk));
	for (int i = 0; i < 30; i++)
		if (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) < 0)
			fail_msg("send failed: %s", strerror(errno));
	assert_int_equal(h_read_response(fd, &resp, 5000), 413);
	assert_non_null(strstr(resp, "too_large"));
	free(resp);
	close(fd);
}

/* ---- defect 4: no memory or connections for clients without a token ---- */

static void test_refused_on_headers(void **state)
{
	static const char no_auth[] =
		"POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
		"Content-Type: application/x-ndjson\r\n"
		"Content-Length: 150000\r\n\r\n";
	static const char bad_auth[] =
		"POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
		"Authorization: Bearer nope\r\n"
		"Content-Type: application/x-ndjson\r\n"
		"Content-Length: 150000\r\n\r\n";
	char *resp = NULL;
	int fd;

	(void)state;
	settle();
	/* The body never comes: the answer must not wait for it. */
	fd = h_connect(port);
	send_text(fd, no_auth);
	assert_int_equal(h_read_response(fd, &resp, 3000), 401);
	assert_non_null(strstr(resp, "unauthorized"));
	free(resp);
	close(fd);
	fd = h_connect(port);
	send_text(fd, bad_auth);
	assert_int_equal(h_read_response(fd, NULL, 3000), 401);
	close(fd);
}

/* ---- defect 4: a token is looked up before any body is read ---- */

/* Sends the head of a POST to the records API with token and a body of
 * length bytes (which the caller may or may not send). */
static void post_head(int fd, const char *token, size_t length)
{
	char head[512];

	snprintf(head, sizeof(head),
		 "POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
		 "Authorization: Bearer %s\r\n"
		 "Content-Type: application/x-ndjson\r\n"
		 "Content-Length: %zu\r\n\r\n",
		 token, length);
	send_text(fd, head);
}

/* A body of length bytes: one valid record, then blank lines. */
static char *record_body(const char *id, size_t length)
{
	char *body = malloc(length + 1);
	int n = snprintf(body, length + 1,
			 "{\"kind\":\"event\",\"id\":\"%s\","
			 "\"cpr\":\"610190-1001\",\"course\":\"H1\","
			 "\"at\":\"2026-02-01\",\"type\":\"course_ended\","
			 "\"exit_status\":\"education\"}\n",
			 id);

	memset(body + n, '\n', length - (size_t)n);
	body[length] = '\0';
	return body;
}

static void test_unknown_token_holds_no_body(void **state)
{
	static const char *from[] = {"127.0.0.10", "127.0.0.11", "127.0.0.12"};
	char *resp = NULL, *body = record_body("held-1", 150000);
	int fds[3], fd;

	(void)state;
	settle();
	/* Tokens of the right shape that were never issued, with bodies that
	 * together would pass the 256 KiB cap many times over: each is
	 * answered before a byte of its body is sent, and holds nothing. */
	for (int i = 0; i < 3; i++) {
		fds[i] = connect_from(from[i]);
		assert_true(fds[i] >= 0);
		post_head(fds[i], FAKE_TOKEN, 150000);
		assert_int_equal(h_read_response(fds[i], &resp, 3000), 401);
		assert_non_null(strstr(resp, "unauthorized"));
		free(resp);
	}
	/* A token of another role is refused at once too. */
	fd = connect_from("127.0.0.13");
	post_head(fd, dash_token, 150000);
	assert_int_equal(h_read_response(fd, &resp, 3000), 403);
	free(resp);
	close(fd);
	/* Meanwhile a valid POST of the same size is read and stored. */
	fd = connect_from("127.0.0.14");
	post_head(fd, ingest_token, 150000);
	assert_int_equal(send(fd, body, 150000, MSG_NOSIGNAL), 150000);
	assert_int_equal(h_read_response(fd, &resp, 5000), 200);
	assert_non_null(strstr(resp, "\"accepted\":1"));
	free(resp);
	close(fd);
	close_many(fds, 3);
	free(body);
}

/* Framing found malformed after the headers went to have their token
 * looked up is answered once, when the look-up is over, with 400. */
static void test_malformed_while_checked(void **state)
{
	char *resp = NULL;
	int fd;

	(void)state;
	settle();
	fd = h_connect(port);
	/* http-parser ends the headers at the LF alone; the strict check
	 * finds it only after the token went to be looked up. */
	send_text(fd, "POST /api/v1/records HTTP/1.1\r\n"
		      "Authorization: Bearer " FAKE_TOKEN "\r\n"
		      "Host: x\n\rContent-Length: 3\r\n\r\nabc");
	assert_int_equal(h_read_response(fd, &resp, 3000), 400);
	assert_ptr_equal(strstr(resp, "HTTP/1.1"), resp);
	assert_null(strstr(resp + 8, "HTTP/1.1"));
	free(resp);
	assert_true(peer_closed(fd));
	close(fd);
	assert_int_equal(h_get(port, "/health", NULL), 200);
}

/* ---- N1: one Authorization, one Content-Type ---- */

/* POSTs one record with the ingest token, and extra (header lines) after
 * the Authorization header; returns the status. */
static int post_with(const char *extra)
{
	static const char rec[] =
		"{\"kind\":\"event\",\"id\":\"dup-1\",\"cpr\":\"610190-1001\","
		"\"course\":\"H1\",\"at\":\"2026-02-01\","
		"\"type\":\"course_ended\",\"exit_status\":\"education\"}";
	char req[1024];

	snprintf(req, sizeof(req),
		 "POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
		 "Authorization: Bearer %s\r\n%s"
		 "Content-Type: application/x-ndjson\r\n"
		 "Content-Length: %zu\r\n\r\n%s",
		 ingest_token, extra, strlen(rec), rec);
	return raw(req);
}

static void test_duplicate_headers(void **state)
{
	(void)state;
	settle();
	/* A proxy that reads the last Authorization would judge the second
	 * token; this server would judge the first. Neither is taken. */
	assert_int_equal(post_with("Authorization: Bearer " FAKE_TOKEN "\r\n"),
			 400);
	assert_int_equal(post_with("content-type: application/json\r\n"), 400);
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
			 400);
	/* The control: one of each is served. */
	assert_int_equal(post_with(""), 200);
}

/* ---- N2: Transfer-Encoding is exactly one "chunked", on HTTP/1.1 ---- */

static void test_transfer_encoding(void **state)
{
	(void)state;
	settle();
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\n"
			     "Transfer-Encoding: Chunked\r\n\r\n"
			     "3\r\nabc\r\n0\r\n\r\n"),
			 200);
	/* A coding other than chunked, alone or in a list: not implemented. */
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\n"
			     "Transfer-Encoding: gzip, chunked\r\n\r\n"
			     "3\r\nabc\r\n0\r\n\r\n"),
			 501);
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\n"
			     "Transfer-Encoding: identity\r\n\r\n"),
			 501);
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\n"
			     "Transfer-Encoding: chunked, chunked\r\n\r\n"
			     "3\r\nabc\r\n0\r\n\r\n"),
			 501);
	/* Two headers, or chunked on HTTP/1.0 (which has no chunking). */
	assert_int_equal(raw("GET /health HTTP/1.1\r\nHost: x\r\n"
			     "Transfer-Encoding: chunked\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n"
			     "3\r\nabc\r\n0\r\n\r\n"),
			 400);
	assert_int_equal(raw("GET /health HTTP/1.0\r\nHost: x\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n"
			     "3\r\nabc\r\n0\r\n\r\n"),
			 400);
	assert_int_equal(h_get(port, "/health", NULL), 200);
}

static void test_bodies_in_flight_capped(void **state)
{
	char *resp = NULL, *part = malloc(100000);
	int a, b;

	(void)state;
	settle();
	/* Only an authenticated body is held, so the cap is reached with a
	 * valid token: a holds 150,000 bytes (of a 256 KiB total); b would
	 * pass it. */
	a = h_connect(port);
	post_head(a, ingest_token, 150000);
	memset(part, '\n', 100000);
	assert_int_equal(send(a, part, 100000, MSG_NOSIGNAL), 100000);
	h_sleep_ms(200);
	b = h_connect(port);
	post_head(b, ingest_token, 150000);
	assert_int_equal(h_read_response(b, &resp, 3000), 503);
	assert_non_null(strstr(resp, "Retry-After"));
	free(resp);
	close(b);
	/* a is unharmed: its body (blank lines, no records) completes. */
	assert_int_equal(send(a, part, 50000, MSG_NOSIGNAL), 50000);
	assert_int_equal(h_read_response(a, &resp, 3000), 200);
	assert_non_null(strstr(resp, "\"accepted\":0"));
	free(resp);
	close(a);
	free(part);
	/* Once a is gone its share is free again. */
	settle();
	b = h_connect(port);
	post_head(b, ingest_token, 150000);
	assert_int_equal(h_read_response(b, NULL, 500), -1);
	close(b);
}

static void test_idle_connection_makes_room(void **state)
{
	int fds[8], last;
	char *resp = NULL;

	(void)state;
	settle();
	/* Fill the cap of 8 with silent connections from two addresses. */
	open_many(fds, 8, "127.0.0.2", "127.0.0.3", "");
	/* A newcomer is served; the longest-idle connection makes room. */
	last = connect_from("127.0.0.4");
	assert_true(last >= 0);
	send_text(last, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(h_read_response(last, &resp, 3000), 200);
	free(resp);
	assert_true(peer_closed(fds[0]));
	close(last);
	close_many(fds, 8);
}

/* When every connection is in the middle of a request, none is closed:
 * the newcomer is told to come back. */
static void test_all_busy(void **state)
{
	int fds[8];

	(void)state;
	settle();
	open_many(fds, 8, "127.0.0.7", "127.0.0.8", "GET /hea");
	expect_refused("127.0.0.9", 503);
	close_many(fds, 8);
}

static void test_per_client_limit(void **state)
{
	int fds[4], other;

	(void)state;
	settle();
	open_many(fds, 4, "127.0.0.5", "127.0.0.5", "");
	expect_refused("127.0.0.5", 429);
	/* Another address is not affected. */
	other = connect_from("127.0.0.6");
	send_text(other, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(h_read_response(other, NULL, 3000), 200);
	close(other);
	close_many(fds, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strict_framing),
		cmocka_unit_test(test_strict_framing_split),
		cmocka_unit_test(test_too_large_answer_arrives),
		cmocka_unit_test(test_refused_on_headers),
		cmocka_unit_test(test_bodies_in_flight_capped),
		cmocka_unit_test(test_unknown_token_holds_no_body),
		cmocka_unit_test(test_malformed_while_checked),
		cmocka_unit_test(test_duplicate_headers),
		cmocka_unit_test(test_transfer_encoding),
		cmocka_unit_test(test_idle_connection_makes_room),
		cmocka_unit_test(test_all_busy),
		cmocka_unit_test(test_per_client_limit),
	};

	return cmocka_run_group_tests_name("http_abuse", tests, setup, teardown);
}
