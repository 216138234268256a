/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/format.h"
#include "ui/paths.h"
#include "ui/text.h"
#include "util/xmalloc.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
push(struct ui_paths *p, const char *s, size_t n)
{
	p->v = xreallocarray(p->v, p->n + 1, sizeof *p->v);
	p->v[p->n++] = xstrndup(s, n);
}

/* Turn "file://host/a%20b" into "/a b"; -1 if it is not a local file. */
static int
from_uri(char *s, char *err, size_t errlen)
{
	char *p = s + 7, *q, *w;
	int hi, lo;

	/* file:///path or file://localhost/path */
	if (*p != '/') {
		q = strchr(p, '/');
		if (q == NULL ||
		    (q - p != 9 || strncmp(p, "localhost", 9) != 0)) {
			snprintf(err, errlen, "not a local file: %s", s);
			return -1;
		}
		p = q;
	}
	for (w = s, q = p; *q != '\0'; q++) {
		if (*q == '%' && (hi = hexval(q[1])) >= 0 &&
		    (lo = hexval(q[2])) >= 0) {
			*w++ = (char)(hi * 16 + lo);
			q += 2;
		} else
			*w++ = *q;
	}
	*w = '\0';
	return 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Where a path is read up to, and what was read of it. */
struct word {
	size_t n; /* bytes of it in cur */
	char quote; /* the quote still open at the end, or 0 */
	bool have; /* it had quotes: '' is an (empty) path */
};

/*
 * One path from in[i]: quotes and backslash escapes undone into cur,
 * up to a blank outside quotes. Returns where it stopped.
 */
static size_t
read_word(const char *in, size_t len, size_t i, char *cur, struct word *w)
{
	char c;

	w->n = 0;
	w->have = false;
	w->quote = 0;
	for (; i < len; i++) {
		c = in[i];
		if (w->quote != 0) {
			if (c == w->quote)
				w->quote = 0;
			else if (c == '\\' && w->quote == '"' && i + 1 < len &&
			    (in[i + 1] == '"' || in[i + 1] == '\\'))
				cur[w->n++] = in[++i];
			else
				cur[w->n++] = c;
			continue;
		}
		if (c == '\'' || c == '"') {
			w->quote = c;
			w->have = true;
		} else if (c == '\\' && i + 1 < len)
			cur[w->n++] = in[++i];
		else if (is_space(c))
			break;
		else
			cur[w->n++] = c;
	}
	cur[w->n] = '\0';
	return i;
}

/* One path found: a file:// URI made a path, '~' made home. */
static int
take(struct ui_paths *out, char *cur, size_t n, const char *home, char *err,
    size_t errlen)
{
	size_t h;
	char *e;

	if (strncmp(cur, "file://", 7) == 0) {
		if (from_uri(cur, err, errlen) != 0)
			return -1;
		n = strlen(cur);
	}
	if (cur[0] == '~' && (cur[1] == '/' || cur[1] == '\0') &&
	    home != NULL) {
		h = strlen(home);
		e = xmalloc(h + n + 1);
		memcpy(e, home, h);
		memcpy(e + h, cur + 1, n);
		push(out, e, h + n - 1);
		free(e);
	} else
		push(out, cur, n);
	return 0;
}

/*
 * Split what was typed or pasted into paths. home replaces a leading '~'.
 * Returns the number of paths (0 for blank input) or -1 with a reason.
 */
int
ui_paths_parse(const char *in, size_t len, const char *home,
    struct ui_paths *out, char *err, size_t errlen)
{
	char *cur = xmalloc(len + 1);
	struct word w;
	size_t i = 0;

	out->v = NULL;
	out->n = 0;
	for (;;) {
		while (i < len && is_space(in[i]))
			i++;
		if (i >= len)
			break;
		i = read_word(in, len, i, cur, &w);
		if (w.quote != 0) {
			snprintf(err, errlen, "unbalanced %c quote", w.quote);
			goto fail;
		}
		if (w.n == 0 && !w.have)
			continue;
		if (take(out, cur, w.n, home, err, errlen) != 0)
			goto fail;
	}
	free(cur);
	return (int)out->n;
fail:
	free(cur);
	ui_paths_free(out);
	return -1;
}

/*
 * The last path of in, being typed: its text with quotes and escapes
 * undone (a quote may still be open) into out, and where it starts in in
 * (*start). Returns its length, or -1 when in ends in a blank (no path
 * being typed) or out is too small.
 */
int
ui_paths_last(
    const char *in, size_t len, size_t *start, char *out, size_t outlen)
{
	char *cur = xmalloc(len + 1);
	struct word w = {0, 0, false};
	size_t i = 0, at = len;
	int rc = -1;

	while (i < len) {
		while (i < len && is_space(in[i]))
			i++;
		if (i >= len)
			break;
		at = i;
		i = read_word(in, len, i, cur, &w);
	}
	if (at < len && (!is_space(in[len - 1]) || w.quote != 0) &&
	    w.n < outlen) {
		memcpy(out, cur, w.n + 1);
		*start = at;
		rc = (int)w.n;
	}
	free(cur);
	return rc;
}

/*
 * Path p written so that ui_paths_parse reads it back as one path: as it
 * is when nothing in it needs quoting, else in single quotes (a single
 * quote as '\''). Returns its length, or -1 when out is too small.
 */
int
ui_paths_quote(const char *p, char *out, size_t outlen)
{
	size_t n = 0;

	if (strpbrk(p, " \t\n\r'\"\\") == NULL && p[0] != '\0')
		return snprintf(out, outlen, "%s", p) < (int)outlen
		    ? (int)strlen(p)
		    : -1;
	if (outlen < 3)
		return -1;
	out[n++] = '\'';
	for (; *p != '\0'; p++) {
		if (n + 6 >= outlen)
			return -1;
		if (*p == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else
			out[n++] = *p;
	}
	out[n++] = '\'';
	out[n] = '\0';
	return (int)n;
}

/* Free the paths. */
void
ui_paths_free(struct ui_paths *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* path with the home folder as "~"; its file's name after *base. */
void
ui_paths_home(const char *path, char *out, size_t len, size_t *base)
{
	const char *home = getenv("HOME"), *slash;
	size_t hl = home != NULL ? strlen(home) : 0;

	if (hl > 1 && strncmp(path, home, hl) == 0 && path[hl] == '/')
		snprintf(out, len, "~%s", path + hl);
	else
		snprintf(out, len, "%s", path);
	slash = strrchr(out, '/');
	*base = slash != NULL ? (size_t)(slash - out) + 1 : 0;
}

/*
 * Where a transfer's file is, in cols columns: "VERB PATH" (home as "~"),
 * or when that does not fit its folder, shortened from the left, and its
 * file's name apart, shortened in the middle: "IN FOLDER AS NAME".
 */
void
ui_paths_where(const char *verb, const char *in, const char *as,
    const char *path, int cols, char *out, size_t len)
{
	char p[4200], dir[4200], folder[4200], name[1200];
	size_t b;
	int room, dw, nw, nroom;

	ui_paths_home(path, p, sizeof p, &b);
	snprintf(out, len, "%s %s", verb, p);
	if (ui_text_width(out, strlen(out)) <= cols || b == 0)
		return;
	snprintf(dir, sizeof dir, "%.*s", (int)(b > 1 ? b - 1 : b), p);
	room = cols - ui_text_width(in, strlen(in)) -
	    ui_text_width(as, strlen(as)) - 3;
	dw = ui_text_width(dir, strlen(dir));
	nw = ui_text_width(p + b, strlen(p + b));
	nroom = room - dw > room / 2 ? room - dw : room / 2;
	if (nroom > nw)
		nroom = nw;
	ui_format_fit(p + b, nroom < 6 ? 6 : nroom, false, name, sizeof name);
	ui_format_fit(dir, room - nroom < 6 ? 6 : room - nroom, true, folder,
	    sizeof folder);
	snprintf(out, len, "%s %s %s %s", in, folder, as, name);
}
