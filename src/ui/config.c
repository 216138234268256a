#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/config.h"

/* Built-in defaults; NO_COLOR in the environment switches colour off. */
void
ui_config_defaults(struct ui_config *c)
{
	const char *nc = getenv("NO_COLOR");

	memset(c, 0, sizeof *c);
	snprintf(c->host, sizeof c->host, "127.0.0.1");
	c->port = 7733;
	c->color = nc == NULL || *nc == '\0';
	c->bell = true;
}

/* Where the config file lives; -1 without HOME or XDG_CONFIG_HOME. */
int
ui_config_path(char *out, int len)
{
	const char *base = getenv("XDG_CONFIG_HOME");

	if (base != NULL && *base == '/')
		return snprintf(out, (size_t)len, "%s/termgram/config", base) <
		        len
		    ? 0
		    : -1;
	if ((base = getenv("HOME")) != NULL && *base != '\0')
		return snprintf(out, (size_t)len, "%s/.config/termgram/config",
		           base) < len
		    ? 0
		    : -1;
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s &&
	    (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
parse_size(const char *v, unsigned long long *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *v == '-')
		return -1;
	switch (*end) {
	case 'T':
		n <<= 10; /* FALLTHROUGH */
	case 'G':
		n <<= 10; /* FALLTHROUGH */
	case 'M':
		n <<= 10; /* FALLTHROUGH */
	case 'K':
		n <<= 10;
		end++;
		break;
	case '\0':
		break;
	default:
		return -1;
	}
	if (*end != '\0' && strcmp(end, "iB") != 0 && strcmp(end, "B") != 0)
		return -1;
	*out = n;
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "false") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/*
 * Read the file at path over c. A missing file is fine (0). A bad line is
 * reported in err ("config line 3: ...") and -1 returned; the lines before
 * and after still apply.
 */
int
ui_config_load(struct ui_config *c, const char *path, char *err, int errlen)
{
	FILE *f;
	char line[2048], *k, *v, *eq;
	int n = 0, rc = 0;
	long port;
	bool b;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, (size_t)errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		n++;
		k = trim(line);
		if (*k == '#' || *k == '\0')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, (size_t)errlen,
			    "%s line %d: expected "
			    "key = value",
			    path, n);
			rc = -1;
			continue;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if (strcmp(k, "host") == 0)
			snprintf(c->host, sizeof c->host, "%s", v);
		else if (strcmp(k, "port") == 0) {
			port = strtol(v, &eq, 10);
			if (*v == '\0' || *eq != '\0' || port < 1 ||
			    port > 65535) {
				snprintf(err, (size_t)errlen,
				    "%s line %d: "
				    "port must be 1-65535",
				    path, n);
				rc = -1;
			} else
				c->port = (unsigned)port;
		} else if (strcmp(k, "user") == 0)
			snprintf(c->user, sizeof c->user, "%s", v);
		else if (strcmp(k, "theme") == 0) {
			if (strcmp(v, "mono") == 0)
				c->color = false;
			else if (strcmp(v, "default") != 0) {
				snprintf(err, (size_t)errlen,
				    "%s line %d: "
				    "theme is default or mono",
				    path, n);
				rc = -1;
			}
		} else if (strcmp(k, "bell") == 0) {
			if (parse_bool(v, &b) != 0) {
				snprintf(err, (size_t)errlen,
				    "%s line %d: "
				    "bell is on or off",
				    path, n);
				rc = -1;
			} else
				c->bell = b;
		} else if (strcmp(k, "p2p") == 0) {
			if (parse_bool(v, &b) != 0) {
				snprintf(err, (size_t)errlen,
				    "%s line %d: p2p is on or off", path, n);
				rc = -1;
			} else
				c->p2p = b;
		} else if (strcmp(k, "light") == 0) {
			if (parse_bool(v, &b) != 0) {
				snprintf(err, (size_t)errlen,
				    "%s line %d: light is on or off", path, n);
				rc = -1;
			} else
				c->light = b;
		} else if (strcmp(k, "p2p_port") == 0) {
			port = strtol(v, &eq, 10);
			if (*v == '\0' || *eq != '\0' || port < 0 ||
			    port > 65535) {
				snprintf(err, (size_t)errlen,
				    "%s line %d: p2p_port must be 0-65535",
				    path, n);
				rc = -1;
			} else
				c->p2p_port = (unsigned)port;
		} else if (strcmp(k, "download_dir") == 0) {
			const char *home = getenv("HOME");
			if (v[0] == '~' && v[1] == '/' && home != NULL)
				snprintf(c->download_dir,
				    sizeof c->download_dir, "%s%s", home,
				    v + 1);
			else
				snprintf(c->download_dir,
				    sizeof c->download_dir, "%s", v);
		} else if (strcmp(k, "max_file_size") == 0) {
			if (parse_size(v, &c->max_file_size) != 0) {
				snprintf(err, (size_t)errlen,
				    "%s line %d: max_file_size is a number "
				    "with K, M, G or T (0: no limit)",
				    path, n);
				rc = -1;
			}
		} else {
			snprintf(err, (size_t)errlen,
			    "%s line %d: unknown key "
			    "'%s'",
			    path, n, k);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}
