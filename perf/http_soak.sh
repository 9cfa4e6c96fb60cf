#!/usr/bin/env bash
# Soak of the HTTP service (docs/http.md): searches on 2 connections and POST /documents from one
# writer for at least SECONDS, while the index goes through 3 changes from outside: `longtail
# optimize` (a new generation), a rebuild (`longtail build` into the same directory, a new
# generation) and `longtail update` (a batch in place). Reports failed requests (must be 0) and
# checks that every acknowledged update is visible: right after its answer (GET /items/{sku_id})
# and again at the end, after the swaps.
#
# Usage: perf/http_soak.sh LONGTAIL WORK_DIR [SKUS] [SECONDS] [THREADS]
#   LONGTAIL  the built CLI (build/cli/longtail)
#   WORK_DIR  generates WORK_DIR/cat (gen --skus SKUS --seed 1) and builds WORK_DIR/idx (2 shards)
#             unless they exist; writes WORK_DIR/soak.json (the report)
#   SKUS      catalog size, default 100000; SECONDS default 60; THREADS server threads, default 4 (a request
#             thread serves one keep-alive connection at a time: 2 searchers, the writer and checks)
#
# The writer's updates: each POST holds 20 records: price changes of catalog SKUs (a price unique
# to the request), 2 new SKUs and 1 deletion of an earlier new SKU. The rebuild is made from the
# catalog with every acknowledged update applied (what a source of truth would hold); the writer
# pauses while it runs (a build takes the index lock for its whole run). During optimize and the
# outside update the writer goes on: the server waits for the lock (--lock-wait 600).
# Exit 0 when no request failed and every acknowledged update is visible; 1 otherwise.
set -euo pipefail
lt=$(realpath "$1")
work=$2
skus=${3:-100000}
seconds=${4:-60}
threads=${5:-4}
mkdir -p "$work"
work=$(realpath "$work")
if [ ! -s "$work/cat/catalog.jsonl" ]; then
  "$lt" gen --skus "$skus" --seed 1 --out "$work/cat" > "$work/gen.log"
fi
if [ ! -s "$work/idx/CURRENT" ]; then
  "$lt" build -q --catalog "$work/cat/catalog.jsonl" --shops "$work/cat/shops.jsonl" --index "$work/idx" --shards 2 --threads 2
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$lt" serve --http "127.0.0.1:$port" --index "$work/idx" --threads "$threads" --lock-wait 600 --tmp-dir "$work" \
  > "$work/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  curl -fs "http://127.0.0.1:$port/health" > /dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.1
done
status=0
python3 - "$lt" "$work" "$port" "$seconds" <<'PY' || status=$?
import http.client, json, random, subprocess, sys, threading, time, urllib.parse

lt, work, port, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
cat = f"{work}/cat/catalog.jsonl"
queries = [l.split("\t")[1] for l in open(f"{work}/cat/queries.tsv", encoding="utf-8") if l.count("\t") >= 2][:2000]
# The writer's pool: the first 20000 catalog records.
pool = []
with open(cat, encoding="utf-8") as f:
    for line in f:
        pool.append(json.loads(line))
        if len(pool) == 20000:
            break

lock = threading.Lock()
stats = {"searches": 0, "search_failures": 0, "health_failures": 0, "posts": 0, "post_failures": 0, "records_acked": 0,
         "checks": 0, "not_visible_at_ack": 0, "not_visible_at_end": 0, "failures": []}
expected = {}      # sku_id -> price (cents) or None (deleted), as acknowledged
new_records = {}   # sku_id -> record of SKUs the soak added (for the rebuild)
stop = threading.Event()
writer_paused = threading.Event()
writer_idle = threading.Event()

last_use = {}  # connection -> when it was last used

def conn():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=900)

def request(c, method, path, body=None):
    # The server closes a keep-alive connection idle for 5 s (the writer's, while it pauses): a
    # client opens a new one instead of writing into the closed one, as HTTP clients do.
    if time.time() - last_use.get(id(c), time.time()) > 4:
        c.close()
    last_use[id(c)] = time.time()
    try:
        c.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        r = c.getresponse()
        return r.status, r.read()
    except Exception as e:  # a dropped connection is a failed request
        c.close()
        return 0, str(e).encode()

def fail(kind, what):
    with lock:
        stats[kind] += 1
        if len(stats["failures"]) < 20:
            stats["failures"].append(what)

def searcher(seed):
    rnd = random.Random(seed)
    c = conn()
    while not stop.is_set():
        q = rnd.choice(queries)
        st, body = request(c, "GET", "/search?limit=10&q=" + urllib.parse.quote(q))
        with lock:
            stats["searches"] += 1
        if st != 200 or b'"hits":' not in body:
            fail("search_failures", f"search {q!r}: {st} {body[:200]!r}")

def cents(p):
    return int(round(p * 100))

def visible(c, sku, want):
    st, body = request(c, "GET", "/items/" + urllib.parse.quote(sku, safe=""))
    if want is None:
        return st == 404
    return st == 200 and cents(json.loads(body)["price"]) == want

def writer():
    rnd = random.Random(7)
    c = conn()
    n = 0
    added = []
    while not stop.is_set():
        if writer_paused.is_set():
            writer_idle.set()
            time.sleep(0.05)
            continue
        writer_idle.clear()
        n += 1
        lines, want = [], {}
        for k in range(17):
            r = dict(rnd.choice(pool))
            r["price"] = round(1 + n + k / 100, 2)  # unique to this request
            lines.append(r); want[r["sku_id"]] = cents(r["price"])
        for k in range(2):
            r = dict(rnd.choice(pool))
            r["sku_id"] = f"soak-{n}-{k}"
            r["price"] = round(10 + n / 100, 2)
            lines.append(r); want[r["sku_id"]] = cents(r["price"])
        deleted = None
        if added:
            deleted = added.pop(rnd.randrange(len(added)))
            lines.append({"sku_id": deleted, "deleted": True}); want[deleted] = None
        body = "\n".join(json.dumps(l, ensure_ascii=False) for l in lines).encode()
        st, resp = request(c, "POST", "/documents", body)
        with lock:
            stats["posts"] += 1
        if st != 200:
            fail("post_failures", f"POST /documents: {st} {resp[:300]!r}")
            continue
        a = json.loads(resp)
        if a["rejected"] != 0:
            fail("post_failures", f"POST /documents rejected lines: {a['errors']}")
        with lock:
            stats["records_acked"] += len(lines)
            for l in lines:
                if l.get("deleted"):
                    new_records.pop(l["sku_id"], None)
                elif l["sku_id"].startswith("soak-"):
                    new_records[l["sku_id"]] = l
            expected.update(want)
        added += [s for s in want if s.startswith("soak-") and want[s] is not None]
        for sku, p in want.items():
            with lock:
                stats["checks"] += 1
            if not visible(c, sku, p):
                fail("not_visible_at_ack", f"{sku}: expected {p} right after batch {a['batch']}")

def run(args):
    t = time.time()
    for attempt in range(100):  # an outside writer meets the server's writer at the lock: again
        p = subprocess.run([lt] + args, capture_output=True, text=True)
        if p.returncode == 0:
            return time.time() - t
        if "holds the index lock" not in p.stderr:
            raise SystemExit(f"{' '.join(args)}: {p.stderr}")
        time.sleep(0.2)
    raise SystemExit(f"{' '.join(args)}: index lock never free")

def rebuild():
    # The catalog with every acknowledged update applied, in one file (sku_id unique in a build).
    writer_paused.set()
    writer_idle.wait()
    with lock:
        exp = dict(expected)
        added = dict(new_records)
    src = f"{work}/rebuild.jsonl"
    with open(cat, encoding="utf-8") as f, open(src, "w", encoding="utf-8") as out:
        for line in f:
            i = line.index('"sku_id":"') + 10 if '"sku_id":"' in line else -1
            sku = line[i:line.index('"', i)] if i >= 10 else json.loads(line)["sku_id"]
            if sku in exp:
                if exp[sku] is None:
                    continue
                r = json.loads(line); r["price"] = exp[sku] / 100
                line = json.dumps(r, ensure_ascii=False) + "\n"
            out.write(line)
        for r in added.values():
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    s = run(["build", "-q", "--catalog", src, "--shops", f"{work}/cat/shops.jsonl", "--index", f"{work}/idx",
             "--shards", "2", "--threads", "2"])
    writer_paused.clear()
    return s

def outside_update():
    # 200 catalog SKUs outside the writer's pool get a new price by `longtail update`.
    rnd = random.Random(99)
    recs = []
    with open(cat, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 20000 and rnd.random() < 0.01:
                recs.append(json.loads(line))
            if len(recs) == 200:
                break
    for r in recs:
        r["price"] = round(r.get("price") or 1, 2) + 0.01
    with open(f"{work}/outside_delta.jsonl", "w", encoding="utf-8") as out:
        for r in recs:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    s = run(["update", "-q", "--index", f"{work}/idx", "--catalog", f"{work}/outside_delta.jsonl"])
    with lock:
        for r in recs:
            expected[r["sku_id"]] = cents(r["price"])
    return s

def health():
    c = conn()
    st, body = request(c, "GET", "/health")
    c.close()  # an open keep-alive connection would hold a server thread
    if st != 200:
        fail("health_failures", f"GET /health: {st} {body[:200]!r}")
        return {"generation": None, "batch": -1}
    return json.loads(body)

threads = [threading.Thread(target=searcher, args=(s,)) for s in (1, 2)] + [threading.Thread(target=writer)]
start = time.time()
for t in threads:
    t.start()
swaps = []
gen0 = health()["generation"]
for name, fn in (("optimize", lambda: run(["optimize", "--index", f"{work}/idx"])), ("rebuild", rebuild),
                 ("update", outside_update)):
    time.sleep(max(0, min(10, seconds / 6)))
    h0 = health()
    took = fn()
    deadline = time.time() + 10
    while time.time() < deadline:  # the server follows within its reopen interval
        h = health()
        if (name == "update" and h["batch"] > h0["batch"]) or (name != "update" and h["generation"] != h0["generation"]):
            break
        time.sleep(0.02)
    swaps.append({"change": name, "seconds": round(took, 2), "generation": h["generation"], "batch": h["batch"],
                  "followed": time.time() < deadline})
while time.time() - start < seconds:
    time.sleep(0.2)
stop.set()
for t in threads:
    t.join()
elapsed = time.time() - start
c = conn()
for sku, p in expected.items():
    if not visible(c, sku, p):
        fail("not_visible_at_end", f"{sku}: expected {p} at the end")
m = request(c, "GET", "/metrics")[1].decode()
stats.update({"seconds": round(elapsed, 1), "swaps": swaps, "skus_checked_at_end": len(expected),
              "generation_changes": next((l.split()[-1] for l in m.splitlines()
                                          if l.startswith("longtail_index_generation_changes_total ")), None),
              "reopens": next((l.split()[-1] for l in m.splitlines() if l.startswith("longtail_reopen_total ")), None),
              "reopen_seconds_total": next((l.split()[-1] for l in m.splitlines()
                                            if l.startswith("longtail_reopen_seconds_total ")), None),
              "reopen_max_seconds": next((l.split()[-1] for l in m.splitlines()
                                          if l.startswith("longtail_reopen_max_seconds ")), None)})
failed = stats["search_failures"] + stats["health_failures"] + stats["post_failures"] + stats["not_visible_at_ack"] + stats["not_visible_at_end"]
json.dump(stats, open(f"{work}/soak.json", "w"), indent=1, ensure_ascii=False)
print(f"soak: {elapsed:.0f} s, {stats['searches']} searches ({stats['search_failures']} failed), "
      f"{stats['posts']} POST /documents ({stats['post_failures']} failed, {stats['records_acked']} records acknowledged), "
      f"{len(expected)} SKUs checked at the end ({stats['not_visible_at_end']} not visible), "
      f"{stats['not_visible_at_ack']} not visible right after the answer; swaps: "
      + ", ".join(f"{s['change']} {s['seconds']} s{'' if s['followed'] else ' NOT FOLLOWED'}" for s in swaps))
for f in stats["failures"]:
    print("  failure:", f)
sys.exit(0 if failed == 0 and all(s["followed"] for s in swaps) else 1)
PY
kill "$server"
wait "$server" && stopped=0 || stopped=$?
trap - EXIT
echo "server stopped on SIGTERM: exit $stopped"
[ "$stopped" -eq 0 ] || status=1
exit "$status"
