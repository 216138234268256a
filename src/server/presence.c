/*
 * USER lines: the contact list a login gets, and the presence changes
 * every logged-in session is told about (PROTOCOL.md section 2).
 *
 * Changes are collected into a batch that leaves at most every
 * PRESENCE_MS: a lone change goes out at once, a storm of logins as one
 * write per session per batch instead of one per login. A batch is sent
 * to PRESENCE_SLICE sessions a turn, so that telling 10,000 sessions does
 * not hold up the logins and messages of that moment; changes made while
 * a batch is going out wait in the next one.
 */
#include <stdbool.h>
#include <string.h>

#include "net/loop.h"
#include "proto/build.h"
#include "server/relay_int.h"
#include "util/xmalloc.h"

#define PRESENCE_MS 100
#define PRESENCE_MAX (256 * 1024) /* a batch this big leaves at once */
#define PRESENCE_SLICE 128 /* sessions told per turn */

/*
 * The user's USER line, built again only when the presence it tells has
 * changed: every login sends every line, and tells every session.
 */
static const char *
presence_line(struct srv_user *u, size_t *len)
{
	struct proto_writer w;
	bool online = server_user_online(u) || u->light;

	if (u->linelen == 0 || u->line_online != online ||
	    u->line_seen != u->last_seen) {
		proto_writer_init(&w, u->line, sizeof u->line);
		proto_writer_begin(&w, PROTO_V_USER);
		proto_writer_str(&w, u->name);
		proto_writer_str(&w, online ? "online" : "offline");
		proto_writer_u64(&w, u->last_seen);
		if (proto_writer_end(&w, &u->linelen) != 0)
			u->linelen = 0;
		u->line_online = online;
		u->line_seen = u->last_seen;
	}
	*len = u->linelen;
	return u->line;
}

/*
 * The contact list: one USER line per registered user, in one write. It
 * tells the present, so the batch going out now is not for s.
 */
void
server_presence_send_users(struct server_relay *r, struct srv_sess *s)
{
	struct server_directory *d = &r->dir;
	const char *line;
	size_t i, n, len = 0;

	for (i = 0; i < d->nusers; i++) {
		line = presence_line(d->list[i], &n);
		XGROW(d->clist, d->capclist, len + n, 4096);
		memcpy(d->clist + len, line, n);
		len += n;
	}
	s->pres_done = d->out.gen;
	s->pres_col = d->col.gen;
	s->pres_skip = d->col.n;
	if (len > 0 && !s->gone) {
		server_session_send(s, d->clist, len);
		r->st.frames_out += d->nusers - 1;
	}
}

/* Tell every logged-in session about u's presence, with the next batch. */
void
server_presence_change(struct server_relay *r, struct srv_user *u)
{
	struct srv_batch *b = &r->dir.col;
	const char *line;
	size_t n;

	line = presence_line(u, &n);
	XGROW(b->buf, b->cap, b->len + n, 4096);
	XGROW(b->ent, b->capent, b->n + 1, 64);
	b->ent[b->n].u = u;
	b->ent[b->n].off = b->len;
	b->ent[b->n].len = n;
	b->n++;
	memcpy(b->buf + b->len, line, n);
	b->len += n;
	u->pres_gen = b->gen;
}

/*
 * Batch b to s, but no line about s's own user, nor those collected
 * before s logged in: its contact list told them.
 */
static void
presence_send(
    struct server_relay *r, const struct srv_batch *b, struct srv_sess *s)
{
	size_t i = s->pres_col == b->gen ? s->pres_skip : 0, from, lines = 0;

	if (i == 0 && s->user->pres_gen < b->gen) {
		server_session_send(s, b->buf, b->len);
		r->st.frames_out += b->n - 1;
		return;
	}
	from = i < b->n ? b->ent[i].off : b->len;
	for (; i <= b->n && !s->gone; i++) {
		if (i < b->n && b->ent[i].u != s->user) {
			lines++;
			continue;
		}
		/* Send the run before this line of s's own, skip it. */
		if (lines > 0) {
			server_session_send(s, b->buf + from,
			    (i < b->n ? b->ent[i].off : b->len) - from);
			r->st.frames_out += lines - 1;
		}
		lines = 0;
		if (i < b->n)
			from = b->ent[i].off + b->ent[i].len;
	}
}

/*
 * Send the batch going out to up to max sessions that lack it (every one
 * with SIZE_MAX), from where the last slice stopped; whether some still
 * lack it. New sessions go to the head of the list and have what is
 * going out in their contact list.
 */
static bool
presence_slice(struct server_relay *r, size_t max)
{
	struct server_directory *d = &r->dir;
	struct srv_sess *s;
	size_t n = 0;

	for (s = d->pres_next; s != NULL; s = LIST_NEXT(s, entry)) {
		if (s->user == NULL || s->gone || s->pres_done >= d->out.gen)
			continue;
		if (n == max) {
			d->pres_next = s;
			return true;
		}
		/* Only pres_done: the lines of col are not s's yet, the
		 * skip is for those its contact list told it. */
		presence_send(r, &d->out, s);
		s->pres_done = d->out.gen;
		n++;
	}
	d->pres_next = NULL;
	d->sending = false;
	return false;
}

/* The collected batch becomes the one going out; a new one collects. */
static void
presence_swap(struct server_relay *r)
{
	struct server_directory *d = &r->dir;
	struct srv_batch t = d->out;

	d->out = d->col;
	d->col = t;
	d->col.gen = d->out.gen + 1;
	d->col.n = d->col.len = 0;
	d->sending = true;
	d->pres_next = LIST_FIRST(&r->ss.list);
}

/* s leaves the list: the next slice must not start from it. */
void
server_presence_forget(struct server_relay *r, struct srv_sess *s)
{
	if (r->dir.pres_next == s)
		r->dir.pres_next = LIST_NEXT(s, entry);
}

/* Send everything collected to everyone, now. */
void
server_presence_flush(struct server_relay *r)
{
	struct server_directory *d = &r->dir;

	net_timer_stop(r->loop, &d->pres_timer);
	if (d->sending)
		presence_slice(r, SIZE_MAX);
	if (d->col.n > 0) {
		presence_swap(r);
		presence_slice(r, SIZE_MAX);
	}
}

/* The next slice, or the next batch, is due. */
static void
presence_timer(struct net_timer *t, void *arg)
{
	(void)t;
	server_presence_due(arg);
}

/*
 * At the end of a turn and from the timer: a slice of the batch going
 * out; when it is out, the collected one if PRESENCE_MS have passed since
 * the last one started. The timer brings back what is left.
 */
void
server_presence_due(struct server_relay *r)
{
	struct server_directory *d = &r->dir;
	uint64_t now = net_loop_now(r->loop), wait = 0;

	if (d->sending && presence_slice(r, PRESENCE_SLICE))
		goto again;
	if (d->col.n == 0)
		return;
	if (now - d->pres_sent < PRESENCE_MS && d->col.len < PRESENCE_MAX) {
		wait = d->pres_sent + PRESENCE_MS - now;
		goto again;
	}
	presence_swap(r);
	d->pres_sent = now;
	if (!presence_slice(r, PRESENCE_SLICE))
		return;
again:
	if (!net_timer_is_active(&d->pres_timer)) {
		net_timer_init(&d->pres_timer, presence_timer, r);
		net_timer_start(r->loop, &d->pres_timer, wait);
	}
}
