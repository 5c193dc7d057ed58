#include "fremdrift/file_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (1u << 20)
#define FINGERPRINT_BYTES 65536

void file_reject_line(struct fr_buf *rejects, const char *file, long long line,
		      long column, const char *field, const char *reason)
{
	json_t *o = json_object();
	char *text;

	if (file)
		json_object_set_new(o, "file", json_string(file));
	json_object_set_new(o, "line", json_integer(line));
	json_object_set_new(o, "column", column > 0 ? json_integer(column)
						    : json_null());
	json_object_set_new(o, "field", json_string(field ? field : ""));
	json_object_set_new(o, "reason", json_string(reason));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text) {
		/* The rejects buffer is generous; a full one drops lines but
		 * the count in the summary stays right. */
		if (fr_buf_append(rejects, text, strlen(text)) == 0)
			fr_buf_append(rejects, "\n", 1);
		free(text);
	}
}

int file_open(struct file_parser *fp, const char *path, enum file_format fmt,
	      char fingerprint[65], struct fr_err *err)
{
	struct stat st;
	const char *dot;

	memset(fp, 0, sizeof(*fp));
	fp->path = path;
	fp->fd = -1;
	fingerprint[0] = '\0';
	fr_buf_init(&fp->carry, REC_LINE_MAX + READ_CHUNK + 16);
	fr_buf_init(&fp->fieldbuf, REC_LINE_MAX + FILE_MAX_COLUMNS);
	if (strcmp(path, "-") == 0) {
		fp->fd = 0;
		fp->is_stdin = 1;
		fp->size = -1;
	} else {
		fp->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fp->fd < 0)
			return fr_err_set(err, -errno, "path", "cannot open %s: %s",
					  path, strerror(errno));
		if (fstat(fp->fd, &st) == 0 && S_ISREG(st.st_mode))
			fp->size = st.st_size;
		else
			fp->size = -1;
	}
	fp->format = fmt;
	/* stdin has no name to tell: its first line decides (sniff). */
	if (fmt == FMT_AUTO && !fp->is_stdin) {
		dot = strrchr(path, '.');
		if (dot && (strcasecmp(dot, ".csv") == 0 ||
			    strcasecmp(dot, ".txt") == 0))
			fp->format = FMT_CSV;
		else
			fp->format = FMT_NDJSON;
	}
	if (!fp->is_stdin && fp->size >= 0) {
		unsigned char *head = fr_xmalloc(FINGERPRINT_BYTES);
		unsigned char md[32];
		char size[32];
		unsigned int mdlen = 0;
		ssize_t n = pread(fp->fd, head, FINGERPRINT_BYTES, 0);
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		if (n < 0)
			n = 0;
		snprintf(size, sizeof(size), "%lld:", fp->size);
		EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
		EVP_DigestUpdate(ctx, size, strlen(size));
		EVP_DigestUpdate(ctx, head, (size_t)n);
		EVP_DigestFinal_ex(ctx, md, &mdlen);
		EVP_MD_CTX_free(ctx);
		free(head);
		pseud_hex(md, 32, fingerprint);
	}
	return 0;
}

void file_close(struct file_parser *fp)
{
	if (fp->fd > 0)
		close(fp->fd);
	fp->fd = -1;
	if (fp->csv_ready)
		csv_free(&fp->csv);
	fp->csv_ready = 0;
	for (int i = 0; i < fp->ncols; i++)
		free(fp->cols[i]);
	fp->ncols = 0;
	fr_buf_free(&fp->carry);
	fr_buf_free(&fp->fieldbuf);
}

/* ---- framing ---- */

/*
 * Finds the end of the first record in p[0..n): for NDJSON the first
 * newline, for CSV the first newline outside quotes. Returns its length
 * (newline included) and the newlines in it, or 0 if there is none yet.
 */
static size_t frame(const struct file_parser *fp, const char *p, size_t n,
		    long long *newlines)
{
	if (fp->format != FMT_CSV) {
		const char *nl = memchr(p, '\n', n);

		*newlines = 1;
		return nl ? (size_t)(nl - p) + 1 : 0;
	}
	{
		int quoted = 0;
		long long lines = 0;

		for (size_t i = 0; i < n; i++) {
			if (p[i] == '"') {
				quoted = !quoted;
			} else if (p[i] == '\n') {
				lines++;
				if (!quoted) {
					*newlines = lines;
					return i + 1;
				}
			}
		}
	}
	return 0;
}

/* ---- CSV ---- */

static void csv_field(void *s, size_t len, void *data)
{
	struct file_parser *fp = data;

	if (fp->nfields >= FILE_MAX_COLUMNS) {
		fp->too_many_fields = 1;
		return;
	}
	fp->field_off[fp->nfields] = fp->fieldbuf.len;
	if (fr_buf_append(&fp->fieldbuf, s ? s : "", s ? len : 0) != 0 ||
	    fr_buf_append(&fp->fieldbuf, "", 1) != 0) {
		fp->too_many_fields = 1;
		return;
	}
	fp->nfields++;
}

/* Splits one CSV record into fieldbuf. 0, or -1 on malformed quoting. */
static int csv_split(struct file_parser *fp, const char *rec, size_t len)
{
	fr_buf_reset(&fp->fieldbuf);
	fp->nfields = 0;
	fp->too_many_fields = 0;
	if (csv_parse(&fp->csv, rec, len, csv_field, NULL, fp) != len) {
		csv_fini(&fp->csv, csv_field, NULL, fp);
		return -1;
	}
	if (csv_fini(&fp->csv, csv_field, NULL, fp) != 0)
		return -1;
	return fp->too_many_fields ? -2 : 0;
}

static const char *field_text(const struct file_parser *fp, int i)
{
	return fp->fieldbuf.data + fp->field_off[i];
}

/* The header name s without surrounding spaces (and a CR at the end): its
 * start, and its length in *n. */
static const char *trimmed(const char *s, size_t *n)
{
	size_t len = strlen(s);

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	while (len > 0 && *s == ' ') {
		s++;
		len--;
	}
	*n = len;
	return s;
}

static int csv_header(struct file_parser *fp, const struct catalog *cat,
		      const char *rec, size_t len)
{
	struct fr_err err;
	int commas = 0, semis = 0, quoted = 0, has_type = 0, has_instr = 0;

	for (size_t i = 0; i < len; i++) {
		if (rec[i] == '"')
			quoted = !quoted;
		else if (!quoted && rec[i] == ',')
			commas++;
		else if (!quoted && rec[i] == ';')
			semis++;
	}
	fp->delim = semis > commas ? ';' : ',';
	if (csv_init(&fp->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) !=
	    0) {
		snprintf(fp->fatal, sizeof(fp->fatal), "out of memory");
		return -1;
	}
	fp->csv_ready = 1;
	csv_set_delim(&fp->csv, (unsigned char)fp->delim);
	if (csv_split(fp, rec, len) != 0) {
		snprintf(fp->fatal, sizeof(fp->fatal),
			 "line %lld: the header row cannot be read as CSV",
			 fp->line + 1);
		return -1;
	}
	for (int i = 0; i < fp->nfields; i++) {
		size_t n;
		const char *name = trimmed(field_text(fp, i), &n);

		if (!rec_text_ok(name, n) || n == 0 || n > 64) {
			snprintf(fp->fatal, sizeof(fp->fatal),
				 "header column %d is empty, too long or not "
				 "UTF-8 text",
				 i + 1);
			return -1;
		}
		fp->cols[i] = fr_xmalloc(n + 1);
		memcpy(fp->cols[i], name, n);
		fp->cols[i][n] = '\0';
		fp->ncols = i + 1;
		for (int j = 0; j < i; j++) {
			if (strcmp(fp->cols[j], fp->cols[i]) == 0) {
				snprintf(fp->fatal, sizeof(fp->fatal),
					 "header columns %d and %d have the "
					 "same name",
					 j + 1, i + 1);
				return -1;
			}
		}
		has_type |= strcmp(fp->cols[i], "type") == 0;
		has_instr |= strcmp(fp->cols[i], "instrument") == 0;
	}
	if (has_type == has_instr) {
		snprintf(fp->fatal, sizeof(fp->fatal),
			 "the header must have either an `instrument` column "
			 "(a response file) or a `type` column (an event "
			 "file), not %s",
			 has_type ? "both" : "neither");
		return -1;
	}
	fp->csv_kind = has_type ? REC_EVENT : REC_RESPONSE;
	/* Once for the file, rather than the same complaint on every row
	 * (and rows rejected for a column they leave empty). */
	fr_err_clear(&err);
	if (rec_check_csv_header(fp->csv_kind, cat, fp->cols, fp->ncols,
				 &err) != 0) {
		snprintf(fp->fatal, sizeof(fp->fatal), "%s", err.msg);
		return -1;
	}
	fp->header_done = 1;
	return 0;
}

/* ---- one record ---- */

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return 0;
	return 1;
}

/* 1 if the header line rec has a column named cpr (every CSV file needs
 * one), possibly quoted or padded. */
static int has_cpr_column(const char *rec, size_t len)
{
	size_t i = 0;

	while (i <= len) {
		size_t start = i, end;

		while (i < len && rec[i] != ',' && rec[i] != ';')
			i++;
		end = i;
		while (start < end && strchr(" \t\r\"", rec[start]))
			start++;
		while (end > start && strchr(" \t\r\"", rec[end - 1]))
			end--;
		if (end - start == 3 && memcmp(rec + start, "cpr", 3) == 0)
			return 1;
		i++;
	}
	return 0;
}

/*
 * stdin without --format: a first record that begins like JSON is NDJSON,
 * a CSV header with a cpr column is CSV; anything else is refused once
 * rather than rejected as "not valid JSON" on every line. 0 or -1 with
 * fp->fatal set.
 */
static int sniff(struct file_parser *fp, const char *rec, size_t len)
{
	size_t i = 0;

	while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
		i++;
	if (i < len && (rec[i] == '{' || rec[i] == '['))
		fp->format = FMT_NDJSON;
	else if (has_cpr_column(rec, len))
		fp->format = FMT_CSV;
	else {
		snprintf(fp->fatal, sizeof(fp->fatal),
			 "the first line is neither a JSON object (NDJSON) nor "
			 "a CSV header with a `cpr` column; give --format "
			 "ndjson or --format csv");
		return -1;
	}
	return 0;
}

static void one_record(struct file_parser *fp, struct rec_ctx *ctx,
		       struct batch *b, const char *rec, size_t len,
		       long long line, struct fr_buf *rejects)
{
	const char *file = fp->multi ? fp->path : NULL;
	struct record r;
	struct fr_err err;
	int rc;

	while (len > 0 && (rec[len - 1] == '\n' || rec[len - 1] == '\r'))
		len--;
	if (blank(rec, len))
		return;
	if (fp->format == FMT_AUTO && sniff(fp, rec, len) != 0)
		return;
	fr_err_clear(&err);
	if (fp->format == FMT_NDJSON) {
		rc = rec_parse_json(rec, len, ctx, &r, &err);
	} else {
		struct rec_field fields[FILE_MAX_COLUMNS];
		int s;

		if (!fp->header_done) {
			csv_header(fp, ctx->cat, rec, len);
			return;
		}
		s = csv_split(fp, rec, len);
		if (s != 0) {
			fp->rejected++;
			file_reject_line(rejects, file, line, 0, "",
					 s == -1 ? "malformed CSV quoting"
						 : "too many fields");
			return;
		}
		if (fp->nfields != fp->ncols) {
			char why[96];

			fp->rejected++;
			snprintf(why, sizeof(why),
				 "the row has %d fields; the header has %d",
				 fp->nfields, fp->ncols);
			file_reject_line(rejects, file, line, 0, "", why);
			return;
		}
		for (int i = 0; i < fp->nfields; i++) {
			const char *t = field_text(fp, i);

			fields[i].name = fp->cols[i];
			fields[i].nlen = strlen(fp->cols[i]);
			memset(&fields[i].v, 0, sizeof(fields[i].v));
			fields[i].v.type = RV_STRING;
			fields[i].v.s = t;
			fields[i].v.len = strlen(t);
		}
		ctx->csv = 1;
		ctx->csv_kind = fp->csv_kind;
		rc = rec_build(&r, ctx, fields, fp->nfields, &err);
	}
	if (rc != 0) {
		fp->rejected++;
		file_reject_line(rejects, file, line, err.column, err.field,
				 err.msg);
		return;
	}
	rc = batch_add_at(b, &r, 0, line);
	if (rc == 0)
		fp->accepted++;
	else if (rc == 1)
		fp->duplicates++;
	else {
		fp->rejected++;
		file_reject_line(rejects, file, line, 0, "",
				 "the record does not fit in a batch");
	}
}

int file_seek(struct file_parser *fp, const struct rec_ctx *ctx,
	      long long offset, long long line)
{
	if (offset <= 0)
		return 0;
	if (fp->format == FMT_CSV) {
		/* The header is needed to read on: read it from the start. */
		char *buf = fr_xmalloc(REC_LINE_MAX);
		ssize_t n = pread(fp->fd, buf, REC_LINE_MAX, 0);
		const char *p = buf;
		long long nl = 0;
		size_t len;

		if (n > 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
			p += 3;
			n -= 3;
		}
		len = n > 0 ? frame(fp, p, (size_t)n, &nl) : 0;
		if (len == 0 || csv_header(fp, ctx->cat, p, len) != 0) {
			free(buf);
			return FR_EPARSE;
		}
		free(buf);
	}
	if (lseek(fp->fd, offset, SEEK_SET) != offset)
		return -errno;
	fp->offset = offset;
	fp->line = line;
	fp->bom_checked = 1;
	return 0;
}

static void reject_too_long(struct file_parser *fp, struct fr_buf *rejects)
{
	fp->rejected++;
	file_reject_line(rejects, fp->multi ? fp->path : NULL, fp->line + 1, 0,
			 "", "record longer than 1 MiB");
}

/*
 * Frames and handles every whole record in the carry, until the batch
 * holds target records; skipping, it first passes the rest of a line too
 * long to read. Returns the bytes handled.
 */
static size_t frame_carry(struct file_parser *fp, struct rec_ctx *ctx,
			  struct batch *b, int target, struct fr_buf *rejects,
			  int *skipping)
{
	size_t pos = 0;

	while (pos < fp->carry.len) {
		const char *rec = fp->carry.data + pos;
		long long nl = 0;
		size_t len;

		if (*skipping) {
			const char *p = memchr(rec, '\n', fp->carry.len - pos);

			if (p == NULL)
				return fp->carry.len;
			pos = (size_t)(p - fp->carry.data) + 1;
			fp->line++;
			*skipping = 0;
			continue;
		}
		len = frame(fp, rec, fp->carry.len - pos, &nl);
		if (len == 0)
			break;
		if (len > REC_LINE_MAX)
			reject_too_long(fp, rejects);
		else
			one_record(fp, ctx, b, rec, len, fp->line + 1, rejects);
		fp->line += nl;
		pos += len;
		if (fp->fatal[0] || batch_count(b) >= target)
			break;
	}
	return pos;
}

/* Appends the next chunk of the file to the carry (dropping a UTF-8 byte
 * order mark at its start); sets fp->eof at the end. 0, or -1 with
 * fp->fatal set. */
static int read_chunk(struct file_parser *fp)
{
	char *dst;
	ssize_t n;

	if (fr_buf_reserve(&fp->carry, READ_CHUNK) != 0) {
		snprintf(fp->fatal, sizeof(fp->fatal), "out of buffer space");
		return -1;
	}
	dst = fp->carry.data + fp->carry.len;
	do {
		n = read(fp->fd, dst, READ_CHUNK);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(fp->fatal, sizeof(fp->fatal), "reading %s: %s",
			 fp->path, strerror(errno));
		return -1;
	}
	if (n == 0) {
		fp->eof = 1;
		return 0;
	}
	fp->carry.len += (size_t)n;
	fp->carry.data[fp->carry.len] = '\0';
	if (!fp->bom_checked && fp->carry.len >= 3) {
		fp->bom_checked = 1;
		if (memcmp(fp->carry.data, "\xef\xbb\xbf", 3) == 0) {
			fr_buf_consume(&fp->carry, 3);
			fp->offset += 3;
		}
	}
	return 0;
}

void file_parse_some(struct file_parser *fp, struct rec_ctx *ctx,
		     struct batch *b, int target, struct fr_buf *rejects)
{
	int skipping = 0;

	while (!fp->fatal[0] && batch_count(b) < target) {
		size_t pos = frame_carry(fp, ctx, b, target, rejects, &skipping);

		fp->offset += (long long)pos;
		fr_buf_consume(&fp->carry, pos);
		if (fp->fatal[0] || batch_count(b) >= target)
			break;
		if (fp->carry.len > REC_LINE_MAX) {
			/* No end in sight: reject and skip to the next line. */
			reject_too_long(fp, rejects);
			fp->offset += (long long)fp->carry.len;
			fr_buf_reset(&fp->carry);
			skipping = 1;
			continue;
		}
		if (fp->eof) {
			/* A last record without a final newline. */
			if (fp->carry.len > 0 && !skipping) {
				one_record(fp, ctx, b, fp->carry.data,
					   fp->carry.len, fp->line + 1, rejects);
				fp->line++;
				fp->offset += (long long)fp->carry.len;
			}
			fr_buf_reset(&fp->carry);
			break;
		}
		if (read_chunk(fp) != 0)
			break;
	}
	b->file.offset = fp->offset;
	b->file.line = fp->line;
	b->file.accepted = fp->accepted;
	b->file.duplicates = fp->duplicates;
	b->file.rejected = fp->rejected;
	b->file.done = fp->eof && fp->carry.len == 0;
}
