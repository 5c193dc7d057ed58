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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fremdrift/pseudonym.h"
#include "harness.h"

static const char *db;
static char env_db[600], env_key[300], key_path[256], dir1[256], dir2[256],
	synth[256];
static const char *env[] = {env_db, env_key, NULL};

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
	const char *kargs[] = {"keygen", "--out", key_path, NULL};
	const char *iargs[] = {"ingest", synth, NULL};
	const char *margs[] = {"measure", "refresh", NULL};
	char cmd[512];
	struct h_result r;

	(void)state;
	db = strdup(h_fresh_db("it_extract"));
	snprintf(env_db, sizeof(env_db), "DATABASE_URL=%s", db);
	snprintf(key_path, sizeof(key_path), "%s/x.key", h_tmpdir());
	snprintf(env_key, sizeof(env_key), "FREMDRIFT_KEY_FILE=%s", key_path);
	snprintf(dir1, sizeof(dir1), "%s/ex1", h_tmpdir());
	snprintf(dir2, sizeof(dir2), "%s/ex2", h_tmpdir());
	snprintf(synth, sizeof(synth), "%s/synth.ndjson", h_tmpdir());
	r = h_run(kargs, env, NULL, 0);
	h_result_free(&r);
	{
		const char *a[] = {"migrate", NULL};

		r = h_run(a, env, NULL, 0);
		if (r.status != 0)
			return -1;
		h_result_free(&r);
	}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unlinkable),
		cmocka_unit_test(test_no_live_pseudonym_no_cpr),
		cmocka_unit_test(test_k_anonymous),
		cmocka_unit_test(test_manifest_and_codebook),
		cmocka_unit_test(test_dates_and_audit),
	};
	return cmocka_run_group_tests_name("extract", tests, setup, NULL);
}
