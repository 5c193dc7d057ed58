/*
 * The headers every page of fremdrift carries, the citizen's and the
 * consultant's (pages.c) and the leadership page (dash_page.c):
 * docs/links.md, "Headers on every page". Internal to server/.
 */
#ifndef FREMDRIFT_PAGE_HEADERS_H
#define FREMDRIFT_PAGE_HEADERS_H

#define SECURITY_HEADERS                                                     \
	"Content-Security-Policy: default-src 'none'; script-src 'self'; "   \
	"style-src 'self'; img-src 'self'; connect-src 'self'; "             \
	"form-action 'self'; "                                               \
	"frame-ancestors 'none'; base-uri 'none'\r\n"                        \
	"Referrer-Policy: no-referrer\r\n"                                   \
	"X-Frame-Options: DENY\r\n"
/* http_respond adds X-Content-Type-Options: nosniff to every answer, and
 * Cache-Control: no-store unless told otherwise; said here as well, since
 * every page under /l/ carries answers or the way to them. */
#define NO_STORE "Cache-Control: no-store\r\n"
#define HTML "text/html; charset=utf-8"

#endif
