/*
 * Choosing the courses of an extract: those of the period, each under a
 * pseudonym and a course id made with the extract's own project key, each
 * person's secret date shift, and an index by live course key for the
 * streamed files.
 */
#include "extract_internal.h"

#include "fremdrift/buf.h"
#include "fremdrift/civil.h"
#include "fremdrift/db.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* No ORDER BY: nothing of the database's order may reach a file. */
static const char courses_sql[] =
	"SELECT c.course, encode(c.pseudonym, 'hex'), c.birth_year, c.sex, "
	"c.department, c.agreement, c.started, c.ended, "
	"coalesce(c.exit_status, ''), coalesce(c.followup_status, ''), "
	"c.mix, coalesce(c.job_chance::text, ''), "
	"coalesce(round(c.paid_hours_week::numeric)::text, ''), "
	"c.meetings, c.no_shows, extract(year FROM c.started)::int, "
	"coalesce(x.towards_work::text, ''), coalesce(f.towards_work::text, "
	"''), c.mix IN ('company_only', 'sequential', 'parallel') "
	"FROM fremdrift.courses c "
	"LEFT JOIN fremdrift.exit_statuses x ON x.code = c.exit_status "
	"LEFT JOIN fremdrift.exit_statuses f ON f.code = c.followup_status "
	"WHERE c.started <= coalesce($2::date, 'infinity') AND "
	"coalesce(c.ended, 'infinity') >= coalesce($1::date, '-infinity')";

uint64_t extract__hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

struct extract__course *extract__find(const struct extract *x, const char *key)
{
	size_t j = (size_t)extract__hash(key) & (x->nslots - 1);

	while (x->slots[j]) {
		struct extract__course *c = &x->courses[x->slots[j] - 1];

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
		size_t j = (size_t)extract__hash(x->courses[i].key) & (x->nslots - 1);

		while (x->slots[j])
			j = (j + 1) & (x->nslots - 1);
		x->slots[j] = i + 1;
	}
}

/*
 * The person's shift: a whole number of weeks in [-26, 26] from an HMAC
 * of the live pseudonym under the project key with a label of its own.
 * The key is thrown away, and nothing written is derived from this MAC,
 * so no column (the pid included) tells anything about the shift; whole
 * weeks keep every weekday, so weekdays tell nothing either. One person
 * has one shift in every file of the extract, and another in the next.
 */
static int shift_of(struct extract *x, const unsigned char live[PSEUD_LEN])
{
	unsigned char mac[PSEUD_LEN];
	uint32_t v;

	pseud_mac(x->project, "fremdrift/v1/extract-shift", live, PSEUD_LEN, mac);
	v = (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 |
	    (uint32_t)mac[2] << 8 | mac[3];
	return 7 * ((int)(v % (2 * EXTRACT__SHIFT_WEEKS + 1)) -
		    EXTRACT__SHIFT_WEEKS);
}

static void load_dates(struct extract__course *c, const PGresult *res, int i)
{
	c->start = 0;
	fr_date_parse(PQgetvalue(res, i, 6), &c->start);
	c->has_end = !PQgetisnull(res, i, 7) &&
		     fr_date_parse(PQgetvalue(res, i, 7), &c->end) == 0;
}

/* Fills course i from row i of the courses result. 0, or -1 if the live
 * pseudonym is not 64 hex digits. */
static int load_course(struct extract *x, int i)
{
	struct extract__course *c = &x->courses[i];
	const PGresult *res = x->courses_res;
	unsigned char mac[PSEUD_LEN];
	const char *course_key = PQgetvalue(res, i, 0);

	c->row = i;
	c->keep = 1;
	c->key = fr_xstrdup(course_key);
	if (pseud_unhex(PQgetvalue(res, i, 1), PSEUD_HEX_LEN, c->live,
			PSEUD_LEN) != 0)
		return -1;
	pseud_extract(x->project, c->live, mac);
	pseud_hex(mac, PSEUD_LEN, c->pid);
	c->shift = shift_of(x, c->live);
	pseud_mac(x->project, "fremdrift/v1/extract-course", course_key,
		  strlen(course_key), mac);
	pseud_hex(mac, 8, c->cid);
	c->birth_year = atoi(PQgetvalue(res, i, 2));
	c->sex = PQgetvalue(res, i, 3)[0];
	c->dept = PQgetvalue(res, i, 4);
	c->agr = PQgetvalue(res, i, 5);
	load_dates(c, res, i);
	c->exit = PQgetvalue(res, i, 8);
	c->followup = PQgetvalue(res, i, 9);
	c->start_year = atoi(PQgetvalue(res, i, 15));
	c->exit_tw = PQgetvalue(res, i, 16)[0];
	c->fu_tw = PQgetvalue(res, i, 17)[0];
	c->company = PQgetvalue(res, i, 18)[0] == 't';
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
