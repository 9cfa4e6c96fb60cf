// Display fields (issue 24 item 3): the members of a catalog line longtail does not read (image,
// url, promotion text, ...) are stored per SKU as written and returned in each hit as `fields`.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <simdjson.h>
#include <xapian.h>

#include <longtail/longtail.h>

#include "index/catalog.h"
#include "index/display_fields.h"
#include "format/document.h"
#include "index/index_dir.h"
#include "index/remote.h"
#include "tests/shard_server.h"
#include "tests/test_util.h"

using namespace longtail;

namespace {

// Catalog lines: a dress with display fields written with spaces, nested values, escapes and a
// number longtail would print otherwise (1.50); a shoe without any.
const std::string kDressFields =
    R"({"image":"https://img.example.com/d/1.jpg","promo":{"text" : "满200减30", "until":"2024-06-18"},)"
    R"("tags":[ "新款", 1.50, true, null ],"note":"\u7ea2\"q\"","integrity":{"x":1}})";
const std::string kDressLine =
    R"({"sku_id":"dress-1","item_id":"dress","shop_id":"s1","title":"碎花连衣裙 夏季 红色","category":"女装/连衣裙",)"
    R"("brand":"优衣库","image" : "https://img.example.com/d/1.jpg","attrs":{"颜色":"红色"},"price":129,)"
    R"("promo": {"text" : "满200减30", "until":"2024-06-18"},"tags":[ "新款", 1.50, true, null ],)"
    R"("note":"\u7ea2\"q\"","integrity":{"x":1},"sales_30d":10})";
const std::string kShoeLine =
    R"({"sku_id":"shoe-1","item_id":"shoe","shop_id":"s2","title":"轻便跑步鞋 透气","category":"运动/跑步鞋","price":199})";

std::string catalog() { return kDressLine + "\n" + kShoeLine + "\n"; }

std::string build(const std::string& dir, const std::string& catalog_text, bool serving = false, int shards = 1) {
  std::filesystem::create_directories(dir);
  test::write_file(dir + "/catalog.jsonl", catalog_text);
  BuildOptions o;
  o.catalog_files = {dir + "/catalog.jsonl"};
  o.index_dir = dir + "/idx";
  o.shards = shards;
  o.serving = serving;
  build_index(o);
  return o.index_dir;
}

SearchResult search(const Searcher& s, const std::string& q) {
  SearchRequest req;
  req.query = q;
  return s.search(req);
}

UpdateSummary update(const std::string& idx, const std::string& path, const std::string& delta) {
  test::write_file(path, delta);
  UpdateOptions o;
  o.index_dir = idx;
  o.catalog_files = {path};
  return update_index(o);
}

// A document's terms, joined.
std::string terms_of(const std::string& idx, const std::string& sku) {
  const std::string gen = index::live_generation(idx);
  Xapian::Database db(gen + "/shard-000");
  auto p = db.postlist_begin("Q" + sku);
  REQUIRE(p != db.postlist_end("Q" + sku));
  std::string out;
  const Xapian::Document d = db.get_document(*p);
  for (auto t = d.termlist_begin(); t != d.termlist_end(); ++t) out += *t + " ";
  return out;
}

}  // namespace

TEST_CASE("fields: the catalog keeps every member it does not read, byte for byte, in line order", "[fields][catalog]") {
  index::RecordParser p;
  index::SkuRecord r;
  RecordError e;
  REQUIRE(p.parse_sku(kDressLine, r, e));
  CHECK(r.fields == kDressFields);
  CHECK(r.title == "碎花连衣裙 夏季 红色");
  CHECK(r.sales_30d == 10);
  REQUIRE(p.parse_sku(kShoeLine, r, e));
  CHECK(r.fields.empty());
  // Whitespace around members and a trailing one; a lone member; an empty key.
  REQUIRE(p.parse_sku(R"(  { "sku_id" : "a" , "title":"t" , "url" : "https://x/a?b=1&c=2" }  )", r, e));
  CHECK(r.fields == R"({"url":"https://x/a?b=1&c=2"})");
  REQUIRE(p.parse_sku(R"({"":{},"sku_id":"a","title":"t","x":[]})", r, e));
  CHECK(r.fields == R"({"":{},"x":[]})");
  // A deletion keeps none.
  REQUIRE(p.parse_sku(R"({"sku_id":"a","deleted":true,"image":"u"})", r, e));
  CHECK(r.fields.empty());
  // Duplicate keys stay an error, display fields or not.
  CHECK_FALSE(p.parse_sku(R"({"sku_id":"a","title":"t","image":"u","image":"v"})", r, e));
  CHECK(e.field == "json");
}

TEST_CASE("fields: over 16 KiB of display fields is rejected naming the member that crosses the limit", "[fields][catalog][limits]") {
  index::RecordParser p;
  index::SkuRecord r;
  RecordError e;
  const std::string head = R"({"sku_id":"a","title":"t","image":"u","desc":")";
  // {"image":"u","desc":"…"} is 22 bytes around the text: 16,384 bytes exactly is accepted.
  const size_t room = index::kMaxDisplayFieldsBytes - std::string(R"({"image":"u","desc":""})").size();
  REQUIRE(p.parse_sku(head + std::string(room, 'x') + R"("})", r, e));
  CHECK(r.fields.size() == index::kMaxDisplayFieldsBytes);
  CHECK_FALSE(p.parse_sku(head + std::string(room + 1, 'x') + R"(","more":1})", r, e));
  CHECK(e.field == "desc");
  CHECK(e.reason.find("16384") != std::string::npos);
  CHECK(e.reason.find("16 KiB") != std::string::npos);
  // The limit counts display fields only: a long title is the title's own error.
  REQUIRE(p.parse_sku(R"({"sku_id":"a","title":")" + std::string(500, 't') + R"(","image":"u"})", r, e));

  // From a build: FILE:LINE: field: reason, and with --on-error skip the rest is indexed.
  test::TempDir tmp;
  const std::string big = R"({"sku_id":"big","title":"大 连衣裙","blurb":")" + std::string(20000, 'y') + R"("})";
  test::write_file(tmp.path + "/c.jsonl", kShoeLine + "\n" + big + "\n");
  BuildOptions o;
  o.catalog_files = {tmp.path + "/c.jsonl"};
  o.index_dir = tmp.path + "/idx";
  try {
    build_index(o);
    FAIL("a build with an oversized record succeeded");
  } catch (const DataError& ex) {
    CHECK(std::string(ex.what()).find("c.jsonl:2: blurb: display fields over 16384 bytes") != std::string::npos);
  }
  o.on_error = OnError::Skip;
  const BuildSummary s = build_index(o);
  CHECK(s.accepted == 1);
  REQUIRE(s.errors.size() == 1);
  CHECK(s.errors[0].line == 2);
  CHECK(s.errors[0].field == "blurb");
}

TEST_CASE("fields: stored data and catalog lines round-trip them, and data without them is as before", "[fields][document]") {
  index::RecordParser p;
  index::SkuRecord r, back, line_back;
  RecordError e;
  REQUIRE(p.parse_sku(kDressLine, r, e));
  const std::string data = index::encode_stored(r);
  REQUIRE(index::decode_stored(data, back));
  CHECK(back.fields == r.fields);
  CHECK(index::encode_stored(back) == data);
  // Stored as a string: the display key "integrity" is not the data's own integrity object.
  CHECK(data.find(",\"integrity\":{") == std::string::npos);
  // As a catalog line (inspect, generated deltas) the members come back at the top level.
  const std::string line = index::record_json(r);
  CHECK(line.find(R"("promo":{"text" : "满200减30", "until":"2024-06-18"})") != std::string::npos);
  REQUIRE(p.parse_sku(line, line_back, e));
  CHECK(line_back.fields == r.fields);
  CHECK(index::same_record(line_back, r));
  // A record without display fields is stored exactly as before they existed (no "fields" key),
  // so documents of older indexes decode with none and keep their stored-fields hash.
  REQUIRE(p.parse_sku(kShoeLine, r, e));
  CHECK(index::encode_stored(r).find("fields") == std::string::npos);
  REQUIRE(index::decode_stored(
      R"({"sku_id":"o","item_id":"o","shop_id":"","title":"t","category":"","brand":"","attrs":{}})", back));
  CHECK(back.fields.empty());
  index::SkuRecord changed = r;
  changed.fields = R"({"image":"u"})";
  CHECK_FALSE(index::same_record(changed, r));
  // object_members of a validated object: keys with quotes, values whole.
  const auto m = index::object_members(R"( {"a" : [1, {"b":"]}"}] , "c\"d":"x,y" ,"e":-1.5e3} )");
  REQUIRE(m.size() == 3);
  CHECK(m[0].key == "\"a\"");
  CHECK(m[0].value == R"([1, {"b":"]}"}])");
  CHECK(m[1].key == R"("c\"d")");
  CHECK(m[1].value == R"("x,y")");
  CHECK(m[2].value == "-1.5e3");
}

TEST_CASE("fields: hits carry the shown SKU's fields, {} without, and to_json writes them as an object", "[fields][search]") {
  test::TempDir tmp;
  for (const bool serving : {false, true}) {
    INFO("serving " << serving);
    const std::string idx = build(tmp.path + (serving ? "/serving" : "/plain"), catalog(), serving);
    Searcher s(idx);
    const SearchResult dress = search(s, "连衣裙");
    REQUIRE(dress.hits.size() == 1);
    CHECK(dress.hits[0].fields == kDressFields);
    const SearchResult shoe = search(s, "跑步鞋");
    REQUIRE(shoe.hits.size() == 1);
    CHECK(shoe.hits[0].fields == "{}");
    // The JSON: "fields" in every hit, an object that parses, values as written.
    SearchRequest all;
    all.categories = {"女装", "运动"};
    const std::string json = to_json(s.search(all));
    CHECK(json.find(",\"fields\":" + kDressFields) != std::string::npos);
    CHECK(json.find(",\"fields\":{}") != std::string::npos);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    const simdjson::padded_string padded(json);
    REQUIRE_FALSE(parser.parse(padded).get(doc));
    simdjson::dom::array hits;
    REQUIRE_FALSE(doc["hits"].get(hits));
    size_t n = 0;
    for (auto h : hits) {
      simdjson::dom::object f;
      REQUIRE_FALSE(h["fields"].get(f));
      std::string_view sku;
      REQUIRE_FALSE(h["sku_id"].get(sku));
      if (sku == "dress-1") {
        std::string_view image, note;
        CHECK_FALSE(f["image"].get(image));
        CHECK(image == "https://img.example.com/d/1.jpg");
        CHECK_FALSE(f["note"].get(note));
        CHECK(note == "红\"q\"");
      } else {
        CHECK(f.size() == 0);
      }
      ++n;
    }
    CHECK(n == 2);
  }
  // A hit made by hand with empty fields still gives an object.
  SearchResult r;
  r.hits.emplace_back();
  r.hits[0].fields.clear();
  CHECK(to_json(r).find("\"fields\":{}") != std::string::npos);
}

TEST_CASE("fields: an update that changes only display fields takes the values-only path and shows at once", "[fields][update]") {
  test::TempDir tmp;
  const std::string idx = build(tmp.path, catalog());
  const std::string terms = terms_of(idx, "dress-1");
  Searcher s(idx);
  REQUIRE(search(s, "连衣裙").hits.at(0).fields == kDressFields);

  // New display fields, same everything else: no re-analysis, the document's terms untouched.
  std::string line = kDressLine;
  line.replace(line.find("d/1.jpg"), 7, "d/2.jpg");
  auto u = update(idx, tmp.path + "/d1.jsonl", line + "\n");
  CHECK(u.values_only == 1);
  CHECK(u.reindexed == 0);
  CHECK(terms_of(idx, "dress-1") == terms);
  s.reopen();
  std::string want = kDressFields;
  want.replace(want.find("d/1.jpg"), 7, "d/2.jpg");
  CHECK(search(s, "连衣裙").hits.at(0).fields == want);

  // The same again: unchanged. Then fields and a price: one values-only write.
  CHECK(update(idx, tmp.path + "/d2.jsonl", line + "\n").unchanged == 1);
  const std::string priced = R"({"sku_id":"shoe-1","item_id":"shoe","shop_id":"s2","title":"轻便跑步鞋 透气",)"
                             R"("category":"运动/跑步鞋","price":149,"image":"https://img.example.com/s.png"})";
  u = update(idx, tmp.path + "/d3.jsonl", priced + "\n");
  CHECK(u.values_only == 1);
  s.reopen();
  const Hit shoe = search(s, "跑步鞋").hits.at(0);
  CHECK(shoe.fields == R"({"image":"https://img.example.com/s.png"})");
  CHECK(shoe.price == 149);

  // Removing them: back to {}, and the stored data is again what a build without them writes.
  u = update(idx, tmp.path + "/d4.jsonl", kShoeLine + "\n");
  CHECK(u.values_only == 1);
  s.reopen();
  CHECK(search(s, "跑步鞋").hits.at(0).fields == "{}");
  // A new title with new fields is re-indexed, fields included.
  std::string retitled = kDressLine;
  retitled.replace(retitled.find("夏季"), 6, "春季");
  retitled.replace(retitled.find("d/1.jpg"), 7, "d/3.jpg");
  u = update(idx, tmp.path + "/d5.jsonl", retitled + "\n");
  CHECK(u.reindexed == 1);
  s.reopen();
  const Hit dress = search(s, "春季 连衣裙").hits.at(0);
  CHECK(dress.fields.find("d/3.jpg") != std::string::npos);
  // An index rebuilt from the final records gives the same hits' fields.
  test::TempDir fresh;
  const std::string again = build(fresh.path, retitled + "\n" + kShoeLine + "\n");
  CHECK(search(Searcher(again), "春季 连衣裙").hits.at(0).fields == dress.fields);
}

TEST_CASE("fields: remote shards return them too", "[fields][remote]") {
  test::TempDir tmp;
  const std::string local = build(tmp.path, catalog(), false, 2);
  const std::string client = tmp.path + "/client";
  test::ShardServer s0(local, 0), s1(local, 1);
  index::attach_remote_shards(local, client, {{0, {"127.0.0.1", s0.port()}}, {1, {"127.0.0.1", s1.port()}}});
  Searcher remote(client);
  CHECK(search(remote, "连衣裙").hits.at(0).fields == kDressFields);
  CHECK(search(remote, "跑步鞋").hits.at(0).fields == "{}");
}

TEST_CASE("fields: search --json prints them", "[fields][cli]") {
  test::TempDir tmp;
  const std::string idx = build(tmp.path, catalog());
  const auto r = test::run_cli("search --index " + idx + " --json 连衣裙");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("\"fields\":" + kDressFields) != std::string::npos);
  const auto shoe = test::run_cli("search --index " + idx + " --json 跑步鞋");
  CHECK(shoe.out.find("\"fields\":{}") != std::string::npos);
}
