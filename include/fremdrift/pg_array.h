/*
 * pg_array: PostgreSQL's text form of a one-dimensional numeric array
 * ("{1,NULL,2.5}"), as PQgetvalue and COPY text give it. Pure; one parser
 * for every reader of smallint[] and real[] columns.
 */
#ifndef FREMDRIFT_PG_ARRAY_H
#define FREMDRIFT_PG_ARRAY_H

/*
 * Parses text into at most max numbers; an SQL NULL element becomes NAN
 * (test with isnan). Returns how many elements it read, or -1 if text is
 * not such an array. A NULL text (SQL NULL column) reads as 0 elements.
 */
int pga_parse_reals(const char *text, double *out, int max);

#endif
