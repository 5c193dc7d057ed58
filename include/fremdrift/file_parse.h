/*
 * Reading NDJSON and CSV files into batches (docs/formats.md), a chunk at a time.
 *
 * A struct file_parser holds one open input and where it got to. Each call
 * of file_parse_some reads until the batch holds about target records or
 * the input ends, and appends one rejects line (NDJSON, never a raw value)
 * per bad record. It does blocking reads: run it on the thread pool, one
 * call at a time per parser.
 */
#ifndef FREMDRIFT_FILE_PARSE_H
#define FREMDRIFT_FILE_PARSE_H

#include <csv.h>
#include <stdio.h>

#include "fremdrift/batch.h"
#include "fremdrift/buf.h"
#include "fremdrift/record.h"

enum file_format { FMT_AUTO = 0, FMT_NDJSON, FMT_CSV };

#define FILE_MAX_COLUMNS 128

struct file_parser {
	int fd;
	int is_stdin;
	const char *path;        /* borrowed, for messages */
	int multi;               /* several files: rejects name the file */
	enum file_format format; /* FMT_AUTO: stdin, until its first line */
	long long size;          /* -1 when unknown (stdin) */
	long long offset;        /* bytes consumed (whole records only) */
	long long line;          /* lines consumed */
	int eof;
	int bom_checked;
	struct fr_buf carry;     /* read but not yet framed */
	/* CSV */
	struct csv_parser csv;
	int csv_ready;
	char delim;
	int header_done;
	int ncols;
	char *cols[FILE_MAX_COLUMNS];
	enum rec_kind csv_kind;
	struct fr_buf fieldbuf;  /* the current record's field texts */
	size_t field_off[FILE_MAX_COLUMNS + 1];
	int nfields;
	int too_many_fields;
	/* results so far */
	long long accepted, duplicates, rejected;
	char fatal[256];         /* set when the file cannot be read on */
};

/*
 * Opens path ("-" for stdin) and computes the fingerprint (SHA-256 of the
 * size and the first 64 KiB; "" for stdin). With FMT_AUTO a file's name
 * decides (.csv and .txt are CSV), stdin's first line (a JSON object, or
 * a CSV header with a cpr column; else a fatal error). 0 or -errno / FR_EINVAL with
 * err saying why.
 */
int file_open(struct file_parser *fp, const char *path, enum file_format fmt,
	      char fingerprint[65], struct fr_err *err);

/* Continues from a checkpoint: skips to offset, counting from line (a CSV
 * file's header is read again and checked against ctx->cat). */
int file_seek(struct file_parser *fp, const struct rec_ctx *ctx,
	      long long offset, long long line);

/*
 * Reads and parses into b until it holds about target records, the input
 * ends (fp->eof), or a fatal problem (fp->fatal). rejects gets one NDJSON
 * line per rejected record. ctx->pseud must belong to the calling thread
 * for the duration.
 */
void file_parse_some(struct file_parser *fp, struct rec_ctx *ctx,
		     struct batch *b, int target, struct fr_buf *rejects);

void file_close(struct file_parser *fp);

/* Appends a rejects line {"line":..,"column":..,"field":..,"reason":..}. */
void file_reject_line(struct fr_buf *rejects, const char *file, long long line,
		      long column, const char *field, const char *reason);

#endif
