/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "util/xmalloc.h"

/* The longest key; the table's names are much shorter. */
#define CONFFILE_KEY_MAX 64

/* The values read, kept as long as the settings point into them. */
struct server_conffile {
	char **values;
	size_t n, cap;
};

/* Cut the blanks at both ends of s in place; returns its new start. */
static char *
conffile_trim(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/*
 * Split one line into key and value, or say what is wrong with it in
 * err. Returns 1 for a setting, 0 for a blank or comment line, -1.
 */
static int
conffile_split(char *line, char **key, char **value, char *err, size_t errlen)
{
	char *s = conffile_trim(line), *eq;
	size_t i;

	if (*s == '\0' || *s == '#')
		return 0;
	if ((eq = strchr(s, '=')) == NULL) {
		snprintf(err, errlen, "'%.40s': not 'key = value'", s);
		return -1;
	}
	*eq = '\0';
	*key = conffile_trim(s);
	*value = conffile_trim(eq + 1);
	for (i = 0; (*key)[i] != '\0'; i++) {
		if (!islower((unsigned char)(*key)[i]) &&
		    !isdigit((unsigned char)(*key)[i]) && (*key)[i] != '-')
			break;
	}
	if (i == 0 || (*key)[i] != '\0' || i > CONFFILE_KEY_MAX) {
		snprintf(
		    err, errlen, "'%.40s' is not a key (a-z, 0-9 and -)", *key);
		return -1;
	}
	return 1;
}

/*
 * Read path and hand each setting to set, with arg. NULL on the first bad
 * line, with "PATH:LINE: KEY: what" in err (and nothing kept); else the
 * values, which the settings may point into until server_conffile_free.
 */
struct server_conffile *
server_conffile_read(const char *path, server_conffile_cb set, void *arg,
    char *err, size_t errlen)
{
	struct server_conffile *cf;
	char *line = NULL, *key, *value, why[256];
	size_t size = 0;
	unsigned lineno = 0;
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	cf = xcalloc(1, sizeof *cf);
	while (rc == 0 && getline(&line, &size, f) != -1) {
		lineno++;
		if ((rc = conffile_split(line, &key, &value, why, sizeof why)) <
		    0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			break;
		}
		if (rc == 0)
			continue;
		XGROW(cf->values, cf->cap, cf->n + 1, 16);
		cf->values[cf->n] = xstrdup(value);
		if ((rc = set(
		         key, cf->values[cf->n++], arg, why, sizeof why)) != 0)
			snprintf(err, errlen, "%s:%u: %s: %s", path, lineno,
			    key, why);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	if (rc != 0) {
		server_conffile_free(cf);
		return NULL;
	}
	return cf;
}

/* Free the values read (the settings pointing into them go with them). */
void
server_conffile_free(struct server_conffile *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->n; i++)
		free(cf->values[i]);
	free(cf->values);
	free(cf);
}
