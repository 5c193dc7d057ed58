/*
 * Link tokens (docs/links.md, "The token"): pure code, no I/O but the OS's
 * random source for nonces.
 *
 *   nonce      = 16 random bytes (OpenSSL RAND_bytes)
 *   token      = the first 22 characters of
 *                base64url(HMAC-SHA256(key, "fremdrift-link\0" || nonce))
 *   token_hash = SHA-256(token)           (what the database holds)
 *   csrf       = the first 16 hex digits of
 *                HMAC-SHA256(key, "fremdrift-csrf\0" || token)
 *
 * The key is the citizen pseudonym key: it never enters the database, so
 * the nonce and hash stored there give no token without the key file.
 * A token is a secret: never pass it to a logging call, an error message
 * or SQL text (a hash, as a parameter, is fine).
 *
 * Threads: any, with a pseud_ctx owned by the calling thread.
 */
#ifndef FREMDRIFT_LINK_TOKEN_H
#define FREMDRIFT_LINK_TOKEN_H

#include <stddef.h>

#include "fremdrift/pseudonym.h"

#define LINK_NONCE_LEN 16
#define LINK_TOKEN_LEN 22 /* base64url characters: 132 bits */
#define LINK_HASH_LEN 32
#define LINK_CSRF_LEN 16  /* hex digits */
#define LINK_LABEL_TOKEN "fremdrift-link"
#define LINK_LABEL_CSRF "fremdrift-csrf"

/* 16 fresh random bytes from the OS. 0 or FR_ECRYPTO. */
int link_nonce(unsigned char nonce[LINK_NONCE_LEN]);

/* The token of nonce under ctx's key, NUL-terminated. 0 or FR_ECRYPTO. */
int link_token(struct pseud_ctx *ctx, const unsigned char nonce[LINK_NONCE_LEN],
	       char token[LINK_TOKEN_LEN + 1]);

/* SHA-256 of the token's 22 characters. 0 or FR_ECRYPTO. */
int link_token_hash(const char *token, unsigned char hash[LINK_HASH_LEN]);

/* The CSRF value of token under ctx's key, NUL-terminated. 0 or
 * FR_ECRYPTO. */
int link_csrf(struct pseud_ctx *ctx, const char *token,
	      char csrf[LINK_CSRF_LEN + 1]);

/* 1 if the len bytes at s are exactly LINK_TOKEN_LEN base64url
 * characters. */
int link_token_shaped(const char *s, size_t len);

/*
 * The token in s: s itself when it is token-shaped, or the path segment
 * after the last "/l/" of a link URL (what follows it, "/q/3" or "?x",
 * ignored). 0 with the token in out, or FR_EINVAL.
 */
int link_token_from(const char *s, char out[LINK_TOKEN_LEN + 1]);

/*
 * The link of token: public_url (its trailing '/' dropped), "/l/", token,
 * into out (size bytes). 0, or FR_ETOOBIG when it does not fit.
 */
int link_url(const char *public_url, const char *token, char *out,
	     size_t size);

/*
 * The SQL both the HTTP API (server/links_api.c) and `fremdrift invite`
 * run, so the two cannot differ (the functions are in
 * sql/current/95_invitations.sql):
 *
 * link_sql_get: $1 course hex, $2 instrument ("" for the respondent's
 * default), $3 respondent ('c' or 'k'), $4 nonce hex, $5 token hash hex
 * (used only if a new link is needed), $6 the asking token's source
 * (NULL: any; a course another source started is 'unknown_course'). One
 * row: status ('created',
 * 'renewed', 'open', 'answered', 'unknown_course', 'course_ended',
 * 'unknown_instrument'), id, course, instrument, respondent, round,
 * nonce hex, expires_at (RFC 3339, UTC).
 *
 * link_sql_due: $1 the asking token's source (NULL: every source's
 * courses). The due rounds: course, instrument,
 * respondent, round, opens_on, state, nonce hex (NULL when the round needs
 * a new link), expires_at.
 *
 * link_sql_issue: $1..$5 as link_sql_get (any source: the rows come from
 * a due list already kept to one) but arrays ('{...}') of course,
 * instrument, respondent, nonce hex and hash hex: link_sql_get's rows,
 * one per element, in order.
 *
 * link_sql_revoke: $1 token hash hex. The number of links revoked (0/1).
 * The draft goes with it (a link revoked because it reached the wrong
 * person must not show the next holder the answers so far); an answered
 * round is not revoked (its response is stored; erase removes it).
 */
extern const char link_sql_get[];
extern const char link_sql_due[];
extern const char link_sql_issue[];
extern const char link_sql_revoke[];

#endif
