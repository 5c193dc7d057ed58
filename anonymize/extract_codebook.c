/*
 * The codebook of an extract: one table of columns (file, column, type,
 * value domain, unit, role, meaning) written as codebook.csv, the value
 * labels of every coded column as values.csv, and both, with the
 * attacker model, the generalisation and how to load the files, as
 * codebook.md. The loaders (extract_manifest.c) read codebook.csv and
 * values.csv, so the types are said once, here.
 *
 * Types: id (text, this extract only), category (codes; labels in
 * values.csv), ordered (an ordered category), integer, number, period
 * (YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY), date (YYYY-MM-DD).
 */
#include "extract_internal.h"

#include <errno.h>
#include <string.h>

/* Which forms a column is written in. */
#define F_SUMMARY 1 /* the default: weeks in bins, totals */
#define F_EXACT 2   /* --sequences exact */
#define F_SHIFTED 4 /* --sequences exact with --dates shift: dates too */
#define F_ALL 7
#define F_EX (F_EXACT | F_SHIFTED)

struct column {
	int file, forms;
	const char *name, *type, *domain, *unit, *role, *meaning;
};

#define QI "quasi-identifier"
#define SENS "sensitive"
#define QIS "quasi-identifier and sensitive"
#define ID "identifier"
#define WEEKS_SUM "weeks since the course started, in bins"
#define WEEKS_EX "weeks since the course started"
/* A time within the course: in bins by default, exact with
 * --sequences exact. */
#define WEEKS(FILE, NAME, WHAT)                                                \
	{FILE, F_SUMMARY, NAME, "ordered", "week_bin", "weeks", "", WHAT WEEKS_SUM}, \
	{FILE, F_EX, NAME, "integer", "", "weeks", "", WHAT WEEKS_EX}

/* Every file begins with these two, which join the files. */
static const struct column ids[2][2] = {
	{{0, F_ALL, "pid", "id", "", "", ID, "the citizen in this extract only (64 hex digits)"},
	 {0, F_ALL, "course_id", "id", "", "", ID, "the course in this extract only (16 hex digits)"}},
	{{0, F_ALL, "pid", "id", "", "", ID, "as in courses.csv"},
	 {0, F_ALL, "course_id", "id", "", "", ID, "as in courses.csv"}},
};

static const struct column codebook[] = {
	{EX_COURSES, F_ALL, "age_band", "ordered", "age_band", "years", QI, "age at course start, as a band (see the manifest), or all"},
	{EX_COURSES, F_ALL, "sex", "category", "sex", "", QI, "F, M, or * when generalised away"},
	{EX_COURSES, F_ALL, "department", "category", "department", "", QI, "department, or * when generalised away"},
	{EX_COURSES, F_ALL, "target_group", "category", "target_group", "", QI, "framework agreement target group, or *"},
	{EX_COURSES, F_ALL, "start", "period", "", "", QI, "the period the course started in (date policy: month, or shifted)"},
	{EX_COURSES, F_ALL, "end", "period", "", "", QI, "the period it ended in; empty while it runs"},
	{EX_COURSES, F_ALL, "company", "integer", "yes_no", "", QI, "1 if it had a company-oriented intervention (internship, wage subsidy, ...)"},
	{EX_COURSES, F_ALL, "mix", "category", "mix", "", "", "company-oriented and other interventions: parallel, sequential, company_only, other_only or none"},
	{EX_COURSES, F_ALL, "exit_status", "category", "exit_status", "", QIS, "status at course end, generalised as the manifest says; empty while it runs"},
	{EX_COURSES, F_ALL, "followup_status", "category", "exit_status", "", SENS, "status at the latest follow-up, generalised as the manifest says"},
	{EX_COURSES, F_ALL, "job_chance", "integer", "", "1-5", "", "the consultant's first rating of the job chance"},
	{EX_COURSES, F_ALL, "paid_hours_week", "integer", "", "hours", "", "mean paid hours in weeks with hours, rounded to whole hours"},
	{EX_COURSES, F_ALL, "meetings", "integer", "", "", "", "meetings recorded (a count)"},
	{EX_COURSES, F_ALL, "no_shows", "integer", "", "", "", "meetings not attended (a count)"},
	{EX_RESPONSES, F_ALL, "response_id", "id", "", "", ID, "the response in this extract only; its rows share it (one per dimension), as do its answers in items.csv"},
	{EX_RESPONSES, F_ALL, "instrument", "category", "instrument", "", "", "questionnaire (docs/instruments.md)"},
	{EX_RESPONSES, F_ALL, "version", "integer", "", "", "", "questionnaire version; compare scores only within one"},
	{EX_RESPONSES, F_ALL, "respondent", "category", "respondent", "", "", "citizen or consultant"},
	{EX_RESPONSES, F_ALL, "round", "integer", "", "", "", "1 for the course's first response to this questionnaire, 2 the next, ..."},
	WEEKS(EX_RESPONSES, "weeks", ""),
	{EX_RESPONSES, F_SHIFTED, "date", "date", "", "", "", "when it was answered, shifted by the person's secret number of weeks"},
	{EX_RESPONSES, F_ALL, "dimension", "category", "dimension", "", "", "questionnaire dimension"},
	{EX_RESPONSES, F_ALL, "score", "number", "", "0-100", "", "dimension score; empty when under two thirds of its items were answered"},
	{EX_PROGRESSION, F_ALL, "dimension", "category", "dimension", "", "", "questionnaire dimension"},
	{EX_PROGRESSION, F_ALL, "baseline", "number", "", "0-100", "", "first score in the course"},
	{EX_PROGRESSION, F_ALL, "current", "number", "", "0-100", "", "latest score in the course"},
	{EX_PROGRESSION, F_ALL, "change", "number", "", "points", "", "current - baseline"},
	{EX_PROGRESSION, F_ALL, "rci", "number", "", "", "", "Reliable Change Index (Jacobson & Truax)"},
	{EX_PROGRESSION, F_ALL, "reliable_change", "category", "reliable_change", "", "", "improved (rci >= 1.96), deteriorated (<= -1.96) or unchanged"},
	{EX_PROGRESSION, F_ALL, "n_responses", "integer", "", "", "", "scored responses in the course"},
	{EX_INTERVENTIONS, F_ALL, "intervention", "category", "intervention", "", "", "intervention (catalogue: interventions)"},
	{EX_INTERVENTIONS, F_ALL, "category", "category", "category", "", "", "company, health_social, upskilling or clarification"},
	WEEKS(EX_INTERVENTIONS, "start_weeks", "when it started: "),
	WEEKS(EX_INTERVENTIONS, "end_weeks", "when it ended (empty while it runs): "),
	{EX_INTERVENTIONS, F_SHIFTED, "start", "date", "", "", "", "start, shifted"},
	{EX_INTERVENTIONS, F_SHIFTED, "end", "date", "", "", "", "end, shifted; empty while it runs"},
	{EX_HOURS, F_SUMMARY, "weeks_with_hours", "integer", "", "weeks", "", "weeks with hours at a workplace recorded"},
	{EX_HOURS, F_SUMMARY, "hours_total", "integer", "", "hours", "", "hours at a workplace over the course, rounded to tens"},
	{EX_HOURS, F_SUMMARY, "paid_hours_total", "integer", "", "hours", "", "of which paid, rounded to tens"},
	{EX_HOURS, F_SUMMARY, "first_weeks", "ordered", "week_bin", "weeks", "", "the first week with hours: " WEEKS_SUM},
	{EX_HOURS, F_SUMMARY, "last_weeks", "ordered", "week_bin", "weeks", "", "the last week with hours: " WEEKS_SUM},
	{EX_HOURS, F_EX, "weeks", "integer", "", "weeks", "", "the week: " WEEKS_EX},
	{EX_HOURS, F_SHIFTED, "week", "date", "", "", "", "the Monday of the week, shifted (still a Monday)"},
	{EX_HOURS, F_EX, "hours", "number", "", "hours", "", "hours at a workplace that week"},
	{EX_HOURS, F_EX, "paid_hours", "number", "", "hours", "", "of which paid"},
	{EX_OUTCOMES, F_ALL, "kind", "category", "kind", "", "", "exit (course end) or followup"},
	{EX_OUTCOMES, F_ALL, "months_after", "integer", "", "months", "", "for follow-ups: months after the course ended"},
	{EX_OUTCOMES, F_ALL, "status", "category", "exit_status", "", SENS, "the status, generalised as courses.csv's exit_status or followup_status"},
	WEEKS(EX_OUTCOMES, "weeks", ""),
	{EX_OUTCOMES, F_SHIFTED, "date", "date", "", "", "", "when, shifted"},
	{EX_ITEMS, F_ALL, "response_id", "id", "", "", ID, "as in responses.csv"},
	{EX_ITEMS, F_ALL, "instrument", "category", "instrument", "", "", "questionnaire"},
	{EX_ITEMS, F_ALL, "version", "integer", "", "", "", "questionnaire version"},
	{EX_ITEMS, F_ALL, "respondent", "category", "respondent", "", "", "citizen or consultant"},
	{EX_ITEMS, F_ALL, "round", "integer", "", "", "", "as in responses.csv"},
	WEEKS(EX_ITEMS, "weeks", ""),
	{EX_ITEMS, F_ALL, "item", "category", "item", "", "", "the item (docs/instruments.md), in the questionnaire's order"},
	{EX_ITEMS, F_ALL, "answer", "integer", "", "", "", "the answer on the item's scale, as given (reversed items not turned); empty if not answered"},
};
#define NCOLUMNS (sizeof(codebook) / sizeof(codebook[0]))

static int form_mask(const struct extract *x)
{
	if (!x->opts->exact)
		return F_SUMMARY;
	return x->opts->month ? F_EXACT : F_EX;
}

/* The columns of file f in this extract's form, in order, into cols;
 * returns how many. */
static int columns(const struct extract *x, int f, const struct column **cols)
{
	int n = 0;

	cols[n++] = &ids[f != EX_COURSES][0];
	cols[n++] = &ids[f != EX_COURSES][1];
	for (size_t i = 0; i < NCOLUMNS; i++)
		if (codebook[i].file == f && (codebook[i].forms & form_mask(x)))
			cols[n++] = &codebook[i];
	return n;
}

void extract__header(const struct extract *x, int f, char *out, size_t n)
{
	const struct column *cols[NCOLUMNS + 2];
	int nc = columns(x, f, cols);
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < nc && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s",
					len ? "," : "", cols[i]->name);
}

const char *extract__form(const struct extract *x, int f)
{
	static const char *const summary[EX_NFILES] = {
		"one row per course",
		"one row per response and dimension; weeks since the start in bins",
		"one row per course and dimension",
		"one row per intervention; weeks since the start in bins",
		"one row per course with hours: totals (rounded to tens), weeks in bins",
		"one row per exit or follow-up; weeks since the start in bins",
		"one row per response and item; weeks since the start in bins",
	};
	static const char *const exact[EX_NFILES] = {
		"one row per course",
		"one row per response and dimension; exact weeks since the start",
		"one row per course and dimension",
		"one row per intervention; exact weeks since the start",
		"one row per week with hours; exact weeks and hours",
		"one row per exit or follow-up; exact weeks since the start",
		"one row per response and item; exact weeks since the start",
	};

	return (x->opts->exact ? exact : summary)[f];
}

/* ---- writing ---- */

/* Opens dir/name for writing (it must not exist); NULL after printing. */
static FILE *create(const char *dir, const char *name, char path[4096])
{
	FILE *f;

	snprintf(path, 4096, "%s/%s", dir, name);
	f = fopen(path, "wx");
	if (f == NULL)
		fprintf(stderr, "fremdrift extract: cannot create %s: %s\n",
			path, strerror(errno));
	return f;
}

/* Closes f, reporting a write that failed on the way. 0 or -1. */
static int finish(FILE *f, const char *path)
{
	int failed = ferror(f) != 0;

	if (fclose(f) != 0 || failed) {
		fprintf(stderr, "fremdrift extract: cannot write %s: %s\n",
			path, errno ? strerror(errno) : "write error");
		return -1;
	}
	return 0;
}

/* A CSV field: quoted, with quotes doubled. */
static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* One value label, to values.csv and to the Markdown table. */
static void value(FILE *csv, FILE *md, const char *domain, const char *code,
		  const char *label)
{
	fprintf(csv, "%s,", domain);
	csv_field(csv, code);
	fputc(',', csv);
	csv_field(csv, label);
	fputc('\n', csv);
	fprintf(md, "| %s | `%s` | %s |\n", domain, code, label);
}

static void fixed_values(FILE *csv, FILE *md)
{
	static const char *const v[][3] = {
		{"sex", "F", "female"}, {"sex", "M", "male"}, {"sex", "*", "generalised away"},
		{"yes_no", "0", "no"}, {"yes_no", "1", "yes"},
		{"mix", "none", "no intervention"},
		{"mix", "company_only", "only company-oriented interventions"},
		{"mix", "other_only", "only other interventions"},
		{"mix", "sequential", "both kinds, one after the other"},
		{"mix", "parallel", "both kinds at the same time"},
		{"respondent", "citizen", "the citizen"},
		{"respondent", "consultant", "the consultant"},
		{"reliable_change", "improved", "rci >= 1.96"},
		{"reliable_change", "unchanged", "-1.96 < rci < 1.96"},
		{"reliable_change", "deteriorated", "rci <= -1.96"},
		{"kind", "exit", "at course end"}, {"kind", "followup", "a follow-up"},
		{"department", "*", "generalised away"},
		{"target_group", "*", "generalised away"},
		{"exit_status", "towards_work", "work or education (generalised)"},
		{"exit_status", "not_towards_work", "not work or education (generalised)"},
		{"exit_status", "*", "hidden (generalised away)"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		value(csv, md, v[i][0], v[i][1], v[i][2]);
	for (int i = 0; extract__week_bins[i]; i++)
		value(csv, md, "week_bin", extract__week_bins[i], extract__week_bins[i]);
}

/* The age bands of the chosen width, in order. */
static void age_values(const struct extract *x, FILE *csv, FILE *md)
{
	int level = x->pub.l[EXQ_AGE];
	char band[16], last[16] = "";

	for (int age = 0; age < 100; age++) {
		extract__age_label(age, level, band);
		if (strcmp(band, last) != 0)
			value(csv, md, "age_band", band, band);
		snprintf(last, sizeof(last), "%s", band);
	}
}

/* Instruments, their dimensions and items, from the compiled-in
 * definitions; catalogue codes and names from the database. */
static void catalogue_values(const struct extract *x, FILE *csv, FILE *md)
{
	const struct catalog *cat = &x->cat;

	for (int i = 0; i < PQntuples(x->labels); i++)
		value(csv, md, PQgetvalue(x->labels, i, 0),
		      PQgetvalue(x->labels, i, 1), PQgetvalue(x->labels, i, 2));
	for (int i = 0; i < cat->ninstruments; i++) {
		const struct instrument *ins = &cat->instruments[i];
		char label[96];

		snprintf(label, sizeof(label), "version %d, answered by the %s",
			 ins->version, ins->respondent == 'c' ? "citizen" : "consultant");
		value(csv, md, "instrument", ins->name, label);
	}
	for (int i = 0; i < cat->ninstruments; i++) {
		const struct instrument *ins = &cat->instruments[i];

		/* Labels are the codes: a label must name one value only. */
		for (int d = 0; d < ins->ndims; d++)
			value(csv, md, "dimension", ins->dims[d].id, ins->dims[d].id);
		for (int t = 0; t < ins->nitems && x->opts->items; t++)
			value(csv, md, "item", ins->items[t].id, ins->items[t].id);
	}
}

static void intro(FILE *md, const struct extract *x)
{
	const struct extract_opts *o = x->opts;

	fprintf(md,
		"# Codebook\n\nExtract no. %d of project `%s`. Every file is "
		"UTF-8 CSV with a header row, `,` between\nfields and an empty "
		"field for \"no value\"; rows are in random order. Identifiers\n"
		"(`pid`, `course_id`, `response_id`) exist in this extract "
		"only. `manifest.json`\nholds the risk report and the SHA-256 "
		"of every file.\n\n## Who this protects against\n\nA neighbour, "
		"colleague or employer who knows of a citizen the age, the sex, "
		"the\ndepartment and target group, when the course started and "
		"ended, whether it had a\ncompany-oriented intervention and its "
		"exit status (the **quasi-identifiers**,\nmarked below) finds "
		"at least k = %d citizens that fit in `courses.csv`, counted\n"
		"over everything this project has received. Within each such "
		"group the\nfollow-up status, and within a group alike but for "
		"the exit status the exit\nstatus (the **sensitive** columns), "
		"take at least l = %d distinct values.\nTo get there the "
		"quasi-identifiers are generalised (step %d of %d):\n\n",
		x->extract_no, o->project, o->k, o->l, x->step + 1, EXTRACT__NSTEPS);
	fprintf(md,
		"- age: %s\n- start and end: %s (%s)\n- exit and follow-up "
		"status: %s\n- department: %s; sex: %s; target group: %s\n\n"
		"and %d of %d courses were left out, with all their rows.\n",
		extract__level_name(EXQ_AGE, x->pub.l[EXQ_AGE]),
		extract__level_name(EXQ_TIME, x->pub.l[EXQ_TIME]),
		o->month ? "true dates"
			 : "of dates moved by a secret whole number of weeks "
			   "(-26 to 26), the same for one person in every file",
		extract__level_name(EXQ_OUTCOME, x->pub.l[EXQ_OUTCOME]),
		extract__level_name(EXQ_DEPT, x->pub.l[EXQ_DEPT]),
		extract__level_name(EXQ_SEX, x->pub.l[EXQ_SEX]),
		extract__level_name(EXQ_TG, x->pub.l[EXQ_TG]), x->suppressed,
		x->ncourses);
}

static void how_to_load(FILE *md)
{
	fprintf(md,
		"\n## Loading\n\n- Python (pandas): `python3 load_extract.py .` "
		"prints every table's types;\n  in a program, `import "
		"load_extract; d = load_extract.load(\".\")` gives a dict\n  of "
		"DataFrames (`d[\"courses\"]`, ...), codes as categoricals, "
		"integers as Int64.\n- R: `source(\"load_extract.R\"); d <- "
		"load_extract(\".\")` gives a list of data\n  frames, codes as "
		"factors labelled from values.csv.\n- Stata: `import delimited "
		"courses.csv, varnames(1) stringcols(_all) clear`,\n  then "
		"`destring` the integer and number columns and `encode` the "
		"category\n  columns (value labels below; `label define` from "
		"values.csv). SPSS: GET DATA\n  /TYPE=TXT /DELIMITERS=\",\" "
		"/FIRSTCASE=2 with the types below (id, category,\n  ordered, "
		"period: string; integer: F8.0; number: F8.2; date: SDATE10),\n"
		"  then VALUE LABELS from values.csv.\n\nTypes: `id` text; "
		"`category` a code (labels in values.csv); `ordered` an\nordered "
		"code; `integer`; `number`; `period` YYYY-MM, YYYY-Qn, YYYY-Hn "
		"or YYYY;\n`date` YYYY-MM-DD.\n");
}

static void tables(FILE *csv, FILE *md, const struct extract *x)
{
	fprintf(csv, "file,column,type,domain,unit,role,meaning\n");
	for (int f = 0; f < EX_NFILES; f++) {
		const struct column *cols[NCOLUMNS + 2];
		int nc = columns(x, f, cols);

		if (!extract__has_file(x, f))
			continue;
		fprintf(md, "\n## %s\n\nForm: %s.\n\n| column | type | values "
			    "| unit | role | meaning |\n| --- | --- | --- | --- "
			    "| --- | --- |\n",
			extract__files[f], extract__form(x, f));
		for (int i = 0; i < nc; i++) {
			const struct column *c = cols[i];

			fprintf(csv, "%s,%s,%s,%s,%s,%s,", extract__files[f],
				c->name, c->type, c->domain, c->unit, c->role);
			csv_field(csv, c->meaning);
			fputc('\n', csv);
			fprintf(md, "| %s | %s | %s | %s | %s | %s |\n", c->name,
				c->type, c->domain, c->unit, c->role, c->meaning);
		}
	}
}

int extract__write_codebook(const struct extract *x)
{
	char p1[4096], p2[4096], p3[4096];
	FILE *csv = create(x->opts->out_dir, "codebook.csv", p1);
	FILE *vals = csv ? create(x->opts->out_dir, "values.csv", p2) : NULL;
	FILE *md = vals ? create(x->opts->out_dir, "codebook.md", p3) : NULL;
	int rc;

	if (md == NULL) {
		if (csv)
			fclose(csv);
		if (vals)
			fclose(vals);
		return -1;
	}
	intro(md, x);
	how_to_load(md);
	tables(csv, md, x);
	fprintf(vals, "domain,code,label\n");
	fprintf(md, "\n## Value labels\n\n| values | code | label |\n| --- | "
		    "--- | --- |\n");
	fixed_values(vals, md);
	age_values(x, vals, md);
	catalogue_values(x, vals, md);
	rc = finish(csv, p1);
	rc |= finish(vals, p2);
	return finish(md, p3) || rc ? -1 : 0;
}
