/*
 * Token look-up with a small cache (see auth.h). Every cached entry is
 * compared in constant time, whichever matches, so timing tells nothing
 * about which tokens are known.
 */
#include "fremdrift/auth.h"

#include "fremdrift/buf.h"
#include "fremdrift/err.h"
#include "fremdrift/pseudonym.h"
#include "fremdrift/record.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_CACHE_MAX 256

struct token_entry {
	unsigned char hash[32];
	char source[REC_SOURCE_MAX + 1];
	char role[16];
	uint64_t expires;
};

struct auth {
	uv_loop_t *loop;
	struct pgc *pg;
	struct token_entry tokens[AUTH_CACHE_MAX];
	int ntokens;
};

/* One look-up in flight. */
struct lookup {
	struct auth *auth;
	unsigned char hash[32];
	auth_cb cb;
	void *data;
};

/* Forgets every cached token. */
static void forget(struct auth *a)
{
	OPENSSL_cleanse(a->tokens, sizeof(a->tokens));
	a->ntokens = 0;
}

/* Tokens changed in the database (sql/current/70_tokens.sql): look every
 * token up again, so a revoked one stops working at once. */
static void on_notify(struct pgc *c, const char *channel, const char *payload,
		      void *data)
{
	(void)c;
	(void)payload;
	if (strcmp(channel, AUTH_CHANNEL) == 0)
		forget(data);
}

struct auth *auth_new(uv_loop_t *loop, struct pgc *pg)
{
	struct auth *a = fr_xcalloc(1, sizeof(*a));

	a->loop = loop;
	a->pg = pg;
	pgc_on_notify(pg, on_notify, a);
	return a;
}

void auth_connection_up(struct auth *a)
{
	/* A revocation while the connection was down went unheard. */
	forget(a);
	pgc_exec(a->pg, "LISTEN " AUTH_CHANNEL, NULL, NULL);
}

void auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

static struct token_entry *cached(struct auth *a, const unsigned char hash[32])
{
	uint64_t now = uv_now(a->loop);
	struct token_entry *hit = NULL;

	for (int i = 0; i < a->ntokens; i++)
		if (CRYPTO_memcmp(a->tokens[i].hash, hash, 32) == 0 &&
		    a->tokens[i].expires > now)
			hit = &a->tokens[i];
	return hit;
}

/* An expired entry, or the first one when the cache is full. */
static struct token_entry *free_slot(struct auth *a)
{
	int slot = a->ntokens;

	for (int i = 0; i < a->ntokens; i++)
		if (a->tokens[i].expires <= uv_now(a->loop))
			slot = i;
	if (slot == AUTH_CACHE_MAX)
		slot = 0;
	else if (slot == a->ntokens)
		a->ntokens++;
	return &a->tokens[slot];
}

static void on_token(struct pgc *c, PGresult *res, const char *error,
		     void *data)
{
	struct lookup *l = data;
	struct auth *a = l->auth;

	(void)c;
	(void)error;
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		/* Many connections that start at once look the same token up
		 * together: it takes one entry, not one each (every request
		 * compares against every entry). */
		struct token_entry *e = cached(a, l->hash);

		if (e == NULL)
			e = free_slot(a);

		memcpy(e->hash, l->hash, 32);
		snprintf(e->source, sizeof(e->source), "%s", PQgetvalue(res, 0, 0));
		snprintf(e->role, sizeof(e->role), "%s", PQgetvalue(res, 0, 1));
		e->expires = uv_now(a->loop) + AUTH_CACHE_MS;
		l->cb(e->source, e->role, l->data);
	} else {
		l->cb(NULL, NULL, l->data);
	}
	free(l);
}

int auth_check(struct auth *a, const char *authorization, auth_cb cb,
	       void *data)
{
	char hex[2 + 64 + 1];
	const char *params[1] = {hex};
	const struct token_entry *e;
	unsigned char hash[32];
	unsigned int n = 0;
	struct lookup *l;
	const char *tok;

	if (authorization == NULL ||
	    strncasecmp(authorization, "Bearer ", 7) != 0) {
		cb(NULL, NULL, data);
		return 0;
	}
	tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	EVP_Digest(tok, strlen(tok), hash, &n, EVP_sha256(), NULL);
	e = cached(a, hash);
	if (e) {
		/* The common case: every request is checked on its headers,
		 * so a cached token costs no allocation. */
		cb(e->source, e->role, data);
		return 0;
	}
	l = fr_xcalloc(1, sizeof(*l));
	memcpy(l->hash, hash, 32);
	l->auth = a;
	l->cb = cb;
	l->data = data;
	memcpy(hex, "\\x", 2);
	pseud_hex(l->hash, 32, hex + 2);
	if (pgc_query(a->pg,
		      "SELECT source, role FROM fremdrift.api_tokens WHERE "
		      "token_sha256 = $1 AND revoked_at IS NULL",
		      1, params, 0, on_token, l) != 0) {
		free(l);
		return FR_EDB;
	}
	return 0;
}
