/*
 * Keyed pseudonyms (docs/architecture.md).
 *
 *   citizen pseudonym = HMAC-SHA256(key, "fremdrift/v1/citizen\0" || ten digits)
 *   extract pseudonym = HMAC-SHA256(project key,
 *                                   "fremdrift/v1/extract\0" || pseudonym)
 *   course key        = HMAC-SHA256(key, "fremdrift/v1/course\0" || key as given)
 *   record id         = HMAC-SHA256(key, "fremdrift/v1/record-id\0" || id as given)
 *
 * A source system's course key or record id is an identifier too, for
 * anyone who can look it up there, so it is stored only as the lowercase
 * hex of its keyed pseudonym (issue 14); the same text always gives the
 * same pseudonym, so a course's events and responses still meet and a
 * record sent again is still a duplicate.
 *
 * A struct pseud_ctx holds one pre-keyed OpenSSL EVP_MAC_CTX and is
 * re-initialised with a NULL key for every record, which is what makes this
 * fast. It is NOT thread-safe: every thread makes its own from the key.
 *
 * OpenSSL 3.0.0 to 3.0.2 silently computed wrong MACs when a context was
 * re-initialised that way, so pseud_selftest checks the RFC 4231 vectors
 * through the very same reuse path; fremdrift refuses to run if it fails.
 */
#ifndef FREMDRIFT_PSEUDONYM_H
#define FREMDRIFT_PSEUDONYM_H

#include <stddef.h>

#include "fremdrift/err.h"

#define PSEUD_LEN 32     /* bytes in a pseudonym */
#define PSEUD_HEX_LEN 64 /* characters in its hex form, without NUL */
#define PSEUD_KEY_MIN 32 /* the least key length accepted, in bytes */
#define PSEUD_KEY_MAX 64

#define PSEUD_LABEL_CITIZEN "fremdrift/v1/citizen"
#define PSEUD_LABEL_EXTRACT "fremdrift/v1/extract"
#define PSEUD_LABEL_COURSE "fremdrift/v1/course"
#define PSEUD_LABEL_RECORD_ID "fremdrift/v1/record-id"

/* The identifiers of source systems that are stored as pseudonyms. */
enum pseud_ident { PSEUD_COURSE, PSEUD_RECORD_ID };

struct pseud_ctx;

/*
 * Checks HMAC-SHA256 against the RFC 4231 test cases, each computed twice
 * through one context (keyed, then re-initialised with a NULL key).
 * 0, or FR_ECRYPTO with err saying which case failed. Any thread.
 */
int pseud_selftest(struct fr_err *err);

/*
 * Makes a context keyed with len bytes at key (borrowed; copied into
 * OpenSSL's own memory). len may be any size for the RFC tests; key files
 * enforce PSEUD_KEY_MIN. 0 or FR_ECRYPTO.
 */
int pseud_ctx_new(const unsigned char *key, size_t len,
		  struct pseud_ctx **out, struct fr_err *err);

/* Frees the context; OpenSSL wipes the key copy. NULL is fine. */
void pseud_ctx_free(struct pseud_ctx *ctx);

/*
 * HMAC of label, a NUL byte, then msg (all borrowed), under the context's
 * key, into out. label may be NULL for a plain HMAC of msg (self-tests).
 * 0 or FR_ECRYPTO.
 */
int pseud_mac(struct pseud_ctx *ctx, const char *label, const void *msg,
	      size_t len, unsigned char out[PSEUD_LEN]);

/* The citizen pseudonym of a canonical ten-digit CPR number. */
int pseud_citizen(struct pseud_ctx *ctx, const char digits[10],
		  unsigned char out[PSEUD_LEN]);

/* The extract pseudonym of a live pseudonym under a project key. */
int pseud_extract(struct pseud_ctx *project, const unsigned char live[PSEUD_LEN],
		  unsigned char out[PSEUD_LEN]);

/*
 * The stored form of a source system's identifier of kind: the lowercase
 * hex of the HMAC of its label, a NUL byte and the len bytes at text
 * (borrowed; exactly as given, nothing trimmed or folded), into out.
 * 0 or FR_ECRYPTO.
 */
int pseud_ident_hex(struct pseud_ctx *ctx, enum pseud_ident kind,
		    const char *text, size_t len, char out[PSEUD_HEX_LEN + 1]);

/* Lowercase hex of n bytes into out, which must hold 2n+1 chars. */
void pseud_hex(const unsigned char *in, size_t n, char *out);

/* Parses exactly 2n hex digits into n bytes. 0 or FR_EINVAL. */
int pseud_unhex(const char *hex, size_t hexlen, unsigned char *out, size_t n);

#endif
