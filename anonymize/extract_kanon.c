/*
 * k-anonymity of an extract. The quasi-identifiers are age band at course
 * start, sex, department and target group; every combination that appears
 * must cover at least k citizens. The age band is generalised first (5,
 * 10, 20 years, then one band for all), taking the first width that needs
 * at most 5 % of the courses suppressed; then what is still too rare is
 * suppressed (the rows of those courses leave every file).
 */
#include "extract_internal.h"

#include "fremdrift/buf.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SUPPRESS_SHARE 0.05

void extract__band(int age, int width, char *out, size_t n)
{
	if (width >= 100) {
		snprintf(out, n, "all");
		return;
	}
	if (age < 0)
		age = 0;
	snprintf(out, n, "%d-%d", age / width * width, age / width * width + width - 1);
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

static int strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The quasi-identifier key of every course at width w, sorted by key and
 * citizen so that a class is a run. Caller frees. */
static struct qi *classes(const struct extract *x, int w)
{
	struct qi *q = fr_xcalloc((size_t)x->ncourses + 1, sizeof(*q));

	for (int i = 0; i < x->ncourses; i++) {
		const struct extract__course *c = &x->courses[i];
		char b[16];

		extract__band(c->start_year - c->birth_year, w, b, sizeof(b));
		snprintf(q[i].key, sizeof(q[i].key), "%s|%c|%s|%s", b, c->sex,
			 c->dept, c->agr);
		q[i].pid = c->pid;
		q[i].course = i;
	}
	qsort(q, (size_t)x->ncourses, sizeof(*q), cmp_qi);
	return q;
}

/*
 * Marks courses in classes of fewer than k distinct citizens as not kept,
 * at age-band width w. Returns how many courses that suppresses (and
 * changes nothing when dry_run).
 */
static int suppress_at(struct extract *x, int w, int dry_run)
{
	struct qi *q = classes(x, w);
	int suppressed = 0;

	for (int i = 0; i < x->ncourses;) {
		int j = i, citizens = 0;

		while (j < x->ncourses && strcmp(q[j].key, q[i].key) == 0) {
			if (j == i || strcmp(q[j].pid, q[j - 1].pid) != 0)
				citizens++;
			j++;
		}
		if (citizens < x->opts->k) {
			suppressed += j - i;
			for (int t = i; t < j && !dry_run; t++)
				x->courses[q[t].course].keep = 0;
		}
		i = j;
	}
	free(q);
	return suppressed;
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

void extract__kanon(struct extract *x)
{
	static const int widths[] = {5, 10, 20, 100};

	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		x->width = widths[w];
		if (suppress_at(x, x->width, 1) <=
		    (int)(x->ncourses * MAX_SUPPRESS_SHARE))
			break;
	}
	x->suppressed = suppress_at(x, x->width, 0);
	x->citizens = count_citizens(x);
}
