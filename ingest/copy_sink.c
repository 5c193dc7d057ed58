#include "fremdrift/copy_sink.h"
#include "fremdrift/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum step {
	S_IDLE,
	S_BEGIN, S_COPY_R, S_COPY_E, S_BOOK, /* S_BOOK ends with COMMIT */
	S_ROLLBACK,
	S_F_BEGIN, S_F_COPY_R, S_F_COPY_E, S_F_DUPS, S_F_INSERT, S_F_BOOK,
	S_WAIT_UP, /* connection lost: waiting for it to come back */
	S_CHECK    /* asking whether a COMMIT whose answer was lost landed */
};

struct sink {
	struct pgc *pg;
	struct batch *b;
	sink_done_cb cb;
	void *data;
	enum step step;
	int commit_sent; /* a COMMIT went out whose answer may be lost */
	int slow;        /* this batch takes the duplicate path */
	int db_dups;
};

struct sink *sink_new(struct pgc *pg)
{
	struct sink *s = fr_xcalloc(1, sizeof(*s));

	s->pg = pg;
	return s;
}

void sink_free(struct sink *s) { free(s); }
int sink_busy(const struct sink *s) { return s->step != S_IDLE; }

static void finish(struct sink *s, int rc, const char *error)
{
	struct batch *b = s->b;
	sink_done_cb cb = s->cb;
	void *data = s->data;

	s->b = NULL;
	s->step = S_IDLE;
	cb(b, rc, error, data);
}

static const char *sqlstate(PGresult *res)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return st ? st : "";
}

static void on_result(struct pgc *c, PGresult *res, const char *error,
		      void *data);

#define BEGIN_SQL "BEGIN; SET LOCAL TimeZone = 'Europe/Copenhagen'"

/* 1 if s holds only characters safe inside a SQL literal here (the
 * characters of a source name; hex digests and origins are a subset). */
static int plain(const char *s) { return rec_source_ok(s); }

static void bookkeeping_sql(struct sink *s, char *sql, size_t n)
{
	struct batch *b = s->b;
	int len = snprintf(sql, n,
			   "INSERT INTO fremdrift.ingest_batches (batch, origin, "
			   "records, duplicates) VALUES (%llu, '%s', %d, %d); ",
			   (unsigned long long)b->id,
			   plain(b->origin) ? b->origin : "other",
			   batch_count(b) - s->db_dups,
			   b->in_batch_dups + s->db_dups);

	if (b->file.active && plain(b->file.fingerprint))
		len += snprintf(
			sql + len, n - (size_t)len,
			"INSERT INTO fremdrift.file_checkpoints (fingerprint, "
			"source, byte_offset, line, accepted, duplicates, "
			"rejected, done) VALUES ('%s', '%s', %lld, %lld, %lld, "
			"%lld, %lld, %s) ON CONFLICT (fingerprint) DO UPDATE SET "
			"byte_offset = EXCLUDED.byte_offset, line = EXCLUDED.line, "
			"accepted = EXCLUDED.accepted, duplicates = "
			"EXCLUDED.duplicates, rejected = EXCLUDED.rejected, "
			"done = EXCLUDED.done, updated_at = now(); ",
			b->file.fingerprint,
			plain(b->file.source) ? b->file.source : "file",
			b->file.offset, b->file.line,
			b->file.accepted - s->db_dups,
			b->file.duplicates + s->db_dups, b->file.rejected,
			b->file.done ? "true" : "false");
	snprintf(sql + len, n - (size_t)len, "COMMIT");
}

/* Sends the statement of the current step. */
static void send_step(struct sink *s)
{
	struct batch *b = s->b;
	char sql[2048], id[24];
	const char *params[1];
	int rc = 0;

	switch (s->step) {
	case S_BEGIN:
		rc = pgc_exec(s->pg, BEGIN_SQL, on_result, s);
		break;
	case S_COPY_R:
	case S_F_COPY_R:
		snprintf(sql, sizeof(sql), "%sCOPY %s (%s) FROM STDIN",
			 s->step == S_COPY_R ? BEGIN_SQL "; " : "",
			 s->step == S_COPY_R ? "fremdrift.responses" : "stage_r",
			 batch_response_columns);
		rc = pgc_copy(s->pg, sql, b->resp.data, b->resp.len, on_result,
			      s);
		break;
	case S_COPY_E:
	case S_F_COPY_E:
		snprintf(sql, sizeof(sql), "%sCOPY %s (%s) FROM STDIN",
			 s->step == S_COPY_E && b->nresp == 0 ? BEGIN_SQL "; " : "",
			 s->step == S_COPY_E ? "fremdrift.events" : "stage_e",
			 batch_event_columns);
		rc = pgc_copy(s->pg, sql, b->ev.data, b->ev.len, on_result, s);
		break;
	case S_BOOK:
	case S_F_BOOK:
		/* The batch's bookkeeping and COMMIT in one message. Every
		 * value is a number, a hex digest or a checked source name,
		 * so they are written as literals. */
		s->commit_sent = 1;
		bookkeeping_sql(s, sql, sizeof(sql));
		rc = pgc_exec(s->pg, sql, on_result, s);
		break;
	case S_ROLLBACK:
		rc = pgc_exec(s->pg, "ROLLBACK", on_result, s);
		break;
	case S_F_BEGIN:
		rc = pgc_exec(
			s->pg,
			"BEGIN; SET LOCAL TimeZone = 'Europe/Copenhagen'; "
			"CREATE TEMP TABLE IF NOT EXISTS stage_r (LIKE "
			"fremdrift.responses, seq int GENERATED ALWAYS AS "
			"IDENTITY); "
			"CREATE TEMP TABLE IF NOT EXISTS stage_e (LIKE "
			"fremdrift.events, seq int GENERATED ALWAYS AS "
			"IDENTITY); "
			"TRUNCATE stage_r, stage_e RESTART IDENTITY",
			on_result, s);
		break;
	case S_F_DUPS:
		rc = pgc_exec(
			s->pg,
			"SELECT 'r', seq FROM stage_r s WHERE EXISTS (SELECT 1 "
			"FROM fremdrift.responses f WHERE f.source = s.source "
			"AND f.id = s.id) UNION ALL "
			"SELECT 'e', seq FROM stage_e s WHERE EXISTS (SELECT 1 "
			"FROM fremdrift.events f WHERE f.source = s.source AND "
			"f.id = s.id)",
			on_result, s);
		break;
	case S_F_INSERT:
		snprintf(sql, sizeof(sql),
			 "INSERT INTO fremdrift.responses (%s) SELECT %s FROM "
			 "stage_r ON CONFLICT DO NOTHING; ",
			 batch_response_columns, batch_response_columns);
		{
			char all[3072];

			snprintf(all, sizeof(all),
				 "%sINSERT INTO fremdrift.events (%s) SELECT %s "
				 "FROM stage_e ON CONFLICT DO NOTHING",
				 sql, batch_event_columns, batch_event_columns);
			rc = pgc_exec(s->pg, all, on_result, s);
		}
		break;
	case S_CHECK:
		snprintf(id, sizeof(id), "%llu", (unsigned long long)b->id);
		params[0] = id;
		rc = pgc_query(s->pg,
			       "SELECT 1 FROM fremdrift.ingest_batches WHERE "
			       "batch = $1",
			       1, params, 0, on_result, s);
		break;
	default:
		break;
	}
	if (rc != 0) {
		/* The connection is down: wait for it. */
		s->step = S_WAIT_UP;
	}
}

static void restart(struct sink *s)
{
	s->db_dups = 0;
	/* The arrays are NULL until a row of their kind was added. */
	if (s->b->nresp > 0)
		memset(s->b->resp_dup, 0, (size_t)s->b->nresp);
	if (s->b->nev > 0)
		memset(s->b->ev_dup, 0, (size_t)s->b->nev);
	s->commit_sent = 0;
	if (s->slow)
		s->step = S_F_BEGIN;
	else if (s->b->nresp > 0)
		s->step = S_COPY_R; /* carries the BEGIN */
	else if (s->b->nev > 0)
		s->step = S_COPY_E;
	else
		s->step = S_BEGIN;
	send_step(s);
}

/* The next step after a successful one. */
static enum step next_step(struct sink *s)
{
	switch (s->step) {
	case S_BEGIN: return S_BOOK; /* only for a batch with no rows */
	case S_COPY_R: return S_COPY_E;
	case S_COPY_E: return S_BOOK;
	case S_F_BEGIN: return S_F_COPY_R;
	case S_F_COPY_R: return S_F_COPY_E;
	case S_F_COPY_E: return S_F_DUPS;
	case S_F_DUPS: return S_F_INSERT;
	case S_F_INSERT: return S_F_BOOK;
	default: return S_IDLE;
	}
}

static void on_result(struct pgc *c, PGresult *res, const char *error,
		      void *data)
{
	struct sink *s = data;
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	(void)c;
	if (s->step == S_WAIT_UP || s->step == S_IDLE)
		return;
	if (res == NULL) {
		/* Connection lost or shutting down. */
		log_warning("sink", "batch interrupted (%s); will resume when "
				    "the database is back",
			    error ? error : "connection lost");
		s->step = S_WAIT_UP;
		return;
	}
	if (s->step == S_ROLLBACK) {
		s->slow = 1;
		restart(s);
		return;
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		if (strcmp(sqlstate(res), "23505") == 0 && !s->slow) {
			/* Some rows are stored already: the duplicate path. */
			s->step = S_ROLLBACK;
			send_step(s);
			return;
		}
		/* A serialisation or deadlock failure is worth a replay. */
		if (strcmp(sqlstate(res), "40001") == 0 ||
		    strcmp(sqlstate(res), "40P01") == 0) {
			s->step = S_ROLLBACK;
			send_step(s);
			return;
		}
		{
			/* Only the primary message: DETAIL and CONTEXT quote
			 * row contents, which do not belong in a log. */
			const char *primary =
				PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			char msg[512];

			(void)error;
			snprintf(msg, sizeof(msg), "%s (SQLSTATE %s)",
				 primary ? primary : "database error",
				 sqlstate(res));
			log_error("sink", "batch failed: %s", msg);
			/* End the transaction, then report. */
			pgc_exec(s->pg, "ROLLBACK", NULL, NULL);
			finish(s, FR_EDB, msg);
		}
		return;
	}
	switch (s->step) {
	case S_CHECK:
		if (PQntuples(res) > 0) {
			log_info("sink", "batch had committed before the "
					 "connection was lost");
			finish(s, 0, NULL);
		} else {
			restart(s);
		}
		return;
	case S_F_DUPS:
		for (int r = 0; r < PQntuples(res); r++) {
			int seq = atoi(PQgetvalue(res, r, 1)) - 1;

			int is_resp = PQgetvalue(res, r, 0)[0] == 'r';
			unsigned char *dup = is_resp ? s->b->resp_dup
						     : s->b->ev_dup;
			int rows = is_resp ? s->b->nresp : s->b->nev;

			if (seq >= 0 && seq < rows && !dup[seq]) {
				dup[seq] = 1;
				s->db_dups++;
			}
		}
		break;
	case S_BOOK:
	case S_F_BOOK:
		finish(s, 0, NULL); /* bookkeeping and COMMIT went together */
		return;
	default:
		break;
	}
	s->step = next_step(s);
	/* Skip a COPY with nothing to copy. */
	if ((s->step == S_COPY_R || s->step == S_F_COPY_R) && s->b->nresp == 0)
		s->step = next_step(s);
	if ((s->step == S_COPY_E || s->step == S_F_COPY_E) && s->b->nev == 0)
		s->step = next_step(s);
	send_step(s);
}

int sink_submit(struct sink *s, struct batch *b, sink_done_cb cb, void *data)
{
	if (s->step != S_IDLE)
		return FR_ESTATE;
	s->b = b;
	s->cb = cb;
	s->data = data;
	s->slow = 0;
	restart(s);
	return 0;
}

void sink_connection_up(struct sink *s)
{
	if (s->step != S_WAIT_UP)
		return;
	if (s->commit_sent) {
		s->step = S_CHECK;
		send_step(s);
	} else {
		restart(s);
	}
}
