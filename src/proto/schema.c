/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "proto/schema.h"

static const char *const w_presence[] = {"online", "offline", NULL};
static const char *const w_rcpt[] = {"delivered", "read", NULL};
static const char *const w_onoff[] = {"on", "off", NULL};
static const char *const w_yesno[] = {"yes", "no", NULL};
static const char *const w_yes[] = {"yes", NULL};
static const char *const w_ack[] = {"stored", NULL};
static const char *const w_pinop[] = {"add", "remove", "drop", NULL};
static const char *const w_keep[] = {"keep", NULL};
static const char *const w_keeptake[] = {"keep", "take", NULL};
static const char *const w_rmode[] = {"open", "invite", NULL};
static const char *const w_rrole[] = {
    "owner", "admin", "member", "invited", "none", NULL};
static const char *const w_rmrole[] = {"owner", "admin", "member", NULL};
static const char *const w_rwho[] = {"none", "delivered", "read", NULL};
static const char *const w_revent[] = {"create", "join", "leave", "invite",
    "kick", "ban", "unban", "admin", "unadmin", "topic", NULL};

#define F(k, w)                                                                \
	{                                                                      \
		.kind = (k), .what = (w)                                       \
	}
#define FT(k, w, m)                                                            \
	{                                                                      \
		.kind = (k), .what = (w), .max = (m)                           \
	}
#define FE(w, l)                                                               \
	{                                                                      \
		.kind = K_ENUM, .what = (w), .words = (l)                      \
	}
#define FROM_TO F(K_NAME, "from"), F(K_NAME, "to")
#define FROM_DEST F(K_NAME, "from"), F(K_DEST, "to")
#define ROOM F(K_ROOM, "room")

/* Every verb of PROTOCOL.md with the shapes its fields may take. */
const struct proto_schema proto_schemas[PROTO_V_COUNT] = {
    [PROTO_V_LOGIN] = {"LOGIN", -1, 10,
        {{4,
             {F(K_INT, "version"), F(K_NAME, "name"),
                 FT(K_B64, "password", PROTO_MAX_TEXT), F(K_PORT, "p2p-port")}},
            /* keep: never take over a session online as this name. */
            {5,
                {F(K_INT, "version"), F(K_NAME, "name"),
                    FT(K_B64, "password", PROTO_MAX_TEXT),
                    F(K_PORT, "p2p-port"), FE("takeover", w_keep)}},
            /* A device-aware client: keep or take, and its device id
             * (docs/protocol.md "Several devices per account"). */
            {6,
                {F(K_INT, "version"), F(K_NAME, "name"),
                    FT(K_B64, "password", PROTO_MAX_TEXT),
                    F(K_PORT, "p2p-port"), FE("takeover", w_keeptake),
                    F(K_ID, "device-id")}}}},
    [PROTO_V_WELCOME] = {"WELCOME", -1, 1,
        {{4,
            {F(K_NAME, "name"), F(K_ID, "session-token"), F(K_INT, "max-frame"),
                F(K_INT, "server-ts")}}}},
    [PROTO_V_ERR] = {"ERR", -1, 1,
        {{3,
             {F(K_CODE, "code"), F(K_REF, "ref"),
                 FT(K_TEXT, "text", PROTO_MAX_TEXT)}},
            {2, {F(K_CODE, "code"), F(K_REF, "ref")}},
            {1, {F(K_CODE, "code")}}}},
    [PROTO_V_USER] = {"USER", -1, 1,
        {{3,
            {F(K_NAME, "name"), FE("presence", w_presence),
                F(K_INT, "last-seen")}}}},
    [PROTO_V_SYNCED] = {"SYNCED", -1, 1, {{0, {{0}}}}},
    [PROTO_V_PING] = {"PING", -1, 1, {{1, {F(K_WORD, "token")}}}},
    [PROTO_V_PONG] = {"PONG", -1, 1, {{1, {F(K_WORD, "token")}}}},
    [PROTO_V_BYE] = {"BYE", -1, 1,
        {{1, {F(K_WORD, "reason")}},
            {2, {F(K_WORD, "reason"), F(K_ADDR, "addr")}}}},
    [PROTO_V_RESUME] = {"RESUME", -1, 10,
        {{4,
            {F(K_INT, "version"), F(K_NAME, "name"), F(K_ID, "session-token"),
                F(K_PORT, "p2p-port")}}}},
    [PROTO_V_MSG] = {"MSG", 3, 1,
        {{5,
             {FROM_DEST, F(K_INT, "ts"), F(K_ID, "id"),
                 FT(K_TEXT, "body", PROTO_MAX_BODY)}},
            /* From the relay only: a room message and its seq. */
            {6,
                {FROM_DEST, F(K_INT, "ts"), F(K_ID, "id"),
                    FT(K_TEXT, "body", PROTO_MAX_BODY), F(K_INT, "seq")}}}},
    [PROTO_V_RCPT] = {"RCPT", 2, 1,
        {{4, {FROM_TO, F(K_ID, "id"), FE("state", w_rcpt)}}}},
    [PROTO_V_TYPING] = {"TYPING", -1, 1,
        {{3, {FROM_DEST, FE("state", w_onoff)}}}},
    [PROTO_V_ACK] = {"ACK", 0, 1, {{2, {F(K_ID, "id"), FE("state", w_ack)}}}},
    [PROTO_V_FOFFER] = {"FOFFER", 2, 1,
        {{6,
            {FROM_TO, F(K_ID, "xfer"), F(K_INT, "size"), F(K_HEX64, "sha256"),
                FT(K_TEXT, "name", PROTO_MAX_TEXT)}}}},
    [PROTO_V_FACCEPT] = {"FACCEPT", 2, 1,
        {{4, {FROM_TO, F(K_ID, "xfer"), F(K_INT, "offset")}}}},
    [PROTO_V_FREJECT] = {"FREJECT", 2, 1,
        {{4,
            {FROM_TO, F(K_ID, "xfer"), FT(K_TEXT, "reason", PROTO_MAX_TEXT)}}}},
    [PROTO_V_FDATA] = {"FDATA", 2, 0,
        {{5, {FROM_TO, F(K_ID, "xfer"), F(K_INT, "offset"), F(K_INT, "len")}}}},
    [PROTO_V_FACK] = {"FACK", 2, 0,
        {{4, {FROM_TO, F(K_ID, "xfer"), F(K_INT, "offset")}}}},
    [PROTO_V_FDONE] = {"FDONE", 2, 1, {{3, {FROM_TO, F(K_ID, "xfer")}}}},
    [PROTO_V_FCANCEL] = {"FCANCEL", 2, 1,
        {{4,
            {FROM_TO, F(K_ID, "xfer"), FT(K_TEXT, "reason", PROTO_MAX_TEXT)}}}},
    [PROTO_V_LOOKUP] = {"LOOKUP", -1, 1, {{1, {F(K_NAME, "name")}}}},
    [PROTO_V_PEER] = {"PEER", -1, 1,
        {{4,
             {F(K_NAME, "name"), F(K_IP, "ip"), F(K_PORT, "port"),
                 F(K_ID, "ticket")}},
            {5,
                {F(K_NAME, "name"), F(K_IP, "ip"), F(K_PORT, "port"),
                    F(K_ID, "ticket"), F(K_HEX64, "fingerprint")}}}},
    [PROTO_V_PHELLO] = {"PHELLO", -1, 1, {{3, {FROM_TO, F(K_ID, "ticket")}}}},
    [PROTO_V_VERIFY] = {"VERIFY", -1, 1,
        {{2, {F(K_NAME, "name"), F(K_ID, "ticket")}}}},
    [PROTO_V_VERIFIED] = {"VERIFIED", -1, 1,
        {{3, {F(K_NAME, "name"), F(K_ID, "ticket"), FE("answer", w_yesno)}},
            {4,
                {F(K_NAME, "name"), F(K_ID, "ticket"), FE("answer", w_yes),
                    F(K_HEX64, "fingerprint")}}}},
    [PROTO_V_PWELCOME] = {"PWELCOME", -1, 1, {{2, {FROM_TO}}}},
    [PROTO_V_ALIVE] = {"ALIVE", -1, 1,
        {{2, {F(K_NAME, "name"), F(K_ID, "session-token")}},
            {1, {F(K_INT, "pending")}},
            {4,
                {F(K_NAME, "name"), F(K_INT, "counter"), F(K_INT, "time"),
                    F(K_HEX64, "mac")}},
            {3,
                {F(K_INT, "pending"), F(K_INT, "counter"),
                    F(K_HEX64, "mac")}}}},
    [PROTO_V_STATS] = {"STATS", -1, 10,
        {{0, {{0}}}, {1, {FT(K_TEXT, "stats", PROTO_MAX_FRAME)}}}},
    [PROTO_V_DISCOVER] = {"DISCOVER", -1, 1,
        {{1, {F(K_INT, "version")}},
            {2, {F(K_INT, "version"), F(K_PAD, "padding")}}}},
    [PROTO_V_RELAY] = {"RELAY", -1, 1,
        {{2, {FT(K_TEXT, "relay-name", PROTO_MAX_TEXT), F(K_PORT, "tcp-port")}},
            {3,
                {FT(K_TEXT, "relay-name", PROTO_MAX_TEXT),
                    F(K_PORT, "tcp-port"), F(K_HEX64, "fingerprint")}}}},
    /* A request pin, unpin or list, or the answer's count: one word. */
    [PROTO_V_DEVICES] = {"DEVICES", -1, 1,
        {{1, {F(K_WORD, "op-or-count")}},
            /* add|fp and remove|fp (pins.c refuses a device that is
             * not a key), drop|device. */
            {2, {FE("op", w_pinop), F(K_DEVICE, "device")}}}},
    [PROTO_V_DEVICE] = {"DEVICE", -1, 1,
        {{2, {F(K_HEX64, "fingerprint"), F(K_INT, "added")}}}},
    /* One device holding a cursor, in the answer to DEVICES|active. */
    [PROTO_V_ACTIVE] = {"ACTIVE", -1, 1,
        {{5,
            {F(K_DEVICE, "device"), F(K_INT, "added"), F(K_INT, "last-seen"),
                FE("presence", w_presence), F(K_INT, "behind")}}}},
    /* How many devices hold a cursor on the user's inbox. */
    [PROTO_V_DEVCOUNT] = {"DEVCOUNT", -1, 1, {{1, {F(K_INT, "count")}}}},
    /* Rooms (docs/protocol.md "Rooms"): the room is the ERR's ref. */
    [PROTO_V_RCREATE] = {"RCREATE", 0, 1, {{2, {ROOM, FE("mode", w_rmode)}}}},
    [PROTO_V_RJOIN] = {"RJOIN", 0, 1, {{1, {ROOM}}}},
    [PROTO_V_RLEAVE] = {"RLEAVE", 0, 1, {{1, {ROOM}}}},
    [PROTO_V_RINVITE] = {"RINVITE", 0, 1, {{2, {ROOM, F(K_NAME, "name")}}}},
    [PROTO_V_RKICK] = {"RKICK", 0, 1,
        {{3, {ROOM, F(K_NAME, "name"), FT(K_TEXT, "reason", PROTO_MAX_TEXT)}}}},
    [PROTO_V_RBAN] = {"RBAN", 0, 1,
        {{3, {ROOM, F(K_NAME, "name"), FE("state", w_onoff)}}}},
    [PROTO_V_RADMIN] = {"RADMIN", 0, 1,
        {{3, {ROOM, F(K_NAME, "name"), FE("state", w_onoff)}}}},
    [PROTO_V_RTOPIC] = {"RTOPIC", 0, 1,
        {{2, {ROOM, FT(K_TEXT, "topic", PROTO_MAX_TEXT)}}}},
    [PROTO_V_RINFO] = {"RINFO", 0, 1,
        {{6,
            {ROOM, FE("mode", w_rmode), F(K_INT, "members"),
                FE("role", w_rrole), F(K_INT, "last"),
                FT(K_TEXT, "topic", PROTO_MAX_TEXT)}}}},
    [PROTO_V_RMEMBERS] = {"RMEMBERS", 0, 10,
        {{1, {ROOM}}, {2, {ROOM, F(K_INT, "count")}}}},
    [PROTO_V_RMEMBER] = {"RMEMBER", 0, 1,
        {{6,
            {ROOM, F(K_NAME, "name"), FE("role", w_rmrole),
                FE("presence", w_presence), F(K_INT, "delivered"),
                F(K_INT, "read")}}}},
    [PROTO_V_RLIST] = {"RLIST", -1, 10, {{0, {{0}}}, {1, {F(K_INT, "count")}}}},
    [PROTO_V_REVENT] = {"REVENT", 0, 1,
        {{7,
            {ROOM, F(K_INT, "seq"), F(K_INT, "ts"), F(K_NAME, "actor"),
                FE("kind", w_revent), F(K_TARGET, "target"),
                FT(K_TEXT, "text", PROTO_MAX_TEXT)}}}},
    [PROTO_V_RPOS] = {"RPOS", 0, 1,
        {{3, {ROOM, F(K_INT, "delivered"), F(K_INT, "read")}}}},
    [PROTO_V_RRCPT] = {"RRCPT", 0, 1, {{2, {ROOM, F(K_INT, "seq")}}}},
    [PROTO_V_RWHO] = {"RWHO", 0, 1,
        {{4, {ROOM, F(K_INT, "seq"), F(K_NAME, "name"), FE("state", w_rwho)}}}},
    [PROTO_V_RSTATE] = {"RSTATE", 0, 1,
        {{5,
            {ROOM, F(K_INT, "seq"), F(K_INT, "members"), F(K_INT, "delivered"),
                F(K_INT, "read")}}}},
};

/* The name of a verb as it stands on the wire. */
const char *
proto_verb_name(enum proto_verb v)
{
	if (v <= PROTO_V_NONE || v >= PROTO_V_COUNT)
		return "?";
	return proto_schemas[v].name;
}

/* Look a verb up by its upper-case name; PROTO_V_NONE if unknown. */
enum proto_verb
proto_verb_from_name(const char *s, size_t len)
{
	const char *name;
	int v;

	if (len == 0)
		return PROTO_V_NONE;
	for (v = 1; v < PROTO_V_COUNT; v++) {
		name = proto_schemas[v].name;
		/* The first letter rules out most verbs without a strlen. */
		if (name[0] == s[0] && strlen(name) == len &&
		    memcmp(name, s, len) == 0)
			return (enum proto_verb)v;
	}
	return PROTO_V_NONE;
}

/* The file frames stand together in enum proto_verb. */
_Static_assert(
    PROTO_V_FCANCEL - PROTO_V_FOFFER == 6, "file verbs must be contiguous");

/* Whether a verb is one of the file frames of section 4. */
bool
proto_verb_is_file(enum proto_verb v)
{
	return v >= PROTO_V_FOFFER && v <= PROTO_V_FCANCEL;
}

/* Whether a verb is one of the room requests and answers. */
bool
proto_verb_is_room(enum proto_verb v)
{
	return v >= PROTO_V_RCREATE && v <= PROTO_V_RSTATE;
}

/* Whether a verb is a routed frame: VERB|from|to|... (section 3 and 4). */
bool
proto_verb_is_routed(enum proto_verb v)
{
	return v == PROTO_V_MSG || v == PROTO_V_RCPT || v == PROTO_V_TYPING ||
	    proto_verb_is_file(v);
}

/*
 * The rate-limit tokens a frame of this verb takes: file data and its acks
 * are flow-controlled by the transfer window and cost nothing, a login or a
 * STATS costs ten, anything else one.
 */
unsigned
proto_verb_cost(enum proto_verb v)
{
	if (v <= PROTO_V_NONE || v >= PROTO_V_COUNT)
		return 1;
	return proto_schemas[v].cost;
}

/* The id or xfer a decoded frame is about, or "-" if its verb has none. */
struct proto_slice
proto_frame_ref(const struct proto_frame *fr)
{
	int ref;

	if (fr->verb <= PROTO_V_NONE || fr->verb >= PROTO_V_COUNT)
		return (struct proto_slice){"-", 1};
	ref = proto_schemas[fr->verb].ref;
	if (ref < 0 || (size_t)ref >= fr->nargs)
		return (struct proto_slice){"-", 1};
	return fr->arg[ref];
}

/*
 * The code of a decoded ERR frame: PROTO_ERR_UNKNOWN for a code section 7
 * does not list, PROTO_ERR_NONE for a frame that is not an ERR.
 */
enum proto_err
proto_frame_err_code(const struct proto_frame *fr)
{
	enum proto_err e;

	if (fr->verb != PROTO_V_ERR || fr->nargs < 1)
		return PROTO_ERR_NONE;
	if (proto_err_from_name(fr->arg[0].p, fr->arg[0].len, &e) != 0)
		return PROTO_ERR_UNKNOWN;
	return e;
}
