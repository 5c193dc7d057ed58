/*
 * The documents of an extract: the codebook (one table, written as CSV
 * and as Markdown) and manifest.json with the extract's parameters, its
 * counts and the SHA-256 of every file.
 */
#include "extract_internal.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

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

void extract__header(const char *name, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < NCOLUMNS && len < n; i++) {
		if (strcmp(codebook[i].file, name) != 0)
			continue;
		len += (size_t)snprintf(out + len, n - len, "%s%s",
					len ? "," : "", codebook[i].name);
	}
}

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

static void codebook_intro(FILE *md, const struct extract *x)
{
	int month = x->opts->month;

	fprintf(md, "# Codebook\n\nEvery file is UTF-8 CSV with a header row, "
		    "`,` between fields, an empty field for\n\"no value\". Dates "
		    "follow the extract's date policy (`%s`): %s.\nAge bands are "
		    "%d years wide%s. Identifiers (`pid`, `course_id`) exist in "
		    "this\nextract only. Codes are those of fremdrift's "
		    "catalogues (docs/formats.md).\n",
		month ? "month" : "shift",
		month ? "YYYY-MM, the month only"
		      : "YYYY-MM-DD, every date of one person moved by the "
			"same secret number of days (0-364), so intervals "
			"are kept but calendar dates are not",
		x->width, x->width >= 100 ? " (one band: all ages)" : "");
}

static void codebook_tables(FILE *csv, FILE *md)
{
	fprintf(csv, "file,column,type,unit,meaning\n");
	for (size_t f = 0; f < EXTRACT__NFILES; f++) {
		fprintf(md, "\n## %s\n\n| column | type | unit | meaning |\n"
			    "| --- | --- | --- | --- |\n",
			extract__files[f]);
		for (size_t i = 0; i < NCOLUMNS; i++) {
			const struct column *c = &codebook[i];

			if (strcmp(c->file, extract__files[f]) != 0)
				continue;
			fprintf(csv, "%s,%s,%s,%s,\"%s\"\n", c->file, c->name,
				c->type, c->unit, c->meaning);
			fprintf(md, "| %s | %s | %s | %s |\n", c->name, c->type,
				c->unit, c->meaning);
		}
	}
}

static int write_codebook(const struct extract *x)
{
	char csv_path[4096], md_path[4096];
	FILE *csv = create(x->opts->out_dir, "codebook.csv", csv_path);
	FILE *md = csv ? create(x->opts->out_dir, "codebook.md", md_path) : NULL;
	int rc;

	if (md == NULL) {
		if (csv)
			fclose(csv);
		return -1;
	}
	codebook_intro(md, x);
	codebook_tables(csv, md);
	rc = finish(csv, csv_path);
	return finish(md, md_path) || rc ? -1 : 0;
}

static void sha_file(const char *dir, const char *name, char out[65])
{
	char path[4096];
	FILE *f;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[65536], h[32];
	unsigned int n = 0;
	size_t r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (f && (r = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(md, buf, r);
	EVP_DigestFinal_ex(md, h, &n);
	EVP_MD_CTX_free(md);
	if (f)
		fclose(f);
	pseud_hex(h, 32, out);
}

static json_t *manifest_files(const struct extract *x)
{
	json_t *fj = json_object();
	char cb[65];

	for (size_t f = 0; f < EXTRACT__NFILES; f++)
		json_object_set_new(fj, extract__files[f],
				    json_pack("{s:I, s:s}", "rows",
					      (json_int_t)x->outs[f].rows,
					      "sha256", x->outs[f].sha));
	sha_file(x->opts->out_dir, "codebook.csv", cb);
	json_object_set_new(fj, "codebook.csv", json_pack("{s:s}", "sha256", cb));
	sha_file(x->opts->out_dir, "codebook.md", cb);
	json_object_set_new(fj, "codebook.md", json_pack("{s:s}", "sha256", cb));
	return fj;
}

static json_t *manifest(const struct extract *x)
{
	const struct extract_opts *o = x->opts;
	json_t *m = json_object();
	time_t now = time(NULL);
	struct tm tm;
	char ts[32];

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_set_new(m, "project", json_string(o->project));
	json_object_set_new(m, "created_at", json_string(ts));
	json_object_set_new(m, "k", json_integer(o->k));
	json_object_set_new(m, "quasi_identifiers",
			    json_pack("[ssss]", "age_band", "sex", "department",
				      "target_group"));
	json_object_set_new(m, "age_band_width",
			    x->width >= 100 ? json_string("all")
					    : json_integer(x->width));
	json_object_set_new(m, "date_policy",
			    json_string(o->month ? "month" : "shift"));
	json_object_set_new(m, "period",
			    json_pack("{s:s?, s:s?}", "from", o->from, "to", o->to));
	json_object_set_new(m, "citizens", json_integer(x->citizens));
	json_object_set_new(m, "courses",
			    json_integer(x->ncourses - x->suppressed));
	json_object_set_new(
		m, "suppressed",
		json_pack("{s:i, s:I, s:i, s:s}", "courses", x->suppressed,
			  "rows", (json_int_t)x->dropped_rows, "values", 0, "why",
			  "whole courses whose quasi-identifier combination had "
			  "fewer than k citizens after generalisation, with "
			  "their rows in every file; no single values are "
			  "blanked"));
	json_object_set_new(m, "files", manifest_files(x));
	return m;
}

int extract__write_docs(const struct extract *x, char msha[65])
{
	char path[4096];
	json_t *m;
	int rc;

	if (write_codebook(x) != 0)
		return -1;
	m = manifest(x);
	snprintf(path, sizeof(path), "%s/manifest.json", x->opts->out_dir);
	rc = json_dump_file(m, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (rc != 0) {
		fprintf(stderr, "fremdrift extract: cannot write %s\n", path);
		return -1;
	}
	sha_file(x->opts->out_dir, "manifest.json", msha);
	return 0;
}
