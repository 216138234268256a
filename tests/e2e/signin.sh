#!/usr/bin/env bash
# Signing in beside the full-screen client: a headless command refused
# leaves nothing behind and says why; one from another folder is another
# device and signs in beside it; --replace from the client's folder takes
# the session over; a client that was
# replaced says by whom and takes its name back with /reconnect; a relay
# restart is no error; a restart opens the conversation open at the quit;
# global options before the command word.
#   usage: tests/e2e/signin.sh BUILD_DIR
. "$(dirname "$0")/lib.sh"
start "$1"

register bob carol dan

# headless NAME FOLDER COMMAND [ARGS...]: a command as NAME with the data
# folder FOLDER of the temp folder, the password pw1.
headless() {
	local name=$1 dir=$2 cmd=$3

	shift 3
	TERMGRAM_PASSWORD=pw1 "$bin/termgram" "$cmd" --port "$port" \
	    --user "$name" --data "$tmp/$dir" "$@"
}

# first_to_bob FROM TEXT: the first message waiting for bob is FROM's
# TEXT.
first_to_bob() {
	local got

	got=$(cli bob recv --count 1 --timeout 20 | cut -f 2-)
	[ "$got" = "$1	$2" ] ||
	    fail "bob's first message was '$got', not $1's '$2'"
}

# Options before the command word work as they do after it.
"$bin/termgram" --port "$port" --user dan --data "$tmp/dan-cli" who \
    >"$tmp/who.out" 2>&1 || fail "options before who: $(cat "$tmp/who.out")"
grep -q "^bob	" "$tmp/who.out" || fail "who listed no bob: $(cat "$tmp/who.out")"
pass "termgram --port P --user dan who works as termgram who --port P ..."

# alice owns her name (a password) and logs in with the form.
client alice --login
wait_for alice "termgram — log in"
text alice alice
keys alice Tab
text alice pw1
keys alice Enter
wait_for alice "alice @ 127\\.0\\.0\\.1:$port · connected"

# A script with alice's folder: refused at once, nothing kept.
headless alice alice send bob "from the client's folder" 2>"$tmp/s1.out" &&
    fail "a send with the client's folder succeeded"
grep -q "alice is logged in with the full-screen client .*nothing was sent or kept.* --replace" \
    "$tmp/s1.out" || fail "the refusal did not say why: $(cat "$tmp/s1.out")"
pass "a send with the client's folder: $(cat "$tmp/s1.out")"

# From another folder, with the right password: another device of alice
# (its own key). It signs in beside the client, which is not taken over
# and shows the message as alice's own, in her conversation with bob.
headless alice script send bob "from elsewhere" 2>"$tmp/s2.out" ||
    fail "a send from another folder failed: $(cat "$tmp/s2.out")"
wait_for alice "alice: from elsewhere"
hides alice "replaced" || fail "alice's client was replaced"
first_to_bob alice "from elsewhere"
pass "a send from another folder is another device: the client stays, and shows it"

# --replace from the client's own folder (the same device) takes the
# session over; alice's client says by whom, and how to take it back.
headless alice alice send --replace bob "with replace" 2>"$tmp/s3.out" ||
    fail "send --replace failed: $(cat "$tmp/s3.out")"
wait_for alice "alice signed in from 127\\.0\\.0\\.1:[0-9]+; /reconnect takes the name back"
wait_for alice "alice @ 127\\.0\\.0\\.1:$port · replaced by a login from 127\\.0\\.0\\.1:[0-9]+ · /reconnect" 15
# Only the --replace's own message went: nothing was left from before.
first_to_bob alice "with replace"
pass "send --replace sends its message, and nothing left from before"
say alice "/reconnect"
wait_for alice "alice @ 127\\.0\\.0\\.1:$port · connected" 20
say alice "back again"
first_to_bob alice "back again"
pass "replaced: by whom, and /reconnect takes the name back"

# An open name: a send from elsewhere is refused by the relay, and its
# message is not kept to go later, before the next one from that folder.
client carol
wait_for carol "carol @ 127\\.0\\.0\\.1:$port · connected"
"$bin/termgram" send --port "$port" --user carol --data "$tmp/carol-script" \
    bob "while carol is online" 2>"$tmp/s4.out" &&
    fail "a send as carol succeeded while carol was online"
grep -q "carol is signed in elsewhere" "$tmp/s4.out" ||
    fail "the send as carol did not say why: $(cat "$tmp/s4.out")"
grep -q "replace" "$tmp/s4.out" &&
    fail "an open name was told to use --replace: $(cat "$tmp/s4.out")"
"$bin/termgram" send --replace --port "$port" --user carol \
    --data "$tmp/carol-script" bob "replace an open name" 2>"$tmp/s5.out" &&
    fail "a send --replace as carol succeeded while carol was online"
grep -q "add --replace" "$tmp/s5.out" &&
    fail "send --replace was told to add --replace: $(cat "$tmp/s5.out")"
grep -q "takes over only a name with a password" "$tmp/s5.out" ||
    fail "send --replace on an open name did not say why: $(cat "$tmp/s5.out")"
head -c 3000 /dev/urandom >"$tmp/file.bin"
"$bin/termgram" sendfile --port "$port" --user carol \
    --data "$tmp/carol-script" bob "$tmp/file.bin" 2>"$tmp/s6.out" &&
    fail "a sendfile as carol succeeded while carol was online"
if command -v sqlite3 >/dev/null; then
	[ "$(sqlite3 "$tmp/carol-script/client.db" \
	    "select count(*) from messages; select count(*) from xfers")" = \
	    "0
0" ] || fail "the refused commands left messages or offers behind"
fi
quit carol
tm kill-session -t carol
"$bin/termgram" send --port "$port" --user carol --data "$tmp/carol-script" \
    bob "once carol quit" 2>"$tmp/s5.out" ||
    fail "the send as carol failed: $(cat "$tmp/s5.out")"
first_to_bob carol "once carol quit"
pass "a refused send keeps nothing: the next one from its folder goes alone"

# The relay restarts: the client resumes or logs in again, and never
# shows the refused resume as an error.
kill -TERM "$relay_pid"
wait "$relay_pid" 2>/dev/null
wait_for alice "alice @ 127\\.0\\.0\\.1:$port · .*reconnecting in" 30
"$bin/termgramd" --bind 127.0.0.1 --port "$port" --data "$tmp/relay" \
    --max-per-address 0 --max-registrations 0 2>>"$tmp/relay.log" &
relay_pid=$!
relays="$relays $!"
deadline=$((SECONDS + 40))
until shows alice "alice @ 127\\.0\\.0\\.1:$port · connected"; do
	shows alice "Login refused|AUTH_FAILED|session token" &&
	    fail "alice's client showed the refused resume as an error"
	[ $SECONDS -lt $deadline ] || fail "alice never came back"
	sleep 0.05
done
grep -q "resume refused" "$tmp/alice/termgram.log" ||
    fail "the refused resume is not in the log"
pass "a relay restart: connected again, no error shown, the log says it"

# A restart opens the conversation that was open at the quit.
client dan
wait_for dan "dan @ 127\\.0\\.0\\.1:$port · connected"
open_convo dan carol
quit dan
tm kill-session -t dan
client dan
wait_for dan "dan @ 127\\.0\\.0\\.1:$port · connected"
wait_row dan 1 "│  carol  offline"
pass "dan's client opens carol's conversation again after a restart"

finish
