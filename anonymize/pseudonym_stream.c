/*
 * `fremdrift pseudonym`: CPR numbers on stdin, one a line, to pseudonyms
 * or reasons on stdout, in order. Input is read in large chunks and every
 * processed byte is wiped; a line too long for the buffer is rejected
 * without being kept.
 */
#include "fremdrift/pseudonym_stream.h"

#include "fremdrift/buf.h"
#include "fremdrift/cpr.h"
#include "fremdrift/err.h"
#include "fremdrift/keyfile.h"
#include "fremdrift/pseudonym.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IO_CHUNK (1u << 20)
#define LINE_MAX_BYTES 1024

struct out_buf {
	char data[IO_CHUNK];
	size_t len;
	int failed;
};

static void out_flush(struct out_buf *o)
{
	size_t off = 0;

	while (off < o->len && !o->failed) {
		ssize_t w = write(1, o->data + off, o->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->failed = 1;
			break;
		}
		off += (size_t)w;
	}
	o->len = 0;
}

static void out_put(struct out_buf *o, const char *s, size_t n)
{
	if (o->len + n > sizeof(o->data))
		out_flush(o);
	memcpy(o->data + o->len, s, n);
	o->len += n;
}

/* The longest course key or record id ingest takes (REC_ID_MAX). */
#define IDENT_MAX 128

static int put_error(struct out_buf *o, const char *msg)
{
	out_put(o, msg, strlen(msg));
	return 1;
}

/* One course key or record id to its pseudonym, as ingest stores it.
 * Returns 1 if the line was an error. */
static int ident_line(struct pseud_ctx *ctx, enum pstream_kind kind,
		      const char *line, size_t len, struct out_buf *o)
{
	char hex[PSEUD_HEX_LEN + 2];

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return put_error(o, "error: empty: the line is empty\n");
	if (len > IDENT_MAX)
		return put_error(o, "error: length: longer than 128 "
				    "characters, which ingest refuses\n");
	if (cpr_shaped(line, len))
		return put_error(o, "error: cpr: holds something shaped like "
				    "a CPR number, which ingest refuses\n");
	if (pseud_ident_hex(ctx,
			    kind == PSTREAM_COURSE ? PSEUD_COURSE
						   : PSEUD_RECORD_ID,
			    line, len, hex) != 0)
		return put_error(o, "error: crypto: HMAC failed\n");
	hex[PSEUD_HEX_LEN] = '\n';
	out_put(o, hex, PSEUD_HEX_LEN + 1);
	return 0;
}

/* One input line to one output line. Returns 1 if the line was an error. */
static int one_line(struct pseud_ctx *ctx, const struct cpr_date *today,
		    const char *line, size_t len, struct out_buf *o)
{
	struct fr_err err;
	struct cpr cpr;
	unsigned char mac[PSEUD_LEN];
	char hex[PSEUD_HEX_LEN + 2];

	if (len > LINE_MAX_BYTES) {
		static const char msg[] = "error: length: CPR number must have "
					  "ten digits (DDMMYY-SSSS or "
					  "DDMMYYSSSS)\n";
		out_put(o, msg, sizeof(msg) - 1);
		return 1;
	}
	if (cpr_parse(line, len, today, &cpr, &err) != 0) {
		char msg[FR_ERR_MSG_MAX + 64];
		int n = snprintf(msg, sizeof(msg), "error: %s: %s\n",
				 cpr_reason_name(err.reason), err.msg);

		out_put(o, msg, (size_t)n);
		return 1;
	}
	if (pseud_citizen(ctx, cpr.canonical, mac) != 0) {
		static const char msg[] = "error: crypto: HMAC failed\n";

		cpr_wipe(&cpr);
		out_put(o, msg, sizeof(msg) - 1);
		return 1;
	}
	cpr_wipe(&cpr);
	pseud_hex(mac, PSEUD_LEN, hex);
	hex[PSEUD_HEX_LEN] = '\n';
	out_put(o, hex, PSEUD_HEX_LEN + 1);
	return 0;
}

/* One line of kind to one output line; 1 if it was an error. */
static int any_line(struct pseud_ctx *ctx, enum pstream_kind kind,
		    const struct cpr_date *today, const char *line, size_t len,
		    struct out_buf *o)
{
	return kind == PSTREAM_CPR ? one_line(ctx, today, line, len, o)
				   : ident_line(ctx, kind, line, len, o);
}

int pseud_stream_run(const char *keypath, enum pstream_kind kind)
{
	struct pseud_key key;
	struct pseud_ctx *ctx = NULL;
	struct cpr_date today;
	struct out_buf *o = NULL;
	struct fr_err err;
	char *in = NULL;
	size_t have = 0;
	int errors = 0, rc = FR_EXIT_FATAL, eof = 0;

	fr_err_clear(&err);
	if (keyfile_load(keypath, &key, &err) != 0) {
		fprintf(stderr, "fremdrift pseudonym: %s\n", err.msg);
		return FR_EXIT_FATAL;
	}
	if (pseud_ctx_new(key.bytes, key.len, &ctx, &err) != 0) {
		fprintf(stderr, "fremdrift pseudonym: %s\n", err.msg);
		goto out;
	}
	cpr_today(&today);
	in = fr_xmalloc(IO_CHUNK);
	o = fr_xmalloc(sizeof(*o));
	o->len = 0;
	o->failed = 0;

	while (!eof) {
		ssize_t n = read(0, in + have, IO_CHUNK - have);
		size_t start = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "fremdrift pseudonym: reading stdin: "
					"%s\n",
				strerror(errno));
			goto out;
		}
		if (n == 0)
			eof = 1;
		have += (size_t)n;
		for (;;) {
			char *nl = memchr(in + start, '\n', have - start);

			if (nl == NULL)
				break;
			errors += any_line(ctx, kind, &today, in + start,
					   (size_t)(nl - (in + start)), o);
			start = (size_t)(nl - in) + 1;
		}
		if (eof && start < have) {
			/* A last line without a newline still counts. */
			errors += any_line(ctx, kind, &today, in + start,
					   have - start, o);
			start = have;
		}
		if (start == 0 && have == IO_CHUNK) {
			/* A line longer than the whole buffer: reject it and
			 * skip to its end. */
			errors += any_line(ctx, kind, &today, in, LINE_MAX_BYTES + 1,
					   o);
			OPENSSL_cleanse(in, have);
			have = 0;
			for (;;) {
				char c;
				ssize_t r = read(0, &c, 1);

				if (r <= 0) {
					eof = 1;
					break;
				}
				if (c == '\n')
					break;
			}
			continue;
		}
		/* Wipe what was processed; keep the unfinished line. */
		memmove(in, in + start, have - start);
		OPENSSL_cleanse(in + (have - start), start);
		have -= start;
	}
	out_flush(o);
	if (o->failed) {
		fprintf(stderr, "fremdrift pseudonym: writing stdout failed\n");
		goto out;
	}
	rc = errors ? FR_EXIT_REJECTED : FR_EXIT_OK;
out:
	if (in) {
		OPENSSL_cleanse(in, IO_CHUNK);
		free(in);
	}
	free(o);
	pseud_ctx_free(ctx);
	keyfile_wipe(&key);
	return rc;
}
