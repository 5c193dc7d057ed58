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
	S_P_BEGIN, S_P_COPY_R, S_P_COPY_E, S_P_RUN, S_P_BOOK,
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
	int merged;      /* BEGIN, bookkeeping and COMMIT ride on the COPYs */
	int rows;        /* this batch takes the row-by-row path */
	int db_dups;
	int db_refused;  /* rows the database refused (the row-by-row path) */
	struct fr_buf sql; /* the bookkeeping statement */
	/* The row-by-row path's statements, made once in sink_new. */
	struct fr_buf rows_ddl, rows_run;
	/* The pgc_session in which the staging tables were committed. */
	unsigned staged_session, rows_session;
	sink_gate_cb gate;
	void *gate_data;
	int held;              /* 1 held at the COMMIT, 2 parked (rolled back) */
	unsigned held_session; /* the session of the held transaction */
};

#define SQL_MAX 4096

/*
 * The row-by-row path (a row the database refuses: a type's range, a
 * constraint). The batch's COPY text goes into staging tables of text
 * columns, which take any row, and each row is then inserted on its own in
 * a subtransaction: a row refused for a reason of its own (SQLSTATE class
 * 22, 23 or 54) is noted in stage_out with its column when PostgreSQL names
 * one, never its value; any other error (a serialisation failure, a full
 * disk) fails the whole statement as before. Slow, and only ever taken by
 * a batch holding such a row.
 */
static void rows_table_sql(struct fr_buf *o, const char *name,
			   const char *columns)
{
	fr_buf_printf(o, "CREATE TEMP TABLE %s (seq int GENERATED ALWAYS AS "
			 "IDENTITY", name);
	for (const char *p = columns; *p;) {
		size_t n = strcspn(p, ",");

		fr_buf_printf(o, ", %.*s text", (int)n, p);
		p += n;
		p += strspn(p, ", ");
	}
	fr_buf_printf(o, "); ");
}

static void rows_loop_sql(struct fr_buf *o, const char *stage,
			  const char *table, const char *columns, char kind)
{
	fr_buf_printf(
		o,
		"FOR s IN SELECT t.seq, to_json(t) AS j FROM %s t ORDER BY "
		"t.seq LOOP BEGIN INSERT INTO %s (%s) SELECT %s FROM "
		"json_populate_record(NULL::%s, s.j) ON CONFLICT DO NOTHING; "
		"GET DIAGNOSTICS n = ROW_COUNT; IF n = 0 THEN INSERT INTO "
		"stage_out VALUES ('%c', s.seq, 'dup', NULL); END IF; "
		"EXCEPTION WHEN others THEN GET STACKED DIAGNOSTICS e = "
		"RETURNED_SQLSTATE, c = COLUMN_NAME; IF left(e, 2) NOT IN "
		"('22', '23', '54') THEN RAISE; END IF; INSERT INTO stage_out "
		"VALUES ('%c', s.seq, e, c); END; END LOOP; ",
		stage, table, columns, columns, table, kind, kind);
}

static void rows_sql(struct sink *s)
{
	fr_buf_init(&s->rows_ddl, SQL_MAX);
	fr_buf_init(&s->rows_run, 2 * SQL_MAX);
	rows_table_sql(&s->rows_ddl, "stage_rt", batch_response_columns);
	rows_table_sql(&s->rows_ddl, "stage_et", batch_event_columns);
	fr_buf_printf(&s->rows_ddl, "CREATE TEMP TABLE stage_out (kind "
				    "\"char\", seq int, what text, col text); ");
	fr_buf_printf(&s->rows_run, "DO $fr$DECLARE s record; n int; e text; "
				    "c text; BEGIN ");
	rows_loop_sql(&s->rows_run, "stage_rt", "fremdrift.responses",
		      batch_response_columns, 'r');
	rows_loop_sql(&s->rows_run, "stage_et", "fremdrift.events",
		      batch_event_columns, 'e');
	fr_buf_printf(&s->rows_run, "END$fr$; SELECT kind, seq, what, "
				    "coalesce(col, '') FROM stage_out");
}

struct sink *sink_new(struct pgc *pg)
{
	struct sink *s = fr_xcalloc(1, sizeof(*s));

	s->pg = pg;
	fr_buf_init(&s->sql, SQL_MAX);
	rows_sql(s);
	return s;
}

void sink_free(struct sink *s)
{
	fr_buf_free(&s->sql);
	fr_buf_free(&s->rows_ddl);
	fr_buf_free(&s->rows_run);
	free(s);
}
int sink_busy(const struct sink *s) { return s->step != S_IDLE; }
int sink_held(const struct sink *s) { return s->held != 0; }

void sink_set_gate(struct sink *s, sink_gate_cb gate, void *data)
{
	s->gate = gate;
	s->gate_data = data;
}

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

/* Ends the transaction and reports the batch failed for msg. */
static void abandon(struct sink *s, const char *msg)
{
	log_error("sink", "batch failed: %s", msg);
	pgc_exec(s->pg, "ROLLBACK", NULL, NULL);
	finish(s, FR_EDB, msg);
}

#define BEGIN_SQL "BEGIN; SET LOCAL TimeZone = 'Europe/Copenhagen'"

/*
 * Appends s as an SQL string literal: quotes doubled, and in the E'' form
 * with backslashes doubled when it holds one, so that it reads the same
 * whatever standard_conforming_strings says. 0 or FR_ETOOBIG.
 */
static int put_literal(struct fr_buf *o, const char *s)
{
	int rc = strchr(s, '\\') ? fr_buf_append(o, "E'", 2)
				 : fr_buf_append(o, "'", 1);

	for (const char *p = s; *p && rc == 0; p++) {
		if (*p == '\'' || *p == '\\')
			rc = fr_buf_append(o, p, 1);
		rc = rc ? rc : fr_buf_append(o, p, 1);
	}
	return rc ? rc : fr_buf_append(o, "'", 1);
}

/* Appends the batch's bookkeeping (and the file's checkpoint) to o. 0 or
 * FR_ETOOBIG. */
static int put_bookkeeping(struct sink *s, struct fr_buf *o)
{
	struct batch *b = s->b;
	int rc;

	rc = fr_buf_printf(o, "INSERT INTO fremdrift.ingest_batches (batch, "
			      "origin, records, duplicates) VALUES (%llu, ",
			   (unsigned long long)b->id);
	rc = rc ? rc : put_literal(o, b->origin);
	rc = rc ? rc : fr_buf_printf(o, ", %d, %d); ",
				     batch_count(b) - s->db_dups - s->db_refused,
				     b->in_batch_dups + s->db_dups);
	if (b->file.active) {
		rc = rc ? rc : fr_buf_printf(
			o, "INSERT INTO fremdrift.file_checkpoints (fingerprint, "
			   "source, byte_offset, line, accepted, duplicates, "
			   "rejected, done) VALUES (");
		rc = rc ? rc : put_literal(o, b->file.fingerprint);
		rc = rc ? rc : fr_buf_printf(o, ", ");
		rc = rc ? rc : put_literal(o, b->file.source);
		rc = rc ? rc : fr_buf_printf(
			o, ", %lld, %lld, %lld, %lld, %lld, %s) ON CONFLICT "
			   "(fingerprint) DO UPDATE SET byte_offset = "
			   "EXCLUDED.byte_offset, line = EXCLUDED.line, "
			   "accepted = EXCLUDED.accepted, duplicates = "
			   "EXCLUDED.duplicates, rejected = EXCLUDED.rejected, "
			   "done = EXCLUDED.done, updated_at = now(); ",
			b->file.offset, b->file.line,
			b->file.accepted - s->db_dups - s->db_refused,
			b->file.duplicates + s->db_dups,
			b->file.rejected + s->db_refused,
			b->file.done ? "true" : "false");
	}
	return rc;
}

/* The batch's bookkeeping, then COMMIT, into s->sql. 0 or FR_ETOOBIG. */
static int bookkeeping_sql(struct sink *s)
{
	int rc;

	fr_buf_reset(&s->sql);
	rc = put_bookkeeping(s, &s->sql);
	return rc ? rc : fr_buf_printf(&s->sql, "COMMIT");
}

/*
 * The merged path, for a batch of no file (the HTTP batches: no checkpoint
 * to hold back): the first COPY's message carries BEGIN and the batch's
 * bookkeeping, known before the COPY on this path (every row new), and the
 * last COPY's message ends with COMMIT, so a batch of one kind of rows is
 * one transaction in two round trips instead of three. PostgreSQL runs
 * the statements of one message in turn, the COPY's data in between, and
 * answers the COMMIT only once it has committed. If the COPY fails, the
 * rest of its message (the COMMIT) is skipped and the transaction stays
 * aborted until on_error's ROLLBACK: nothing of the batch commits. A
 * COMMIT counts as sent from the moment the last COPY goes out.
 */
static int merged_copy(struct sink *s, int resp)
{
	struct batch *b = s->b;
	struct fr_buf *o = &s->sql;
	int last = !resp || b->nev == 0;
	int rc = 0;

	fr_buf_reset(o);
	if (resp || b->nresp == 0) {
		rc = fr_buf_printf(o, "%s; ", BEGIN_SQL);
		rc = rc ? rc : put_bookkeeping(s, o);
	}
	rc = rc ? rc : fr_buf_printf(o, "COPY %s (%s) FROM STDIN%s",
				     resp ? "fremdrift.responses"
					  : "fremdrift.events",
				     resp ? batch_response_columns
					  : batch_event_columns,
				     last ? "; COMMIT" : "");
	if (rc != 0)
		return rc;
	s->commit_sent |= last;
	return pgc_copy(s->pg, o->data, resp ? b->resp.data : b->ev.data,
			resp ? b->resp.len : b->ev.len, on_result, s);
}

/*
 * The duplicate path's staging tables, made once per session: CREATE ...
 * IF NOT EXISTS each time would draw a notice from the server for every
 * batch after the first. Temporary tables go with the session, and with
 * the transaction that made them if it rolls back, so they count as made
 * once that transaction has committed in the current session.
 */
#define STAGE_SQL                                                              \
	"CREATE TEMP TABLE stage_r (LIKE fremdrift.responses, seq int "       \
	"GENERATED ALWAYS AS IDENTITY); "                                      \
	"CREATE TEMP TABLE stage_e (LIKE fremdrift.events, seq int "          \
	"GENERATED ALWAYS AS IDENTITY); "
#define TRUNCATE_SQL "TRUNCATE stage_r, stage_e RESTART IDENTITY"

static int staged(const struct sink *s)
{
	return s->staged_session != 0 &&
	       s->staged_session == pgc_session(s->pg);
}

#define ROWS_TRUNCATE_SQL "TRUNCATE stage_rt, stage_et, stage_out RESTART IDENTITY"

/* The row-by-row path's statements of step (0 when it has none). */
static int send_rows_step(struct sink *s)
{
	struct batch *b = s->b;
	char sql[2048];
	int mine = s->step == S_P_COPY_R;

	switch (s->step) {
	case S_P_BEGIN:
		fr_buf_reset(&s->sql);
		fr_buf_printf(&s->sql, "%s; %s%s", BEGIN_SQL,
			      s->rows_session != 0 &&
					      s->rows_session == pgc_session(s->pg)
				      ? ""
				      : s->rows_ddl.data,
			      ROWS_TRUNCATE_SQL);
		return pgc_exec(s->pg, s->sql.data, on_result, s);
	case S_P_COPY_R:
	case S_P_COPY_E:
		snprintf(sql, sizeof(sql), "COPY %s (%s) FROM STDIN",
			 mine ? "stage_rt" : "stage_et",
			 mine ? batch_response_columns : batch_event_columns);
		return pgc_copy(s->pg, sql, mine ? b->resp.data : b->ev.data,
				mine ? b->resp.len : b->ev.len, on_result, s);
	case S_P_RUN:
		return pgc_exec(s->pg, s->rows_run.data, on_result, s);
	default:
		return 0;
	}
}

/* Sends the statement of the current step. */
static void send_step(struct sink *s)
{
	struct batch *b = s->b;
	char sql[2048], id[24];
	const char *params[1];
	int rc = 0;

	if (s->merged && (s->step == S_COPY_R || s->step == S_COPY_E)) {
		rc = merged_copy(s, s->step == S_COPY_R);
		if (rc == FR_ETOOBIG)
			abandon(s, "the bookkeeping statement is too long");
		else if (rc != 0)
			s->step = S_WAIT_UP; /* the connection is down */
		return;
	}
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
	case S_P_BEGIN:
	case S_P_COPY_R:
	case S_P_COPY_E:
	case S_P_RUN:
		rc = send_rows_step(s);
		break;
	case S_BOOK:
	case S_F_BOOK:
	case S_P_BOOK:
		if (s->gate && !s->gate(b, s->gate_data)) {
			/* Not yet: the transaction stays open, nothing in
			 * flight, until sink_release. */
			s->held = 1;
			s->held_session = pgc_session(s->pg);
			pgc_keep_open(s->pg);
			return;
		}
		/* The batch's bookkeeping and COMMIT in one message, so the
		 * values are literals (a simple query takes no parameters). */
		if (bookkeeping_sql(s) != 0) {
			abandon(s, "the bookkeeping statement is too long");
			return;
		}
		s->commit_sent = 1;
		rc = pgc_exec(s->pg, s->sql.data, on_result, s);
		break;
	case S_ROLLBACK:
		rc = pgc_exec(s->pg, "ROLLBACK", on_result, s);
		break;
	case S_F_BEGIN:
		rc = pgc_exec(s->pg, staged(s) ? BEGIN_SQL "; " TRUNCATE_SQL
					       : BEGIN_SQL "; " STAGE_SQL TRUNCATE_SQL,
			      on_result, s);
		break;
	case S_F_DUPS:
		/* After the insert: the staged rows this transaction did not
		 * insert itself. Asking before the insert which rows exist
		 * would miss a row another transaction has inserted and not
		 * yet committed (a batch on another connection): the insert
		 * then waits for that commit and skips the row, which would be
		 * answered as stored here too. */
		rc = pgc_exec(
			s->pg,
			"SELECT 'r', seq FROM stage_r s WHERE NOT EXISTS (SELECT "
			"1 FROM fremdrift.responses f WHERE f.source = s.source "
			"AND f.id = s.id AND f.xmin = pg_current_xact_id()::xid) "
			"UNION ALL "
			"SELECT 'e', seq FROM stage_e s WHERE NOT EXISTS (SELECT "
			"1 FROM fremdrift.events f WHERE f.source = s.source AND "
			"f.id = s.id AND f.xmin = pg_current_xact_id()::xid)",
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
	s->held = 0;
	s->db_dups = 0;
	s->db_refused = 0;
	s->b->nrefused = 0;
	/* The arrays are NULL until a row of their kind was added. */
	if (s->b->nresp > 0)
		memset(s->b->resp_dup, 0, (size_t)s->b->nresp);
	if (s->b->nev > 0)
		memset(s->b->ev_dup, 0, (size_t)s->b->nev);
	s->commit_sent = 0;
	s->merged = !s->b->file.active && !s->slow && !s->rows;
	if (s->rows)
		s->step = S_P_BEGIN;
	else if (s->slow)
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
	case S_F_COPY_E: return S_F_INSERT;
	case S_F_INSERT: return S_F_DUPS;
	case S_F_DUPS: return S_F_BOOK;
	case S_P_BEGIN: return S_P_COPY_R;
	case S_P_COPY_R: return S_P_COPY_E;
	case S_P_COPY_E: return S_P_RUN;
	case S_P_RUN: return S_P_BOOK;
	default: return S_IDLE;
	}
}

/* 1 if state is an error that lies in one row's values: a data
 * exception (22), an integrity constraint (23) or a program limit such as
 * an index row too big (54). */
static int row_error(const char *state)
{
	return strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0 ||
	       strncmp(state, "54", 2) == 0;
}

/* A statement failed: replay what is worth replaying, or give up. */
static void on_error(struct sink *s, PGresult *res)
{
	const char *state = sqlstate(res);
	/* Only the primary message: DETAIL and CONTEXT quote row contents,
	 * which do not belong in a log. */
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char msg[512];
	int dup = strcmp(state, "23505") == 0 && !s->slow && !s->rows;
	int bad_row = !dup && !s->rows && row_error(state);

	if (dup || bad_row || strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0) {
		/* Some rows are stored already (the duplicate path), a row
		 * the database refuses (the row-by-row path), or a
		 * serialisation or deadlock failure, worth a replay. */
		s->slow |= dup;
		s->rows |= bad_row;
		if (bad_row)
			log_warning("sink", "a row was refused (SQLSTATE %s); "
					    "writing the batch row by row",
				    state);
		s->step = S_ROLLBACK;
		send_step(s);
		return;
	}
	snprintf(msg, sizeof(msg), "%s (SQLSTATE %s)",
		 primary ? primary : "database error", state);
	abandon(s, msg);
}

/* Flags the rows the database holds already (S_F_DUPS: kind, seq). */
static void mark_dups(struct sink *s, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++) {
		int seq = atoi(PQgetvalue(res, r, 1)) - 1;
		int is_resp = PQgetvalue(res, r, 0)[0] == 'r';
		unsigned char *dup = is_resp ? s->b->resp_dup : s->b->ev_dup;
		int rows = is_resp ? s->b->nresp : s->b->nev;

		if (seq >= 0 && seq < rows && !dup[seq]) {
			dup[seq] = 1;
			s->db_dups++;
		}
	}
}

/* The rows the row-by-row path found stored already or refused
 * (S_P_RUN: kind, seq, what, column). */
static void mark_rows(struct sink *s, PGresult *res)
{
	for (int r = 0; r < PQntuples(res); r++) {
		int seq = atoi(PQgetvalue(res, r, 1)) - 1;
		int is_resp = PQgetvalue(res, r, 0)[0] == 'r';
		const char *what = PQgetvalue(res, r, 2);
		unsigned char *dup = is_resp ? s->b->resp_dup : s->b->ev_dup;
		char reason[64];

		if (seq < 0 || seq >= (is_resp ? s->b->nresp : s->b->nev))
			continue;
		if (strcmp(what, "dup") == 0) {
			dup[seq] = 1;
			s->db_dups++;
			continue;
		}
		snprintf(reason, sizeof(reason),
			 "refused by the database (SQLSTATE %.5s)", what);
		batch_refuse(s->b, is_resp, seq, PQgetvalue(res, r, 3), reason);
		s->db_refused++;
	}
}

/* On to the next step, skipping a COPY with nothing to copy. */
static void advance(struct sink *s)
{
	s->step = next_step(s);
	if ((s->step == S_COPY_R || s->step == S_F_COPY_R ||
	     s->step == S_P_COPY_R) &&
	    s->b->nresp == 0)
		s->step = next_step(s);
	if ((s->step == S_COPY_E || s->step == S_F_COPY_E ||
	     s->step == S_P_COPY_E) &&
	    s->b->nev == 0)
		s->step = next_step(s);
	send_step(s);
}

static void on_result(struct pgc *c, PGresult *res, const char *error,
		      void *data)
{
	struct sink *s = data;
	ExecStatusType st;

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
		restart(s);
		return;
	}
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		on_error(s, res);
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
		mark_dups(s, res);
		break;
	case S_P_RUN:
		mark_rows(s, res);
		break;
	case S_F_BOOK:
		s->staged_session = pgc_session(s->pg);
		finish(s, 0, NULL); /* bookkeeping and COMMIT went together */
		return;
	case S_P_BOOK:
		s->rows_session = pgc_session(s->pg);
		finish(s, 0, NULL);
		return;
	case S_BOOK:
		finish(s, 0, NULL);
		return;
	case S_COPY_R:
	case S_COPY_E:
		if (s->merged && (s->step == S_COPY_E || s->b->nev == 0)) {
			finish(s, 0, NULL); /* its COMMIT came with it */
			return;
		}
		break;
	default:
		break;
	}
	advance(s);
}

int sink_submit(struct sink *s, struct batch *b, sink_done_cb cb, void *data)
{
	if (s->step != S_IDLE)
		return FR_ESTATE;
	s->b = b;
	s->cb = cb;
	s->data = data;
	s->slow = 0;
	s->rows = 0;
	restart(s);
	return 0;
}

void sink_release(struct sink *s)
{
	if (s->held == 0 || s->b == NULL)
		return;
	if (s->held == 2 || !pgc_is_up(s->pg) ||
	    pgc_session(s->pg) != s->held_session) {
		/* Parked, or its transaction went with the connection. */
		if (pgc_is_up(s->pg))
			restart(s);
		else
			s->step = S_WAIT_UP;
		return;
	}
	s->held = 0;
	send_step(s);
}

void sink_park(struct sink *s)
{
	if (s->held != 1)
		return;
	log_warning("sink", "a batch waited long for the one before it to "
			    "commit; rolling it back to write it again after");
	s->held = 2;
	pgc_exec(s->pg, "ROLLBACK", NULL, NULL);
}

void sink_connection_up(struct sink *s)
{
	if (s->held == 1 && pgc_session(s->pg) != s->held_session) {
		/* The held transaction went with the connection. */
		restart(s);
		return;
	}
	if (s->step != S_WAIT_UP)
		return;
	if (s->commit_sent) {
		s->step = S_CHECK;
		send_step(s);
	} else {
		restart(s);
	}
}
