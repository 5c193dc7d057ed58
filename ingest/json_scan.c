/*
 * A strict JSON scanner for one ingest record: an object whose values are
 * scalars, or objects of scalars (the answers). It allocates nothing:
 * strings without escapes point into the input; escaped ones are decoded
 * into a scratch buffer the caller provides. It rejects what RFC 8259
 * rejects (and what jansson rejected before it: invalid UTF-8, control
 * characters in strings, lone surrogates, duplicate keys, text after the
 * object), saying at which byte.
 *
 * Why not jansson: building a DOM per line allocated for every key and
 * value, and parsing took three quarters of the ingest process's CPU
 * (docs/benchmarks.md). Arrays and deeper nesting are parsed (so the
 * input is still judged as JSON) and reported as RV_ARRAY/RV_OBJECT
 * without content, which the record builder then refuses by field.
 */
#include "internal_json.h"

#include <stdlib.h>
#include <string.h>

struct scan {
	const char *s, *p, *end;
	char *scratch, *scratch_end;
	const char *why;
	int depth;
};

static void ws(struct scan *sc)
{
	while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' ||
				   *sc->p == '\n' || *sc->p == '\r'))
		sc->p++;
}

static int fail(struct scan *sc, const char *why)
{
	if (sc->why == NULL)
		sc->why = why;
	return -1;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Length of a valid UTF-8 sequence at p (not past end), or 0. */
int ing__utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], cp;
	int n;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (end - p < n)
		return 0;
	for (int k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* A \u escape at sc->p (the backslash), with the low half of a surrogate
 * pair after it; leaves sc->p on the last escape's backslash. */
static int unicode_escape(struct scan *sc, unsigned *cp)
{
	unsigned lo;

	if (sc->end - sc->p < 6 || hex4(sc->p + 2, cp))
		return fail(sc, "a bad \\u escape");
	sc->p += 4;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return fail(sc, "a lone surrogate");
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		if (sc->end - sc->p < 8 || sc->p[2] != '\\' || sc->p[3] != 'u' ||
		    hex4(sc->p + 4, &lo) || lo < 0xdc00 || lo > 0xdfff)
			return fail(sc, "a lone surrogate");
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
		sc->p += 6;
	}
	return 0;
}

/* The escape at sc->p (a backslash), decoded to *o. */
static int escape(struct scan *sc, char **o)
{
	unsigned cp;

	if (sc->end - sc->p < 2)
		return fail(sc, "JSON ends too early");
	switch (sc->p[1]) {
	case '"': *(*o)++ = '"'; break;
	case '\\': *(*o)++ = '\\'; break;
	case '/': *(*o)++ = '/'; break;
	case 'b': *(*o)++ = '\b'; break;
	case 'f': *(*o)++ = '\f'; break;
	case 'n': *(*o)++ = '\n'; break;
	case 'r': *(*o)++ = '\r'; break;
	case 't': *(*o)++ = '\t'; break;
	case 'u':
		if (unicode_escape(sc, &cp) != 0)
			return -1;
		*o = put_utf8(*o, cp);
		break;
	default:
		return fail(sc, "a bad escape in a string");
	}
	sc->p += 2;
	return 0;
}

/* The slow path of string(): from the first escape at sc->p, decodes the
 * string that began at start into the scratch buffer. Without a scratch
 * buffer (jscan_value) the string is only checked: each escape is decoded
 * into a few bytes on the stack and dropped, and *out is the raw text. */
static int string_escaped(struct scan *sc, const char *start,
			  const char **out, size_t *len)
{
	char tmp[8], *o = tmp;
	int keep = sc->scratch != NULL;

	if (keep) {
		if (sc->scratch_end - sc->scratch < sc->end - start)
			return fail(sc, "string too long");
		o = sc->scratch;
		memcpy(o, start, (size_t)(sc->p - start));
		o += sc->p - start;
	}
	while (sc->p < sc->end) {
		unsigned char c = (unsigned char)*sc->p;
		int n;

		if (c == '"') {
			*out = keep ? sc->scratch : start;
			*len = keep ? (size_t)(o - sc->scratch)
				    : (size_t)(sc->p - start);
			if (keep)
				sc->scratch = o;
			sc->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(sc, "a control character in a string");
		if (c == '\\') {
			if (escape(sc, &o) != 0)
				return -1;
			o = keep ? o : tmp;
			continue;
		}
		n = c < 0x80 ? 1
			     : ing__utf8_len((const unsigned char *)sc->p,
					     (const unsigned char *)sc->end);
		if (n == 0)
			return fail(sc, "not valid UTF-8");
		if (keep) {
			memcpy(o, sc->p, (size_t)n);
			o += n;
		}
		sc->p += n;
	}
	return fail(sc, "JSON ends too early");
}

/* At the opening quote. Strings without escapes point into the input. */
static int string(struct scan *sc, const char **out, size_t *len)
{
	const char *start = ++sc->p;

	while (sc->p < sc->end) {
		unsigned char c = (unsigned char)*sc->p;

		if (c == '"') {
			*out = start;
			*len = (size_t)(sc->p - start);
			sc->p++;
			return 0;
		}
		if (c == '\\')
			return string_escaped(sc, start, out, len);
		if (c < 0x20)
			return fail(sc, "a control character in a string");
		if (c < 0x80) {
			sc->p++;
		} else {
			int n = ing__utf8_len((const unsigned char *)sc->p,
					 (const unsigned char *)sc->end);

			if (n == 0)
				return fail(sc, "not valid UTF-8");
			sc->p += n;
		}
	}
	return fail(sc, "JSON ends too early");
}

static int is_digit(const struct scan *sc)
{
	return sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9';
}

/* One or more digits. */
static int digits(struct scan *sc)
{
	if (!is_digit(sc))
		return fail(sc, "not valid JSON");
	while (is_digit(sc))
		sc->p++;
	return 0;
}

/* Steps over a JSON number's text; *integer is 0 when it has a fraction
 * or an exponent. */
static int number_text(struct scan *sc, int *integer)
{
	if (sc->p < sc->end && *sc->p == '-')
		sc->p++;
	if (sc->p >= sc->end)
		return fail(sc, "JSON ends too early");
	if (*sc->p == '0')
		sc->p++;
	else if (*sc->p < '1' || *sc->p > '9' || digits(sc) != 0)
		return fail(sc, "not valid JSON");
	if (sc->p < sc->end && *sc->p == '.') {
		*integer = 0;
		sc->p++;
		if (digits(sc) != 0)
			return -1;
	}
	if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
		*integer = 0;
		sc->p++;
		if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-'))
			sc->p++;
		if (digits(sc) != 0)
			return -1;
	}
	return 0;
}

static int number(struct scan *sc, struct rec_value *v)
{
	const char *start = sc->p;
	int integer = 1;
	char buf[64];

	if (number_text(sc, &integer) != 0)
		return -1;
	if (sc->p - start >= (long)sizeof(buf))
		return fail(sc, "a number too long");
	if (integer && sc->p - start <= 18) {
		/* Whole numbers (answers, levels, years) by hand: strtod and
		 * strtoll for each showed in the ingest's profile. At most 18
		 * characters, so it fits in a long long. */
		const char *q = start + (*start == '-');
		long long x = 0;

		while (q < sc->p)
			x = x * 10 + (*q++ - '0');
		v->type = RV_INT;
		v->i = *start == '-' ? -x : x;
		v->d = (double)v->i;
		return 0;
	}
	memcpy(buf, start, (size_t)(sc->p - start));
	buf[sc->p - start] = '\0';
	v->d = strtod(buf, NULL);
	v->type = RV_REAL;
	return 0;
}

static int value(struct scan *sc, struct rec_value *v,
		 struct rec_field *pairs, int maxpairs, int *npairs);

/* true, false or null. */
static int literal(struct scan *sc, const char *word, enum rec_vtype type,
		   int b, struct rec_value *v)
{
	size_t n = strlen(word);

	if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n) != 0)
		return fail(sc, "not valid JSON");
	sc->p += n;
	v->type = type;
	v->b = b;
	return 0;
}

/* Parses and discards a nested array or object (bounded depth). */
static int skip_nested(struct scan *sc)
{
	char close = *sc->p == '[' ? ']' : '}';

	if (++sc->depth > 32)
		return fail(sc, "nested too deeply");
	sc->p++;
	ws(sc);
	if (sc->p < sc->end && *sc->p == close) {
		sc->p++;
		sc->depth--;
		return 0;
	}
	for (;;) {
		struct rec_value v;

		ws(sc);
		if (close == '}') {
			const char *k;
			size_t kl;

			if (sc->p >= sc->end || *sc->p != '"' || string(sc, &k, &kl))
				return fail(sc, "not valid JSON");
			ws(sc);
			if (sc->p >= sc->end || *sc->p != ':')
				return fail(sc, "not valid JSON");
			sc->p++;
			ws(sc);
		}
		if (value(sc, &v, NULL, 0, NULL))
			return -1;
		ws(sc);
		if (sc->p >= sc->end)
			return fail(sc, "JSON ends too early");
		if (*sc->p == ',') {
			sc->p++;
			continue;
		}
		if (*sc->p == close) {
			sc->p++;
			sc->depth--;
			return 0;
		}
		return fail(sc, "not valid JSON");
	}
	return fail(sc, "not valid JSON");
}

static int members(struct scan *sc, struct rec_field *pairs, int max, int *n,
		   struct rec_field *inner, int inner_max, int *inner_n);

static int value(struct scan *sc, struct rec_value *v,
		 struct rec_field *pairs, int maxpairs, int *npairs)
{
	memset(v, 0, sizeof(*v));
	if (sc->p >= sc->end)
		return fail(sc, "JSON ends too early");
	switch (*sc->p) {
	case '"':
		v->type = RV_STRING;
		return string(sc, &v->s, &v->len);
	case '{':
		if (pairs == NULL)
			return skip_nested(sc) ? -1 : (v->type = RV_OBJECT, 0);
		v->type = RV_OBJECT;
		sc->depth++;
		if (members(sc, pairs, maxpairs, npairs, NULL, 0, NULL))
			return -1;
		sc->depth--;
		v->pairs = pairs;
		v->npairs = *npairs;
		return 0;
	case '[':
		v->type = RV_ARRAY;
		return skip_nested(sc);
	case 't':
		return literal(sc, "true", RV_BOOL, 1, v);
	case 'f':
		return literal(sc, "false", RV_BOOL, 0, v);
	case 'n':
		return literal(sc, "null", RV_NULL, 0, v);
	default:
		return number(sc, v);
	}
}

/* 1 if a field before pairs[n] has the same name as pr. Its last byte is
 * compared first: an answers object's items ("b01", "b02", ...) share
 * their length and first byte, and this runs for each pair of them. */
static int seen_before(const struct rec_field *pairs, int n,
		       const struct rec_field *pr)
{
	size_t len = pr->nlen;

	for (int i = 0; i < n; i++)
		if (pairs[i].nlen == len &&
		    (len == 0 || (pairs[i].name[len - 1] == pr->name[len - 1] &&
				  memcmp(pairs[i].name, pr->name, len) == 0)))
			return 1;
	return 0;
}

/* At '{': key/value pairs into pairs (duplicates refused). A value that is
 * itself an object goes into inner (one level only). */
static int members(struct scan *sc, struct rec_field *pairs, int max, int *n,
		   struct rec_field *inner, int inner_max, int *inner_n)
{
	*n = 0;
	sc->p++;
	ws(sc);
	if (sc->p < sc->end && *sc->p == '}') {
		sc->p++;
		return 0;
	}
	for (;;) {
		struct rec_field *pr;

		ws(sc);
		if (sc->p >= sc->end)
			return fail(sc, "JSON ends too early");
		if (*sc->p != '"')
			return fail(sc, "not valid JSON");
		if (*n == max)
			return fail(sc, "too many fields");
		pr = &pairs[*n];
		if (string(sc, &pr->name, &pr->nlen))
			return -1;
		if (seen_before(pairs, *n, pr))
			return fail(sc, "a field appears twice");
		ws(sc);
		if (sc->p >= sc->end || *sc->p != ':')
			return fail(sc, sc->p >= sc->end ? "JSON ends too early"
							 : "not valid JSON");
		sc->p++;
		ws(sc);
		if (sc->p < sc->end && *sc->p == '{' && inner && *inner_n == 0) {
			if (value(sc, &pr->v, inner, inner_max, inner_n))
				return -1;
		} else if (value(sc, &pr->v, NULL, 0, NULL)) {
			return -1;
		}
		(*n)++;
		ws(sc);
		if (sc->p >= sc->end)
			return fail(sc, "JSON ends too early");
		if (*sc->p == ',') {
			sc->p++;
			continue;
		}
		if (*sc->p == '}') {
			sc->p++;
			return 0;
		}
		return fail(sc, "not valid JSON");
	}
}

int jscan_record(const char *text, size_t len, char *scratch,
		 struct rec_field *fields, int max_fields, int *nfields,
		 struct rec_field *inner, int max_inner, int *ninner,
		 const char **why, long *column)
{
	struct scan sc = {text, text, text + len, scratch, scratch + len, NULL, 0};

	*ninner = 0;
	*nfields = 0;
	ws(&sc);
	if (sc.p >= sc.end || *sc.p != '{') {
		if (sc.p < sc.end && (*sc.p == '[' || *sc.p == '"' ||
				      (*sc.p >= '0' && *sc.p <= '9')))
			fail(&sc, "a record must be a JSON object");
		else
			fail(&sc, "not valid JSON");
		goto fail;
	}
	if (members(&sc, fields, max_fields, nfields, inner, max_inner, ninner))
		goto fail;
	ws(&sc);
	if (sc.p != sc.end) {
		fail(&sc, "text after the JSON object");
		goto fail;
	}
	return 0;
fail:
	*why = sc.why ? sc.why : "not valid JSON";
	*column = (long)(sc.p - text) + 1;
	return -1;
}

int jscan_value(const char *text, size_t len, size_t *pos, size_t *vlen,
		const char **why)
{
	/* No scratch buffer: strings are checked, never decoded, so a value of
	 * any size needs no memory. */
	struct scan sc = {text, text + *pos, text + len, NULL, NULL, NULL, 0};
	struct rec_value v;
	int rc;

	rc = value(&sc, &v, NULL, 0, NULL);
	if (rc == 0)
		*vlen = (size_t)(sc.p - text) - *pos;
	else
		*why = sc.why ? sc.why : "not valid JSON";
	*pos = (size_t)(sc.p - text);
	return rc;
}
