#include "fremdrift/pseudonym.h"

#include "fremdrift/hex.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

struct pseud_ctx {
	EVP_MAC_CTX *mac;
};

int pseud_ctx_new(const unsigned char *key, size_t len,
		  struct pseud_ctx **out, struct fr_err *err)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac = NULL;
	struct pseud_ctx *ctx;

	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return fr_err_set(err, FR_ECRYPTO, NULL, "out of memory");
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto fail;
	ctx->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* the context keeps its own reference */
	if (ctx->mac == NULL)
		goto fail;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* An empty key is legal HMAC; OpenSSL wants a non-NULL pointer. */
	if (!EVP_MAC_init(ctx->mac, len ? key : (const unsigned char *)"", len,
			  params))
		goto fail;
	*out = ctx;
	return 0;
fail:
	pseud_ctx_free(ctx);
	return fr_err_set(err, FR_ECRYPTO, NULL,
			  "OpenSSL could not set up HMAC-SHA256");
}

void pseud_ctx_free(struct pseud_ctx *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MAC_CTX_free(ctx->mac);
	free(ctx);
}

int pseud_mac(struct pseud_ctx *ctx, const char *label, const void *msg,
	      size_t len, unsigned char out[PSEUD_LEN])
{
	size_t outlen = 0;

	/* A NULL key re-initialises with the key already set: no re-keying. */
	if (!EVP_MAC_init(ctx->mac, NULL, 0, NULL))
		return FR_ECRYPTO;
	if (label != NULL &&
	    !EVP_MAC_update(ctx->mac, (const unsigned char *)label,
			    strlen(label) + 1))
		return FR_ECRYPTO;
	if (!EVP_MAC_update(ctx->mac, msg, len))
		return FR_ECRYPTO;
	if (!EVP_MAC_final(ctx->mac, out, &outlen, PSEUD_LEN) ||
	    outlen != PSEUD_LEN)
		return FR_ECRYPTO;
	return 0;
}

int pseud_citizen(struct pseud_ctx *ctx, const char digits[10],
		  unsigned char out[PSEUD_LEN])
{
	return pseud_mac(ctx, PSEUD_LABEL_CITIZEN, digits, 10, out);
}

int pseud_extract(struct pseud_ctx *project, const unsigned char live[PSEUD_LEN],
		  unsigned char out[PSEUD_LEN])
{
	return pseud_mac(project, PSEUD_LABEL_EXTRACT, live, PSEUD_LEN, out);
}

int pseud_ident_hex(struct pseud_ctx *ctx, enum pseud_ident kind,
		    const char *text, size_t len, char out[PSEUD_HEX_LEN + 1])
{
	unsigned char mac[PSEUD_LEN];

	if (pseud_mac(ctx,
		      kind == PSEUD_COURSE ? PSEUD_LABEL_COURSE
					   : PSEUD_LABEL_RECORD_ID,
		      text, len, mac) != 0)
		return FR_ECRYPTO;
	pseud_hex(mac, PSEUD_LEN, out);
	return 0;
}

void pseud_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int pseud_unhex(const char *hex, size_t hexlen, unsigned char *out, size_t n)
{
	if (hexlen != 2 * n)
		return FR_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int hi = fr_hex_digit(hex[2 * i]), lo = fr_hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return FR_EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* RFC 4231 §4.2-4.8, all but the truncated test case 5. */
static const struct {
	const char *key, *data, *mac;
} rfc4231[] = {
	{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	{"4a656665",
	 "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	 "dddddddddddddddddddddddddddddddd",
	 "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
	{"0102030405060708090a0b0c0d0e0f10111213141516171819",
	 "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	 "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
	 "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaa",
	 "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
	 "65204b6579202d2048617368204b6579204669727374",
	 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 "aaaaaa",
	 "5468697320697320612074657374207573696e672061206c6172676572207468"
	 "616e20626c6f636b2d73697a65206b657920616e642061206c61726765722074"
	 "68616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565"
	 "647320746f20626520686173686564206265666f7265206265696e6720757365"
	 "642062792074686520484d414320616c676f726974686d2e",
	 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

int pseud_selftest(struct fr_err *err)
{
	static const int case_no[] = {1, 2, 3, 4, 6, 7};
	unsigned char key[200], data[200], want[PSEUD_LEN], got[PSEUD_LEN];
	int rc = 0;

	for (size_t i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
		size_t klen = strlen(rfc4231[i].key) / 2;
		size_t dlen = strlen(rfc4231[i].data) / 2;
		struct pseud_ctx *ctx;

		pseud_unhex(rfc4231[i].key, 2 * klen, key, klen);
		pseud_unhex(rfc4231[i].data, 2 * dlen, data, dlen);
		pseud_unhex(rfc4231[i].mac, PSEUD_HEX_LEN, want, PSEUD_LEN);
		if (pseud_ctx_new(key, klen, &ctx, err) != 0)
			return FR_ECRYPTO;
		/* Twice through one context: the second run is the reuse path. */
		for (int round = 0; round < 2 && rc == 0; round++) {
			if (pseud_mac(ctx, NULL, data, dlen, got) != 0 ||
			    CRYPTO_memcmp(got, want, PSEUD_LEN) != 0)
				rc = fr_err_set(
					err, FR_ECRYPTO, NULL,
					"HMAC-SHA256 self-test failed on RFC 4231 "
					"test case %d (round %d): this OpenSSL "
					"computes wrong MACs; upgrade it",
					case_no[i], round + 1);
		}
		pseud_ctx_free(ctx);
		if (rc != 0)
			return rc;
	}
	return 0;
}
