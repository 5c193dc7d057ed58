#include "fremdrift/log.h"
#include "fremdrift/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static enum log_level current_level = LOG_INFO;
static int log_fd = 2;

static const char *const level_names[] = {"debug", "info", "notice",
					  "warning", "error"};

void log_set_level(enum log_level level) { current_level = level; }
void log_set_fd(int fd) { log_fd = fd; }

const char *log_level_name(enum log_level level)
{
	if ((unsigned)level > LOG_ERROR)
		return "unknown";
	return level_names[level];
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (unsigned i = 0; i <= LOG_ERROR; i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return FR_EINVAL;
}

/* Appends src to dst[*len..cap), escaping it as a logfmt quoted value. */
static void append_escaped(char *dst, size_t *len, size_t cap, const char *src)
{
	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		char tmp[8];
		const char *s = tmp;
		size_t n;

		if (*p == '"' || *p == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)*p;
			n = 2;
		} else if (*p == '\n') {
			s = "\\n";
			n = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			n = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", *p);
		} else {
			tmp[0] = (char)*p;
			n = 1;
		}
		if (*len + n >= cap)
			return;
		memcpy(dst + *len, s, n);
		*len += n;
	}
}

static void log_vwrite(enum log_level level, const char *module,
		       const char *kv, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	char line[LOG_LINE_MAX + 256];
	struct timeval tv;
	struct tm tm;
	size_t len;
	int n;

	if (level < current_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s module=%s "
		     "msg=\"",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000),
		     log_level_name(level), module);
	len = (size_t)n;
	append_escaped(line, &len, sizeof(line) - 2, msg);
	line[len++] = '"';
	if (kv != NULL && *kv != '\0') {
		n = snprintf(line + len, sizeof(line) - len - 1, " %s", kv);
		if (n > 0)
			len += (size_t)n < sizeof(line) - len - 1
				       ? (size_t)n
				       : sizeof(line) - len - 2;
	}
	line[len++] = '\n';
	/* One write per line keeps lines whole when threads log at once. */
	if (write(log_fd, line, len) < 0) {
		/* Nowhere left to report it. */
	}
}

void log_write(enum log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, module, NULL, fmt, ap);
	va_end(ap);
}

void log_writekv(enum log_level level, const char *module, const char *kv,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, module, kv, fmt, ap);
	va_end(ap);
}
