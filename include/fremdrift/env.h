/*
 * What serve and ingest both need before they can accept a record: the
 * pseudonym key (from its file), its number in the database, the
 * questionnaire definitions and the code catalogues.
 *
 * Threads: loop thread, except that a prepared env may be read (not
 * changed) from a pool thread while the loop thread does not refresh it.
 */
#ifndef FREMDRIFT_ING_ENV_H
#define FREMDRIFT_ING_ENV_H

#include "fremdrift/catalog.h"
#include "fremdrift/keyfile.h"
#include "fremdrift/pg_conn.h"

struct ing_env {
	struct catalog cat;
	struct pseud_key key;
	int key_no; /* the key's number in fremdrift.pseudonym_keys, or -1 */
	int ready;  /* key registered and catalogues loaded */
	/* The database still holds record ids and course keys as given:
	 * `fremdrift migrate-ids` has to run before records are stored. */
	int ids_pending;
};

/* Loads the key file and the compiled-in definitions. FR_EKEY etc. */
int env_init(struct ing_env *env, const char *key_path, struct fr_err *err);

/* Wipes the key and frees the catalogues. */
void env_free(struct ing_env *env);

/*
 * rc 0: env is ready. FR_EKEY: the database already has a key and the key
 * file's is not among them (it must be added with `fremdrift key add`):
 * trying again does not help, so refuse to run. FR_EDB: anything else
 * (e.g. not migrated, or env->ids_pending: `fremdrift migrate-ids` has not
 * run). error says why, in one line.
 */
typedef void (*env_ready_cb)(struct ing_env *env, int rc, const char *error,
			     void *data);

/*
 * Finds the key's number (registering it only when the database has no key
 * at all yet) and loads the catalogues over pg (which must be up).
 * cb is called once. FR_EDB if pg is down (cb is then never called).
 */
int env_prepare(struct ing_env *env, struct pgc *pg, env_ready_cb cb,
		void *data);

#endif
