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

static int setup(void **state)
{
	const char *args[] = {"serve", NULL};

	(void)state;
	if (h_site_new(&site, "it_http_abuse") != 0)
		return -1;
	port = h_free_port();
	snprintf(env_http, sizeof(env_http), "FREMDRIFT_HTTP=127.0.0.1:%d", port);
	snprintf(log_path, sizeof(log_path), "%s/abuse.log", h_tmpdir());
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

static void test_bodies_in_flight_capped(void **state)
{
	static const char head[] =
		"POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
		"Authorization: Bearer " FAKE_TOKEN "\r\n"
		"Content-Type: application/x-ndjson\r\n"
		"Content-Length: 150000\r\n\r\n";
	char *resp = NULL, *part = malloc(100000);
	int a, b;

	(void)state;
	settle();
	/* a holds 150,000 bytes (of a 256 KiB total); b would pass it. */
	a = h_connect(port);
	send_text(a, head);
	memset(part, '\n', 100000);
	assert_int_equal(send(a, part, 100000, MSG_NOSIGNAL), 100000);
	h_sleep_ms(200);
	b = h_connect(port);
	send_text(b, head);
	assert_int_equal(h_read_response(b, &resp, 3000), 503);
	assert_non_null(strstr(resp, "Retry-After"));
	free(resp);
	close(b);
	/* a is unharmed: its body completes and its token is checked. */
	assert_int_equal(send(a, part, 50000, MSG_NOSIGNAL), 50000);
	assert_int_equal(h_read_response(a, NULL, 3000), 401);
	close(a);
	free(part);
	/* Once a is gone its share is free again. */
	settle();
	b = h_connect(port);
	send_text(b, head);
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
		cmocka_unit_test(test_idle_connection_makes_room),
		cmocka_unit_test(test_all_busy),
		cmocka_unit_test(test_per_client_limit),
	};

	return cmocka_run_group_tests_name("http_abuse", tests, setup, teardown);
}
