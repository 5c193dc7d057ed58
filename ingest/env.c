#include "fremdrift/env.h"
#include "fremdrift/buf.h"
#include "fremdrift/log.h"

#include <stdlib.h>
#include <string.h>

int env_init(struct ing_env *env, const char *key_path, struct fr_err *err)
{
	int rc;

	memset(env, 0, sizeof(*env));
	env->key_no = -1;
	rc = keyfile_load(key_path, &env->key, err);
	if (rc != 0)
		return rc;
	rc = catalog_init(&env->cat, err);
	if (rc != 0)
		keyfile_wipe(&env->key);
	return rc;
}

void env_free(struct ing_env *env)
{
	keyfile_wipe(&env->key);
	catalog_free(&env->cat);
	env->ready = 0;
}

struct prep {
	struct ing_env *env;
	env_ready_cb cb;
	void *data;
};

static void prep_fail(struct prep *p, const char *what, const char *error)
{
	char msg[512];
	size_t n;

	snprintf(msg, sizeof(msg), "%s: %s", what,
		 error ? error : "the connection was lost");
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (strstr(msg, "does not exist"))
		snprintf(msg + n, sizeof(msg) - n,
			 " (is the database migrated? run `fremdrift migrate`)");
	p->cb(p->env, FR_EDB, msg, p->data);
	free(p);
}

static void on_codes(struct pgc *c, PGresult *res, const char *error,
		     void *data)
{
	struct prep *p = data;
	int n;
	const char **kinds, **codes, **extras;

	(void)c;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		prep_fail(p, "cannot load the catalogues", error);
		return;
	}
	n = PQntuples(res);
	kinds = fr_xcalloc((size_t)n + 1, sizeof(char *));
	codes = fr_xcalloc((size_t)n + 1, sizeof(char *));
	extras = fr_xcalloc((size_t)n + 1, sizeof(char *));
	for (int r = 0; r < n; r++) {
		kinds[r] = PQgetvalue(res, r, 0);
		codes[r] = PQgetvalue(res, r, 1);
		extras[r] = PQgetisnull(res, r, 2) ? NULL : PQgetvalue(res, r, 2);
	}
	catalog_set_codes(&p->env->cat, n, kinds, codes, extras);
	free(kinds);
	free(codes);
	free(extras);
	p->env->ready = 1;
	p->cb(p->env, 0, NULL, p->data);
	free(p);
}

/*
 * Records are stored with their ids and course keys as pseudonyms only in
 * a database whose old rows have been rewritten the same way (or that had
 * none): pseudonymised rows beside ids and course keys stored as given
 * would neither meet their course nor be recognised as duplicates.
 */
static void on_ids(struct pgc *c, PGresult *res, const char *error,
		   void *data)
{
	struct prep *p = data;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		prep_fail(p, "cannot read fremdrift.ids_pseudonymised", error);
		return;
	}
	p->env->ids_pending = atoi(PQgetvalue(res, 0, 0)) == 0;
	if (p->env->ids_pending) {
		prep_fail(p, "refusing to store records",
			  "this database holds record ids and course keys as "
			  "they were given; run `fremdrift migrate-ids` to "
			  "turn them into pseudonyms first (docs/privacy.md)");
		return;
	}
	if (pgc_query(c, catalog_codes_sql, 0, NULL, 0, on_codes, p) != 0)
		prep_fail(p, "cannot load the catalogues", NULL);
}

/* The key file's key is not in fremdrift.pseudonym_keys (and the table
 * was not empty): every citizen would get a second pseudonym under it. */
static void refuse_unknown_key(struct prep *p)
{
	char msg[512];

	snprintf(msg, sizeof(msg),
		 "the key file's key (id %s) is not one this database knows: "
		 "using it would give every citizen a second pseudonym; if it "
		 "is the right key file, add it deliberately with `fremdrift "
		 "key add` (docs/privacy.md)",
		 p->env->key.id);
	p->cb(p->env, FR_EKEY, msg, p->data);
	free(p);
}

static void on_key(struct pgc *c, PGresult *res, const char *error, void *data)
{
	struct prep *p = data;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		prep_fail(p, "cannot register the pseudonym key", error);
		return;
	}
	if (PQntuples(res) < 1) {
		refuse_unknown_key(p);
		return;
	}
	if (!PQgetisnull(res, 0, 1)) {
		prep_fail(p, "refusing to run",
			  "the key file's key is marked retired in "
			  "fremdrift.pseudonym_keys; use the current key file");
		return;
	}
	p->env->key_no = atoi(PQgetvalue(res, 0, 0));
	if (atoi(PQgetvalue(res, 0, 2)) > 0)
		log_warning("env", "the database has %s other active key(s) "
				   "besides this key file's; retire each one "
				   "no longer used (docs/privacy.md)",
			    PQgetvalue(res, 0, 2));
	if (pgc_query(c, "SELECT count(*) FROM fremdrift.ids_pseudonymised", 0,
		      NULL, 0, on_ids, p) != 0)
		prep_fail(p, "cannot read fremdrift.ids_pseudonymised", NULL);
}

int env_prepare(struct ing_env *env, struct pgc *pg, env_ready_cb cb,
		void *data)
{
	struct prep *p = fr_xcalloc(1, sizeof(*p));
	const char *params[1] = {env->key.id};
	int rc;

	p->env = env;
	p->cb = cb;
	p->data = data;
	env->ready = 0;
	rc = pgc_query(
		pg,
		/* Only the first key of an empty database is registered here;
		 * any other must be added with `fremdrift key add`, so that a
		 * wrong key file cannot split the population. (Two first
		 * starts racing with two different keys could both insert;
		 * the next start of either then warns of the other.) */
		"WITH ins AS (INSERT INTO fremdrift.pseudonym_keys (key_id) "
		"SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM "
		"fremdrift.pseudonym_keys) ON CONFLICT (key_id) DO NOTHING "
		"RETURNING key_no, retired_at), "
		"k AS (SELECT key_no, retired_at FROM ins UNION ALL "
		"SELECT key_no, retired_at FROM fremdrift.pseudonym_keys WHERE "
		"key_id = $1) "
		"SELECT key_no, retired_at, (SELECT count(*) FROM "
		"fremdrift.pseudonym_keys WHERE key_id <> $1 AND retired_at IS "
		"NULL) FROM k LIMIT 1",
		1, params, 0, on_key, p);
	if (rc != 0)
		free(p);
	return rc;
}
