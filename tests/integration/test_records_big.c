/*
 * A large body to POST /api/v1/records (issue 12, defect 6): while a JSON
 * array of 150,000 records is being taken, the server keeps answering
 * other connections (/health answers before the big POST does), every
 * record of it is stored exactly once, with rejections and duplicates
 * inside it counted at their right index, and a big body that is not JSON
 * is refused whole, saying where, with nothing stored. The server's memory
 * after such a body is looked at too.
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

#define RECORDS 150000
#define BAD_AT 70001 /* a record without its type: rejected */
#define DUP_AT 90002 /* the id of record 0 again: a duplicate in the body */

static int port;
static pid_t server;
static struct h_site site;
static char env_http[64], log_path[256], token[80];
static const char *env[] = {site.env_db, site.env_key, env_http,
			    "FREMDRIFT_HTTP_MAX_BODY=200MiB",
			    "FREMDRIFT_HTTP_MAX_BODIES_TOTAL=256MiB", NULL};

static int setup(void **state)
{
	(void)state;
	server = h_site_serve(&site, "it_records_big", env, env_http, log_path,
			      "big", token, &port);
	return server > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return h_stop(server, 10000);
}

/* The JSON array of RECORDS events, with one bad record and one repeated
 * id in it; the caller frees. */
static char *big_array(size_t *len)
{
	size_t cap = (size_t)RECORDS * 200 + 16, n = 0;
	char *b = malloc(cap);

	b[n++] = '[';
	for (int i = 0; i < RECORDS; i++) {
		n += (size_t)snprintf(
			b + n, cap - n,
			"%s\n{\"kind\":\"event\",\"id\":\"big-%d\","
			"\"cpr\":\"610190-1001\",\"course\":\"B1\","
			"\"at\":\"2026-02-01\"%s}",
			i ? "," : "", i == DUP_AT ? 0 : i,
			i == BAD_AT ? ""
				    : ",\"type\":\"course_ended\","
				      "\"exit_status\":\"education\"");
	}
	b[n++] = '\n';
	b[n++] = ']';
	b[n] = '\0';
	*len = n;
	return b;
}

/* Sends a POST of body on a new connection, without reading, all but its
 * last `hold` bytes. */
static int send_post(const char *body, size_t len, size_t hold)
{
	char head[512];
	int fd = h_connect(port);
	int n = snprintf(head, sizeof(head),
			 "POST /api/v1/records HTTP/1.1\r\nHost: x\r\n"
			 "Connection: close\r\nAuthorization: Bearer %s\r\n"
			 "Content-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 token, len);

	assert_true(fd >= 0);
	assert_int_equal(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
	for (size_t off = 0; off < len - hold;) {
		ssize_t k = send(fd, body + off, len - hold - off, MSG_NOSIGNAL);

		assert_true(k > 0);
		off += (size_t)k;
	}
	return fd;
}

/* GET /health on a new connection, waiting as long as it takes. */
static int health(void)
{
	static const char get[] = "GET /health HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n";
	int fd = h_connect(port), status;

	assert_true(fd >= 0);
	assert_int_equal(send(fd, get, sizeof(get) - 1, MSG_NOSIGNAL),
			 (ssize_t)sizeof(get) - 1);
	status = h_read_response(fd, NULL, 120000);
	close(fd);
	return status;
}

/* 1 when the server has sent something on fd (without waiting). */
static int has_answer(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) > 0;
}

static long count(const char *sql)
{
	PGconn *c = h_db(site.db);
	long n = atol(h_scalar(c, sql));

	PQfinish(c);
	return n;
}

/* The server's resident memory in KiB. */
static long rss_kib(void)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)server);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = atol(line + 6);
	fclose(f);
	return kib;
}

static void test_health_answers_during_a_big_body(void **state)
{
	size_t len;
	char *body = big_array(&len), *resp = NULL, *want = NULL;
	long before = rss_kib();
	int big, status;

	(void)state;
	/* All of the big POST but its last byte, and time for the server to
	 * read it, so that the last byte starts the work at once. */
	big = send_post(body, len, 1);
	assert_int_equal(health(), 200);
	h_sleep_ms(300);
	assert_int_equal(send(big, body + len - 1, 1, MSG_NOSIGNAL), 1);
	/* While the big POST is being taken, /health answers, again and
	 * again, one after the other. Before the fix the loop took the whole
	 * array in one go: one /health waiting meanwhile was answered after
	 * it, and the next one only after the big POST's commit. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(health(), 200);
		assert_false(has_answer(big));
	}

	status = h_read_response(big, &resp, 300000);
	close(big);
	assert_int_equal(status, 200);
	assert_true(asprintf(&want,
			     "{\"accepted\":%d,\"duplicates\":1,\"rejected\":["
			     "{\"index\":%d,\"field\":\"type\",\"reason\":"
			     "\"required field is missing\"}]}",
			     RECORDS - 2, BAD_AT) > 0);
	assert_string_equal(strstr(resp, "\r\n\r\n") + 4, want);
	free(want);
	free(resp);
	/* Exactly once: every id stored, none twice. */
	assert_int_equal(count("SELECT count(*) FROM fremdrift.events "
			       "WHERE source = 'big'"),
			 RECORDS - 2);
	assert_int_equal(count("SELECT count(DISTINCT id) FROM fremdrift.events "
			       "WHERE source = 'big'"),
			 RECORDS - 2);
	/* What the body held is given back: the server grows by far less
	 * than the ten-fold of the body that a parsed document took. Under
	 * AddressSanitizer its own allocator keeps freed memory in
	 * quarantine, so resident size says nothing there. */
	free(body);
	assert_int_equal(h_wait_status(port, "/health", 200, 10000), 200);
	print_message("rss before %ld KiB, after %ld KiB, body %zu KiB\n",
		      before, rss_kib(), len / 1024);
#ifndef __SANITIZE_ADDRESS__
	assert_true(rss_kib() - before < (long)(len / 1024) * 2);
#endif
}

static void test_big_body_not_json(void **state)
{
	size_t len;
	char *body = big_array(&len), *resp = NULL;
	long stored = count("SELECT count(*) FROM fremdrift.events");
	int fd, status;

	(void)state;
	/* The array's last bracket, the only fault, on the last line. */
	body[len - 1] = '}';
	fd = send_post(body, len, 0);
	status = h_read_response(fd, &resp, 300000);
	close(fd);
	assert_int_equal(status, 400);
	assert_non_null(strstr(resp, "\"error\":\"bad_body\""));
	assert_non_null(strstr(resp, "(line 150002, column 1)"));
	free(resp);
	assert_int_equal(count("SELECT count(*) FROM fremdrift.events"), stored);
	free(body);
}

/* Small arrays go through the same splitter: an element that is JSON but
 * not a good record is rejected on its own; a broken array is refused
 * whole, saying where. */
static void test_small_arrays_split(void **state)
{
	static const char mixed[] = "[1,\n {\"kind\":\"event\",\"kind\":\"event\"}]";
	static const char broken[] = "[{\"kind\":\"event\"}\n {\"kind\":1}]";
	char *resp = NULL;
	int fd;

	(void)state;
	fd = send_post(mixed, strlen(mixed), 0);
	assert_int_equal(h_read_response(fd, &resp, 30000), 200);
	close(fd);
	assert_string_equal(strstr(resp, "\r\n\r\n") + 4,
			    "{\"accepted\":0,\"duplicates\":0,\"rejected\":["
			    "{\"index\":0,\"field\":\"\",\"reason\":"
			    "\"a record must be a JSON object\"},"
			    "{\"index\":1,\"field\":\"\",\"reason\":"
			    "\"a field appears twice\"}]}");
	free(resp);
	fd = send_post(broken, strlen(broken), 0);
	assert_int_equal(h_read_response(fd, &resp, 30000), 400);
	close(fd);
	assert_non_null(strstr(resp, "',' or ']' expected (line 2, column 2)"));
	free(resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_answers_during_a_big_body),
		cmocka_unit_test(test_big_body_not_json),
		cmocka_unit_test(test_small_arrays_split),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
