/*
 * What `measure refresh` already stored in fremdrift.progression, as one
 * digest per course, so that the refresh writes only the courses whose
 * rows changed (and deletes those that are gone) instead of rewriting
 * every row. A nightly refresh then writes a day's changes, not the whole
 * table: the write-ahead log it makes no longer queues the records API's
 * commits behind hundreds of megabytes (docs/benchmarks.md, goal 3).
 *
 * A course's digest is the sum, over its rows, of a 128-bit hash of each
 * row's values as PostgreSQL holds them: the reals as the float4 that
 * strtof makes of the text (what float4in does with the text the refresh
 * sends, and what float4out gives back). Rows are distinct within a
 * course, so a sum does not depend on their order and needs no sort.
 * The map holds each stored course's key text (to delete it when it is
 * gone): about 200 bytes a course with the table's slots.
 */
#include "fremdrift/buf.h"
#include "fremdrift/hash.h"

#include "measure_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pdiff_entry {
	uint64_t h;             /* the course key's hash; 0 = empty slot */
	struct pdiff_digest d;
	uint32_t off;           /* the key text in keys */
	uint32_t seen;
};

/* One row's hash in one lane: each text field chained through the seed
 * (its length is part of each step, so field boundaries count), then the
 * numbers. */
static uint64_t row_hash(uint64_t seed, const char *const text[3],
			 const unsigned char *nums, size_t nn)
{
	uint64_t h = seed;

	for (int i = 0; i < 3; i++)
		h = fr_hash64(text[i], strlen(text[i]), h);
	return fr_hash64(nums, nn, h);
}

void measure__pdiff_row(struct pdiff_digest *d, const char *pseud_hex,
			const char *instrument, int version,
			const char *dimension, const float v[3], int n)
{
	const char *const text[3] = {pseud_hex, instrument, dimension};
	unsigned char nums[2 * sizeof(int32_t) + 3 * sizeof(float)];
	int32_t ints[2] = {version, n};

	memcpy(nums, ints, sizeof(ints));
	memcpy(nums + sizeof(ints), v, 3 * sizeof(float));
	d->a += row_hash(0x6a09e667f3bcc908ULL, text, nums, sizeof(nums));
	d->b += row_hash(0xbb67ae8584caa73bULL, text, nums, sizeof(nums));
	d->rows++;
}

static struct pdiff_entry *slot_of(const struct pdiff *p, const char *course,
				   uint64_t h)
{
	size_t j = (size_t)h & (p->cap - 1);

	while (p->slots[j].h != 0 &&
	       (p->slots[j].h != h ||
		strcmp(p->keys.data + p->slots[j].off, course) != 0))
		j = (j + 1) & (p->cap - 1);
	return &p->slots[j];
}

static uint64_t key_hash(const char *course)
{
	uint64_t h = fr_hash64(course, strlen(course), 0);

	return h ? h : 1;
}

static void grow(struct pdiff *p)
{
	struct pdiff old = *p;

	p->cap = old.cap ? 2 * old.cap : 4096;
	p->slots = fr_xcalloc(p->cap, sizeof(*p->slots));
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].h != 0)
			*slot_of(p, old.keys.data + old.slots[i].off,
				 old.slots[i].h) = old.slots[i];
	free(old.slots);
}

/* The entry of course, made empty if new. */
static struct pdiff_entry *entry_add(struct pdiff *p, const char *course)
{
	uint64_t h = key_hash(course);
	struct pdiff_entry *e;

	if (2 * (p->n + 1) > p->cap)
		grow(p);
	e = slot_of(p, course, h);
	if (e->h == 0) {
		*e = (struct pdiff_entry){.h = h, .off = (uint32_t)p->keys.len};
		if (fr_buf_append(&p->keys, course, strlen(course) + 1) != 0) {
			p->full = 1;
			*e = (struct pdiff_entry){0};
			return NULL;
		}
		p->n++;
	}
	return e;
}

/* One stored row: course, pseudonym hex, instrument, version, dimension,
 * baseline, current, change, n_responses. */
static void one_stored(void *arg, const struct db_copy_row *row)
{
	struct pdiff *p = arg;
	char *const *f = row->fields;
	struct pdiff_entry *e;
	float v[3];

	if (row->nfields < 9)
		return;
	for (int i = 0; i < 9; i++)
		if (f[i] == NULL)
			return;
	for (int i = 0; i < 3; i++)
		v[i] = strtof(f[5 + i], NULL);
	e = entry_add(p, f[0]);
	if (e != NULL)
		measure__pdiff_row(&e->d, f[1], f[2], atoi(f[3]), f[4], v,
				   atoi(f[8]));
}

int measure__pdiff_load(struct pdiff *p, PGconn *conn, const char *who)
{
	memset(p, 0, sizeof(*p));
	fr_buf_init(&p->keys, UINT32_MAX);
	/* Every real as the exact float4 (a negative setting would round
	 * them, and a changed value could pass for the stored one). */
	if (db_exec(conn, who, "SET LOCAL extra_float_digits = 3") != 0 ||
	    measure__copy_each(
		    conn, who,
		    "COPY (SELECT course, encode(pseudonym, 'hex'), instrument, "
		    "version, dimension, baseline, current, change, n_responses "
		    "FROM fremdrift.progression) TO STDOUT",
		    one_stored, p) != 0)
		return -1;
	if (p->full)
		fprintf(stderr, "fremdrift %s: the stored progression's course "
				"keys pass 4 GiB; empty fremdrift.progression "
				"and refresh again\n", who);
	return p->full ? -1 : 0;
}

int measure__pdiff_same(struct pdiff *p, const char *course,
			const struct pdiff_digest *d)
{
	struct pdiff_entry *e;

	if (p->n == 0)
		return d->rows == 0;
	e = slot_of(p, course, key_hash(course));
	if (e->h == 0)
		return d->rows == 0;
	e->seen = 1;
	return e->d.a == d->a && e->d.b == d->b && e->d.rows == d->rows;
}

void measure__pdiff_each_gone(const struct pdiff *p,
			      void (*each)(void *arg, const char *course),
			      void *arg)
{
	for (size_t i = 0; i < p->cap; i++)
		if (p->slots[i].h != 0 && !p->slots[i].seen)
			each(arg, p->keys.data + p->slots[i].off);
}

void measure__pdiff_free(struct pdiff *p)
{
	free(p->slots);
	fr_buf_free(&p->keys);
	memset(p, 0, sizeof(*p));
}
