#!/usr/bin/env python3
"""Clicks through the search page (server/page.html) in headless Chromium over the DevTools
protocol on a pipe (--remote-debugging-pipe: requests on fd 3, answers on fd 4, NUL-separated
JSON), as a shopper would: a brand facet, a price facet, the explain toggle, a new query typed
into the box, and Back. Each step checks the URL the page wrote and the hits it drew.

Usage: page_interact.py CHROMIUM BASE_URL WORK_DIR. Exit 0 when every step passed, 1 otherwise.
Called by tests/page_chromium.sh."""
import fcntl
import json
import os
import subprocess
import sys
import time
import urllib.parse

CHROMIUM, BASE, WORK = sys.argv[1:4]


class Browser:
    def __init__(self):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # The child's fd 3 reads our requests and its fd 4 writes the answers. The child's ends are
        # moved above 10 first (close-on-exec, as every other fd here), so that the dup2()s below
        # cannot overwrite one another.
        for_child = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_chrome_r, from_chrome_w)]
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def fds():
            os.dup2(for_child[0], 3)  # inheritable: survives the exec
            os.dup2(for_child[1], 4)
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--user-data-dir=" + os.path.join(WORK, "chromium-interact"), "--remote-debugging-pipe", "about:blank"],
            preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(WORK, "chromium-interact.log"), "wb"))
        for fd in for_child:
            os.close(fd)
        self.next_id = 0
        self.buf = b""
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:  # events come too: read to our answer
            while b"\0" not in self.buf:
                chunk = os.read(self.from_chrome, 65536)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(method + ": " + json.dumps(answer["error"]))
                return answer["result"]

    def open(self, url):
        target = self.send("Target.createTarget", {"url": url}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]

    def eval(self, expression):
        r = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("page script: " + json.dumps(r["exceptionDetails"])[:500])
        return r["result"].get("value")

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# What the page shows once its latest search has been drawn: waits (up to 15 s) until the status
# line no longer says "searching…" and `ready` (a JS expression) holds.
SETTLED = """
(async () => {
  const until = Date.now() + 15000;
  while (Date.now() < until) {
    const status = document.getElementById("status");  // null while the page is still loading
    if (status && !status.textContent.startsWith("searching") && (%s)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    search: decodeURIComponent(location.search),
    skus: [...document.querySelectorAll(".hit")].map((h) => h.dataset.sku),
    chips: [...document.querySelectorAll("#filters .chip")].map((c) => c.textContent),
    explains: document.querySelectorAll(".hit .explain").length,
    status: document.getElementById("status").textContent,
    q: document.getElementById("q").value,
  };
})()
"""


def settled(b, ready="true"):
    for _ in range(50):
        try:
            return b.eval(SETTLED % ready)
        except RuntimeError as e:  # the page navigated away under the evaluation: ask the new one
            if "context" not in str(e):
                raise
            time.sleep(0.1)
    raise RuntimeError("the page kept navigating")


failures = []


def check(cond, what, state):
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else " -- page state: " + json.dumps(state, ensure_ascii=False)))
    if not cond:
        failures.append(what)


b = Browser()
try:
    b.open(BASE + "/?q=" + urllib.parse.quote("连衣裙"))
    s = settled(b, 'document.querySelectorAll(".hit").length > 0')
    check("dress1-0" in s["skus"] and len(s["skus"]) >= 2, "the query from the URL shows several dresses", s)

    # A brand facet: the URL gets brand=, only that brand's item is left, a chip names it.
    b.eval('document.querySelector(\'.facet[data-facet="brand"][data-value="优衣库"]\').click()')
    s = settled(b, 'location.search.includes("brand=")')
    check("brand=优衣库" in s["search"] and s["skus"] == ["dress1-0"], "clicking the brand facet filters to it", s)
    check(any("优衣库" in c for c in s["chips"]), "the brand filter shows as a chip", s)

    # Removing it with its chip, then a price band: price_min and price_max in the URL, every hit in it.
    b.eval('document.querySelector("#filters .chip").click()')
    s = settled(b, '!location.search.includes("brand=")')
    check(len(s["skus"]) >= 2 and not s["chips"], "the chip removes the filter", s)
    band = b.eval('document.querySelector(\'.facet[data-facet="price"]\').dataset.value')
    b.eval('document.querySelector(\'.facet[data-facet="price"]\').click()')
    s = settled(b, 'location.search.includes("price_min=")')
    lo, hi = band.split("..")
    check("price_min=" + lo in s["search"] and ("price_max=" + hi in s["search"] if hi else True), "clicking a price band sets it", s)
    prices = b.eval('[...document.querySelectorAll(".hit .eff")].map((e) => e.textContent)')
    in_band = all(float(p.lstrip("¥")) >= float(lo) and (not hi or float(p.lstrip("¥")) <= float(hi)) for p in prices)
    check(bool(prices) and in_band, "every hit's effective price is in the band " + band, {"prices": prices})

    # The explain toggle: explain=1 in the URL and a breakdown under every hit.
    b.eval('document.getElementById("explain").click()')
    s = settled(b, 'document.querySelectorAll(".hit .explain").length > 0')
    check("explain=1" in s["search"] and s["explains"] == len(s["skus"]) > 0, "the explain toggle shows each hit's breakdown", s)

    # A new query typed in the box: a new URL without the old filters.
    b.eval('document.getElementById("q").value = "钥匙扣"; document.getElementById("search").requestSubmit()')
    s = settled(b, 'decodeURIComponent(location.search).includes("钥匙扣")')
    check("q=钥匙扣" in s["search"] and "price_min" not in s["search"] and s["skus"], "a typed query searches anew", s)

    # Back: the previous search again, from the URL.
    b.eval("history.back()")
    s = settled(b, 'decodeURIComponent(location.search).includes("连衣裙")')
    check(s["q"] == "连衣裙" and "price_min=" in s["search"] and "explain=1" in s["search"], "Back restores the previous search", s)
finally:
    b.close()

sys.exit(1 if failures else 0)
