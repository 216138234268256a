#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/paths.h"
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

/*
 * Split what was typed or pasted into paths. home replaces a leading '~'.
 * Returns the number of paths (0 for blank input) or -1 with a reason.
 */
int
ui_paths_parse(const char *in, size_t len, const char *home,
    struct ui_paths *out, char *err, size_t errlen)
{
	char *cur = xmalloc(len + 1);
	size_t i = 0, n, j;
	char quote;
	bool have;

	out->v = NULL;
	out->n = 0;
	for (;;) {
		while (i < len &&
		    (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' ||
		        in[i] == '\r'))
			i++;
		if (i >= len)
			break;
		n = 0;
		have = false;
		quote = 0;
		for (; i < len; i++) {
			char c = in[i];
			if (quote != 0) {
				if (c == quote)
					quote = 0;
				else if (c == '\\' && quote == '"' &&
				    i + 1 < len &&
				    (in[i + 1] == '"' || in[i + 1] == '\\'))
					cur[n++] = in[++i];
				else
					cur[n++] = c;
				continue;
			}
			if (c == '\'' || c == '"') {
				quote = c;
				have = true;
			} else if (c == '\\' && i + 1 < len) {
				cur[n++] = in[++i];
			} else if (c == ' ' || c == '\t' || c == '\n' ||
			    c == '\r')
				break;
			else
				cur[n++] = c;
		}
		if (quote != 0) {
			snprintf(err, errlen, "unbalanced %c quote", quote);
			goto fail;
		}
		cur[n] = '\0';
		if (n == 0 && !have)
			continue;
		if (strncmp(cur, "file://", 7) == 0) {
			if (from_uri(cur, err, errlen) != 0)
				goto fail;
			n = strlen(cur);
		}
		if (cur[0] == '~' && (cur[1] == '/' || cur[1] == '\0') &&
		    home != NULL) {
			size_t h = strlen(home);
			char *e = xmalloc(h + n + 1);
			memcpy(e, home, h);
			memcpy(e + h, cur + 1, n);
			push(out, e, h + n - 1);
			free(e);
		} else
			push(out, cur, n);
	}
	free(cur);
	return (int)out->n;
fail:
	free(cur);
	for (j = 0; j < out->n; j++)
		free(out->v[j]);
	free(out->v);
	out->v = NULL;
	out->n = 0;
	return -1;
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
