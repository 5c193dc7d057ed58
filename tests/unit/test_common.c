/* The shared basics: capped buffers, configuration, logging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fremdrift/buf.h"
#include "fremdrift/config.h"
#include "fremdrift/log.h"

static void test_buf_cap(void **state)
{
	struct fr_buf b;

	(void)state;
	fr_buf_init(&b, 10);
	assert_int_equal(fr_buf_append(&b, "12345", 5), 0);
	assert_int_equal(fr_buf_append(&b, "67890", 5), 0);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "1234567890");
	/* One more byte is over the cap and changes nothing. */
	assert_int_equal(fr_buf_append(&b, "x", 1), FR_ETOOBIG);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "1234567890");
	fr_buf_consume(&b, 4);
	assert_string_equal(b.data, "567890");
	assert_int_equal(fr_buf_printf(&b, "%d", 1234), 0);
	assert_int_equal(fr_buf_printf(&b, "%s", "x"), FR_ETOOBIG);
	assert_string_equal(b.data, "5678901234");
	fr_buf_reset(&b);
	assert_int_equal(b.len, 0);
	fr_buf_free(&b);
	assert_null(b.data);
}

static void test_buf_huge_request(void **state)
{
	struct fr_buf b;

	(void)state;
	fr_buf_init(&b, 1024);
	/* A length that would overflow a naive len + n check. */
	assert_int_equal(fr_buf_append(&b, "", (size_t)-1), FR_ETOOBIG);
	assert_null(b.data);
}

static void test_parse_size(void **state)
{
	size_t v;

	(void)state;
	assert_int_equal(fr_parse_size("512", &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(fr_parse_size("64KiB", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(fr_parse_size("8MiB", &v), 0);
	assert_int_equal(v, 8u << 20);
	assert_int_equal(fr_parse_size("2MB", &v), 0);
	assert_int_equal(v, 2000000);
	assert_int_equal(fr_parse_size("8 MiB", &v), FR_EINVAL);
	assert_int_equal(fr_parse_size("-1", &v), FR_EINVAL);
	assert_int_equal(fr_parse_size("lots", &v), FR_EINVAL);
	assert_int_equal(fr_parse_size("99999999999999999999GiB", &v), FR_EINVAL);
}

static void test_parse_duration(void **state)
{
	unsigned v;

	(void)state;
	assert_int_equal(fr_parse_duration_ms("250ms", &v), 0);
	assert_int_equal(v, 250);
	assert_int_equal(fr_parse_duration_ms("15s", &v), 0);
	assert_int_equal(v, 15000);
	assert_int_equal(fr_parse_duration_ms("2m", &v), 0);
	assert_int_equal(v, 120000);
	assert_int_equal(fr_parse_duration_ms("100", &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(fr_parse_duration_ms("1h", &v), FR_EINVAL);
	assert_int_equal(fr_parse_duration_ms("s", &v), FR_EINVAL);
}

static void test_parse_listen(void **state)
{
	char *host;
	int port;

	(void)state;
	assert_int_equal(fr_parse_listen("127.0.0.1:8080", &host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8080);
	free(host);
	assert_int_equal(fr_parse_listen("[::1]:9000", &host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 9000);
	free(host);
	assert_int_equal(fr_parse_listen(":7000", &host, &port), 0);
	assert_string_equal(host, "127.0.0.1");
	free(host);
	assert_int_equal(fr_parse_listen("localhost", &host, &port), FR_EINVAL);
	assert_int_equal(fr_parse_listen("h:70000", &host, &port), FR_EINVAL);
	assert_int_equal(fr_parse_listen("h:80x", &host, &port), FR_EINVAL);
}

struct kv {
	const char *k, *v;
};

static const char *table_get(const char *name, void *data)
{
	for (const struct kv *p = data; p->k; p++)
		if (strcmp(p->k, name) == 0)
			return p->v;
	return NULL;
}

static void test_config_defaults(void **state)
{
	struct kv env[] = {{NULL, NULL}};
	struct fr_config cfg;
	struct fr_err err;

	(void)state;
	assert_int_equal(fr_config_load_from(&cfg, table_get, env, &err), 0);
	assert_true(cfg.database_embedded);
	assert_non_null(strstr(cfg.database_url, "/var/pg"));
	assert_non_null(strstr(cfg.key_file, "/var/fremdrift.key"));
	assert_string_equal(cfg.http_host, "127.0.0.1");
	assert_int_equal(cfg.http_port, 8080);
	assert_string_equal(cfg.public_url, "http://127.0.0.1:8080");
	assert_true(cfg.public_url_default);
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_null(cfg.dash_sso_header);
	assert_int_equal(cfg.validity_min_n, 100);
	assert_null(cfg.validity_good);
	assert_int_equal(cfg.db_record_connections, 1);
	fr_config_free(&cfg);
}

static void test_config_values(void **state)
{
	struct kv env[] = {{"DATABASE_URL", "host=/tmp dbname=x"},
			   {"FREMDRIFT_HTTP", "0.0.0.0:9090"},
			   {"FREMDRIFT_HTTP_MAX_BODY", "1MiB"},
			   {"FREMDRIFT_HTTP_IDLE_TIMEOUT", "500ms"},
			   {"FREMDRIFT_LOG_LEVEL", "debug"},
			   {"FREMDRIFT_KEY_FILE", "/etc/fremdrift/key"},
			   {"FREMDRIFT_PUBLIC_URL", "https://f.example.dk/app"},
			   {"FREMDRIFT_DASH_SSO_HEADER", "X-Remote-User"},
			   {"FREMDRIFT_VALIDITY_MIN_N", "250"},
			   {"FREMDRIFT_VALIDITY_GOOD", "employment,flex_job"},
			   {"FREMDRIFT_DB_RECORD_CONNECTIONS", "2"},
			   {NULL, NULL}};
	struct fr_config cfg;
	struct fr_err err;

	(void)state;
	assert_int_equal(fr_config_load_from(&cfg, table_get, env, &err), 0);
	assert_false(cfg.database_embedded);
	assert_string_equal(cfg.database_url, "host=/tmp dbname=x");
	assert_string_equal(cfg.http_host, "0.0.0.0");
	assert_int_equal(cfg.http_port, 9090);
	assert_int_equal(cfg.http_max_body, 1u << 20);
	assert_int_equal(cfg.http_idle_timeout_ms, 500);
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	assert_string_equal(cfg.key_file, "/etc/fremdrift/key");
	assert_string_equal(cfg.public_url, "https://f.example.dk/app");
	assert_false(cfg.public_url_default);
	/* single sign-on: the proxy is this machine unless told */
	assert_string_equal(cfg.dash_sso_header, "X-Remote-User");
	assert_string_equal(cfg.dash_sso_from, "127.0.0.1");
	assert_null(cfg.dash_sso_logout);
	assert_int_equal(cfg.validity_min_n, 250);
	assert_string_equal(cfg.validity_good, "employment,flex_job");
	assert_int_equal(cfg.db_record_connections, 2);
	fr_config_free(&cfg);
}

static void test_config_rejects(void **state)
{
	static const struct kv bad[][3] = {
		{{"FREMDRIFT_HTTP", "nonsense"}, {NULL, NULL}},
		{{"FREMDRIFT_HTTP_MAX_BODY", "big"}, {NULL, NULL}},
		{{"FREMDRIFT_HTTP_MAX_BODY", "0"}, {NULL, NULL}},
		{{"FREMDRIFT_HTTP_IDLE_TIMEOUT", "soon"}, {NULL, NULL}},
		{{"FREMDRIFT_HTTP_MAX_CONNECTIONS", "0"}, {NULL, NULL}},
		{{"FREMDRIFT_DB_RECORD_CONNECTIONS", "3"}, {NULL, NULL}},
		{{"FREMDRIFT_DB_RECORD_CONNECTIONS", "0"}, {NULL, NULL}},
		{{"FREMDRIFT_LOG_LEVEL", "loud"}, {NULL, NULL}},
		{{"FREMDRIFT_PUBLIC_URL", "fremdrift.example.dk"}, {NULL, NULL}},
		{{"FREMDRIFT_PUBLIC_URL", "https://"}, {NULL, NULL}},
		{{"FREMDRIFT_PUBLIC_URL", "https://x.dk/?a=1"}, {NULL, NULL}},
		{{"FREMDRIFT_PUBLIC_URL", "https://x.dk/a b"}, {NULL, NULL}},
		{{"FREMDRIFT_DASH_SSO_HEADER", "X Remote"}, {NULL, NULL}},
		{{"FREMDRIFT_DASH_SSO_FROM", "proxy.local"},
		 {"FREMDRIFT_DASH_SSO_HEADER", "X-User"},
		 {NULL, NULL}},
		{{"FREMDRIFT_DASH_SSO_LOGOUT", "javascript:alert(1)"},
		 {"FREMDRIFT_DASH_SSO_HEADER", "X-User"},
		 {NULL, NULL}},
		{{"FREMDRIFT_VALIDITY_MIN_N", "10"}, {NULL, NULL}},
		{{"FREMDRIFT_VALIDITY_GOOD", "employment,"}, {NULL, NULL}},
		{{"FREMDRIFT_VALIDITY_GOOD", "Employment"}, {NULL, NULL}},
		{{"FREMDRIFT_VALIDITY_GOOD", "employment, education"},
		 {NULL, NULL}},
		{{"FREMDRIFT_VALIDITY_GOOD", "a';drop"}, {NULL, NULL}},
	};
	struct fr_config cfg;
	struct fr_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fr_err_clear(&err);
		assert_int_equal(fr_config_load_from(&cfg, table_get,
						     (void *)bad[i], &err),
				 FR_ECONFIG);
		/* The error names the variable. */
		assert_string_equal(err.field, bad[i][0].k);
		assert_true(strlen(err.msg) > 0);
	}
}

static void test_log_line(void **state)
{
	int fds[2];
	char line[1024];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	log_set_fd(fds[1]);
	log_set_level(LOG_INFO);
	log_debug("test", "not shown");
	log_writekv(LOG_WARNING, "test", "count=3", "say \"hi\"\nback\\slash");
	log_set_fd(2);
	close(fds[1]);
	n = read(fds[0], line, sizeof(line) - 1);
	close(fds[0]);
	assert_true(n > 0);
	line[n] = '\0';
	/* Exactly one line: the debug line was dropped, the newline escaped. */
	assert_non_null(strstr(line, "level=warning module=test "
				     "msg=\"say \\\"hi\\\"\\nback\\\\slash\" "
				     "count=3\n"));
	assert_int_equal(strncmp(line, "ts=", 3), 0);
	assert_ptr_equal(strchr(line, '\n') + 1, line + n);
}

static void test_log_levels(void **state)
{
	enum log_level l;

	(void)state;
	assert_int_equal(log_level_parse("WARNING", &l), 0);
	assert_int_equal(l, LOG_WARNING);
	assert_int_equal(log_level_parse("verbose", &l), FR_EINVAL);
	assert_string_equal(log_level_name(LOG_ERROR), "error");
}

static void test_err(void **state)
{
	struct fr_err err;

	(void)state;
	fr_err_clear(&err);
	assert_int_equal(fr_err_set(&err, FR_EINVAL, "version", "want %d", 1),
			 FR_EINVAL);
	assert_string_equal(err.field, "version");
	assert_string_equal(err.msg, "want 1");
	assert_int_equal(fr_err_set(NULL, FR_EIO, NULL, "x"), FR_EIO);
	assert_string_equal(fr_strerror(FR_ETOOBIG), "too big");
	assert_string_equal(fr_strerror(-2), "No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_huge_request),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_config_rejects),
		cmocka_unit_test(test_log_line),
		cmocka_unit_test(test_log_levels),
		cmocka_unit_test(test_err),
	};
	return cmocka_run_group_tests_name("common", tests, NULL, NULL);
}
