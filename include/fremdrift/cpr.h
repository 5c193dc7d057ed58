/*
 * Danish CPR numbers: parsing and validation (rules and the century
 * table: docs/architecture.md).
 *
 * This is the one place a raw CPR number is handled. The parsed number lives
 * in a struct cpr, which callers keep on the stack and wipe with cpr_wipe as
 * soon as the pseudonym is made. Error messages never contain a digit, so no
 * part of the number can leak through a rejection.
 *
 * Pure code: no I/O, no allocation; callable from any thread.
 */
#ifndef FREMDRIFT_CPR_H
#define FREMDRIFT_CPR_H

#include <stddef.h>

#include "fremdrift/err.h"

#define CPR_DIGITS 10

struct cpr_date {
	int year;
	int month; /* 1-12 */
	int day;   /* 1-31 */
};

/* Why a CPR number was refused; also stored in struct fr_err's reason. */
enum cpr_reason {
	CPR_R_NONE = 0,
	CPR_R_EMPTY,     /* nothing but white space */
	CPR_R_NUL,       /* a NUL byte inside the text */
	CPR_R_CHARACTER, /* a byte that is neither an ASCII digit nor '-' */
	CPR_R_HYPHEN,    /* a hyphen misplaced or repeated */
	CPR_R_LENGTH,    /* not ten digits */
	CPR_R_MONTH,     /* month outside 1-12 */
	CPR_R_DAY,       /* the day does not exist in that month and year */
	CPR_R_FUTURE     /* the birth date is after today */
};

struct cpr {
	char canonical[CPR_DIGITS + 1]; /* the ten digits, NUL-terminated */
	struct cpr_date birth;          /* the real birth date */
	char sex;                       /* 'M' (odd last digit) or 'F' */
	unsigned char replacement;      /* 1 for a replacement number (day+60) */
	unsigned char mod11;            /* 1 when the modulus 11 check holds */
};

/*
 * Parses len bytes at s (borrowed; may contain anything, including NUL) as a
 * CPR number. Accepts DDMMYY-SSSS and DDMMYYSSSS with surrounding ASCII white
 * space. today is the date "the future" is measured from (NULL: the local
 * date now). On success fills out and returns 0. On failure returns FR_ECPR,
 * sets err->reason to an enum cpr_reason, err->field to "cpr" and err->msg to
 * a sentence with no digits in it; out is then wiped.
 */
int cpr_parse(const char *s, size_t len, const struct cpr_date *today,
	      struct cpr *out, struct fr_err *err);

/* The short machine-readable name of a reason ("length", "future", ...). */
const char *cpr_reason_name(int reason);

/* The modulus 11 check over ten ASCII digits: 1 if it holds, else 0. */
int cpr_mod11(const char digits[CPR_DIGITS]);

/* The full year for two-digit year yy and 7th digit d7 (docs/architecture.md). */
int cpr_century_year(int yy, int d7);

/* 1 if (year, month, day) is a real calendar date. */
int cpr_date_valid(int year, int month, int day);

/* Today's local date. */
void cpr_today(struct cpr_date *out);

/*
 * 1 if the len bytes at s (borrowed) hold something shaped like a CPR
 * number anywhere: six digits forming a day DDMMYY (day + 60 too), then
 * four digits, straight on or after one or two characters that are neither
 * digits nor ASCII letters ('-', '/', a space, a tab, a no-break space,
 * ...). Digits count in ASCII, fullwidth and Arabic-Indic forms. For
 * refusing such text outside the cpr field, and for never echoing it. Any
 * thread.
 */
int cpr_shaped(const char *s, size_t len);

/* Overwrites c so that no digit of the number stays in memory. */
void cpr_wipe(struct cpr *c);

#endif
