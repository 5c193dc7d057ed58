#include "fremdrift/buf.h"
#include "fremdrift/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	/* Small fixed allocations failing means the process cannot go on. */
	fprintf(stderr, "level=error module=common msg=\"out of memory "
			"allocating %zu bytes\"\n", n);
	abort();
}

void *fr_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *fr_xcalloc(size_t count, size_t n)
{
	void *p = calloc(count ? count : 1, n ? n : 1);

	if (p == NULL)
		oom(count * n);
	return p;
}

void *fr_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *fr_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = fr_xmalloc(n);

	memcpy(p, s, n);
	return p;
}

void fr_buf_init(struct fr_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* Makes room for need more bytes plus the NUL, within the cap. */
int fr_buf_reserve(struct fr_buf *b, size_t need)
{
	size_t want, cap;

	if (need > b->max || b->len > b->max - need)
		return FR_ETOOBIG;
	want = b->len + need + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	b->data = fr_xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int fr_buf_append(struct fr_buf *b, const void *p, size_t n)
{
	int rc = fr_buf_reserve(b, n);

	if (rc != 0)
		return rc;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int fr_buf_printf(struct fr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return FR_EINVAL;
	rc = fr_buf_reserve(b, (size_t)n);
	if (rc != 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void fr_buf_reset(struct fr_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void fr_buf_consume(struct fr_buf *b, size_t n)
{
	if (n >= b->len) {
		fr_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void fr_buf_free(struct fr_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
