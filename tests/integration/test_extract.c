/*
 * Research extracts, attacked as issue 14's attacker did, on synthetic
 * citizens: a neighbour's knowledge (age, sex, department, target group,
 * start and end, a company-oriented intervention, the exit status) must
 * match at least k citizens or none, with month and with shifted dates;
 * undoing the shift by any rule a recipient has (the pid, the weekday)
 * must give nothing; two extracts must not line up by position or id; no
 * live pseudonym, course key or record id, nor a hash or prefix of one,
 * may be in a file; the groups are l-diverse; the manifest carries the
 * risk report (highest prosecutor risk at most 1/k) and the ledger; the
 * ledger records what was given, and erasure reports it; the loaders read
 * every file with its type. And the plain properties: the manifest's
 * hashes and counts match the files, the codebook names every column,
 * every extract is recorded, odd course keys survive COPY's escapes, and
 * a failed extract leaves nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fremdrift/civil.h"
#include "fremdrift/pseudonym.h"
#include "harness.h"

static struct h_site site;
static const char *db = site.db;
/* dir1: project it, month dates, with items; dir2: project it-shift,
 * shifted dates; dir3: project it again, month dates (its second), with
 * 2 KiB of memory for rows, so every file's rows go through the
 * temporary buckets (anonymize/extract_rows.c): every test below that
 * reads dir3 checks that path too. */
static char dir1[256], dir2[256], dir3[256], synth[256];
static const char *env[] = {site.env_db, site.env_key, NULL};

#define K 5

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot read %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static const char *const files[] = {"courses.csv",	 "responses.csv",
				    "progression.csv",	 "interventions.csv",
				    "hours.csv",	 "outcomes.csv"};
#define NFILES (sizeof(files) / sizeof(*files))

/* ---- a CSV file without quotes, as our data files are ---- */

struct csv {
	char *text;
	char ***row; /* row[0] is the header */
	int n, ncols;
};

static void csv_load(struct csv *c, const char *dir, const char *name)
{
	char path[512], *save = NULL, *line;
	size_t len;
	int cap = 1024;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	c->text = slurp(path, &len);
	c->row = malloc((size_t)cap * sizeof(char **));
	c->n = 0;
	for (line = strtok_r(c->text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char **f = calloc(64, sizeof(char *));
		int nf = 0;

		f[nf++] = line;
		for (char *p = line; *p; p++)
			if (*p == ',') {
				*p = '\0';
				f[nf++] = p + 1;
			}
		if (c->n == 0)
			c->ncols = nf;
		assert_int_equal(nf, c->ncols);
		if (c->n == cap)
			c->row = realloc(c->row, (size_t)(cap *= 2) * sizeof(char **));
		c->row[c->n++] = f;
	}
}

static int csv_col(const struct csv *c, const char *name)
{
	for (int i = 0; i < c->ncols; i++)
		if (strcmp(c->row[0][i], name) == 0)
			return i;
	fail_msg("no column %s", name);
	return -1;
}

static void csv_free(struct csv *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->row[i]);
	free(c->row);
	free(c->text);
}

/* ---- running the binary ---- */

static int run_extract(const char *const *args, const char *const *e)
{
	struct h_result r = h_run(args, e, NULL, 0);
	int st = r.status;

	if (st != 0)
		fprintf(stderr, "%s", r.err);
	h_result_free(&r);
	return st;
}

static int extract(const char *dir, const char *project, const char *dates)
{
	const char *args[] = {"extract", "--project", project, "--out", dir,
			      "--dates", dates, "--items", NULL};
	const char *small[] = {site.env_db, site.env_key,
			       "FREMDRIFT_EXTRACT_MEMORY=2KiB", NULL};

	return run_extract(args, dir == dir3 ? small : env);
}

static int setup(void **state)
{
	const char *iargs[] = {"ingest", synth, NULL};
	const char *margs[] = {"measure", "refresh", NULL};
	char cmd[512];
	struct h_result r;

	(void)state;
	if (h_site_new(&site, "it_extract") != 0)
		return -1;
	snprintf(dir1, sizeof(dir1), "%s/ex1", h_tmpdir());
	snprintf(dir2, sizeof(dir2), "%s/ex2", h_tmpdir());
	snprintf(dir3, sizeof(dir3), "%s/ex3", h_tmpdir());
	snprintf(synth, sizeof(synth), "%s/synth.ndjson", h_tmpdir());
	snprintf(cmd, sizeof(cmd), "%s synth --citizens 1200 --seed 4 > %s",
		 h_bin(), synth);
	if (system(cmd) != 0)
		return -1;
	r = h_run(iargs, env, NULL, 0);
	h_result_free(&r);
	r = h_run(margs, env, NULL, 0);
	h_result_free(&r);
	if (extract(dir1, "it", "month") != 0 ||
	    extract(dir2, "it-shift", "shift") != 0 ||
	    extract(dir3, "it", "month") != 0)
		return -1;
	return 0;
}

static json_t *manifest_of(const char *dir)
{
	char path[512];
	json_t *m;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	m = json_load_file(path, 0, NULL);
	if (m == NULL)
		fail_msg("cannot read %s", path);
	return m;
}

static int level_of(json_t *m, const char *qi)
{
	return (int)json_integer_value(json_object_get(
		json_object_get(json_object_get(m, "generalisation"), "levels"),
		qi));
}

/* ---- two extracts share no identifier and no order ---- */

/* The rows of dir/file, each as the given columns joined by commas, in
 * file order. Returns how many (header left out). */
static int joined(const char *dir, const char *file, const int *cols,
		  int ncols, char ***out)
{
	struct csv c;
	char **p;

	csv_load(&c, dir, file);
	p = malloc((size_t)c.n * sizeof(char *));
	for (int i = 1; i < c.n; i++) {
		size_t len = 0;

		p[i - 1] = malloc(160);
		for (int j = 0; j < ncols; j++)
			len += (size_t)snprintf(p[i - 1] + len, 160 - len, "%s%s",
						j ? "," : "", c.row[i][cols[j]]);
	}
	csv_free(&c);
	*out = p;
	return c.n - 1;
}

/* The pid and course_id of every course of dir. */
static int ids_of(const char *dir, char ***out)
{
	return joined(dir, "courses.csv", (const int[]){0, 1}, 2, out);
}

static void test_unlinkable(void **state)
{
	const char *dirs[3] = {dir1, dir2, dir3};
	char **ids[3];
	int n[3];

	(void)state;
	for (int d = 0; d < 3; d++)
		n[d] = ids_of(dirs[d], &ids[d]);
	assert_true(n[0] > 1000);
	assert_int_equal(n[0], n[2]); /* same data and project: same courses */
	for (int a = 0; a < 3; a++)
		for (int b = a + 1; b < 3; b++)
			for (int i = 0; i < n[a]; i++)
				for (int j = 0; j < n[b]; j++)
					/* neither the pid nor the course id recurs */
					if (strncmp(ids[a][i], ids[b][j], 64) == 0 ||
					    strcmp(ids[a][i] + 65, ids[b][j] + 65) == 0)
						fail_msg("extracts share an identifier");
	for (int d = 0; d < 3; d++) {
		for (int i = 0; i < n[d]; i++)
			free(ids[d][i]);
		free(ids[d]);
	}
}

/* The share of rows at the same position in two lists that are equal. */
static double same_place(char **a, int na, char **b, int nb)
{
	int same = 0, n = na < nb ? na : nb;

	for (int i = 0; i < n; i++)
		same += strcmp(a[i], b[i]) == 0;
	return n ? (double)same / n : 1;
}

/* progression.csv's rows without the ids: dimension, baseline, current
 * and change, nearly unique by themselves. */
static int contents(const char *dir, char ***out)
{
	return joined(dir, "progression.csv", (const int[]){2, 3, 4, 5}, 4, out);
}

/*
 * Row i of one extract is not row i of another, nor row i of the live
 * report view in its old order: progression rows are nearly unique by
 * content, so position would show.
 */
static void test_no_order(void **state)
{
	PGconn *c = h_db(db);
	PGresult *res = PQexec(c, "SELECT dimension, round(baseline::numeric, 2), "
				  "round(current::numeric, 2), "
				  "round(change::numeric, 2) FROM "
				  "report.progression ORDER BY course_key, "
				  "dimension");
	char **a, **b, **live;
	int na = contents(dir1, &a), nb = contents(dir3, &b),
	    nl = PQntuples(res);

	(void)state;
	assert_int_equal(na, nb);
	assert_true(na > 1000);
	live = malloc((size_t)nl * sizeof(char *));
	for (int i = 0; i < nl; i++) {
		live[i] = malloc(128);
		snprintf(live[i], 128, "%s,%s,%s,%s", PQgetvalue(res, i, 0),
			 PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			 PQgetvalue(res, i, 3));
	}
	PQclear(res);
	PQfinish(c);
	assert_true(same_place(a, na, b, nb) < 0.02);
	assert_true(same_place(a, na, live, nl) < 0.02);
	assert_true(same_place(b, nb, live, nl) < 0.02);
	for (int i = 0; i < na; i++)
		free(a[i]), free(b[i]);
	for (int i = 0; i < nl; i++)
		free(live[i]);
	free(a);
	free(b);
	free(live);
}

/* ---- no live identifier, nor a hash or prefix of one ---- */

/* A set of 64-bit values (16 hex digits), open addressing. */
struct set {
	uint64_t *v;
	size_t cap, n;
};

static void set_add(struct set *s, uint64_t x)
{
	size_t j;

	if (s->n * 2 >= s->cap) {
		struct set t = {calloc(s->cap ? s->cap * 2 : 1 << 16, 8),
				s->cap ? s->cap * 2 : 1 << 16, 0};

		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i])
				set_add(&t, s->v[i]);
		free(s->v);
		*s = t;
	}
	for (j = (size_t)(x * 0x9e3779b97f4a7c15ULL) & (s->cap - 1);
	     s->v[j] && s->v[j] != x; j = (j + 1) & (s->cap - 1))
		;
	if (!s->v[j])
		s->v[j] = x, s->n++;
}

static int set_has(const struct set *s, uint64_t x)
{
	for (size_t j = (size_t)(x * 0x9e3779b97f4a7c15ULL) & (s->cap - 1);
	     s->v[j]; j = (j + 1) & (s->cap - 1))
		if (s->v[j] == x)
			return 1;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Every 16-hex-digit window of hex (any case) into s. */
static void add_windows(struct set *s, const char *hex)
{
	size_t n = strlen(hex);

	for (size_t i = 0; i + 16 <= n; i++) {
		uint64_t x = 0;

		for (size_t j = 0; j < 16; j++)
			x = x << 4 | (uint64_t)hexval(hex[i + j]);
		set_add(s, x | 1); /* never 0, the empty slot */
	}
}

/* The SHA-256 of n bytes at p, as hex windows into s. */
static void add_sha(struct set *s, const void *p, size_t n)
{
	unsigned char md[32];
	unsigned int len = 0;
	char hex[65];

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	pseud_hex(md, 32, hex);
	add_windows(s, hex);
}

/* Every live identifier, and hashes of them, from the database. */
static void live_identifiers(struct set *s)
{
	PGconn *c = h_db(db);
	PGresult *res = PQexec(
		c, "SELECT encode(pseudonym, 'hex') FROM fremdrift.events UNION "
		   "SELECT course FROM fremdrift.events UNION SELECT id FROM "
		   "fremdrift.events UNION SELECT id FROM fremdrift.responses");

	assert_true(PQntuples(res) > 10000);
	for (int r = 0; r < PQntuples(res); r++) {
		const char *v = PQgetvalue(res, r, 0);
		unsigned char raw[32];

		/* Every one is hex: a pseudonym, a course key, an id. */
		add_windows(s, v);
		add_sha(s, v, strlen(v));
		if (strlen(v) == 64 && pseud_unhex(v, 64, raw, 32) == 0)
			add_sha(s, raw, 32);
	}
	PQclear(res);
	PQfinish(c);
}

/* Fails if any 16-hex-digit window of text is in s. */
static void no_window_of(const struct set *s, const char *text, const char *what)
{
	size_t run = 0;
	uint64_t x = 0;

	for (const char *p = text; *p; p++) {
		int v = hexval(*p);

		if (v < 0) {
			run = 0;
			continue;
		}
		x = x << 4 | (uint64_t)v;
		if (++run >= 16 && set_has(s, x | 1))
			fail_msg("%s holds a live identifier or its hash: %.16s",
				 what, p - 15);
	}
}

/* A CPR number's ten digits as a set entry. */
static uint64_t cpr_key(const char *d)
{
	uint64_t x = 0;

	for (int i = 0; i < 10; i++)
		x = x * 10 + (uint64_t)(d[i] - '0');
	return x * 2 + 1;
}

/* Every CPR number of the input into s. */
static void input_cprs(struct set *s)
{
	size_t len;
	char *cprs = slurp(synth, &len);

	for (char *p = strstr(cprs, "\"cpr\":\""); p;
	     p = strstr(p + 1, "\"cpr\":\"")) {
		char d[10];

		memcpy(d, p + 7, 6);
		memcpy(d + 6, p + 14, 4);
		set_add(s, cpr_key(d));
	}
	free(cprs);
}

/* Fails if text holds a CPR number of s, with or without hyphen. */
static void no_cpr_of(const struct set *s, const char *text, const char *what)
{
	for (const char *p = text; *p; p++) {
		char d[10];
		int n = 0;

		for (const char *q = p; *q && n < 10; q++) {
			if (*q == '-' && n == 6 && q == p + 6)
				continue;
			if (*q < '0' || *q > '9')
				break;
			d[n++] = *q;
		}
		if (n == 10 && set_has(s, cpr_key(d)))
			fail_msg("a CPR number is in %s", what);
	}
}

static void test_no_live_identifiers(void **state)
{
	const char *dirs[3] = {dir1, dir2, dir3};
	struct set s = {0}, cprs = {0};
	size_t len;

	(void)state;
	live_identifiers(&s);
	input_cprs(&cprs);
	assert_true(cprs.n >= 1200);
	for (int d = 0; d < 3; d++)
		for (size_t f = 0; f <= NFILES; f++) {
			char path[512], *t;

			snprintf(path, sizeof(path), "%s/%s", dirs[d],
				 f < NFILES ? files[f] : "items.csv");
			t = slurp(path, &len);
			no_window_of(&s, t, path);
			no_cpr_of(&cprs, t, path);
			/* Course keys (S4-K...) and record ids (s4-c...). */
			if (strstr(t, "S4-K") || strstr(t, "s4-c"))
				fail_msg("%s holds a course key or record id", path);
			free(t);
		}
	free(s.v);
	free(cprs.v);
}

/* ---- k-anonymity and l-diversity of the files as written ---- */

struct qrow {
	char key[256];   /* every quasi-identifier but the exit status */
	char exit[48];   /* the exit status */
	char fu[48];     /* the follow-up status */
	char pid[65];
};

static int cmp_qrow(const void *a, const void *b)
{
	const struct qrow *p = a, *q = b;
	int c = strcmp(p->key, q->key);

	if (c == 0)
		c = strcmp(p->exit, q->exit);
	return c ? c : strcmp(p->pid, q->pid);
}

static int trivial(const char *v)
{
	return v[0] == '\0' || strcmp(v, "*") == 0;
}

/* 1 if [a, b) holds an outcome and fewer than 2 distinct values of it. */
static int not_diverse(const struct qrow *q, int a, int b, int fu)
{
	int any = 0, two = 0;

	for (int t = a; t < b; t++) {
		const char *v = fu ? q[t].fu : q[t].exit;

		any |= !trivial(v);
		two |= strcmp(v, fu ? q[a].fu : q[a].exit) != 0;
	}
	return any && !two;
}

static void check_groups(const char *dir)
{
	struct csv c;
	struct qrow *q;
	int n;

	csv_load(&c, dir, "courses.csv");
	n = c.n - 1;
	q = calloc((size_t)n, sizeof(*q));
	for (int i = 0; i < n; i++) {
		char **f = c.row[i + 1];

		snprintf(q[i].key, sizeof(q[i].key), "%s|%s|%s|%s|%s|%s|%s",
			 f[csv_col(&c, "age_band")], f[csv_col(&c, "sex")],
			 f[csv_col(&c, "department")],
			 f[csv_col(&c, "target_group")], f[csv_col(&c, "start")],
			 f[csv_col(&c, "end")], f[csv_col(&c, "company")]);
		snprintf(q[i].exit, sizeof(q[i].exit), "%s", f[csv_col(&c, "exit_status")]);
		snprintf(q[i].fu, sizeof(q[i].fu), "%s", f[csv_col(&c, "followup_status")]);
		snprintf(q[i].pid, sizeof(q[i].pid), "%s", f[0]);
	}
	qsort(q, (size_t)n, sizeof(*q), cmp_qrow);
	for (int i = 0; i < n;) {
		int j = i;

		while (j < n && strcmp(q[j].key, q[i].key) == 0)
			j++;
		if (not_diverse(q, i, j, 0))
			fail_msg("%s: every exit status of %s is %s", dir, q[i].key,
				 q[i].exit);
		for (int a = i; a < j;) {
			int b = a, citizens = 0;

			while (b < j && strcmp(q[b].exit, q[a].exit) == 0) {
				citizens += b == a || strcmp(q[b].pid, q[b - 1].pid) != 0;
				b++;
			}
			if (citizens < K)
				fail_msg("%s: %s|%s has %d citizens", dir, q[a].key,
					 q[a].exit, citizens);
			if (not_diverse(q, a, b, 1))
				fail_msg("%s: every follow-up of %s|%s is %s", dir,
					 q[a].key, q[a].exit, q[a].fu);
			a = b;
		}
		i = j;
	}
	free(q);
	csv_free(&c);
}

/* Every combination of the quasi-identifiers covers at least k = 5
 * citizens, and its outcomes are 2-diverse, in every extract. */
static void test_k_anonymous_l_diverse(void **state)
{
	(void)state;
	check_groups(dir1);
	check_groups(dir2);
	check_groups(dir3);
}

/* ---- the neighbour ---- */

/* What a neighbour knows of a course: the truth, from the database. */
struct truth {
	int birth_year, start_year, company;
	long start, end;
	int has_end;
	char sex[2], dept[48], tg[48], exit[48], tw;
};

static struct truth *truths(int *n)
{
	PGconn *c = h_db(db);
	PGresult *res = PQexec(
		c, "SELECT birth_year, sex, department, agreement, started, "
		   "coalesce(ended::text, ''), coalesce(exit_status, ''), "
		   "coalesce(x.towards_work::text, ''), mix IN ('company_only', "
		   "'sequential', 'parallel') FROM fremdrift.courses LEFT JOIN "
		   "fremdrift.exit_statuses x ON x.code = exit_status");
	struct truth *t;

	*n = PQntuples(res);
	t = calloc((size_t)*n, sizeof(*t));
	for (int i = 0; i < *n; i++) {
		t[i].birth_year = atoi(PQgetvalue(res, i, 0));
		t[i].sex[0] = PQgetvalue(res, i, 1)[0];
		snprintf(t[i].dept, sizeof(t[i].dept), "%s", PQgetvalue(res, i, 2));
		snprintf(t[i].tg, sizeof(t[i].tg), "%s", PQgetvalue(res, i, 3));
		fr_date_parse(PQgetvalue(res, i, 4), &t[i].start);
		t[i].start_year = atoi(PQgetvalue(res, i, 4));
		t[i].has_end = fr_date_parse(PQgetvalue(res, i, 5), &t[i].end) == 0;
		snprintf(t[i].exit, sizeof(t[i].exit), "%s", PQgetvalue(res, i, 6));
		t[i].tw = PQgetvalue(res, i, 7)[0];
		t[i].company = PQgetvalue(res, i, 8)[0] == 't';
	}
	PQclear(res);
	PQfinish(c);
	return t;
}

/* The attacker's own generalisation, from the manifest's levels. */
static void period(long days, int level, char out[16])
{
	int y, m, d;

	fr_civil_from_days(days, &y, &m, &d);
	if (level == 0)
		snprintf(out, 16, "%04d-%02d", y % 10000, m % 100);
	else if (level == 1)
		snprintf(out, 16, "%04d-Q%d", y % 10000, (m + 2) / 3 % 10);
	else if (level == 2)
		snprintf(out, 16, "%04d-H%d", y % 10000, m > 6 ? 2 : 1);
	else
		snprintf(out, 16, "%04d", y % 10000);
}

static void age_band(int age, int level, char out[16])
{
	static const int w[] = {5, 10, 20, 100};

	if (w[level] == 100)
		snprintf(out, 16, "all");
	else
		snprintf(out, 16, "%d-%d", age / w[level] * w[level] % 1000,
			 (age / w[level] * w[level] + w[level] - 1) % 1000);
}

static const char *exit_label(const struct truth *t, int level)
{
	if (t->exit[0] == '\0')
		return "";
	return level == 0 ? t->exit
	       : level < 3 ? (t->tw == 't' ? "towards_work" : "not_towards_work")
			   : "*";
}

/* What the neighbour matches courses.csv's rows against: the truth
 * generalised as the manifest says, with every pair of start and end
 * periods some shift could give (only shift 0 for month dates). */
struct known {
	char age[16], sex[2], dept[48], tg[48], exit[48];
	int company, nper;
	char per[53][2][16];
};

static void know(struct known *k, const struct truth *t, json_t *m, int shifts)
{
	int lt = level_of(m, "time");

	age_band(t->start_year - t->birth_year, level_of(m, "age"), k->age);
	snprintf(k->sex, sizeof(k->sex), "%s", level_of(m, "sex") ? "*" : t->sex);
	snprintf(k->dept, sizeof(k->dept), "%s",
		 level_of(m, "department") ? "*" : t->dept);
	snprintf(k->tg, sizeof(k->tg), "%s", level_of(m, "target_group") ? "*" : t->tg);
	snprintf(k->exit, sizeof(k->exit), "%s", exit_label(t, level_of(m, "outcome")));
	k->company = t->company;
	k->nper = 0;
	for (int w = -shifts; w <= shifts; w++) {
		char *s = k->per[k->nper][0], *e = k->per[k->nper][1];

		period(t->start + 7 * w, lt, s);
		e[0] = '\0';
		if (t->has_end)
			period(t->end + 7 * w, lt, e);
		if (k->nper == 0 || strcmp(s, k->per[k->nper - 1][0]) ||
		    strcmp(e, k->per[k->nper - 1][1]))
			k->nper++;
	}
}

/* Columns of courses.csv, in the order fits() reads them. */
enum { C_AGE, C_SEX, C_DEPT, C_TG, C_START, C_END, C_COMPANY, C_EXIT, C_N };

/* 1 if a row could be the course the neighbour knows. */
static int fits(char **f, const int *col, const struct known *k)
{
	if (strcmp(f[col[C_AGE]], k->age) || strcmp(f[col[C_SEX]], k->sex) ||
	    strcmp(f[col[C_DEPT]], k->dept) || strcmp(f[col[C_TG]], k->tg) ||
	    atoi(f[col[C_COMPANY]]) != k->company ||
	    strcmp(f[col[C_EXIT]], k->exit))
		return 0;
	for (int i = 0; i < k->nper; i++)
		if (strcmp(f[col[C_START]], k->per[i][0]) == 0 &&
		    strcmp(f[col[C_END]], k->per[i][1]) == 0)
			return 1;
	return 0;
}

/* The distinct citizens of the rows that fit k, up to max. */
static int candidates(const struct csv *c, const int *col,
		      const struct known *k, const char **pids, int max)
{
	int np = 0;

	for (int r = 1; r < c->n; r++) {
		int seen = 0;

		if (!fits(c->row[r], col, k))
			continue;
		for (int j = 0; j < np && !seen; j++)
			seen = strcmp(pids[j], c->row[r][0]) == 0;
		if (!seen && np < max)
			pids[np++] = c->row[r][0];
	}
	return np;
}

/*
 * For every course of the database, the citizens whose rows fit what a
 * neighbour knows of it: none (it was suppressed) or at least k. At least
 * min_found of the courses must be found (else suppression did all the
 * work), and picking one
 * of the fitting citizens at random is right at most 1 in k.
 */
static void neighbour(const char *dir, int shifts, double min_found)
{
	static const char *const names[C_N] = {
		"age_band", "sex", "department", "target_group",
		"start", "end", "company", "exit_status"};
	json_t *m = manifest_of(dir);
	struct csv c;
	int n, found = 0, col[C_N];
	struct truth *t = truths(&n);
	struct known *k = malloc(sizeof(*k));
	double p = 0;

	csv_load(&c, dir, "courses.csv");
	for (int i = 0; i < C_N; i++)
		col[i] = csv_col(&c, names[i]);
	for (int i = 0; i < n; i++) {
		const char *pids[4096];
		int np;

		know(k, &t[i], m, shifts);
		np = candidates(&c, col, k, pids, 4096);
		if (np > 0 && np < K)
			fail_msg("%s: a neighbour's knowledge fits %d citizens", dir, np);
		if (np > 0) {
			found++;
			p += 1.0 / np;
		}
	}
	if (found < n * min_found)
		fail_msg("%s: only %d of %d courses found", dir, found, n);
	assert_true(p / found <= 1.0 / K);
	free(k);
	free(t);
	csv_free(&c);
	json_decref(m);
}

static void test_neighbour_month(void **state)
{
	(void)state;
	neighbour(dir1, 0, 0.9);
}

static void test_neighbour_shift(void **state)
{
	(void)state;
	neighbour(dir2, 26, 0.9);
}

/* ---- the manifest: risk report, ledger, hashes ---- */

static void check_risk(const char *dir)
{
	json_t *m = manifest_of(dir), *r = json_object_get(m, "risk");
	double highest = json_real_value(
		json_object_get(json_object_get(r, "prosecutor"), "highest"));

	assert_non_null(r);
	assert_true(highest > 0 && highest <= 1.0 / K);
	assert_true(json_real_value(json_object_get(json_object_get(r, "journalist"),
						    "highest")) <= 1.0 / K);
	assert_true(json_real_value(json_object_get(r, "marketer")) <= 1.0 / K);
	assert_int_equal(json_integer_value(json_object_get(r, "above_1_over_k")), 0);
	assert_non_null(json_object_get(r, "records_at_risk"));
	assert_int_equal(json_array_size(json_object_get(m, "quasi_identifiers")), 8);
	assert_int_equal(json_array_size(json_object_get(m, "sensitive")), 2);
	assert_non_null(json_object_get(json_object_get(m, "generalisation"), "search"));
	assert_non_null(json_object_get(json_object_get(m, "ledger"), "extract"));
	json_decref(m);
}

static void test_risk_report(void **state)
{
	json_t *m;

	(void)state;
	check_risk(dir1);
	check_risk(dir2);
	check_risk(dir3);
	/* The second extract of project it knows of the first. */
	m = manifest_of(dir3);
	assert_int_equal(json_array_size(json_object_get(
				 json_object_get(m, "ledger"), "earlier_extracts")),
			 1);
	assert_true(json_integer_value(json_object_get(
			    json_object_get(m, "ledger"), "citizens_already_held")) >
		    1000);
	json_decref(m);
}

static void manifest_and_codebook(const char *dir)
{
	char path[512], *manifest, *codebook, *md;
	size_t len;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	manifest = slurp(path, &len);
	assert_non_null(strstr(manifest, "\"k\": 5"));
	assert_non_null(strstr(manifest, "\"quasi_identifiers\""));
	assert_non_null(strstr(manifest, "\"date_policy\": \"month\""));
	snprintf(path, sizeof(path), "%s/codebook.csv", dir);
	codebook = slurp(path, &len);
	snprintf(path, sizeof(path), "%s/codebook.md", dir);
	md = slurp(path, &len);
	assert_non_null(strstr(md, "quasi-identifier"));
	assert_non_null(strstr(md, "Form: one row per course with hours: totals"));
	assert_non_null(strstr(codebook, "courses.csv,exit_status,category,"
					 "exit_status,,quasi-identifier and "
					 "sensitive,"));
	for (size_t f = 0; f <= NFILES; f++) {
		unsigned char h[32];
		unsigned int hlen = 0;
		char hex[65], want[160], *text, *header, *col, *s = NULL;
		const char *name = f < NFILES ? files[f] : "items.csv";
		long lines = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		text = slurp(path, &len);
		EVP_Digest(text, len, h, &hlen, EVP_sha256(), NULL);
		pseud_hex(h, 32, hex);
		for (size_t i = 0; i < len; i++)
			lines += text[i] == '\n';
		/* The manifest names the file with its hash and row count. */
		snprintf(want, sizeof(want), "\"%s\": {\n      \"rows\": %ld,\n"
					     "      \"sha256\": \"%s\"",
			 name, lines - 1, hex);
		if (strstr(manifest, want) == NULL)
			fail_msg("manifest entry for %s does not match the file", name);
		/* The codebook names every column of the header. */
		header = strndup(text, strcspn(text, "\n"));
		for (col = strtok_r(header, ",", &s); col;
		     col = strtok_r(NULL, ",", &s)) {
			snprintf(want, sizeof(want), "\n%s,%s,", name, col);
			if (strstr(codebook, want) == NULL)
				fail_msg("codebook lacks %s %s", name, col);
		}
		free(header);
		free(text);
	}
	free(md);
	free(codebook);
	free(manifest);
}

static void test_manifest_and_codebook(void **state)
{
	(void)state;
	manifest_and_codebook(dir1);
	manifest_and_codebook(dir3); /* rows shuffled through the buckets */
}

/* 1 if text holds a date with a day: dddd-dd-dd. */
static int has_full_date(const char *t)
{
	for (; t[0] && t[9]; t++) {
		int ok = t[4] == '-' && t[7] == '-';

		for (int i = 0; ok && i < 10; i++)
			if (i != 4 && i != 7 && (t[i] < '0' || t[i] > '9'))
				ok = 0;
		if (ok)
			return 1;
	}
	return 0;
}

/* No file of the default form holds a day's date, shifted or not. */
static void test_dates_and_audit(void **state)
{
	const char *args[] = {"extract", "--list", NULL};
	struct h_result r;
	PGconn *c;

	(void)state;
	for (size_t f = 0; f < NFILES; f++) {
		char path[512], *a, *b;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", dir1, files[f]);
		a = slurp(path, &len);
		snprintf(path, sizeof(path), "%s/%s", dir2, files[f]);
		b = slurp(path, &len);
		assert_false(has_full_date(a));
		assert_false(has_full_date(b));
		free(a);
		free(b);
	}
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, " it "));
	assert_non_null(strstr(r.out, "month"));
	assert_non_null(strstr(r.out, "shift"));
	h_result_free(&r);
	/* The audit rows hold no pseudonym; the manifest hash is there, and
	 * the ledger holds each extract's citizens. */
	c = h_db(db);
	assert_string_equal(h_scalar(c, "SELECT count(*) FROM fremdrift.extracts "
					"WHERE length(manifest_sha256) = 64 AND "
					"risk IS NOT NULL"),
			    "3");
	assert_string_equal(h_scalar(c, "SELECT bool_and(n = citizens) FROM "
					"fremdrift.extracts e JOIN (SELECT "
					"extract_no, count(DISTINCT pseudonym) "
					"n FROM fremdrift.extract_ledger GROUP "
					"BY 1) l USING (extract_no)"),
			    "t");
	PQfinish(c);
	/* An existing folder is refused: nothing is overwritten. */
	assert_int_equal(extract(dir1, "it", "month"), 2);
}

/* ---- refusals ---- */

/* 1 if path exists. */
static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* r must be a failure, exit 2, with a message holding why and also (may
 * be ""), that left no folder out. Frees r. */
static void check_refused(struct h_result *r, const char *out,
			  const char *why, const char *also)
{
	assert_int_equal(r->status, 2);
	if (strstr(r->err, why) == NULL || strstr(r->err, also) == NULL)
		fail_msg("expected \"%s\" and \"%s\" in: %s", why, also, r->err);
	h_result_free(r);
	assert_false(exists(out));
}

static void refused(const char *const *args, const char *out, const char *why,
		    const char *also)
{
	struct h_result r = h_run(args, env, NULL, 0);

	check_refused(&r, out, why, also);
}

/* `extract --project NAME --out <scratch>/NAME` with the extra
 * arguments (at most 6) must be refused with why and also. */
static void refused_with(const char *name, const char *const *extra,
			 const char *why, const char *also)
{
	char out[256];
	const char *args[12] = {"extract", "--project", name, "--out", out};
	int n = 5;

	snprintf(out, sizeof(out), "%s/%s", h_tmpdir(), name);
	while (*extra && n < 11)
		args[n++] = *extra++;
	args[n] = NULL;
	refused(args, out, why, also);
}

/* An extract whose risk would be over 1/k is not written. */
static void test_refused_over_risk(void **state)
{
	(void)state;
	refused_with("big-k", (const char *const[]){"--k", "100", "--max-suppress",
						      "0", NULL},
		     "not written", "highest prosecutor risk");
}

/* Exact sequences single out every course of realistic data. */
static void test_exact_refused(void **state)
{
	(void)state;
	refused_with("exact", (const char *const[]){"--sequences", "exact", NULL},
		     "single out", "--sequences exact");
}

/*
 * The ledger's rule: a project that holds a finely generalised extract
 * (here one allowed to leave out half) is judged at that level in its next
 * extract, which then needs more suppression than allowed: refused. A new
 * project gets the extract. (If the data need no finer step than the
 * default, both steps are the same and the next extract is made.)
 */
static void test_union_rule(void **state)
{
	char out[256], cmd[600];
	const char *fresh[] = {"extract", "--project", "union-new", "--out", out,
			       NULL};
	const char *fine[] = {"extract", "--project", "union", "--out", out,
			      "--max-suppress", "50", NULL};
	const char *next[] = {"extract", "--project", "union", "--out", out, NULL};
	json_t *m;
	long s5, s50;

	(void)state;
	snprintf(out, sizeof(out), "%s/union", h_tmpdir());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", out);
	assert_int_equal(run_extract(fresh, env), 0);
	m = manifest_of(out);
	s5 = json_integer_value(json_object_get(json_object_get(m, "generalisation"), "step"));
	json_decref(m);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(run_extract(fine, env), 0);
	m = manifest_of(out);
	s50 = json_integer_value(json_object_get(json_object_get(m, "generalisation"), "step"));
	json_decref(m);
	assert_true(s50 <= s5);
	check_groups(out);
	neighbour(out, 0, 0.5);
	assert_int_equal(system(cmd), 0);
	if (s50 < s5)
		refused(next, out, "already holds", "not written");
	else
		assert_int_equal(run_extract(next, env), 0);
}

/* ---- shifted dates ---- */

/*
 * A small site of forty citizens with the very same short course (so that
 * exact sequences single nobody out and may be written), born in 1962,
 * their courses running Monday 1 July to Monday 29 July 2024: every true
 * date is known, and shifts of up to half a year keep most of them in one
 * year (a shifted course alone in its year is suppressed, as published).
 */
static char sdb[600], senv[620], sdata[256];
static const char *const senvp[] = {senv, site.env_key, NULL};
#define NSHIFT 40

static void same_course(FILE *f, int i)
{
	char cpr[12];
	const char *ex = i % 2 ? "education" : "employment";
	const char *fu = i % 4 < 2 ? "employment" : "unemployment";
	static const char *const answered[2] = {"2024-07-03", "2024-07-24"};

	snprintf(cpr, sizeof(cpr), "%02d%02d62-0000", 61 + i % 28, 1 + i / 28);
	fprintf(f, "{\"kind\":\"event\",\"id\":\"z%d-s\",\"cpr\":\"%s\","
		   "\"course\":\"Z%d\",\"at\":\"2024-07-01\",\"type\":"
		   "\"course_started\",\"department\":\"aarhus\","
		   "\"agreement\":\"sick_listed\"}\n",
		i, cpr, i);
	for (int r = 0; r < 2; r++)
		fprintf(f, "{\"kind\":\"response\",\"id\":\"z%d-r%d\",\"cpr\":"
			   "\"%s\",\"instrument\":\"konsulent\",\"version\":1,"
			   "\"respondent\":\"consultant\",\"answered_at\":"
			   "\"%sT10:00:00+02:00\",\"course\":\"Z%d\","
			   "\"answers\":{\"k01\":%d,\"k02\":2,\"k03\":1,\"k04\":2,"
			   "\"k05\":1,\"k06\":2,\"k07\":2,\"k08\":1,\"k09\":2,"
			   "\"k10\":2,\"k11\":2}}\n",
			i, r, cpr, answered[r], i, 1 + r);
	fprintf(f, "{\"kind\":\"event\",\"id\":\"z%d-i1\",\"cpr\":\"%s\","
		   "\"course\":\"Z%d\",\"at\":\"2024-07-08\",\"type\":"
		   "\"intervention_started\",\"intervention\":\"internship\"}\n"
		   "{\"kind\":\"event\",\"id\":\"z%d-i2\",\"cpr\":\"%s\","
		   "\"course\":\"Z%d\",\"at\":\"2024-07-22\",\"type\":"
		   "\"intervention_ended\",\"intervention\":\"internship\"}\n",
		i, cpr, i, i, cpr, i);
	for (int w = 27; w < 31; w++)
		fprintf(f, "{\"kind\":\"event\",\"id\":\"z%d-h%d\",\"cpr\":\"%s\","
			   "\"course\":\"Z%d\",\"at\":\"2024-07-26\",\"type\":"
			   "\"hours\",\"week\":\"2024-W%02d\",\"hours\":10,"
			   "\"paid_hours\":0}\n",
			i, w, cpr, i, w);
	fprintf(f, "{\"kind\":\"event\",\"id\":\"z%d-e\",\"cpr\":\"%s\","
		   "\"course\":\"Z%d\",\"at\":\"2024-07-29\",\"type\":"
		   "\"course_ended\",\"exit_status\":\"%s\"}\n"
		   "{\"kind\":\"event\",\"id\":\"z%d-f\",\"cpr\":\"%s\","
		   "\"course\":\"Z%d\",\"at\":\"2024-09-30\",\"type\":"
		   "\"followup\",\"months_after\":2,\"status\":\"%s\"}\n",
		i, cpr, i, ex, i, cpr, i, fu);
}

static void shift_site(void)
{
	const char *ingest[] = {"ingest", sdata, NULL};
	const char *refresh[] = {"measure", "refresh", NULL};
	const char *migrate[] = {"migrate", NULL};
	const char *const *steps[] = {migrate, ingest, refresh};
	FILE *f;

	if (sdb[0])
		return;
	snprintf(sdb, sizeof(sdb), "%s", h_fresh_db("it_extract_shift"));
	snprintf(senv, sizeof(senv), "DATABASE_URL=%s", sdb);
	snprintf(sdata, sizeof(sdata), "%s/same.ndjson", h_tmpdir());
	f = fopen(sdata, "w");
	for (int i = 0; i < NSHIFT; i++)
		same_course(f, i);
	fclose(f);
	for (size_t s = 0; s < 3; s++) {
		struct h_result r = h_run(steps[s], senvp, NULL, 0);

		assert_int_equal(r.status, 0);
		h_result_free(&r);
	}
}

static long day_of(const char *s)
{
	long d = -1;

	if (fr_date_parse(s, &d) != 0)
		fail_msg("not a date: %s", s);
	return d;
}

/* The shift of each pid, learnt from the truth; fails if one person's
 * dates do not all move by one whole number of weeks within range. */
struct shift {
	char pid[65];
	long days;
};

static void learn(struct shift *s, int *n, const char *pid, long shifted,
		  long truth)
{
	long d = shifted - truth;
	int i = 0;

	if (d % 7 != 0 || d < -26 * 7 || d > 26 * 7)
		fail_msg("a shift of %ld days", d);
	while (i < *n && strcmp(s[i].pid, pid) != 0)
		i++;
	if (i == *n) {
		snprintf(s[i].pid, sizeof(s[i].pid), "%s", pid);
		s[i].days = d;
		(*n)++;
	}
	if (s[i].days != d)
		fail_msg("one person's dates moved by %ld and by %ld days",
			 s[i].days, d);
}

static void shifts_of(const char *dir, struct shift *s, int *n)
{
	long start = day_of("2024-07-01");
	struct csv c;

	*n = 0;
	csv_load(&c, dir, "hours.csv");
	for (int r = 1; r < c.n; r++) {
		long w = atol(c.row[r][csv_col(&c, "weeks")]),
		     d = day_of(c.row[r][csv_col(&c, "week")]);

		/* Still a Monday (1970-01-01 was a Thursday). */
		assert_int_equal(((d % 7) + 7 + 3) % 7, 0);
		learn(s, n, c.row[r][0], d, start + 7 * w);
	}
	csv_free(&c);
	csv_load(&c, dir, "interventions.csv");
	for (int r = 1; r < c.n; r++) {
		learn(s, n, c.row[r][0], day_of(c.row[r][csv_col(&c, "start")]),
		      day_of("2024-07-08"));
		learn(s, n, c.row[r][0], day_of(c.row[r][csv_col(&c, "end")]),
		      day_of("2024-07-22"));
	}
	csv_free(&c);
	csv_load(&c, dir, "outcomes.csv");
	for (int r = 1; r < c.n; r++)
		learn(s, n, c.row[r][0], day_of(c.row[r][csv_col(&c, "date")]),
		      day_of(strcmp(c.row[r][2], "exit") ? "2024-09-30"
							 : "2024-07-29"));
	csv_free(&c);
	csv_load(&c, dir, "responses.csv");
	for (int r = 1; r < c.n; r++)
		learn(s, n, c.row[r][0], day_of(c.row[r][csv_col(&c, "date")]),
		      day_of(atoi(c.row[r][csv_col(&c, "round")]) == 1
				     ? "2024-07-03"
				     : "2024-07-24"));
	csv_free(&c);
}

/* How many people's shift the rule gives, of n. */
static int rule_hits(const struct shift *s, int n, long (*rule)(const char *pid))
{
	int hits = 0;

	for (int i = 0; i < n; i++)
		hits += rule(s[i].pid) == s[i].days;
	return hits;
}

static long prefix4(const char *pid)
{
	return strtol((char[5]){pid[0], pid[1], pid[2], pid[3], 0}, NULL, 16);
}
static long rule_days(const char *pid) { return prefix4(pid) % 365; }
static long rule_weeks(const char *pid) { return 7 * (prefix4(pid) % 53 - 26); }
static long rule_weeks0(const char *pid) { return 7 * (prefix4(pid) % 53); }
static long rule_last(const char *pid) { return 7 * (strtol(pid + 60, NULL, 16) % 53 - 26); }

/*
 * Shifted dates, measured: every date of a person moves by one whole
 * number of weeks (so every weekday is kept, and a weekday tells
 * nothing), the same in every file; the shifts differ between people and
 * between extracts; and no rule a recipient could try on the pid gives
 * them back more often than chance.
 */
static void test_shift_secret(void **state)
{
	char out1[256], out2[256];
	const char *a1[] = {"extract", "--project", "sh1", "--out", out1,
			    "--dates", "shift", "--sequences", "exact",
			    "--max-suppress", "30", NULL};
	const char *a2[] = {"extract", "--project", "sh2", "--out", out2,
			    "--dates", "shift", "--sequences", "exact",
			    "--max-suppress", "30", NULL};
	long (*rules[])(const char *) = {rule_days, rule_weeks, rule_weeks0,
					  rule_last};
	struct shift s1[NSHIFT], s2[NSHIFT];
	int n1, n2, distinct = 0;

	(void)state;
	shift_site();
	snprintf(out1, sizeof(out1), "%s/sh1", h_tmpdir());
	snprintf(out2, sizeof(out2), "%s/sh2", h_tmpdir());
	assert_int_equal(run_extract(a1, senvp), 0);
	assert_int_equal(run_extract(a2, senvp), 0);
	shifts_of(out1, s1, &n1);
	shifts_of(out2, s2, &n2);
	/* A shifted period alone in its group is suppressed, as published. */
	assert_true(n1 >= NSHIFT * 7 / 10);
	assert_true(n2 >= NSHIFT * 7 / 10);
	for (int i = 0; i < n1; i++) {
		int seen = 0;

		for (int j = 0; j < i; j++)
			seen |= s1[j].days == s1[i].days;
		distinct += !seen;
	}
	assert_true(distinct >= 10); /* 53 possible shifts, 28-40 people */
	/* Chance gives about one hit in 53 people for the rules in weeks. */
	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		assert_true(rule_hits(s1, n1, rules[r]) <= 6);
		assert_true(rule_hits(s2, n2, rules[r]) <= 6);
	}
	/* The two extracts' shifts are not one list in another order. */
	{
		long h1[NSHIFT], h2[NSHIFT];
		int same = 1;

		for (int i = 0; i < n1; i++)
			h1[i] = s1[i].days;
		for (int i = 0; i < n2; i++)
			h2[i] = s2[i].days;
		for (int i = 0; i < n1 && same; i++) {
			int c1 = 0, c2 = 0;

			for (int j = 0; j < n1; j++)
				c1 += h1[j] == h1[i];
			for (int j = 0; j < n2; j++)
				c2 += h2[j] == h1[i];
			same = c1 == c2;
		}
		assert_false(same);
	}
	check_groups(out1);
}

/* ---- the ledger and erasure ---- */

static int occurrences(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* Erasure names every extract that held the citizen, by project, number
 * and date, then deletes the citizen's ledger rows with the rest. */
static void test_erase_reports_extracts(void **state)
{
	struct h_result r;
	PGconn *c;
	char cpr[16];
	int before, held = 0, i;

	(void)state;
	shift_site(); /* sh1 and sh2 hold (nearly) every one of its citizens */
	c = h_db(sdb);
	before = atoi(h_scalar(c, "SELECT count(*) FROM fremdrift.extract_ledger"));
	assert_true(before >= NSHIFT);
	/* A citizen that both extracts hold: the first the access says so. */
	for (i = 0; i < NSHIFT && held < 2; i++) {
		snprintf(cpr, sizeof(cpr), "%02d%02d62-0000\n", 61 + i % 28,
			 1 + i / 28);
		r = h_run((const char *const[]){"access", NULL}, senvp, cpr,
			  strlen(cpr));
		assert_int_equal(r.status, 0);
		held = occurrences(r.out, "{\"project\":\"sh");
		h_result_free(&r);
	}
	assert_int_equal(held, 2);
	r = h_run((const char *const[]){"erase", NULL}, senvp, cpr, strlen(cpr));
	assert_int_equal(r.status, 0);
	if (strstr(r.out, "\"extracts\":[{\"project\":\"sh1\",\"extract\":1,"
			  "\"date\":\"") == NULL ||
	    strstr(r.out, "{\"project\":\"sh2\",\"extract\":2,") == NULL)
		fail_msg("erase did not name the extracts: %s", r.out);
	h_result_free(&r);
	/* Reported, then gone with the rest of the citizen. */
	assert_int_equal(atoi(h_scalar(c, "SELECT count(*) FROM "
					  "fremdrift.extract_ledger")),
			 before - 2);
	r = h_run((const char *const[]){"access", NULL}, senvp, cpr, strlen(cpr));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"extracts\":[]"));
	h_result_free(&r);
	PQfinish(c);
}

/* ---- the loaders ---- */

static void test_python_loader(void **state)
{
	char cmd[1024];

	(void)state;
	snprintf(cmd, sizeof(cmd),
		 "for p in python3 /usr/bin/python3; do if $p -c 'import pandas' "
		 "2>/dev/null; then exec $p %s/load_extract.py %s; fi; done; "
		 "exit 77",
		 dir1, dir1);
	{
		FILE *p = popen(cmd, "r");
		char buf[8192];
		size_t n = p ? fread(buf, 1, sizeof(buf) - 1, p) : 0;
		int st = p ? pclose(p) : -1;

		buf[n] = '\0';
		if (WEXITSTATUS(st) == 77) {
			fprintf(stderr, "skipped: no python3 with pandas "
					"(apt-get install python3-pandas)\n");
			skip();
		}
		assert_int_equal(WEXITSTATUS(st), 0);
		assert_non_null(strstr(buf, "courses: "));
		assert_non_null(strstr(buf, "  company            Int64"));
		assert_non_null(strstr(buf, "  exit_status        category"));
		assert_non_null(strstr(buf, "  score              float64"));
		assert_non_null(strstr(buf, "items: "));
		assert_non_null(strstr(buf, "  answer             Int64"));
	}
}

static void test_r_loader(void **state)
{
	char cmd[1024], buf[8192];
	FILE *p;
	size_t n;
	int st;

	(void)state;
	if (system("command -v Rscript >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skipped: no Rscript (apt-get install "
				"r-base-core to run the R loader)\n");
		skip();
	}
	snprintf(cmd, sizeof(cmd), "Rscript %s/load_extract.R %s 2>&1", dir1, dir1);
	p = popen(cmd, "r");
	n = fread(buf, 1, sizeof(buf) - 1, p);
	st = pclose(p);
	buf[n] = '\0';
	if (WEXITSTATUS(st) != 0)
		fail_msg("Rscript: %s", buf);
	assert_non_null(strstr(buf, "courses: "));
	assert_non_null(strstr(buf, "  company            integer"));
	assert_non_null(strstr(buf, "  exit_status        factor"));
	assert_non_null(strstr(buf, "  weeks              ordered"));
}

/* ---- odd course keys ---- */

/*
 * Course keys come from case systems and may hold any printable text.
 * COPY escapes some of it (a backslash is sent as two), so these keys
 * must match the courses query's unescaped text, or every row of those
 * courses would vanish and be reported as suppressed.
 */
static const char *const odd_keys[] = {
	"K\\\\1",	 "\\\\N",	"K\\\\tX",     "K\\\\\\\\2",
	"K\\\\.",	 "K\\\\012",	"K\\\\x41",    "K\\\"q'uote",
	"K,comma",	 "K;semi",	"K\u00e6\u00f8\u00e5", "K\u00fc",
};
#define NODD (sizeof(odd_keys) / sizeof(odd_keys[0]))

/* The pseudonyms of the odd keys as ingest reads them (the JSON escapes
 * \\ and \" undone), as an SQL list. */
static const char *odd_pseudonyms(void)
{
	static char list[NODD * (PSEUD_HEX_LEN + 4) + 4];
	size_t n = 0;

	list[n++] = '(';
	for (size_t i = 0; i < NODD; i++) {
		char raw[32];
		size_t k = 0;

		for (const char *p = odd_keys[i]; *p; p++)
			raw[k++] = p[0] == '\\' ? *++p : *p;
		raw[k] = '\0';
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s'%s'",
				      i ? ", " : "",
				      h_course(site.key_path, raw));
	}
	snprintf(list + n, sizeof(list) - n, ")");
	return list;
}

/* The NDJSON of course i: one citizen (born 1962, female), every kind of
 * row, i + 1 weeks of hours so each course has its own count, and exits
 * and follow-ups varied enough for 2-diversity. */
static void odd_course(FILE *f, size_t i)
{
	const char *k = odd_keys[i];
	char cpr[12];

	snprintf(cpr, sizeof(cpr), "%02zu0162-0000", 61 + i);
	fprintf(f, "{\"kind\":\"event\",\"id\":\"o%zu-s\",\"cpr\":\"%s\","
		   "\"course\":\"%s\",\"at\":\"2024-01-08\",\"type\":"
		   "\"course_started\",\"department\":\"aarhus\","
		   "\"agreement\":\"sick_listed\"}\n",
		i, cpr, k);
	for (int r = 0; r < 2; r++)
		fprintf(f, "{\"kind\":\"response\",\"id\":\"o%zu-r%d\",\"cpr\":"
			   "\"%s\",\"instrument\":\"konsulent\",\"version\":1,"
			   "\"respondent\":\"consultant\",\"answered_at\":"
			   "\"2024-0%d-10T10:00:00+01:00\",\"course\":\"%s\","
			   "\"answers\":{\"k01\":%d,\"k02\":2,\"k03\":1,\"k04\":2,"
			   "\"k05\":1,\"k06\":2,\"k07\":2,\"k08\":1,\"k09\":2,"
			   "\"k10\":2,\"k11\":2}}\n",
			i, r, cpr, 1 + r * 3, k, 1 + r);
	fprintf(f, "{\"kind\":\"event\",\"id\":\"o%zu-i1\",\"cpr\":\"%s\","
		   "\"course\":\"%s\",\"at\":\"2024-01-15\",\"type\":"
		   "\"intervention_started\",\"intervention\":\"internship\"}\n"
		   "{\"kind\":\"event\",\"id\":\"o%zu-i2\",\"cpr\":\"%s\","
		   "\"course\":\"%s\",\"at\":\"2024-02-15\",\"type\":"
		   "\"intervention_ended\",\"intervention\":\"internship\"}\n",
		i, cpr, k, i, cpr, k);
	for (size_t w = 0; w <= i; w++)
		fprintf(f, "{\"kind\":\"event\",\"id\":\"o%zu-h%zu\",\"cpr\":"
			   "\"%s\",\"course\":\"%s\",\"at\":\"2024-03-01\","
			   "\"type\":\"hours\",\"week\":\"2024-W%02zu\","
			   "\"hours\":10,\"paid_hours\":4}\n",
			i, w, cpr, k, w + 3);
	fprintf(f, "{\"kind\":\"event\",\"id\":\"o%zu-e\",\"cpr\":\"%s\","
		   "\"course\":\"%s\",\"at\":\"2024-06-01\",\"type\":"
		   "\"course_ended\",\"exit_status\":\"%s\"}\n"
		   "{\"kind\":\"event\",\"id\":\"o%zu-f\",\"cpr\":\"%s\","
		   "\"course\":\"%s\",\"at\":\"2024-09-01\",\"type\":"
		   "\"followup\",\"months_after\":3,\"status\":\"%s\"}\n",
		i, cpr, k, i % 2 ? "education" : "employment", i, cpr, k,
		i % 4 < 2 ? "employment" : "unemployment");
}

/* Rows per course_id of one extract file (header left out): how many
 * courses appear, their row counts sorted into counts[], and the total;
 * with col >= 0 the value of that column instead of the row count. */
static long per_course(const char *dir, const char *file, int col,
		       int counts[64], int *ncourses)
{
	struct csv c;
	char ids[64][17];
	long total = 0;

	csv_load(&c, dir, file);
	*ncourses = 0;
	for (int r = 1; r < c.n; r++) {
		int j = 0;

		total++;
		while (j < *ncourses && strcmp(ids[j], c.row[r][1]) != 0)
			j++;
		if (j == *ncourses) {
			assert_true(*ncourses < 64);
			snprintf(ids[j], sizeof(ids[j]), "%.16s", c.row[r][1]);
			counts[(*ncourses)++] = 0;
		}
		counts[j] += col < 0 ? 1 : atoi(c.row[r][col]);
	}
	csv_free(&c);
	for (int a = 0; a < *ncourses; a++) /* sort, small n */
		for (int b = a + 1; b < *ncourses; b++)
			if (counts[b] < counts[a]) {
				int t = counts[a];

				counts[a] = counts[b];
				counts[b] = t;
			}
	return total;
}

static void test_escaped_course_keys(void **state)
{
	static const struct {
		const char *file, *sql;
	} want[] = {
		{"courses.csv", "SELECT count(*) FROM fremdrift.courses"},
		{"responses.csv", "SELECT sum(array_length(scores, 1)) FROM "
				  "fremdrift.responses"},
		{"progression.csv", "SELECT count(*) FROM report.progression"},
		{"interventions.csv", "SELECT count(*) FROM fremdrift.events "
				      "WHERE type = 'intervention_started'"},
		{"hours.csv", "SELECT count(DISTINCT course) FROM "
			      "fremdrift.events WHERE type = 'hours'"},
		{"outcomes.csv", "SELECT count(*) FROM fremdrift.events WHERE "
				 "type IN ('course_ended', 'followup')"},
	};
	char odb[600], oenv[620], data[256], out[256], path[512], *manifest;
	const char *e[] = {oenv, site.env_key, NULL};
	const char *ingest[] = {"ingest", data, NULL};
	const char *refresh[] = {"measure", "refresh", NULL};
	const char *migrate[] = {"migrate", NULL};
	const char *ex[] = {"extract", "--project", "keys", "--out", out,
			    "--k", "2", NULL};
	int counts[64], n;
	struct h_result r;
	PGconn *c;
	FILE *f;
	size_t len;

	(void)state;
	snprintf(odb, sizeof(odb), "%s", h_fresh_db("it_extract_keys"));
	snprintf(oenv, sizeof(oenv), "DATABASE_URL=%s", odb);
	snprintf(data, sizeof(data), "%s/odd.ndjson", h_tmpdir());
	snprintf(out, sizeof(out), "%s/odd", h_tmpdir());
	f = fopen(data, "w");
	for (size_t i = 0; i < NODD; i++)
		odd_course(f, i);
	fclose(f);
	r = h_run(migrate, e, NULL, 0);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	r = h_run(ingest, e, NULL, 0);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	r = h_run(refresh, e, NULL, 0);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	c = h_db(odb);
	/* Every odd key arrived as sent, one course each: stored as the
	 * pseudonym of exactly the text sent (issue 14). */
	assert_int_equal(atoi(h_scalar(c, h_sql("SELECT count(DISTINCT course) "
						"FROM fremdrift.courses WHERE "
						"course IN %s",
						odd_pseudonyms()))),
			 (int)NODD);
	assert_int_equal(run_extract(ex, e), 0);
	/* Every row of every course is in every file. */
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		long total = per_course(out, want[w].file, -1, counts, &n);

		assert_true(atol(h_scalar(c, want[w].sql)) > 0);
		if (total != atol(h_scalar(c, want[w].sql)) || n != (int)NODD)
			fail_msg("%s: %ld rows of %d courses; the database has "
				 "%s rows of %zu courses",
				 want[w].file, total, n, h_scalar(c, want[w].sql),
				 NODD);
	}
	/* Course i has i + 1 weeks of hours: each course has all of its. */
	per_course(out, "hours.csv", 2, counts, &n);
	for (int i = 0; i < n; i++)
		assert_int_equal(counts[i], i + 1);
	PQfinish(c);
	snprintf(path, sizeof(path), "%s/manifest.json", out);
	manifest = slurp(path, &len);
	assert_non_null(strstr(manifest, "\"suppressed\": {\n    \"courses\": 0,\n"
					 "    \"rows\": 0,"));
	free(manifest);
}

/* --k takes an integer from 2 to 100, all of the argument. */
static void test_strict_k(void **state)
{
	(void)state;
	refused_with("strict", (const char *const[]){"--k", "5x", NULL},
		     "--k must be an integer from 2 to 100", "--help");
}

/* A failed extract removes the folder it made, so a rerun works. */
static void test_failure_removes_folder(void **state)
{
	char out[256];
	const char *late[] = {"extract", "--project", "rerun", "--out", out,
			      "--to", "1990-01-01", NULL};

	(void)state;
	snprintf(out, sizeof(out), "%s/rerun", h_tmpdir());
	refused(late, out, "no courses in that period", "");
	assert_int_equal(extract(out, "rerun", "month"), 0);
}

/*
 * A write that fails (here: the file size limit, which as root is the
 * honest stand-in for a full disk) fails the extract with a message
 * naming the file, exit 2, and leaves no folder behind.
 */
static void test_write_error(void **state)
{
	char out[256];
	const char *args[] = {"extract", "--project", "full", "--out", out, NULL};
	struct rlimit old, small;
	struct h_result r;

	(void)state;
	snprintf(out, sizeof(out), "%s/full", h_tmpdir());
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 20000;
	/* Ignored, SIGXFSZ turns into EFBIG in the child (inherited). */
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
	r = h_run(args, env, NULL, 0);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	check_refused(&r, out, "cannot write", "courses.csv");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unlinkable),
		cmocka_unit_test(test_no_order),
		cmocka_unit_test(test_no_live_identifiers),
		cmocka_unit_test(test_k_anonymous_l_diverse),
		cmocka_unit_test(test_neighbour_month),
		cmocka_unit_test(test_neighbour_shift),
		cmocka_unit_test(test_risk_report),
		cmocka_unit_test(test_manifest_and_codebook),
		cmocka_unit_test(test_dates_and_audit),
		cmocka_unit_test(test_refused_over_risk),
		cmocka_unit_test(test_exact_refused),
		cmocka_unit_test(test_union_rule),
		cmocka_unit_test(test_shift_secret),
		cmocka_unit_test(test_erase_reports_extracts),
		cmocka_unit_test(test_python_loader),
		cmocka_unit_test(test_r_loader),
		cmocka_unit_test(test_escaped_course_keys),
		cmocka_unit_test(test_strict_k),
		cmocka_unit_test(test_failure_removes_folder),
		cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests_name("extract", tests, setup, NULL);
}
