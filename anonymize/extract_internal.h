/*
 * What the files of the extract share (anonymize/extract*.c): the
 * extract's state, the courses chosen for it, and the outputs.
 *
 *   extract.c           the run: folder, keys, transaction, summary
 *   extract_select.c    choosing courses: period, pseudonyms, the shift
 *   extract_kanon.c     the attacker model: generalisation ladder,
 *                       k-anonymity and l-diversity, suppression, and the
 *                       check of exact sequences
 *   extract_risk.c      the risk report (prosecutor, journalist, marketer)
 *   extract_ledger.c    what the project already holds, and recording
 *                       this extract and its citizens
 *   extract_rows.c      rows held (in memory, or in temporary files past
 *                       FREMDRIFT_EXTRACT_MEMORY) and written in random
 *                       order
 *   extract_write.c     the CSV files, each streamed from the database
 *   extract_codebook.c  codebook.csv, values.csv, codebook.md
 *   extract_manifest.c  manifest.json and the loaders in R and Python
 */
#ifndef FREMDRIFT_EXTRACT_INTERNAL_H
#define FREMDRIFT_EXTRACT_INTERNAL_H

#include "fremdrift/catalog.h"
#include "fremdrift/extract.h"
#include "fremdrift/pseudonym.h"

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>

/* The data files, in the order of extract.outs. */
enum {
	EX_COURSES,
	EX_RESPONSES,
	EX_PROGRESSION,
	EX_INTERVENTIONS,
	EX_HOURS,
	EX_OUTCOMES,
	EX_ITEMS, /* only with --items */
	EX_NFILES
};

/*
 * The quasi-identifiers a neighbour, colleague or employer may know, each
 * with its levels of generalisation (0 the finest):
 *   age      band of 5, 10, 20 years, one band
 *   time     start and end: month, quarter, half-year, year
 *   outcome  exit and follow-up status: the codes, towards work or not,
 *            the follow-up hidden (*) too, both hidden
 *   dept, sex, tg (target group): the code, or *
 * Whether the course had a company-oriented intervention is always given.
 */
enum { EXQ_AGE, EXQ_TIME, EXQ_OUTCOME, EXQ_DEPT, EXQ_SEX, EXQ_TG, EXQ_N };

struct extract__levels {
	int l[EXQ_N];
};

/* No level known (a project's first extract). */
#define EXTRACT__NO_LEVEL 99

/* The ladder: each step generalises at least as much as the one before. */
#define EXTRACT__NSTEPS 11
extern const struct extract__levels extract__ladder[EXTRACT__NSTEPS];

/* Shifts are whole weeks in [-EXTRACT__SHIFT_WEEKS, EXTRACT__SHIFT_WEEKS]. */
#define EXTRACT__SHIFT_WEEKS 26

/* One course of the period. */
struct extract__course {
	char *key;                   /* the live course key (owned) */
	unsigned char live[PSEUD_LEN]; /* the live pseudonym, for the ledger */
	char pid[PSEUD_HEX_LEN + 1]; /* the citizen in this extract only */
	char cid[17];                /* the course in this extract only */
	int shift;                   /* days, a whole number of weeks */
	int keep;                    /* 0 once suppressed */
	int birth_year, start_year;
	long start, end; /* days since 1970-01-01; end valid if has_end */
	int has_end;
	int company; /* 1: a company-oriented intervention */
	char sex;
	/* borrowed from the courses result; "" when none */
	const char *dept, *agr, *exit, *followup;
	char exit_tw, fu_tw; /* 't' or 'f': towards work; 0 when none */
	int row;             /* in the courses result */
	int prosecutor;      /* citizens in its class, once chosen */
	uint64_t sig[2];     /* the exact sequences, order-free */
};

/* Rows of one file, held until the file is written in random order:
 * in memory up to extract__hold_max bytes; past it, scattered into
 * EXTRACT__BUCKETS unlinked temporary files beside the output, each
 * shuffled in memory at the end (extract_rows.c). */
#define EXTRACT__BUCKETS 64
struct extract__rows {
	char **chunks;
	size_t nchunks, used; /* bytes used of the last chunk */
	char **row;           /* NUL-terminated lines, in the chunks */
	size_t n, cap;
	size_t bytes;                      /* held in memory */
	FILE *bucket[EXTRACT__BUCKETS];    /* once spilled */
	int spilled;
};
/* Bytes of rows one file holds in memory before it spills
 * (FREMDRIFT_EXTRACT_MEMORY, 256 MiB unless set; tests lower it). */
extern size_t extract__hold_max;

/* One output file with a running SHA-256. */
struct extract__out {
	FILE *f;
	EVP_MD_CTX *md;
	long long rows;
	int err; /* errno of the first failed write, or 0 */
	int open;
	char name[64];
	char path[4096];
	char sha[65]; /* set by extract__out_close */
	struct extract__rows held;
};

/* The risk report, in ARX's terms, over the courses kept. */
struct extract__risk {
	double prosecutor_max, prosecutor_avg;
	double journalist_max, journalist_avg;
	double marketer;
	double threshold;     /* for records at risk */
	double at_risk_share; /* courses whose prosecutor risk > threshold */
	long above_k;         /* courses whose prosecutor risk > 1/k */
	long classes;
	int smallest; /* citizens in the smallest class */
};

/* An earlier extract of the same project. */
struct extract__prior {
	int no;
	char date[11];
	int citizens;
	char policy[8];
	struct extract__levels levels;
};

struct extract {
	const struct extract_opts *opts;
	PGconn *conn;
	struct pseud_ctx *project;
	PGresult *courses_res; /* the courses of the period */
	struct extract__course *courses;
	int ncourses;
	int *slots; /* open addressing over courses: index + 1 */
	size_t nslots;
	long long dropped_rows; /* rows of suppressed courses */
	struct catalog cat;
	/* the generalisation: published, and judged (the finer of this
	 * extract's and the project's earlier ones) */
	struct extract__levels pub, eff, prior;
	struct extract__prior *priors;
	int npriors;
	int step;                     /* the ladder step chosen */
	int tried;                    /* steps evaluated */
	int trace[EXTRACT__NSTEPS];   /* courses suppressed at each step */
	int suppressed;               /* courses suppressed */
	int citizens;                 /* distinct citizens kept */
	struct extract__risk risk;
	int extract_no;     /* in fremdrift.extracts, once recorded */
	long already_held;  /* citizens the project had before */
	PGresult *labels;   /* (domain, code, label) of the catalogues */
	/* the responses of the course streaming by, per questionnaire */
	const struct extract__course *round_course;
	int rounds[CATALOG_MAX_INSTRUMENTS];
	struct extract__out outs[EX_NFILES];
};

/* The data file names, in the order of extract.outs. */
extern const char *const extract__files[EX_NFILES];

/* 1 if file f is written by this extract (items.csv only with --items). */
int extract__has_file(const struct extract *x, int f);

/* ---- extract_select.c ---- */

/* Loads the courses of the period under fresh pseudonyms, each person's
 * secret shift, and indexes them by key. 0 or -1 after printing why. */
int extract__select(struct extract *x);

/* FNV-1a of a string: the index of courses, the classes of kanon. */
uint64_t extract__hash(const char *s);

/* The course with key, or NULL if it is not in the period. */
struct extract__course *extract__find(const struct extract *x, const char *key);

/* ---- extract_kanon.c ---- */

/*
 * Chooses the least generalisation of the ladder that needs at most
 * opts->max_suppress of the courses suppressed for k-anonymity and
 * l-diversity, judged at the finer of each step's levels and x->prior,
 * and suppresses. 0, or -1 after printing why nothing can be written.
 */
int extract__kanon(struct extract *x);

/*
 * With exact sequences: 0 if every course kept shares its quasi-
 * identifiers and its sequences (x->courses[].sig) with at least k
 * citizens, else -1 after printing how many it singles out.
 */
int extract__exact_ok(struct extract *x);

/* Labels of generalised values; out must hold 16 bytes. */
void extract__age_label(int age, int level, char out[16]);
void extract__period_label(long days, int level, char out[16]);
/* The exit or follow-up status (its code, its towards-work flag 't' or
 * 'f') at the outcome level: the code, towards_work / not_towards_work,
 * or "*"; "" when there is none. */
const char *extract__exit_label(const char *code, char tw, int level);
const char *extract__followup_label(const char *code, char tw, int level);
/* A code (department, sex, target group) at level: itself or "*". */
const char *extract__code_label(const char *code, int level);

/* The name of each quasi-identifier's level, for people. */
const char *extract__level_name(int qi, int level);

/* The weeks-since-start bin of a week number ("0-3", "52+", ...). */
const char *extract__week_bin(long week);
extern const char *const extract__week_bins[];

/* ---- extract_risk.c ---- */

/* Fills x->risk from the courses kept (their prosecutor field). */
void extract__risk(struct extract *x);

/* ---- extract_ledger.c ---- */

/* Runs sql; with out, the first value of its first row as a number.
 * 0 or -1 (printed). */
int extract__sql(struct extract *x, const char *sql, int n,
		 const char *const *params, long *out);

/* Reads the project's earlier extracts and their finest levels into
 * x->priors and x->prior. 0 or -1 (printed). */
int extract__ledger_load(struct extract *x);

/* Records this extract (x->extract_no), its citizens in the ledger and
 * how many the project already held. 0 or -1 (printed). */
int extract__ledger_record(struct extract *x);

/* Sets the manifest's hash (and risk report) on the extract's row. */
int extract__ledger_finish(struct extract *x, const char *msha,
			   const char *risk_json, const char *gen_json);

/* ---- extract_rows.c ---- */

/* Opens dir/name (which must not exist) with a running SHA-256. */
int extract__out_open(struct extract__out *o, const char *dir,
		      const char *name);

/* Writes s (n bytes) straight to the file (the header line). */
void extract__out_write(struct extract__out *o, const char *s, size_t n);

/* Holds one row (a whole line) for the shuffle. */
void extract__out_row(struct extract__out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes the rows held in an order drawn from OpenSSL's random
 * generator, closes the file and sets o->sha. 0, or -1 after printing. */
int extract__out_close(struct extract__out *o);

/* Frees whatever an output still holds (after a failure). */
void extract__out_free(struct extract__out *o);

/* A uniformly random index below n (n > 0), and a random word, from
 * RAND_bytes (OpenSSL's CSPRNG). */
size_t extract__random_below(size_t n);
uint64_t extract__random64(void);

/* ---- extract_write.c ---- */

/* Writes every data file. 0 or -1 after printing. */
int extract__write_files(struct extract *x);

/* ---- extract_codebook.c ---- */

/* Writes codebook.csv, values.csv and codebook.md. 0 or -1 (printed). */
int extract__write_codebook(const struct extract *x);

/* The header line of file f under x's options, from the codebook. */
void extract__header(const struct extract *x, int f, char *out, size_t n);

/* The form file f is written in, for the codebook and manifest. */
const char *extract__form(const struct extract *x, int f);

/* ---- extract_manifest.c ---- */

/* Writes the loaders and manifest.json; msha gets the manifest's
 * SHA-256, risk and gen the JSON stored with the extract's row (caller
 * frees). 0 or -1 (printed). */
int extract__write_manifest(const struct extract *x, char msha[65],
			    char **risk, char **gen);

/* The SHA-256 of dir/name as hex (of nothing, if it cannot be read). */
void extract__sha_file(const char *dir, const char *name, char out[65]);

/* The documents written beside the data files. */
extern const char *const extract__docs[];
extern const int extract__ndocs;

#endif
