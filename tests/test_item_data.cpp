// An item document's data (schema 5, docs/index-format.md "Data"): each variant's line holds only
// what its entry of the variant table does not carry — the title (line 0, and a line whose title
// differs), display fields, the verdict, and any field the table had to cut — and every reader
// gets the whole record back.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <xapian.h>

#include <longtail/longtail.h>

#include "format/document.h"
#include "index/index_dir.h"
#include "tests/generated.h"
#include "tests/default_analyzer.h"
#include "tests/test_util.h"

using namespace longtail;
using namespace longtail::index;

namespace {

const analysis::Analyzer& analyzer() { return test::default_analyzer(); }

SkuRecord variant(const std::string& sku, const std::string& title, const std::string& colour) {
  SkuRecord r;
  r.sku_id = sku;
  r.item_id = "item-9";
  r.shop_id = "shop-3";
  r.title = title;
  r.category = "女装/连衣裙";
  r.brand = "茵曼";
  r.attrs = {{"颜色", colour}, {"尺码", "M"}};
  r.price = 199.5;
  r.shipping_fee = 10;
  r.sales_30d = 321;
  r.reviews = 40;
  r.good_reviews = 38;
  r.listed_at = 1717000000;
  return r;
}

ListingValues clean() {
  ListingValues v{{0.4, 0.3, 0.8, 0.5}, ListingIntegrity{}};
  return v;
}

ListingValues flagged() {
  ListingValues v = clean();
  v.integrity->penalty = 0.5;
  v.integrity->reasons = "keyword_stuffing";
  v.integrity->verdict_json =
      R"({"penalty":0.5,"reasons":[{"name":"keyword_stuffing","score":3,"penalty":0.5,"explanation":"x"}]})";
  return v;
}

}  // namespace

TEST_CASE("an item's data lines hold only what its variant table lacks, and every reader gets the whole record", "[format][variants][data]") {
  const std::string title = "茵曼 2024夏季新款 碎花连衣裙 收腰显瘦";
  std::vector<SkuRecord> recs = {variant("s3", title, "红色"), variant("s1", title, "蓝色"),
                                 variant("s2", "茵曼 碎花连衣裙 长款", "白色"), variant("s4", title, "黑色")};
  recs[3].fields = R"({"image":"https://img.example/s4.jpg"})";
  std::vector<ListingValues> values = {clean(), clean(), clean(), flagged()};
  const Xapian::Document doc = write_document(analyzer(), recs, values);
  const std::string data = doc.get_data();
  // Table order is sku_id order: s1, s2, s3, s4.
  CHECK(variant_line(data, 0) == R"({"title":")" + title + R"("})");
  CHECK(variant_line(data, 1) == R"({"title":"茵曼 碎花连衣裙 长款"})");
  CHECK(variant_line(data, 2) == "{}");  // its title is line 0's: nothing to store
  const std::string line3(variant_line(data, 3));
  CHECK(line3.find("\"title\"") == std::string::npos);
  CHECK(line3.find(R"("fields":"{\"image\":)") != std::string::npos);
  CHECK(line3.ends_with(R"("integrity":)" + values[3].integrity->verdict_json + "}"));
  CHECK(variant_line(data, 4).empty());

  // Whole records back: from read_item, read_record by sku, and the title alone.
  std::vector<SkuRecord> back;
  std::vector<ListingValues> back_values;
  REQUIRE(read_item(doc, data, back, &back_values));
  REQUIRE(back.size() == 4);
  const std::vector<size_t> input_of = {1, 2, 0, 3};  // table index -> recs index
  for (size_t i = 0; i < 4; ++i) {
    INFO("variant " << i);
    const SkuRecord& want = recs[input_of[i]];
    CHECK(same_record(back[i], want));
    CHECK(back[i].title == want.title);
    CHECK(back[i].attrs == want.attrs);
    CHECK(back[i].fields == want.fields);
    SkuRecord one;
    REQUIRE(read_record(doc, data, want.sku_id, one));
    CHECK(same_record(one, want));
    REQUIRE(variant_title(data, i));
    CHECK(*variant_title(data, i) == want.title);
  }
  REQUIRE(back_values[3].integrity);
  CHECK(back_values[3].integrity->verdict_json == values[3].integrity->verdict_json);
  CHECK(back_values[2].integrity);
  CHECK(back_values[2].integrity->verdict_json.empty());
  // The stored-fields hash is of the whole record, as schema 4 wrote it.
  std::vector<ListingKey> table;
  REQUIRE(decode_item_key(doc.get_value(slot::kStage1Key), table));
  CHECK(table[0].pack.stored_hash == stored_hash(recs[1]));

  // A missing or damaged line is refused, never read as an empty record.
  SkuRecord r;
  CHECK_FALSE(read_variant(data, table[0], 7, r));
  CHECK_FALSE(variant_title(data, 7));
  CHECK_FALSE(read_variant("{\"title\":", table[0], 0, r));
  CHECK_FALSE(read_variant("not json\n{}", table[1], 1, r));  // line 1 has no title, line 0 is damaged
}

TEST_CASE("a field the variant table cuts is kept whole in the variant's data line", "[format][variants][data]") {
  SkuRecord a = variant("a1", "长标题商品", "红色");
  SkuRecord b = variant("a2", "长标题商品", "蓝色");
  b.category = "女装/" + std::string(70000, 'x');  // the table keeps 65,535 bytes of a string
  for (int k = 0; k < 300; ++k) b.attrs.emplace_back("k" + std::to_string(k), "v");  // and 255 attributes
  const std::vector<SkuRecord> recs = {a, b};
  const std::vector<ListingValues> values = {clean(), clean()};
  const Xapian::Document doc = write_document(analyzer(), recs, values);
  const std::string data = doc.get_data();
  CHECK(variant_line(data, 0).find("category") == std::string::npos);  // a's fit the table
  CHECK(variant_line(data, 1).find("\"category\"") != std::string::npos);
  CHECK(variant_line(data, 1).find("\"attrs\"") != std::string::npos);
  std::vector<SkuRecord> back;
  REQUIRE(read_item(doc, data, back));
  REQUIRE(back.size() == 2);
  CHECK(same_record(back[0], a));
  CHECK(same_record(back[1], b));
  CHECK(back[1].category.size() == b.category.size());
  CHECK(back[1].attrs.size() == 302);
}

TEST_CASE("item data on a generated catalog is a fraction of whole stored-fields lines", "[format][variants][data][size]") {
  // Schema 4 wrote every variant's whole stored fields (encode_stored); schema 5 writes what the
  // variant table lacks. On this catalog (seed 3, 4,000 SKUs) that is 24% of the bytes (most of
  // it the verdict objects of flagged listings); the bound keeps a change that writes the shared
  // fields per variant again (100%) from passing unnoticed.
  test::TempDir tmp;
  const test::SmallBuild b = test::build_small_catalog(tmp.path, 4000, 3);
  REQUIRE(b.summary.accepted == 4000);
  Xapian::Database db(b.shard);
  size_t data_bytes = 0, whole_bytes = 0, variants = 0;
  for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
    const Xapian::Document doc = db.get_document(*it);
    const std::string data = doc.get_data();
    std::vector<SkuRecord> recs;
    REQUIRE(read_item(doc, data, recs));
    data_bytes += data.size();
    for (const auto& r : recs) whole_bytes += encode_stored(r).size() + 1;
    variants += recs.size();
  }
  CHECK(variants == 4000);
  INFO(data_bytes << " bytes of data against " << whole_bytes << " as whole lines");
  CHECK(double(data_bytes) < 0.35 * double(whole_bytes));
}
