/*
 * `fremdrift extract`: a research extract that cannot be linked to anything
 * else (docs/privacy.md section 7). This file is the run; the steps live
 * in the other extract_*.c files (see extract_internal.h).
 *
 * - A fresh random project key per extract, used in memory and wiped:
 *   pid = HMAC(project key, "fremdrift/v1/extract\0" || live pseudonym).
 *   Course keys are replaced the same way. Two extracts share nothing, and
 *   nothing matches the live database.
 * - Quasi-identifiers are generalised, then suppressed, until every
 *   combination covers at least k citizens (extract_kanon.c).
 * - Dates: month (YYYY-MM), or shifted per person by 0-364 days (intervals
 *   kept). Times of day are dropped. No free text exists to leak.
 * - Every extract is recorded in fremdrift.extracts.
 * - All files come from one snapshot; a failed extract removes the folder
 *   it created, so nothing half-written is left to be mistaken for data
 *   and a rerun works.
 */
#include "extract_internal.h"

#include "fremdrift/db.h"
#include "fremdrift/err.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pwd.h>
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
		       "''), date_policy, citizens, suppressed, manifest_sha256 "
		       "FROM fremdrift.extracts ORDER BY extract_no",
		       0, NULL);
	if (res == NULL) {
		PQfinish(c);
		return FR_EXIT_FATAL;
	}
	printf("%-4s %-20s %-16s %-10s %-3s %-23s %-6s %9s %10s  %s\n", "no",
	       "created", "project", "run by", "k", "period", "dates",
	       "citizens", "suppressed", "manifest sha256");
	for (int r = 0; r < PQntuples(res); r++)
		printf("%-4s %-20.19s %-16s %-10s %-3s %-10s..%-11s %-6s %9s %10s  "
		       "%s\n",
		       PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
		       PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
		       PQgetvalue(res, r, 4), PQgetvalue(res, r, 5),
		       PQgetvalue(res, r, 6), PQgetvalue(res, r, 7),
		       PQgetvalue(res, r, 8), PQgetvalue(res, r, 9),
		       PQgetvalue(res, r, 10));
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

/* The audit row in fremdrift.extracts: parameters and counts, no data. */
static int record(const struct extract *x, const char *msha)
{
	const struct extract_opts *o = x->opts;
	struct passwd *pw = getpwuid(getuid());
	char kk[16], cz[16], sp[16];
	const char *p[9] = {o->project, pw ? pw->pw_name : "unknown", kk, o->from,
			    o->to, o->month ? "month" : "shift", cz, sp, msha};
	PGresult *res;

	snprintf(kk, sizeof(kk), "%d", o->k);
	snprintf(cz, sizeof(cz), "%d", x->citizens);
	snprintf(sp, sizeof(sp), "%d", x->suppressed);
	res = db_query(x->conn, "extract",
		       "INSERT INTO fremdrift.extracts (project, run_by, k, "
		       "period_from, period_to, date_policy, citizens, "
		       "suppressed, manifest_sha256) VALUES ($1, $2, $3, $4, "
		       "$5, $6, $7, $8, $9)",
		       9, p);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static void print_summary(const struct extract *x)
{
	int w = x->width;

	printf("%s: %d citizens, %d courses (%d suppressed for k = %d; age "
	       "bands %s), dates by %s\n",
	       x->opts->out_dir, x->citizens, x->ncourses - x->suppressed,
	       x->suppressed, x->opts->k,
	       w >= 100 ? "merged" : w == 5 ? "of 5 years"
			: w == 10 ? "of 10 years" : "of 20 years",
	       x->opts->month ? "month" : "shift");
}

/* Everything after the folder exists. 0 or -1 after printing why. */
static int write_extract(struct extract *x, const struct fr_config *cfg)
{
	char msha[65];

	if (catalog_init(&x->cat, NULL) != 0 || new_project_key(x) != 0)
		return -1;
	if ((x->conn = db_connect(cfg, "extract")) == NULL)
		return -1;
	/* One snapshot for every file. */
	if (db_exec(x->conn, "extract",
		    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
		    "SET LOCAL TimeZone = 'Europe/Copenhagen'") != 0 ||
	    extract__select(x) != 0)
		return -1;
	extract__kanon(x);
	if (extract__write_files(x) != 0 ||
	    db_exec(x->conn, "extract", "COMMIT") != 0 ||
	    extract__write_docs(x, msha) != 0 || record(x, msha) != 0)
		return -1;
	print_summary(x);
	return 0;
}

/* Removes what a failed run wrote into the folder it made, then the
 * folder; a rerun into the same folder then works. */
static void remove_folder(const char *dir)
{
	static const char *const docs[] = {"codebook.csv", "codebook.md",
					   "manifest.json"};
	char path[4096];

	for (size_t f = 0; f < EXTRACT__NFILES; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, extract__files[f]);
		unlink(path);
	}
	for (size_t f = 0; f < sizeof(docs) / sizeof(docs[0]); f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, docs[f]);
		unlink(path);
	}
	if (rmdir(dir) != 0)
		fprintf(stderr, "fremdrift extract: could not remove %s: %s\n",
			dir, strerror(errno));
}

static void free_extract(struct extract *x)
{
	for (size_t f = 0; f < EXTRACT__NFILES; f++) {
		if (x->outs[f].f)
			fclose(x->outs[f].f);
		EVP_MD_CTX_free(x->outs[f].md);
	}
	PQclear(x->courses_res);
	if (x->conn)
		PQfinish(x->conn);
	for (int i = 0; i < x->ncourses; i++)
		free(x->courses[i].key);
	free(x->courses);
	free(x->slots);
	pseud_ctx_free(x->project);
	catalog_free(&x->cat);
}

int extract_run(const struct extract_opts *o, const struct fr_config *cfg)
{
	struct extract x;
	int rc;

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
