#include "fremdrift/link_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

int link_nonce(unsigned char nonce[LINK_NONCE_LEN])
{
	return RAND_bytes(nonce, LINK_NONCE_LEN) == 1 ? 0 : FR_ECRYPTO;
}

/* base64url without padding of the first bits of in, LINK_TOKEN_LEN
 * characters (6 bits each) into out. */
static void base64url(const unsigned char *in, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_";

	for (int i = 0; i < LINK_TOKEN_LEN; i++) {
		int bit = i * 6, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)in[byte] << 8 | in[byte + 1];

		out[i] = alphabet[(v >> (10 - shift)) & 63];
	}
	out[LINK_TOKEN_LEN] = '\0';
}

int link_token(struct pseud_ctx *ctx, const unsigned char nonce[LINK_NONCE_LEN],
	       char token[LINK_TOKEN_LEN + 1])
{
	unsigned char mac[PSEUD_LEN];

	if (pseud_mac(ctx, LINK_LABEL_TOKEN, nonce, LINK_NONCE_LEN, mac) != 0)
		return FR_ECRYPTO;
	/* 22 characters use 132 bits: bytes 0..16, and byte 17 is read by
	 * the last character's pair (mac has 32). */
	base64url(mac, token);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int link_token_hash(const char *token, unsigned char hash[LINK_HASH_LEN])
{
	unsigned int n = 0;

	if (!EVP_Digest(token, strlen(token), hash, &n, EVP_sha256(), NULL) ||
	    n != LINK_HASH_LEN)
		return FR_ECRYPTO;
	return 0;
}

int link_csrf(struct pseud_ctx *ctx, const char *token,
	      char csrf[LINK_CSRF_LEN + 1])
{
	unsigned char mac[PSEUD_LEN];
	char hex[PSEUD_HEX_LEN + 1];

	if (pseud_mac(ctx, LINK_LABEL_CSRF, token, strlen(token), mac) != 0)
		return FR_ECRYPTO;
	pseud_hex(mac, PSEUD_LEN, hex);
	memcpy(csrf, hex, LINK_CSRF_LEN);
	csrf[LINK_CSRF_LEN] = '\0';
	return 0;
}

int link_token_shaped(const char *s, size_t len)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";

	if (len != LINK_TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(chars, s[i]) == NULL)
			return 0;
	return 1;
}

int link_token_from(const char *s, char out[LINK_TOKEN_LEN + 1])
{
	const char *p = s, *q;
	size_t n;

	/* The segment after the last "/l/", up to '/', '?' or '#'. */
	while ((q = strstr(p, "/l/")) != NULL)
		p = s = q + 3;
	n = strcspn(s, "/?#");
	if (!link_token_shaped(s, n))
		return FR_EINVAL;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int link_url(const char *public_url, const char *token, char *out,
	     size_t size)
{
	size_t n = strlen(public_url);
	int w;

	while (n > 0 && public_url[n - 1] == '/')
		n--;
	w = snprintf(out, size, "%.*s/l/%s", (int)n, public_url, token);
	return w < 0 || (size_t)w >= size ? FR_ETOOBIG : 0;
}

/* The SQL functions are sql/current/95_invitations.sql's. */
const char link_sql_get[] =
	"SELECT * FROM fremdrift.invitation_get($1, $2, $3::\"char\", "
	"decode($4, 'hex'), decode($5, 'hex'), $6)";

const char link_sql_due[] = "SELECT * FROM fremdrift.invitations_due($1)";

const char link_sql_issue[] =
	"SELECT g.* FROM unnest($1::text[], $2::text[], $3::text[], "
	"$4::text[], $5::text[]) WITH ORDINALITY AS u(c, i, r, n, h, k), "
	"LATERAL fremdrift.invitation_get(u.c, u.i, u.r::\"char\", "
	"decode(u.n, 'hex'), decode(u.h, 'hex')) g ORDER BY u.k";

const char link_sql_revoke[] =
	"UPDATE fremdrift.invitations SET revoked_at = now(), draft = '{}' "
	"WHERE token_hash = decode($1, 'hex') AND revoked_at IS NULL "
	"AND answered_at IS NULL";
