// The HTTP service (server/, `longtail serve --http`, docs/http.md): a real server on 127.0.0.1
// called with httplib's client. Select them with `ctest -R http`.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <chrono>
#include <filesystem>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include <longtail/longtail.h>

#include "server/client.h"
#include "server/server.h"
#include "tests/shard_server.h"
#include "tests/test_util.h"

using namespace longtail;
using nlohmann::json;

namespace {

constexpr int64_t kNow = 1717000000;  // newness is computed at this time in both paths

// A server of the library on a free port, run by a thread of its own.
struct LiveServer {
  server::Server s;
  std::thread t;
  explicit LiveServer(server::ServerOptions o) : s(with_any_port(std::move(o))), t([this] { s.run(); }) {}
  ~LiveServer() {
    s.stop();
    t.join();
  }
  static server::ServerOptions with_any_port(server::ServerOptions o) {
    o.port = 0;
    return o;
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", s.port());
    c.set_read_timeout(30, 0);
    return c;
  }
};

server::ServerOptions options_for(const std::string& index) {
  server::ServerOptions o;
  o.index_dir = index;
  o.threads = 4;
  return o;
}

json parse(const httplib::Result& r) {
  REQUIRE(r);
  return json::parse(r->body);
}

// A string of SKU ids of a /search answer, in order.
std::vector<std::string> hit_ids(const json& j) {
  std::vector<std::string> ids;
  for (const auto& h : j.at("hits")) ids.push_back(h.at("sku_id").get<std::string>());
  return ids;
}

// The value of an un-labelled or labelled sample in Prometheus text ("name{labels} value").
double metric(const std::string& text, const std::string& sample) {
  const size_t p = text.find("\n" + sample + " ");
  if (p == std::string::npos) return -1;
  return std::stod(text.substr(p + sample.size() + 2));
}

// Starts `longtail serve --http` as a process and stops it with SIGTERM.
struct CliServer {
  pid_t pid = -1;
  unsigned port;
  CliServer(const std::string& index, const std::vector<std::string>& more = {}) : port(test::free_loopback_port()) {
    std::vector<std::string> args = {"longtail", "serve", "--http", "127.0.0.1:" + std::to_string(port), "--index", index};
    args.insert(args.end(), more.begin(), more.end());
    pid = test::start_cli_server(std::move(args), port, "longtail serve --http", 20);
  }
  // Sends SIGTERM and returns the exit status (-1 if killed by a signal).
  int stop() {
    if (pid <= 0) return -1;
    ::kill(pid, SIGTERM);
    int st = 0;
    ::waitpid(pid, &st, 0);
    pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  ~CliServer() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

const char* kJson = "application/json";

std::string enc(const std::string& s) { return server::url_encode(s); }

}  // namespace

TEST_CASE("GET and POST /search answer exactly the JSON of to_json for the same request", "[http]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx", 2);
  LiveServer srv(options_for(idx));
  auto c = srv.client();
  Searcher searcher(idx);

  SearchRequest req;
  req.query = "连衣裙";
  req.limit = 2;
  req.offset = 1;
  req.facets = {"category", "brand", "price"};
  req.categories = {"女装"};
  req.price_min = 50;
  req.price_max = 500;
  req.now = kNow;
  const std::string expected = to_json(searcher.search(req));
  REQUIRE(!json::parse(expected).at("hits").empty());

  auto get = c.Get("/search?q=%E8%BF%9E%E8%A1%A3%E8%A3%99&limit=2&offset=1&facets=category,brand,price&category=" +
                   enc("女装") + "&price_min=50&price_max=500&now=" + std::to_string(kNow));
  REQUIRE(get);
  CHECK(get->status == 200);
  CHECK(get->get_header_value("Content-Type").rfind(kJson, 0) == 0);
  CHECK(get->body == expected);

  auto post = c.Post("/search",
                     R"({"query":"连衣裙","limit":2,"offset":1,"facets":["category","brand","price"],"categories":["女装"],)"
                     R"("price_min":50,"price_max":500,"now":)" + std::to_string(kNow) + "}",
                     kJson);
  REQUIRE(post);
  CHECK(post->status == 200);
  CHECK(post->body == expected);

  SECTION("attributes, sort and explain by query string") {
    SearchRequest r2;
    r2.query = "连衣裙";
    r2.attrs = {{"颜色", "红色"}};
    r2.sort = SortOrder::PriceAsc;
    r2.explain = true;
    r2.correct = false;
    r2.now = kNow;
    auto res = c.Get("/search?q=" + enc("连衣裙") + "&attr=" + enc("颜色=红色") +
                     "&sort=price-asc&explain=true&correct=false&now=" + std::to_string(kNow));
    REQUIRE(res);
    CHECK(res->status == 200);
    const json got = json::parse(res->body);
    const json want = json::parse(to_json(searcher.search(r2), true));
    CHECK(hit_ids(got) == hit_ids(want));
    CHECK(got.at("hits").at(0).contains("explain"));
    // Stage timings differ from run to run; everything else is the same.
    json g = got, w = want;
    for (auto* j : {&g, &w})
      for (const char* k : {"stage1_ms", "stage2_ms"}) j->erase(k);
    CHECK(g == w);
  }
}

TEST_CASE("GET /items/{sku_id} answers the SKU as a hit, 404 JSON when absent", "[http]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx", 2);
  LiveServer srv(options_for(idx));
  auto c = srv.client();

  auto r = c.Get("/items/dress1-2");
  REQUIRE(r);
  CHECK(r->status == 200);
  const json hit = json::parse(r->body);
  CHECK(hit.at("sku_id") == "dress1-2");
  CHECK(hit.at("item_id") == "dress1");
  CHECK(hit.at("price") == 129);
  CHECK(hit.at("variant_list").size() == 4);
  for (const auto& v : hit.at("variant_list")) CHECK(v.at("matched").get<bool>() == (v.at("sku_id") == "dress1-2"));

  // The same object as the hit of a search: fields, order and numbers (scores aside).
  auto s = c.Get("/search?q=" + enc("手工植鞣革钥匙包"));
  REQUIRE(s);
  json first = json::parse(s->body).at("hits").at(0);
  REQUIRE(first.at("sku_id") == "key1-0");
  auto k = c.Get("/items/key1-0");
  REQUIRE(k);
  json item = json::parse(k->body);
  for (auto* j : {&first, &item})
    for (const char* f : {"score", "coverage"}) j->erase(f);
  CHECK(item == first);

  auto missing = c.Get("/items/no-such-sku");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(json::parse(missing->body).at("field") == "sku_id");
}

TEST_CASE("GET /health and /metrics report the index, and the counters move", "[http]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx", 2);
  LiveServer srv(options_for(idx));
  auto c = srv.client();

  const json h = parse(c.Get("/health"));
  CHECK(h.at("status") == "ok");
  CHECK(h.at("shards") == 2);
  CHECK(h.at("skus") == 20);
  CHECK(h.at("items") == 17);
  CHECK(h.at("batch") == 0);
  CHECK(h.at("generation").get<std::string>().rfind("gen-", 0) == 0);

  auto m0 = c.Get("/metrics");
  REQUIRE(m0);
  CHECK(m0->status == 200);
  CHECK(m0->get_header_value("Content-Type").rfind("text/plain", 0) == 0);
  const double searches0 = metric(m0->body, "longtail_http_requests_total{endpoint=\"search\"}");
  const double errors0 = metric(m0->body, "longtail_http_errors_total{endpoint=\"search\",class=\"4xx\"}");
  CHECK(searches0 == 0);
  for (int i = 0; i < 3; ++i) CHECK(c.Get("/search?q=abc")->status == 200);
  CHECK(c.Get("/search?limit=0")->status == 400);
  auto m1 = c.Get("/metrics");
  REQUIRE(m1);
  CHECK(metric(m1->body, "longtail_http_requests_total{endpoint=\"search\"}") == 4);
  CHECK(metric(m1->body, "longtail_http_errors_total{endpoint=\"search\",class=\"4xx\"}") == errors0 + 1);
  CHECK(metric(m1->body, "longtail_http_request_duration_seconds_count{endpoint=\"search\"}") == 4);
  CHECK(metric(m1->body, "longtail_http_request_duration_seconds_bucket{endpoint=\"search\",le=\"+Inf\"}") == 4);
  CHECK(metric(m1->body, "longtail_index_skus") == 20);
  CHECK(metric(m1->body, "longtail_index_batch") == 0);
  CHECK(m1->body.find("longtail_index_generation_info{generation=\"" + h.at("generation").get<std::string>() + "\"} 1") !=
        std::string::npos);
  CHECK(metric(m1->body, "longtail_reopen_total") >= 0);
}

TEST_CASE("POST /documents applies upserts and deletions, reports per-line errors, and the next search sees them", "[http]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx", 2);
  auto o = options_for(idx);
  o.tmp_dir = tmp.path;
  LiveServer srv(o);
  auto c = srv.client();
  const std::string new_sku =
      R"({"sku_id":"lamp1-0","item_id":"lamp1","shop_id":"shop_a","title":"北欧风 护眼台灯 卧室床头灯","category":"家居/灯具",)"
      R"("brand":"","price":88.5,"shipping_fee":0,"sales_30d":10,"reviews":3,"good_reviews":3,"listed_at":"2024-05-01"})";
  const std::string body = new_sku + "\n" + R"({"sku_id":"ring3-0","deleted":true})" + "\n" +
                           R"({"sku_id":"bad1","title":"坏的记录","price":-5})" + "\n" + "not json\n";
  const auto before = hit_ids(parse(c.Get("/search?q=" + enc("钥匙扣") + "&limit=10")));
  REQUIRE(std::count(before.begin(), before.end(), "ring3-0") == 1);

  auto r = c.Post("/documents", body, "application/x-ndjson");
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 200);
  const json j = json::parse(r->body);
  CHECK(j.at("batch") == 1);
  CHECK(j.at("batches") == 1);
  CHECK(j.at("records") == 2);
  CHECK(j.at("added") == 1);
  CHECK(j.at("deleted") == 1);
  CHECK(j.at("rejected") == 2);
  CHECK(j.at("skus") == 20);
  REQUIRE(j.at("errors").size() == 2);
  CHECK(j.at("errors").at(0).get<std::string>().rfind("3: price: ", 0) == 0);
  CHECK(j.at("errors").at(1).get<std::string>().rfind("4: json: ", 0) == 0);
  CHECK(j.at("error_details").at(0).at("line") == 3);
  CHECK(j.at("error_details").at(0).at("field") == "price");
  // The body's temporary file is gone.
  CHECK(std::distance(std::filesystem::directory_iterator(tmp.path), std::filesystem::directory_iterator()) == 1);

  // Visible to the very next requests.
  const json lamp = json::parse(c.Get("/search?q=" + enc("护眼台灯"))->body);
  REQUIRE(!lamp.at("hits").empty());
  CHECK(lamp.at("hits").at(0).at("sku_id") == "lamp1-0");
  CHECK(c.Get("/items/lamp1-0")->status == 200);
  CHECK(c.Get("/items/ring3-0")->status == 404);
  const auto after = hit_ids(parse(c.Get("/search?q=" + enc("钥匙扣") + "&limit=10")));
  CHECK(std::count(after.begin(), after.end(), "ring3-0") == 0);
  CHECK(after.size() == before.size() - 1);
  CHECK(parse(c.Get("/health")).at("batch") == 1);
  CHECK(metric(c.Get("/metrics")->body, "longtail_update_batches_total") == 1);

  SECTION("an empty body is refused, naming it") {
    auto e = c.Post("/documents", "", "application/x-ndjson");
    REQUIRE(e);
    CHECK(e->status == 400);
    CHECK(json::parse(e->body).at("field") == "body");
  }
}

TEST_CASE("bad requests get 4xx JSON errors naming the field", "[http]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx");
  LiveServer srv(options_for(idx));
  auto c = srv.client();
  auto field_of = [&](const httplib::Result& r, int status) {
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == status);
    CHECK(r->get_header_value("Content-Type").rfind(kJson, 0) == 0);
    const json j = json::parse(r->body);
    CHECK(!j.at("error").get<std::string>().empty());
    return j.value("field", "");
  };
  CHECK(field_of(c.Get("/search?q=a&limit=0"), 400) == "limit");
  CHECK(field_of(c.Get("/search?q=a&limit=abc"), 400) == "limit");
  CHECK(field_of(c.Get("/search?q=a&sort=cheapest"), 400) == "sort");
  CHECK(field_of(c.Get("/search?q=a&price_min=9&price_max=1"), 400) == "price_min");
  CHECK(field_of(c.Get("/search?q=a&price_max=-1"), 400) == "price_max");
  CHECK(field_of(c.Get("/search?q=a&attr=nokey"), 400) == "attr");
  CHECK(field_of(c.Get("/search?q=a&facets=colour"), 400) == "facets");
  CHECK(field_of(c.Get("/search?q=a&explain=maybe"), 400) == "explain");
  CHECK(field_of(c.Get("/search?q=a&colour=red"), 400) == "colour");
  CHECK(field_of(c.Get("/search?q=%zz"), 400) == "q");
  CHECK(field_of(c.Get("/search?q=a&profile=x"), 400) == "profile");
  CHECK(field_of(c.Post("/search", R"({"query":"a","limit":"ten"})", kJson), 400) == "limit");
  CHECK(field_of(c.Post("/search", R"({"query":"a","colour":"red"})", kJson), 400) == "colour");
  CHECK(field_of(c.Post("/search", R"({"query":"a","user":{"brands":3}})", kJson), 400) == "user");
  CHECK(field_of(c.Post("/search", R"({"query":"a","profile":"/etc/passwd"})", kJson), 400) == "profile");
  CHECK(field_of(c.Post("/search", "{not json", kJson), 400) == "body");
  CHECK(field_of(c.Get("/no/such/path"), 404) == "path");
  CHECK(field_of(c.Delete("/search"), 404) == "path");
}

TEST_CASE("body and query-string size limits give 413 and 414", "[http]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx");
  auto o = options_for(idx);
  o.max_body_bytes = 1000;
  o.max_target_bytes = 200;
  LiveServer srv(o);
  auto c = srv.client();
  const std::string big = R"({"query":")" + std::string(2000, 'a') + "\"}";
  auto r = c.Post("/search", big, kJson);
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(json::parse(r->body).at("field") == "body");
  auto small = c.Post("/search", R"({"query":"abc"})", kJson);
  REQUIRE(small);
  CHECK(small->status == 200);
  auto l = c.Get("/search?q=" + std::string(300, 'a'));
  REQUIRE(l);
  CHECK(l->status == 414);
  CHECK(json::parse(l->body).at("field") == "query string");
  CHECK(c.Get("/search?q=" + std::string(100, 'a'))->status == 200);
  const std::string m = c.Get("/metrics")->body;
  CHECK(metric(m, "longtail_http_errors_total{endpoint=\"search\",class=\"4xx\"}") == 2);
}

TEST_CASE("an API key is required for writes, and with api_key_reads for reads", "[http]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx");
  auto o = options_for(idx);
  o.api_key = "s3cret";
  o.tmp_dir = tmp.path;
  const std::string doc = R"({"sku_id":"ring0-0","deleted":true})";
  {
    LiveServer srv(o);
    auto c = srv.client();
    CHECK(c.Get("/search?q=abc")->status == 200);
    auto denied = c.Post("/documents", doc, "application/x-ndjson");
    REQUIRE(denied);
    CHECK(denied->status == 401);
    CHECK(json::parse(denied->body).at("field") == "X-API-Key");
    auto wrong = c.Post("/documents", httplib::Headers{{"X-API-Key", "s3cres"}}, doc, "application/x-ndjson");
    REQUIRE(wrong);
    CHECK(wrong->status == 401);
    auto ok = c.Post("/documents", httplib::Headers{{"X-API-Key", "s3cret"}}, doc, "application/x-ndjson");
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK(json::parse(ok->body).at("deleted") == 1);
    auto bearer = c.Post("/documents", httplib::Headers{{"Authorization", "Bearer s3cret"}}, doc, "application/x-ndjson");
    REQUIRE(bearer);
    CHECK(bearer->status == 200);
    CHECK(json::parse(bearer->body).at("delete_missing") == 1);
  }
  o.api_key_reads = true;
  LiveServer srv(o);
  auto c = srv.client();
  CHECK(c.Get("/search?q=abc")->status == 401);
  CHECK(c.Post("/search", R"({"query":"abc"})", kJson)->status == 401);
  CHECK(c.Get("/items/ring1-0")->status == 401);
  CHECK(c.Get("/metrics")->status == 401);
  CHECK(c.Get("/health")->status == 200);  // for load balancers
  CHECK(c.Get("/search?q=abc", httplib::Headers{{"X-API-Key", "s3cret"}})->status == 200);
  CHECK(c.Get("/items/ring1-0", httplib::Headers{{"Authorization", "Bearer s3cret"}})->status == 200);
}

TEST_CASE("longtail serve --http follows rebuilds, optimize and updates from outside with no failed request", "[http]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx", 2);
  CliServer srv(idx, {"--threads", "3", "--reopen-ms", "50"});
  std::atomic<bool> done{false};
  std::atomic<int> ok{0}, failed{0};
  std::string first_failure;
  std::mutex mu;
  std::vector<std::thread> readers;
  // The readers stop and are joined however this test leaves (a failed REQUIRE throws: a
  // joinable std::thread destroyed then would abort the whole test binary).
  struct StopReaders {
    std::atomic<bool>& done;
    std::vector<std::thread>& readers;
    ~StopReaders() {
      done = true;
      for (auto& t : readers)
        if (t.joinable()) t.join();
    }
  } stop_readers{done, readers};
  for (int t = 0; t < 2; ++t)
    readers.emplace_back([&] {
      httplib::Client c("127.0.0.1", srv.port);
      c.set_read_timeout(30, 0);
      c.set_keep_alive(true);
      while (!done) {
        auto r = c.Get("/search?q=" + enc("连衣裙") + "&limit=5");
        bool good = false;
        try {  // an answer that is not the JSON expected counts as a failure, not an escape
          good = r && r->status == 200 && json::parse(r->body).at("hits").size() >= 2;  // 3 dresses, 2 after the update
        } catch (const std::exception&) {
        }
        if (good) {
          ++ok;
        } else {
          ++failed;
          std::lock_guard lk(mu);
          if (first_failure.empty()) first_failure = r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error());
        }
      }
    });
  httplib::Client c("127.0.0.1", srv.port);
  c.set_read_timeout(30, 0);
  const std::string gen0 = parse(c.Get("/health")).at("generation");
  // Swaps: rebuilds (1 and 2 shards) and optimize, each a new generation; an update in place.
  std::string gen = gen0;
  auto wait_new_generation = [&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::string g;
    while ((g = parse(c.Get("/health")).at("generation").get<std::string>()) == gen &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(g != gen);
    gen = g;
  };
  for (int round = 0; round < 2; ++round) {
    test::build_mini_index(idx, 1 + round % 2);
    wait_new_generation();
    OptimizeOptions oo;
    oo.index_dir = idx;
    optimize_index(oo);
    wait_new_generation();
  }
  CHECK(parse(c.Get("/health")).at("shards") == 2);
  test::write_file(tmp.path + "/delta.jsonl", R"({"sku_id":"dress3-0","deleted":true})" "\n");
  REQUIRE(test::run_cli("update -q --index " + idx + " --catalog " + tmp.path + "/delta.jsonl").status == 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  // A query may see the batch (its snapshot opened after the commit) before the watcher's next
  // reopen refreshes what /health reports: wait for both.
  while ((c.Get("/items/dress3-0")->status != 404 || parse(c.Get("/health")).at("batch") != 1) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(c.Get("/items/dress3-0")->status == 404);
  CHECK(parse(c.Get("/health")).at("batch") == 1);
  done = true;
  for (auto& t : readers) t.join();
  INFO(first_failure);
  CHECK(failed == 0);
  CHECK(ok > 20);
  CHECK(parse(c.Get("/search?q=" + enc("连衣裙"))).at("hits").size() == 2);
  CHECK(metric(c.Get("/metrics")->body, "longtail_index_generation_changes_total") == 4);
  CHECK(srv.stop() == 0);  // SIGTERM: a graceful stop, exit 0
}

TEST_CASE("longtail serve --http over an attached index of remote shards fans out as the library does", "[http]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx", 2);
  test::ShardServer s0(idx, 0), s1(idx, 1);
  const std::string client = tmp.path + "/client";
  REQUIRE(test::run_cli("attach --index " + idx + " --out " + client + " --remote " + s0.spec(0) + " --remote " + s1.spec(1))
              .status == 0);
  CliServer srv(client, {"--api-key", "k"});
  httplib::Client c("127.0.0.1", srv.port);
  Searcher local(idx);
  SearchRequest req;
  req.query = "手机壳";
  req.facets = {"brand"};
  req.now = kNow;
  auto r = c.Get("/search?q=" + enc("手机壳") + "&facets=brand&now=" + std::to_string(kNow));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == to_json(local.search(req)));
  auto item = c.Get("/items/case2-0");
  REQUIRE(item);
  CHECK(item->status == 200);
  CHECK(json::parse(item->body).at("title") == "华为Mate60手机壳 真皮保护套 商务");
  CHECK(parse(c.Get("/health")).at("shards") == 2);
  // Remote shards take no updates: a JSON error, not a crash.
  auto w = c.Post("/documents", httplib::Headers{{"X-API-Key", "k"}}, R"({"sku_id":"case2-0","deleted":true})", "application/x-ndjson");
  REQUIRE(w);
  CHECK(w->status == 409);
  CHECK(srv.stop() == 0);
}

TEST_CASE("longtail serve --http refuses bad flags and keeps the shard server's requirements", "[http]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx");
  CHECK(test::run_cli("serve --index " + idx + " 2>/dev/null").status == 2);
  CHECK(test::run_cli("serve --index " + idx + " --http 127.0.0.1:99999 2>/dev/null").status == 2);
  CHECK(test::run_cli("serve --index " + idx + " --http 127.0.0.1:0 --shard 0 2>/dev/null").status == 2);
  CHECK(test::run_cli("serve --index " + idx + " --http 127.0.0.1:0 --api-key a --api-key b 2>/dev/null").status == 2);
  CHECK(test::run_cli("serve --index " + tmp.path + "/none --http 127.0.0.1:0 2>/dev/null").status == 2);
}

TEST_CASE("GET /search and /items/{sku_id} give a SKU's display fields as written, {} without", "[http][fields]") {
  test::TempDir tmp;
  // Display fields whose raw text holds what the /items answer is cut at (`],"terms":`).
  const std::string fields = R"({"image":"https://img.example.com/1.jpg","odd":{"a":[1],"terms":[2.50]}})";
  test::write_file(tmp.path + "/c.jsonl",
                   R"({"sku_id":"lamp-1","title":"北欧 台灯","category":"家居/灯具","price":88,"image":"https://img.example.com/1.jpg","odd":{"a":[1],"terms":[2.50]}})"
                   "\n"
                   R"({"sku_id":"lamp-2","title":"落地灯","category":"家居/灯具","price":188})"
                   "\n");
  BuildOptions o;
  o.catalog_files = {tmp.path + "/c.jsonl"};
  o.index_dir = tmp.path + "/idx";
  build_index(o);
  LiveServer srv(options_for(o.index_dir));
  auto c = srv.client();
  auto s = c.Get("/search?q=" + enc("台灯"));
  REQUIRE(s);
  CHECK(s->body.find("\"fields\":" + fields) != std::string::npos);
  auto i = c.Get("/items/lamp-1");
  REQUIRE(i);
  REQUIRE(i->status == 200);
  const json hit = json::parse(i->body);
  CHECK(hit.at("sku_id") == "lamp-1");
  CHECK(hit.at("fields") == json::parse(fields));
  CHECK(i->body.find("\"fields\":" + fields) != std::string::npos);  // 2.50 as written
  auto plain = c.Get("/items/lamp-2");
  REQUIRE(plain);
  CHECK(json::parse(plain->body).at("fields") == json::object());
}
