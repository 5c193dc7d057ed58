/*
 * What the files of the extract share (anonymize/extract*.c): the
 * extract's state, the courses chosen for it, and the outputs.
 *
 *   extract.c           the run: folder, key, transaction, audit row
 *   extract_select.c    choosing courses: period, pseudonyms, lookup
 *   extract_kanon.c     k-anonymity: age-band generalisation, suppression
 *   extract_write.c     the CSV files, each streamed from the database
 *   extract_codebook.c  the codebook (CSV, Markdown) and manifest.json
 */
#ifndef FREMDRIFT_EXTRACT_INTERNAL_H
#define FREMDRIFT_EXTRACT_INTERNAL_H

#include "fremdrift/catalog.h"
#include "fremdrift/extract.h"
#include "fremdrift/pseudonym.h"

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdio.h>

#define EXTRACT__NFILES 6

/* One course of the period. */
struct extract__course {
	char *key;                   /* the live course key (owned) */
	char pid[PSEUD_HEX_LEN + 1]; /* the citizen in this extract only */
	char cid[17];                /* the course in this extract only */
	int shift;                   /* days, for the shift date policy */
	int keep;                    /* 0 once suppressed */
	int birth_year, start_year;
	char sex;
	const char *dept, *agr; /* borrowed from the courses result */
	int row;                /* in the courses result */
};

/* One output file with a running SHA-256. */
struct extract__out {
	FILE *f;
	EVP_MD_CTX *md;
	long long rows;
	int err; /* errno of the first failed write, or 0 */
	char name[64];
	char path[4096];
	char sha[65]; /* set by extract__out_close */
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
	int width;      /* the age-band width chosen (100: one band) */
	int suppressed; /* courses suppressed */
	int citizens;   /* distinct citizens kept */
	struct extract__out outs[EXTRACT__NFILES];
};

/* The data files, in the order of extract.outs. */
extern const char *const extract__files[EXTRACT__NFILES];

/* extract_select.c: loads the courses of the period under fresh
 * pseudonyms and indexes them by key. 0 or -1 after printing why. */
int extract__select(struct extract *x);

/* The course with key, or NULL if it is not in the period. */
const struct extract__course *extract__find(const struct extract *x,
					    const char *key);

/* extract_kanon.c: chooses the age-band width, suppresses what is still
 * too rare, and counts the citizens kept. */
void extract__kanon(struct extract *x);

/* The age band of age at width into out ("25-29", or "all"). */
void extract__band(int age, int width, char *out, size_t n);

/* extract_write.c: writes every data file. 0 or -1 after printing. */
int extract__write_files(struct extract *x);

/* Closes an output, setting o->sha. 0, or -1 after printing why. */
int extract__out_close(struct extract__out *o);

/* extract_codebook.c: writes codebook.csv, codebook.md and
 * manifest.json; msha gets the manifest's SHA-256. 0 or -1 (printed). */
int extract__write_docs(const struct extract *x, char msha[65]);

/* The header line of file name, from the codebook. */
void extract__header(const char *name, char *out, size_t n);

#endif
