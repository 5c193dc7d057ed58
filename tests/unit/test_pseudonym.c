/* Keyed pseudonyms (docs/architecture.md) and their key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fremdrift/keyfile.h"
#include "fremdrift/pseudonym.h"

static const unsigned char key_a[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char key_b[32] = "0123456789abcdef0123456789abcdeF";

/* An independent HMAC through OpenSSL's one-shot API. */
static void reference(const unsigned char *key, size_t klen, const char *label,
		      const void *msg, size_t len, unsigned char out[32])
{
	unsigned char buf[256];
	size_t n = strlen(label) + 1, outlen = 0;

	memcpy(buf, label, n);
	memcpy(buf + n, msg, len);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, klen,
				  buf, n + len, out, 32, &outlen));
	assert_int_equal(outlen, 32);
}

static void test_selftest_passes(void **state)
{
	struct fr_err err;

	(void)state;
	fr_err_clear(&err);
	assert_int_equal(pseud_selftest(&err), 0);
}

static void test_citizen_matches_reference(void **state)
{
	struct pseud_ctx *ctx;
	unsigned char got[32], want[32];
	static const char *const numbers[] = {"6707614285", "6101905001",
					      "0707614285", "8902004001"};

	(void)state;
	assert_int_equal(pseud_ctx_new(key_a, 32, &ctx, NULL), 0);
	for (size_t i = 0; i < 4; i++) {
		/* Several through one context: the reuse path. */
		assert_int_equal(pseud_citizen(ctx, numbers[i], got), 0);
		reference(key_a, 32, "fremdrift/v1/citizen", numbers[i], 10,
			  want);
		assert_memory_equal(got, want, 32);
	}
	pseud_ctx_free(ctx);
}

static void test_differs_by_key_and_label(void **state)
{
	struct pseud_ctx *a, *b;
	unsigned char pa[32], pb[32], pe[32], again[32];

	(void)state;
	assert_int_equal(pseud_ctx_new(key_a, 32, &a, NULL), 0);
	assert_int_equal(pseud_ctx_new(key_b, 32, &b, NULL), 0);
	assert_int_equal(pseud_citizen(a, "6707614285", pa), 0);
	assert_int_equal(pseud_citizen(b, "6707614285", pb), 0);
	assert_memory_not_equal(pa, pb, 32);
	/* Same key, same bytes, other label. */
	assert_int_equal(pseud_mac(a, PSEUD_LABEL_EXTRACT, "6707614285", 10, pe),
			 0);
	assert_memory_not_equal(pa, pe, 32);
	/* Deterministic: the same input again gives the same pseudonym. */
	assert_int_equal(pseud_citizen(a, "6707614285", again), 0);
	assert_memory_equal(pa, again, 32);
	/* One digit apart: unrelated. */
	assert_int_equal(pseud_citizen(a, "6707614286", again), 0);
	assert_memory_not_equal(pa, again, 32);
	pseud_ctx_free(a);
	pseud_ctx_free(b);
}

static void test_extract_pseudonym(void **state)
{
	struct pseud_ctx *live, *proj;
	unsigned char p[32], e[32], want[32];

	(void)state;
	assert_int_equal(pseud_ctx_new(key_a, 32, &live, NULL), 0);
	assert_int_equal(pseud_ctx_new(key_b, 32, &proj, NULL), 0);
	assert_int_equal(pseud_citizen(live, "6707614285", p), 0);
	assert_int_equal(pseud_extract(proj, p, e), 0);
	reference(key_b, 32, "fremdrift/v1/extract", p, 32, want);
	assert_memory_equal(e, want, 32);
	assert_memory_not_equal(e, p, 32);
	pseud_ctx_free(live);
	pseud_ctx_free(proj);
}

/* Course keys and record ids (issue 14): each under its own label, which
 * is neither the citizen's nor the other's, over the text exactly as
 * given, in lowercase hex. */
static void test_ident_pseudonyms(void **state)
{
	static const char text[] = "Jens Hansen, Vejlevej 3";
	static const struct {
		enum pseud_ident kind;
		const char *label;
	} kinds[] = {{PSEUD_COURSE, "fremdrift/v1/course"},
		     {PSEUD_RECORD_ID, "fremdrift/v1/record-id"}};
	struct pseud_ctx *ctx;
	unsigned char want[32];
	char got[2][PSEUD_HEX_LEN + 1], again[PSEUD_HEX_LEN + 1],
		hex[PSEUD_HEX_LEN + 1];

	(void)state;
	assert_int_equal(pseud_ctx_new(key_a, 32, &ctx, NULL), 0);
	for (int k = 0; k < 2; k++) {
		assert_string_not_equal(kinds[k].label, PSEUD_LABEL_CITIZEN);
		assert_int_equal(pseud_ident_hex(ctx, kinds[k].kind, text,
						 sizeof(text) - 1, got[k]),
				 0);
		reference(key_a, 32, kinds[k].label, text, sizeof(text) - 1,
			  want);
		pseud_hex(want, 32, hex);
		assert_string_equal(got[k], hex);
		assert_int_equal(strspn(got[k], "0123456789abcdef"),
				 PSEUD_HEX_LEN);
	}
	assert_string_not_equal(got[0], got[1]);
	/* The same text again: the same pseudonym (a source refers to it
	 * again); one byte more (a trailing space): another. */
	assert_int_equal(pseud_ident_hex(ctx, PSEUD_COURSE, text,
					 sizeof(text) - 1, again),
			 0);
	assert_string_equal(again, got[0]);
	assert_int_equal(pseud_ident_hex(ctx, PSEUD_COURSE, "Jens Hansen, "
					 "Vejlevej 3 ", sizeof(text), again),
			 0);
	assert_string_not_equal(again, got[0]);
	pseud_ctx_free(ctx);
}

static void test_hex(void **state)
{
	unsigned char in[4] = {0x00, 0xab, 0x7f, 0xff}, back[4];
	char hex[9];

	(void)state;
	pseud_hex(in, 4, hex);
	assert_string_equal(hex, "00ab7fff");
	assert_int_equal(pseud_unhex("00AB7fff", 8, back, 4), 0);
	assert_memory_equal(in, back, 4);
	assert_int_equal(pseud_unhex("00ab7ffg", 8, back, 4), FR_EINVAL);
	assert_int_equal(pseud_unhex("00ab7ff", 7, back, 4), FR_EINVAL);
}

/* ---- key files ---- */

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fremdrift-keytest.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_keygen_and_load(void **state)
{
	char path[128], id[KEY_ID_LEN + 1], id2[KEY_ID_LEN + 1];
	struct pseud_key key;
	struct fr_err err;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/a.key", dir);
	assert_int_equal(keyfile_generate(path, id, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(keyfile_load(path, &key, &err), 0);
	assert_int_equal(key.len, 32);
	assert_string_equal(key.id, id);
	assert_int_equal(keyfile_key_id(key.bytes, key.len, id2), 0);
	assert_string_equal(id2, id);
	keyfile_wipe(&key);
	for (size_t i = 0; i < sizeof(key.bytes); i++)
		assert_int_equal(key.bytes[i], 0);
	assert_int_equal(key.len, 0);

	/* Never overwrite. */
	fr_err_clear(&err);
	assert_int_equal(keyfile_generate(path, NULL, &err), FR_EKEY);
	assert_non_null(strstr(err.msg, "already exists"));
}

static void test_two_keys_differ(void **state)
{
	char p1[128], p2[128];
	struct pseud_key k1, k2;

	(void)state;
	snprintf(p1, sizeof(p1), "%s/k1.key", dir);
	snprintf(p2, sizeof(p2), "%s/k2.key", dir);
	assert_int_equal(keyfile_generate(p1, NULL, NULL), 0);
	assert_int_equal(keyfile_generate(p2, NULL, NULL), 0);
	assert_int_equal(keyfile_load(p1, &k1, NULL), 0);
	assert_int_equal(keyfile_load(p2, &k2, NULL), 0);
	assert_memory_not_equal(k1.bytes, k2.bytes, 32);
	assert_string_not_equal(k1.id, k2.id);
}

static void test_refuse_missing(void **state)
{
	char path[128];
	struct pseud_key key;
	struct fr_err err;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.key", dir);
	fr_err_clear(&err);
	assert_int_equal(keyfile_load(path, &key, &err), FR_EKEY);
	assert_non_null(strstr(err.msg, "does not exist"));
	assert_non_null(strstr(err.msg, "fremdrift keygen"));
}

static void test_refuse_open_modes(void **state)
{
	static const mode_t modes[] = {0644, 0640, 0604, 0660, 0602};
	char path[128];
	struct pseud_key key;
	struct fr_err err;

	(void)state;
	snprintf(path, sizeof(path), "%s/open.key", dir);
	assert_int_equal(keyfile_generate(path, NULL, NULL), 0);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(path, modes[i]), 0);
		fr_err_clear(&err);
		assert_int_equal(keyfile_load(path, &key, &err), FR_EKEY);
		assert_non_null(strstr(err.msg, "chmod 600"));
	}
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(keyfile_load(path, &key, &err), 0);
}

static void test_refuse_short(void **state)
{
	char path[128];
	struct pseud_key key;
	struct fr_err err;

	(void)state;
	snprintf(path, sizeof(path), "%s/short.key", dir);
	write_file(path,
		   "fremdrift-key v1\nkey 00112233445566778899aabbccddeeff\n",
		   0600);
	fr_err_clear(&err);
	assert_int_equal(keyfile_load(path, &key, &err), FR_EKEY);
	assert_non_null(strstr(err.msg, "at least 32"));
}

static void test_refuse_damaged(void **state)
{
	char path[128];
	struct pseud_key key;
	struct fr_err err;

	(void)state;
	snprintf(path, sizeof(path), "%s/damaged.key", dir);
	write_file(path,
		   "fremdrift-key v1\nid 0000000000000000\nkey "
		   "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		   0600);
	fr_err_clear(&err);
	assert_int_equal(keyfile_load(path, &key, &err), FR_EKEY);
	assert_non_null(strstr(err.msg, "damaged"));

	write_file(path, "hello\n", 0600);
	assert_int_equal(keyfile_load(path, &key, &err), FR_EKEY);
	write_file(path, "fremdrift-key v1\nkey 0011zz\n", 0600);
	assert_int_equal(keyfile_load(path, &key, &err), FR_EKEY);
	write_file(path, "fremdrift-key v1\n", 0600);
	assert_int_equal(keyfile_load(path, &key, &err), FR_EKEY);
}

static void test_refuse_symlink(void **state)
{
	char path[128], link[128];
	struct pseud_key key;

	(void)state;
	snprintf(path, sizeof(path), "%s/real.key", dir);
	snprintf(link, sizeof(link), "%s/link.key", dir);
	assert_int_equal(keyfile_generate(path, NULL, NULL), 0);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(keyfile_load(link, &key, NULL), FR_EKEY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selftest_passes),
		cmocka_unit_test(test_citizen_matches_reference),
		cmocka_unit_test(test_differs_by_key_and_label),
		cmocka_unit_test(test_extract_pseudonym),
		cmocka_unit_test(test_ident_pseudonyms),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_keygen_and_load),
		cmocka_unit_test(test_two_keys_differ),
		cmocka_unit_test(test_refuse_missing),
		cmocka_unit_test(test_refuse_open_modes),
		cmocka_unit_test(test_refuse_short),
		cmocka_unit_test(test_refuse_damaged),
		cmocka_unit_test(test_refuse_symlink),
	};
	return cmocka_run_group_tests_name("pseudonym", tests, make_dir,
					   remove_dir);
}
