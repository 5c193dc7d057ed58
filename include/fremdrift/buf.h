/*
 * A growable byte buffer with a hard cap (after curl's dynbuf).
 *
 * Every growth driven by input goes through one of these, so a client or a
 * file can never make fremdrift allocate without bound: past the cap,
 * appending fails with FR_ETOOBIG, which callers turn into HTTP 413 or a
 * rejected line. The data is always NUL-terminated for convenience; the NUL
 * is not counted in len. Allocation failure aborts (see fr_xmalloc).
 *
 * A struct fr_buf is owned by whoever embeds it; not thread-safe.
 */
#ifndef FREMDRIFT_BUF_H
#define FREMDRIFT_BUF_H

#include <stddef.h>

struct fr_buf {
	char *data; /* NULL until the first append */
	size_t len; /* bytes in use, excluding the trailing NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* the cap on len */
};

/* Initialises an empty buffer that will hold at most max bytes. */
void fr_buf_init(struct fr_buf *b, size_t max);

/*
 * Makes sure n more bytes fit without reallocating, so a reader can write
 * straight into data + len and then add what it wrote to len.
 * 0, or FR_ETOOBIG when len + n would pass the cap.
 */
int fr_buf_reserve(struct fr_buf *b, size_t n);

/* Appends n bytes from p (borrowed). 0, or FR_ETOOBIG leaving b unchanged. */
int fr_buf_append(struct fr_buf *b, const void *p, size_t n);

/* Appends a formatted string. 0, or FR_ETOOBIG leaving b unchanged. */
int fr_buf_printf(struct fr_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Empties the buffer but keeps its memory for reuse. */
void fr_buf_reset(struct fr_buf *b);

/* Removes the first n bytes (n <= len), moving the rest to the front. */
void fr_buf_consume(struct fr_buf *b, size_t n);

/* Frees the memory; the buffer may be used again (it is left empty). */
void fr_buf_free(struct fr_buf *b);

/* Allocation that aborts on out-of-memory, for small fixed allocations. */
void *fr_xmalloc(size_t n);
void *fr_xcalloc(size_t count, size_t n);
void *fr_xrealloc(void *p, size_t n);
char *fr_xstrdup(const char *s);

#endif
