/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/config.h"
#include "ui/format.h"

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
	c->tls = true;
	c->max_file_size = 4ULL << 30;
	c->part_max_age = 7ULL * 24 * 3600;
	snprintf(c->time_format, sizeof c->time_format, "%%H:%%M");
	c->mouse = true;
	c->title = true;
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

/* s without the blanks around it (the end is cut in place). */
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

/* A size with an optional K, M, G or T (and B or iB) into out. */
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

/* A port in min..65535 into out; -1 with msg in why. */
static int
parse_port(
    const char *v, long min, unsigned *out, const char **why, const char *msg)
{
	char *end;
	long port = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || port < min || port > 65535) {
		*why = msg;
		return -1;
	}
	*out = (unsigned)port;
	return 0;
}

/* on/yes/true or off/no/false into out. */
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

/* Each key's reader: 0, or -1 with what is wrong in why. */
static int
set_host(struct ui_config *c, const char *v, const char **why)
{
	(void)why;
	snprintf(c->host, sizeof c->host, "%s", v);
	c->relay_set = true;
	return 0;
}

static int
set_port(struct ui_config *c, const char *v, const char **why)
{
	c->relay_set = true;
	return parse_port(v, 1, &c->port, why, "port must be 1-65535");
}

static int
set_user(struct ui_config *c, const char *v, const char **why)
{
	(void)why;
	snprintf(c->user, sizeof c->user, "%s", v);
	return 0;
}

static int
set_theme(struct ui_config *c, const char *v, const char **why)
{
	if (strcmp(v, "mono") == 0) {
		c->theme = UI_THEME_MONO;
		c->color = false;
	} else if (strcmp(v, "light") == 0)
		c->theme = UI_THEME_LIGHT;
	else if (strcmp(v, "default") == 0)
		c->theme = UI_THEME_DEFAULT;
	else {
		*why = "theme is default, light or mono";
		return -1;
	}
	return 0;
}

static int
set_bell(struct ui_config *c, const char *v, const char **why)
{
	*why = "bell is on or off";
	return parse_bool(v, &c->bell);
}

static int
set_p2p(struct ui_config *c, const char *v, const char **why)
{
	*why = "p2p is on or off";
	return parse_bool(v, &c->p2p);
}

static int
set_light(struct ui_config *c, const char *v, const char **why)
{
	*why = "light is on or off";
	return parse_bool(v, &c->light);
}

static int
set_tls(struct ui_config *c, const char *v, const char **why)
{
	*why = "tls is on or off";
	return parse_bool(v, &c->tls);
}

static int
set_p2p_port(struct ui_config *c, const char *v, const char **why)
{
	return parse_port(v, 0, &c->p2p_port, why, "p2p_port must be 0-65535");
}

static int
set_download_dir(struct ui_config *c, const char *v, const char **why)
{
	const char *home = getenv("HOME");

	(void)why;
	if (v[0] == '~' && v[1] == '/' && home != NULL)
		snprintf(c->download_dir, sizeof c->download_dir, "%s%s", home,
		    v + 1);
	else
		snprintf(c->download_dir, sizeof c->download_dir, "%s", v);
	return 0;
}

static int
set_max_file_size(struct ui_config *c, const char *v, const char **why)
{
	*why = "max_file_size is a number with K, M, G or T (0: no limit)";
	return parse_size(v, &c->max_file_size);
}

static int
set_part_max_age(struct ui_config *c, const char *v, const char **why)
{
	char *end;

	*why = "part_max_age is a number of seconds, or with m, h or d "
	       "(0: never)";
	errno = 0;
	c->part_max_age = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *v == '-')
		return -1;
	if (*end == 'm')
		c->part_max_age *= 60;
	else if (*end == 'h')
		c->part_max_age *= 3600;
	else if (*end == 'd')
		c->part_max_age *= 86400;
	else if (*end != '\0' && *end != 's')
		return -1;
	return *end == '\0' || end[1] == '\0' ? 0 : -1;
}

static int
set_mouse(struct ui_config *c, const char *v, const char **why)
{
	*why = "mouse is on or off";
	return parse_bool(v, &c->mouse);
}

static int
set_title(struct ui_config *c, const char *v, const char **why)
{
	*why = "title is on or off";
	return parse_bool(v, &c->title);
}

static int
set_log(struct ui_config *c, const char *v, const char **why)
{
	*why = "log is on or off";
	return parse_bool(v, &c->log);
}

static int
set_notify(struct ui_config *c, const char *v, const char **why)
{
	if (strcmp(v, "off") == 0)
		c->notify = UI_NOTIFY_OFF;
	else if (strcmp(v, "osc9") == 0)
		c->notify = UI_NOTIFY_OSC9;
	else if (strcmp(v, "osc777") == 0)
		c->notify = UI_NOTIFY_OSC777;
	else {
		*why = "notify is off, osc9 or osc777";
		return -1;
	}
	return 0;
}

/* Words that highlight a room message like "@me": "deploy, urgent". */
static int
set_highlight(struct ui_config *c, const char *v, const char **why)
{
	*why = "highlight is a list of words, at most 8 of 32 bytes";
	if (strlen(v) >= sizeof c->highlight)
		return -1;
	snprintf(c->highlight, sizeof c->highlight, "%s", v);
	return 0;
}

/* A strftime format whose time fits 11 columns, in printable ASCII. */
static int
set_time_format(struct ui_config *c, const char *v, const char **why)
{
	size_t i;
	int n;

	*why = "time_format is a strftime format of at most 11 columns, "
	       "such as %H:%M or %I:%M %p";
	if (*v == '\0' || strlen(v) >= sizeof c->time_format)
		return -1;
	for (i = 0; v[i] != '\0'; i++) {
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			return -1;
	}
	n = ui_format_clock_width(v);
	if (n == 0 || n > 11)
		return -1;
	snprintf(c->time_format, sizeof c->time_format, "%s", v);
	return 0;
}

static const struct {
	const char *key;
	int (*set)(struct ui_config *, const char *, const char **);
} keys[] = {
    {"host", set_host},
    {"port", set_port},
    {"user", set_user},
    {"theme", set_theme},
    {"bell", set_bell},
    {"p2p", set_p2p},
    {"light", set_light},
    {"tls", set_tls},
    {"p2p_port", set_p2p_port},
    {"download_dir", set_download_dir},
    {"max_file_size", set_max_file_size},
    {"part_max_age", set_part_max_age},
    {"time_format", set_time_format},
    {"mouse", set_mouse},
    {"title", set_title},
    {"notify", set_notify},
    {"log", set_log},
    {"highlight", set_highlight},
};

/* One line of the file; -1 with what is wrong in why (or in unknown). */
static int
config_line(struct ui_config *c, char *line, const char **why, char *unknown,
    size_t len)
{
	char *k, *v, *eq;
	size_t i;

	k = trim(line);
	if (*k == '#' || *k == '\0')
		return 0;
	if ((eq = strchr(k, '=')) == NULL) {
		*why = "expected key = value";
		return -1;
	}
	*eq = '\0';
	k = trim(k);
	v = trim(eq + 1);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(k, keys[i].key) == 0)
			return keys[i].set(c, v, why);
	}
	snprintf(unknown, len, "unknown key '%s'", k);
	*why = unknown;
	return -1;
}

/*
 * Read the file at path over c. A missing file is fine (0). Bad lines are
 * reported in err, every one ("config line 3: ...; line 5: ...") and -1
 * returned; the other lines still apply.
 */
int
ui_config_load(struct ui_config *c, const char *path, char *err, int errlen)
{
	FILE *f;
	char line[2048], unknown[2100];
	const char *why;
	int n = 0, rc = 0;
	size_t used = 0;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, (size_t)errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		n++;
		if (config_line(c, line, &why, unknown, sizeof unknown) != 0) {
			if (used < (size_t)errlen)
				used += (size_t)snprintf(err + used,
				    (size_t)errlen - used,
				    rc == 0 ? "%s line %d: %s"
				            : "%.0s; line %d: %s",
				    path, n, why);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}
