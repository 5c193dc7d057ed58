/*
 * `fremdrift invite` (docs/links.md): a link for a course, the due list,
 * or a revocation, over a blocking connection and through the same SQL
 * and the same row code (links_rows.c) as the HTTP API.
 */
#include "fremdrift/links.h"

#include "fremdrift/config.h"
#include "fremdrift/db.h"
#include "fremdrift/keyfile.h"
#include "fremdrift/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHO "invite"

static PGresult *query(PGconn *conn, const char *sql, int n,
		       const char *const *params, ExecStatusType want)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != want) {
		db_report(WHO, res, conn);
		PQclear(res);
		return NULL;
	}
	return res;
}

static int print_link(PGconn *conn, struct pseud_ctx *pseud,
		      const struct fr_config *cfg,
		      const struct links_invite_opts *o)
{
	char course[PSEUD_HEX_LEN + 1], resp[2] = {o->respondent, 0};
	char nonce[2 * LINK_NONCE_LEN + 1], hash[2 * LINK_HASH_LEN + 1];
	char url[LINKS_URL_MAX];
	/* The operator's command: any source's course (NULL). */
	const char *params[6] = {course, o->instrument ? o->instrument : "",
				 resp, nonce, hash, NULL};
	const char *status;
	PGresult *res;
	int rc = FR_EXIT_FATAL;

	if (pseud_ident_hex(pseud, PSEUD_COURSE, o->course, strlen(o->course),
			    course) != 0 ||
	    links_fresh(pseud, nonce, hash) != 0) {
		fprintf(stderr, "fremdrift invite: the link could not be "
				"made (crypto)\n");
		return FR_EXIT_FATAL;
	}
	if ((res = query(conn, link_sql_get, 6, params, PGRES_TUPLES_OK)) ==
	    NULL)
		return FR_EXIT_FATAL;
	status = PQgetvalue(res, 0, 0);
	if (strcmp(status, "unknown_course") == 0)
		fprintf(stderr, "fremdrift invite: no course_started event "
				"has that course\n");
	else if (strcmp(status, "course_ended") == 0)
		fprintf(stderr, "fremdrift invite: the course has ended\n");
	else if (strcmp(status, "unknown_instrument") == 0)
		fprintf(stderr, "fremdrift invite: --instrument is not an "
				"instrument with a cadence for this "
				"respondent\n");
	else if (links_url_of(pseud, cfg->public_url, PQgetvalue(res, 0, 6),
			      url) == 0) {
		printf("%s\n", url);
		rc = FR_EXIT_OK;
	}
	PQclear(res);
	return rc;
}

static int print_due(PGconn *conn, struct pseud_ctx *pseud,
		     const struct fr_config *cfg)
{
	PGresult *due, *issued = NULL;
	char *params[5], *csv;
	const char *every[1] = {NULL}; /* every source's courses */
	json_t *rows;
	int n;

	if (db_exec(conn, WHO, "BEGIN") != 0)
		return FR_EXIT_FATAL;
	if ((due = query(conn, link_sql_due, 1, every, PGRES_TUPLES_OK)) ==
	    NULL)
		return FR_EXIT_FATAL;
	n = links_due_need(due, pseud, params);
	if (n > 0)
		issued = query(conn, link_sql_issue, 5,
			       (const char *const *)params, PGRES_TUPLES_OK);
	if (n >= 0)
		for (int k = 0; k < 5; k++)
			free(params[k]);
	if (n < 0 || (n > 0 && issued == NULL) ||
	    db_exec(conn, WHO, "COMMIT") != 0) {
		PQclear(due);
		return FR_EXIT_FATAL;
	}
	rows = links_due_json(due, issued, pseud, cfg->public_url);
	csv = links_due_csv(rows);
	fputs(csv, stdout);
	free(csv);
	json_decref(rows);
	PQclear(due);
	PQclear(issued);
	return FR_EXIT_OK;
}

static int revoke_link(PGconn *conn, const char *link)
{
	char token[LINK_TOKEN_LEN + 1], hex[2 * LINK_HASH_LEN + 1];
	unsigned char hash[LINK_HASH_LEN];
	const char *params[1] = {hex};
	PGresult *res;
	int n;

	if (link_token_from(link, token) != 0 ||
	    link_token_hash(token, hash) != 0) {
		fprintf(stderr, "fremdrift invite: --revoke takes a link or "
				"its token, as this server makes them\n");
		return FR_EXIT_FATAL;
	}
	memset(token, 0, sizeof(token));
	pseud_hex(hash, sizeof(hash), hex);
	if ((res = query(conn, link_sql_revoke, 1, params, PGRES_COMMAND_OK)) ==
	    NULL)
		return FR_EXIT_FATAL;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	if (n == 0) {
		fprintf(stderr, "fremdrift invite: no open link has that "
				"token\n");
		return FR_EXIT_FATAL;
	}
	printf("revoked 1 link\n");
	return FR_EXIT_OK;
}

int links_invite_run(const struct fr_config *cfg,
		     const struct links_invite_opts *o)
{
	struct pseud_ctx *pseud = NULL;
	struct pseud_key key;
	struct fr_err err;
	PGconn *conn = NULL;
	int rc = FR_EXIT_FATAL;

	memset(&key, 0, sizeof(key));
	fr_err_clear(&err);
	if (keyfile_load(o->key_file ? o->key_file : cfg->key_file, &key,
			 &err) != 0 ||
	    pseud_ctx_new(key.bytes, key.len, &pseud, &err) != 0) {
		fprintf(stderr, "fremdrift invite: %s\n", err.msg);
		goto out;
	}
	if ((conn = db_connect_migrated(cfg, WHO)) == NULL)
		goto out;
	if (o->action == INVITE_LINK)
		rc = print_link(conn, pseud, cfg, o);
	else if (o->action == INVITE_DUE)
		rc = print_due(conn, pseud, cfg);
	else
		rc = revoke_link(conn, o->link);
out:
	keyfile_wipe(&key);
	pseud_ctx_free(pseud);
	if (conn)
		PQfinish(conn);
	return rc;
}
