// Build then search end to end, through the public API (<longtail/longtail.h>) and the CLI.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <longtail/longtail.h>

#include "index/index_dir.h"
#include "tests/generated.h"
#include "tests/search_cases.h"
#include "tests/test_util.h"

using namespace longtail;
using test::build_mini;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> items(const SearchResult& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hits) out.push_back(h.item_id);
  return out;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}


}  // namespace

TEST_CASE("build then search finds the matching listings", "[build][search]") {
  test::TempDir tmp;
  auto s = build_mini(tmp.path + "/idx", 1);
  CHECK(s.accepted == 20);
  CHECK(s.rejected == 0);
  CHECK(s.items == 17);
  CHECK(s.shops == 12);
  Searcher searcher(tmp.path + "/idx");
  auto info = searcher.info();
  CHECK(info.skus == 20);
  CHECK(info.items == 17);
  CHECK(info.analyzer == "longtail-zh/3");

  SearchRequest req;
  req.query = "保温杯 500ml";
  auto r = searcher.search(req);
  REQUIRE_FALSE(r.hits.empty());
  CHECK(r.hits[0].item_id == "cup1");

  req.query = "连衣裙";
  r = searcher.search(req);
  // Four SKUs of dress1 collapse into one hit that counts the variants.
  CHECK(items(r).size() == 3);
  for (const auto& h : r.hits)
    if (h.item_id == "dress1") {
      CHECK(h.variants == 4);
      CHECK(h.variant_list.size() == 4);
    }
  req.collapse = false;
  r = searcher.search(req);
  CHECK(r.hits.size() == 6);
}

TEST_CASE("traditional and simplified, Chinese and Latin units find each other end to end", "[build][search][opencc][units]") {
  // Issue 23 items 5 and 6: index and query analysis convert the same way, so a query in one
  // form finds a title written in the other.
  test::TempDir tmp;
  const std::vector<std::pair<std::string, std::string>> titles = {
      {"mem-tw", "金士頓 記憶體 DDR4 16GB 桌上型電腦"}, {"mem-cn", "威刚 内存条 DDR4 8G 台式机"},
      {"pillow", "记忆棉枕头 慢回弹 护颈"},               {"water-zh", "农夫山泉 饮用天然水 550毫升 24瓶"},
      {"water-en", "怡宝 纯净水 555ml*12瓶"},             {"oil", "金龙鱼 大豆油 5L 桶装"},
      {"rice", "五常大米 5公斤 袋装"},                     {"rice-jin", "东北大米 10斤 新米"},
      {"tv", "小米电视 65英寸 4K超高清"},                  {"bank", "罗马仕 充电宝 20000毫安 快充"},
      {"shoe", "头层牛皮 男鞋 皮鞋"},                      {"hair", "頭髮護理精油 免洗"}};
  std::string jsonl;
  for (const auto& [id, title] : titles)
    jsonl += "{\"sku_id\": \"" + id + "\", \"item_id\": \"" + id + "\", \"shop_id\": \"s1\", \"title\": \"" + title +
             "\", \"price\": 99.0}\n";
  test::write_file(tmp.path + "/catalog.jsonl", jsonl);
  BuildOptions o;
  o.catalog_files = {tmp.path + "/catalog.jsonl"};
  o.index_dir = tmp.path + "/idx";
  build_index(o);
  Searcher searcher(o.index_dir);
  auto find = [&](const std::string& q) {
    SearchRequest req;
    req.query = q;
    req.limit = 20;
    return items(searcher.search(req));
  };
  auto first = [&](const std::string& q) {
    const auto r = find(q);
    return r.empty() ? std::string() : r.front();
  };
  const auto mem = find("記憶體");
  CHECK(std::count(mem.begin(), mem.end(), "mem-cn") == 1);
  CHECK(std::count(mem.begin(), mem.end(), "mem-tw") == 1);
  CHECK(std::count(mem.begin(), mem.end(), "pillow") == 0);  // not 记忆 (memory foam)
  CHECK(first("内存 ddr4 16g") == "mem-tw");
  CHECK(first("头发 护理") == "hair");
  CHECK(first("550ml") == "water-zh");
  CHECK(first("555毫升") == "water-en");
  CHECK(first("5升 大豆油") == "oil");
  CHECK(first("大米 5kg") == "rice");
  CHECK(first("大米 10斤") == "rice-jin");
  CHECK(first("65寸 电视") == "tv");
  CHECK(first("65inch") == "tv");
  CHECK(first("20000mAh") == "bank");
}

TEST_CASE("filters restrict results: category, brand, shop, attribute, price", "[build][search]") {
  test::TempDir tmp;
  build_mini(tmp.path + "/idx", 2);
  Searcher searcher(tmp.path + "/idx");
  SearchRequest req;
  req.query = "手机壳";
  req.brands = {"华为"};  // an alias of "HUAWEI/华为"
  CHECK(items(searcher.search(req)) == std::vector<std::string>{"case2"});
  req.brands.clear();
  req.shops = {"shop_d"};
  auto r = searcher.search(req);
  CHECK(r.hits.size() == 2);
  req.shops.clear();
  req.price_max = 25.0;
  CHECK(items(searcher.search(req)) == std::vector<std::string>{"case3"});
  req = SearchRequest{};
  req.query = "连衣裙";
  req.collapse = false;
  req.attrs = {{"颜色", "红色"}};
  CHECK(searcher.search(req).hits.size() == 2);
  req.attrs.push_back({"尺码", "M"});
  CHECK(test::sku_ids(searcher.search(req)) == std::vector<std::string>{"dress1-1"});
  req = SearchRequest{};
  req.query = "壳";
  req.categories = {"数码"};
  for (const auto& h : searcher.search(req).hits) CHECK(h.category.rfind("数码", 0) == 0);
  // Effective price = price + shipping fee: cup2 costs 49 + 8.
  req = SearchRequest{};
  req.query = "保温杯";
  req.price_min = 50;
  req.price_max = 60;
  CHECK(items(searcher.search(req)) == std::vector<std::string>{"cup2"});
}

TEST_CASE("one Searcher answers many threads at once, filter-only browsing included, as it answers one", "[build][search][threads]") {
  // Every thread's queries share nothing but the Searcher: a query without filters once copied
  // Xapian's one static MatchAll query, whose reference count is not atomic (a use-after-free
  // under ASan in `serve --http`). The sanitizer build runs this with ASan.
  test::TempDir tmp;
  build_mini(tmp.path + "/idx", 2);
  const Searcher searcher(tmp.path + "/idx");
  std::vector<SearchRequest> reqs(3);
  reqs[0].query = "连衣裙";  // text, no filter
  reqs[1].categories = {"数码"};  // filters only: browse by the prior
  reqs[2].query = "手机壳";
  reqs[2].price_max = 25.0;
  for (auto& r : reqs) r.now = 1717000000;  // newness at one time for every thread
  std::vector<std::string> want;
  for (const auto& r : reqs) want.push_back(to_json(searcher.search(r)));
  std::atomic<int> same{0}, differ{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        const size_t k = size_t(t + i) % reqs.size();
        (to_json(searcher.search(reqs[k])) == want[k] ? same : differ)++;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(differ == 0);
  CHECK(same == 6 * 150);
  CHECK_FALSE(searcher.search(reqs[1]).hits.empty());
}

TEST_CASE("1 shard and 4 shards return the same hits", "[build][search][shards]") {
  test::TempDir tmp;
  build_mini(tmp.path + "/one", 1, 1);
  build_mini(tmp.path + "/four", 4, 2);
  Searcher one(tmp.path + "/one"), four(tmp.path + "/four");
  CHECK(four.info().shards == 4);
  test::check_same_results(one, four);
}

TEST_CASE("a build that fails midway leaves the previous index searchable", "[build][atomic]") {
  test::TempDir tmp;
  std::string dir = tmp.path + "/idx";
  build_mini(dir, 2);
  std::string gen_before = index::live_generation(dir);
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.index_dir = dir;
  o.shards = 2;
  o.fail_after_records = 7;
  CHECK_THROWS_AS(build_index(o), DataError);
  CHECK(index::live_generation(dir) == gen_before);
  // Only the live generation remains: the half-built one was removed.
  int gens = 0;
  for (auto& e : fs::directory_iterator(dir)) gens += e.path().filename().string().rfind("gen-", 0) == 0;
  CHECK(gens == 1);
  Searcher s(dir);
  SearchRequest req;
  req.query = "连衣裙";
  CHECK(s.search(req).hits.size() == 3);
}

TEST_CASE("a build killed by a signal leaves the previous index searchable", "[build][atomic]") {
  test::TempDir tmp;
  std::string dir = tmp.path + "/idx";
  build_mini(dir, 1);
  // A catalog large enough that the build is still running when it is killed.
  std::string big = tmp.path + "/big.jsonl";
  {
    std::ofstream f(big);
    for (int i = 0; i < 200000; ++i)
      f << R"({"sku_id":"k)" << i << R"(","title":"测试商品 编号)" << i << R"( 保温杯","price":10})" << "\n";
  }
  std::string cmd = std::string(LONGTAIL_CLI_PATH) + " build -q --catalog " + big + " --index " + dir +
                    " > /dev/null 2>&1 & pid=$!; sleep 0.6; kill -9 $pid; wait $pid";
  int rc = std::system(cmd.c_str());
  (void)rc;
  Searcher s(dir);
  CHECK(s.info().skus == 20);
  SearchRequest req;
  req.query = "保温杯";
  auto found = items(s.search(req));
  std::sort(found.begin(), found.end());
  CHECK(found == std::vector<std::string>{"cup1", "cup2"});
  // The next build succeeds and clears the killed build's leftovers: the live generation and the
  // one before it remain (kept for readers that read CURRENT just before the swap).
  const std::string before = index::live_generation(dir);
  build_mini(dir, 1);
  int gens = 0;
  for (auto& e : fs::directory_iterator(dir)) gens += e.path().filename().string().rfind("gen-", 0) == 0;
  CHECK(gens == 2);
  CHECK(fs::is_directory(before));
}

TEST_CASE("bad input: fail stops before the live index is touched, skip writes rejects", "[build][errors]") {
  test::TempDir tmp;
  std::string dir = tmp.path + "/idx";
  build_mini(dir, 1);
  std::string bad = tmp.path + "/bad.jsonl";
  write(bad, R"({"sku_id":"a1","title":"好商品"})" "\n"
             R"({"sku_id":"a2","title":"坏价格","price":-3})" "\n"
             "not json\n"
             R"({"sku_id":"a1","title":"重复"})" "\n"
             R"({"sku_id":"a3","title":"最后一行没有换行"})");
  BuildOptions o;
  o.catalog_files = {bad};
  o.index_dir = dir;
  CHECK_THROWS_WITH(build_index(o), bad + ":2: price: must not be negative");
  CHECK(Searcher(dir).info().skus == 20);

  o.on_error = OnError::Skip;
  o.rejects_file = tmp.path + "/rejects.txt";
  auto s = build_index(o);
  CHECK(s.accepted == 2);
  CHECK(s.rejected == 3);
  REQUIRE(s.errors.size() == 3);
  CHECK(s.errors[0].to_string() == bad + ":2: price: must not be negative");
  CHECK(s.errors[1].to_string().rfind(bad + ":3: json: invalid JSON", 0) == 0);
  CHECK(s.errors[2].to_string() == bad + ":4: sku_id: duplicate sku_id \"a1\" (first at " + bad + ":1)");
  std::ifstream rj(o.rejects_file);
  std::string all((std::istreambuf_iterator<char>(rj)), std::istreambuf_iterator<char>());
  CHECK(all.find("# " + bad + ":2: price: must not be negative\n{\"sku_id\":\"a2\"") != std::string::npos);
  CHECK(all.find("not json\n") != std::string::npos);
  Searcher after(dir);
  CHECK(after.info().skus == 2);
}

// Pass 1 reads and parses on its own thread and hands the records over in batches of 512: rejects
// across batches and files still come in file order, and fail mode stops at the first of them.
TEST_CASE("rejects across many batches and two files come in file order, fail mode stops at the first", "[build][errors]") {
  test::TempDir tmp;
  const std::string f1 = tmp.path + "/a.jsonl", f2 = tmp.path + "/b.jsonl";
  auto lines = [](const std::string& prefix, int n, int bad_json, int bad_price) {
    std::string text;
    for (int i = 1; i <= n; ++i) {
      const std::string id = prefix + std::to_string(i);
      if (i == bad_json) {
        text += "{not json\n";
        continue;
      }
      text += R"({"sku_id":")" + id + R"(","item_id":")" + prefix + std::to_string(i / 3) +
              R"(","title":"测试商品 编号)" + id + R"( 保温杯","price":)" + (i == bad_price ? "-1" : "10") + "}\n";
    }
    return text;
  };
  write(f1, lines("a", 1500, 700, 1300));
  write(f2, lines("b", 1500, 1100, 90));
  BuildOptions o;
  o.catalog_files = {f1, f2};
  o.index_dir = tmp.path + "/idx";
  CHECK_THROWS_WITH(build_index(o), Catch::Matchers::StartsWith(f1 + ":700: json: invalid JSON"));

  o.on_error = OnError::Skip;
  o.rejects_file = tmp.path + "/rejects.txt";
  auto s = build_index(o);
  CHECK(s.accepted == 2996);
  REQUIRE(s.errors.size() == 4);
  CHECK(s.errors[0].to_string().rfind(f1 + ":700: json: invalid JSON", 0) == 0);
  CHECK(s.errors[1].to_string() == f1 + ":1300: price: must not be negative");
  CHECK(s.errors[2].to_string() == f2 + ":90: price: must not be negative");
  CHECK(s.errors[3].to_string().rfind(f2 + ":1100: json: invalid JSON", 0) == 0);
  std::ifstream rj(o.rejects_file);
  std::string all((std::istreambuf_iterator<char>(rj)), std::istreambuf_iterator<char>());
  const auto p1 = all.find("# " + f1 + ":700:"), p2 = all.find("# " + f1 + ":1300:"), p3 = all.find("# " + f2 + ":90:"),
             p4 = all.find("# " + f2 + ":1100:");
  CHECK(p1 < p2);
  CHECK(p2 < p3);
  CHECK(p3 < p4);
  CHECK(p4 != std::string::npos);
  CHECK(Searcher(o.index_dir).info().skus == 2996);
}

TEST_CASE("an index built by another schema or analyzer is refused with a clear message", "[build][errors]") {
  test::TempDir tmp;
  std::string dir = tmp.path + "/idx";
  build_mini(dir, 1);
  std::string gen = index::live_generation(dir);
  auto m = index::read_manifest(gen);
  m.analyzer = "longtail-zh/0";
  index::write_manifest(gen, m);
  CHECK_THROWS_AS(Searcher(dir), IndexMismatchError);
  CHECK_THROWS_WITH(Searcher(dir), Catch::Contains("built with analyzer longtail-zh/0"));
  m.analyzer = "longtail-zh/1";
  m.schema_version = 99;
  index::write_manifest(gen, m);
  CHECK_THROWS_WITH(Searcher(dir), Catch::Contains("schema version 99"));
  CHECK_THROWS_AS(Searcher(tmp.path + "/nope"), UsageError);
}

TEST_CASE("build refuses a directory that is not an index", "[build][errors]") {
  test::TempDir tmp;
  write(tmp.path + "/precious.txt", "keep me");
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.index_dir = tmp.path;
  CHECK_THROWS_AS(build_index(o), UsageError);
  CHECK(fs::exists(tmp.path + "/precious.txt"));
}

TEST_CASE("CLI: build, search --json and inspect", "[cli]") {
  test::TempDir tmp;
  std::string dir = tmp.path + "/idx";
  auto b = test::run_cli("build -q --catalog " + test::fixture("mini_catalog.jsonl") + " --shops " +
                         test::fixture("mini_shops.jsonl") + " --index " + dir + " --shards 2");
  REQUIRE(b.status == 0);
  CHECK(b.out.find("20 SKUs accepted") != std::string::npos);
  auto s = test::run_cli("search --index " + dir + " --json 保温杯 500ml");
  REQUIRE(s.status == 0);
  CHECK(s.out.rfind("{\"query\":\"保温杯 500ml\",\"corrected\":null,\"corrections\":[],\"total_estimated\":", 0) == 0);
  CHECK(s.out.find("\"relaxed\":[]") != std::string::npos);
  CHECK(s.out.find("\"hits\":[{\"rank\":1,\"sku_id\":\"cup1-0\",\"item_id\":\"cup1\",\"shop_id\":\"shop_h\",\"title\":") !=
        std::string::npos);
  CHECK(std::count(s.out.begin(), s.out.end(), '\n') == 1);  // exactly one JSON object
  auto t = test::run_cli("search --index " + dir + " 连衣裙 --attr 颜色=红色 --no-collapse");
  REQUIRE(t.status == 0);
  CHECK(t.out.find("dress1-0") != std::string::npos);
  CHECK(t.out.find("dress1-2") == std::string::npos);
  auto i = test::run_cli("inspect --index " + dir + " --sku cup1-0");
  REQUIRE(i.status == 0);
  CHECK(i.out.find("XI cup1") == std::string::npos);
  CHECK(i.out.find("XIcup1") != std::string::npos);
  CHECK(i.out.find("\"title\":\"膳魔师 保温杯 500ml 不锈钢 便携水杯\"") != std::string::npos);
  auto bad = test::run_cli("search --index " + tmp.path + "/missing 连衣裙 2>/dev/null");
  CHECK(bad.status == 2);
  auto badcat = test::run_cli("build -q --catalog /nonexistent.jsonl --index " + dir + " 2>/dev/null");
  CHECK(badcat.status == 2);
}

TEST_CASE("no command overwrites its own inputs: rejects onto an input, rejects without skip, attach onto its source", "[build][errors][faults]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 2);
  const std::string catalog = tmp.path + "/catalog.jsonl";
  fs::copy_file(test::fixture("mini_catalog.jsonl"), catalog);
  auto bytes = [](const std::string& p) { return test::read_file(p); };
  const std::string before = bytes(catalog);
  REQUIRE_FALSE(before.empty());
  BuildOptions b;
  b.catalog_files = {catalog};
  b.index_dir = dir;
  b.on_error = OnError::Skip;
  b.rejects_file = catalog;  // the catalog itself (was truncated before it was read, exit 0)
  CHECK_THROWS_AS(build_index(b), UsageError);
  b.rejects_file = tmp.path + "/./catalog.jsonl";  // the same file by another spelling
  CHECK_THROWS_AS(build_index(b), UsageError);
  CHECK(bytes(catalog) == before);
  b.rejects_file = tmp.path + "/rejects.txt";
  b.on_error = OnError::Fail;  // --rejects without --on-error skip (was silently accepted)
  CHECK_THROWS_AS(build_index(b), UsageError);
  UpdateOptions u;
  u.index_dir = dir;
  u.catalog_files = {catalog};
  u.on_error = OnError::Skip;
  u.rejects_file = catalog;
  CHECK_THROWS_AS(update_index(u), UsageError);
  CHECK(bytes(catalog) == before);
  // attach --out X --index X (deleted X's shards, exit 0): refused, the index still answers.
  const std::string gen = index::live_generation(dir);
  auto r = test::run_cli("attach --index " + dir + " --out " + dir + " --remote 0=127.0.0.1:1 2>&1");
  CHECK(r.status == 2);
  CHECK(r.out.find("overlap") != std::string::npos);
  CHECK(test::run_cli("attach --index " + dir + " --out " + dir + "/client --remote 0=127.0.0.1:1").status == 2);
  CHECK(index::live_generation(dir) == gen);
  Searcher s(dir);
  SearchRequest req;
  req.query = "连衣裙";
  CHECK(s.search(req).hits.size() == 3);
  // The CLI says the same for --rejects.
  auto cli = test::run_cli("build --catalog " + catalog + " --index " + dir + " --on-error skip --rejects " + catalog);
  CHECK(cli.status == 2);
  CHECK(bytes(catalog) == before);
}

TEST_CASE("a shard of another index or two swapped shards are refused, naming the shard", "[build][faults]") {
  test::TempDir tmp;
  const std::string a = tmp.path + "/a", b = tmp.path + "/b";
  build_mini(a, 2);
  build_mini(b, 2);
  const std::string gen = index::live_generation(a), manifest = gen + "/manifest.json";
  SearchRequest req;
  req.query = "连衣裙";
  REQUIRE(Searcher(a).search(req).hits.size() == 3);
  auto refused = [&](const char* what) {
    INFO(what);
    try {
      Searcher s(a);
      s.search(req);
      FAIL("opened");
    } catch (const DataError& e) {
      CHECK(std::string(e.what()).find("not shard") != std::string::npos);
    }
    CHECK(test::run_cli("search --index " + a + " 连衣裙 > /dev/null 2>&1").status == 1);
  };
  // Two shards swapped (was searched, exit 0).
  fs::rename(gen + "/shard-000", gen + "/swap");
  fs::rename(gen + "/shard-001", gen + "/shard-000");
  fs::rename(gen + "/swap", gen + "/shard-001");
  refused("swapped");
  fs::rename(gen + "/shard-000", gen + "/swap");
  fs::rename(gen + "/shard-001", gen + "/shard-000");
  fs::rename(gen + "/swap", gen + "/shard-001");
  CHECK(Searcher(a).search(req).hits.size() == 3);
  // Another index's shard in its place (as a remote shard of another deployment would be).
  const std::string original = test::read_file(manifest);
  std::string foreign = original;
  const std::string other = index::live_generation(b) + "/shard-001";
  foreign.replace(foreign.find("\"shard-001\""), 11, "\"" + other + "\"");
  write(manifest, foreign);
  refused("foreign");
  // A manifest written before shard identities existed (no index_id) opens as before.
  std::string old = original;
  size_t p = old.find("  \"index_id\"");
  REQUIRE(p != std::string::npos);
  old.erase(p, old.find('\n', p) + 1 - p);
  write(manifest, old);
  CHECK(Searcher(a).search(req).hits.size() == 3);
  write(manifest, original);
  CHECK(Searcher(a).search(req).hits.size() == 3);
}

TEST_CASE("a write failure mid-build (a full disk) exits 1 with the reason and leaves the previous index live", "[build][atomic][faults]") {
  // A file-size limit stands in for a full disk (no root needed to mount a small filesystem):
  // writes past it fail with EFBIG as they would with ENOSPC. The lexicon (about 12 MB) still
  // fits, a shard table of 50,000 SKUs does not. Before, Xapian's DatabaseError escaped as an
  // unknown exception: "terminate called …", exit 134.
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 1);
  const std::string gen = index::live_generation(dir);
  test::generate_small_catalog(tmp.path + "/cat", 50000, 3);
  const std::string out = tmp.path + "/out.txt";
  const std::string cmd = "bash -c \"trap '' XFSZ; ulimit -f 15000; " + std::string(LONGTAIL_CLI_PATH) + " build -q --catalog " +
                          tmp.path + "/cat/catalog.jsonl --index " + dir + "\" > " + out + " 2>&1";
  const int st = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(st));
  const std::string said = test::read_file(out);
  INFO(said);
  CHECK(WEXITSTATUS(st) == 1);
  CHECK(said.find("File too large") != std::string::npos);
  CHECK(said.find("terminate") == std::string::npos);
  CHECK(index::live_generation(dir) == gen);
  int gens = 0;
  for (auto& e : fs::directory_iterator(dir)) gens += e.path().filename().string().rfind("gen-", 0) == 0;
  CHECK(gens == 1);  // the half-built generation is gone
  Searcher s(dir);
  SearchRequest req;
  req.query = "连衣裙";
  CHECK(s.search(req).hits.size() == 3);
}

TEST_CASE("a full disk during update and optimize stops before Xapian's flush: exit 1 with the reason, the index as it was", "[update][optimize][atomic][faults]") {
  // Xapian 1.4 ends the process when a block write fails inside a flush (index/write_room.h);
  // every writer checks the room before each flush. A file-size limit just above the largest
  // shard file stands in for a disk that is nearly full.
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  test::generate_small_catalog(tmp.path + "/cat", 20000, 3);
  test::generate_small_catalog(tmp.path + "/delta", 20000, 4);
  const std::string cli = LONGTAIL_CLI_PATH;
  REQUIRE(std::system((cli + " build -q --catalog " + tmp.path + "/cat/catalog.jsonl --index " + dir + " > /dev/null 2>&1").c_str()) == 0);
  const std::string gen = index::live_generation(dir);
  uintmax_t largest = 0;
  for (auto& e : fs::recursive_directory_iterator(gen))
    if (e.is_regular_file()) largest = std::max(largest, e.file_size());
  const std::string limit = std::to_string(largest / 1024 + 1024);  // KiB: 1 MiB above the largest file
  SearchRequest req;
  req.query = "连衣裙";
  req.limit = 50;
  auto ids = [&] {
    std::vector<std::string> v;
    for (const auto& h : Searcher(dir).search(req).hits) v.push_back(h.sku_id);
    return v;
  };
  const auto before = ids();
  REQUIRE(!before.empty());
  auto run_limited = [&](const std::string& args, int& code) {
    const std::string out = tmp.path + "/out.txt";
    const int st = std::system(("bash -c \"trap '' XFSZ; ulimit -f " + limit + "; " + cli + " " + args + "\" > " + out + " 2>&1").c_str());
    REQUIRE(WIFEXITED(st));
    code = WEXITSTATUS(st);
    return test::read_file(out);
  };
  int code = 0;
  std::string said = run_limited("optimize --index " + dir, code);
  INFO(said);
  CHECK(code == 1);
  CHECK(said.find("File too large") != std::string::npos);
  CHECK(said.find("terminate") == std::string::npos);
  CHECK(index::live_generation(dir) == gen);
  CHECK(index::orphan_generations(dir).empty());  // its partial generation removed
  said = run_limited("update --index " + dir + " --catalog " + tmp.path + "/delta/catalog.jsonl", code);
  INFO(said);
  CHECK(code == 1);
  CHECK(said.find("File too large") != std::string::npos);
  CHECK(said.find("terminate") == std::string::npos);
  CHECK(index::live_generation(dir) == gen);
  CHECK(ids() == before);  // nothing of the refused batch is visible
  // With room again, the journalled batch completes and optimize publishes.
  REQUIRE(std::system((cli + " update --index " + dir + " --catalog " + tmp.path + "/delta/catalog.jsonl > /dev/null 2>&1").c_str()) == 0);
  REQUIRE(std::system((cli + " optimize --index " + dir + " > /dev/null 2>&1").c_str()) == 0);
  CHECK(index::live_generation(dir) != gen);
  CHECK(!ids().empty());
}
