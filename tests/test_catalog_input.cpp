// Catalog input as people write it (issue 26): a UTF-8 byte-order mark and CRLF line ends in
// every JSON Lines input, an empty catalog, and a SKU without a price.
#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <longtail/longtail.h>

#include "index/catalog.h"
#include "format/document.h"
#include "index/signals.h"
#include "tests/test_util.h"

using namespace longtail;
namespace fs = std::filesystem;

namespace {

const std::string kBom = "\xEF\xBB\xBF";

// The hit of `sku` in `json` (a search --json line): its text up to the next hit or the end.
std::string hit_json(const std::string& json, const std::string& sku) {
  const size_t at = json.find("\"sku_id\":\"" + sku + "\"");
  if (at == std::string::npos) return "";
  return json.substr(at, json.find("{\"rank\":", at) - at);
}

// The hits of `query` on the index in `dir`, opened afresh.
std::vector<Hit> find_hits(const std::string& dir, const std::string& query) {
  SearchRequest req;
  req.query = query;
  req.limit = 10;
  return Searcher(dir).search(req).hits;
}

// The table row of `sku` in `table` (search without --json).
std::string table_row(const std::string& table, const std::string& sku) {
  const size_t at = table.find(" " + sku + " ");
  if (at == std::string::npos) return "";
  return table.substr(at, table.find('\n', at) - at);
}

}  // namespace

TEST_CASE("line reader drops a byte-order mark on line 1 only and the CR of CRLF", "[catalog][input]") {
  test::TempDir tmp;
  const std::string path = tmp.path + "/bom.jsonl";
  test::write_file(path, kBom + "{\"a\":1}\r\n" + kBom + "x\r\nlast\r");
  index::LineReader r(path);
  index::LineReader::Line l;
  REQUIRE(r.next(l));
  CHECK(l.text == "{\"a\":1}");
  REQUIRE(r.next(l));
  CHECK(l.text == kBom + "x");  // not at the start of the file: data, left for the parser to judge
  REQUIRE(r.next(l));
  CHECK(l.text == "last");
  CHECK_FALSE(r.next(l));
  // A file holding only a BOM (and a last line without newline) is one blank line.
  test::write_file(path, kBom);
  index::LineReader only(path);
  REQUIRE(only.next(l));
  CHECK(l.text.empty());
  CHECK_FALSE(only.next(l));
}

TEST_CASE("build and update accept a byte-order mark and CRLF in catalog, shops and update files", "[catalog][input]") {
  test::TempDir tmp;
  test::write_file(tmp.path + "/cat.jsonl",
                   kBom + R"({"sku_id":"b1","shop_id":"s1","title":"不锈钢 保温杯 500ml","price":59})" "\r\n"
                          R"({"sku_id":"b2","shop_id":"s1","title":"玻璃 保温杯 大容量","price":39})" "\r\n");
  test::write_file(tmp.path + "/shops.jsonl",
                   kBom + R"({"shop_id":"s1","name":"杯子店","dsr":{"service":4.8}})" "\r\n"
                          R"({"shop_id":"s2","name":"别家"})" "\r\n");
  BuildOptions o;
  o.catalog_files = {tmp.path + "/cat.jsonl"};
  o.shops_file = tmp.path + "/shops.jsonl";
  o.index_dir = tmp.path + "/idx";
  BuildSummary b = build_index(o);  // --on-error fail (the default): any rejected line throws
  CHECK(b.accepted == 2);
  CHECK(b.shops == 2);
  CHECK(b.rejected == 0);
  const auto before = find_hits(o.index_dir, "保温杯");
  REQUIRE(before.size() == 2);
  for (const auto& h : before) CHECK(h.shop_id == "s1");

  // An update file and an update shops file with a BOM and CRLF.
  test::write_file(tmp.path + "/delta.jsonl",
                   kBom + R"({"sku_id":"b1","shop_id":"s1","title":"不锈钢 保温杯 500ml","price":49})" "\r\n"
                          R"({"sku_id":"b2","deleted":true})" "\r\n");
  test::write_file(tmp.path + "/shops2.jsonl", kBom + R"({"shop_id":"s3","name":"新店"})" "\r\n");
  UpdateOptions u;
  u.index_dir = o.index_dir;
  u.catalog_files = {tmp.path + "/delta.jsonl"};
  u.shops_file = tmp.path + "/shops2.jsonl";
  UpdateSummary us = update_index(u);
  CHECK(us.records == 2);
  CHECK(us.deleted == 1);
  CHECK(us.shops_changed == 1);
  CHECK(us.rejected == 0);
  const auto after = find_hits(o.index_dir, "保温杯");
  REQUIRE(after.size() == 1);
  CHECK(after[0].sku_id == "b1");
  CHECK(after[0].price == 49);

  // The CLI reads through the same reader.
  auto cli = test::run_cli("build -q --catalog " + tmp.path + "/cat.jsonl --shops " + tmp.path + "/shops.jsonl --index " +
                           tmp.path + "/cli-idx 2>&1");
  CHECK(cli.status == 0);
  CHECK_THAT(cli.out, Catch::Contains("2 SKUs accepted"));
}

TEST_CASE("an empty catalog builds an empty index that search, check and inspect accept", "[catalog][input][cli]") {
  test::TempDir tmp;
  int n = 0;
  for (const std::string& text : {std::string(), std::string("\n  \n\t\r\n"), kBom + "\r\n"}) {
    INFO("catalog " << n << ": \"" << text << "\"");
    const std::string cat = tmp.path + "/empty" + std::to_string(n) + ".jsonl";
    const std::string idx = tmp.path + "/idx" + std::to_string(n++);
    test::write_file(cat, text);
    auto b = test::run_cli("build -q --catalog " + cat + " --index " + idx + " --shards 2 2>&1");
    INFO(b.out);
    REQUIRE(b.status == 0);
    CHECK_THAT(b.out, Catch::Contains("0 SKUs accepted"));
    CHECK(Searcher(idx).info().skus == 0);

    auto s = test::run_cli("search --index " + idx + " --json 连衣裙 红色 2>&1");
    CHECK(s.status == 0);
    CHECK_THAT(s.out, Catch::Contains("\"hits\":[]") && Catch::Contains("\"total_estimated\":0"));
    auto t = test::run_cli("search --index " + idx + " 连衣裙 --facets category,brand,price 2>&1");
    CHECK(t.status == 0);
    CHECK_THAT(t.out, Catch::Contains("no results"));
    auto c = test::run_cli("check --index " + idx + " 2>&1");
    CHECK(c.status == 0);
    CHECK_THAT(c.out, Catch::Contains("index is sound"));
    auto i = test::run_cli("inspect --index " + idx + " 2>&1");
    CHECK(i.status == 0);
    // An empty index takes updates like any other.
    test::write_file(tmp.path + "/one.jsonl", R"({"sku_id":"n1","title":"碎花 连衣裙 红色","price":99})" "\n");
    UpdateOptions u;
    u.index_dir = idx;
    u.catalog_files = {tmp.path + "/one.jsonl"};
    CHECK(update_index(u).skus == 1);
    CHECK(find_hits(idx, "连衣裙").size() == 1);
  }
}

TEST_CASE("an empty catalog does not replace a live index that has SKUs, and all-rejected is refused", "[catalog][input]") {
  test::TempDir tmp;
  test::write_file(tmp.path + "/one.jsonl", R"({"sku_id":"k1","title":"保温杯","price":10})" "\n");
  test::write_file(tmp.path + "/empty.jsonl", "\n");
  test::write_file(tmp.path + "/bad.jsonl", R"({"sku_id":"k1"})" "\n");
  BuildOptions o;
  o.index_dir = tmp.path + "/idx";
  o.catalog_files = {tmp.path + "/one.jsonl"};
  build_index(o);
  o.catalog_files = {tmp.path + "/empty.jsonl"};
  CHECK_THROWS_WITH(build_index(o), Catch::Contains("no records to index") && Catch::Contains("has 1 SKUs"));
  CHECK(Searcher(o.index_dir).info().skus == 1);
  // Every record rejected: refused even with no live index.
  o.index_dir = tmp.path + "/idx2";
  o.catalog_files = {tmp.path + "/bad.jsonl"};
  o.on_error = OnError::Skip;
  CHECK_THROWS_WITH(build_index(o), Catch::Contains("no records to index (1 rejected)"));
  CHECK_FALSE(fs::exists(o.index_dir + "/CURRENT"));
}

TEST_CASE("a SKU without a price is no price, not 0.00, in the table, JSON and the library", "[catalog][input][cli]") {
  test::TempDir tmp;
  const std::string idx = tmp.path + "/idx";
  test::write_file(tmp.path + "/cat.jsonl",
                   R"({"sku_id":"nop","title":"保温杯 不锈钢 甲","shipping_fee":8,"sales_30d":50})" "\n"
                   R"({"sku_id":"nullp","title":"保温杯 不锈钢 乙","price":null,"sales_30d":40})" "\n"
                   R"({"sku_id":"fee","title":"保温杯 不锈钢 丙","price":199,"shipping_fee":8,"sales_30d":30})" "\n"
                   R"({"sku_id":"plain","title":"保温杯 不锈钢 丁","price":59,"sales_30d":20})" "\n"
                   R"({"sku_id":"zero","title":"保温杯 不锈钢 戊","price":0,"sales_30d":10})" "\n");
  REQUIRE(test::run_cli("build -q --catalog " + tmp.path + "/cat.jsonl --index " + idx).status == 0);

  auto json = test::run_cli("search --index " + idx + " --json -n 10 保温杯");
  REQUIRE(json.status == 0);
  CHECK_THAT(hit_json(json.out, "nop"), Catch::Contains("\"price\":null,\"shipping_fee\":8,\"effective_price\":null,"));
  CHECK_THAT(hit_json(json.out, "nullp"), Catch::Contains("\"price\":null,\"shipping_fee\":0,\"effective_price\":null,"));
  CHECK_THAT(hit_json(json.out, "fee"), Catch::Contains("\"price\":199,\"shipping_fee\":8,\"effective_price\":207,"));
  CHECK_THAT(hit_json(json.out, "plain"), Catch::Contains("\"price\":59,\"shipping_fee\":0,\"effective_price\":59,"));
  CHECK_THAT(hit_json(json.out, "zero"), Catch::Contains("\"price\":0,\"shipping_fee\":0,\"effective_price\":0,"));

  // The table shows the catalog price (the same as JSON "price") and the fee beside it.
  auto table = test::run_cli("search --index " + idx + " -n 10 保温杯");
  REQUIRE(table.status == 0);
  CHECK_THAT(table.out, Catch::Contains("price(+fee)"));
  CHECK_THAT(table_row(table.out, "nop"), Catch::Contains(" no price+8.00 ") && !Catch::Contains(" 0.00"));
  CHECK_THAT(table_row(table.out, "nullp"), Catch::Contains(" no price ") && !Catch::Contains(" 0.00"));
  CHECK_THAT(table_row(table.out, "fee"), Catch::Contains(" 199.00+8.00 ") && !Catch::Contains("207"));
  CHECK_THAT(table_row(table.out, "plain"), Catch::Contains(" 59.00 ") && !Catch::Contains("+"));
  CHECK_THAT(table_row(table.out, "zero"), Catch::Contains(" 0.00 ") && !Catch::Contains("no price"));

  // The library: Hit::price_known.
  auto known = [&](const std::string& sku) {
    for (const auto& h : find_hits(idx, "保温杯"))
      if (h.sku_id == sku) return std::optional<bool>(h.price_known);
    return std::optional<bool>();
  };
  CHECK(known("nop") == false);
  CHECK(known("fee") == true);
  CHECK(known("zero") == true);

  // An update that gives a price (and one that takes it away) is a values-only change.
  test::write_file(tmp.path + "/delta.jsonl",
                   R"({"sku_id":"nop","title":"保温杯 不锈钢 甲","price":25,"shipping_fee":8,"sales_30d":50})" "\n"
                   R"({"sku_id":"plain","title":"保温杯 不锈钢 丁","sales_30d":20})" "\n"
                   R"({"sku_id":"nullp","title":"保温杯 不锈钢 乙","sales_30d":40})" "\n");
  UpdateOptions u;
  u.index_dir = idx;
  u.catalog_files = {tmp.path + "/delta.jsonl"};
  auto us = update_index(u);
  CHECK(us.values_only == 2);
  CHECK(us.unchanged == 1);  // nullp: still no price
  CHECK(known("nop") == true);
  CHECK(known("plain") == false);
  CHECK(known("nullp") == false);
}

TEST_CASE("a record without a price round-trips and the rank pack keeps it, reading version 2 packs", "[catalog][input]") {
  index::RecordParser p;
  index::SkuRecord r;
  RecordError e;
  REQUIRE(p.parse_sku(R"({"sku_id":"a","title":"t","shipping_fee":3})", r, e));
  CHECK_FALSE(r.price_known);
  CHECK(r.price == 0);
  REQUIRE(p.parse_sku(R"({"sku_id":"a","title":"t","price":null})", r, e));
  CHECK_FALSE(r.price_known);
  const std::string line = index::record_json(r);
  CHECK(line.find("\"price\"") == std::string::npos);
  index::SkuRecord back;
  REQUIRE(p.parse_sku(line, back, e));
  CHECK(index::same_record(back, r));
  REQUIRE(p.parse_sku(R"({"sku_id":"a","title":"t","price":0})", back, e));
  CHECK(back.price_known);
  CHECK_FALSE(index::same_record(back, r));  // 0.00 is a price; none is not

  index::RankPack pack;
  pack.price = 0;
  pack.price_known = false;
  pack.shipping_fee = 3;
  pack.sku = "a";
  pack.brand = "b";
  index::RankPack out;
  const std::string v3 = index::encode_rank_pack(pack);
  REQUIRE(index::decode_rank_pack(v3, out));
  CHECK_FALSE(out.price_known);
  CHECK(out.effective_price == 3);
  CHECK(out.brand == "b");
  // Version 2 (indexes built before the flag): no flags byte, every price known.
  std::string v2 = v3;
  v2[0] = char(2);
  v2.erase(1 + 11 * 8, 1);
  REQUIRE(index::decode_rank_pack(v2, out));
  CHECK(out.price_known);
  CHECK(out.sku == "a");
  CHECK(out.brand == "b");
  std::string bad = v3;
  bad[1 + 11 * 8] = char(7);  // an unknown flag: damaged
  CHECK_FALSE(index::decode_rank_pack(bad, out));
}
