/*
 * `fremdrift extract`: a research extract that cannot be linked to anything
 * else (design §4, §6; docs/privacy.md section 7).
 *
 * - A fresh random project key per extract, used in memory and wiped:
 *   pid = HMAC(project key, "fremdrift/v1/extract\0" || live pseudonym).
 *   Course keys are replaced the same way. Two extracts share nothing, and
 *   nothing matches the live database.
 * - Quasi-identifiers: age band at course start, sex, department, target
 *   group. Every combination that appears covers at least k citizens:
 *   generalise the age band first (5, 10, 20 years, then one band for all),
 *   taking the first width that needs at most 5 % of the courses
 *   suppressed, then suppress what is still too rare (the rows of those
 *   courses leave every file).
 * - Dates: month (YYYY-MM), or shifted per person by 0-364 days (intervals
 *   kept). Times of day are dropped. No free text exists to leak.
 * - Every extract is recorded in fremdrift.extracts.
 */
#include "cli.h"
#include "fremdrift/db.h"

#include "fremdrift/buf.h"
#include "fremdrift/catalog.h"
#include "fremdrift/civil.h"
#include "fremdrift/pseudonym.h"
#include "fremdrift/record.h"

#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_SUPPRESS_SHARE 0.05

struct course {
	char *key;
	char pid[PSEUD_HEX_LEN + 1];
	char cid[17];
	int shift;
	int keep;
	int birth_year, start_year;
	char sex;
	const char *dept, *agr;
	int row; /* in the courses result */
};

struct out {
	FILE *f;
	EVP_MD_CTX *md;
	long long rows;
	char name[64];
	char path[4096];
};

struct extract {
	PGconn *conn;
	struct pseud_ctx *project;
	int k, month;
	struct course *courses;
	int ncourses;
	int *slots; /* open addressing: index + 1 */
	size_t nslots;
	long long dropped_rows;
	struct catalog cat;
};

/* ---- the codebook: one table, written as CSV and as Markdown ---- */

struct column {
	const char *file, *name, *type, *unit, *meaning;
};

static const struct column codebook[] = {
	{"courses.csv", "pid", "text", "", "the citizen's pseudonym in this extract only (64 hex digits)"},
	{"courses.csv", "course_id", "text", "", "the course's id in this extract only (16 hex digits)"},
	{"courses.csv", "age_band", "text", "years", "age at course start, as a band (e.g. 25-29; see the manifest for the width), or all"},
	{"courses.csv", "sex", "code", "", "F or M"},
	{"courses.csv", "department", "code", "", "department (catalogue: departments)"},
	{"courses.csv", "target_group", "code", "", "framework agreement target group (catalogue: target_groups)"},
	{"courses.csv", "start", "date", "", "course start (month or shifted date: see date_policy)"},
	{"courses.csv", "end", "date", "", "course end; empty while the course runs"},
	{"courses.csv", "exit_status", "code", "", "status at course end (catalogue: exit_statuses)"},
	{"courses.csv", "followup_status", "code", "", "status at the latest follow-up"},
	{"courses.csv", "mix", "code", "", "parallel, sequential, company_only, other_only or none (docs/dashboard.md)"},
	{"courses.csv", "job_chance", "integer", "1-5", "the consultant's first rating of the job chance"},
	{"courses.csv", "paid_hours_week", "number", "hours", "mean paid hours in weeks with hours recorded"},
	{"courses.csv", "meetings", "integer", "", "meetings recorded"},
	{"courses.csv", "no_shows", "integer", "", "meetings not attended"},
	{"responses.csv", "pid", "text", "", "as in courses.csv"},
	{"responses.csv", "course_id", "text", "", "as in courses.csv"},
	{"responses.csv", "instrument", "code", "", "questionnaire (docs/instruments.md)"},
	{"responses.csv", "version", "integer", "", "questionnaire version; compare scores only within one"},
	{"responses.csv", "respondent", "code", "", "citizen or consultant"},
	{"responses.csv", "answered", "date", "", "when it was answered (date policy)"},
	{"responses.csv", "dimension", "code", "", "questionnaire dimension"},
	{"responses.csv", "score", "number", "0-100", "dimension score; empty when under two thirds of its items were answered"},
	{"progression.csv", "pid", "text", "", "as in courses.csv"},
	{"progression.csv", "course_id", "text", "", "as in courses.csv"},
	{"progression.csv", "dimension", "code", "", "questionnaire dimension"},
	{"progression.csv", "baseline", "number", "0-100", "first score in the course"},
	{"progression.csv", "current", "number", "0-100", "latest score in the course"},
	{"progression.csv", "change", "number", "points", "current - baseline"},
	{"progression.csv", "rci", "number", "", "Reliable Change Index (Jacobson & Truax)"},
	{"progression.csv", "reliable_change", "code", "", "improved (rci >= 1.96), deteriorated (<= -1.96) or unchanged"},
	{"progression.csv", "n_responses", "integer", "", "scored responses in the course"},
	{"interventions.csv", "pid", "text", "", "as in courses.csv"},
	{"interventions.csv", "course_id", "text", "", "as in courses.csv"},
	{"interventions.csv", "intervention", "code", "", "intervention (catalogue: interventions)"},
	{"interventions.csv", "category", "code", "", "company, health_social, upskilling or clarification"},
	{"interventions.csv", "start", "date", "", "start (date policy)"},
	{"interventions.csv", "end", "date", "", "end; empty while it runs"},
	{"hours.csv", "pid", "text", "", "as in courses.csv"},
	{"hours.csv", "course_id", "text", "", "as in courses.csv"},
	{"hours.csv", "week", "date", "", "the Monday of the week (date policy)"},
	{"hours.csv", "hours", "number", "hours", "hours at a workplace that week"},
	{"hours.csv", "paid_hours", "number", "hours", "of which paid"},
	{"outcomes.csv", "pid", "text", "", "as in courses.csv"},
	{"outcomes.csv", "course_id", "text", "", "as in courses.csv"},
	{"outcomes.csv", "kind", "code", "", "exit (course end) or followup"},
	{"outcomes.csv", "months_after", "integer", "months", "for follow-ups: months after the course ended"},
	{"outcomes.csv", "status", "code", "", "exit status (catalogue: exit_statuses)"},
	{"outcomes.csv", "date", "date", "", "when (date policy)"},
};
#define NCOLUMNS (sizeof(codebook) / sizeof(codebook[0]))

static const char *const files[] = {"courses.csv", "responses.csv",
				    "progression.csv", "interventions.csv",
				    "hours.csv", "outcomes.csv"};
#define NFILES (sizeof(files) / sizeof(files[0]))

/* ---- output with a running SHA-256 ---- */

static int out_open(struct out *o, const char *dir, const char *name)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->path, sizeof(o->path), "%s/%s", dir, name);
	o->f = fopen(o->path, "wx");
	o->md = EVP_MD_CTX_new();
	if (o->f == NULL || o->md == NULL)
		return -1;
	EVP_DigestInit_ex(o->md, EVP_sha256(), NULL);
	return 0;
}

static void out_write(struct out *o, const char *s, size_t n)
{
	fwrite(s, 1, n, o->f);
	EVP_DigestUpdate(o->md, s, n);
}

static void out_line(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void out_line(struct out *o, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_write(o, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void out_header(struct out *o)
{
	int first = 1;

	for (size_t i = 0; i < NCOLUMNS; i++) {
		if (strcmp(codebook[i].file, o->name) != 0)
			continue;
		out_line(o, "%s%s", first ? "" : ",", codebook[i].name);
		first = 0;
	}
	out_write(o, "\n", 1);
}

static int out_close(struct out *o, char sha[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	int rc = 0;

	EVP_DigestFinal_ex(o->md, md, &n);
	EVP_MD_CTX_free(o->md);
	pseud_hex(md, 32, sha);
	if (fclose(o->f) != 0)
		rc = -1;
	return rc;
}

/* ---- courses, by key ---- */

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct course *find(struct extract *x, const char *key)
{
	size_t j = (size_t)fnv(key) & (x->nslots - 1);

	while (x->slots[j]) {
		struct course *c = &x->courses[x->slots[j] - 1];

		if (strcmp(c->key, key) == 0)
			return c->keep ? c : NULL;
		j = (j + 1) & (x->nslots - 1);
	}
	return NULL;
}

static void index_courses(struct extract *x)
{
	x->nslots = 1;
	while (x->nslots < (size_t)x->ncourses * 2 + 2)
		x->nslots *= 2;
	x->slots = fr_xcalloc(x->nslots, sizeof(int));
	for (int i = 0; i < x->ncourses; i++) {
		size_t j = (size_t)fnv(x->courses[i].key) & (x->nslots - 1);

		while (x->slots[j])
			j = (j + 1) & (x->nslots - 1);
		x->slots[j] = i + 1;
	}
}

/* ---- dates ---- */

/* A YYYY-MM-DD date under the policy: month, or shifted by days. */
static void policy_date(const struct extract *x, const char *in, int shift,
			char out[11])
{
	int y, m, d;

	out[0] = '\0';
	if (in == NULL || sscanf(in, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return;
	if (x->month) {
		snprintf(out, 11, "%04u-%02u", (unsigned)y % 10000u,
			 (unsigned)m % 100u);
		return;
	}
	fr_date_str(fr_days_from_civil(y, m, d) + shift, out);
}

/* ---- k-anonymity ---- */

static void band(int age, int width, char *out, size_t n)
{
	if (width >= 100) {
		snprintf(out, n, "all");
		return;
	}
	if (age < 0)
		age = 0;
	snprintf(out, n, "%d-%d", age / width * width, age / width * width + width - 1);
}

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct qi {
	char key[160];
	const char *pid;
	int course;
};

static int cmp_qi(const void *a, const void *b)
{
	const struct qi *p = a, *q = b;
	int c = strcmp(p->key, q->key);

	return c ? c : strcmp(p->pid, q->pid);
}

/*
 * Marks courses in classes of fewer than k distinct citizens as not kept,
 * at age-band width w. Returns how many courses that suppresses (and
 * changes nothing when dry_run).
 */
static int suppress_at(struct extract *x, int w, int dry_run)
{
	struct qi *q = fr_xcalloc((size_t)x->ncourses + 1, sizeof(*q));
	int suppressed = 0;

	for (int i = 0; i < x->ncourses; i++) {
		struct course *c = &x->courses[i];
		char b[16];

		band(c->start_year - c->birth_year, w, b, sizeof(b));
		snprintf(q[i].key, sizeof(q[i].key), "%s|%c|%s|%s", b, c->sex,
			 c->dept, c->agr);
		q[i].pid = c->pid;
		q[i].course = i;
	}
	qsort(q, (size_t)x->ncourses, sizeof(*q), cmp_qi);
	for (int i = 0; i < x->ncourses;) {
		int j = i, citizens = 0;

		while (j < x->ncourses && strcmp(q[j].key, q[i].key) == 0) {
			if (j == i || strcmp(q[j].pid, q[j - 1].pid) != 0)
				citizens++;
			j++;
		}
		if (citizens < x->k) {
			suppressed += j - i;
			if (!dry_run)
				for (int t = i; t < j; t++)
					x->courses[q[t].course].keep = 0;
		}
		i = j;
	}
	free(q);
	return suppressed;
}

/* ---- streaming the other tables ---- */

/*
 * Streams sql (COPY TO) and hands each row whose course (first column) is
 * in the extract to row; rows of suppressed or unknown courses are counted
 * as dropped. Rows with fewer than min_fields fields are skipped.
 */
static int stream(struct extract *x, const char *sql, struct out *o,
		  int min_fields,
		  void (*row)(struct extract *, struct out *,
			      const struct course *, char **))
{
	char copy[2048];
	PGresult *res;
	char *line;
	int n;

	snprintf(copy, sizeof(copy), "COPY (%s) TO STDOUT", sql);
	res = PQexec(x->conn, copy);
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		fprintf(stderr, "fremdrift extract: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	while ((n = PQgetCopyData(x->conn, &line, 0)) > 0) {
		char *f[16];
		int nf = 0;

		/* Empty fields (\N) come as "\N"; tabs separate. */
		for (char *p = line, *tab; nf < 16; p = tab + 1) {
			tab = strchr(p, '\t');
			f[nf++] = p;
			if (!tab) {
				char *nl = strchr(p, '\n');

				if (nl)
					*nl = '\0';
				break;
			}
			*tab = '\0';
		}
		for (int i = 0; i < nf; i++)
			if (strcmp(f[i], "\\N") == 0)
				f[i] = NULL;
		if (nf >= min_fields) {
			const struct course *c = f[0] ? find(x, f[0]) : NULL;

			if (c)
				row(x, o, c, f);
			else
				x->dropped_rows++;
		}
		PQfreemem(line);
	}
	while ((res = PQgetResult(x->conn)) != NULL)
		PQclear(res);
	return 0;
}

#define S(v) ((v) ? (v) : "")

static void row_response(struct extract *x, struct out *o,
			 const struct course *c, char **f)
{
	const struct instrument *ins;
	char date[11];
	double sc[INSTR_MAX_DIMS];
	int ns = 0;

	ins = catalog_instrument(&x->cat, f[1], strlen(f[1]), atoi(f[2]));
	if (ins == NULL)
		return;
	policy_date(x, f[4], c->shift, date);
	if (f[5]) {
		char *p = f[5] + 1;

		while (*p && *p != '}' && ns < INSTR_MAX_DIMS) {
			char *end;

			if (strncmp(p, "NULL", 4) == 0) {
				sc[ns++] = -1;
				p += 4;
			} else {
				sc[ns++] = strtod(p, &end);
				p = end;
			}
			if (*p == ',')
				p++;
		}
	}
	for (int d = 0; d < ins->ndims; d++) {
		if (d < ns && sc[d] >= 0)
			out_line(o, "%s,%s,%s,%s,%s,%s,%s,%.2f\n", c->pid, c->cid,
				 ins->name, f[2], strcmp(f[3], "k") ? "citizen" : "consultant",
				 date, ins->dims[d].id, sc[d]);
		else
			out_line(o, "%s,%s,%s,%s,%s,%s,%s,\n", c->pid, c->cid,
				 ins->name, f[2], strcmp(f[3], "k") ? "citizen" : "consultant",
				 date, ins->dims[d].id);
		o->rows++;
	}
}

static void row_progression(struct extract *x, struct out *o,
			    const struct course *c, char **f)
{
	(void)x;
	out_line(o, "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", c->pid, c->cid, S(f[1]),
		 S(f[2]), S(f[3]), S(f[4]), S(f[5]), S(f[6]), S(f[7]));
	o->rows++;
}

static void row_intervention(struct extract *x, struct out *o,
			     const struct course *c, char **f)
{
	char a[11], b[11];

	policy_date(x, f[3], c->shift, a);
	policy_date(x, f[4], c->shift, b);
	out_line(o, "%s,%s,%s,%s,%s,%s\n", c->pid, c->cid, S(f[1]), S(f[2]), a, b);
	o->rows++;
}

static void row_hours(struct extract *x, struct out *o,
		      const struct course *c, char **f)
{
	char w[11];

	policy_date(x, f[1], c->shift, w);
	out_line(o, "%s,%s,%s,%s,%s\n", c->pid, c->cid, w, S(f[2]), S(f[3]));
	o->rows++;
}

static void row_outcome(struct extract *x, struct out *o,
			const struct course *c, char **f)
{
	char d[11];

	policy_date(x, f[4], c->shift, d);
	out_line(o, "%s,%s,%s,%s,%s,%s\n", c->pid, c->cid,
		 strcmp(S(f[1]), "followup") == 0 ? "followup" : "exit", S(f[2]),
		 S(f[3]), d);
	o->rows++;
}

/* ---- codebook and manifest ---- */

static int write_codebook(const char *dir, const struct extract *x, int width)
{
	char path[4096];
	FILE *csv, *md;

	snprintf(path, sizeof(path), "%s/codebook.csv", dir);
	csv = fopen(path, "wx");
	snprintf(path, sizeof(path), "%s/codebook.md", dir);
	md = fopen(path, "wx");
	if (!csv || !md)
		return -1;
	fprintf(csv, "file,column,type,unit,meaning\n");
	fprintf(md, "# Codebook\n\nEvery file is UTF-8 CSV with a header row, "
		    "`,` between fields, an empty field for\n\"no value\". Dates "
		    "follow the extract's date policy (`%s`): %s.\nAge bands are "
		    "%d years wide%s. Identifiers (`pid`, `course_id`) exist in "
		    "this\nextract only. Codes are those of fremdrift's "
		    "catalogues (docs/formats.md).\n",
		x->month ? "month" : "shift",
		x->month ? "YYYY-MM, the month only"
			 : "YYYY-MM-DD, every date of one person moved by the "
			   "same secret number of days (0-364), so intervals "
			   "are kept but calendar dates are not",
		width, width >= 100 ? " (one band: all ages)" : "");
	for (size_t f = 0; f < NFILES; f++) {
		fprintf(md, "\n## %s\n\n| column | type | unit | meaning |\n"
			    "| --- | --- | --- | --- |\n",
			files[f]);
		for (size_t i = 0; i < NCOLUMNS; i++) {
			if (strcmp(codebook[i].file, files[f]) != 0)
				continue;
			fprintf(csv, "%s,%s,%s,%s,\"%s\"\n", codebook[i].file,
				codebook[i].name, codebook[i].type,
				codebook[i].unit, codebook[i].meaning);
			fprintf(md, "| %s | %s | %s | %s |\n", codebook[i].name,
				codebook[i].type, codebook[i].unit,
				codebook[i].meaning);
		}
	}
	fclose(csv);
	return fclose(md);
}

static void sha_file(const char *path, char out[65])
{
	FILE *f = fopen(path, "rb");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[65536], h[32];
	unsigned int n = 0;
	size_t r;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (f && (r = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(md, buf, r);
	EVP_DigestFinal_ex(md, h, &n);
	EVP_MD_CTX_free(md);
	if (f)
		fclose(f);
	pseud_hex(h, 32, out);
}

/* ---- the command ---- */

static int list_extracts(const struct fr_config *cfg)
{
	PGconn *c = db_connect(cfg, "extract");
	PGresult *res;

	if (c == NULL)
		return EXIT_FATAL;
	res = PQexec(c, "SELECT extract_no, created_at, project, run_by, k, "
			"coalesce(period_from::text, ''), coalesce(period_to::text, "
			"''), date_policy, citizens, suppressed, manifest_sha256 "
			"FROM fremdrift.extracts ORDER BY extract_no");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "fremdrift extract: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(c);
		return EXIT_FATAL;
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
	return EXIT_OK;
}

static int usage(FILE *out)
{
	fprintf(out,
		"usage: fremdrift extract --project NAME --out DIR [--k 5] "
		"[--from DATE] [--to DATE]\n"
		"                         [--dates month|shift]\n"
		"       fremdrift extract --list\n\n"
		"Writes a research extract to DIR (which must not exist): CSV "
		"files of courses,\nresponses, progression, interventions, hours "
		"and outcomes under pseudonyms\nmade with a fresh key that is "
		"thrown away, a codebook (codebook.md, .csv)\nand manifest.json. "
		"Every combination of age band, sex, department and target\n"
		"group covers at least k citizens (default 5). Dates are months "
		"(default) or\nshifted per person. Courses come from the last "
		"`fremdrift measure refresh`.\nEvery extract is recorded; --list "
		"shows them.\n");
	return out == stdout ? EXIT_OK : EXIT_FATAL;
}

/* One courses.csv line from a text row of the courses query. */
static void course_line(struct extract *x, struct out *o, PGresult *res,
			const struct course *c, int width)
{
	char b[16], s1[11], s2[11];

	band(c->start_year - c->birth_year, width, b, sizeof(b));
	policy_date(x, PQgetvalue(res, c->row, 6), c->shift, s1);
	policy_date(x, PQgetisnull(res, c->row, 7) ? NULL : PQgetvalue(res, c->row, 7),
		    c->shift, s2);
	out_line(o, "%s,%s,%s,%c,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", c->pid,
		 c->cid, b, c->sex, c->dept, c->agr, s1, s2,
		 PQgetvalue(res, c->row, 8), PQgetvalue(res, c->row, 9),
		 PQgetvalue(res, c->row, 10), PQgetvalue(res, c->row, 11),
		 PQgetvalue(res, c->row, 12), PQgetvalue(res, c->row, 13),
		 PQgetvalue(res, c->row, 14));
	o->rows++;
}

static int count_citizens(const struct extract *x)
{
	const char **pids = fr_xcalloc((size_t)x->ncourses + 1, sizeof(char *));
	int n = 0, citizens = 0;

	for (int i = 0; i < x->ncourses; i++)
		if (x->courses[i].keep)
			pids[n++] = x->courses[i].pid;
	qsort(pids, (size_t)n, sizeof(char *), strcmp_ptr);
	for (int i = 0; i < n; i++)
		citizens += i == 0 || strcmp(pids[i], pids[i - 1]) != 0;
	free(pids);
	return citizens;
}

int cmd_extract(int argc, char **argv, const struct fr_config *cfg)
{
	const char *project = NULL, *dir = NULL, *from = NULL, *to = NULL;
	struct extract x;
	unsigned char key[32];
	PGresult *courses = NULL;
	struct out outs[NFILES];
	long long rows[NFILES];
	char sha[NFILES][65], msha[65], path[4096];
	int rc = EXIT_FATAL, width = 5, suppressed = 0, citizens = 0;
	int kept_courses = 0, opened = 0;
	json_t *manifest = NULL;

	memset(&x, 0, sizeof(x));
	memset(outs, 0, sizeof(outs));
	x.k = 5;
	x.month = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout);
		if (strcmp(argv[i], "--list") == 0)
			return list_extracts(cfg);
		if (i + 1 >= argc)
			return usage(stderr);
		if (strcmp(argv[i], "--project") == 0)
			project = argv[++i];
		else if (strcmp(argv[i], "--out") == 0)
			dir = argv[++i];
		else if (strcmp(argv[i], "--from") == 0)
			from = argv[++i];
		else if (strcmp(argv[i], "--to") == 0)
			to = argv[++i];
		else if (strcmp(argv[i], "--k") == 0)
			x.k = atoi(argv[++i]);
		else if (strcmp(argv[i], "--dates") == 0) {
			i++;
			if (strcmp(argv[i], "month") == 0)
				x.month = 1;
			else if (strcmp(argv[i], "shift") == 0)
				x.month = 0;
			else
				return usage(stderr);
		} else
			return usage(stderr);
	}
	if (project == NULL || dir == NULL || x.k < 2 || x.k > 100 ||
	    !rec_source_ok(project) ||
	    (from && (strlen(from) != 10 || rec_check_time(from, 10, 1))) ||
	    (to && (strlen(to) != 10 || rec_check_time(to, 10, 1)))) {
		fprintf(stderr, "fremdrift extract: needs --project NAME (letters, "
				"digits, _ . -), --out DIR, --k from 2 to 100, "
				"dates as 2026-01-31\n");
		return EXIT_FATAL;
	}
	if (mkdir(dir, 0700) != 0) {
		fprintf(stderr, "fremdrift extract: cannot create %s: %s (it must "
				"not exist yet)\n",
			dir, strerror(errno));
		return EXIT_FATAL;
	}
	if (catalog_init(&x.cat, NULL) != 0)
		goto out;
	/* The project key: random, in memory only, wiped at once. */
	if (RAND_priv_bytes(key, sizeof(key)) != 1 ||
	    pseud_ctx_new(key, sizeof(key), &x.project, NULL) != 0)
		goto out;
	OPENSSL_cleanse(key, sizeof(key));
	if ((x.conn = db_connect(cfg, "extract")) == NULL)
		goto out;
	/* One snapshot for every file. */
	PQclear(PQexec(x.conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
	PQclear(PQexec(x.conn, "SET LOCAL TimeZone = 'Europe/Copenhagen'"));
	{
		const char *p[2] = {from, to};

		courses = PQexecParams(
			x.conn,
			"SELECT course, encode(pseudonym, 'hex'), birth_year, sex, "
			"department, agreement, started, ended, "
			"coalesce(exit_status, ''), coalesce(followup_status, ''), "
			"mix, coalesce(job_chance::text, ''), "
			"coalesce(round(paid_hours_week::numeric, 1)::text, ''), "
			"meetings, no_shows, extract(year FROM started)::int "
			"FROM fremdrift.courses WHERE started <= "
			"coalesce($2::date, 'infinity') AND coalesce(ended, "
			"'infinity') >= coalesce($1::date, '-infinity') "
			"ORDER BY course",
			2, NULL, p, NULL, NULL, 0);
	}
	if (PQresultStatus(courses) != PGRES_TUPLES_OK) {
		fprintf(stderr, "fremdrift extract: %s(has `fremdrift migrate` and "
				"`fremdrift measure refresh` run?)\n",
			PQresultErrorMessage(courses));
		goto out;
	}
	x.ncourses = PQntuples(courses);
	if (x.ncourses == 0) {
		fprintf(stderr, "fremdrift extract: no courses in that period "
				"(run `fremdrift measure refresh` after "
				"ingesting)\n");
		goto out;
	}
	x.courses = fr_xcalloc((size_t)x.ncourses, sizeof(*x.courses));
	for (int i = 0; i < x.ncourses; i++) {
		struct course *c = &x.courses[i];
		unsigned char live[PSEUD_LEN], mac[PSEUD_LEN];
		const char *course_key = PQgetvalue(courses, i, 0);

		c->row = i;
		c->keep = 1;
		c->key = fr_xstrdup(course_key);
		if (pseud_unhex(PQgetvalue(courses, i, 1), PSEUD_HEX_LEN, live,
				PSEUD_LEN) != 0)
			goto out;
		pseud_extract(x.project, live, mac);
		pseud_hex(mac, PSEUD_LEN, c->pid);
		/* The shift comes from the extract pseudonym: one person's
		 * dates all move together, differently in every extract. */
		c->shift = (int)(((unsigned)mac[0] << 8 | mac[1]) % 365);
		pseud_mac(x.project, "fremdrift/v1/extract-course", course_key,
			  strlen(course_key), mac);
		pseud_hex(mac, 8, c->cid);
		c->birth_year = atoi(PQgetvalue(courses, i, 2));
		c->sex = PQgetvalue(courses, i, 3)[0];
		c->dept = PQgetvalue(courses, i, 4);
		c->agr = PQgetvalue(courses, i, 5);
		c->start_year = atoi(PQgetvalue(courses, i, 15));
	}
	/* Generalise first, then suppress what is still too rare. */
	{
		static const int widths[] = {5, 10, 20, 100};

		for (size_t w = 0; w < 4; w++) {
			width = widths[w];
			if (suppress_at(&x, width, 1) <=
			    (int)(x.ncourses * MAX_SUPPRESS_SHARE))
				break;
		}
		suppressed = suppress_at(&x, width, 0);
	}
	index_courses(&x);
	citizens = count_citizens(&x);
	kept_courses = x.ncourses - suppressed;
	for (size_t f = 0; f < NFILES; f++) {
		if (out_open(&outs[f], dir, files[f]) != 0) {
			fprintf(stderr, "fremdrift extract: cannot write %s\n",
				outs[f].path);
			goto out;
		}
		opened = (int)f + 1;
		out_header(&outs[f]);
	}
	for (int i = 0; i < x.ncourses; i++)
		if (x.courses[i].keep)
			course_line(&x, &outs[0], courses, &x.courses[i], width);
	if (stream(&x, "SELECT course, instrument, version, respondent, "
		       "answered_at::date, scores FROM fremdrift.responses "
		       "WHERE course IS NOT NULL ORDER BY course, answered_at",
		   &outs[1], 6, row_response) ||
	    stream(&x, "SELECT course_key, dimension, round(baseline::numeric, 2), "
		       "round(current::numeric, 2), round(change::numeric, 2), "
		       "round(rci::numeric, 3), reliable_change, n_responses FROM "
		       "report.progression ORDER BY course_key, dimension",
		   &outs[2], 8, row_progression) ||
	    stream(&x, "WITH st AS (SELECT course, intervention, at, row_number() "
		       "OVER (PARTITION BY course, intervention ORDER BY at) rn "
		       "FROM fremdrift.events WHERE type = 'intervention_started'), "
		       "en AS (SELECT course, intervention, at, row_number() OVER "
		       "(PARTITION BY course, intervention ORDER BY at) rn FROM "
		       "fremdrift.events WHERE type = 'intervention_ended') "
		       "SELECT st.course, st.intervention, i.category, st.at::date, "
		       "en.at::date FROM st LEFT JOIN en USING (course, "
		       "intervention, rn) JOIN fremdrift.interventions i ON i.code "
		       "= st.intervention ORDER BY 1, 4",
		   &outs[3], 5, row_intervention) ||
	    stream(&x, "SELECT course, week, hours, paid_hours FROM "
		       "fremdrift.events WHERE type = 'hours' ORDER BY course, week",
		   &outs[4], 4, row_hours) ||
	    stream(&x, "SELECT course, type, months_after, coalesce(exit_status, "
		       "status), at::date FROM fremdrift.events WHERE type IN "
		       "('course_ended', 'followup') ORDER BY course, at",
		   &outs[5], 5, row_outcome))
		goto out;
	PQclear(PQexec(x.conn, "COMMIT"));
	for (size_t f = 0; f < NFILES; f++) {
		rows[f] = outs[f].rows;
		if (out_close(&outs[f], sha[f]) != 0)
			goto out;
		outs[f].f = NULL;
	}
	opened = 0;
	if (write_codebook(dir, &x, width) != 0)
		goto out;

	manifest = json_object();
	{
		time_t now = time(NULL);
		struct tm tm;
		char ts[32], cb[65];
		json_t *fj = json_object();

		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(manifest, "project", json_string(project));
		json_object_set_new(manifest, "created_at", json_string(ts));
		json_object_set_new(manifest, "k", json_integer(x.k));
		json_object_set_new(manifest, "quasi_identifiers",
				    json_pack("[ssss]", "age_band", "sex",
					      "department", "target_group"));
		json_object_set_new(manifest, "age_band_width",
				    width >= 100 ? json_string("all")
						 : json_integer(width));
		json_object_set_new(manifest, "date_policy",
				    json_string(x.month ? "month" : "shift"));
		json_object_set_new(manifest, "period",
				    json_pack("{s:s?, s:s?}", "from", from, "to", to));
		json_object_set_new(manifest, "citizens", json_integer(citizens));
		json_object_set_new(manifest, "courses", json_integer(kept_courses));
		json_object_set_new(
			manifest, "suppressed",
			json_pack("{s:i, s:I, s:i, s:s}", "courses", suppressed,
				  "rows", (json_int_t)x.dropped_rows, "values", 0,
				  "why",
				  "whole courses whose quasi-identifier "
				  "combination had fewer than k citizens after "
				  "generalisation, with their rows in every "
				  "file; no single values are blanked"));
		for (size_t f = 0; f < NFILES; f++)
			json_object_set_new(fj, files[f],
					    json_pack("{s:I, s:s}", "rows",
						      (json_int_t)rows[f], "sha256",
						      sha[f]));
		snprintf(path, sizeof(path), "%s/codebook.csv", dir);
		sha_file(path, cb);
		json_object_set_new(fj, "codebook.csv", json_pack("{s:s}", "sha256", cb));
		snprintf(path, sizeof(path), "%s/codebook.md", dir);
		sha_file(path, cb);
		json_object_set_new(fj, "codebook.md", json_pack("{s:s}", "sha256", cb));
		json_object_set_new(manifest, "files", fj);
	}
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	if (json_dump_file(manifest, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		goto out;
	sha_file(path, msha);
	{
		struct passwd *pw = getpwuid(getuid());
		char kk[16], cz[16], sp[16];
		const char *p[9] = {project, pw ? pw->pw_name : "unknown", kk, from,
				    to, x.month ? "month" : "shift", cz, sp, msha};
		PGresult *res;

		snprintf(kk, sizeof(kk), "%d", x.k);
		snprintf(cz, sizeof(cz), "%d", citizens);
		snprintf(sp, sizeof(sp), "%d", suppressed);
		res = PQexecParams(x.conn,
				   "INSERT INTO fremdrift.extracts (project, run_by, "
				   "k, period_from, period_to, date_policy, citizens, "
				   "suppressed, manifest_sha256) VALUES ($1, $2, $3, "
				   "$4, $5, $6, $7, $8, $9)",
				   9, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "fremdrift extract: cannot record the "
					"extract: %s",
				PQresultErrorMessage(res));
			PQclear(res);
			goto out;
		}
		PQclear(res);
	}
	printf("%s: %d citizens, %d courses (%d suppressed for k = %d; age "
	       "bands %s), dates by %s\n",
	       dir, citizens, kept_courses, suppressed, x.k,
	       width >= 100 ? "merged" : width == 5 ? "of 5 years"
				       : width == 10 ? "of 10 years" : "of 20 years",
	       x.month ? "month" : "shift");
	rc = EXIT_OK;
out:
	for (int f = 0; f < opened; f++) {
		char junk[65];

		if (outs[f].f)
			out_close(&outs[f], junk);
	}
	json_decref(manifest);
	if (courses)
		PQclear(courses);
	if (x.conn)
		PQfinish(x.conn);
	for (int i = 0; i < x.ncourses; i++)
		free(x.courses[i].key);
	free(x.courses);
	free(x.slots);
	pseud_ctx_free(x.project);
	catalog_free(&x.cat);
	return rc;
}
