#include "fremdrift/cpr.h"

#include <openssl/crypto.h>
#include <string.h>
#include <time.h>

static const char *const reason_names[] = {
	"", "empty", "nul", "character", "hyphen", "length", "month", "day",
	"future"};

const char *cpr_reason_name(int reason)
{
	if (reason < 0 ||
	    (size_t)reason >= sizeof(reason_names) / sizeof(reason_names[0]))
		return "unknown";
	return reason_names[reason];
}

/*
 * Messages are fixed strings without digits: whatever the input was, a
 * rejection can never echo any part of it.
 */
static int reject(struct fr_err *err, struct cpr *out, enum cpr_reason r)
{
	static const char *const msgs[] = {
		"",
		"CPR number is empty",
		"CPR number contains a NUL byte",
		"CPR number contains a character that is not an ASCII digit or "
		"a hyphen",
		"CPR number has a misplaced or repeated hyphen (expected "
		"DDMMYY-SSSS)",
		"CPR number must have ten digits (DDMMYY-SSSS or DDMMYYSSSS)",
		"month of the birth date does not exist",
		"day of the birth date does not exist in that month",
		"birth date lies in the future"};

	cpr_wipe(out);
	fr_err_set(err, FR_ECPR, "cpr", "%s", msgs[r]);
	if (err)
		err->reason = (int)r;
	return FR_ECPR;
}

int cpr_mod11(const char d[CPR_DIGITS])
{
	static const int w[CPR_DIGITS] = {4, 3, 2, 7, 6, 5, 4, 3, 2, 1};
	int sum = 0;

	for (int i = 0; i < CPR_DIGITS; i++)
		sum += (d[i] - '0') * w[i];
	return sum % 11 == 0;
}

int cpr_century_year(int yy, int d7)
{
	if (d7 <= 3)
		return 1900 + yy;
	if (d7 == 4 || d7 == 9)
		return (yy <= 36 ? 2000 : 1900) + yy;
	/* 5 to 8 */
	if (yy <= 57)
		return 2000 + yy;
	return 1800 + yy;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int cpr_date_valid(int year, int month, int day)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};

	if (month < 1 || month > 12 || day < 1)
		return 0;
	if (month == 2 && is_leap(year))
		return day <= 29;
	return day <= mdays[month - 1];
}

/* 1 if the six digits at s read as a day DDMMYY (a replacement day + 60
 * too). 2000 + YY is a leap year exactly when some century's is. */
static int ddmmyy(const char *s)
{
	int d = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[2] - '0') * 10 + (s[3] - '0');
	int y = (s[4] - '0') * 10 + (s[5] - '0');

	return cpr_date_valid(2000 + y, m, d > 60 ? d - 60 : d);
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * The value of a decimal digit at p, in any of the scripts a person may
 * type one in (ASCII, fullwidth, Arabic-Indic, extended Arabic-Indic),
 * with its byte length in *n; -1 when p holds no digit.
 */
static int digit_at(const unsigned char *p, const unsigned char *end, int *n)
{
	*n = 1;
	if (*p >= '0' && *p <= '9')
		return *p - '0';
	if (end - p >= 3 && p[0] == 0xef && p[1] == 0xbc && p[2] >= 0x90 &&
	    p[2] <= 0x99) {
		*n = 3;
		return p[2] - 0x90;
	}
	if (end - p >= 2 && ((p[0] == 0xd9 && p[1] >= 0xa0 && p[1] <= 0xa9) ||
			     (p[0] == 0xdb && p[1] >= 0xb0 && p[1] <= 0xb9))) {
		*n = 2;
		return p[1] - (p[0] == 0xd9 ? 0xa0 : 0xb0);
	}
	return -1;
}

static int ascii_letter(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/*
 * Writes at most max symbols of the text at p into t: '0'-'9' for a digit
 * of any script, 'a' for an ASCII letter, '-' for any other character
 * (space, punctuation, a control character, a non-ASCII letter or sign:
 * whatever a person might put between the two halves). Returns how many;
 * *used says how many bytes they took.
 */
static size_t symbols(const unsigned char *p, const unsigned char *end,
		      char *t, size_t max, size_t *used)
{
	const unsigned char *start = p;
	size_t k = 0;

	while (p < end && k < max) {
		int n, d = digit_at(p, end, &n);

		t[k++] = d >= 0 ? (char)('0' + d) : ascii_letter(*p) ? 'a' : '-';
		/* A character's continuation bytes belong to it. */
		while (p + n < end && (p[n] & 0xc0) == 0x80)
			n++;
		p += n;
	}
	*used = (size_t)(p - start);
	return k;
}

/* 1 if symbols t[0..k) hold six digits forming DDMMYY followed by four
 * digits, straight on or after one or two separators. */
static int shaped_symbols(const char *t, size_t k)
{
	size_t run = 0;

	for (size_t i = 0; i < k; i++) {
		size_t j = i + 1;

		if (t[i] < '0' || t[i] > '9') {
			run = 0;
			continue;
		}
		if (++run < 6 || !ddmmyy(t + i - 5))
			continue;
		while (j < k && j <= i + 2 && t[j] == '-')
			j++;
		if (j + 4 <= k && all_digits(t + j, 4))
			return 1;
	}
	return 0;
}

/* 1 if the text may hold ten digits: ASCII digits and the lead bytes of
 * the other scripts' digits (digit_at) counted. Most text fields (codes,
 * times, types) hold fewer, and are done with here: this runs for every
 * text of every record. */
static int ten_digits_possible(const unsigned char *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < 10; i++)
		n += (p[i] >= '0' && p[i] <= '9') || p[i] == 0xef ||
		     p[i] == 0xd9 || p[i] == 0xdb;
	return n >= 10;
}

int cpr_shaped(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	enum { WINDOW = 256, OVERLAP = 16 }; /* a whole number is 12 */
	char t[WINDOW];

	if (!ten_digits_possible(p, len))
		return 0;

	/* Long text is looked at in windows that overlap by more than a
	 * whole number, so none is missed at a window's edge. */
	for (;;) {
		size_t used, step, k = symbols(p, end, t, WINDOW, &used);

		if (shaped_symbols(t, k))
			return 1;
		if (p + used >= end)
			return 0;
		symbols(p, end, t, WINDOW - OVERLAP, &step);
		p += step;
	}
}

void cpr_today(struct cpr_date *out)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
}

void cpr_wipe(struct cpr *c)
{
	if (c != NULL)
		OPENSSL_cleanse(c, sizeof(*c));
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/*
 * Copies the ten digits of p (n bytes, white space already trimmed) into
 * out->canonical. 0, or the reason it is not DDMMYYSSSS or DDMMYY-SSSS.
 */
static enum cpr_reason read_digits(const unsigned char *p, size_t n,
				    struct cpr *out)
{
	size_t ndigits = 0, hyphen_at = 0, nhyphens = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			if (ndigits < CPR_DIGITS)
				out->canonical[ndigits] = (char)p[i];
			ndigits++;
		} else if (p[i] == '-') {
			nhyphens++;
			hyphen_at = ndigits;
		} else {
			return CPR_R_CHARACTER;
		}
	}
	if (ndigits != CPR_DIGITS)
		return CPR_R_LENGTH;
	if (nhyphens > 1 || (nhyphens == 1 && hyphen_at != 6))
		return CPR_R_HYPHEN;
	out->canonical[CPR_DIGITS] = '\0';
	return CPR_R_NONE;
}

/* 1 if year-mm-dd lies after today. */
static int after(int year, int mm, int dd, const struct cpr_date *today)
{
	return year > today->year ||
	       (year == today->year &&
		(mm > today->month || (mm == today->month && dd > today->day)));
}

int cpr_parse(const char *s, size_t len, const struct cpr_date *today,
	      struct cpr *out, struct fr_err *err)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, end = len;
	struct cpr_date now;
	enum cpr_reason reason;
	int dd, mm, yy, d7, year;

	memset(out, 0, sizeof(*out));
	if (memchr(s, '\0', len) != NULL)
		return reject(err, out, CPR_R_NUL);
	while (start < end && is_space(p[start]))
		start++;
	while (end > start && is_space(p[end - 1]))
		end--;
	if (start == end)
		return reject(err, out, CPR_R_EMPTY);

	if ((reason = read_digits(p + start, end - start, out)) != CPR_R_NONE)
		return reject(err, out, reason);

#define DIG(i) (out->canonical[i] - '0')
	dd = DIG(0) * 10 + DIG(1);
	mm = DIG(2) * 10 + DIG(3);
	yy = DIG(4) * 10 + DIG(5);
	d7 = DIG(6);
	out->sex = DIG(9) % 2 ? 'M' : 'F';
#undef DIG

	if (mm < 1 || mm > 12)
		return reject(err, out, CPR_R_MONTH);
	year = cpr_century_year(yy, d7);
	/*
	 * Replacement numbers add 60 to the day. A day of 61-91 whose day-60
	 * exists is a replacement; anything else above 31 does not exist.
	 */
	if (dd > 60) {
		out->replacement = 1;
		dd -= 60;
	}
	if (!cpr_date_valid(year, mm, dd))
		return reject(err, out, CPR_R_DAY);

	if (today == NULL) {
		cpr_today(&now);
		today = &now;
	}
	if (after(year, mm, dd, today))
		return reject(err, out, CPR_R_FUTURE);

	out->birth.year = year;
	out->birth.month = mm;
	out->birth.day = dd;
	out->mod11 = (unsigned char)cpr_mod11(out->canonical);
	return 0;
}
