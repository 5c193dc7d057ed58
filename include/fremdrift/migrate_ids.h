/*
 * `fremdrift migrate-ids`: turns the record ids and course keys that an
 * earlier version stored as given into their keyed pseudonyms (issue 14;
 * docs/privacy.md, section 2), the way ingest computes them now.
 *
 * One transaction: every row of fremdrift.events and fremdrift.responses
 * gets HMAC-SHA256(key, "fremdrift/v1/record-id\0" || id) and
 * HMAC-SHA256(key, "fremdrift/v1/course\0" || course) in hex, each under
 * the key that made the row's citizen pseudonym (its key_no), the derived
 * tables that hold course keys (fremdrift.courses, fremdrift.progression)
 * are emptied, fremdrift.ids_pseudonymised is marked, and the CHECK
 * constraints that keep anything but pseudonyms out of those columns are
 * added. A database already marked (migrated, or created by a version that
 * pseudonymises) is left as it is. Then, unless told not to, `measure
 * refresh` rebuilds the derived tables.
 *
 * Blocking (the db layer); main thread only.
 */
#ifndef FREMDRIFT_MIGRATE_IDS_H
#define FREMDRIFT_MIGRATE_IDS_H

#include "fremdrift/config.h"

#define MIDS_MAX_KEYS 8 /* key files one run takes */

struct mids_opts {
	/* The key files of every key that made rows in the database (each
	 * row is rewritten under its own key); borrowed. */
	const char *key_files[MIDS_MAX_KEYS];
	int nkeys;
	int refresh; /* 1: run `measure refresh` after the commit */
};

/*
 * Rewrites the database's ids and course keys (see above). cfg and opts
 * are borrowed. FR_EXIT_OK when done or nothing was left to do,
 * FR_EXIT_FATAL (after one line on stderr saying why, nothing changed)
 * otherwise: among others when rows were made by a key none of the key
 * files holds.
 */
int mids_run(const struct fr_config *cfg, const struct mids_opts *opts);

#endif
