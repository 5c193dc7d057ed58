/*
 * The ledger of what each project has received (sql/0011_extract_ledger
 * .sql), in the owner-only schema fremdrift:
 *
 * - fremdrift.extracts: one row per extract (who ran it, when, k, period,
 *   date policy, the generalisation of each quasi-identifier, the risk
 *   report, the manifest's SHA-256);
 * - fremdrift.extract_ledger: one row per citizen per extract, under the
 *   live pseudonym.
 *
 * The rule for a project's next extract: a recipient can match its
 * extracts by content, so what it holds is the union, and it knows each
 * quasi-identifier at the finest level it was ever given. A new extract is
 * therefore judged at, for each quasi-identifier, the finer of its own
 * level and the finest the project already holds (extract_kanon.c), on
 * today's data: its groups are those of the union, and the risk report
 * counts them. A project never gets less protection than it already has.
 * `fremdrift erase` reads extract_ledger to say which extracts held the
 * citizen, then deletes the citizen's rows there as everywhere.
 */
#include "extract_internal.h"

#include "fremdrift/buf.h"
#include "fremdrift/db.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int extract__sql(struct extract *x, const char *sql, int n,
		 const char *const *params, long *out)
{
	PGresult *res = db_query(x->conn, "extract", sql, n, params);

	if (res == NULL)
		return -1;
	if (out)
		*out = PQntuples(res) > 0 ? atol(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	return 0;
}

int extract__ledger_load(struct extract *x)
{
	const char *p[1] = {x->opts->project};
	PGresult *res = db_query(
		x->conn, "extract",
		"SELECT extract_no, created_at::date, citizens, date_policy, "
		"coalesce((generalisation->>'age')::int, 0), "
		"coalesce((generalisation->>'time')::int, 0), "
		"coalesce((generalisation->>'outcome')::int, 0), "
		"coalesce((generalisation->>'department')::int, 0), "
		"coalesce((generalisation->>'sex')::int, 0), "
		"coalesce((generalisation->>'target_group')::int, 0) "
		"FROM fremdrift.extracts WHERE project = $1 ORDER BY extract_no",
		1, p);

	for (int q = 0; q < EXQ_N; q++)
		x->prior.l[q] = EXTRACT__NO_LEVEL;
	if (res == NULL)
		return -1;
	x->npriors = PQntuples(res);
	x->priors = fr_xcalloc((size_t)x->npriors + 1, sizeof(*x->priors));
	for (int i = 0; i < x->npriors; i++) {
		struct extract__prior *e = &x->priors[i];

		e->no = atoi(PQgetvalue(res, i, 0));
		snprintf(e->date, sizeof(e->date), "%s", PQgetvalue(res, i, 1));
		e->citizens = atoi(PQgetvalue(res, i, 2));
		snprintf(e->policy, sizeof(e->policy), "%s", PQgetvalue(res, i, 3));
		/* An extract made before the ledger (no generalisation
		 * recorded) counts as the finest of every level. */
		for (int q = 0; q < EXQ_N; q++) {
			e->levels.l[q] = atoi(PQgetvalue(res, i, 4 + q));
			if (e->levels.l[q] < x->prior.l[q])
				x->prior.l[q] = e->levels.l[q];
		}
	}
	PQclear(res);
	return 0;
}

/* The audit row, before the manifest exists (its hash is set later).
 * Sets x->extract_no. */
static int insert_extract(struct extract *x)
{
	const struct extract_opts *o = x->opts;
	struct passwd *pw = getpwuid(getuid());
	char kk[16], cz[16], sp[16];
	const char *p[11] = {o->project, pw ? pw->pw_name : "unknown", kk, o->from,
			     o->to, o->month ? "month" : "shift", cz, sp, "",
			     o->exact ? "exact" : "summary",
			     o->items ? "true" : "false"};
	long no = 0;
	int rc;

	snprintf(kk, sizeof(kk), "%d", o->k);
	snprintf(cz, sizeof(cz), "%d", x->citizens);
	snprintf(sp, sizeof(sp), "%d", x->suppressed);
	rc = extract__sql(x,
			  "INSERT INTO fremdrift.extracts (project, run_by, k, "
			  "period_from, period_to, date_policy, citizens, "
			  "suppressed, manifest_sha256, sequences, items) VALUES "
			  "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
			  "RETURNING extract_no",
			  11, p, &no);
	x->extract_no = (int)no;
	return rc;
}

static int cmp_live(const void *a, const void *b)
{
	const struct extract__course *const *p = a, *const *q = b;

	return memcmp((*p)->live, (*q)->live, PSEUD_LEN);
}

/* One COPY line per citizen kept: extract, pseudonym, courses. */
static void ledger_lines(const struct extract *x, struct fr_buf *b)
{
	const struct extract__course **kept =
		fr_xcalloc((size_t)x->ncourses + 1, sizeof(*kept));
	int n = 0;

	for (int i = 0; i < x->ncourses; i++)
		if (x->courses[i].keep)
			kept[n++] = &x->courses[i];
	qsort(kept, (size_t)n, sizeof(*kept), cmp_live);
	for (int i = 0; i < n;) {
		char hex[PSEUD_HEX_LEN + 1];
		int j = i;

		while (j < n && memcmp(kept[j]->live, kept[i]->live, PSEUD_LEN) == 0)
			j++;
		pseud_hex(kept[i]->live, PSEUD_LEN, hex);
		fr_buf_printf(b, "%d\t\\\\x%s\t%d\n", x->extract_no, hex, j - i);
		i = j;
	}
	free(kept);
}

static int copy_ledger(struct extract *x)
{
	struct fr_buf b;
	PGresult *res = PQexec(x->conn, "COPY fremdrift.extract_ledger "
					"(extract_no, pseudonym, courses) FROM STDIN");
	int ok;

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		db_report("extract", res, x->conn);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	fr_buf_init(&b, (size_t)1 << 31);
	ledger_lines(x, &b);
	ok = PQputCopyData(x->conn, b.data ? b.data : "", (int)b.len) == 1 &&
	     PQputCopyEnd(x->conn, NULL) == 1;
	fr_buf_free(&b);
	res = PQgetResult(x->conn);
	ok = ok && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		db_report("extract", res, x->conn);
	PQclear(res);
	while ((res = PQgetResult(x->conn)) != NULL)
		PQclear(res);
	return ok ? 0 : -1;
}

/* How many of this extract's citizens the project held already. */
static int count_held(struct extract *x)
{
	char no[16];
	const char *p[2] = {x->opts->project, no};

	snprintf(no, sizeof(no), "%d", x->extract_no);
	return extract__sql(x,
			    "SELECT count(DISTINCT l.pseudonym) FROM "
			    "fremdrift.extract_ledger l WHERE l.extract_no = $2 "
			    "AND EXISTS (SELECT 1 FROM fremdrift.extract_ledger "
			    "o JOIN fremdrift.extracts e USING (extract_no) WHERE "
			    "e.project = $1 AND o.extract_no <> $2 AND "
			    "o.pseudonym = l.pseudonym)",
			    2, p, &x->already_held);
}

int extract__ledger_record(struct extract *x)
{
	if (insert_extract(x) != 0 || copy_ledger(x) != 0)
		return -1;
	return count_held(x);
}

int extract__ledger_finish(struct extract *x, const char *msha,
			   const char *risk_json, const char *gen_json)
{
	char no[16];
	const char *p[4] = {msha, risk_json, gen_json, no};

	snprintf(no, sizeof(no), "%d", x->extract_no);
	return extract__sql(x,
			    "UPDATE fremdrift.extracts SET manifest_sha256 = $1, "
			    "risk = $2::jsonb, generalisation = $3::jsonb WHERE "
			    "extract_no = $4",
			    4, p, NULL);
}
