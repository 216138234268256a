#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The baseline for files through the relay: SIZE MiB (default 512) copied
# over one loopback TCP connection into a file that is then fsynced, with
# no relay between. The sender writes a 1 MiB block of random bytes from
# memory (as termgram-bench files does); the receiver writes what it reads
# to a file in TMPDIR and fsyncs it. The time runs from connect() to the
# end of the fsync.
#   usage: bench/loopcopy.sh [SIZE_MIB]
#   prints: size_mib=… seconds=… mib_per_s=…
set -eu
mib=${1:-512}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/termgram-loopcopy.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
python3 - "$mib" "$tmp/copy.bin" <<'PY'
import os, socket, sys, threading, time

mib, path = int(sys.argv[1]), sys.argv[2]
total = mib << 20
lsn = socket.socket()
lsn.bind(("127.0.0.1", 0))
lsn.listen(1)
port = lsn.getsockname()[1]
block = os.urandom(1 << 20)

def send():
    s = socket.create_connection(("127.0.0.1", port))
    for _ in range(mib):
        s.sendall(block)
    s.close()

t0 = time.monotonic()
th = threading.Thread(target=send)
th.start()
conn, _ = lsn.accept()
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
buf = bytearray(1 << 20)
view = memoryview(buf)
got = 0
while True:
    n = conn.recv_into(buf)
    if n == 0:
        break
    off = 0
    while off < n:
        off += os.write(fd, view[off:n])
    got += n
os.fsync(fd)
os.close(fd)
t = time.monotonic() - t0
th.join()
if got != total:
    sys.exit("loopcopy: got %d of %d bytes" % (got, total))
print("size_mib=%d seconds=%.3f mib_per_s=%.1f" % (mib, t, mib / t))
PY
