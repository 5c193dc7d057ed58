/*
 * The output files of an extract. A file's header is written at once; its
 * rows are held and written, when the file is closed, in an order drawn
 * from OpenSSL's random generator, so that no row's position says
 * anything: not the live database's order, not another extract's. Every
 * write is checked: a full disk fails the extract instead of leaving a
 * short file behind a manifest.
 *
 * Up to extract__hold_max bytes the rows are held in memory and given a
 * Fisher-Yates shuffle. Past it (a file of millions of rows: about 2.5 GB
 * for 300,000 courses), every row goes to one of 64 temporary files
 * chosen uniformly at random, and at the end each of those is read back,
 * shuffled in memory and written out in turn. A uniform bucket for each
 * row, then a uniform order within each bucket, is again a uniform
 * random order of all the rows (Rao 1961; Sandelius 1962), and memory
 * stays at one 64th of the file. The temporary files are made unlinked
 * (O_TMPFILE) in the output folder, so they vanish with the process, and
 * hold the same rows as the file being written.
 */
#include "extract_internal.h"

#include "fremdrift/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (16u << 20)

size_t extract__hold_max = (size_t)256 << 20;

int extract__out_open(struct extract__out *o, const char *dir, const char *name)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->path, sizeof(o->path), "%s/%s", dir, name);
	o->f = fopen(o->path, "wx");
	if (o->f == NULL) {
		fprintf(stderr, "fremdrift extract: cannot create %s: %s\n",
			o->path, strerror(errno));
		return -1;
	}
	o->open = 1;
	o->md = EVP_MD_CTX_new();
	if (o->md == NULL || EVP_DigestInit_ex(o->md, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "fremdrift extract: SHA-256 is not available\n");
		return -1;
	}
	return 0;
}

void extract__out_write(struct extract__out *o, const char *s, size_t n)
{
	if (o->err == 0 && fwrite(s, 1, n, o->f) != n)
		o->err = errno ? errno : EIO;
	EVP_DigestUpdate(o->md, s, n);
}

/* Copies a line (n bytes and a NUL) into the chunks. */
static void hold(struct extract__rows *h, const char *s, size_t n)
{
	char *dst;

	if (h->nchunks == 0 || h->used + n + 1 > CHUNK) {
		h->chunks = fr_xrealloc(h->chunks, (h->nchunks + 1) * sizeof(char *));
		h->chunks[h->nchunks++] = fr_xmalloc(CHUNK > n + 1 ? CHUNK : n + 1);
		h->used = 0;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 4096;
		h->row = fr_xrealloc(h->row, h->cap * sizeof(char *));
	}
	dst = h->chunks[h->nchunks - 1] + h->used;
	memcpy(dst, s, n);
	dst[n] = '\0';
	h->row[h->n++] = dst;
	h->used += n + 1;
	h->bytes += n + 1;
}

static void free_rows(struct extract__rows *h);

/* A temporary file in the output's folder, unlinked from the start. */
static FILE *temp_beside(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) { /* a file system without O_TMPFILE */
		char tmp[4200];

		snprintf(tmp, sizeof(tmp), "%s/.extract-XXXXXX", dir);
		fd = mkstemp(tmp);
		if (fd >= 0)
			unlink(tmp);
	}
	return fd < 0 ? NULL : fdopen(fd, "w+");
}

/* One row, length first, into a bucket chosen uniformly at random (its
 * file made when first used). */
static void scatter(struct extract__out *o, const char *s, size_t n)
{
	FILE **b = &o->held.bucket[extract__random_below(EXTRACT__BUCKETS)];
	uint32_t len = (uint32_t)n;

	if (o->err == 0 && *b == NULL && (*b = temp_beside(o->path)) == NULL)
		o->err = errno ? errno : EIO;
	if (o->err == 0 && (fwrite(&len, sizeof(len), 1, *b) != 1 ||
			    fwrite(s, 1, n, *b) != n))
		o->err = errno ? errno : EIO;
}

/* From memory to the buckets, for this file's remaining life. */
static void spill(struct extract__out *o)
{
	struct extract__rows *h = &o->held;

	h->spilled = 1;
	for (size_t i = 0; i < h->n; i++)
		scatter(o, h->row[i], strlen(h->row[i]));
	for (size_t i = 0; i < h->nchunks; i++)
		free(h->chunks[i]);
	free(h->chunks);
	free(h->row);
	h->chunks = h->row = NULL;
	h->nchunks = h->used = h->n = h->cap = h->bytes = 0;
}

static void keep(struct extract__out *o, const char *s, size_t n)
{
	struct extract__rows *h = &o->held;

	if (!h->spilled && h->bytes + n + 1 > extract__hold_max)
		spill(o);
	if (o->err)
		return;
	if (h->spilled)
		scatter(o, s, n);
	else
		hold(h, s, n);
}

void extract__out_row(struct extract__out *o, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	keep(o, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	o->rows++;
}

/* Random 64-bit words, a block at a time from RAND_bytes. */
uint64_t extract__random64(void)
{
	static uint64_t block[512];
	static size_t left;

	if (left == 0) {
		if (RAND_bytes((unsigned char *)block, sizeof(block)) != 1)
			abort(); /* no randomness: nothing may be written */
		left = sizeof(block) / sizeof(block[0]);
	}
	return block[--left];
}

size_t extract__random_below(size_t n)
{
	/* Lemire's multiply-shift; the bias, n / 2^64, is nil here. */
	return (size_t)(((unsigned __int128)extract__random64() * n) >> 64);
}

static void shuffle(struct extract__rows *h)
{
	for (size_t i = h->n; i > 1; i--) {
		size_t j = extract__random_below(i);
		char *t = h->row[i - 1];

		h->row[i - 1] = h->row[j];
		h->row[j] = t;
	}
}

static void free_rows(struct extract__rows *h)
{
	for (size_t i = 0; i < h->nchunks; i++)
		free(h->chunks[i]);
	free(h->chunks);
	free(h->row);
	for (int i = 0; i < EXTRACT__BUCKETS; i++)
		if (h->bucket[i])
			fclose(h->bucket[i]);
	memset(h, 0, sizeof(*h));
}

/* The rows held, in their order, a mebibyte at a time: one write and
 * one hash update per mebibyte, not per row. */
static void write_rows(struct extract__out *o, const struct extract__rows *h)
{
	char *buf = fr_xmalloc(1u << 20);
	size_t used = 0;

	for (size_t i = 0; i < h->n; i++) {
		size_t n = strlen(h->row[i]);

		if (used + n > (1u << 20)) {
			extract__out_write(o, buf, used);
			used = 0;
		}
		if (n > (1u << 20)) {
			extract__out_write(o, h->row[i], n);
			continue;
		}
		memcpy(buf + used, h->row[i], n);
		used += n;
	}
	extract__out_write(o, buf, used);
	free(buf);
}

/* Each bucket in turn: read back, shuffled, written. */
static void write_buckets(struct extract__out *o)
{
	for (int i = 0; i < EXTRACT__BUCKETS && o->err == 0; i++) {
		struct extract__rows part = {0};
		FILE *b = o->held.bucket[i];
		char *row = NULL;
		size_t cap = 0;
		uint32_t len;

		if (b == NULL)
			continue; /* no row drew it */
		if (fflush(b) != 0 || fseek(b, 0, SEEK_SET) != 0)
			o->err = errno ? errno : EIO;
		while (o->err == 0 && fread(&len, sizeof(len), 1, b) == 1) {
			if (len + 1 > cap)
				row = fr_xrealloc(row, cap = len + 1);
			if (fread(row, 1, len, b) != len)
				o->err = EIO;
			else
				hold(&part, row, len);
		}
		if (ferror(b) && o->err == 0)
			o->err = errno ? errno : EIO;
		free(row);
		shuffle(&part);
		write_rows(o, &part);
		free_rows(&part);
	}
}

int extract__out_close(struct extract__out *o)
{
	unsigned char md[32];
	unsigned int n = 0;

	if (o->held.spilled)
		write_buckets(o);
	else {
		shuffle(&o->held);
		write_rows(o, &o->held);
	}
	free_rows(&o->held);
	EVP_DigestFinal_ex(o->md, md, &n);
	EVP_MD_CTX_free(o->md);
	o->md = NULL;
	pseud_hex(md, 32, o->sha);
	/* fflush first: buffered data meets a full disk only here. */
	if (o->err == 0 && (fflush(o->f) != 0 || ferror(o->f)))
		o->err = errno ? errno : EIO;
	if (fclose(o->f) != 0 && o->err == 0)
		o->err = errno ? errno : EIO;
	o->f = NULL;
	if (o->err == 0)
		return 0;
	fprintf(stderr, "fremdrift extract: cannot write %s: %s\n", o->path,
		strerror(o->err));
	return -1;
}

void extract__out_free(struct extract__out *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	EVP_MD_CTX_free(o->md);
	o->md = NULL;
	free_rows(&o->held);
}
