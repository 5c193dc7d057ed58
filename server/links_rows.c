/*
 * The rows of the invitation SQL (link_token.h's link_sql_*) made into
 * answers: what POST /api/v1/invitations, GET /api/v1/invitations/due and
 * `fremdrift invite` print. One place, so the HTTP API and the command
 * cannot differ.
 */
#include "fremdrift/links.h"

#include "fremdrift/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns of link_sql_get / link_sql_issue. */
enum { G_STATUS, G_ID, G_COURSE, G_INSTRUMENT, G_RESPONDENT, G_ROUND,
       G_NONCE, G_EXPIRES };
/* Columns of link_sql_due. */
enum { D_COURSE, D_INSTRUMENT, D_RESPONDENT, D_ROUND, D_OPENS_ON, D_STATE,
       D_NONCE, D_EXPIRES };

const char *links_respondent_word(char respondent)
{
	return respondent == 'k' ? "consultant" : "citizen";
}

int links_fresh(struct pseud_ctx *pseud, char nonce_hex[2 * LINK_NONCE_LEN + 1],
		char hash_hex[2 * LINK_HASH_LEN + 1])
{
	unsigned char nonce[LINK_NONCE_LEN], hash[LINK_HASH_LEN];
	char token[LINK_TOKEN_LEN + 1];
	int rc;

	rc = link_nonce(nonce);
	rc = rc ? rc : link_token(pseud, nonce, token);
	rc = rc ? rc : link_token_hash(token, hash);
	if (rc == 0) {
		pseud_hex(nonce, LINK_NONCE_LEN, nonce_hex);
		pseud_hex(hash, LINK_HASH_LEN, hash_hex);
	}
	memset(token, 0, sizeof(token));
	return rc;
}

int links_url_of(struct pseud_ctx *pseud, const char *public_url,
		 const char *nonce_hex, char url[LINKS_URL_MAX])
{
	unsigned char nonce[LINK_NONCE_LEN];
	char token[LINK_TOKEN_LEN + 1];
	int rc;

	if (nonce_hex == NULL ||
	    pseud_unhex(nonce_hex, strlen(nonce_hex), nonce, LINK_NONCE_LEN))
		return FR_EINVAL;
	rc = link_token(pseud, nonce, token);
	rc = rc ? rc : link_url(public_url, token, url, LINKS_URL_MAX);
	memset(token, 0, sizeof(token));
	return rc;
}

json_t *links_get_json(PGresult *res, int row, struct pseud_ctx *pseud,
		       const char *public_url)
{
	char url[LINKS_URL_MAX];

	if (links_url_of(pseud, public_url, PQgetvalue(res, row, G_NONCE),
			 url) != 0)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "url", url, "course",
			 PQgetvalue(res, row, G_COURSE), "instrument",
			 PQgetvalue(res, row, G_INSTRUMENT), "respondent",
			 links_respondent_word(
				 *PQgetvalue(res, row, G_RESPONDENT)),
			 "round", atoi(PQgetvalue(res, row, G_ROUND)),
			 "expires_at", PQgetvalue(res, row, G_EXPIRES));
}

/* Appends "s" (an array element, quoted) to b. The values are hex, an
 * instrument name or one letter; quoting keeps any of them whole. */
static void array_add(struct fr_buf *b, const char *s)
{
	fr_buf_append(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fr_buf_append(b, "\\", 1);
		fr_buf_append(b, s, 1);
	}
	fr_buf_append(b, "\"", 1);
}

int links_due_need(PGresult *due, struct pseud_ctx *pseud,
		   char *params[5])
{
	struct fr_buf b[5];
	int n = 0;

	for (int k = 0; k < 5; k++) {
		fr_buf_init(&b[k], LINKS_TEXT_MAX);
		fr_buf_append(&b[k], "{", 1);
	}
	for (int i = 0; i < PQntuples(due); i++) {
		char nonce[2 * LINK_NONCE_LEN + 1], hash[2 * LINK_HASH_LEN + 1];

		if (!PQgetisnull(due, i, D_NONCE))
			continue;
		if (links_fresh(pseud, nonce, hash) != 0)
			goto fail;
		array_add(&b[0], PQgetvalue(due, i, D_COURSE));
		array_add(&b[1], PQgetvalue(due, i, D_INSTRUMENT));
		array_add(&b[2], PQgetvalue(due, i, D_RESPONDENT));
		array_add(&b[3], nonce);
		array_add(&b[4], hash);
		n++;
	}
	for (int k = 0; k < 5; k++) {
		fr_buf_append(&b[k], "}", 1);
		params[k] = b[k].data; /* NUL-terminated, now the caller's */
	}
	return n;
fail:
	for (int k = 0; k < 5; k++)
		fr_buf_free(&b[k]);
	return FR_ECRYPTO;
}

/* The issued row (link_sql_issue, in the order of the due rows that
 * needed one) of due row i, or -1. */
static int issued_row(PGresult *due, PGresult *issued, int i)
{
	int k = 0;

	if (issued == NULL)
		return -1;
	for (int j = 0; j < i; j++)
		k += PQgetisnull(due, j, D_NONCE);
	if (k >= PQntuples(issued) ||
	    PQgetisnull(issued, k, G_NONCE))
		return -1;
	return k;
}

json_t *links_due_json(PGresult *due, PGresult *issued,
		       struct pseud_ctx *pseud, const char *public_url)
{
	json_t *rows = json_array();

	for (int i = 0; i < PQntuples(due); i++) {
		const char *nonce = PQgetvalue(due, i, D_NONCE);
		const char *expires = PQgetvalue(due, i, D_EXPIRES);
		char url[LINKS_URL_MAX];

		if (PQgetisnull(due, i, D_NONCE)) {
			int k = issued_row(due, issued, i);

			if (k < 0)
				continue; /* the course ended meanwhile */
			nonce = PQgetvalue(issued, k, G_NONCE);
			expires = PQgetvalue(issued, k, G_EXPIRES);
		}
		if (links_url_of(pseud, public_url, nonce, url) != 0)
			continue;
		json_array_append_new(
			rows,
			json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}",
				  "course", PQgetvalue(due, i, D_COURSE),
				  "instrument",
				  PQgetvalue(due, i, D_INSTRUMENT),
				  "respondent",
				  links_respondent_word(
					  *PQgetvalue(due, i, D_RESPONDENT)),
				  "round", atoi(PQgetvalue(due, i, D_ROUND)),
				  "opens_on", PQgetvalue(due, i, D_OPENS_ON),
				  "state", PQgetvalue(due, i, D_STATE), "url",
				  url, "expires_at", expires));
	}
	return rows;
}

char *links_due_csv(const json_t *rows)
{
	static const char *const cols[] = {"course", "instrument",
					   "respondent", "round", "opens_on",
					   "state", "url", "expires_at"};
	struct fr_buf b;
	size_t i;
	json_t *row;

	fr_buf_init(&b, LINKS_TEXT_MAX);
	fr_buf_printf(&b, "course,instrument,respondent,round,opens_on,"
			   "state,url,expires_at\n");
	/* No value needs quoting: hex, names, dates, numbers and URLs of
	 * base64url tokens hold no comma, quote or line break. */
	json_array_foreach(rows, i, row) {
		for (int c = 0; c < 8; c++) {
			json_t *v = json_object_get(row, cols[c]);

			long long x = json_integer_value(v);

			if (json_is_integer(v))
				fr_buf_printf(&b, "%s%lld", c ? "," : "", x);
			else
				fr_buf_printf(&b, "%s%s", c ? "," : "",
					       json_string_value(v));
		}
		fr_buf_append(&b, "\n", 1);
	}
	return b.data; /* NUL-terminated, now the caller's */
}
