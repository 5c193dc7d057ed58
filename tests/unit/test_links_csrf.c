/*
 * links_csrf_ok (docs/links.md, "Headers on every page"): a POST under
 * /l/ goes on only with the link's CSRF value and when neither
 * Sec-Fetch-Site nor Origin says it came from another site. Requests are
 * parsed by the server's own parser (server/http_internal.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fremdrift/links.h"

#include "../../server/http_internal.h"

#define TOKEN "I2K5-wx1LcudwoU_ko33RU"

static struct ing_env env;
static struct links *links;
static struct link lk;

static int setup(void **state)
{
	struct pseud_ctx *ctx;

	(void)state;
	memset(env.key.bytes, 7, 32);
	env.key.len = 32;
	links = links_new(uv_default_loop(), NULL, &env, NULL, NULL,
			  "https://f.example.dk/app/");
	if (links == NULL || pseud_ctx_new(env.key.bytes, 32, &ctx, NULL) != 0)
		return -1;
	lk.state = LINK_OPEN;
	strcpy(lk.token, TOKEN);
	link_csrf(ctx, TOKEN, lk.csrf);
	pseud_ctx_free(ctx);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	links_close(links);
	return 0;
}

/* links_csrf_ok for a POST with the extra header lines (each ending in
 * CRLF) and the form's csrf value. */
static int ok_with(const char *headers, const char *csrf)
{
	struct http__limits lim = {.max_body = 4096, .max_bodies_total = 8192};
	struct http_req r;
	char raw[1024];
	int n, ok;

	n = snprintf(raw, sizeof(raw),
		     "POST /l/" TOKEN "/send HTTP/1.1\r\n"
		     "Host: 127.0.0.1:8080\r\n%sContent-Length: 0\r\n\r\n",
		     headers);
	http__req_init(&r, &lim, 2048, NULL);
	assert_int_equal(http__feed(&r, raw, (size_t)n), (size_t)n);
	assert_true(r.complete);
	ok = links_csrf_ok(links, &lk, &r, csrf);
	http__req_free(&r);
	return ok;
}

static void test_public_url(void **state)
{
	(void)state;
	assert_string_equal(links_public_url(links),
			    "https://f.example.dk/app");
}

static void test_csrf_value(void **state)
{
	char wrong[LINK_CSRF_LEN + 1];

	(void)state;
	assert_int_equal(strlen(lk.csrf), LINK_CSRF_LEN);
	assert_true(ok_with("", lk.csrf));
	snprintf(wrong, sizeof(wrong), "%s", lk.csrf);
	wrong[0] = wrong[0] == '0' ? '1' : '0';
	assert_false(ok_with("", wrong));
	assert_false(ok_with("", NULL));
	assert_false(ok_with("", ""));
	assert_false(ok_with("", TOKEN));
}

static void test_fetch_site(void **state)
{
	(void)state;
	assert_true(ok_with("Sec-Fetch-Site: same-origin\r\n", lk.csrf));
	assert_true(ok_with("Sec-Fetch-Site: none\r\n", lk.csrf));
	assert_false(ok_with("Sec-Fetch-Site: cross-site\r\n", lk.csrf));
	assert_false(ok_with("Sec-Fetch-Site: same-site\r\n", lk.csrf));
}

static void test_origin(void **state)
{
	(void)state;
	/* The public URL's origin, or the Host the request came to. */
	assert_true(ok_with("Origin: https://f.example.dk\r\n", lk.csrf));
	assert_true(ok_with("Origin: http://127.0.0.1:8080\r\n", lk.csrf));
	assert_false(ok_with("Origin: https://evil.example\r\n", lk.csrf));
	assert_false(ok_with("Origin: https://f.example.dk.evil.example\r\n",
			     lk.csrf));
	/* What every form POST carries from a page under no-referrer: the
	 * csrf field and Sec-Fetch-Site guard it. */
	assert_true(ok_with("Origin: null\r\n", lk.csrf));
	assert_false(ok_with("Origin: null\r\nSec-Fetch-Site: cross-site\r\n",
			     "0000000000000000"));
	assert_false(ok_with("Origin: https://evil.example\r\n"
			     "Sec-Fetch-Site: same-origin\r\n",
			     lk.csrf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_url),
		cmocka_unit_test(test_csrf_value),
		cmocka_unit_test(test_fetch_site),
		cmocka_unit_test(test_origin),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
