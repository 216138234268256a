/* SPDX-License-Identifier: MIT */
/*
 * The login form before the session starts: name, password (shown as
 * stars) and relay, each an editor with the same keys as the input line.
 */
#include <stdlib.h>
#include <string.h>

#include "ui/text.h"
#include "ui/tui_int.h"

#define FIELDS 3

struct login {
	struct ui_editor f[FIELDS]; /* name, password, relay */
	int cur; /* the field with the cursor */
	char err[128];
};

/* The field's text, "" when it never had any. */
static const char *
text_of(const struct ui_editor *e)
{
	return e->buf != NULL ? e->buf : "";
}

/* The form in the middle of the screen, the cursor in its field. */
static void
draw(const struct login *l)
{
	static const char *const label[FIELDS] = {"Name", "Password", "Relay"};
	const struct ui_editor *f = l->f;
	int y = LINES / 2 - 5, x = COLS / 2 - 25, i, col;
	size_t k;

	if (x < 0)
		x = 0;
	erase();
	attron(A_BOLD);
	mvaddstr(y, x, "termgram \xe2\x80\x94 log in");
	attroff(A_BOLD);
	for (i = 0; i < FIELDS; i++) {
		mvaddstr(y + 2 + i * 2, x, label[i]);
		if (i == l->cur)
			attron(A_REVERSE);
		mvhline(y + 2 + i * 2, x + 10, ' ', 36);
		move(y + 2 + i * 2, x + 10);
		if (i == 1)
			for (k = 0; k < f[1].len && k < 35; k++)
				addch('*');
		else
			addnstr(text_of(&f[i]), (int)f[i].len);
		if (i == l->cur)
			attroff(A_REVERSE);
	}
	mvaddstr(y + 9, x, "Tab: next field  Enter: log in  Esc: quit");
	mvaddstr(y + 10, x, "An empty password makes an open name.");
	if (l->err[0] != '\0') {
		attron(A_BOLD);
		mvaddstr(y + 12, x, l->err);
		attroff(A_BOLD);
	}
	col = l->cur == 1 ? (int)(f[1].len < 35 ? f[1].len : 35)
	                  : ui_text_width(text_of(&f[l->cur]), f[l->cur].cur);
	move(y + 2 + l->cur * 2, x + 10 + col);
	refresh();
}

/* Take what the form holds into cfg and password; -1 with l->err set. */
static int
submit(struct login *l, struct ui_config *cfg, char *password, size_t pwlen)
{
	char relay[300], *colon;

	snprintf(cfg->user, sizeof cfg->user, "%.*s", (int)l->f[0].len,
	    text_of(&l->f[0]));
	snprintf(password, pwlen, "%.*s", (int)l->f[1].len, text_of(&l->f[1]));
	snprintf(
	    relay, sizeof relay, "%.*s", (int)l->f[2].len, text_of(&l->f[2]));
	colon = strrchr(relay, ':');
	if (cfg->user[0] == '\0') {
		snprintf(l->err, sizeof l->err, "A name, please.");
		l->cur = 0;
		return -1;
	}
	if (colon != NULL && strchr(relay, ']') < colon) {
		*colon = '\0';
		cfg->port = (unsigned)atoi(colon + 1);
	}
	if (cfg->port == 0 || cfg->port > 65535 || relay[0] == '\0') {
		snprintf(l->err, sizeof l->err, "Relay: HOST:PORT, please.");
		l->cur = 2;
		return -1;
	}
	snprintf(cfg->host, sizeof cfg->host, "%.*s", (int)sizeof cfg->host - 1,
	    relay);
	return 0;
}

/*
 * The login form: name, password, relay, and err (why the last try was
 * refused, or ""). Returns -1 if the user quit.
 */
int
ui_login_form(
    struct ui_config *cfg, char *password, size_t pwlen, const char *err)
{
	struct login l;
	char relay[300];
	wint_t ch;
	int kind, key, i, rc = -1;

	memset(&l, 0, sizeof l);
	for (i = 0; i < FIELDS; i++)
		ui_editor_init(&l.f[i]);
	ui_editor_set(&l.f[0], cfg->user, strlen(cfg->user));
	snprintf(relay, sizeof relay, "%s:%u", cfg->host, cfg->port);
	ui_editor_set(&l.f[2], relay, strlen(relay));
	snprintf(l.err, sizeof l.err, "%s", err);
	if (err[0] != '\0')
		l.cur = 1;
	keypad(stdscr, TRUE);
	nodelay(stdscr, FALSE);
	for (;;) {
		draw(&l);
		/* Its own statement: ch is read only after get_wch set it. */
		kind = get_wch(&ch);
		key = ui_input_key_of(kind, ch);
		if (key == UI_KEY_UP || key == UI_KEY_BTAB)
			l.cur = (l.cur + FIELDS - 1) % FIELDS;
		else if (key == UI_KEY_DOWN || key == '\t')
			l.cur = (l.cur + 1) % FIELDS;
		else if (key == UI_KEY_ESC || key == UI_KEY_CTRL('C'))
			break;
		else if (key == UI_KEY_ENTER) {
			if (submit(&l, cfg, password, pwlen) == 0) {
				rc = 0;
				break;
			}
		} else
			ui_editor_key(&l.f[l.cur], key);
	}
	for (i = 0; i < FIELDS; i++) {
		if (l.f[i].buf != NULL)
			memset(l.f[i].buf, 0, l.f[i].cap);
		ui_editor_fini(&l.f[i]);
	}
	return rc;
}
