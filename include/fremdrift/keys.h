/*
 * `fremdrift key add`: registering a pseudonym key's id in the database on
 * purpose (docs/privacy.md, section 4).
 *
 * serve and ingest take the key file's key as it is only while the
 * database has no key at all; any other key must be added here first, so
 * that pointing FREMDRIFT_KEY_FILE at the wrong file cannot give every
 * citizen a second pseudonym. Only the key's id enters the database.
 */
#ifndef FREMDRIFT_KEYS_H
#define FREMDRIFT_KEYS_H

#include "fremdrift/config.h"

/*
 * Registers the id of the key in cfg->key_file. Refuses (FR_EXIT_FATAL,
 * one line on stderr saying why) a key marked retired, and a new key
 * while another is active unless also is 1. A key already registered is
 * FR_EXIT_OK with nothing changed. cfg is borrowed. Main thread (blocking).
 */
int keys_add(const struct fr_config *cfg, int also);

#endif
