// The HTTP/JSON service (server/server.h, docs/http.md).
#include "server/server.h"

#include "common/json_writer.h"
#include "engine/report_json.h"

#include <signal.h>
#include <unistd.h>

#include <httplib.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <longtail/longtail.h>

#include "server/page.h"

namespace longtail::server {

namespace {

using Clock = std::chrono::steady_clock;

// ---- metrics ------------------------------------------------------------------------------------

enum Endpoint : size_t { kSearch, kItems, kDocuments, kHealth, kMetrics, kPage, kOther, kEndpoints };
constexpr std::array<const char*, kEndpoints> kEndpointNames = {"search", "items", "documents", "health",
                                                                 "metrics", "page", "other"};
// Latency buckets (seconds), Prometheus "le" bounds; +Inf is implicit.
constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,   5,    10};

Endpoint endpoint_of(const std::string& path) {
  if (path == "/search") return kSearch;
  if (path.rfind("/items/", 0) == 0) return kItems;
  if (path == "/documents") return kDocuments;
  if (path == "/health") return kHealth;
  if (path == "/metrics") return kMetrics;
  if (path == "/") return kPage;
  return kOther;
}

struct EndpointStats {
  std::atomic<uint64_t> requests{0}, client_errors{0}, server_errors{0};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last: +Inf
  std::atomic<uint64_t> latency_ns{0}, observed{0};
};

struct Metrics {
  std::array<EndpointStats, kEndpoints> ep;
  std::atomic<uint64_t> update_batches{0}, update_requests{0}, documents_accepted{0}, documents_rejected{0};
  std::atomic<uint64_t> reopens{0}, reopen_ns{0}, reopen_max_ns{0}, reopen_failures{0}, generation_changes{0};

  void observe(Endpoint e, double seconds) {
    auto& s = ep[e];
    size_t b = 0;
    while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
    s.buckets[b].fetch_add(1, std::memory_order_relaxed);
    s.latency_ns.fetch_add(uint64_t(seconds * 1e9), std::memory_order_relaxed);
    s.observed.fetch_add(1, std::memory_order_relaxed);
  }
  void count(Endpoint e, int status) {
    auto& s = ep[e];
    s.requests.fetch_add(1, std::memory_order_relaxed);
    if (status >= 500) s.server_errors.fetch_add(1, std::memory_order_relaxed);
    else if (status >= 400) s.client_errors.fetch_add(1, std::memory_order_relaxed);
  }
};

std::string prom_num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// ---- errors -------------------------------------------------------------------------------------

// A request the server refuses: status, message and the field (parameter, JSON key) at fault.
struct HttpError {
  int status;
  std::string message, field;
};

void send_json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& field = "") {
  std::string o;
  json::Writer w(o);
  w.object().field("error", message);
  if (!field.empty()) w.field("field", field);
  w.end();
  send_json(res, status, o);
}

// The field a library UsageError names: SearchRequest::from_json's `search request: "FIELD": …` and
// `unknown field "FIELD"`, the user preferences, and Searcher::search's own checks.
std::string field_of(const std::string& msg) {
  auto quoted_after = [&](std::string_view lead) -> std::optional<std::string> {
    const size_t p = msg.find(lead);
    if (p == std::string::npos) return std::nullopt;
    const size_t b = p + lead.size(), e = msg.find('"', b);
    if (e == std::string::npos) return std::nullopt;
    return msg.substr(b, e - b);
  };
  if (auto f = quoted_after("unknown field \"")) return msg.rfind("user preferences", 0) == 0 ? "user" : *f;
  if (msg.rfind("user preferences", 0) == 0) return "user";
  if (auto f = quoted_after("search request: \"")) return *f;
  if (msg.find("invalid JSON") != std::string::npos || msg.find("expected a JSON object") != std::string::npos) return "body";
  if (msg.find("limit") != std::string::npos) return "limit";
  if (msg.find("facet") != std::string::npos) return "facets";
  if (msg.find("price range") != std::string::npos) return "price_min";
  if (msg.find("--sort") != std::string::npos) return "sort";
  if (msg.find("profile") != std::string::npos) return "profile";
  return "request";
}

// ---- query strings ------------------------------------------------------------------------------

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: %XX and '+' for a space. A bad escape is a 400.
std::string url_decode(std::string_view s, const std::string& field) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1, lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) throw HttpError{400, "bad percent-escape in the query string", field};
      out += char(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The query string's parameters in order (a key may repeat). The whole target, to split '=' in
// a value (attr=颜色=红色) at the first one only, as httplib's own parser does not.
std::vector<std::pair<std::string, std::string>> query_params(const std::string& target) {
  std::vector<std::pair<std::string, std::string>> out;
  const size_t q = target.find('?');
  if (q == std::string::npos) return out;
  std::string_view qs(target);
  qs.remove_prefix(q + 1);
  if (const size_t h = qs.find('#'); h != std::string_view::npos) qs = qs.substr(0, h);
  while (!qs.empty()) {
    const size_t amp = qs.find('&');
    std::string_view part = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string key = url_decode(part.substr(0, eq), "query string");
    std::string value = eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1), key);
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

int64_t parse_int(const std::string& v, const std::string& field, int64_t lo, int64_t hi) {
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || x < lo || x > hi)
    throw HttpError{400, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi), field};
  return x;
}

double parse_price(const std::string& v, const std::string& field) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(x) || x < 0) throw HttpError{400, "must be a number >= 0", field};
  return x;
}

bool parse_bool(const std::string& v, const std::string& field) {
  if (v == "true" || v == "1" || v.empty()) return true;  // ?explain alone means on
  if (v == "false" || v == "0") return false;
  throw HttpError{400, "must be true or false (1 or 0)", field};
}

void split_commas(const std::string& v, std::vector<std::string>& out) {
  for (size_t b = 0;;) {
    const size_t e = v.find(',', b);
    std::string part = v.substr(b, e == std::string::npos ? std::string::npos : e - b);
    if (!part.empty()) out.push_back(std::move(part));
    if (e == std::string::npos) return;
    b = e + 1;
  }
}

// GET /search's parameters as a SearchRequest (docs/http.md lists them).
SearchRequest request_from_query(const std::string& target) {
  SearchRequest r;
  for (const auto& [k, v] : query_params(target)) {
    if (k == "q" || k == "query") r.query = v;
    else if (k == "limit") r.limit = uint32_t(parse_int(v, k, 1, 1000));
    else if (k == "offset") r.offset = uint32_t(parse_int(v, k, 0, 1000000));
    else if (k == "sort") {
      try {
        r.sort = parse_sort_order(v);
      } catch (const UsageError&) {
        throw HttpError{400, "unknown order \"" + v + "\" (relevance, sales, newness, price-asc, price-desc, rating)", k};
      }
    } else if (k == "category") r.categories.push_back(v);
    else if (k == "brand") r.brands.push_back(v);
    else if (k == "shop") r.shops.push_back(v);
    else if (k == "attr") {
      const size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) throw HttpError{400, "expected attr=KEY=VALUE", k};
      r.attrs.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (k == "price_min") r.price_min = parse_price(v, k);
    else if (k == "price_max") r.price_max = parse_price(v, k);
    else if (k == "facets") split_commas(v, r.facets);
    else if (k == "explain") r.explain = parse_bool(v, k);
    else if (k == "correct") r.correct = parse_bool(v, k);
    else if (k == "collapse") r.collapse = parse_bool(v, k);
    else if (k == "now") r.now = parse_int(v, k, 0, int64_t(32503680000));  // to the year 3000
    else if (k == "profile") r.profile = v;
    else throw HttpError{400, "unknown parameter", k};
  }
  if (r.price_min && r.price_max && *r.price_min > *r.price_max) throw HttpError{400, "is above price_max", "price_min"};
  return r;
}

// ---- auth ---------------------------------------------------------------------------------------

// Compares in time independent of where the strings differ.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char d = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return d == 0;
}

std::string presented_key(const httplib::Request& req) {
  if (req.has_header("X-API-Key")) return req.get_header_value("X-API-Key");
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  return "";
}

std::string temp_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  std::error_code ec;
  auto p = std::filesystem::temp_directory_path(ec);
  return ec ? std::string("/tmp") : p.string();
}

}  // namespace

// ---- the server ---------------------------------------------------------------------------------

struct Server::Impl {
  ServerOptions o;
  Searcher searcher;
  httplib::Server http;
  Metrics metrics;
  int port = 0;
  std::mutex writer;                    // one POST /documents at a time
  std::atomic<uint64_t> body_files{0};  // names of the bodies' temporary files

  // The index as the watcher last found it (GET /health, /metrics).
  mutable std::mutex health_mu;
  std::string open_error;  // why the last reopen failed; empty when it succeeded
  IndexInfo info;

  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool stopping = false;
  std::thread watcher;

  static thread_local Clock::time_point started;  // of the request this thread handles

  Impl(const ServerOptions& opts) : o(opts), searcher(opts.index_dir, SearcherOptions{.stage1_columns = true}) {
    info = searcher.info();
    setup();
    port = o.port == 0 ? http.bind_to_any_port(o.host) : (http.bind_to_port(o.host, o.port) ? o.port : -1);
    if (port <= 0)
      throw DataError("serve --http: cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + std::strerror(errno));
  }

  // Picks up the live generation and update batch (Searcher::reopen()), timed for /metrics.
  void reopen() {
    const auto t0 = Clock::now();
    std::string error;
    try {
      searcher.reopen();
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {  // nothing may end the watcher thread (and with it the process)
      error = "reopen failed (unknown error)";
    }
    const uint64_t ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
    metrics.reopens.fetch_add(1, std::memory_order_relaxed);
    metrics.reopen_ns.fetch_add(ns, std::memory_order_relaxed);
    for (uint64_t m = metrics.reopen_max_ns.load(); ns > m && !metrics.reopen_max_ns.compare_exchange_weak(m, ns);) {
    }
    if (!error.empty()) metrics.reopen_failures.fetch_add(1, std::memory_order_relaxed);
    IndexInfo now = searcher.info();
    std::lock_guard lk(health_mu);
    if (now.generation != info.generation) metrics.generation_changes.fetch_add(1, std::memory_order_relaxed);
    info = std::move(now);
    open_error = std::move(error);
  }

  void watch() {
    std::unique_lock lk(watch_mu);
    while (!watch_cv.wait_for(lk, std::chrono::milliseconds(o.reopen_interval_ms), [&] { return stopping; })) {
      lk.unlock();
      reopen();
      lk.lock();
    }
  }

  bool authorized(const httplib::Request& req, bool write) const {
    if (o.api_key.empty() || (!write && !o.api_key_reads)) return true;
    return same_secret(presented_key(req), o.api_key);
  }

  // Runs a handler: refusals (HttpError), a caller's mistake (UsageError: 400 naming the field)
  // and failures (500) become JSON errors.
  template <class F>
  void handle(httplib::Response& res, F&& f) {
    try {
      f();
    } catch (const HttpError& e) {
      send_error(res, e.status, e.message, e.field);
    } catch (const UsageError& e) {
      send_error(res, 400, e.what(), field_of(e.what()));
    } catch (const std::exception& e) {
      send_error(res, 500, e.what());
    }
  }

  // A profile a request names: a name in profiles_dir (no path).
  void resolve_profile(SearchRequest& r) const {
    if (r.profile.empty()) return;
    if (o.profiles_dir.empty()) throw HttpError{400, "this server takes no ranking profile from requests", "profile"};
    for (char c : r.profile)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
        throw HttpError{400, "a profile name is letters, digits, '-' and '_' (a file NAME.toml in the server's profiles directory)",
                        "profile"};
    r.profile = o.profiles_dir + "/" + r.profile + ".toml";
    if (!std::filesystem::is_regular_file(r.profile)) throw HttpError{400, "no such profile", "profile"};
  }

  void search(SearchRequest r, httplib::Response& res) {
    resolve_profile(r);
    for (const auto& f : r.facets)
      if (f != "category" && f != "brand" && f != "price")
        throw HttpError{400, "unknown facet \"" + f + "\" (category, brand, price)", "facets"};
    SearchResult result;
    try {
      result = searcher.search(r);
    } catch (const DataError&) {
      // Two generation swaps since the last reopen may have removed the generation this
      // Searcher read: move to the live one and answer from it.
      reopen();
      result = searcher.search(r);
    }
    send_json(res, 200, to_json(result, r.explain));
  }

  void item(const std::string& sku_id, httplib::Response& res) {
    std::optional<Hit> hit;
    try {
      hit = searcher.get(sku_id);
    } catch (const DataError&) {
      reopen();
      hit = searcher.get(sku_id);
    }
    if (!hit) throw HttpError{404, "no SKU with this sku_id", "sku_id"};
    // The hit's JSON exactly as GET /search writes it: the one element of a result's "hits".
    // Outside string literals (where a quote is always escaped) `,"hits":[` opens the array and
    // the last `],"terms":` closes it (the hit's display fields, raw JSON, may hold that text too,
    // but only strings follow the array).
    SearchResult one;
    one.hits.push_back(std::move(*hit));
    const std::string all = to_json(one);
    const size_t b = all.find(",\"hits\":[") + 9, e = all.rfind("],\"terms\":");
    send_json(res, 200, all.substr(b, e - b));
  }

  void documents(const httplib::Request& req, httplib::Response& res) {
    if (req.body.empty()) throw HttpError{400, "empty body: send JSON Lines, one SKU record (or deletion) a line", "body"};
    std::lock_guard lk(writer);
    const std::string path = temp_dir(o.tmp_dir) + "/longtail-documents-" + std::to_string(::getpid()) + "-" +
                             std::to_string(body_files.fetch_add(1)) + ".jsonl";
    struct Remove {
      std::string p;
      ~Remove() {
        std::error_code ec;
        std::filesystem::remove(p, ec);
      }
    } remove{path};
    {
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      f.write(req.body.data(), std::streamsize(req.body.size()));
      f.close();
      if (!f) throw HttpError{500, "cannot write the body to " + path, ""};
    }
    UpdateOptions u;
    u.catalog_files = {path};
    u.index_dir = o.index_dir;
    u.on_error = OnError::Skip;
    u.batch_size = o.update_batch_size;
    UpdateSummary s;
    // Another writer (a `longtail update`, build or optimize from outside) holds the index lock:
    // wait for it a while, then answer 503 (retry later).
    const auto give_up = Clock::now() + std::chrono::milliseconds(o.writer_lock_wait_ms);
    for (;;) {
      try {
        s = update_index(u);
        break;
      } catch (const UsageError& e) {
        throw HttpError{409, std::string("the index takes no updates: ") + e.what(), ""};
      } catch (const DataError& e) {
        const std::string m = e.what();
        if (m.find("holds the index lock") == std::string::npos) throw;
        if (Clock::now() >= give_up) {
          res.set_header("Retry-After", "1");
          throw HttpError{503, m, ""};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    metrics.update_requests.fetch_add(1, std::memory_order_relaxed);
    metrics.update_batches.fetch_add(s.batches, std::memory_order_relaxed);
    metrics.documents_accepted.fetch_add(s.records, std::memory_order_relaxed);
    metrics.documents_rejected.fetch_add(s.rejected, std::memory_order_relaxed);
    reopen();  // the answer promises the next search sees the batch
    uint64_t batch;
    {
      std::lock_guard hl(health_mu);
      batch = info.batch;
    }
    std::string body;
    json::Writer w(body);
    w.object().field("batch", batch);
    engine::update_summary_members(w, s);
    w.key("errors").array();
    for (const auto& e : s.errors) w.value(std::to_string(e.line) + ": " + e.field + ": " + e.reason);
    w.end().key("error_details").array();
    for (const auto& e : s.errors) w.object().field("line", e.line).field("field", e.field).field("reason", e.reason).end();
    w.end().end();
    send_json(res, 200, body);
  }

  void health(httplib::Response& res) {
    std::lock_guard lk(health_mu);
    std::string body;
    json::Writer w(body);
    w.object()
        .field("status", open_error.empty() ? "ok" : "unavailable")
        .field("index", o.index_dir)
        .field("generation", info.generation)
        .field("batch", info.batch)
        .field("shards", info.shards)
        .field("skus", info.skus)
        .field("items", info.items)
        .field("shops", info.shops)
        .field("built_at", info.built_at)
        .field("updated_at", info.updated_at);
    if (!open_error.empty()) w.field("error", open_error);
    w.end();
    send_json(res, open_error.empty() ? 200 : 503, body);
  }

  std::string metrics_text() const {
    std::string o;
    auto head = [&](const char* name, const char* type, const char* help) {
      o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    };
    auto per_endpoint = [&](const char* name, const char* help, auto get) {
      head(name, "counter", help);
      for (size_t e = 0; e < kEndpoints; ++e)
        o += std::string(name) + "{endpoint=\"" + kEndpointNames[e] + "\"} " + std::to_string(get(metrics.ep[e])) + "\n";
    };
    per_endpoint("longtail_http_requests_total", "HTTP requests answered, by endpoint",
                 [](const EndpointStats& s) { return s.requests.load(); });
    head("longtail_http_errors_total", "counter", "HTTP requests answered with 4xx (class=\"4xx\") or 5xx, by endpoint");
    for (size_t e = 0; e < kEndpoints; ++e)
      for (auto [cls, n] : {std::pair{"4xx", metrics.ep[e].client_errors.load()}, std::pair{"5xx", metrics.ep[e].server_errors.load()}})
        o += std::string("longtail_http_errors_total{endpoint=\"") + kEndpointNames[e] + "\",class=\"" + cls + "\"} " +
             std::to_string(n) + "\n";
    head("longtail_http_request_duration_seconds", "histogram",
         "Time from routing to the response's body, by endpoint (requests refused before routing are not observed)");
    for (size_t e = 0; e < kEndpoints; ++e) {
      const auto& s = metrics.ep[e];
      const std::string label = std::string("endpoint=\"") + kEndpointNames[e] + "\"";
      uint64_t cum = 0;
      for (size_t b = 0; b <= kBuckets.size(); ++b) {
        cum += s.buckets[b].load();
        o += "longtail_http_request_duration_seconds_bucket{" + label + ",le=\"" +
             (b < kBuckets.size() ? prom_num(kBuckets[b]) : std::string("+Inf")) + "\"} " + std::to_string(cum) + "\n";
      }
      o += "longtail_http_request_duration_seconds_sum{" + label + "} " + prom_num(double(s.latency_ns.load()) / 1e9) + "\n";
      o += "longtail_http_request_duration_seconds_count{" + label + "} " + std::to_string(s.observed.load()) + "\n";
    }
    IndexInfo i;
    bool ok;
    {
      std::lock_guard lk(health_mu);
      i = info;
      ok = open_error.empty();
    }
    auto gauge = [&](const char* name, const char* help, const std::string& value, const char* type = "gauge") {
      head(name, type, help);
      o += std::string(name) + " " + value + "\n";
    };
    head("longtail_index_generation_info", "gauge", "The live generation the server reads (label generation)");
    o += "longtail_index_generation_info{generation=\"" + i.generation + "\"} 1\n";
    gauge("longtail_index_generation_changes_total", "New generations the server moved to (build, optimize, attach)",
          std::to_string(metrics.generation_changes.load()), "counter");
    gauge("longtail_index_batch", "The last update batch the server sees", std::to_string(i.batch));
    gauge("longtail_index_shards", "Shards of the live generation", std::to_string(i.shards));
    gauge("longtail_index_skus", "SKUs in the index", std::to_string(i.skus));
    gauge("longtail_index_items", "Items in the index", std::to_string(i.items));
    gauge("longtail_index_up", "1 when the last reopen succeeded, 0 when the index could not be opened", ok ? "1" : "0");
    gauge("longtail_update_batches_total", "Update batches committed by POST /documents", std::to_string(metrics.update_batches.load()),
          "counter");
    gauge("longtail_update_requests_total", "POST /documents requests applied", std::to_string(metrics.update_requests.load()), "counter");
    gauge("longtail_update_records_total", "Records accepted by POST /documents", std::to_string(metrics.documents_accepted.load()),
          "counter");
    gauge("longtail_update_rejected_total", "Records rejected by POST /documents", std::to_string(metrics.documents_rejected.load()),
          "counter");
    gauge("longtail_reopen_total", "Searcher reopens (the watcher's and after each update)", std::to_string(metrics.reopens.load()),
          "counter");
    gauge("longtail_reopen_failures_total", "Reopens that failed", std::to_string(metrics.reopen_failures.load()), "counter");
    gauge("longtail_reopen_seconds_total", "Time spent in reopens", prom_num(double(metrics.reopen_ns.load()) / 1e9), "counter");
    gauge("longtail_reopen_max_seconds", "The longest reopen", prom_num(double(metrics.reopen_max_ns.load()) / 1e9));
    return o;
  }

  void setup() {
    http.new_task_queue = [n = o.threads] { return new httplib::ThreadPool(size_t(std::max(1, n))); };
    http.set_payload_max_length(o.max_body_bytes);
    http.set_read_timeout(o.read_timeout_s, 0);
    http.set_write_timeout(o.write_timeout_s, 0);
    http.set_keep_alive_timeout(o.keep_alive_timeout_s);
    // Requests per connection before the server closes it: a request thread serves one connection
    // at a time, so that connections beyond --threads get their turn.
    http.set_keep_alive_max_count(100);
    http.set_tcp_nodelay(true);

    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      started = Clock::now();
      if (req.target.size() > o.max_target_bytes) {
        send_error(res, 414, "the request target (path and query string) is longer than " + std::to_string(o.max_target_bytes) + " bytes",
                   "query string");
        return httplib::Server::HandlerResponse::Handled;
      }
      const bool write = req.method != "GET" && req.method != "HEAD" && !(req.method == "POST" && req.path == "/search");
      if (req.path != "/health" && !authorized(req, write)) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, "missing or wrong API key (header X-API-Key or Authorization: Bearer)", "X-API-Key");
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    // Counts every answer, also those httplib gives itself (413, 414, 404, 400), before it is
    // written: a client that reads /metrics after an answer finds that answer counted.
    http.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      const Endpoint e = endpoint_of(req.path);
      metrics.count(e, res.status);
      if (started != Clock::time_point{}) {
        metrics.observe(e, std::chrono::duration<double>(Clock::now() - started).count());
        started = Clock::time_point{};
      }
    });
    if (o.access_log)
      http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        std::fprintf(stderr, "%s %s %d %zu\n", req.method.c_str(), req.path.c_str(), res.status, res.body.size());
      });
    // httplib's own refusals (no route: 404, too large: 413, bad request: 400) as JSON errors.
    http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // ours already
      if (res.status == 404) send_error(res, 404, "no such endpoint: " + req.method + " " + req.path, "path");
      else if (res.status == 413) send_error(res, 413, "the body is larger than the server's limit", "body");
      else if (res.status == 414) send_error(res, 414, "the request target is too long", "query string");
      else if (res.status == 405) send_error(res, 405, "method not allowed: " + req.method + " " + req.path, "method");
      else send_error(res, res.status, res.status < 500 ? "bad request" : "server error");
      return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "internal error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      send_error(res, 500, what);
    });

    http.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(page_html(), "text/html; charset=utf-8"); });
    http.Get("/search", [this](const httplib::Request& req, httplib::Response& res) {
      handle(res, [&] { search(request_from_query(req.target), res); });
    });
    http.Post("/search", [this](const httplib::Request& req, httplib::Response& res) {
      handle(res, [&] { search(SearchRequest::from_json(req.body), res); });
    });
    http.Get(R"(/items/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      handle(res, [&] { item(req.matches[1], res); });
    });
    http.Post("/documents", [this](const httplib::Request& req, httplib::Response& res) {
      handle(res, [&] { documents(req, res); });
    });
    http.Get("/health", [this](const httplib::Request&, httplib::Response& res) { health(res); });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
    });
  }
};

thread_local Clock::time_point Server::Impl::started{};

Server::Server(const ServerOptions& options) : impl_(std::make_unique<Impl>(options)) {}

Server::~Server() {
  stop();
  if (impl_->watcher.joinable()) impl_->watcher.join();
}

int Server::port() const { return impl_->port; }

void Server::run() {
  {
    std::lock_guard lk(impl_->watch_mu);
    if (impl_->stopping) return;
    impl_->watcher = std::thread([this] { impl_->watch(); });
  }
  impl_->http.listen_after_bind();
  stop();
  impl_->watcher.join();
}

void Server::stop() {
  {
    std::lock_guard lk(impl_->watch_mu);
    impl_->stopping = true;
  }
  impl_->watch_cv.notify_all();
  impl_->http.stop();
}

void serve_until_signal(const ServerOptions& options) {
  // Blocked before any thread starts, so every thread inherits the mask and only sigwait sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  Server server(options);
  std::printf("listening on http://%s:%d (index %s, %d threads)\n", options.host.c_str(), server.port(),
              options.index_dir.c_str(), options.threads);
  std::fflush(stdout);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&set, &sig);
    server.stop();
  });
  server.run();
  // run() also returns when listening fails: end the waiter with a signal of its own set.
  ::pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  std::fprintf(stderr, "longtail serve: stopped\n");
}

}  // namespace longtail::server
