/*
 * Choosing the courses of an extract: those of the period, each under a
 * pseudonym and a course id made with the extract's own project key, and
 * an index by live course key for the streamed files.
 */
#include "extract_internal.h"

#include "fremdrift/buf.h"
#include "fremdrift/db.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char courses_sql[] =
	"SELECT course, encode(pseudonym, 'hex'), birth_year, sex, "
	"department, agreement, started, ended, "
	"coalesce(exit_status, ''), coalesce(followup_status, ''), "
	"mix, coalesce(job_chance::text, ''), "
	"coalesce(round(paid_hours_week::numeric, 1)::text, ''), "
	"meetings, no_shows, extract(year FROM started)::int "
	"FROM fremdrift.courses WHERE started <= "
	"coalesce($2::date, 'infinity') AND coalesce(ended, "
	"'infinity') >= coalesce($1::date, '-infinity') "
	"ORDER BY course";

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

const struct extract__course *extract__find(const struct extract *x,
					    const char *key)
{
	size_t j = (size_t)fnv(key) & (x->nslots - 1);

	while (x->slots[j]) {
		const struct extract__course *c = &x->courses[x->slots[j] - 1];

		if (strcmp(c->key, key) == 0)
			return c;
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

/* Fills course i from row i of the courses result. 0, or -1 if the live
 * pseudonym is not 64 hex digits. */
static int load_course(struct extract *x, int i)
{
	struct extract__course *c = &x->courses[i];
	const PGresult *res = x->courses_res;
	unsigned char live[PSEUD_LEN], mac[PSEUD_LEN];
	const char *course_key = PQgetvalue(res, i, 0);

	c->row = i;
	c->keep = 1;
	c->key = fr_xstrdup(course_key);
	if (pseud_unhex(PQgetvalue(res, i, 1), PSEUD_HEX_LEN, live, PSEUD_LEN) != 0)
		return -1;
	pseud_extract(x->project, live, mac);
	pseud_hex(mac, PSEUD_LEN, c->pid);
	/* The shift comes from the extract pseudonym: one person's dates
	 * all move together, differently in every extract. */
	c->shift = (int)(((unsigned)mac[0] << 8 | mac[1]) % 365);
	pseud_mac(x->project, "fremdrift/v1/extract-course", course_key,
		  strlen(course_key), mac);
	pseud_hex(mac, 8, c->cid);
	c->birth_year = atoi(PQgetvalue(res, i, 2));
	c->sex = PQgetvalue(res, i, 3)[0];
	c->dept = PQgetvalue(res, i, 4);
	c->agr = PQgetvalue(res, i, 5);
	c->start_year = atoi(PQgetvalue(res, i, 15));
	return 0;
}

int extract__select(struct extract *x)
{
	const char *p[2] = {x->opts->from, x->opts->to};

	x->courses_res = db_query(x->conn, "extract", courses_sql, 2, p);
	if (x->courses_res == NULL) {
		fprintf(stderr, "fremdrift extract: has `fremdrift migrate` and "
				"`fremdrift measure refresh` run?\n");
		return -1;
	}
	x->ncourses = PQntuples(x->courses_res);
	if (x->ncourses == 0) {
		fprintf(stderr, "fremdrift extract: no courses in that period "
				"(run `fremdrift measure refresh` after "
				"ingesting)\n");
		return -1;
	}
	x->courses = fr_xcalloc((size_t)x->ncourses, sizeof(*x->courses));
	for (int i = 0; i < x->ncourses; i++) {
		if (load_course(x, i) != 0) {
			fprintf(stderr, "fremdrift extract: a stored pseudonym "
					"is not 64 hex digits\n");
			return -1;
		}
	}
	index_courses(x);
	return 0;
}
