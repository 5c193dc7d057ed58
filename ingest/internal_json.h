/* The record JSON scanner (json_scan.c), shared within ingest/. */
#ifndef FREMDRIFT_INGEST_INTERNAL_JSON_H
#define FREMDRIFT_INGEST_INTERNAL_JSON_H

#include "fremdrift/record.h"

/*
 * Scans one JSON object of len bytes. Top-level members go to fields (at
 * most max_fields); the first member whose value is an object has its
 * members in inner. scratch must hold len bytes (decoded escapes).
 * 0, or -1 with *why (a fixed sentence) and the 1-based byte *column.
 */
int jscan_record(const char *text, size_t len, char *scratch,
		 struct rec_field *fields, int max_fields, int *nfields,
		 struct rec_field *inner, int max_inner, int *ninner,
		 const char **why, long *column);

/*
 * Checks the one JSON value (of any type) that starts at text[*pos], as
 * strictly as jscan_record, without decoding or keeping anything: the
 * splitting of a JSON array into records (rec_split_next). 0 with *vlen its
 * length and *pos just past it, or -1 with *why (a fixed sentence) and
 * *pos at the fault.
 */
int jscan_value(const char *text, size_t len, size_t *pos, size_t *vlen,
		const char **why);

/*
 * Length of the valid UTF-8 sequence at p (1 to 4, not past end), or 0
 * for an invalid one (overlong forms, surrogates, beyond U+10FFFF).
 */
int ing__utf8_len(const unsigned char *p, const unsigned char *end);

#endif
