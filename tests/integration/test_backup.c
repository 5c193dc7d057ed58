/*
 * Backups (scripts/backup.sh, docs/operations.md "Backups and restore"):
 * a dump of a database with a published release holds no part of the key
 * and no password hash, and restored into an empty new server it gives
 * the same dashboard answers, every view of every period, and is up to
 * date for `fremdrift migrate --check`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static struct h_site site;
static char dir[256], other[256];

static const char *const views[9] = {"overview", "progression", "subgoals",
				     "company",  "mix",         "paid_hours",
				     "belief",   "exits",       "followups"};

/* Every answer of the API's function for view, years and quarters. */
static char *answers(PGconn *c, const char *view)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "SELECT string_agg(a.status || ' ' || (a.body::jsonb - "
		 "'protection')::text, E'\\n' ORDER BY p.f NULLS FIRST) FROM "
		 "(VALUES (NULL), ('1000-Q1')) p(f), fremdrift.dash_answer('%s', "
		 "p.f, CASE WHEN p.f IS NULL THEN NULL ELSE '9999-Q4' END, NULL, "
		 "NULL) a",
		 view);
	return strdup(h_scalar(c, sql));
}

static int setup(void **state)
{
	const char *synth[] = {"synth", "--citizens", "200", "--seed", "19",
			       NULL};
	const char *ingest[] = {"ingest", "--source", "synth", "-", NULL};
	const char *refresh[] = {"measure", "refresh", NULL};
	const char *env[] = {site.env_db, site.env_key, NULL};
	struct h_result r;

	(void)state;
	if (h_site_new(&site, "it_backup") != 0)
		return -1;
	r = h_run(synth, env, NULL, 0);
	h_run_ok(ingest, env, r.out);
	h_result_free(&r);
	h_run_ok(refresh, env, NULL);
	snprintf(dir, sizeof(dir), "%s/backup", h_tmpdir());
	/* the new server's folder: under /tmp, reachable by the user
	 * postgres (pg.sh runs the cluster as it when run as root) */
	snprintf(other, sizeof(other), "/tmp/fremdrift-restore.%d", getpid());
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "sh %s/pg.sh stop %s >/dev/null 2>&1; rm -rf %s",
		 getenv("FREMDRIFT_SCRIPTS"), other, other);
	return system(cmd) == 0 ? 0 : -1;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command made from fmt; fails the test if it fails. */
static void sh(const char *fmt, ...)
{
	char cmd[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

static void test_dump_and_restore(void **state)
{
	char cmd[1200], url[512], *plain;
	char *key = h_read_file(site.key_path), *hex;
	PGconn *src = h_db(site.db), *dst;
	const char *check[] = {"migrate", "--check", NULL};
	char env_db[600];
	const char *env[] = {env_db, site.env_key, NULL};
	struct h_result r;

	(void)state;
	snprintf(cmd, sizeof(cmd), "DATABASE_URL='%s' sh %s/backup.sh dump %s",
		 site.db, getenv("FREMDRIFT_SCRIPTS"), dir);
	assert_int_equal(system(cmd), 0);
	/* the dump as SQL holds neither the key nor a password hash */
	sh("\"$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)/pg_restore\" -f "
	   "%s/plain.sql %s/fremdrift.dump",
	   dir, dir);
	snprintf(cmd, sizeof(cmd), "%s/plain.sql", dir);
	plain = h_read_file(cmd);
	assert_true(strlen(plain) > 10000);
	hex = strstr(key, "\nkey ");
	assert_non_null(hex);
	hex += 5;
	hex[strcspn(hex, "\n")] = '\0';
	assert_true(strlen(hex) >= 64);
	assert_null(strstr(plain, hex));
	free(plain);
	snprintf(cmd, sizeof(cmd), "%s/roles.sql", dir);
	plain = h_read_file(cmd);
	assert_null(strstr(plain, "SCRAM-SHA-256$"));
	assert_null(strstr(plain, "md5"));
	free(plain);
	free(key);

	/* a new, empty server; the roles and the database restored there */
	mkdir(other, 0755);
	sh("sh %s/pg.sh init %s/pg --fast >/dev/null", getenv("FREMDRIFT_SCRIPTS"),
	   other);
	sh("sh %s/pg.sh start %s/pg >/dev/null", getenv("FREMDRIFT_SCRIPTS"),
	   other);
	snprintf(url, sizeof(url), "host=%s/pg user=fremdrift dbname=fremdrift",
		 other);
	snprintf(cmd, sizeof(cmd), "DATABASE_URL='%s' sh %s/backup.sh restore %s",
		 url, getenv("FREMDRIFT_SCRIPTS"), dir);
	assert_int_equal(system(cmd), 0);
	dst = h_db(url);
	for (int i = 0; i < 9; i++) {
		char *a = answers(src, views[i]), *b = answers(dst, views[i]);

		assert_true(strlen(a) > 20);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	snprintf(env_db, sizeof(env_db), "DATABASE_URL=%s", url);
	r = h_run(check, env, NULL, 0);
	assert_int_equal(r.status, 0);
	h_result_free(&r);
	PQfinish(dst);
	PQfinish(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_and_restore),
	};

	return cmocka_run_group_tests_name("backup", tests, setup, teardown);
}
