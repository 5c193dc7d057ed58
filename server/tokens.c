/*
 * `fremdrift token create|list|revoke` (see tokens.h).
 */
#include "fremdrift/tokens.h"

#include "fremdrift/db.h"
#include "fremdrift/err.h"
#include "fremdrift/pseudonym.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

int tokens_role_ok(const char *role)
{
	return strcmp(role, "ingest") == 0 || strcmp(role, "dashboard") == 0 ||
	       strcmp(role, "analyst") == 0;
}

/* Runs one statement on a migrated database; NULL after printing why. */
static PGresult *run(const struct fr_config *cfg, const char *sql,
		     int nparams, const char *const *params)
{
	PGconn *conn = db_connect_migrated(cfg, "token");
	PGresult *res;

	if (conn == NULL)
		return NULL;
	res = db_query(conn, "token", sql, nparams, params);
	PQfinish(conn);
	return res;
}

int tokens_create(const struct fr_config *cfg, const char *source,
		  const char *role)
{
	unsigned char raw[32], md[32];
	char token[3 + 64 + 1], hex[2 * 32 + 3];
	const char *params[3] = {hex, source, role};
	unsigned int mdlen = 0;
	PGresult *res;

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		fprintf(stderr, "fremdrift token: no randomness\n");
		return FR_EXIT_FATAL;
	}
	memcpy(token, "fr_", 3);
	pseud_hex(raw, sizeof(raw), token + 3);
	OPENSSL_cleanse(raw, sizeof(raw));
	EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL);
	memcpy(hex, "\\x", 2);
	pseud_hex(md, sizeof(md), hex + 2);
	res = run(cfg,
		  "INSERT INTO fremdrift.api_tokens (token_sha256, source, role) "
		  "VALUES ($1, $2, $3)",
		  3, params);
	if (res != NULL) {
		printf("%s\n", token);
		fprintf(stderr, "token for source %s, role %s; shown once, only "
				"its hash is stored\n",
			source, role);
		PQclear(res);
	}
	OPENSSL_cleanse(token, sizeof(token));
	return res ? FR_EXIT_OK : FR_EXIT_FATAL;
}

int tokens_list(const struct fr_config *cfg)
{
	PGresult *res = run(cfg,
			    "SELECT source, role, created_at, "
			    "coalesce(revoked_at::text, '') FROM "
			    "fremdrift.api_tokens ORDER BY created_at",
			    0, NULL);

	if (res == NULL)
		return FR_EXIT_FATAL;
	printf("%-24s %-10s %-32s %s\n", "source", "role", "created",
	       "revoked");
	for (int r = 0; r < PQntuples(res); r++)
		printf("%-24s %-10s %-32s %s\n", PQgetvalue(res, r, 0),
		       PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
		       PQgetvalue(res, r, 3));
	PQclear(res);
	return FR_EXIT_OK;
}

int tokens_revoke(const struct fr_config *cfg, const char *source)
{
	const char *params[1] = {source};
	PGresult *res = run(cfg,
			    "UPDATE fremdrift.api_tokens SET revoked_at = now() "
			    "WHERE source = $1 AND revoked_at IS NULL",
			    1, params);

	if (res == NULL)
		return FR_EXIT_FATAL;
	printf("revoked %s token(s) of source %s\n", PQcmdTuples(res), source);
	PQclear(res);
	return FR_EXIT_OK;
}
