/*
 * A batch of validated records in PostgreSQL COPY text format, ready to be
 * written in one transaction by the copy sink.
 *
 * Rows remember their owner (an HTTP request, or 0 for a file) so that
 * duplicates found by the database can be counted against the right
 * request. A (source, id) seen twice within one batch is a duplicate at
 * once and never reaches the database.
 *
 * Ownership: a batch is owned by whoever made it until submitted to the
 * sink, then by the sink until its done callback. Not thread-safe: one
 * thread at a time (file batches are filled on a pool thread and handed
 * over whole).
 */
#ifndef FREMDRIFT_BATCH_H
#define FREMDRIFT_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "fremdrift/buf.h"
#include "fremdrift/record.h"

#define BATCH_MAX_BYTES (64u << 20) /* hard cap on one table's COPY text */

extern const char batch_response_columns[];
extern const char batch_event_columns[];

struct batch_file {
	int active;           /* 1 when the batch belongs to a file ingest */
	char fingerprint[65];
	char source[REC_SOURCE_MAX + 1];
	long long offset;     /* bytes of the file done after this batch */
	long long line;       /* lines done after this batch */
	long long accepted, duplicates, rejected; /* totals after this batch */
	int done;             /* the last batch of the file */
};

/* A row the database refused (the sink's row-by-row path). */
struct batch_refusal {
	int is_resp;      /* 1: a response row, 0: an event row */
	int row;          /* its index among the batch's rows of that kind */
	char field[32];   /* the column PostgreSQL named, or "" */
	char reason[64];  /* never the value */
};

struct batch {
	uint64_t id;            /* random; recorded in fremdrift.ingest_batches */
	const char *origin;     /* "http" or "file" */
	struct fr_buf resp, ev; /* COPY text */
	int nresp, nev;
	int *resp_owner, *ev_owner;
	long long *resp_where, *ev_where; /* the maker's position of each row */
	unsigned char *resp_dup, *ev_dup; /* set by the sink for db duplicates */
	int cap_resp, cap_ev;
	/* Rows the database refused, set by the sink (neither stored nor
	 * duplicates); grown only when a batch has such a row. */
	struct batch_refusal *refused;
	int nrefused, cap_refused;
	int in_batch_dups;      /* duplicates caught within the batch */
	/* (source, id) seen in this batch: open addressing over key offsets */
	struct fr_buf keys;
	uint64_t *slots;        /* hash << 32 | (offset + 1), 0 = empty */
	size_t nslots, nkeys;
	struct batch_file file;
	void *user;             /* for the batch's maker */
};

/* Prepares an empty batch with a fresh random id. */
void batch_init(struct batch *b, const char *origin);

/* Frees the memory (the struct itself is the caller's). */
void batch_free(struct batch *b);

/* Empties b for reuse with a fresh id, keeping its memory. */
void batch_reset(struct batch *b);

/* Records in the batch (not counting in-batch duplicates). */
int batch_count(const struct batch *b);

/* Bytes of COPY text in the batch. */
size_t batch_bytes(const struct batch *b);

/*
 * Adds r for owner. Returns 0 when added, 1 when (source, id) is already in
 * this batch (counted as a duplicate, not added), FR_ETOOBIG when the batch
 * is full (not added).
 */
int batch_add(struct batch *b, const struct record *r, int owner);

/* The same, remembering where (a record index in a request, a file's line)
 * so that a row the database refuses can be reported where it came from. */
int batch_add_at(struct batch *b, const struct record *r, int owner,
		 long long where);

/* 1 if a (source, id) of b is also in a (the keys a kept out of its own
 * in-batch duplicates); a batch that could not index every key may miss
 * one. */
int batch_shares_key(const struct batch *a, const struct batch *b);

/* Notes that row (of responses when is_resp, else events) was refused
 * (the sink's business; field and reason are copied). */
void batch_refuse(struct batch *b, int is_resp, int row, const char *field,
		  const char *reason);

/* Appends the COPY text of one response or event row to out. */
int batch_format_response(struct fr_buf *out, const struct record *r);
int batch_format_event(struct fr_buf *out, const struct record *r);

#endif
