/*
 * What records are checked against: the questionnaire definitions compiled
 * into the binary (instruments/) and the code catalogues in the database
 * (departments, target groups, interventions, exit statuses, sub-goals,
 * meeting types; sql/0002_catalogs.sql).
 *
 * A struct catalog is filled on the loop thread and then only read; once
 * filled it may be read from any thread (file parsing runs on the pool)
 * as long as nobody refills it meanwhile (catalog_load_codes is called only
 * while no parse job runs).
 */
#ifndef FREMDRIFT_CATALOG_H
#define FREMDRIFT_CATALOG_H

#include <stddef.h>

#include "fremdrift/err.h"
#include "fremdrift/instrument.h"

struct catalog_source {
	const char *name; /* file name, e.g. "borger-v1.json" */
	const char *text; /* the JSON definition */
};

/* Generated from instruments/ by scripts/embed-json.sh. */
extern const struct catalog_source fr_instrument_sources[];
extern const int fr_instrument_sources_count;

enum cat_kind {
	CAT_DEPARTMENT,
	CAT_TARGET_GROUP,
	CAT_INTERVENTION,
	CAT_EXIT_STATUS,
	CAT_SUBGOAL,
	CAT_MEETING,
	CAT_KINDS
};

struct cat_set {
	char **codes; /* sorted */
	char **extra; /* per code: the intervention category, else NULL */
	int n;
};

#define CATALOG_MAX_INSTRUMENTS 16

struct catalog {
	struct instrument instruments[CATALOG_MAX_INSTRUMENTS];
	int ninstruments;
	struct cat_set sets[CAT_KINDS];
	int codes_loaded; /* 1 once the database's catalogues are in */
};

/*
 * Parses one JSON definition into out. Every problem is FR_EPARSE with
 * err->msg naming the item or dimension concerned.
 */
int catalog_parse_instrument(const char *json, size_t len,
			     struct instrument *out, struct fr_err *err);

/* Parses every compiled-in definition into cat. */
int catalog_init(struct catalog *cat, struct fr_err *err);

/* Frees the code sets. */
void catalog_free(struct catalog *cat);

/* The definition of (name, version), or NULL. */
const struct instrument *catalog_instrument(const struct catalog *cat,
					    const char *name, size_t len,
					    int version);

/* 1 if code (len bytes) is in the set of kind. */
int catalog_has(const struct catalog *cat, enum cat_kind kind,
		const char *code, size_t len);

/*
 * Replaces the code sets with rows of (kind, code, extra) where kind is
 * one of "department", "target_group", "intervention", "exit_status",
 * "subgoal", "meeting". The arrays are borrowed; strings are copied.
 */
int catalog_set_codes(struct catalog *cat, int nrows, const char *const *kinds,
		      const char *const *codes, const char *const *extras);

/* The SQL that yields (kind, code, extra) for catalog_set_codes. */
extern const char catalog_codes_sql[];

#endif
