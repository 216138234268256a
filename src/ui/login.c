/* SPDX-License-Identifier: MIT */
/*
 * The login form before the session starts: name, password (shown as
 * stars) and relay, each an editor with the same keys as the input line.
 * With no relay configured, the relays that answer DISCOVER on the LAN
 * are listed under the relay field, to choose with Up and Down.
 */
#include <stdlib.h>
#include <string.h>

#include "client/discover.h"
#include "ui/text.h"
#include "ui/tui_int.h"
#include "util/fingerprint.h"

#define FIELDS 3
#define SHOWN 8 /* relays listed at most */

struct login {
	struct ui_editor f[FIELDS]; /* name, password, relay */
	int cur; /* the field with the cursor */
	char err[128];
	bool looked; /* the LAN was asked */
	struct client_discover found; /* the relays of the client's mode */
	size_t pick; /* the one in the relay field */
};

/* The rows the list of relays takes under the relay field. */
static int
list_rows(const struct login *l)
{
	if (!l->looked)
		return 0;
	return 1 + (int)(l->found.n < SHOWN ? l->found.n : SHOWN);
}

/* The relays found, under the relay field from row y; the pick marked. */
static void
draw_list(const struct login *l, int y, int x)
{
	const struct client_relay_ad *ad;
	char fp[UTIL_FP_TEXT], where[80];
	size_t i;

	if (l->found.n == 0) {
		mvaddstr(y, x,
		    "No relay answered on the LAN (UDP 7733): type "
		    "HOST:PORT.");
		return;
	}
	mvaddstr(y, x, "Relays on this LAN (Up/Down in Relay):");
	for (i = 0; i < l->found.n && i < SHOWN; i++) {
		ad = &l->found.ad[i];
		if (i == l->pick)
			attron(A_REVERSE);
		mvaddstr(y + 1 + (int)i, x, i == l->pick ? " > " : "   ");
		ui_tui_put(stdscr, ad->name, strlen(ad->name), 20);
		snprintf(where, sizeof where, "%s:%u", ad->addr, ad->port);
		mvaddstr(y + 1 + (int)i, x + 24, where);
		if (ad->tls) {
			util_fp_text(ad->fp, fp);
			fp[15] = '\0'; /* two groups of seven */
			mvaddstr(y + 1 + (int)i, x + 47, fp);
		}
		if (i == l->pick)
			attroff(A_REVERSE);
	}
}

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
	int y = LINES / 2 - 5, x = COLS / 2 - 25, i, col, rows = list_rows(l);
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
	if (rows > 0)
		draw_list(l, y + 8, x);
	mvaddstr(y + 9 + rows, x, "Tab: next field  Enter: log in  Esc: quit");
	mvaddstr(y + 10 + rows, x, "An empty password makes an open name.");
	if (l->err[0] != '\0') {
		attron(A_BOLD);
		mvaddstr(y + 12 + rows, x, l->err);
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
	cfg->relay_set = true;
	return 0;
}

/* Put the picked relay's ADDR:PORT in the relay field. */
static void
pick(struct login *l, size_t i)
{
	const struct client_relay_ad *ad = &l->found.ad[i];
	char relay[80];

	l->pick = i;
	snprintf(relay, sizeof relay, "%s:%u", ad->addr, ad->port);
	ui_editor_set(&l->f[2], relay, strlen(relay));
}

/*
 * Ask the LAN for relays, saying so while it waits; keep those of the
 * client's mode (TLS or not), and put the first in the relay field.
 */
static void
look(struct login *l, const struct ui_config *cfg)
{
	char err[128], was[sizeof l->err];
	size_t i, n = 0;

	memcpy(was, l->err, sizeof was);
	snprintf(l->err, sizeof l->err, "Looking for relays on the LAN...");
	draw(l);
	memcpy(l->err, was, sizeof was);
	l->looked = true;
	if (client_discover_run(&l->found, cfg->port, CLIENT_DISCOVER_WAIT, err,
	        sizeof err) != 0)
		l->found.n = 0;
	for (i = 0; i < l->found.n; i++)
		if (l->found.ad[i].tls == cfg->tls)
			l->found.ad[n++] = l->found.ad[i];
	l->found.n = n;
	if (n > 0)
		pick(l, 0);
	if (l->cur == 0 && cfg->user[0] != '\0')
		l->cur = n == 1 ? 1 : 2;
}

/*
 * Up and Down on the relay field with relays listed choose among them.
 * true when the key was taken.
 */
static bool
list_key(struct login *l, int key)
{
	size_t n = l->found.n < SHOWN ? l->found.n : SHOWN;

	if (l->cur != 2 || n == 0)
		return false;
	if (key == UI_KEY_UP && l->pick > 0)
		pick(l, l->pick - 1);
	else if (key == UI_KEY_DOWN && l->pick + 1 < n)
		pick(l, l->pick + 1);
	else if (key != UI_KEY_UP && key != UI_KEY_DOWN)
		return false;
	return true;
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
	if (!cfg->relay_set)
		look(&l, cfg);
	for (;;) {
		draw(&l);
		/* Its own statement: ch is read only after get_wch set it. */
		kind = get_wch(&ch);
		key = ui_input_key_of(kind, ch);
		if (list_key(&l, key))
			continue;
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
