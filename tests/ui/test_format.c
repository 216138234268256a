/* SPDX-License-Identifier: MIT */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ui/format.h"

static int
setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return setlocale(LC_CTYPE, "C.UTF-8") == NULL ? -1 : 0;
}

static void
ui_format__size__picks_the_unit(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
	    {0, "0 B"},
	    {1023, "1023 B"},
	    {1024, "1.0 KiB"},
	    {1536, "1.5 KiB"},
	    {5.0 * 1024 * 1024, "5.0 MiB"},
	    {3.0 * 1024 * 1024 * 1024, "3.0 GiB"},
	    {2048.0 * 1024 * 1024 * 1024 * 1024, "2048.0 TiB"},
	};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ui_format_size(cases[i].v, out, sizeof out);
		assert_string_equal(out, cases[i].want);
	}
}

/* A transfer of 4 MiB to or from bob, half done at 1 MiB/s. */
static void
xfer_init(struct client_xfer *x, enum client_xfer_state st, bool out)
{
	memset(x, 0, sizeof *x);
	snprintf(x->peer, sizeof x->peer, "bob");
	snprintf(x->name, sizeof x->name, "a.bin");
	snprintf(x->path, sizeof x->path, "/home/u/a.bin");
	x->outgoing = out;
	x->state = st;
	x->size = 4 << 20;
	x->done = 2 << 20;
	x->rate = 1 << 20;
}

static void
ui_format__xfer__says_each_state(void **state)
{
	static const struct {
		enum client_xfer_state st;
		bool out, direct;
		const char *want;
	} cases[] = {
	    {CLIENT_XFER_ACTIVE, true, false,
	        "\xe2\x86\x91 a.bin \xe2\x96\x88\xe2\x96\x88\xe2\x96\x88"},
	    {CLIENT_XFER_ACTIVE, true, false,
	        "\xe2\x96\x91\xe2\x96\x91\xe2\x96\x91"
	        "  50% 2.0 MiB of 4.0 MiB, 1.0 MiB/s, 2 s left"},
	    {CLIENT_XFER_VERIFYING, true, false, ", verifying"},
	    {CLIENT_XFER_ACTIVE, false, true,
	        "\xe2\x86\x93\xe2\x87\x84 a.bin "},
	    {CLIENT_XFER_PAUSED, false, false, "  50%: paused"},
	    {CLIENT_XFER_DONE, true, false,
	        "\xe2\x86\x91 a.bin 4.0 MiB: verified, saved by bob"},
	    {CLIENT_XFER_DONE, false, false,
	        "\xe2\x86\x93 a.bin 4.0 MiB: verified, saved as /home/u/a.bin"},
	    {CLIENT_XFER_FAILED, false, false, "\xe2\x9c\x97 a.bin: "},
	    {CLIENT_XFER_INCOMING, false, false,
	        "\xe2\x86\x93 bob offers a.bin (4.0 MiB): Ctrl-O accept, "
	        "Ctrl-X reject"},
	    {CLIENT_XFER_HASHING, true, false,
	        "\xe2\x86\x91 a.bin (4.0 MiB): computing its SHA-256"},
	    {CLIENT_XFER_OFFERED, true, false,
	        "\xe2\x86\x91 a.bin (4.0 MiB): offered to bob, waiting"},
	};
	struct client_xfer x;
	char line[5200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		xfer_init(&x, cases[i].st, cases[i].out);
		x.direct = cases[i].direct;
		ui_format_xfer(&x, 200, line, sizeof line);
		if (strstr(line, cases[i].want) == NULL)
			fail_msg("case %zu: got \"%s\"", i, line);
	}
}

static void
ui_format__xfer__bar_is_a_fifth_of_the_width_from_6_to_30(void **state)
{
	struct client_xfer x;
	char line[5200];

	(void)state;
	xfer_init(&x, CLIENT_XFER_ACTIVE, true);
	x.done = x.size;
	ui_format_xfer(&x, 60, line, sizeof line);
	assert_int_equal(
	    (strstr(line, " 100%") - strstr(line, "\xe2\x96\x88")) / 3, 12);
	ui_format_xfer(&x, 500, line, sizeof line); /* at most 30 */
	assert_non_null(strstr(line, "\xe2\x96\x88 100%"));
	assert_int_equal(
	    (strstr(line, " 100%") - strstr(line, "\xe2\x96\x88")) / 3, 30);
	assert_null(strstr(line, "left")); /* nothing left: no ETA */
}

/*
 * Short of room the bar shrinks or goes, then the name loses its middle:
 * the numbers stay, and the line fits. A finished one keeps the end of
 * its path (the file's name); an offer keeps its keys.
 */
static void
ui_format__xfer__keeps_what_matters_when_narrow(void **state)
{
	struct client_xfer x;
	char line[5200];
	int w;

	(void)state;
	for (w = 50; w <= 120; w += 10) {
		xfer_init(&x, CLIENT_XFER_ACTIVE, false);
		snprintf(x.name, sizeof x.name,
		    "a quarterly report with a long name, final (2).pdf");
		ui_format_xfer(&x, w, line, sizeof line);
		if (ui_text_width(line, strlen(line)) > w ||
		    strstr(line, "1.0 MiB/s, 2 s left") == NULL)
			fail_msg("at %d: \"%s\"", w, line);
		x.state = CLIENT_XFER_INCOMING;
		ui_format_xfer(&x, w + 20, line, sizeof line);
		if (ui_text_width(line, strlen(line)) > w + 20 ||
		    strstr(line, "Ctrl-O accept, Ctrl-X reject") == NULL)
			fail_msg("offer at %d: \"%s\"", w + 20, line);
		x.state = CLIENT_XFER_DONE;
		snprintf(x.path, sizeof x.path,
		    "/home/someone/Downloads/termgram/%s", x.name);
		ui_format_xfer(&x, w + 10, line, sizeof line);
		if (ui_text_width(line, strlen(line)) > w + 10 ||
		    strstr(line, "(2).pdf") == NULL)
			fail_msg("done at %d: \"%s\"", w + 10, line);
	}
}

/*
 * An offer (and a file offered, waiting) keeps its keys at every width
 * from 36 columns (the pane's pinned line at 60x12) up: whole with the
 * name whole, else the keys first; nothing is wider than the line.
 */
static void
ui_format__xfer__offer_keys_first_when_short(void **state)
{
	struct client_xfer x;
	char line[5200];
	int w;

	(void)state;
	for (w = 36; w <= 140; w++) {
		xfer_init(&x, CLIENT_XFER_INCOMING, false);
		snprintf(
		    x.name, sizeof x.name, "holiday-photos-2026-final.tar");
		ui_format_xfer(&x, w, line, sizeof line);
		if (ui_text_width(line, strlen(line)) > w ||
		    (strncmp(line, "Ctrl-O accept, Ctrl-X reject: ", 30) != 0 &&
		        strncmp(line, "^O accept ^X reject", 19) != 0 &&
		        strstr(line, "Ctrl-O accept, Ctrl-X reject") == NULL) ||
		    strstr(line, "4.0 MiB") == NULL)
			fail_msg("offer at %d: \"%s\"", w, line);
		if (w >= 86 && strstr(line, x.name) == NULL)
			fail_msg("offer at %d lost its name: \"%s\"", w, line);
		x.state = CLIENT_XFER_OFFERED;
		x.outgoing = true;
		ui_format_xfer(&x, w, line, sizeof line);
		if (ui_text_width(line, strlen(line)) > w ||
		    (strstr(line, "Ctrl-X cancel") == NULL &&
		        strstr(line, "^X cancel") == NULL))
			fail_msg("offered at %d: \"%s\"", w, line);
	}
	/* 56 columns (80x24's pinned line): the keys whole, then the file
	 * (the line is in the offerer's conversation). */
	xfer_init(&x, CLIENT_XFER_INCOMING, false);
	snprintf(x.name, sizeof x.name, "big.bin");
	ui_format_xfer(&x, 56, line, sizeof line);
	assert_string_equal(line,
	    "Ctrl-O accept, Ctrl-X reject: \xe2\x86\x93 big.bin (4.0 MiB)");
}

/* Kept by the relay for a peer who is away: said so, in both places. */
static void
ui_format__xfer__says_stored_on_the_relay(void **state)
{
	struct client_xfer x;
	char line[5200], row[512];

	(void)state;
	xfer_init(&x, CLIENT_XFER_VERIFYING, true);
	x.stored = true;
	x.done = x.size;
	x.rate = 0;
	ui_format_xfer(&x, 120, line, sizeof line);
	assert_non_null(
	    strstr(line, " 100% 4.0 MiB of 4.0 MiB, stored on the relay"));
	assert_null(strstr(line, "verifying"));
	ui_format_xfer_row(&x, 1, 200, row, sizeof row);
	assert_string_equal(
	    row, "100% of 4.0 MiB \xc2\xb7 stored on the relay");
}

/* Nothing moved for a while: "stalled", no rate, no time left. */
static void
ui_format__xfer__says_stalled(void **state)
{
	struct client_xfer x;
	char line[5200], row[512];

	(void)state;
	xfer_init(&x, CLIENT_XFER_ACTIVE, false);
	x.stalled = true;
	ui_format_xfer(&x, 120, line, sizeof line);
	assert_non_null(strstr(line, " 50% 2.0 MiB of 4.0 MiB, stalled"));
	assert_null(strstr(line, "left"));
	ui_format_xfer_row(&x, 1, 200, row, sizeof row);
	assert_string_equal(
	    row, "50% of 4.0 MiB \xc2\xb7 active \xc2\xb7 stalled");
	/* No rate measured yet: none shown, rather than 0 B/s. */
	x.stalled = false;
	x.rate = 0;
	ui_format_xfer(&x, 120, line, sizeof line);
	assert_null(strstr(line, "B/s"));
	assert_non_null(strstr(line, " 50% 2.0 MiB of 4.0 MiB"));
}

static void
ui_format__xfer_is_moving__while_under_way(void **state)
{
	struct client_xfer x;

	(void)state;
	xfer_init(&x, CLIENT_XFER_ACTIVE, true);
	assert_true(ui_format_xfer_is_moving(&x));
	x.state = CLIENT_XFER_PAUSED;
	assert_true(ui_format_xfer_is_moving(&x));
	x.state = CLIENT_XFER_INCOMING;
	assert_false(ui_format_xfer_is_moving(&x));
	x.state = CLIENT_XFER_DONE;
	assert_false(ui_format_xfer_is_moving(&x));
}

static void
ui_format__badge__unread_before_progress(void **state)
{
	struct client_xfer x;
	char b[16];

	(void)state;
	xfer_init(&x, CLIENT_XFER_ACTIVE, false);
	ui_format_badge(0, NULL, b, sizeof b);
	assert_string_equal(b, "");
	ui_format_badge(0, &x, b, sizeof b);
	assert_string_equal(b, "50%");
	ui_format_badge(1, &x, b, sizeof b);
	assert_string_equal(b, "1");
	ui_format_badge(999, &x, b, sizeof b);
	assert_string_equal(b, "999");
	ui_format_badge(1000, NULL, b, sizeof b);
	assert_string_equal(b, ">999");
	/* An offer waiting is marked, with or without unread messages. */
	x.state = CLIENT_XFER_INCOMING;
	ui_format_badge(0, &x, b, sizeof b);
	assert_string_equal(b, "\xe2\x86\x93");
	ui_format_badge(3, &x, b, sizeof b);
	assert_string_equal(b,
	    "\xe2\x86\x93"
	    "3");
}

/* The sidebar's percentage and the bar's are the same figure. */
static void
ui_format__percent__same_in_sidebar_and_bar(void **state)
{
	struct client_xfer x;
	char b[16], line[5200], want[32];

	(void)state;
	xfer_init(&x, CLIENT_XFER_ACTIVE, false);
	for (x.done = 0; x.done <= x.size; x.done += x.size / 997) {
		ui_format_badge(0, &x, b, sizeof b);
		ui_format_xfer(&x, 200, line, sizeof line);
		snprintf(want, sizeof want, " %3s ", b);
		if (strstr(line, want) == NULL)
			fail_msg("sidebar %s, bar: %s", b, line);
	}
}

static void
ui_format__mark__by_delivery_state(void **state)
{
	struct client_entry e = {.state = CLIENT_MSG_PENDING};
	enum ui_color c;

	(void)state;
	assert_string_equal(ui_format_mark(&e, &c), "\xe2\x80\xa6");
	assert_int_equal(c, UI_COLOR_DIM);
	e.state = CLIENT_MSG_STORED;
	assert_string_equal(ui_format_mark(&e, &c), "\xe2\x9c\x93");
	e.state = CLIENT_MSG_DELIVERED;
	assert_string_equal(ui_format_mark(&e, &c), "\xe2\x9c\x93\xe2\x9c\x93");
	assert_int_equal(c, UI_COLOR_DIM);
	e.state = CLIENT_MSG_READ;
	assert_string_equal(ui_format_mark(&e, &c), "\xe2\x9c\x93\xe2\x9c\x93");
	assert_int_equal(c, UI_COLOR_READ); /* not delivered's colour */
	e.state = CLIENT_MSG_FAILED;
	assert_string_equal(ui_format_mark(&e, &c), "\xe2\x9c\x97");
	assert_int_equal(c, UI_COLOR_ERROR);
	e.state = CLIENT_MSG_RECEIVED;
	assert_string_equal(ui_format_mark(&e, &c), "");
}

static void
ui_format__status__connection_and_pending(void **state)
{
	struct ui_status_info s = {.me = "alice",
	    .relay = "lan:7733",
	    .state = CLIENT_ONLINE,
	    .detail = "",
	    .now = 10000};
	char line[512];

	(void)state;
	ui_format_status(&s, line, sizeof line);
	assert_string_equal(line, " alice @ lan:7733 \xc2\xb7 connected");
	s.pending = 3;
	ui_format_status(&s, line, sizeof line);
	assert_string_equal(
	    line, " alice @ lan:7733 \xc2\xb7 connected \xc2\xb7 3 pending");
	s.pending = 0;
	s.state = CLIENT_WAITING;
	s.retry_at = 11500; /* rounds up */
	ui_format_status(&s, line, sizeof line);
	assert_string_equal(
	    line, " alice @ lan:7733 \xc2\xb7 reconnecting in 2 s\xe2\x80\xa6");
	s.retry_at = 5000; /* past: 0 */
	ui_format_status(&s, line, sizeof line);
	assert_non_null(strstr(line, "reconnecting in 0 s"));
	/* Why, then when; shorter when the line has little room. */
	s.detail = "Connection refused";
	ui_format_status(&s, line, sizeof line);
	assert_string_equal(line,
	    " alice @ lan:7733 \xc2\xb7 Connection refused \xc2\xb7 "
	    "reconnecting in 0 s\xe2\x80\xa6");
	s.width = 50;
	ui_format_status(&s, line, sizeof line);
	assert_string_equal(line,
	    " alice @ lan:7733 \xc2\xb7 Connection refused \xc2\xb7 "
	    "retry in 0 s\xe2\x80\xa6");
	s.width = 0;
	s.detail = "";
	s.state = CLIENT_FAILED;
	s.detail = "wrong password";
	ui_format_status(&s, line, sizeof line);
	assert_string_equal(
	    line, " alice @ lan:7733 \xc2\xb7 refused: wrong password");
	/* Replaced: by whom, and how to take the name back (shorter when
	 * the line would not fit). */
	s.state = CLIENT_REPLACED;
	s.detail = "replaced by a login from 127.0.0.1:40312";
	ui_format_status(&s, line, sizeof line);
	assert_string_equal(line,
	    " alice @ lan:7733 \xc2\xb7 replaced by a login from "
	    "127.0.0.1:40312 \xc2\xb7 /reconnect takes the name back");
	s.width = 70;
	ui_format_status(&s, line, sizeof line);
	assert_string_equal(line,
	    " alice @ lan:7733 \xc2\xb7 replaced by a login from "
	    "127.0.0.1:40312 \xc2\xb7 /reconnect");
	s.width = 0;
	ui_format_status(&s, line, 12); /* cut, never overrun */
	assert_int_equal(strlen(line), 11);
}

static void
ui_format__times__clock_day_and_presence(void **state)
{
	/* 2024-03-05 14:07:09 UTC, a Tuesday. */
	uint64_t ms = 1709647629000ULL;
	char buf[64];

	(void)state;
	assert_string_equal(ui_format_clock(ms, buf, sizeof buf), "14:07");
	ui_format_day(ms, buf, sizeof buf);
	assert_string_equal(buf, " Tuesday 05 March 2024 ");
	ui_format_presence(true, ms, buf, sizeof buf);
	assert_string_equal(buf, "  online");
	ui_format_presence(false, ms, buf, sizeof buf);
	assert_string_equal(buf, "  offline, last seen 14:07");
	ui_format_presence(false, 0, buf, sizeof buf);
	assert_string_equal(buf, "  offline");
}

static void
ui_format__entry__wraps_with_a_date_line_when_the_day_changes(void **state)
{
	static char hello[] = "hello world", long_body[UI_ENTRY_BODY + 100];
	struct client_entry e[3] = {
	    {.sender = "al", .ts = 1709647629000ULL, .body = hello, .len = 11},
	    {.sender = "al", .ts = 1709647689000ULL, .body = hello, .len = 11},
	    {.sender = "bo", .ts = 1709747629000ULL, .body = long_body},
	};
	struct client_convo c = {.e = e, .n = 3};
	struct ui_entry_text *t = malloc(sizeof *t);

	(void)state;
	/* "al: hello world" at 10 columns: "al: hello", "world". */
	assert_int_equal(ui_format_entry(&c, 0, 10, t), 3);
	assert_true(t->date);
	assert_int_equal(t->namelen, 2);
	assert_int_equal(t->nline, 2);
	assert_memory_equal(t->text + t->line[0].off, "al: hello", 9);
	assert_int_equal(t->line[0].len, 9);
	assert_memory_equal(t->text + t->line[1].off, "world", 5);
	/* The same day: no date line. */
	assert_int_equal(ui_format_entry(&c, 1, 80, t), 1);
	assert_false(t->date);
	/* A new day, and a body past what is shown: cut to UI_ENTRY_BODY. */
	memset(long_body, 'x', sizeof long_body);
	e[2].len = sizeof long_body;
	assert_int_equal(ui_format_entry(&c, 2, 4000, t), 1 + 9);
	assert_true(t->date);
	assert_int_equal(t->line[8].off + t->line[8].len, 4 + UI_ENTRY_BODY);
	free(t);
}

static void
ui_format__clock__follows_time_format(void **state)
{
	uint64_t ms = 1709647629000ULL; /* 14:07:09 UTC */
	char buf[64];

	(void)state;
	ui_format_set_clock("%I:%M %p");
	assert_string_equal(ui_format_clock(ms, buf, sizeof buf), "02:07 PM");
	assert_int_equal(ui_format_clock_cols(), 9);
	ui_format_set_clock("%H:%M:%S");
	assert_string_equal(ui_format_clock(ms, buf, sizeof buf), "14:07:09");
	ui_format_set_clock(NULL);
	assert_string_equal(ui_format_clock(ms, buf, sizeof buf), "14:07");
	assert_int_equal(ui_format_clock_cols(), 6);
}

static void
ui_format__quote__first_line_of_the_quoted_cut_to_60(void **state)
{
	static const char reply[] = "> bob: lunch?\nyes, at noon";
	char out[512], big[200];
	size_t q, rest;

	(void)state;
	assert_int_equal(
	    ui_format_quote("bob", "lunch?\nor later", 16, out, sizeof out),
	    strlen("> bob: lunch?\n"));
	assert_string_equal(out, "> bob: lunch?\n");
	/* A reply is quoted by its own text, not by what it quoted. */
	ui_format_quote("al", reply, strlen(reply), out, sizeof out);
	assert_string_equal(out, "> al: yes, at noon\n");
	memset(big, 'x', sizeof big);
	ui_format_quote("bob", big, sizeof big, out, sizeof out);
	assert_int_equal(strlen(out), strlen("> bob: ") + 60 + 3 + 1);
	assert_memory_equal(out + strlen(out) - 4, "\xe2\x80\xa6\n", 4);
	assert_int_equal(ui_format_quote("bob", big, 10, out, 8), 0);
	/* What counts as a quote. */
	assert_true(ui_format_quoted(reply, strlen(reply), &q, &rest));
	assert_int_equal(q, strlen("bob: lunch?"));
	assert_string_equal(reply + rest, "yes, at noon");
	assert_false(ui_format_quoted("> bob: no line break", 20, &q, &rest));
	assert_false(ui_format_quoted(">bob: x\ny", 9, &q, &rest));
	assert_false(ui_format_quoted("> a b: x\ny", 10, &q, &rest));
	assert_false(ui_format_quoted("> just quoting\ny", 16, &q, &rest));
	assert_false(ui_format_quoted("> bob:\ny", 8, &q, &rest));
}

static void
ui_format__entry__a_reply_shows_its_quote_on_one_line(void **state)
{
	static char body[] = "> bob: a rather long question about lunch\nyes";
	struct client_entry e = {.sender = "al",
	    .ts = 1709647629000ULL,
	    .body = body,
	    .len = sizeof body - 1};
	struct client_convo c = {.e = &e, .n = 1};
	struct ui_entry_text *t = malloc(sizeof *t);

	(void)state;
	/* 24 columns: "al: ↪ bob: a rather lon…", then "yes". */
	assert_int_equal(ui_format_entry(&c, 0, 24, t), 1 + 2);
	assert_int_equal(t->nline, 2);
	assert_int_equal(t->quote_off, 4);
	assert_memory_equal(t->text + t->quote_off,
	    "\xe2\x86\xaa bob: a rather lon\xe2\x80\xa6", t->quote_len);
	assert_int_equal(t->line[0].cols, 24);
	assert_memory_equal(t->text + t->line[1].off, "yes", 3);
	free(t);
}

/* A quarter of x.bin from bob, at 1 MiB/s. */
static const struct client_xfer sample = {.peer = "bob",
    .name = "x.bin",
    .path = "/dl/x.bin",
    .size = 4 << 20,
    .done = 1 << 20,
    .rate = 1 << 20,
    .state = CLIENT_XFER_ACTIVE};

/* The three lines of x in the transfer list. */
static void
rows(const struct client_xfer *x, char l[3][512])
{
	int i;

	for (i = 0; i < 3; i++)
		ui_format_xfer_row(x, i, 200, l[i], sizeof l[i]);
}

static void
ui_format__xfer_row__state_rate_time_left_and_file(void **state)
{
	struct client_xfer x = sample;
	char l[3][512];

	(void)state;
	rows(&x, l);
	assert_string_equal(l[0], "\xe2\x86\x93 from bob \xc2\xb7 x.bin");
	assert_string_equal(l[1],
	    "25% of 4.0 MiB \xc2\xb7 active \xc2\xb7 1.0 MiB/s \xc2\xb7 3 s "
	    "left");
	assert_string_equal(l[2], "saving to /dl/x.bin");
	x.state = CLIENT_XFER_DONE;
	x.done = x.size;
	rows(&x, l);
	assert_string_equal(l[1], "100% of 4.0 MiB \xc2\xb7 done");
	assert_string_equal(l[2], "saved to /dl/x.bin");
	x.outgoing = true;
	x.state = CLIENT_XFER_OFFERED;
	rows(&x, l);
	assert_string_equal(l[0], "\xe2\x86\x91 to bob \xc2\xb7 x.bin");
	assert_non_null(strstr(l[1], "offered, waiting"));
	assert_string_equal(l[2], "from /dl/x.bin");
	x.state = CLIENT_XFER_FAILED;
	snprintf(x.reason, sizeof x.reason, "cancelled by the user");
	rows(&x, l);
	assert_string_equal(l[1], "100% of 4.0 MiB \xc2\xb7 failed");
	assert_string_equal(l[2], "cancelled by the user");
}

static void
ui_format__xfer_entry__progress_then_the_note_wrapped(void **state)
{
	struct client_xfer x = sample;
	struct ui_entry_text *t = malloc(sizeof *t);
	char note[256];

	(void)state;
	/* Live: the progress line after "*: ", wrapped. */
	assert_int_equal(ui_format_xfer_entry(&x, 40, t), 2);
	assert_int_equal(t->namelen, 1);
	assert_memory_equal(t->text, "*: \xe2\x86\x93 x.bin ", 12);
	assert_true(t->line[0].cols <= 40);
	assert_int_equal(ui_format_xfer_entry(&x, 200, t), 1);
	/* Ended: the note, wrapped. */
	x.state = CLIENT_XFER_DONE;
	assert_int_equal(ui_format_xfer_entry(&x, 20, t), 3);
	ui_format_xfer_note(&x, note, sizeof note);
	assert_string_equal(note, "file x.bin (4.0 MiB) saved to /dl/x.bin");
	x.outgoing = true;
	ui_format_xfer_note(&x, note, sizeof note);
	assert_string_equal(note, "file x.bin (4.0 MiB) sent to bob");
	x.state = CLIENT_XFER_FAILED;
	snprintf(x.reason, sizeof x.reason, "declined");
	ui_format_xfer_note(&x, note, sizeof note);
	assert_string_equal(note, "file x.bin (4.0 MiB) not sent: declined");
	free(t);
}

/* A notice's longest form that fits its width, else its last. */
static void
ui_format__notice__picks_the_form_that_fits(void **state)
{
	const char *n =
	    "3 files offered, by dave, heidi (Ctrl-O to accept)" UI_NOTICE_OR
	    "Ctrl-O accepts: 3 files, by dave, heidi" UI_NOTICE_OR
	    "Ctrl-O accepts 3 files";
	const char *f;
	size_t len;

	(void)state;
	f = ui_format_notice(n, 80, &len);
	assert_int_equal(len, 50);
	assert_memory_equal(f, "3 files offered", 15);
	f = ui_format_notice(n, 49, &len);
	assert_int_equal(len, 39);
	assert_memory_equal(f, "Ctrl-O accepts: 3", 17);
	f = ui_format_notice(n, 10, &len);
	assert_string_equal(f, "Ctrl-O accepts 3 files");
	f = ui_format_notice("one form only", 4, &len);
	assert_int_equal(len, 13);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ui_format__size__picks_the_unit),
	    cmocka_unit_test(ui_format__xfer__says_each_state),
	    cmocka_unit_test(
	        ui_format__xfer__bar_is_a_fifth_of_the_width_from_6_to_30),
	    cmocka_unit_test(ui_format__xfer__keeps_what_matters_when_narrow),
	    cmocka_unit_test(ui_format__xfer__offer_keys_first_when_short),
	    cmocka_unit_test(ui_format__xfer__says_stored_on_the_relay),
	    cmocka_unit_test(ui_format__xfer__says_stalled),
	    cmocka_unit_test(ui_format__xfer_is_moving__while_under_way),
	    cmocka_unit_test(ui_format__badge__unread_before_progress),
	    cmocka_unit_test(ui_format__percent__same_in_sidebar_and_bar),
	    cmocka_unit_test(ui_format__mark__by_delivery_state),
	    cmocka_unit_test(ui_format__status__connection_and_pending),
	    cmocka_unit_test(ui_format__times__clock_day_and_presence),
	    cmocka_unit_test(
	        ui_format__entry__wraps_with_a_date_line_when_the_day_changes),
	    cmocka_unit_test(ui_format__clock__follows_time_format),
	    cmocka_unit_test(ui_format__notice__picks_the_form_that_fits),
	    cmocka_unit_test(
	        ui_format__quote__first_line_of_the_quoted_cut_to_60),
	    cmocka_unit_test(
	        ui_format__entry__a_reply_shows_its_quote_on_one_line),
	    cmocka_unit_test(
	        ui_format__xfer_row__state_rate_time_left_and_file),
	    cmocka_unit_test(
	        ui_format__xfer_entry__progress_then_the_note_wrapped),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
