/* SPDX-License-Identifier: MIT */
/*
 * Telling the user about a message they are not looking at: focus
 * reporting (ESC[?1004h; the terminal sends ESC[I and ESC[O, which arrive
 * as two private keys), the bell, the unread count in the terminal's
 * title while it is not focused, and desktop notifications by OSC 9 or
 * OSC 777. Also the optional plain-text log of each conversation, and
 * each transfer's entry in its conversation. Peer text reaches the
 * terminal's title or a notification only through util/esc.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ui/tui_int.h"
#include "util/esc.h"
#include "util/xmalloc.h"

#define NOTE_MAX 200 /* bytes of a message in a notification */
#define RING_GAP 2000 /* ms between bells or notifications, at least */

/* The private keys: focus in and out, Alt-R. */
void
ui_notify_keys(void)
{
	define_key("\033[I", UI_KEY_FOCUS_IN_CURSES);
	define_key("\033[O", UI_KEY_FOCUS_OUT_CURSES);
	define_key("\033r", UI_KEY_ALT_R_CURSES);
}

/* The terminal's title: "termgram", or "termgram (N)" with N unread. */
static void
set_title(struct tui *t)
{
	if (!t->cfg.title)
		return;
	if (t->away_unread > 0)
		printf("\033]2;termgram (%u)\007", t->away_unread);
	else
		fputs("\033]2;termgram\007", stdout);
	fflush(stdout);
}

/* Start: the title (the old one pushed), the log folder if wanted. */
void
ui_notify_start(struct tui *t, const char *data)
{
	char path[1100];

	if (t->cfg.title) {
		fputs("\033[22;0t", stdout); /* push the title */
		set_title(t);
	}
	if (!t->cfg.log)
		return;
	snprintf(path, sizeof path, "%s/logs", data);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		ui_tui_notice(t, true, "log: %s: %s", path, strerror(errno));
		return;
	}
	(void)chmod(path, 0700);
	t->logdir = xstrdup(path);
}

/* Stop: the old title back. */
void
ui_notify_stop(struct tui *t)
{
	if (t->cfg.title) {
		fputs("\033]2;\007\033[23;0t", stdout); /* pop it */
		fflush(stdout);
	}
	free(t->logdir);
	t->logdir = NULL;
}

/* Focus in and out; false for any other key. */
bool
ui_notify_key(struct tui *t, int key)
{
	if (key == UI_KEY_FOCUS_OUT) {
		t->away = true;
		return true;
	}
	if (key != UI_KEY_FOCUS_IN)
		return false;
	t->away = false;
	/* What came meanwhile is read once looked at for a moment. */
	t->shown_at = client_rt_now_ms();
	if (t->away_unread > 0) {
		t->away_unread = 0;
		set_title(t);
	}
	return true;
}

/* A desktop notification: "sender: text", escaped, by OSC 9 or 777. */
static void
desktop(struct tui *t, const struct client_msg *m)
{
	size_t len = m->len < NOTE_MAX ? m->len : NOTE_MAX;
	char *who = util_esc_dup(
	    m->sender, strlen(m->sender), UTIL_ESC_TERM | UTIL_ESC_LINE);
	char *body = util_esc_dup(m->body, len, UTIL_ESC_TERM | UTIL_ESC_LINE);

	if (t->cfg.notify == UI_NOTIFY_OSC9)
		printf("\033]9;termgram: %s: %s\007", who, body);
	else
		printf("\033]777;notify;termgram: %s;%s\007", who, body);
	fflush(stdout);
	free(who);
	free(body);
}

/*
 * A fresh message: logged; if it is someone else's and the user is not
 * looking at its conversation (another one is open, or the terminal is
 * not focused): the title's count, the bell and a desktop notification
 * (these two not again for the same sender within RING_GAP).
 */
void
ui_notify_message(struct tui *t, const struct client_msg *m)
{
	uint64_t now = client_rt_now_ms();
	bool room = m->peer != NULL && ui_members_is_room(m->peer);
	const char *conv = room ? m->peer : m->sender;
	bool mention = ui_members_mentions(t, m);

	ui_notify_log(t, m->peer != NULL ? m->peer : m->sender, m->sender,
	    m->body != NULL ? m->body : "", m->body != NULL ? m->len : 0);
	/* A room's event (someone joined) rings nothing. */
	if (m->outgoing || strcmp(m->sender, "*") == 0 ||
	    (!t->away && strcasecmp(conv, t->sel) == 0))
		return;
	if (t->away && strcasecmp(conv, t->sel) == 0)
		ui_marker_note(t, conv, m->id);
	if (t->away) {
		t->away_unread++;
		set_title(t);
	}
	/* A muted room rings only for a mention of the user (or of a
	 * highlight word). */
	if (room && !mention && ui_members_muted(t, m->peer))
		return;
	/* A backlog arriving at once rings once a conversation, not once a
	 * message; a mention always rings. */
	if (!mention && t->rang_at != 0 && now < t->rang_at + RING_GAP &&
	    strcasecmp(t->rang_for, conv) == 0)
		return;
	t->rang_at = now;
	snprintf(t->rang_for, sizeof t->rang_for, "%s", conv);
	if (t->cfg.bell)
		beep();
	if (t->cfg.notify != UI_NOTIFY_OFF)
		desktop(t, m);
}

/*
 * A line "YYYY-MM-DD HH:MM:SS who: text" in peer's log, when logs are on:
 * logs/PEER.log in the data folder, 0600 files in a 0700 folder, text
 * (len bytes, not read as a C string) on one line with controls escaped.
 */
void
ui_notify_log(struct tui *t, const char *peer, const char *who,
    const char *text, size_t len)
{
	char path[1200], when[32], *line;
	time_t now = time(NULL);
	FILE *f;
	int fd;

	if (t->logdir == NULL || peer[0] == '\0' || peer[0] == '.' ||
	    strchr(peer, '/') != NULL)
		return;
	snprintf(path, sizeof path, "%s/%s.log", t->logdir, peer);
	fd = open(
	    path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || (f = fdopen(fd, "a")) == NULL) {
		if (fd >= 0)
			close(fd);
		ui_tui_log(t, "log %s: %s", path, strerror(errno));
		return;
	}
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
	line = util_esc_dup(text, len, UTIL_ESC_TERM | UTIL_ESC_LINE);
	fprintf(f, "%s %s: %s\n", when, who, line);
	free(line);
	fclose(f);
}

/*
 * A transfer changed state: its entry in its conversation, where it was
 * offered, made the first time (the pane draws it from the transfer as it
 * is: ui_format_xfer_entry); once it has ended, a line in the log.
 */
void
ui_notify_xfer(struct tui *t, const struct client_xfer *x)
{
	struct client_convos *cs = client_session_convos(t->s);
	struct client_msg m;
	char text[4400];

	ui_format_xfer_note(x, text, sizeof text);
	memset(&m, 0, sizeof m);
	m.peer = x->peer;
	m.sender = "*"; /* no one's name: a transfer's entry */
	m.id = x->id;
	m.ts = (uint64_t)time(NULL) * 1000;
	m.body = text;
	m.len = strlen(text);
	m.state = CLIENT_MSG_SEEN;
	client_convos_get(cs, x->peer);
	client_convos_append(cs, x->peer, &m); /* once: same id, same "*" */
	if (x->state == CLIENT_XFER_DONE || x->state == CLIENT_XFER_FAILED)
		ui_notify_log(t, x->peer, "*", text, m.len);
}
