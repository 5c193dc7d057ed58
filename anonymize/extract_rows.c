/*
 * The output files of an extract. A file's header is written at once; its
 * rows are held in memory and written, when the file is closed, in an
 * order drawn from OpenSSL's random generator (a Fisher-Yates shuffle), so
 * that no row's position says anything: not the live database's order,
 * not another extract's. Every write is checked: a full disk fails the
 * extract instead of leaving a short file behind a manifest.
 */
#include "extract_internal.h"

#include "fremdrift/buf.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (16u << 20)
/* All the rows of one file held at once: an extract of 300,000 courses
 * holds about 2.5 GB in its largest file. */
#define EXTRACT__MAX_BYTES ((size_t)16 << 30)

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

	if (h->too_big || h->bytes + n + 1 > EXTRACT__MAX_BYTES) {
		h->too_big = 1;
		return;
	}
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
	hold(&o->held, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
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
	memset(h, 0, sizeof(*h));
}

/* The rows held, in their order, a mebibyte at a time: one write and
 * one hash update per mebibyte, not per row. */
static void write_rows(struct extract__out *o)
{
	char *buf = fr_xmalloc(1u << 20);
	size_t used = 0;

	for (size_t i = 0; i < o->held.n; i++) {
		size_t n = strlen(o->held.row[i]);

		if (used + n > (1u << 20)) {
			extract__out_write(o, buf, used);
			used = 0;
		}
		if (n > (1u << 20)) {
			extract__out_write(o, o->held.row[i], n);
			continue;
		}
		memcpy(buf + used, o->held.row[i], n);
		used += n;
	}
	extract__out_write(o, buf, used);
	free(buf);
}

int extract__out_close(struct extract__out *o)
{
	unsigned char md[32];
	unsigned int n = 0;

	if (o->held.too_big) {
		fprintf(stderr, "fremdrift extract: %s is too big to shuffle in "
				"memory (over 16 GiB); choose a shorter period\n",
			o->name);
		return -1;
	}
	shuffle(&o->held);
	write_rows(o);
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
