/* SPDX-License-Identifier: MIT */
/*
 * The send-a-file dialog (Ctrl-F, /send): one path field, checked on
 * every redraw through ui_paths_parse to show the name and size or what
 * is wrong (naming the path), Tab to complete from the folder (listing
 * the names when several match and none is longer), Enter to offer the
 * files.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/paths.h"
#include "ui/tui_int.h"
#include "util/xmalloc.h"

/* What the dialog's field holds: paths, and what is wrong with them
 * (naming the path, the home folder as ~). */
static int
check(struct tui *t, struct ui_paths *p, char *info, size_t len)
{
	char err[256], a[24];
	uint64_t size, total = 0;
	const char *slash, *home = getenv("HOME");
	size_t i, hl = home != NULL ? strlen(home) : 0;
	int n;

	n = ui_paths_parse(t->path.buf != NULL ? t->path.buf : "", t->path.len,
	    getenv("HOME"), p, err, sizeof err);
	if (n < 0) {
		snprintf(info, len, "%s", err);
		return -1;
	}
	if (n == 0) {
		snprintf(info, len, "Type a path, or drag files here");
		return -1;
	}
	for (i = 0; i < p->n; i++) {
		if (client_xfer_check_path(p->v[i], &size, err, sizeof err) !=
		    0) {
			if (hl > 1 && strncmp(p->v[i], home, hl) == 0 &&
			    p->v[i][hl] == '/')
				snprintf(
				    info, len, "~%s: %s", p->v[i] + hl, err);
			else
				snprintf(info, len, "%s: %s", p->v[i], err);
			ui_paths_free(p);
			return -1;
		}
		total += size;
	}
	ui_format_size((double)total, a, sizeof a);
	slash = strrchr(p->v[0], '/');
	if (p->n == 1)
		snprintf(info, len, "%s \xe2\x80\x94 %s%s",
		    slash != NULL ? slash + 1 : p->v[0], a,
		    total == 0 ? " (an empty file)" : "");
	else
		snprintf(info, len, "%zu files, %s in all", p->n, a);
	return 0;
}

/* The names a Tab found, under the field; "…" when more do not fit. */
static void
draw_list(struct tui *t, WINDOW *win, int w)
{
	size_t n = strlen(t->tab_list), fit;
	int used = 0;

	if (n == 0)
		return;
	wattron(win, A_DIM);
	wmove(win, 3, 2);
	if (ui_text_width(t->tab_list, n) <= w - 4)
		ui_tui_put(win, t->tab_list, n, w - 4);
	else {
		fit = ui_text_fit(t->tab_list, n, w - 5, &used);
		ui_tui_put(win, t->tab_list, fit, w - 5);
		waddstr(win, "\xe2\x80\xa6");
	}
	wattroff(win, A_DIM);
}

/* The dialog, drawn last: the cursor goes to its field. */
void
ui_dialog_draw(struct tui *t)
{
	struct ui_paths p;
	char info[512], fit[512], title[80];
	int w = t->cols - 10 > 90 ? 90 : t->cols - 10, h = 7, col;
	bool ok;
	WINDOW *win;

	win = newwin(h, w, (t->rows - h) / 2, (t->cols - w) / 2);
	werase(win);
	box_set(win, WACS_VLINE, WACS_HLINE);
	snprintf(title, sizeof title, " Send a file to %s ", t->sel);
	wattron(win, A_BOLD);
	mvwaddstr(win, 0, 2, title);
	wattroff(win, A_BOLD);
	ok = check(t, &p, info, sizeof info) == 0;
	if (ok)
		ui_paths_free(&p);
	mvwaddstr(win, 2, 2, "Path: ");
	col = ui_editor_scroll(&t->path, w - 10);
	ui_tui_put(win, t->path.buf != NULL ? t->path.buf + t->path.view : "",
	    t->path.len - t->path.view, w - 10);
	draw_list(t, win, w);
	/* An error keeps its end: the path's start goes first. */
	ui_format_fit(info, w - 4, !ok, fit, sizeof fit);
	wattron(win, ui_tui_pair(t, ok ? UI_COLOR_ONLINE : UI_COLOR_ERROR));
	wmove(win, 4, 2);
	ui_tui_put(win, ok ? info : fit, strlen(ok ? info : fit), w - 4);
	wattroff(win,
	    ui_tui_pair(t, UI_COLOR_ONLINE) | ui_tui_pair(t, UI_COLOR_ERROR));
	wattron(win, A_DIM);
	mvwaddstr(
	    win, 5, 2, "Enter send \xc2\xb7 Tab complete \xc2\xb7 Esc close");
	wattroff(win, A_DIM);
	wmove(win, 2, 8 + col);
	wnoutrefresh(win);
	delwin(win);
}

/* Open the dialog for the selected contact, its field holding text. */
void
ui_dialog_open(struct tui *t, const char *text)
{
	if (t->sel[0] == '\0') {
		ui_tui_notice(t, true, "Pick a contact first (Up/Down)");
		return;
	}
	if (strcasecmp(t->sel, client_session_me(t->s)) == 0) {
		ui_tui_notice(
		    t, true, "A file to yourself: it is here already");
		return;
	}
	t->dialog = true;
	t->tab_list[0] = '\0';
	ui_editor_set(&t->path, text, strlen(text));
	t->dirty = true;
}

/* Send every path in the dialog's field. */
static void
send_paths(struct tui *t)
{
	struct ui_paths p;
	char info[512], id[80], err[256];
	size_t i;

	if (check(t, &p, info, sizeof info) != 0) {
		ui_tui_notice(t, true, "%s", info);
		return;
	}
	for (i = 0; i < p.n; i++) {
		if (client_session_send_file(
		        t->s, t->sel, p.v[i], id, err, sizeof err) != 0)
			ui_tui_notice(t, true, "%s: %s", p.v[i], err);
	}
	ui_paths_free(&p);
	t->dialog = false;
	ui_editor_clear(&t->path);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names (n, sorted) in list, two spaces apart, as many as fit. */
static void
list_names(char **names, size_t n, char *list, size_t len)
{
	size_t i, k = 0;

	qsort(names, n, sizeof *names, name_cmp);
	list[0] = '\0';
	for (i = 0; i < n && k < len; i++)
		k += (size_t)snprintf(
		    list + k, len - k, "%s%s", i > 0 ? "  " : "", names[i]);
}

/*
 * The longest name in dirpath that starts with base (blen bytes of best);
 * returns how many names matched. With several, list (len bytes) gets
 * them, sorted.
 */
static int
common_prefix(const char *dirpath, const char *base, char *best, size_t bestlen,
    size_t *blen, char *list, size_t len)
{
	struct dirent *de;
	size_t plen = strlen(base), k, n = 0, cap = 0;
	char **names = NULL;
	int matches = 0;
	DIR *d;

	if ((d = opendir(dirpath)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, plen) != 0 ||
		    strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (plen == 0 && de->d_name[0] == '.'))
			continue;
		if (matches++ == 0) {
			snprintf(best, bestlen, "%s", de->d_name);
			*blen = strlen(best);
		} else {
			for (k = 0; k < *blen && best[k] == de->d_name[k]; k++)
				;
			*blen = k;
		}
		if (n < 200) {
			XGROW(names, cap, n + 1, 16);
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	if (matches > 1)
		list_names(names, n, list, len);
	while (n > 0)
		free(names[--n]);
	free(names);
	return matches;
}

/*
 * Tab: complete the last path in the field from the folder it names,
 * quoted again as ui_paths_parse reads it (a name with blanks or quotes
 * in single quotes).
 */
static void
complete(struct tui *t)
{
	char word[4096], typed[4096], dirpath[4096], best[512];
	char done[4096 + 520], full[4096 + 520], q[3 * sizeof done];
	const char *home = getenv("HOME"), *base, *slash;
	size_t start, blen = 0, plen;
	int matches, n;
	struct stat st;

	if (t->path.len == 0 || t->path.len >= sizeof word ||
	    ui_paths_last(t->path.buf, t->path.len, &start, word, sizeof word) <
	        0)
		return;
	if (word[0] == '~' && (word[1] == '/' || word[1] == '\0') &&
	    home != NULL)
		snprintf(typed, sizeof typed, "%s%s", home, word + 1);
	else
		snprintf(typed, sizeof typed, "%s", word);
	slash = strrchr(typed, '/');
	snprintf(dirpath, sizeof dirpath, "%.*s",
	    slash != NULL ? (int)(slash - typed + 1) : 1,
	    slash != NULL ? typed : ".");
	base = slash != NULL ? slash + 1 : typed;
	plen = strlen(base);
	matches = common_prefix(dirpath, base, best, sizeof best, &blen,
	    t->tab_list, sizeof t->tab_list);
	if (matches <= 1 || blen > plen)
		t->tab_list[0] = '\0';
	if (matches == 0 || blen < plen || (blen == plen && matches > 1))
		return; /* several, nothing to add: they are listed */
	best[blen] = '\0';
	/* What was typed before the name (its ~ kept), then the name. */
	snprintf(done, sizeof done, "%.*s%s", (int)(strlen(word) - plen), word,
	    best);
	snprintf(full, sizeof full, "%s%s", slash != NULL ? dirpath : "", best);
	if (matches == 1 && stat(full, &st) == 0 && S_ISDIR(st.st_mode))
		strncat(done, "/", sizeof done - strlen(done) - 1);
	if ((n = ui_paths_quote(done, q, sizeof q)) < 0)
		return;
	/* The field up to that path, then the path completed. */
	memcpy(done, t->path.buf, start);
	ui_editor_set(&t->path, done, start);
	ui_editor_end(&t->path);
	ui_editor_insert(&t->path, q, (size_t)n);
}

/* Keys while the dialog is open; the field's are the editor's. */
void
ui_dialog_key(struct tui *t, int key)
{
	if (key != '\t')
		t->tab_list[0] = '\0';
	if (ui_input_paste_key(t, &t->path, key))
		return;
	switch (key) {
	case UI_KEY_ESC:
		t->dialog = false;
		return;
	case '\t':
		if (t->paste)
			ui_editor_insert(&t->path, "\t", 1);
		else
			complete(t);
		return;
	case UI_KEY_ENTER:
		send_paths(t);
		return;
	default:
		ui_editor_key(&t->path, key);
	}
}
