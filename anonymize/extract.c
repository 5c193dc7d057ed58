/*
 * `fremdrift extract`: a research extract that a neighbour cannot
 * re-identify (docs/privacy.md section 7). This file is the run; the
 * steps live in the other extract_*.c files (see extract_internal.h).
 *
 * - A fresh random project key per extract, used in memory and wiped:
 *   pid = HMAC(project key, "fremdrift/v1/extract\0" || live pseudonym);
 *   course and response ids are keyed hashes under it too, and each
 *   person's date shift is drawn from it under a label of its own.
 * - The attacker model's quasi-identifiers are generalised, then
 *   suppressed, until every group covers at least k citizens and its
 *   outcomes are l-diverse, judged against everything the project already
 *   holds (extract_kanon.c, extract_ledger.c); the risk report goes into
 *   the manifest; if that needs more suppression than allowed, nothing is
 *   written.
 * - Rows are written in random order; sequences as summaries unless the
 *   exact form singles nobody out.
 * - Every extract, and the citizens it holds, is recorded in the same
 *   transaction as it is read; a failed extract removes the folder it
 *   created, so nothing half-written is left and a rerun works.
 */
#include "extract_internal.h"

#include "fremdrift/db.h"
#include "fremdrift/err.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int list_extracts(const struct fr_config *cfg)
{
	PGconn *c = db_connect(cfg, "extract");
	PGresult *res;

	if (c == NULL)
		return FR_EXIT_FATAL;
	res = db_query(c, "extract",
		       "SELECT extract_no, created_at, project, run_by, k, "
		       "coalesce(period_from::text, ''), coalesce(period_to::text, "
		       "''), date_policy, citizens, suppressed, "
		       "coalesce(to_char((risk->'prosecutor'->>'highest')::float8, "
		       "'0.000'), ''), manifest_sha256 FROM fremdrift.extracts "
		       "ORDER BY extract_no",
		       0, NULL);
	if (res == NULL) {
		PQfinish(c);
		return FR_EXIT_FATAL;
	}
	printf("%-4s %-20s %-16s %-10s %-3s %-23s %-6s %9s %10s %6s  %s\n",
	       "no", "created", "project", "run by", "k", "period", "dates",
	       "citizens", "suppressed", "risk", "manifest sha256");
	for (int r = 0; r < PQntuples(res); r++)
		printf("%-4s %-20.19s %-16s %-10s %-3s %-10s..%-11s %-6s %9s %10s "
		       "%6s  %s\n",
		       PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
		       PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
		       PQgetvalue(res, r, 4), PQgetvalue(res, r, 5),
		       PQgetvalue(res, r, 6), PQgetvalue(res, r, 7),
		       PQgetvalue(res, r, 8), PQgetvalue(res, r, 9),
		       PQgetvalue(res, r, 10), PQgetvalue(res, r, 11));
	PQclear(res);
	PQfinish(c);
	return FR_EXIT_OK;
}

/* The project key: random, in memory only, wiped at once. */
static int new_project_key(struct extract *x)
{
	unsigned char key[32];
	int rc = -1;

	if (RAND_priv_bytes(key, sizeof(key)) == 1 &&
	    pseud_ctx_new(key, sizeof(key), &x->project, NULL) == 0)
		rc = 0;
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != 0)
		fprintf(stderr, "fremdrift extract: cannot make a project key\n");
	return rc;
}

static void print_summary(const struct extract *x)
{
	printf("%s: extract %d, %d citizens, %d courses (%d suppressed for k "
	       "= %d, l = %d; generalisation step %d of %d: age %s, dates by "
	       "%s %s, outcomes %s), highest prosecutor risk %.3f\n",
	       x->opts->out_dir, x->extract_no, x->citizens,
	       x->ncourses - x->suppressed, x->suppressed, x->opts->k,
	       x->opts->l, x->step + 1, EXTRACT__NSTEPS,
	       extract__level_name(EXQ_AGE, x->pub.l[EXQ_AGE]),
	       extract__level_name(EXQ_TIME, x->pub.l[EXQ_TIME]),
	       x->opts->month ? "(true)" : "(shifted)",
	       extract__level_name(EXQ_OUTCOME, x->pub.l[EXQ_OUTCOME]),
	       x->risk.prosecutor_max);
}

/* Catalogue codes and names, for values.csv. */
static int load_labels(struct extract *x)
{
	x->labels = db_query(
		x->conn, "extract",
		"SELECT 'department', code, name FROM fremdrift.departments "
		"UNION ALL SELECT 'target_group', code, name_en FROM "
		"fremdrift.target_groups UNION ALL SELECT 'exit_status', code, "
		"name_en FROM fremdrift.exit_statuses UNION ALL SELECT "
		"'intervention', code, name_en FROM fremdrift.interventions "
		"UNION ALL SELECT 'category', category, name_en FROM "
		"fremdrift.intervention_categories ORDER BY 1, 2",
		0, NULL);
	return x->labels ? 0 : -1;
}

/*
 * One project at a time: its ledger is read and written under a lock,
 * taken before the snapshot, so two extracts for one project cannot both
 * miss each other.
 */
static int begin(struct extract *x)
{
	const char *p[1] = {x->opts->project};

	if (extract__sql(x, "SELECT pg_advisory_lock(hashtext('fremdrift "
			    "extract'), hashtext($1))",
			 1, p, NULL) != 0)
		return -1;
	/* JIT compiling the big queries costs more than it saves. */
	return db_exec(x->conn, "extract",
		       "BEGIN ISOLATION LEVEL REPEATABLE READ; "
		       "SET LOCAL TimeZone = 'Europe/Copenhagen'; "
		       "SET LOCAL jit = off");
}

/* The risk, the safety net: nothing over 1/k is ever written. */
static int risk_ok(struct extract *x)
{
	extract__risk(x);
	if (x->risk.prosecutor_max <= 1.0 / x->opts->k + 1e-12)
		return 0;
	fprintf(stderr, "fremdrift extract: not written: the highest "
			"prosecutor risk would be %.3f, over 1/k = %.3f\n",
		x->risk.prosecutor_max, 1.0 / x->opts->k);
	return -1;
}

static int write_docs(struct extract *x)
{
	char msha[65], *risk = NULL, *gen = NULL;
	int rc = -1;

	if (extract__ledger_record(x) == 0 && extract__write_codebook(x) == 0 &&
	    extract__write_manifest(x, msha, &risk, &gen) == 0 &&
	    extract__ledger_finish(x, msha, risk, gen) == 0)
		rc = 0;
	free(risk);
	free(gen);
	return rc;
}

/* Everything after the folder exists. 0 or -1 after printing why. */
static int write_extract(struct extract *x, const struct fr_config *cfg)
{
	if (catalog_init(&x->cat, NULL) != 0 || new_project_key(x) != 0)
		return -1;
	if ((x->conn = db_connect(cfg, "extract")) == NULL)
		return -1;
	/* One snapshot for every file, and for the ledger. */
	if (begin(x) != 0 || extract__ledger_load(x) != 0 ||
	    extract__select(x) != 0 || extract__kanon(x) != 0 ||
	    risk_ok(x) != 0 || load_labels(x) != 0 ||
	    extract__write_files(x) != 0 || write_docs(x) != 0 ||
	    db_exec(x->conn, "extract", "COMMIT") != 0)
		return -1;
	print_summary(x);
	return 0;
}

/* Removes what a failed run wrote into the folder it made, then the
 * folder; a rerun into the same folder then works. */
static void remove_folder(const char *dir)
{
	char path[4096];

	for (int f = 0; f < EX_NFILES; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, extract__files[f]);
		unlink(path);
	}
	for (int d = 0; d < extract__ndocs; d++) {
		snprintf(path, sizeof(path), "%s/%s", dir, extract__docs[d]);
		unlink(path);
	}
	if (rmdir(dir) != 0)
		fprintf(stderr, "fremdrift extract: could not remove %s: %s\n",
			dir, strerror(errno));
}

static void free_extract(struct extract *x)
{
	for (int f = 0; f < EX_NFILES; f++)
		extract__out_free(&x->outs[f]);
	PQclear(x->courses_res);
	PQclear(x->labels);
	if (x->conn)
		PQfinish(x->conn);
	for (int i = 0; i < x->ncourses; i++)
		free(x->courses[i].key);
	if (x->courses)
		OPENSSL_cleanse(x->courses, (size_t)x->ncourses * sizeof(*x->courses));
	free(x->courses);
	free(x->slots);
	free(x->priors);
	pseud_ctx_free(x->project);
	catalog_free(&x->cat);
}

int extract_run(const struct extract_opts *o, const struct fr_config *cfg)
{
	struct extract x;
	int rc;

	extract__hold_max = cfg->extract_memory;
	if (o->list)
		return list_extracts(cfg);
	if (mkdir(o->out_dir, 0700) != 0) {
		fprintf(stderr, "fremdrift extract: cannot create %s: %s (it must "
				"not exist yet)\n",
			o->out_dir, strerror(errno));
		return FR_EXIT_FATAL;
	}
	memset(&x, 0, sizeof(x));
	x.opts = o;
	rc = write_extract(&x, cfg);
	free_extract(&x);
	if (rc != 0) {
		remove_folder(o->out_dir);
		return FR_EXIT_FATAL;
	}
	return FR_EXIT_OK;
}
