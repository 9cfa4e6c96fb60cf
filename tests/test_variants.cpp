// Variants on hits (issue 5): the SKU shown is the item's SKU that matches the query best, and the
// hit lists every SKU of its item with its attributes and whether it matches. Golden tests read
// `query -> "shown matching/listed [sku* attrs, ...]"` (tests/search_cases.h describe_variants).
#include <catch2/catch.hpp>

#include <fstream>

#include <xapian.h>

#include <longtail/longtail.h>

#include "format/layout.h"
#include "format/values.h"
#include "index/remote.h"
#include "tests/search_cases.h"
#include "tests/shard_server.h"
#include "tests/test_util.h"

using namespace longtail;

namespace {

// A three-colour dress whose title names no colour (only the attributes do); the red SKUs sell
// least, so without a colour in the query another SKU is shown. A one-SKU white dress, and a red
// skirt that is no dress.
const char* kCatalog = R"({"sku_id":"dv-blk-l","item_id":"dv","shop_id":"s1","title":"雪纺碎花连衣裙 夏季 女","category":"女装/连衣裙","attrs":{"颜色":"黑色","尺码":"L"},"price":99,"sales_30d":120,"reviews":100,"good_reviews":95,"listed_at":"2024-05-01"}
{"sku_id":"dv-blu-m","item_id":"dv","shop_id":"s1","title":"雪纺碎花连衣裙 夏季 女","category":"女装/连衣裙","attrs":{"颜色":"蓝色","尺码":"M"},"price":99,"sales_30d":300,"reviews":200,"good_reviews":190,"listed_at":"2024-05-01"}
{"sku_id":"dv-red-m","item_id":"dv","shop_id":"s1","title":"雪纺碎花连衣裙 夏季 女","category":"女装/连衣裙","attrs":{"颜色":"红色","尺码":"M"},"price":99,"sales_30d":10,"reviews":8,"good_reviews":8,"listed_at":"2024-05-01"}
{"sku_id":"dv-red-s","item_id":"dv","shop_id":"s1","title":"雪纺碎花连衣裙 夏季 女","category":"女装/连衣裙","attrs":{"颜色":"红色","尺码":"S"},"price":99,"sales_30d":5,"reviews":3,"good_reviews":3,"listed_at":"2024-05-01"}
{"sku_id":"dw-0","item_id":"dw","shop_id":"s2","title":"白色长款连衣裙 法式","category":"女装/连衣裙","attrs":{"颜色":"白色"},"price":159,"sales_30d":60,"reviews":40,"good_reviews":39,"listed_at":"2024-03-01"}
{"sku_id":"sk-0","item_id":"sk","shop_id":"s3","title":"半身裙 百褶 红色","category":"女装/半身裙","attrs":{"颜色":"红色"},"price":59,"sales_30d":500,"reviews":300,"good_reviews":290,"listed_at":"2024-02-01"}
)";

std::string build_dresses(const test::TempDir& tmp, const std::string& name, int shards) {
  const std::string catalog = tmp.path + "/dresses.jsonl";
  std::ofstream(catalog, std::ios::binary) << kCatalog;
  BuildOptions o;
  o.catalog_files = {catalog};
  o.index_dir = tmp.path + "/" + name;
  o.shards = shards;
  o.threads = 1;
  build_index(o);
  return o.index_dir;
}

// describe_variants() of every hit, one line each.
std::string page(const Searcher& s, SearchRequest req) {
  std::string o;
  for (const auto& h : s.search(req).hits) o += test::describe_variants(h) + "\n";
  return o;
}

std::string page(const Searcher& s, const std::string& query) {
  SearchRequest req;
  req.query = query;
  return page(s, req);
}

const std::vector<std::string> kDressQueries = {"连衣裙", "连衣裙 红色", "红色", "碎花连衣裙 蓝色 L", "雪纺"};

}  // namespace

TEST_CASE("variants: the SKU shown is the one matching the query, and every variant is listed", "[variants]") {
  test::TempDir tmp;
  Searcher s(build_dresses(tmp, "idx", 1));
  // Without a colour the best-selling SKU is shown; all four match.
  CHECK(page(s, "连衣裙") ==
        "dv-blu-m 4/4 [dv-blk-l* 黑色/L, dv-blu-m* 蓝色/M, dv-red-m* 红色/M, dv-red-s* 红色/S]\n"
        "dw-0 1/1 [dw-0* 白色]\n");
  // The colour is indexed from the attributes: the red SKU is shown, and the two red SKUs of four
  // match (the others cover 连衣裙 only). The page is filled with listings covering less: the
  // white dress, then the red skirt.
  CHECK(page(s, "连衣裙 红色") == "dv-red-m 2/4 [dv-blk-l 黑色/L, dv-blu-m 蓝色/M, dv-red-m* 红色/M, dv-red-s* 红色/S]\n"
                                 "dw-0 1/1 [dw-0* 白色]\n"
                                 "sk-0 1/1 [sk-0* 红色]\n");
  CHECK(page(s, "连衣裙 黑色") == "dv-blk-l 1/4 [dv-blk-l* 黑色/L, dv-blu-m 蓝色/M, dv-red-m 红色/M, dv-red-s 红色/S]\n"
                                 "dw-0 1/1 [dw-0* 白色]\n"
                                 "sk-0 1/1 [sk-0* 红色]\n");
}

TEST_CASE("variants: filters decide which variants match", "[variants]") {
  test::TempDir tmp;
  Searcher s(build_dresses(tmp, "idx", 1));
  SearchRequest req;
  req.query = "连衣裙";
  req.attrs = {{"尺码", "M"}};
  CHECK(page(s, req) == "dv-blu-m 2/4 [dv-blk-l 黑色/L, dv-blu-m* 蓝色/M, dv-red-m* 红色/M, dv-red-s 红色/S]\n");
  // Without collapse every SKU is its own hit: no variant list.
  req.attrs.clear();
  req.collapse = false;
  req.limit = 2;
  CHECK(page(s, req) == "dv-blu-m 1/0 []\ndv-blk-l 1/0 []\n");
}

// Schema 3 (issue 22 item 1): one document per item; its variants are in its variant table and
// every sku_id finds it. (Replaces the schema-2 test of the variant slot 28, which is gone.)
TEST_CASE("variants: one document per item, every variant's sku_id finds it", "[variants][layout]") {
  test::TempDir tmp;
  const std::string idx = build_dresses(tmp, "idx", 1);
  {
    Xapian::Database db(index::local_shard_path(idx, 0));
    CHECK(db.get_doccount() == 3);  // dv (4 SKUs), dw, sk
    const Xapian::docid dv = *db.postlist_begin("XIdv");
    for (const char* sku : {"Qdv-blk-l", "Qdv-blu-m", "Qdv-red-m", "Qdv-red-s"}) CHECK(*db.postlist_begin(sku) == dv);
    std::vector<index::ListingKey> table;
    REQUIRE(index::decode_item_key(db.get_document(dv).get_value(index::slot::kStage1Key), table));
    REQUIRE(table.size() == 4);
    CHECK(table[0].pack.sku == "dv-blk-l");
    CHECK(table[3].attrs == index::Attrs{{"颜色", "红色"}, {"尺码", "S"}});
  }
  CHECK(page(Searcher(idx), "连衣裙 红色").rfind("dv-red-m 2/4 [dv-blk-l 黑色/L, dv-blu-m 蓝色/M, dv-red-m* 红色/M, dv-red-s* 红色/S]\n", 0) == 0);
}

TEST_CASE("variants: the page lookup gives the same variants on 1 and 2 shards", "[variants][shards]") {
  test::TempDir tmp;
  Searcher one(build_dresses(tmp, "one", 1)), two(build_dresses(tmp, "two", 2));
  test::check_same_results(one, two, kDressQueries);
}

TEST_CASE("remote: remote shards give the same variants as local ones", "[remote][variants]") {
  test::TempDir tmp;
  const std::string local = build_dresses(tmp, "local", 2), client = tmp.path + "/client";
  test::ShardServer s0(local, 0), s1(local, 1);
  index::attach_remote_shards(local, client, {{0, {"127.0.0.1", s0.port()}}, {1, {"127.0.0.1", s1.port()}}});
  Searcher a(local), b(client);
  test::check_same_results(a, b, kDressQueries);
  CHECK(page(b, "连衣裙 红色") == page(a, "连衣裙 红色"));
  CHECK(page(b, "连衣裙 红色").rfind("dv-red-m 2/4 ", 0) == 0);
}

TEST_CASE("variants: longtail search prints them in the table and in --json", "[variants][cli]") {
  test::TempDir tmp;
  const std::string idx = build_dresses(tmp, "idx", 1);
  auto json = test::run_cli("search --index " + idx + " --json 连衣裙 红色");
  REQUIRE(json.status == 0);
  CHECK(json.out.find("\"sku_id\":\"dv-red-m\"") != std::string::npos);
  CHECK(json.out.find("\"variants\":2,") != std::string::npos);
  CHECK(json.out.find("\"variant_list\":[{\"sku_id\":\"dv-blk-l\",\"attrs\":{\"颜色\":\"黑色\",\"尺码\":\"L\"},"
                      "\"matched\":false},") != std::string::npos);
  CHECK(json.out.find("{\"sku_id\":\"dv-red-s\",\"attrs\":{\"颜色\":\"红色\",\"尺码\":\"S\"},\"matched\":true}]") !=
        std::string::npos);
  auto table = test::run_cli("search --index " + idx + " 连衣裙 红色");
  REQUIRE(table.status == 0);
  CHECK(table.out.find("[4 variants (2 match): 红色/M, 红色/S, 黑色/L, 蓝色/M]") != std::string::npos);
}

// ---- one document per item (issue 22 item 1) ----------------------------------------------

namespace {

// An item of three variants priced 50, 100 and 200 whose lines are scattered over the file,
// between the lines of two other items.
const char* kScattered = R"({"sku_id":"pv-050","item_id":"pv","shop_id":"s1","title":"纯棉短袖T恤 男","category":"男装/T恤","attrs":{"颜色":"白色","尺码":"M"},"price":50,"sales_30d":30,"reviews":10,"good_reviews":9,"listed_at":"2024-05-01"}
{"sku_id":"ox-1","item_id":"ox","shop_id":"s2","title":"牛津纺衬衫 长袖","category":"男装/衬衫","attrs":{"颜色":"蓝色"},"price":129,"sales_30d":40,"reviews":20,"good_reviews":19,"listed_at":"2024-04-01"}
{"sku_id":"pv-100","item_id":"pv","shop_id":"s1","title":"纯棉短袖T恤 男","category":"男装/T恤","attrs":{"颜色":"黑色","尺码":"L"},"price":100,"sales_30d":20,"reviews":8,"good_reviews":8,"listed_at":"2024-05-01"}
{"sku_id":"ox-2","item_id":"ox","shop_id":"s2","title":"牛津纺衬衫 长袖","category":"男装/衬衫","attrs":{"颜色":"白色"},"price":129,"sales_30d":10,"reviews":5,"good_reviews":5,"listed_at":"2024-04-01"}
{"sku_id":"pl-1","item_id":"pl","shop_id":"s3","title":"POLO衫 短袖 男","category":"男装/POLO衫","attrs":{"颜色":"红色"},"price":80,"sales_30d":60,"reviews":30,"good_reviews":29,"listed_at":"2024-03-01"}
{"sku_id":"pv-200","item_id":"pv","shop_id":"s1","title":"纯棉短袖T恤 男","category":"男装/T恤","attrs":{"颜色":"灰色","尺码":"XL"},"price":200,"sales_30d":10,"reviews":3,"good_reviews":3,"listed_at":"2024-05-01"}
)";

std::string build_scattered(const test::TempDir& tmp, const std::string& name, int shards) {
  const std::string catalog = tmp.path + "/scattered.jsonl";
  std::ofstream(catalog, std::ios::binary) << kScattered;
  BuildOptions o;
  o.catalog_files = {catalog};
  o.index_dir = tmp.path + "/" + name;
  o.shards = shards;
  o.threads = 2;
  build_index(o);
  return o.index_dir;
}

UpdateSummary update_with(const test::TempDir& tmp, const std::string& idx, const std::string& delta) {
  const std::string path = tmp.path + "/delta.jsonl";
  std::ofstream(path, std::ios::binary) << delta;
  UpdateOptions o;
  o.index_dir = idx;
  o.catalog_files = {path};
  return update_index(o);
}

uint64_t documents(const std::string& idx, int shards) {
  uint64_t n = 0;
  for (int s = 0; s < shards; ++s) n += Xapian::Database(index::local_shard_path(idx, s)).get_doccount();
  return n;
}

std::string price_page(const Searcher& s, const std::string& query, double lo, double hi) {
  SearchRequest req;
  req.query = query;
  req.price_min = lo;
  req.price_max = hi;
  return page(s, req);
}

}  // namespace

TEST_CASE("items: an item's variants scattered over the catalog make one document", "[variants][items][build]") {
  test::TempDir tmp;
  for (int shards : {1, 2}) {
    const std::string idx = build_scattered(tmp, "idx" + std::to_string(shards), shards);
    CHECK(documents(idx, shards) == 3);
    Searcher s(idx);
    CHECK(s.info().skus == 6);
    CHECK(s.info().items == 3);
    CHECK(page(s, "T恤") == "pv-050 3/3 [pv-050* 白色/M, pv-100* 黑色/L, pv-200* 灰色/XL]\n");
    // Every variant's sku_id finds the item, showing that variant.
    auto h = s.get("pv-200");
    REQUIRE(h);
    CHECK(test::describe_variants(*h) == "pv-200 1/3 [pv-050 白色/M, pv-100 黑色/L, pv-200* 灰色/XL]");
    CHECK(h->price == 200);
  }
}

TEST_CASE("items: --attr with two keys matches an item only through one variant having both", "[variants][items]") {
  test::TempDir tmp;
  Searcher s(build_dresses(tmp, "idx", 1));
  SearchRequest req;
  req.query = "连衣裙";
  // The dress has a black SKU (size L) and size-M SKUs, but no black size-M SKU.
  req.attrs = {{"颜色", "黑色"}, {"尺码", "M"}};
  CHECK(page(s, req) == "");
  req.attrs = {{"颜色", "红色"}, {"尺码", "M"}};
  CHECK(page(s, req) == "dv-red-m 1/4 [dv-blk-l 黑色/L, dv-blu-m 蓝色/M, dv-red-m* 红色/M, dv-red-s 红色/S]\n");
  // OR within a key.
  req.attrs = {{"颜色", "黑色"}, {"颜色", "蓝色"}, {"尺码", "M"}};
  CHECK(page(s, req) == "dv-blu-m 1/4 [dv-blk-l 黑色/L, dv-blu-m* 蓝色/M, dv-red-m 红色/M, dv-red-s 红色/S]\n");
}

TEST_CASE("items: a price range keeps an item by the variant in range, and the hit shows it", "[variants][items]") {
  test::TempDir tmp;
  Searcher s(build_scattered(tmp, "idx", 1));
  CHECK(price_page(s, "T恤", 90, 120) == "pv-100 1/3 [pv-050 白色/M, pv-100* 黑色/L, pv-200 灰色/XL]\n");
  CHECK(price_page(s, "T恤", 120, 150) == "");  // between the variants' prices: none in range
  SearchRequest req;
  req.query = "T恤";
  req.price_min = 150;
  auto r = s.search(req);
  REQUIRE(r.hits.size() == 1);
  CHECK(r.hits[0].sku_id == "pv-200");
  CHECK(r.hits[0].price == 200);
  // Price sorts: the item by its lowest price ascending, by its highest descending.
  req = SearchRequest{};
  req.query = "男";
  req.sort = SortOrder::PriceAsc;
  auto asc = s.search(req);
  REQUIRE(asc.hits.size() >= 2);
  CHECK(asc.hits[0].item_id == "pv");
  req.sort = SortOrder::PriceDesc;
  auto desc = s.search(req);
  REQUIRE(desc.hits.size() >= 2);
  CHECK(desc.hits[0].item_id == "pv");
}

TEST_CASE("items: updating one variant rewrites its item: price (values only), title, deletions", "[variants][items][updater]") {
  test::TempDir tmp;
  const std::string idx = build_scattered(tmp, "idx", 2);
  const std::string line200 = R"({"sku_id":"pv-200","item_id":"pv","shop_id":"s1","title":"纯棉短袖T恤 男","category":"男装/T恤","attrs":{"颜色":"灰色","尺码":"XL"},"price":110,"sales_30d":10,"reviews":3,"good_reviews":3,"listed_at":"2024-05-01"})";
  {
    auto u = update_with(tmp, idx, line200 + "\n");
    CHECK(u.values_only == 1);
    CHECK(u.reindexed == 0);
    CHECK(u.skus == 6);
    CHECK(u.items == 3);
    Searcher s(idx);
    CHECK(price_page(s, "T恤", 90, 120) == "pv-100 2/3 [pv-050 白色/M, pv-100* 黑色/L, pv-200* 灰色/XL]\n");
    CHECK(price_page(s, "T恤", 105, 120) == "pv-200 1/3 [pv-050 白色/M, pv-100 黑色/L, pv-200* 灰色/XL]\n");
    CHECK(s.get("pv-200")->price == 110);
  }
  {
    const std::string retitled = R"({"sku_id":"pv-050","item_id":"pv","shop_id":"s1","title":"纯棉短袖T恤 男 冰丝","category":"男装/T恤","attrs":{"颜色":"白色","尺码":"M"},"price":50,"sales_30d":30,"reviews":10,"good_reviews":9,"listed_at":"2024-05-01"})";
    auto u = update_with(tmp, idx, retitled + "\n");
    CHECK(u.reindexed == 1);
    CHECK(u.skus == 6);
    Searcher s(idx);
    auto r = s.search([] { SearchRequest q; q.query = "冰丝"; return q; }());
    REQUIRE(r.hits.size() == 1);
    CHECK(r.hits[0].item_id == "pv");
    CHECK(s.get("pv-050")->title == "纯棉短袖T恤 男 冰丝");
    CHECK(s.get("pv-100")->title == "纯棉短袖T恤 男");
    CHECK(documents(idx, 2) == 3);
  }
  {
    auto u = update_with(tmp, idx, R"({"sku_id":"pv-100","deleted":true})" "\n");
    CHECK(u.deleted == 1);
    CHECK(u.skus == 5);
    CHECK(u.items == 3);
    Searcher s(idx);
    CHECK_FALSE(s.get("pv-100"));
    CHECK(page(s, "T恤") == "pv-050 2/2 [pv-050* 白色/M, pv-200* 灰色/XL]\n");
  }
  {
    auto u = update_with(tmp, idx, R"({"sku_id":"pv-050","deleted":true})" "\n" R"({"sku_id":"pv-200","deleted":true})" "\n");
    CHECK(u.deleted == 2);
    CHECK(u.skus == 3);
    CHECK(u.items == 2);
    CHECK(documents(idx, 2) == 2);
    Searcher s(idx);
    CHECK_FALSE(s.get("pv-200"));
    CHECK(page(s, "T恤") == "");
  }
  {
    // A SKU that changes item leaves its old item and joins the new one.
    const std::string moved = R"({"sku_id":"ox-2","item_id":"pl","shop_id":"s3","title":"POLO衫 短袖 男","category":"男装/POLO衫","attrs":{"颜色":"白色"},"price":80,"sales_30d":5,"reviews":1,"good_reviews":1,"listed_at":"2024-03-01"})";
    auto u = update_with(tmp, idx, moved + "\n");
    CHECK(u.skus == 3);
    CHECK(u.items == 2);
    Searcher s(idx);
    auto h = s.get("ox-2");
    REQUIRE(h);
    CHECK(h->item_id == "pl");
    CHECK(test::describe_variants(*h) == "ox-2 1/2 [ox-2* 白色, pl-1 红色]");
    CHECK(test::describe_variants(*s.get("ox-1")) == "ox-1 1/1 [ox-1* 蓝色]");
  }
}

TEST_CASE("items: a listing without a price is in no price range, no price band, and last in both price sorts", "[variants][items][price]") {
  // Three mugs: one priced item, one with no price at all, one whose cheap variant has no price
  // (its priced variant costs 80). Before, a missing price counted as 0: the cheapest listing,
  // inside every range that starts at 0 and first in price-asc.
  const char* catalog = R"({"sku_id":"m1","item_id":"mp","shop_id":"s1","title":"陶瓷马克杯 大容量","category":"家居/杯子","price":30,"sales_30d":5,"listed_at":"2024-05-01"}
{"sku_id":"m2","item_id":"mn","shop_id":"s2","title":"陶瓷马克杯 简约","category":"家居/杯子","sales_30d":50,"listed_at":"2024-05-01"}
{"sku_id":"m3a","item_id":"mm","shop_id":"s3","title":"陶瓷马克杯 情侣","category":"家居/杯子","attrs":{"颜色":"白色"},"sales_30d":9,"listed_at":"2024-05-01"}
{"sku_id":"m3b","item_id":"mm","shop_id":"s3","title":"陶瓷马克杯 情侣","category":"家居/杯子","attrs":{"颜色":"黑色"},"price":80,"sales_30d":9,"listed_at":"2024-05-01"}
)";
  test::TempDir tmp;
  const std::string path = tmp.path + "/mugs.jsonl";
  std::ofstream(path, std::ios::binary) << catalog;
  BuildOptions o;
  o.catalog_files = {path};
  o.index_dir = tmp.path + "/idx";
  o.threads = 1;
  build_index(o);
  Searcher s(o.index_dir);
  auto ids = [&](SearchRequest req) {
    std::string out;
    for (const auto& h : s.search(req).hits) out += h.sku_id + (h.price_known ? "" : "(no price)") + " ";
    return out;
  };
  SearchRequest req;
  req.query = "马克杯";
  CHECK(s.search(req).hits.size() == 3);
  req.price_min = 0;
  req.price_max = 100;
  CHECK(ids(req) == "m1 m3b ");  // the priced variant of the mixed item is shown
  req.price_min.reset();
  req.price_max = 50;
  CHECK(ids(req) == "m1 ");
  req.price_max.reset();
  req.price_min = 0;
  CHECK(ids(req) == "m1 m3b ");
  req.price_min.reset();
  req.sort = SortOrder::PriceAsc;
  CHECK(ids(req) == "m1 m3b m2(no price) ");
  req.sort = SortOrder::PriceDesc;
  CHECK(ids(req) == "m3b m1 m2(no price) ");
  req.sort = SortOrder::Relevance;
  req.facets = {"price"};
  const auto r = s.search(req);
  size_t banded = 0, priced = 0;
  for (const auto& f : r.facets)
    for (const auto& v : f.values) banded += v.count;
  for (const auto& h : r.hits) priced += h.price_known;
  CHECK(r.hits.size() == 3);
  CHECK(banded == priced);  // a hit shown without a price is in no band
  CHECK(banded < 3);        // mn has none
}
