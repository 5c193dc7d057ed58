/*
 * Files (or stdin) through the same pipeline as HTTP (`fremdrift ingest`).
 *
 * The loop thread owns two database connections, each with its copy sink.
 * Reading and parsing run on the thread pool, one job at a time, into one
 * of NSLOTS batches: while two batches are being written, one on each
 * connection, the next is being filled, so the parser and two PostgreSQL
 * backends work in parallel on the machine's cores, and memory stays flat
 * (NSLOTS batches, one read buffer) whatever the file size.
 *
 * Each batch commits together with the file's checkpoint (the line and
 * byte after it), so a run killed at any moment and started again on the
 * same file resumes after the last committed batch. That holds only if
 * the batches commit in file order: the younger batch's COPY runs beside
 * the older one's, but its COMMIT waits (the sink's gate) until the older
 * has committed. Two batches holding the same (source, id) are never
 * written at once, so the older never waits inside PostgreSQL for a row
 * of the younger, which waits for it; and a younger batch held for long
 * (something else may hold up the older on its rows) rolls back and is
 * written again after.
 */
#include "fremdrift/file_ingest.h"

#include "fremdrift/copy_sink.h"
#include "fremdrift/file_parse.h"
#include "fremdrift/env.h"
#include "fremdrift/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_TARGET 20000
#define NCONN 2  /* connections writing batches at once: the two cores */
#define NSLOTS 4 /* batches: NCONN being written, the rest parsed ahead */
#define HOLD_PARK_MS 10000
#define REJECTS_MAX (16u << 20)
#define DOWN_GIVE_UP_MS 60000
#define SHOWN_MAX 5 /* rejections printed per file without --rejects */

struct slot {
	struct batch batch; /* first: on_written finds the slot from it */
	struct fr_buf rejects;
	int state; /* 0 free, 1 parsing, 2 parsed, 3 writing */
	long long seq; /* the order of parsing, and so of committing */
	/* The parser's totals after this batch, before what the database
	 * found in the batches before it (the gate adds that). */
	long long raw_acc, raw_dup, raw_rej;
};

struct ingest {
	uv_loop_t *loop;
	struct ing_env env;
	struct pgc *pg[NCONN]; /* pg[0] also reads the environment */
	struct sink *sink[NCONN];
	struct pseud_ctx *pseud; /* used by the one parse job at a time */
	struct rec_ctx rctx;
	enum file_format format;
	const char *rejects_path;
	int rejects_fd;
	const char *source;
	char **files;
	int nfiles, cur;
	struct file_parser fp;
	char fingerprint[65];
	int file_open;
	int resumed;
	struct slot slots[NSLOTS];
	long long next_seq;      /* the seq of the next batch to parse */
	long long next_commit;   /* the seq of the next batch to commit */
	uv_timer_t hold_timer;   /* parks a batch held too long */
	int parsing;             /* a job is on the pool */
	uv_work_t work;
	struct slot *work_slot;
	uv_timer_t ticker;
	int tty;
	uint64_t file_started_ms, down_since;
	long long total_acc, total_dup, total_rej;
	/* What the database found in this file's committed batches that the
	 * parser counted as accepted: duplicates of rows stored before, and
	 * rows it refused. Kept apart from the parser's counts, which a pool
	 * thread is updating meanwhile. */
	long long db_dups, db_refused;
	int exit_code;
	int stopping;
	int opened_rejects;
	/* Without --rejects, the file's first few rejections, for people. */
	char shown[SHOWN_MAX][320];
	int nshown;
};

static void pump(struct ingest *in);
static void next_file(struct ingest *in);

static void stop(struct ingest *in, int code)
{
	if (in->stopping)
		return;
	in->stopping = 1;
	if (code > in->exit_code)
		in->exit_code = code;
	uv_timer_stop(&in->ticker);
	uv_close((uv_handle_t *)&in->ticker, NULL);
	uv_timer_stop(&in->hold_timer);
	uv_close((uv_handle_t *)&in->hold_timer, NULL);
	for (int i = 0; i < NCONN; i++)
		pgc_close(in->pg[i], NULL, NULL);
}

static void clear_progress(struct ingest *in)
{
	if (in->tty)
		fprintf(stderr, "\r\033[K");
}

static void fatal(struct ingest *in, const char *msg)
{
	clear_progress(in);
	fprintf(stderr, "fremdrift ingest: %s\n", msg);
	stop(in, FR_EXIT_FATAL);
}

/* One rejects line (file_reject_line's JSON) as "line 3, column 7, field
 * b01: reason" into dst. It holds no value, so neither does dst. */
static void shown_reason(const char *text, size_t len, char *dst, size_t size)
{
	json_t *o = json_loadb(text, len, 0, NULL);
	json_t *col = json_object_get(o, "column");
	const char *field = json_string_value(json_object_get(o, "field"));
	const char *reason = json_string_value(json_object_get(o, "reason"));
	int n = snprintf(dst, size, "line %lld",
			 (long long)json_integer_value(json_object_get(o, "line")));

	if (json_is_integer(col))
		n += snprintf(dst + n, size - (size_t)n, ", column %lld",
			      (long long)json_integer_value(col));
	if (field && field[0])
		n += snprintf(dst + n, size - (size_t)n, ", field %s", field);
	snprintf(dst + n, size - (size_t)n, ": %s", reason ? reason : "?");
	json_decref(o);
}

/* Keeps the first SHOWN_MAX rejections of the file from a batch's rejects
 * lines; only when there are rejections, so never on the happy path. */
static void keep_shown(struct ingest *in, const struct fr_buf *rejects)
{
	const char *p = rejects->data, *end = rejects->data + rejects->len;

	while (in->nshown < SHOWN_MAX && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		shown_reason(p, len, in->shown[in->nshown],
			     sizeof(in->shown[0]));
		in->nshown++;
		p += len + 1;
	}
}

/* After a file's summary line: its first rejections, and where to find
 * them all. */
static void print_shown(struct ingest *in)
{
	for (int i = 0; i < in->nshown; i++)
		fprintf(stderr, "  %s\n", in->shown[i]);
	if (in->fp.rejected > in->nshown && in->nshown > 0)
		fprintf(stderr, "  (the first %d of %lld; --rejects FILE writes "
				"every rejection to FILE)\n",
			in->nshown, in->fp.rejected);
	in->nshown = 0;
}

static void write_rejects(struct ingest *in, struct fr_buf *rejects)
{
	size_t off = 0;

	if (rejects->len == 0)
		return;
	if (in->rejects_path == NULL)
		keep_shown(in, rejects);
	if (in->rejects_path && !in->opened_rejects) {
		in->rejects_fd = open(in->rejects_path,
				      O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND |
					      (in->resumed ? 0 : O_TRUNC),
				      0600);
		in->opened_rejects = 1;
		if (in->rejects_fd < 0)
			fprintf(stderr, "fremdrift ingest: cannot write %s: %s\n",
				in->rejects_path, strerror(errno));
	}
	/* A few hundred bytes per rejected record, after its batch
	 * committed; small enough not to hold up the loop. */
	while (in->rejects_fd >= 0 && off < rejects->len) {
		ssize_t w = write(in->rejects_fd, rejects->data + off,
				  rejects->len - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	fr_buf_reset(rejects);
}

/* ---- progress ---- */

static void human_bytes(double b, char *out, size_t n)
{
	if (b >= 1e9)
		snprintf(out, n, "%.2f GB", b / 1e9);
	else
		snprintf(out, n, "%.1f MB", b / 1e6);
}

static void on_tick(uv_timer_t *t)
{
	struct ingest *in = t->data;
	uint64_t now = uv_now(in->loop);
	double secs = (double)(now - in->file_started_ms) / 1000.0;
	long long recs = in->fp.accepted + in->fp.duplicates + in->fp.rejected;
	char done[32], total[32];

	if (in->down_since &&
	    now - in->down_since > DOWN_GIVE_UP_MS) {
		fatal(in, "the database has been unreachable for a minute; "
			  "giving up (run the same command again to resume)");
		return;
	}
	if (!in->tty || !in->file_open || secs <= 0)
		return;
	human_bytes((double)in->fp.offset, done, sizeof(done));
	if (in->fp.size > 0) {
		double frac = (double)in->fp.offset / (double)in->fp.size;
		double rate = (double)in->fp.offset / secs;
		int bar = (int)(frac * 30);
		double left = rate > 0 ? (double)(in->fp.size - in->fp.offset) / rate
				       : 0;

		human_bytes((double)in->fp.size, total, sizeof(total));
		fprintf(stderr, "\r\033[K%3.0f%% [%.*s%*s] %s of %s  %.0f rec/s  "
				"%d:%02d left",
			frac * 100, bar, "==============================",
			30 - bar, "", done, total, (double)recs / secs,
			(int)left / 60, (int)left % 60);
	} else {
		fprintf(stderr, "\r\033[K%s  %.0f rec/s", done,
			(double)recs / secs);
	}
}

/* ---- the pipeline ---- */

static void parse_work(uv_work_t *w)
{
	struct ingest *in = w->data;
	struct slot *s = in->work_slot;

	file_parse_some(&in->fp, &in->rctx, &s->batch, BATCH_TARGET,
			&s->rejects);
}

static void on_written(struct batch *b, int rc, const char *error, void *data);

/* The parsed batch to write next (the oldest), or NULL. */
static struct slot *oldest_parsed(struct ingest *in)
{
	struct slot *s = NULL;

	for (int i = 0; i < NSLOTS; i++) {
		struct slot *o = &in->slots[i];

		if (o->state == 2 && (s == NULL || o->seq < s->seq))
			s = o;
	}
	return s;
}

/* 1 if a batch being written holds a (source, id) of s: the two must not
 * be written at once (see the top of the file). */
static int clashes(struct ingest *in, const struct slot *s)
{
	for (int i = 0; i < NSLOTS; i++)
		if (in->slots[i].state == 3 &&
		    batch_shares_key(&in->slots[i].batch, &s->batch))
			return 1;
	return 0;
}

/* Hands parsed batches, oldest first, to the sinks that are free. */
static void submit_ready(struct ingest *in)
{
	for (;;) {
		struct slot *s = oldest_parsed(in);
		struct sink *free_sink = NULL;

		for (int i = 0; i < NCONN && free_sink == NULL; i++)
			if (!sink_busy(in->sink[i]))
				free_sink = in->sink[i];
		if (s == NULL || free_sink == NULL || clashes(in, s))
			return;
		s->state = 3;
		sink_submit(free_sink, &s->batch, on_written, in);
	}
}

static void on_hold_timer(uv_timer_t *t)
{
	struct ingest *in = t->data;

	for (int i = 0; i < NCONN; i++)
		sink_park(in->sink[i]);
}

/*
 * The sinks' gate: a batch commits only after every batch parsed before
 * it. Then the database's findings in those batches (duplicates of rows
 * stored before, rows it refused, which the parser counted as accepted)
 * go into its checkpoint figures.
 */
static int may_commit(struct batch *b, void *data)
{
	struct ingest *in = data;
	struct slot *s = (struct slot *)b;

	if (s->seq != in->next_commit) {
		uv_timer_start(&in->hold_timer, on_hold_timer, HOLD_PARK_MS, 0);
		return 0;
	}
	b->file.accepted = s->raw_acc - in->db_dups - in->db_refused;
	b->file.duplicates = s->raw_dup + in->db_dups;
	b->file.rejected = s->raw_rej + in->db_refused;
	return 1;
}

static void after_parse(uv_work_t *w, int status)
{
	struct ingest *in = w->data;
	struct slot *s = in->work_slot;

	(void)status;
	in->parsing = 0;
	in->work_slot = NULL;
	if (in->stopping)
		return;
	if (in->fp.fatal[0]) {
		char msg[300];

		s->state = 0;

		snprintf(msg, sizeof(msg), "%s: %s",
			 in->fp.is_stdin ? "stdin" : in->fp.path, in->fp.fatal);
		fatal(in, msg);
		return;
	}
	s->state = 2;
	s->raw_acc = s->batch.file.accepted;
	s->raw_dup = s->batch.file.duplicates;
	s->raw_rej = s->batch.file.rejected;
	submit_ready(in);
	pump(in);
}

static void file_finished(struct ingest *in)
{
	char line[512];
	uint64_t ms = uv_now(in->loop) - in->file_started_ms;

	clear_progress(in);
	in->fp.accepted -= in->db_dups + in->db_refused;
	in->fp.duplicates += in->db_dups;
	in->fp.rejected += in->db_refused;
	snprintf(line, sizeof(line),
		 "%s: %lld accepted, %lld duplicates, %lld rejected%s "
		 "(%lld lines in %.1f s)\n",
		 in->fp.is_stdin ? "stdin" : in->fp.path, in->fp.accepted,
		 in->fp.duplicates, in->fp.rejected,
		 in->fp.rejected && in->rejects_path ? ", see the rejects file"
						     : "",
		 in->fp.line, (double)ms / 1000.0);
	fputs(line, stderr);
	print_shown(in);
	in->total_acc += in->fp.accepted;
	in->total_dup += in->fp.duplicates;
	in->total_rej += in->fp.rejected;
	if (in->fp.rejected)
		in->exit_code = in->exit_code > FR_EXIT_REJECTED ? in->exit_code
							      : FR_EXIT_REJECTED;
	file_close(&in->fp);
	in->file_open = 0;
	in->cur++;
	next_file(in);
}

static void on_written(struct batch *b, int rc, const char *error, void *data)
{
	struct ingest *in = data;
	struct slot *s = (struct slot *)b; /* batch is the slot's first member */
	int dups = 0;

	if (rc != 0) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s: the database refused a batch: %s",
			 in->fp.path, error ? error : "unknown error");
		fatal(in, msg);
		return;
	}
	for (int i = 0; i < b->nresp; i++)
		dups += b->resp_dup[i];
	for (int i = 0; i < b->nev; i++)
		dups += b->ev_dup[i];
	/* The parser counted them as accepted; the database knew better. */
	in->db_dups += dups;
	in->db_refused += b->nrefused;
	for (int i = 0; i < b->nrefused; i++) {
		const struct batch_refusal *f = &b->refused[i];

		file_reject_line(&s->rejects, in->fp.multi ? in->fp.path : NULL,
				 f->is_resp ? b->resp_where[f->row]
					    : b->ev_where[f->row],
				 0, f->field, f->reason);
	}
	write_rejects(in, &s->rejects);
	in->next_commit = s->seq + 1;
	uv_timer_stop(&in->hold_timer);
	{
		int done = b->file.done;

		batch_reset(b);
		s->state = 0;
		if (done) {
			file_finished(in);
			return;
		}
	}
	/* The batch after this one may be waiting at its COMMIT. */
	for (int i = 0; i < NCONN; i++)
		sink_release(in->sink[i]);
	submit_ready(in);
	pump(in);
}

/* Starts a parse job when a slot is free and the file is not finished. */
static void pump(struct ingest *in)
{
	struct slot *s = NULL;

	if (in->stopping || !in->file_open || in->parsing || in->fp.eof)
		return;
	for (int i = 0; i < NSLOTS; i++)
		if (in->slots[i].state == 0)
			s = &in->slots[i];
	if (s == NULL)
		return;
	s->state = 1;
	s->seq = in->next_seq++;
	batch_reset(&s->batch);
	s->batch.file.active = !in->fp.is_stdin;
	snprintf(s->batch.file.fingerprint, sizeof(s->batch.file.fingerprint),
		 "%s", in->fingerprint);
	snprintf(s->batch.file.source, sizeof(s->batch.file.source), "%s",
		 in->source);
	in->work_slot = s;
	in->parsing = 1;
	in->work.data = in;
	uv_queue_work(in->loop, &in->work, parse_work, after_parse);
}

static void on_checkpoint(struct pgc *c, PGresult *res, const char *error,
			  void *data)
{
	struct ingest *in = data;

	(void)c;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		char msg[512];

		snprintf(msg, sizeof(msg), "cannot read the file checkpoint: %s",
			 error ? error : "connection lost");
		fatal(in, msg);
		return;
	}
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 5), "f") == 0) {
		long long off = atoll(PQgetvalue(res, 0, 0));
		long long line = atoll(PQgetvalue(res, 0, 1));

		if (file_seek(&in->fp, &in->rctx, off, line) != 0) {
			fatal(in, "cannot resume: the file changed?");
			return;
		}
		in->fp.accepted = atoll(PQgetvalue(res, 0, 2));
		in->fp.duplicates = atoll(PQgetvalue(res, 0, 3));
		in->fp.rejected = atoll(PQgetvalue(res, 0, 4));
		if (in->cur == 0)
			in->resumed = 1;
		clear_progress(in);
		fprintf(stderr, "%s: resuming after line %lld (an earlier run "
				"was interrupted)\n",
			in->fp.path, line);
	}
	in->file_started_ms = uv_now(in->loop);
	pump(in);
}

static void next_file(struct ingest *in)
{
	struct fr_err err;

	if (in->stopping)
		return;
	if (in->cur >= in->nfiles) {
		if (in->nfiles > 1)
			fprintf(stderr, "total: %lld accepted, %lld duplicates, "
					"%lld rejected\n",
				in->total_acc, in->total_dup, in->total_rej);
		stop(in, in->exit_code);
		return;
	}
	fr_err_clear(&err);
	/* Opening reads the first 64 KiB for the fingerprint: a blocking
	 * read of a local file, once per file, before any work is queued. */
	if (file_open(&in->fp, in->files[in->cur], in->format, in->fingerprint,
		      &err) != 0) {
		fatal(in, err.msg);
		return;
	}
	in->fp.multi = in->nfiles > 1;
	in->file_open = 1;
	in->db_dups = in->db_refused = 0;
	in->file_started_ms = uv_now(in->loop);
	if (in->fingerprint[0]) {
		const char *params[1] = {in->fingerprint};

		if (pgc_query(in->pg[0],
			      "SELECT byte_offset, line, accepted, duplicates, "
			      "rejected, done FROM fremdrift.file_checkpoints "
			      "WHERE fingerprint = $1",
			      1, params, 0, on_checkpoint, in) != 0)
			in->down_since = in->down_since ? in->down_since
							: uv_now(in->loop);
		return;
	}
	pump(in);
}

static void on_env(struct ing_env *env, int rc, const char *error, void *data)
{
	struct ingest *in = data;

	(void)env;
	if (rc != 0) {
		fatal(in, error);
		return;
	}
	in->rctx.key_no = in->env.key_no;
	if (!in->file_open && in->cur == 0)
		next_file(in);
}

static int all_up(const struct ingest *in)
{
	for (int i = 0; i < NCONN; i++)
		if (!pgc_is_up(in->pg[i]))
			return 0;
	return 1;
}

static int idle(const struct ingest *in)
{
	for (int i = 0; i < NSLOTS; i++)
		if (in->slots[i].state != 0)
			return 0;
	return !in->parsing;
}

static void on_pg_state(struct pgc *c, int up, void *data)
{
	struct ingest *in = data;

	if (!up) {
		in->down_since = in->down_since ? in->down_since
						: uv_now(in->loop);
		return;
	}
	if (all_up(in))
		in->down_since = 0;
	if (c != in->pg[0]) {
		for (int i = 1; i < NCONN; i++)
			if (c == in->pg[i])
				sink_connection_up(in->sink[i]);
		return;
	}
	if (!in->env.ready) {
		if (env_prepare(&in->env, in->pg[0], on_env, in) != 0)
			in->down_since = uv_now(in->loop);
		return;
	}
	sink_connection_up(in->sink[0]);
	/* The checkpoint query of a file may have been lost with the link. */
	if (in->file_open && idle(in) && in->fp.offset == 0)
		pump(in);
}

int file_ingest_run(const struct file_ingest_opts *opts,
		    const struct fr_config *cfg)
{
	struct ingest in;
	struct fr_err err;

	memset(&in, 0, sizeof(in));
	in.format = opts->format;
	in.rejects_path = opts->rejects_path;
	in.source = opts->source;
	in.files = opts->files;
	in.nfiles = opts->nfiles;
	in.rejects_fd = -1;
	fr_err_clear(&err);
	if (env_init(&in.env, cfg->key_file, &err) != 0) {
		fprintf(stderr, "fremdrift ingest: %s\n", err.msg);
		return FR_EXIT_FATAL;
	}
	if (pseud_ctx_new(in.env.key.bytes, in.env.key.len, &in.pseud, &err)) {
		fprintf(stderr, "fremdrift ingest: %s\n", err.msg);
		env_free(&in.env);
		return FR_EXIT_FATAL;
	}
	in.loop = uv_default_loop();
	in.tty = isatty(2);
	in.rctx.cat = &in.env.cat;
	in.rctx.pseud = in.pseud;
	in.rctx.default_source = in.source;
	cpr_today(&in.rctx.today);
	for (int i = 0; i < NSLOTS; i++) {
		batch_init(&in.slots[i].batch, "file");
		fr_buf_init(&in.slots[i].rejects, REJECTS_MAX);
	}
	for (int i = 0; i < NCONN; i++) {
		if (pgc_new(in.loop, cfg->database_url, NULL, on_pg_state, &in,
			    &in.pg[i], &err) != 0) {
			fprintf(stderr, "fremdrift ingest: %s\n", err.msg);
			in.exit_code = FR_EXIT_FATAL;
			/* Those made already are freed by the loop. */
			for (int j = 0; j < i; j++)
				pgc_close(in.pg[j], NULL, NULL);
			uv_run(in.loop, UV_RUN_DEFAULT);
			goto out_sinks;
		}
		in.sink[i] = sink_new(in.pg[i]);
		sink_set_gate(in.sink[i], may_commit, &in);
	}
	in.down_since = uv_now(in.loop); /* not connected yet */
	uv_timer_init(in.loop, &in.ticker);
	uv_timer_init(in.loop, &in.hold_timer);
	in.ticker.data = &in;
	in.hold_timer.data = &in;
	uv_timer_start(&in.ticker, on_tick, 250, 250);
	uv_run(in.loop, UV_RUN_DEFAULT);
out_sinks:
	for (int i = 0; i < NCONN; i++)
		if (in.sink[i])
			sink_free(in.sink[i]);
	if (in.file_open)
		file_close(&in.fp);
	for (int i = 0; i < NSLOTS; i++) {
		batch_free(&in.slots[i].batch);
		fr_buf_free(&in.slots[i].rejects);
	}
	if (in.rejects_fd >= 0)
		close(in.rejects_fd);
	pseud_ctx_free(in.pseud);
	env_free(&in.env);
	uv_loop_close(in.loop);
	return in.exit_code;
}
