/*
 * Pseudonym key files (docs/architecture.md, docs/privacy.md).
 *
 * A key file is a small text file, readable only by its owner (mode 0600):
 *
 *   # comment lines
 *   fremdrift-key v1
 *   id 3f9a0c2b7d41e8a5
 *   key <64 or more lowercase hex digits>
 *
 * The id is derived from the key (the first 8 bytes of
 * HMAC-SHA256(key, "fremdrift/v1/key-id")), so it names the key without
 * revealing it, and a damaged file is caught when the stored id no longer
 * matches. The id is stored beside every pseudonym; the key never enters the
 * database and is never logged.
 */
#ifndef FREMDRIFT_KEYFILE_H
#define FREMDRIFT_KEYFILE_H

#include <stddef.h>

#include "fremdrift/err.h"
#include "fremdrift/pseudonym.h"

#define KEY_ID_LEN 16 /* hex characters */

struct pseud_key {
	unsigned char bytes[PSEUD_KEY_MAX];
	size_t len;
	char id[KEY_ID_LEN + 1];
};

/*
 * Writes a new key of 32 bytes from the operating system's CSPRNG
 * (getrandom) to path, created with mode 0600; refuses to overwrite an
 * existing file. On success the key id is put in id_out (may be NULL).
 * Main thread (blocking I/O).
 */
int keyfile_generate(const char *path, char id_out[KEY_ID_LEN + 1],
		     struct fr_err *err);

/*
 * Reads and checks the key file at path into key: refuses a file that is
 * missing, not a regular file, readable or writable by group or others,
 * malformed, shorter than PSEUD_KEY_MIN bytes, or whose id does not match
 * its key. Every refusal returns FR_EKEY with a message saying how to fix
 * it. Main thread (blocking I/O).
 */
int keyfile_load(const char *path, struct pseud_key *key, struct fr_err *err);

/* Derives the key id of len bytes at key into id. 0 or FR_ECRYPTO. */
int keyfile_key_id(const unsigned char *key, size_t len,
		   char id[KEY_ID_LEN + 1]);

/* Wipes the key from memory. */
void keyfile_wipe(struct pseud_key *key);

#endif
