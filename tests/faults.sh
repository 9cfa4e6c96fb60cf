#!/usr/bin/env bash
# The fault script of issue 25: repeats each fault case against the CLI and prints counts.
#
#   bash tests/faults.sh LONGTAIL_BINARY [WORK_DIR]
#
# Cases: generation swaps under search load; path mistakes that would overwrite inputs; foreign
# and swapped shards; a full disk mid-build (a file-size limit stands in for it); damaged
# generation files and journal; a live PID left in LOCK; orphan generations; serving beyond
# loopback; invalid UTF-8 in a query. Every case checks the documented exit code (README, "Exit
# codes": 0 success, 1 data or environment error, 2 usage error, 3 other schema) and that nothing
# indexed or given as input is lost. The last lines are the counts; exit 1 if any case failed.
# CTest runs it ("fault script: ..."), about a minute on 2 cores.
set -uo pipefail
lt=$(realpath "$1")
# Everything happens in WORK_DIR/run, emptied first (a second run must not find the first's files).
work=${2:-$(mktemp -d)}/run
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null' EXIT

cases=0 failed=0 lost=0
pass() { cases=$((cases + 1)); printf 'ok    %s\n' "$1"; }
fail() { cases=$((cases + 1)); failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; }
# expect CODE NAME CMD...: runs CMD (stdout and stderr to NAME.log), checks its exit code.
expect() {
  local want=$1 name=$2
  shift 2
  "$@" > "$name.log" 2>&1
  local got=$?
  if [ "$got" -eq "$want" ]; then pass "$name: exit $got"; else fail "$name: exit $got, expected $want ($(tail -n 2 "$name.log" | tr '\n' ' '))"; fi
}
# The top hit of a fixed query, the index's fingerprint for "nothing indexed was lost".
top() { "$lt" search --index "$1" --json -n 3 "连衣裙" 2>/dev/null | python3 -c 'import json,sys; print([h["sku_id"] for h in json.load(sys.stdin)["hits"]])'; }
same_top() {  # NAME INDEX BEFORE
  local now
  now=$(top "$2")
  if [ "$now" = "$3" ] && [ -n "$3" ]; then pass "$1: index intact"; else lost=$((lost + 1)); fail "$1: index changed or lost ($3 -> $now)"; fi
}

"$lt" gen --skus 6000 --seed 7 --out cat > gen.log 2>&1 || { echo "gen failed"; exit 1; }
"$lt" build -q --catalog cat/catalog.jsonl --shops cat/shops.jsonl --index idx --shards 2 > build.log 2>&1 || { cat build.log; exit 1; }
before=$(top idx)
[ -n "$before" ] || { echo "no hits for the fixed query"; exit 1; }

# --- 1. generation swaps under load -------------------------------------------------------
searches=0 search_failures=0
search_loop() {  # runs until stop file appears; one line per search: its exit code
  while [ ! -e stop ]; do
    "$lt" search --index idx -n 5 "连衣裙 红色" > /dev/null 2> search-err.$1.log
    echo $?
  done > "searches.$1"
}
rm -f stop
search_loop a &
search_loop b &
swaps=0
for i in $(seq 1 12); do
  if [ $((i % 4)) -eq 0 ]; then
    "$lt" build -q --catalog cat/catalog.jsonl --shops cat/shops.jsonl --index idx --shards 2 > swap.log 2>&1
  else
    "$lt" optimize --index idx > swap.log 2>&1
  fi
  [ $? -eq 0 ] && swaps=$((swaps + 1))
done
touch stop
wait
for f in searches.a searches.b; do
  searches=$((searches + $(wc -l < $f)))
  search_failures=$((search_failures + $(grep -vc '^0$' $f)))
done
if [ "$swaps" -eq 12 ] && [ "$search_failures" -eq 0 ] && [ "$searches" -ge 10 ]; then
  pass "generation swaps under load: $swaps swaps, $searches searches, $search_failures failed"
else
  fail "generation swaps under load: $swaps of 12 swaps, $searches searches, $search_failures failed ($(cat search-err.*.log | head -n 2 | tr '\n' ' '))"
fi
before=$(top idx)

# --- 2. path mistakes ------------------------------------------------------------------------
sum_before=$(sha256sum cat/catalog.jsonl)
expect 2 "build --rejects naming its own catalog" "$lt" build --catalog cat/catalog.jsonl --index idx --on-error skip --rejects cat/catalog.jsonl
expect 2 "build --rejects without --on-error skip" "$lt" build --catalog cat/catalog.jsonl --index idx --rejects rejects.txt
expect 2 "update --rejects naming its delta (another spelling)" "$lt" update --index idx --catalog cat/catalog.jsonl --on-error skip --rejects ./cat/../cat/catalog.jsonl
if [ "$(sha256sum cat/catalog.jsonl)" = "$sum_before" ]; then pass "the catalog is unchanged"; else lost=$((lost + 1)); fail "the catalog was overwritten"; fi
expect 2 "attach --out naming its own --index" "$lt" attach --index idx --out idx --remote 0=127.0.0.1:1
same_top "after the path mistakes" idx "$before"

# --- 3. shard identity -------------------------------------------------------------------------
"$lt" build -q --catalog cat/catalog.jsonl --index other --shards 2 > other.log 2>&1
cp -r idx swapped
g=$(cat swapped/CURRENT)
mv "swapped/$g/shard-000" "swapped/$g/tmp" && mv "swapped/$g/shard-001" "swapped/$g/shard-000" && mv "swapped/$g/tmp" "swapped/$g/shard-001"
expect 1 "two shards swapped" "$lt" search --index swapped "连衣裙"
grep -q "not shard 0 of this index" "two shards swapped.log" && pass "the swap is named" || fail "the swap is not named"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$lt" serve --index other --shard 0 --port "$port" > serve.log 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
expect 0 "attach a remote shard" "$lt" attach --index idx --out client --remote 0=127.0.0.1:$port
expect 1 "a remote shard of another index" "$lt" search --index client "连衣裙"
kill "$serve_pid" 2>/dev/null
expect 2 "serve beyond loopback without --allow-remote" timeout 10 "$lt" serve --index idx --shard 0 --port "$port" --interface 0.0.0.0

# --- 3b. serving: a connection cap, an idle timeout, following CURRENT -------------------------
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$lt" serve --index idx --shard 0 --port "$port2" --max-connections 3 --idle-timeout 2 > serve2.log 2>&1 &
serve2=$!
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$port2) 2>/dev/null && break; sleep 0.1; done
held=$(python3 - "$port2" "$serve2" <<'PY'
import socket, sys, time
port, server = int(sys.argv[1]), sys.argv[2]
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(10)]
time.sleep(1.0)
children = open(f"/proc/{server}/task/{server}/children").read().split()
closed = 0
for c in conns:
    c.settimeout(0.2)
    try:
        closed += c.recv(1 << 16) == b""  # a served connection gets Xapian's greeting, a refused one EOF
    except socket.timeout:
        pass
time.sleep(3.0)  # past --idle-timeout: the served ones are closed too
left = open(f"/proc/{server}/task/{server}/children").read().split()
print(len(children), closed, len(left))
PY
)
read -r kids refused left <<< "$held"
if [ "${kids:-99}" -le 3 ] && [ "${refused:-0}" -ge 7 ]; then pass "10 connections to a server capped at 3: $kids servers, $refused closed at once"; else fail "connection cap: $held"; fi
if [ "${left:-99}" -eq 0 ]; then pass "idle connections closed after --idle-timeout: $left servers left"; else fail "idle timeout: $held"; fi
port3=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$lt" serve --index idx --shard 1 --port "$port3" > serve3.log 2>&1 &
serve3=$!
for _ in $(seq 1 100); do (echo > /dev/tcp/127.0.0.1/$port3) 2>/dev/null && break; sleep 0.1; done
expect 0 "attach both shards of this index, served" "$lt" attach --index idx --out client2 --remote 0=127.0.0.1:$port2 --remote 1=127.0.0.1:$port3
expect 0 "optimize (1)" "$lt" optimize --index idx
expect 0 "optimize (2)" "$lt" optimize --index idx
expect 0 "a remote search after two generation swaps" "$lt" search --index client2 "连衣裙"
kill "$serve2" "$serve3" 2>/dev/null
wait "$serve2" "$serve3" 2>/dev/null
before=$(top idx)

# --- 4. a full disk mid-build --------------------------------------------------------------------
for i in 1 2 3; do
  bash -c "trap '' XFSZ; ulimit -f $((2000 + i * 3000)); exec \"$lt\" build -q --catalog cat/catalog.jsonl --shops cat/shops.jsonl --index idx --shards 2" > full.log 2>&1
  rc=$?
  if [ $rc -eq 1 ] && grep -q "File too large" full.log && ! grep -q terminate full.log; then
    pass "full disk mid-build ($i): exit 1 with the reason"
  elif [ $rc -eq 0 ]; then
    pass "full disk mid-build ($i): the limit was not reached (exit 0)"
  else
    fail "full disk mid-build ($i): exit $rc ($(tail -n 1 full.log))"
  fi
  same_top "after the full disk ($i)" idx "$before"
done
expect 0 "check after the full disks" "$lt" check --index idx
[ "$(top idx)" = "$before" ] && pass "the live index answers as before" || { lost=$((lost + 1)); fail "the live index changed"; }

# --- 5. damaged files and journal -----------------------------------------------------------------
cp -r idx dmg
g="dmg/$(cat dmg/CURRENT)"
python3 - "$g/integrity.json" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
i = next(k for k, c in enumerate(b) if chr(c) in '123456789')
b[i] = ord('1') if chr(b[i]) != '1' else ord('2')
open(p, 'wb').write(b)
EOF
expect 1 "check on a damaged integrity.json" "$lt" check --index dmg
truncate -s 1000 "$g/lexicon.bin"
gen_before=$(cat dmg/CURRENT)
expect 1 "optimize on a truncated lexicon.bin" "$lt" optimize --index dmg
[ "$(cat dmg/CURRENT)" = "$gen_before" ] && pass "optimize published nothing" || fail "optimize published a damaged generation"
rm -rf dmg
cp -r idx jrn
head -n 20 cat/catalog.jsonl > delta.jsonl
expect 1 "update that fails between shard commits" "$lt" update --index jrn --catalog delta.jsonl --fail-after-commits 1
echo '{"batch":' > "jrn/$(cat jrn/CURRENT)/update.journal"
expect 1 "check on a damaged journal" "$lt" check --index jrn
expect 1 "update on a damaged journal" "$lt" update --index jrn --catalog delta.jsonl
expect 0 "update --discard-journal" "$lt" update --index jrn --discard-journal
grep -q "lost: shard(s) 1 had not committed the batch" "update --discard-journal.log" && pass "the discard says what was lost" || fail "the discard does not say what was lost"
expect 0 "update after the discard (the delta sent again)" "$lt" update --index jrn --catalog delta.jsonl
expect 0 "check after the discard" "$lt" check --index jrn
rm -rf jrn

# --- 6. a live PID in LOCK, orphan generations --------------------------------------------------
cp -r idx lck
# A crashed update (shards at different batches, its journal left) whose PID now belongs to a live
# process that is no writer (PID reuse): readers used to wait for it, up to 10 s per open.
expect 1 "update that fails between shard commits (2)" "$lt" update --index lck --catalog delta.jsonl --fail-after-commits 1
echo $$ > lck/LOCK
t0=$(date +%s%N)
expect 0 "search with a live PID in LOCK" "$lt" search --index lck "连衣裙"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 3000 ] && pass "no stall: ${ms} ms" || fail "the search stalled ${ms} ms"
expect 0 "the next writer (completes the crashed batch)" "$lt" update --index lck --catalog delta.jsonl
expect 0 "check after it" "$lt" check --index lck
mkdir -p lck/gen-00000000000000aa-1-0/shard-000 && head -c 100000 /dev/urandom > lck/gen-00000000000000aa-1-0/shard-000/postlist.glass
expect 0 "check with an orphan generation" "$lt" check --index lck
grep -q "neither live nor kept" "check with an orphan generation.log" && pass "the orphan is reported" || fail "the orphan is not reported"
expect 0 "the next writer" "$lt" update --index lck --catalog delta.jsonl
[ ! -e lck/gen-00000000000000aa-1-0 ] && pass "the orphan was removed" || fail "the orphan is still there"
rm -rf lck

# --- 7. invalid UTF-8 and control characters in a query ----------------------------------------
"$lt" search --index idx --json "$(printf '连衣裙\377\376\303 \033[31m')" > utf8.json 2> utf8.err
if python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' utf8.json 2>/dev/null; then
  pass "JSON output is valid UTF-8"
else
  fail "JSON output is not valid UTF-8"
fi
"$lt" search --index idx "$(printf '连衣裙 \033[31m')" > table.txt 2>&1
if grep -q $'\033' table.txt; then fail "the table writes ESC to the terminal"; else pass "the table escapes control characters"; fi

same_top "at the end" idx "$before"
echo "fault cases: $cases, failed: $failed; generation swaps: $swaps, searches: $searches, failed searches: $search_failures; data lost: $lost"
[ "$failed" -eq 0 ]
