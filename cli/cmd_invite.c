/* `fremdrift invite`: argv to server/links_invite.c. */
#include "cli.h"

#include "fremdrift/links.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int usage(void)
{
	printf("usage: fremdrift invite --course KEY --respondent "
	       "citizen|consultant\n"
	       "                        [--instrument NAME] [--key FILE]\n"
	       "       fremdrift invite --due [--key FILE]\n"
	       "       fremdrift invite --revoke URL|TOKEN\n\n"
	       "Prints the link of the current round of a course for a "
	       "citizen or a\nconsultant (the open one if there is one, else "
	       "a new one), the rounds that\nare due as CSV (course,"
	       "instrument,respondent,round,opens_on,state,url,\n"
	       "expires_at; state due, remind or overdue), or revokes a link. "
	       "KEY is the\ncourse key as the case system sends it. Links "
	       "point to FREMDRIFT_PUBLIC_URL.\nThe same as the HTTP API "
	       "/api/v1/invitations (docs/links.md).\n");
	return EXIT_OK;
}

/* The options into o; 0, or the exit code of a usage error. */
static int read_opts(int argc, char **argv, struct links_invite_opts *o,
		     const char **respondent, int *actions)
{
	static const struct option opts[] = {
		{"course", required_argument, NULL, 'c'},
		{"respondent", required_argument, NULL, 'r'},
		{"instrument", required_argument, NULL, 'i'},
		{"due", no_argument, NULL, 'd'},
		{"revoke", required_argument, NULL, 'x'},
		{"key", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'c')
			o->course = optarg;
		else if (c == 'r')
			*respondent = optarg;
		else if (c == 'i')
			o->instrument = optarg;
		else if (c == 'd' || c == 'x') {
			o->action = c == 'd' ? INVITE_DUE : INVITE_REVOKE;
			o->link = optarg;
			++*actions;
		} else if (c == 'k')
			o->key_file = optarg;
		else
			return cli_getopt_error("invite", c, argv);
	}
	if (optind < argc)
		return cli_usage_error("invite", "unexpected '%s'",
				       argv[optind]);
	return 0;
}

int cmd_invite(int argc, char **argv, const struct fr_config *cfg)
{
	struct links_invite_opts o = {.action = INVITE_LINK};
	const char *respondent = NULL;
	int actions = 0, rc;

	if (cli_wants_help(argc, argv))
		return usage();
	if ((rc = read_opts(argc, argv, &o, &respondent, &actions)) != 0)
		return rc;
	if (actions > 1)
		return cli_usage_error("invite", "give one of --due and "
						 "--revoke");
	if (actions == 1 && (o.course || respondent || o.instrument))
		return cli_usage_error("invite", "--course, --respondent and "
						 "--instrument go without "
						 "--due and --revoke");
	if (actions == 1)
		return links_invite_run(cfg, &o);
	if (o.course == NULL || *o.course == '\0')
		return cli_usage_error("invite", "--course is required");
	if (respondent == NULL || (strcmp(respondent, "citizen") != 0 &&
				   strcmp(respondent, "consultant") != 0))
		return cli_usage_error("invite", "--respondent must be citizen "
						 "or consultant");
	o.respondent = respondent[1] == 'i' ? 'c' : 'k';
	return links_invite_run(cfg, &o);
}
