/*
 * `fremdrift keygen` and `fremdrift pseudonym` as staff use them: the
 * pseudonym must equal an independent HMAC-SHA256 of the label and the ten
 * digits under the same key, and no CPR may leak to stderr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fremdrift/keyfile.h"
#include "fremdrift/pseudonym.h"
#include "harness.h"

static char key_path[256];

static void expected_hex(const struct pseud_key *k, const char *digits,
			 char out[65])
{
	unsigned char msg[64], mac[32];
	size_t n = sizeof(PSEUD_LABEL_CITIZEN), outlen = 0;

	memcpy(msg, PSEUD_LABEL_CITIZEN, n); /* includes the NUL */
	memcpy(msg + n, digits, 10);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->bytes,
				  k->len, msg, n + 10, mac, 32, &outlen));
	pseud_hex(mac, 32, out);
}

static void test_keygen(void **state)
{
	const char *args[] = {"keygen", "--out", key_path, NULL};
	struct h_result r;
	struct stat st;

	(void)state;
	snprintf(key_path, sizeof(key_path), "%s/cli.key", h_tmpdir());
	r = h_run(args, NULL, NULL, 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(strlen(r.out), KEY_ID_LEN + 1); /* the id */
	h_result_free(&r);
	assert_int_equal(stat(key_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* Never overwrites. */
	r = h_run(args, NULL, NULL, 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "already exists"));
	h_result_free(&r);
}

static void test_pseudonym_matches_independent_hmac(void **state)
{
	const char *args[] = {"pseudonym", "--key", key_path, NULL};
	static const char input[] = "670761-4285\n"
				    "6101905001\r\n"
				    "  890200-4001  \n"
				    "not a number\n"
				    "\n"
				    "320190-1001\n"
				    "610127-4001"; /* no final newline */
	static const char *const valid[] = {"6707614285", "6101905001",
					    "8902004001"};
	struct pseud_key key;
	struct h_result r;
	char want[65], *line, *save = NULL;
	int n = 0;

	(void)state;
	assert_int_equal(keyfile_load(key_path, &key, NULL), 0);
	r = h_run(args, NULL, input, sizeof(input) - 1);
	assert_int_equal(r.status, 3); /* some lines were errors */
	for (line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++) {
		if (n < 3) {
			expected_hex(&key, valid[n], want);
			assert_string_equal(line, want);
		}
	}
	/* One output line for every input line, in order. */
	assert_int_equal(n, 7);
	h_result_free(&r);

	r = h_run(args, NULL, input, sizeof(input) - 1);
	assert_non_null(strstr(r.out, "error: character: "));
	assert_non_null(strstr(r.out, "error: empty: "));
	assert_non_null(strstr(r.out, "error: day: "));
	assert_non_null(strstr(r.out, "error: future: "));
	/* Nothing of any number on stderr, nor in an error line. */
	assert_null(strpbrk(r.err, "0123456789"));
	for (line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "error:", 6) == 0)
			assert_null(strpbrk(line, "0123456789"));
	h_result_free(&r);
	keyfile_wipe(&key);
}

static void test_pseudonym_all_valid_exits_zero(void **state)
{
	const char *args[] = {"pseudonym", "--key", key_path, NULL};
	struct h_result r;
	char *input = malloc(20000 * 12 + 1);
	size_t len = 0;

	(void)state;
	/* 20,000 replacement numbers, 1 January 1900 to ... */
	for (int i = 0; i < 20000; i++)
		len += (size_t)sprintf(input + len, "610100-%04d\n", i % 10000);
	r = h_run(args, NULL, input, len);
	assert_int_equal(r.status, 0);
	assert_int_equal(strlen(r.out), 20000 * 65);
	/* Same number, same pseudonym (line 1 and line 10,001). */
	assert_memory_equal(r.out, r.out + 10000 * 65, 64);
	assert_memory_not_equal(r.out, r.out + 65, 64);
	h_result_free(&r);
	free(input);
}

static void test_pseudonym_refuses_bad_key(void **state)
{
	const char *args[] = {"pseudonym", "--key", key_path, NULL};
	const char *missing[] = {"pseudonym", "--key", "/nonexistent/k", NULL};
	struct h_result r;

	(void)state;
	assert_int_equal(chmod(key_path, 0640), 0);
	r = h_run(args, NULL, "670761-4285\n", 12);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "chmod 600"));
	assert_string_equal(r.out, "");
	h_result_free(&r);
	assert_int_equal(chmod(key_path, 0600), 0);

	r = h_run(missing, NULL, "670761-4285\n", 12);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "does not exist"));
	h_result_free(&r);
}

static void test_help_everywhere(void **state)
{
	static const char *const cmds[] = {"serve", "migrate", "keygen",
					   "pseudonym", "config"};
	struct h_result r;

	(void)state;
	{
		const char *args[] = {"help", NULL};

		r = h_run(args, NULL, NULL, 0);
		assert_int_equal(r.status, 0);
		for (size_t i = 0; i < 5; i++)
			assert_non_null(strstr(r.out, cmds[i]));
		h_result_free(&r);
	}
	for (size_t i = 0; i < 5; i++) {
		const char *args[] = {cmds[i], "--help", NULL};

		r = h_run(args, NULL, NULL, 0);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "usage: fremdrift"));
		h_result_free(&r);
	}
	{
		const char *args[] = {"frobnicate", NULL};

		r = h_run(args, NULL, NULL, 0);
		assert_int_equal(r.status, 2);
		assert_non_null(strstr(r.err, "unknown command"));
		h_result_free(&r);
	}
}

static void test_config_masks_password(void **state)
{
	const char *args[] = {"config", NULL};
	const char *env[] = {"DATABASE_URL=postgresql://app:s3cret@db.example/x",
			     NULL};
	const char *bad[] = {"FREMDRIFT_HTTP=nowhere", NULL};
	struct h_result r;

	(void)state;
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "s3cret"));
	assert_non_null(strstr(r.out, "password=********"));
	assert_non_null(strstr(r.out, "FREMDRIFT_HTTP=127.0.0.1:8080"));
	h_result_free(&r);

	r = h_run(args, bad, NULL, 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "FREMDRIFT_HTTP"));
	h_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen),
		cmocka_unit_test(test_pseudonym_matches_independent_hmac),
		cmocka_unit_test(test_pseudonym_all_valid_exits_zero),
		cmocka_unit_test(test_pseudonym_refuses_bad_key),
		cmocka_unit_test(test_help_everywhere),
		cmocka_unit_test(test_config_masks_password),
	};
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
