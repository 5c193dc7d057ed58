/*
 * `fremdrift token create|list|revoke`: API tokens. A token is printed
 * once; the database keeps only its SHA-256.
 */
#include "cli.h"
#include "fremdrift/db.h"

#include "fremdrift/pseudonym.h"

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

static int usage(FILE *out)
{
	fprintf(out,
		"usage: fremdrift token create --source NAME --role "
		"ingest|dashboard|analyst\n"
		"       fremdrift token list\n"
		"       fremdrift token revoke --source NAME\n\n"
		"create prints a new API token once (keep it: only its hash is "
		"stored). Send it\nas `Authorization: Bearer <token>`. An ingest "
		"token's records get NAME as their\nsource unless they name "
		"one. revoke stops every token of that source (within\na "
		"minute in a running server).\n");
	return out == stdout ? EXIT_OK : EXIT_FATAL;
}

int cmd_token(int argc, char **argv, const struct fr_config *cfg)
{
	const char *sub = argc > 1 ? argv[1] : "", *source = NULL, *role = NULL;
	PGconn *conn;
	PGresult *res;
	int rc = EXIT_OK;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
		return usage(stdout);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
			source = argv[++i];
		else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (strcmp(argv[i], "--help") == 0)
			return usage(stdout);
		else
			return usage(stderr);
	}
	if (strcmp(sub, "create") == 0) {
		unsigned char raw[32], md[32];
		char token[3 + 64 + 1], hex[2 * 32 + 3];
		const char *params[3];
		unsigned int mdlen = 0;

		if (source == NULL || role == NULL ||
		    (strcmp(role, "ingest") && strcmp(role, "dashboard") &&
		     strcmp(role, "analyst")))
			return usage(stderr);
		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			fprintf(stderr, "fremdrift token: no randomness\n");
			return EXIT_FATAL;
		}
		memcpy(token, "fr_", 3);
		pseud_hex(raw, sizeof(raw), token + 3);
		EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL);
		memcpy(hex, "\\x", 2);
		pseud_hex(md, sizeof(md), hex + 2);
		params[0] = hex;
		params[1] = source;
		params[2] = role;
		if ((conn = db_connect(cfg, "token")) == NULL)
			return EXIT_FATAL;
		res = PQexecParams(conn,
				   "INSERT INTO fremdrift.api_tokens "
				   "(token_sha256, source, role) VALUES ($1, $2, $3)",
				   3, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "fremdrift token: %s",
				PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
					? PQresultErrorField(res,
							     PG_DIAG_MESSAGE_PRIMARY)
					: "failed");
			fprintf(stderr, "\n(a source is 1 to 64 letters, digits, "
					"'_', '.' or '-')\n");
			rc = EXIT_FATAL;
		} else {
			printf("%s\n", token);
			fprintf(stderr, "token for source %s, role %s; shown "
					"once, only its hash is stored\n",
				source, role);
		}
		PQclear(res);
		OPENSSL_cleanse(raw, sizeof(raw));
		OPENSSL_cleanse(token, sizeof(token));
		PQfinish(conn);
		return rc;
	}
	if (strcmp(sub, "list") == 0) {
		if ((conn = db_connect(cfg, "token")) == NULL)
			return EXIT_FATAL;
		res = PQexec(conn, "SELECT source, role, created_at, "
				   "coalesce(revoked_at::text, '') FROM "
				   "fremdrift.api_tokens ORDER BY created_at");
		printf("%-24s %-10s %-32s %s\n", "source", "role", "created",
		       "revoked");
		for (int r = 0; r < PQntuples(res); r++)
			printf("%-24s %-10s %-32s %s\n", PQgetvalue(res, r, 0),
			       PQgetvalue(res, r, 1), PQgetvalue(res, r, 2),
			       PQgetvalue(res, r, 3));
		PQclear(res);
		PQfinish(conn);
		return EXIT_OK;
	}
	if (strcmp(sub, "revoke") == 0 && source) {
		const char *params[1] = {source};

		if ((conn = db_connect(cfg, "token")) == NULL)
			return EXIT_FATAL;
		res = PQexecParams(conn,
				   "UPDATE fremdrift.api_tokens SET revoked_at = "
				   "now() WHERE source = $1 AND revoked_at IS NULL",
				   1, NULL, params, NULL, NULL, 0);
		printf("revoked %s token(s) of source %s\n", PQcmdTuples(res),
		       source);
		PQclear(res);
		PQfinish(conn);
		return EXIT_OK;
	}
	return usage(stderr);
}
