/*
 * The relay-wide bound on output held for readers (--max-output-total).
 * Each session's output is bounded by its high mark (a sender to a full
 * reader is paused) and its hard cap; this bounds their sum, so that many
 * readers that do not read cannot each hold their high mark. Sessions
 * holding at least OUT_HEAVY bytes are counted in a list; while the sum
 * is over the bound, a session holding more than its share (the bound
 * over the number counted) is full like one over its high mark: a
 * message to it is stored, a sender of anything else to it is paused, and
 * its backlog waits. At the end of every turn the list is measured again
 * and a session back under its share takes its backlog and resumes its
 * senders. One that stays full past --max-stall is dropped as too slow
 * by the sweep (session.c), as one over its high mark is.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include "net/conn.h"
#include "server/relay_int.h"

#define OUT_HEAVY (64 * 1024) /* counted from this much output on */

/* s's output as it is now (0 once its connection is gone). */
static size_t
output_len(const struct srv_sess *s)
{
	return s->conn != NULL && !s->gone ? net_conn_out_len(s->conn) : 0;
}

/* Count s's output as len. */
static void
output_set(struct server_sessions *ss, struct srv_sess *s, size_t len)
{
	if (len < s->out_held)
		ss->out_freed += s->out_held - len;
	ss->out_total = ss->out_total - s->out_held + len;
	s->out_held = len;
}

/* Output was written to s: count it if it holds enough to matter. */
void
server_output_note(struct srv_sess *s)
{
	struct server_sessions *ss = &s->r->ss;
	size_t len = output_len(s);

	if (!s->heavy) {
		if (len < OUT_HEAVY)
			return;
		s->heavy = true;
		TAILQ_INSERT_TAIL(&ss->heavy, s, heavy_entry);
		ss->nheavy++;
	}
	output_set(ss, s, len);
}

/*
 * Whether s holds more than its share while the relay's output is over
 * --max-output-total; such a session is marked to be resumed once under.
 */
bool
server_output_full(struct srv_sess *s)
{
	struct server_sessions *ss = &s->r->ss;
	size_t cap = s->r->cfg.max_output_total;

	if (cap == 0 || !s->heavy || ss->out_total <= cap ||
	    s->out_held < cap / ss->nheavy)
		return false;
	s->over_share = true;
	return true;
}

/* s goes: its output is no longer counted. */
void
server_output_forget(struct srv_sess *s)
{
	struct server_sessions *ss = &s->r->ss;

	if (!s->heavy)
		return;
	output_set(ss, s, 0);
	TAILQ_REMOVE(&ss->heavy, s, heavy_entry);
	ss->nheavy--;
	s->heavy = false;
	s->over_share = false;
}

/*
 * The end of a turn: measure the counted sessions again (their output
 * drained meanwhile), stop counting those that hold little, and resume
 * those that were over their share and are not any more.
 */
void
server_output_turn(struct server_relay *r)
{
	struct server_sessions *ss = &r->ss;
	struct srv_sess *s, *next;

	if (ss->nheavy == 0)
		return;
	TAILQ_FOREACH(s, &ss->heavy, heavy_entry)
	output_set(ss, s, output_len(s));
	for (s = TAILQ_FIRST(&ss->heavy); s != NULL; s = next) {
		next = TAILQ_NEXT(s, heavy_entry);
		if (s->over_share &&
		    (s->conn == NULL || !net_conn_is_full(s->conn))) {
			s->over_share = false;
			if (server_output_full(s))
				continue;
			server_session_resume(s); /* may close s alone */
		}
		if (s->heavy && !s->over_share && s->out_held < OUT_HEAVY)
			server_output_forget(s);
	}
}
