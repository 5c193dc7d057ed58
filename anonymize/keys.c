/*
 * `fremdrift key add` (see keys.h): one transaction that locks the key
 * table, so two adds (or an add and a first start) cannot both decide
 * that no other key is active.
 */
#include "fremdrift/keys.h"

#include "fremdrift/db.h"
#include "fremdrift/keyfile.h"

#include <stdio.h>
#include <stdlib.h>

#define WHO "key add"

/* The key file's id; the key itself is wiped at once, as only its id is
 * needed. 0 or -1 after printing why. */
static int key_id_of(const char *path, char id[KEY_ID_LEN + 1])
{
	struct pseud_key key;
	struct fr_err err;
	int rc;

	fr_err_clear(&err);
	rc = keyfile_load(path, &key, &err);
	if (rc == 0)
		snprintf(id, KEY_ID_LEN + 1, "%s", key.id);
	keyfile_wipe(&key);
	if (rc != 0)
		fprintf(stderr, "fremdrift %s: %s\n", WHO, err.msg);
	return rc == 0 ? 0 : -1;
}

/*
 * With the table locked: 1 when the key may be inserted, 0 when there is
 * nothing to do, -1 when it is refused (printed).
 */
static int may_add(PGconn *conn, const char *id, int also)
{
	const char *params[1] = {id};
	PGresult *res = db_query(
		conn, WHO,
		"SELECT (SELECT CASE WHEN retired_at IS NULL THEN 'active' "
		"ELSE 'retired' END FROM fremdrift.pseudonym_keys WHERE key_id "
		"= $1), (SELECT string_agg(key_id, ', ' ORDER BY key_no) FROM "
		"fremdrift.pseudonym_keys WHERE retired_at IS NULL)",
		1, params);
	int rc = 1;

	if (res == NULL)
		return -1;
	if (!PQgetisnull(res, 0, 0)) {
		int retired = PQgetvalue(res, 0, 0)[0] == 'r';

		fprintf(stderr, "fremdrift %s: key %s is already registered%s\n",
			WHO, id,
			retired ? ", and retired: a retired key is not used "
				  "again; use the current key file"
				: "; nothing to do");
		rc = retired ? -1 : 0;
	} else if (!PQgetisnull(res, 0, 1) && !also) {
		fprintf(stderr,
			"fremdrift %s: the database already has an active key "
			"(id %s); a second one gives every citizen ingested "
			"under it a second pseudonym. Give --also if that is "
			"meant (rotating the key, docs/privacy.md)\n",
			WHO, PQgetvalue(res, 0, 1));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

int keys_add(const struct fr_config *cfg, int also)
{
	char id[KEY_ID_LEN + 1];
	const char *params[1] = {id};
	PGconn *conn;
	PGresult *res;
	int rc = -1;

	if (key_id_of(cfg->key_file, id) != 0)
		return FR_EXIT_FATAL;
	conn = db_connect_migrated(cfg, WHO);
	if (conn == NULL)
		return FR_EXIT_FATAL;
	if (db_exec(conn, WHO, "BEGIN; LOCK TABLE fremdrift.pseudonym_keys IN "
			       "SHARE ROW EXCLUSIVE MODE") != 0)
		goto out;
	rc = may_add(conn, id, also);
	if (rc == 1) {
		res = db_query(conn, WHO,
			       "INSERT INTO fremdrift.pseudonym_keys (key_id) "
			       "VALUES ($1)",
			       1, params);
		rc = res ? 0 : -1;
		PQclear(res);
		if (rc == 0 && db_exec(conn, WHO, "COMMIT") != 0)
			rc = -1;
		if (rc == 0)
			fprintf(stderr, "fremdrift %s: key %s registered; serve "
					"and ingest now accept it\n",
				WHO, id);
	}
out:
	PQfinish(conn);
	return rc < 0 ? FR_EXIT_FATAL : FR_EXIT_OK;
}
