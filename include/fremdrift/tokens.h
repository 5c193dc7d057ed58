/*
 * tokens: the blocking commands behind `fremdrift token`. A token is
 * "fr_" and 64 hex digits of fresh randomness, printed once; the database
 * keeps only its SHA-256 (server/auth.c checks it). Each function prints
 * its result on stdout, its errors on stderr (never a token), and returns
 * an FR_EXIT_* code.
 */
#ifndef FREMDRIFT_TOKENS_H
#define FREMDRIFT_TOKENS_H

#include "fremdrift/config.h"

/* 1 if role is one of "ingest", "dashboard", "analyst". */
int tokens_role_ok(const char *role);

/* Prints a new token of source and role (both checked by the caller). */
int tokens_create(const struct fr_config *cfg, const char *source,
		  const char *role);

/* Prints every token's source, role, creation and revocation time. */
int tokens_list(const struct fr_config *cfg);

/* Revokes every token of source; prints how many. */
int tokens_revoke(const struct fr_config *cfg, const char *source);

#endif
