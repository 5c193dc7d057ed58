/*
 * Research extracts: no CPR and no live pseudonym in any file, two
 * extracts share no identifier, every quasi-identifier combination covers
 * at least k citizens, the manifest's hashes and counts match the files,
 * the codebook names every column, and every extract is recorded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "fremdrift/pseudonym.h"
#include "harness.h"

static struct h_site site;
static const char *db = site.db;
static char dir1[256], dir2[256],
	synth[256];
static const char *env[] = {site.env_db, site.env_key, NULL};

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

static const char *const files[] = {"courses.csv", "responses.csv",
				    "progression.csv", "interventions.csv",
				    "hours.csv", "outcomes.csv"};

static int extract(const char *dir, const char *dates)
{
	const char *args[] = {"extract", "--project", "it", "--out", dir,
			      "--dates", dates, NULL};
	struct h_result r = h_run(args, env, NULL, 0);
	int st = r.status;

	if (st != 0)
		fprintf(stderr, "%s", r.err);
	h_result_free(&r);
	return st;
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
	snprintf(synth, sizeof(synth), "%s/synth.ndjson", h_tmpdir());
	snprintf(cmd, sizeof(cmd), "%s synth --citizens 1200 --seed 4 > %s",
		 h_bin(), synth);
	if (system(cmd) != 0)
		return -1;
	r = h_run(iargs, env, NULL, 0);
	h_result_free(&r);
	r = h_run(margs, env, NULL, 0);
	h_result_free(&r);
	if (extract(dir1, "month") != 0 || extract(dir2, "shift") != 0)
		return -1;
	return 0;
}

/* Every pid of a file, as a sorted array of 64-char strings. */
static int pids_of(const char *dir, char ***out)
{
	char path[512], *text, *line, *save = NULL;
	size_t len;
	int n = 0, cap = 1024;
	char **p = malloc((size_t)cap * sizeof(char *));

	snprintf(path, sizeof(path), "%s/courses.csv", dir);
	text = slurp(path, &len);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "pid,", 4) == 0)
			continue;
		if (n == cap)
			p = realloc(p, (size_t)(cap *= 2) * sizeof(char *));
		p[n++] = strndup(line, 64 + 1 + 16); /* pid,course_id */
	}
	free(text);
	*out = p;
	return n;
}

static void test_unlinkable(void **state)
{
	char **a, **b;
	int na = pids_of(dir1, &a), nb = pids_of(dir2, &b);

	(void)state;
	assert_true(na > 1000);
	assert_int_equal(na, nb); /* same data, same courses kept */
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++) {
			/* neither the pid nor the course id recurs */
			if (strncmp(a[i], b[j], 64) == 0 ||
			    strncmp(a[i] + 65, b[j] + 65, 16) == 0)
				fail_msg("extracts share an identifier");
		}
	for (int i = 0; i < na; i++)
		free(a[i]);
	for (int i = 0; i < nb; i++)
		free(b[i]);
	free(a);
	free(b);
}

/* No live pseudonym and no CPR number, in any form, in any file. */
static void test_no_live_pseudonym_no_cpr(void **state)
{
	PGconn *c = h_db(db);
	PGresult *res = PQexec(c, "SELECT DISTINCT encode(pseudonym, 'hex') FROM "
				  "fremdrift.events");
	char *cprs, *all = NULL;
	size_t total = 0, len;
	char path[512];

	(void)state;
	for (int d = 0; d < 2; d++)
		for (size_t f = 0; f < sizeof(files) / sizeof(*files); f++) {
			char *t;

			snprintf(path, sizeof(path), "%s/%s", d ? dir2 : dir1,
				 files[f]);
			t = slurp(path, &len);
			all = realloc(all, total + len + 1);
			memcpy(all + total, t, len);
			total += len;
			all[total] = '\0';
			free(t);
		}
	assert_true(PQntuples(res) > 1000);
	for (int r = 0; r < PQntuples(res); r++)
		if (strstr(all, PQgetvalue(res, r, 0)))
			fail_msg("a live pseudonym is in an extract");
	PQclear(res);
	PQfinish(c);
	/* Every CPR number of the input, with and without hyphen. */
	cprs = slurp(synth, &len);
	for (char *p = strstr(cprs, "\"cpr\":\""); p; p = strstr(p + 1, "\"cpr\":\"")) {
		char with[12], without[11];

		memcpy(with, p + 7, 11);
		with[11] = '\0';
		memcpy(without, with, 6);
		memcpy(without + 6, with + 7, 4);
		without[10] = '\0';
		if (strstr(all, with) || strstr(all, without))
			fail_msg("a CPR number is in an extract");
		p += 7;
	}
	free(cprs);
	free(all);
}

/* Every combination of the quasi-identifiers covers at least k = 5. */
static void test_k_anonymous(void **state)
{
	char path[512], *text, *line, *save = NULL;
	size_t len;
	struct row {
		char key[128];
		char pid[65];
	} *rows = NULL;
	int n = 0;

	(void)state;
	for (int d = 0; d < 2; d++) {
		snprintf(path, sizeof(path), "%s/courses.csv", d ? dir2 : dir1);
		text = slurp(path, &len);
		n = 0;
		rows = realloc(rows, 5000 * sizeof(*rows));
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *f[8], *s2 = NULL, *p = line;
			int nf = 0;

			if (strncmp(line, "pid,", 4) == 0)
				continue;
			while (nf < 6 && (f[nf] = strtok_r(p, ",", &s2)) != NULL) {
				nf++;
				p = NULL;
			}
			assert_int_equal(nf, 6);
			snprintf(rows[n].key, sizeof(rows[n].key), "%s|%s|%s|%s",
				 f[2], f[3], f[4], f[5]);
			snprintf(rows[n].pid, sizeof(rows[n].pid), "%s", f[0]);
			n++;
		}
		free(text);
		for (int i = 0; i < n; i++) {
			int citizens = 0;

			for (int j = 0; j < n; j++) {
				int first = 1;

				if (strcmp(rows[j].key, rows[i].key) != 0)
					continue;
				for (int t = 0; t < j; t++)
					if (strcmp(rows[t].key, rows[i].key) == 0 &&
					    strcmp(rows[t].pid, rows[j].pid) == 0)
						first = 0;
				citizens += first;
			}
			if (citizens < 5)
				fail_msg("combination %s has %d citizens",
					 rows[i].key, citizens);
		}
	}
	free(rows);
}

static void test_manifest_and_codebook(void **state)
{
	char path[512], *manifest, *codebook;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/manifest.json", dir1);
	manifest = slurp(path, &len);
	assert_non_null(strstr(manifest, "\"k\": 5"));
	assert_non_null(strstr(manifest, "\"quasi_identifiers\""));
	assert_non_null(strstr(manifest, "\"date_policy\": \"month\""));
	snprintf(path, sizeof(path), "%s/codebook.csv", dir1);
	codebook = slurp(path, &len);
	for (size_t f = 0; f < sizeof(files) / sizeof(*files); f++) {
		unsigned char md[32];
		unsigned int mdlen = 0;
		char hex[65], want[128], *text, *header, *col, *s = NULL;
		long lines = 0;

		snprintf(path, sizeof(path), "%s/%s", dir1, files[f]);
		text = slurp(path, &len);
		EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL);
		pseud_hex(md, 32, hex);
		for (size_t i = 0; i < len; i++)
			lines += text[i] == '\n';
		/* The manifest names the file with its hash and row count. */
		snprintf(want, sizeof(want), "\"%s\": {\n      \"rows\": %ld,\n"
					     "      \"sha256\": \"%s\"",
			 files[f], lines - 1, hex);
		if (strstr(manifest, want) == NULL)
			fail_msg("manifest entry for %s does not match the file",
				 files[f]);
		/* The codebook names every column of the header. */
		header = strndup(text, strcspn(text, "\n"));
		for (col = strtok_r(header, ",", &s); col;
		     col = strtok_r(NULL, ",", &s)) {
			snprintf(want, sizeof(want), "\n%s,%s,", files[f], col);
			if (strstr(codebook, want) == NULL)
				fail_msg("codebook lacks %s %s", files[f], col);
		}
		free(header);
		free(text);
	}
	free(codebook);
	free(manifest);
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

static void test_dates_and_audit(void **state)
{
	char path[512], *a, *b;
	size_t len;
	const char *args[] = {"extract", "--list", NULL};
	struct h_result r;

	(void)state;
	snprintf(path, sizeof(path), "%s/courses.csv", dir1);
	a = slurp(path, &len);
	snprintf(path, sizeof(path), "%s/courses.csv", dir2);
	b = slurp(path, &len);
	/* month: YYYY-MM only; shift: full dates. */
	assert_non_null(strstr(a, ",2024-"));
	assert_false(has_full_date(a)); /* no day part anywhere */
	assert_true(has_full_date(b));
	{
		const char *p = strchr(b, '\n') + 1;
		int commas = 0;

		while (*p && commas < 6)
			commas += *p++ == ',';
		/* the start column of the first row: YYYY-MM-DD */
		assert_true(p[4] == '-' && p[7] == '-' && p[10] == ',');
	}
	free(a);
	free(b);
	r = h_run(args, env, NULL, 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, " it "));
	assert_non_null(strstr(r.out, "month"));
	assert_non_null(strstr(r.out, "shift"));
	h_result_free(&r);
	/* The audit rows hold no pseudonym; the manifest hash is there. */
	{
		PGconn *c = h_db(db);

		assert_string_equal(h_scalar(c, "SELECT count(*) FROM "
						"fremdrift.extracts WHERE "
						"length(manifest_sha256) = 64"),
				    "2");
		PQfinish(c);
	}
	/* An existing folder is refused: nothing is overwritten. */
	assert_int_equal(extract(dir1, "month"), 2);
}

/* 1 if path exists. */
static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

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
 * row, and i + 1 weeks of hours so each course has its own count. */
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
		   "\"course_ended\",\"exit_status\":\"employment\"}\n"
		   "{\"kind\":\"event\",\"id\":\"o%zu-f\",\"cpr\":\"%s\","
		   "\"course\":\"%s\",\"at\":\"2024-09-01\",\"type\":"
		   "\"followup\",\"months_after\":3,\"status\":\"employment\"}\n",
		i, cpr, k, i, cpr, k);
}

/* Rows per course_id of one extract file (header left out): how many
 * courses appear, their row counts sorted into counts[], and the total. */
static long per_course(const char *dir, const char *file, int counts[64],
		       int *ncourses)
{
	char path[512], ids[64][17], *text, *line, *save = NULL;
	size_t len;
	long total = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	text = slurp(path, &len);
	*ncourses = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		int j = 0;

		if (strncmp(line, "pid,", 4) == 0)
			continue;
		total++;
		while (j < *ncourses && strncmp(ids[j], line + 65, 16) != 0)
			j++;
		if (j == *ncourses) {
			assert_true(*ncourses < 64);
			snprintf(ids[j], sizeof(ids[j]), "%.16s", line + 65);
			counts[(*ncourses)++] = 0;
		}
		counts[j]++;
	}
	free(text);
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
		{"hours.csv", "SELECT count(*) FROM fremdrift.events WHERE "
			      "type = 'hours'"},
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
	r = h_run(ex, e, NULL, 0);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	/* Every row of every course is in every file. */
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		long total = per_course(out, want[w].file, counts, &n);

		assert_true(atol(h_scalar(c, want[w].sql)) > 0);
		if (total != atol(h_scalar(c, want[w].sql)) || n != (int)NODD)
			fail_msg("%s: %ld rows of %d courses; the database has "
				 "%s rows of %zu courses",
				 want[w].file, total, n, h_scalar(c, want[w].sql),
				 NODD);
	}
	/* Course i has i + 1 weeks of hours: each course has all of its. */
	per_course(out, "hours.csv", counts, &n);
	for (int i = 0; i < n; i++)
		assert_int_equal(counts[i], i + 1);
	PQfinish(c);
	snprintf(path, sizeof(path), "%s/manifest.json", out);
	manifest = slurp(path, &len);
	assert_non_null(strstr(manifest, "\"suppressed\": {\n    \"courses\": 0,\n"
					 "    \"rows\": 0,"));
	free(manifest);
}

/* r must be a failure, exit 2, with a message holding why and also (may
 * be ""), that left no folder out. Frees r. */
static void check_refused(struct h_result *r, const char *out,
			  const char *why, const char *also)
{
	assert_int_equal(r->status, 2);
	assert_non_null(strstr(r->err, why));
	assert_non_null(strstr(r->err, also));
	h_result_free(r);
	assert_false(exists(out));
}

static void refused(const char *const *args, const char *out, const char *why,
		    const char *also)
{
	struct h_result r = h_run(args, env, NULL, 0);

	check_refused(&r, out, why, also);
}

/* --k takes an integer from 2 to 100, all of the argument. */
static void test_strict_k(void **state)
{
	char out[256];
	const char *args[] = {"extract", "--project", "it", "--out", out,
			      "--k", "5x", NULL};

	(void)state;
	snprintf(out, sizeof(out), "%s/strict", h_tmpdir());
	refused(args, out, "--k must be an integer from 2 to 100", "--help");
}

/* A failed extract removes the folder it made, so a rerun works. */
static void test_failure_removes_folder(void **state)
{
	char out[256];
	const char *late[] = {"extract", "--project", "it", "--out", out,
			      "--to", "1990-01-01", NULL};

	(void)state;
	snprintf(out, sizeof(out), "%s/rerun", h_tmpdir());
	refused(late, out, "no courses in that period", "");
	assert_int_equal(extract(out, "month"), 0);
}

/*
 * A write that fails (here: the file size limit, which as root is the
 * honest stand-in for a full disk) fails the extract with a message
 * naming the file, exit 2, and leaves no folder behind.
 */
static void test_write_error(void **state)
{
	char out[256];
	const char *args[] = {"extract", "--project", "it", "--out", out, NULL};
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
		cmocka_unit_test(test_no_live_pseudonym_no_cpr),
		cmocka_unit_test(test_k_anonymous),
		cmocka_unit_test(test_manifest_and_codebook),
		cmocka_unit_test(test_dates_and_audit),
		cmocka_unit_test(test_escaped_course_keys),
		cmocka_unit_test(test_strict_k),
		cmocka_unit_test(test_failure_removes_folder),
		cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests_name("extract", tests, setup, NULL);
}
