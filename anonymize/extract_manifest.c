/*
 * manifest.json: the extract's parameters, the attacker model and its
 * quasi-identifiers, the generalisation chosen and the search that chose
 * it, the risk report, the project's ledger, and the SHA-256 of every
 * file; and the loaders (R, Python) written beside the data.
 */
#include "extract_internal.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

/* scripts/embed-text.sh, from anonymize/loaders/. */
extern const char *const extract__loader_names[];
extern const char *const extract__loader_texts[];
extern const int extract__nloaders;

const char *const extract__docs[] = {"codebook.csv", "values.csv", "codebook.md",
				     "load_extract.py", "load_extract.R",
				     "manifest.json"};
const int extract__ndocs = sizeof(extract__docs) / sizeof(extract__docs[0]);

static const char *const qi_keys[EXQ_N] = {"age", "time", "outcome",
					   "department", "sex", "target_group"};

void extract__sha_file(const char *dir, const char *name, char out[65])
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

static int write_loaders(const struct extract *x)
{
	for (int i = 0; i < extract__nloaders; i++) {
		char path[4096];
		const char *t = extract__loader_texts[i];
		FILE *f;
		int bad;

		snprintf(path, sizeof(path), "%s/%s", x->opts->out_dir,
			 extract__loader_names[i]);
		f = fopen(path, "wx");
		if (f == NULL) {
			fprintf(stderr, "fremdrift extract: cannot create %s: %s\n",
				path, strerror(errno));
			return -1;
		}
		bad = fwrite(t, 1, strlen(t), f) != strlen(t);
		if (fclose(f) != 0 || bad) {
			fprintf(stderr, "fremdrift extract: cannot write %s\n", path);
			return -1;
		}
	}
	return 0;
}

static json_t *levels_json(const struct extract__levels *l)
{
	json_t *o = json_object();

	for (int q = 0; q < EXQ_N; q++)
		json_object_set_new(o, qi_keys[q],
				    l->l[q] == EXTRACT__NO_LEVEL
					    ? json_null()
					    : json_integer(l->l[q]));
	return o;
}

static json_t *level_names(const struct extract__levels *l)
{
	json_t *o = json_object();
	static const char *const names[EXQ_N] = {
		"age_band", "start_end", "exit_followup_status",
		"department", "sex", "target_group"};

	for (int q = 0; q < EXQ_N; q++)
		json_object_set_new(o, names[q],
				    json_string(extract__level_name(q, l->l[q])));
	return o;
}

static json_t *generalisation(const struct extract *x)
{
	json_t *g = level_names(&x->pub), *search = json_array();

	json_object_set_new(g, "step", json_integer(x->step + 1));
	json_object_set_new(g, "steps", json_integer(EXTRACT__NSTEPS));
	json_object_set_new(g, "levels", levels_json(&x->pub));
	for (int s = 0; s < x->tried; s++)
		json_array_append_new(
			search, json_pack("{s:i, s:i, s:f}", "step", s + 1,
					  "suppressed", x->trace[s], "share",
					  (double)x->trace[s] / x->ncourses));
	json_object_set_new(g, "search", search);
	json_object_set_new(
		g, "rule",
		json_string("the first step of a fixed ladder (finest first; "
			    "each step generalises at least as much as the one "
			    "before) that needs at most max_suppress of the "
			    "courses left out, judged at the finer of each "
			    "quasi-identifier's level in this step and in the "
			    "project's earlier extracts"));
	json_object_set_new(g, "max_suppress", json_real(x->opts->max_suppress));
	return g;
}

static json_t *risk_json(const struct extract *x)
{
	const struct extract__risk *r = &x->risk;

	return json_pack(
		"{s:s, s:{s:f, s:f}, s:{s:f, s:f}, s:f, s:{s:f, s:f}, s:I, "
		"s:I, s:i, s:f}",
		"unit",
		"citizens: a course's group counts the distinct citizens with "
		"its quasi-identifiers, over everything the project holds",
		"prosecutor", "highest", r->prosecutor_max, "average",
		r->prosecutor_avg, "journalist", "highest", r->journalist_max,
		"average", r->journalist_avg, "marketer", r->marketer,
		"records_at_risk", "threshold", r->threshold, "share",
		r->at_risk_share, "above_1_over_k", (json_int_t)r->above_k,
		"groups", (json_int_t)r->classes, "smallest_group", r->smallest,
		"allowed_highest", 1.0 / x->opts->k);
}

static json_t *ledger_json(const struct extract *x)
{
	json_t *earlier = json_array();

	for (int i = 0; i < x->npriors; i++)
		json_array_append_new(
			earlier,
			json_pack("{s:i, s:s, s:i, s:s}", "extract", x->priors[i].no,
				  "date", x->priors[i].date, "citizens",
				  x->priors[i].citizens, "date_policy",
				  x->priors[i].policy));
	return json_pack("{s:i, s:o, s:I, s:o, s:s}", "extract", x->extract_no,
			 "earlier_extracts", earlier, "citizens_already_held",
			 (json_int_t)x->already_held, "finest_held",
			 levels_json(&x->prior), "recorded",
			 "fremdrift.extract_ledger holds, in the provider's "
			 "database only, which citizens this extract holds, "
			 "so that an erasure can be passed on");
}

static json_t *files_json(const struct extract *x)
{
	json_t *fj = json_object();
	char sha[65];

	for (int f = 0; f < EX_NFILES; f++)
		if (extract__has_file(x, f))
			json_object_set_new(
				fj, extract__files[f],
				json_pack("{s:I, s:s, s:s}", "rows",
					  (json_int_t)x->outs[f].rows, "sha256",
					  x->outs[f].sha, "form",
					  extract__form(x, f)));
	for (int d = 0; d < extract__ndocs - 1; d++) {
		extract__sha_file(x->opts->out_dir, extract__docs[d], sha);
		json_object_set_new(fj, extract__docs[d],
				    json_pack("{s:s}", "sha256", sha));
	}
	return fj;
}

static void model(json_t *m)
{
	json_object_set_new(
		m, "attacker_model",
		json_string("a neighbour, colleague or employer who knows of a "
			    "citizen the age, sex, department, target group, "
			    "when the course started and ended, whether it had "
			    "a company-oriented intervention, and the exit "
			    "status; and who may hold every extract this "
			    "project received. Not covered: someone who can "
			    "match other columns (scores, hours, answers) from "
			    "another copy of the same data: two extracts of the "
			    "same data can always be matched by content"));
	json_object_set_new(m, "quasi_identifiers",
			    json_pack("[ssssssss]", "age_band", "sex",
				      "department", "target_group", "start",
				      "end", "company", "exit_status"));
	json_object_set_new(m, "sensitive",
			    json_pack("[ss]", "exit_status", "followup_status"));
}

static void dates(json_t *m, const struct extract_opts *o)
{
	json_object_set_new(m, "date_policy",
			    json_string(o->month ? "month" : "shift"));
	if (!o->month)
		json_object_set_new(
			m, "shift",
			json_pack("{s:s, s:i, s:i, s:s}", "unit", "weeks", "from",
				  -EXTRACT__SHIFT_WEEKS, "to", EXTRACT__SHIFT_WEEKS,
				  "how",
				  "one secret shift per person, the same in every "
				  "file, drawn from a key thrown away after the "
				  "extract; whole weeks keep every weekday"));
	json_object_set_new(m, "sequences",
			    json_string(o->exact ? "exact" : "summary"));
	json_object_set_new(m, "period",
			    json_pack("{s:s?, s:s?}", "from", o->from, "to", o->to));
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
	json_object_set_new(m, "extract", json_integer(x->extract_no));
	json_object_set_new(m, "created_at", json_string(ts));
	json_object_set_new(m, "k", json_integer(o->k));
	json_object_set_new(m, "l", json_integer(o->l));
	model(m);
	json_object_set_new(m, "generalisation", generalisation(x));
	dates(m, o);
	json_object_set_new(m, "citizens", json_integer(x->citizens));
	json_object_set_new(m, "courses", json_integer(x->ncourses - x->suppressed));
	json_object_set_new(
		m, "suppressed",
		json_pack("{s:i, s:I, s:i, s:s}", "courses", x->suppressed,
			  "rows", (json_int_t)x->dropped_rows, "values", 0, "why",
			  "whole groups of courses with fewer than k citizens, "
			  "or too few distinct outcomes, after generalisation, "
			  "with their rows in every file; no single values "
			  "are blanked"));
	json_object_set_new(m, "risk", risk_json(x));
	json_object_set_new(m, "ledger", ledger_json(x));
	json_object_set_new(m, "files", files_json(x));
	return m;
}

int extract__write_manifest(const struct extract *x, char msha[65],
			    char **risk, char **gen)
{
	char path[4096];
	json_t *m, *g;
	int rc;

	if (write_loaders(x) != 0)
		return -1;
	m = manifest(x);
	snprintf(path, sizeof(path), "%s/manifest.json", x->opts->out_dir);
	rc = json_dump_file(m, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	*risk = json_dumps(json_object_get(m, "risk"), JSON_COMPACT);
	g = levels_json(&x->pub);
	*gen = json_dumps(g, JSON_COMPACT);
	json_decref(g);
	json_decref(m);
	if (rc != 0) {
		fprintf(stderr, "fremdrift extract: cannot write %s\n", path);
		return -1;
	}
	extract__sha_file(x->opts->out_dir, "manifest.json", msha);
	return 0;
}
