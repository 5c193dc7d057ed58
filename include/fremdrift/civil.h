/*
 * Calendar arithmetic on the proleptic Gregorian calendar (after Howard
 * Hinnant's days_from_civil). Pure; any thread.
 */
#ifndef FREMDRIFT_CIVIL_H
#define FREMDRIFT_CIVIL_H

/* Days since 1970-01-01 of a date (1970-01-01 was a Thursday). */
long fr_days_from_civil(int y, int m, int d);

/* The date of a day count. */
void fr_civil_from_days(long days, int *y, int *m, int *d);

/* Writes YYYY-MM-DD of a day count into out (11 bytes). */
void fr_date_str(long days, char out[11]);

/*
 * Parses exactly YYYY-MM-DD (years 0001 to 9999) naming a real date into
 * days since 1970-01-01. 0 on success, -1 otherwise.
 */
int fr_date_parse(const char *s, long *days);

#endif
