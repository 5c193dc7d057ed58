/* Link tokens (docs/links.md, "The token"). The fixed vectors were
 * computed independently, with `openssl dgst -sha256 -hmac` and Python's
 * hmac module:
 *
 *   printf 'fremdrift-link\0' > m; (bytes 00 01 .. 0f) >> m
 *   openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef -binary m \
 *       | basenc --base64url | cut -c1-22
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "fremdrift/link_token.h"
#include "fremdrift/pseudonym.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";

static struct pseud_ctx *ctx_new(void)
{
	struct pseud_ctx *ctx;

	assert_int_equal(pseud_ctx_new(key, 32, &ctx, NULL), 0);
	return ctx;
}

static void test_token_vector(void **state)
{
	struct pseud_ctx *ctx = ctx_new();
	unsigned char nonce[16], ff[16];
	char token[LINK_TOKEN_LEN + 1];

	(void)state;
	for (int i = 0; i < 16; i++)
		nonce[i] = (unsigned char)i;
	memset(ff, 0xff, sizeof(ff));
	assert_int_equal(link_token(ctx, nonce, token), 0);
	assert_string_equal(token, "I2K5-wx1LcudwoU_ko33RU");
	/* Through the same context again: the reuse path. */
	assert_int_equal(link_token(ctx, ff, token), 0);
	assert_string_equal(token, "tc4pkQj8vEE9jjUO3Ou-ZD");
	pseud_ctx_free(ctx);
}

static void test_hash_and_csrf_vectors(void **state)
{
	struct pseud_ctx *ctx = ctx_new();
	unsigned char hash[LINK_HASH_LEN];
	char hex[PSEUD_HEX_LEN + 1], csrf[LINK_CSRF_LEN + 1];

	(void)state;
	assert_int_equal(link_token_hash("I2K5-wx1LcudwoU_ko33RU", hash), 0);
	pseud_hex(hash, sizeof(hash), hex);
	assert_string_equal(hex, "b2df7af8059e86649cb83609c6d46ecc"
				 "4af42e78fd86431940d3306588c9e5c1");
	assert_int_equal(link_csrf(ctx, "I2K5-wx1LcudwoU_ko33RU", csrf), 0);
	assert_string_equal(csrf, "abc7e88f4edb1e84");
	pseud_ctx_free(ctx);
}

static void test_nonces_differ(void **state)
{
	unsigned char a[16], b[16];

	(void)state;
	assert_int_equal(link_nonce(a), 0);
	assert_int_equal(link_nonce(b), 0);
	assert_memory_not_equal(a, b, 16);
}

static void test_token_from(void **state)
{
	char t[LINK_TOKEN_LEN + 1];

	(void)state;
	assert_int_equal(link_token_from("I2K5-wx1LcudwoU_ko33RU", t), 0);
	assert_string_equal(t, "I2K5-wx1LcudwoU_ko33RU");
	assert_int_equal(
		link_token_from("https://x.dk/l/I2K5-wx1LcudwoU_ko33RU", t), 0);
	assert_string_equal(t, "I2K5-wx1LcudwoU_ko33RU");
	assert_int_equal(
		link_token_from("http://h:80/l/I2K5-wx1LcudwoU_ko33RU/q/3", t),
		0);
	assert_string_equal(t, "I2K5-wx1LcudwoU_ko33RU");
	/* Too short, too long, a character outside base64url. */
	assert_int_equal(link_token_from("I2K5-wx1LcudwoU_ko33R", t),
			 FR_EINVAL);
	assert_int_equal(link_token_from("I2K5-wx1LcudwoU_ko33RUx", t),
			 FR_EINVAL);
	assert_int_equal(link_token_from("I2K5+wx1LcudwoU_ko33RU", t),
			 FR_EINVAL);
	assert_int_equal(link_token_from("https://x.dk/l/", t), FR_EINVAL);
}

static void test_url(void **state)
{
	char url[64];

	(void)state;
	assert_int_equal(link_url("https://x.dk/", "I2K5-wx1LcudwoU_ko33RU",
				  url, sizeof(url)),
			 0);
	assert_string_equal(url, "https://x.dk/l/I2K5-wx1LcudwoU_ko33RU");
	assert_int_equal(link_url("https://x.dk", "I2K5-wx1LcudwoU_ko33RU",
				  url, 20),
			 FR_ETOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_vector),
		cmocka_unit_test(test_hash_and_csrf_vectors),
		cmocka_unit_test(test_nonces_differ),
		cmocka_unit_test(test_token_from),
		cmocka_unit_test(test_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
