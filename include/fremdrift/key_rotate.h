/*
 * `fremdrift key rotate`: moves pseudonyms from one key to another
 * (docs/privacy.md §6, "Rotating the key").
 *
 * A pseudonym is a function of the key, so a new key gives every citizen,
 * course and record a new one; fremdrift keeps no CPR number, course key
 * or record id to recompute them from. The provider's case system has
 * them: given on stdin, one a line,
 *
 *   DDMMYY-SSSS          a citizen (CPR number)
 *   course KEY           a course key, exactly as the source sends it
 *   record ID            a record id, exactly as the source sends it
 *
 * (blank lines and lines starting with # are skipped), each is turned into
 * its pseudonym under the old key and under the new one, and every row
 * holding an old pseudonym gets the new one, in every table that holds
 * one (found in the catalogue: a `pseudonym`, `course` or record `id`
 * column), with its key number, in one transaction: the citizen's record
 * keys move too, so the dashboard's figures stay as they were. Open links
 * are re-keyed (their tokens are made with the key). One row in
 * fremdrift.key_rotations records the run with counts only; the course and
 * record pseudonyms of moved citizens that were not given are kept in
 * fremdrift.key_rotation_unreached. A line that cannot be read is reported
 * (line and reason, never its text) and refuses the whole run: nothing is
 * changed. Running again with the same lines changes nothing more.
 *
 * With dry_run the same is done and then rolled back: the counts are
 * printed, nothing is kept. unreached lists, as JSON lines, what is still
 * under the old key: citizens with rows under it, and the course and
 * record pseudonyms a run could not reach.
 *
 * The key files' keys are wiped after use; every CPR line is wiped once
 * read. Main thread (blocking).
 */
#ifndef FREMDRIFT_KEY_ROTATE_H
#define FREMDRIFT_KEY_ROTATE_H

#include "fremdrift/config.h"

struct key_rotate_opts {
	const char *old_key, *new_key; /* key files (borrowed) */
	int dry_run;
	int unreached; /* only list what is still under old_key */
};

/* FR_EXIT_OK, FR_EXIT_REJECTED (a line refused: nothing changed) or
 * FR_EXIT_FATAL (printed). */
int key_rotate_run(const struct key_rotate_opts *o,
		   const struct fr_config *cfg);

#endif
