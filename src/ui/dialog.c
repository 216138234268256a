/* SPDX-License-Identifier: MIT */
/*
 * The send-a-file dialog (Ctrl-F, /send): one path field, checked on
 * every redraw through ui_paths_parse to show the name and size or what
 * is wrong, Tab to complete from the folder, Enter to offer the files.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/paths.h"
#include "ui/tui_int.h"

/* What the dialog's field holds: paths, and what is wrong with them. */
static int
check(struct tui *t, struct ui_paths *p, char *info, size_t len)
{
	char err[256], a[24];
	uint64_t size, total = 0;
	const char *slash;
	size_t i;
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
			slash = strrchr(p->v[i], '/');
			snprintf(info, len, "%s: %s",
			    slash != NULL ? slash + 1 : p->v[i], err);
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

/* The dialog, drawn last: the cursor goes to its field. */
void
ui_dialog_draw(struct tui *t)
{
	struct ui_paths p;
	char info[512], title[80];
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
	wattron(win, ui_tui_pair(t, ok ? UI_COLOR_ONLINE : UI_COLOR_ERROR));
	wmove(win, 4, 2);
	ui_tui_put(win, info, strlen(info), w - 4);
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

/*
 * The longest name in dirpath that starts with base (blen bytes of best);
 * returns how many names matched.
 */
static int
common_prefix(const char *dirpath, const char *base, char *best, size_t bestlen,
    size_t *blen)
{
	struct dirent *de;
	size_t plen = strlen(base), k;
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
	}
	closedir(d);
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
	matches = common_prefix(dirpath, base, best, sizeof best, &blen);
	if (matches == 0 || blen < plen || (blen == plen && matches > 1))
		return;
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
