// Live updates (longtail::update_index, `longtail update`): upserts, deletions, the values-only
// fast path, idempotent reruns, crash completion, and readers that never see half a batch.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <xapian.h>

#include <longtail/longtail.h>

#include "index/builder.h"
#include "index/dedup.h"
#include "format/document.h"
#include "index/index_dir.h"
#include "format/layout.h"
#include "index/signals.h"
#include "index/updater.h"
#include "tests/test_util.h"

using namespace longtail;
namespace fs = std::filesystem;

namespace {

void build_mini(const std::string& dir, int shards) {
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.shops_file = test::fixture("mini_shops.jsonl");
  o.index_dir = dir;
  o.shards = shards;
  o.threads = 2;
  build_index(o);
}

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

UpdateSummary update(const std::string& dir, const std::string& delta, uint32_t batch = 10000) {
  UpdateOptions o;
  o.index_dir = dir;
  if (!delta.empty()) o.catalog_files = {delta};
  o.batch_size = batch;
  return update_index(o);
}

// Every document of the live generation: sku_id -> "shard|record|data|values" (the record as a
// catalog line: data and the stage-1 key's numbers).
std::map<std::string, std::string> dump(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::string gen = index::live_generation(dir);
  auto m = index::read_manifest(gen);
  for (size_t s = 0; s < m.shard_paths.size(); ++s) {
    Xapian::Database db(gen + "/" + m.shard_paths[s]);
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
      Xapian::Document d = db.get_document(*it);
      std::string values;
      for (auto v = d.values_begin(); v != d.values_end(); ++v) values += std::to_string(v.get_valueno()) + "=" + *v + ";";
      // One document per item: an entry per variant, with the item's values.
      const std::string data = d.get_data();
      std::vector<index::SkuRecord> recs;
      CHECK(index::read_item(d, data, recs));
      for (size_t i = 0; i < recs.size(); ++i) {
        const std::string sku = recs[i].sku_id;
        INFO("sku " << sku << " in two shards");
        CHECK(out.count(sku) == 0);
        out[sku] = std::to_string(s) + "|" + index::record_json(recs[i]) + "|" + std::string(index::variant_line(data, i)) + "|" + values;
      }
    }
  }
  return out;
}

std::vector<std::string> skus_of(const SearchResult& r) {
  std::vector<std::string> v;
  for (const auto& h : r.hits) v.push_back(h.sku_id);
  return v;
}

// The SKUs of the hits that cover the whole query (the page is filled with listings covering
// less of it: docs/ranking.md, "Matching").
std::vector<std::string> whole_matches(const SearchResult& r) {
  std::vector<std::string> v;
  for (const auto& h : r.hits)
    if (!r.hits.empty() && h.coverage >= r.hits[0].coverage - 1e-9 && r.relaxed.empty()) v.push_back(h.sku_id);
  return v;
}

SearchResult find(const Searcher& s, const std::string& q, bool collapse = false) {
  SearchRequest req;
  req.query = q;
  req.collapse = collapse;
  req.limit = 100;
  return s.search(req);
}

// A line of the mini catalog, by sku_id.
std::string fixture_line(const std::string& sku) {
  std::ifstream in(test::fixture("mini_catalog.jsonl"));
  std::string line;
  while (std::getline(in, line))
    if (line.find("\"sku_id\": \"" + sku + "\"") != std::string::npos) return line;
  return "";
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

// A delta exercising every kind of change against the mini catalog.
std::string mixed_delta() {
  return replace_all(fixture_line("cup2-0"), "\"price\": 49.0", "\"price\": 39.0") + "\n" +   // values only
         replace_all(fixture_line("shoe2-0"), "跑步鞋 轻便", "登山鞋 轻便") + "\n" +             // title change
         R"({"sku_id":"new1","item_id":"newitem","shop_id":"shop_a","title":"全新 折叠雨伞 晴雨两用","category":"家居/雨伞","price":25})" "\n" +
         R"({"sku_id":"key1-0","deleted":true})" "\n" +
         R"({"sku_id":"never-was","deleted":true})" "\n";
}

// mixed_delta() plus a same-shop re-listing of dress1 as a new item routed to another of 4 shards,
// so the update flags it and rewrites dress1's documents in their shard (docs/integrity.md).
std::string relist_item() {
  for (int i = 0;; ++i)
    if (index::shard_of("relist" + std::to_string(i), 4) != index::shard_of("dress1", 4)) return "relist" + std::to_string(i);
}

std::string problems(const IndexCheck& c) {
  std::string out;
  for (const auto& p : c.problems) out += p + "\n";
  return out;
}

std::string relisting_delta() {
  const std::string item = relist_item();
  std::string line = replace_all(fixture_line("dress1-0"), "\"dress1-0\"", "\"relist-0\"");
  line = replace_all(line, "\"item_id\": \"dress1\"", "\"item_id\": \"" + item + "\"");
  line = replace_all(line, "女 红色", "女 蓝色 XL");
  line = replace_all(line, "\"price\": 129.0", "\"price\": 119.0");
  return mixed_delta() + line + "\n";
}

}  // namespace

TEST_CASE("update adds, re-indexes, re-values and deletes SKUs, a reopened searcher sees it", "[update]") {
  for (int shards : {1, 4}) {
    DYNAMIC_SECTION(shards << " shards") {
      test::TempDir tmp;
      const std::string dir = tmp.path + "/idx";
      build_mini(dir, shards);
      Searcher searcher(dir);
      CHECK(whole_matches(find(searcher, "钥匙包")) == std::vector<std::string>{"key1-0"});

      write(tmp.path + "/delta.jsonl", mixed_delta());
      auto s = update(dir, tmp.path + "/delta.jsonl");
      CHECK(s.records == 5);
      CHECK(s.added == 1);
      CHECK(s.reindexed == 1);
      CHECK(s.values_only == 1);
      CHECK(s.deleted == 1);
      CHECK(s.delete_missing == 1);
      CHECK(s.batches == 1);
      CHECK(s.skus == 20);   // 20 + 1 added - 1 deleted
      CHECK(s.items == 17);  // newitem in, key1 out

      // Before reopen the searcher still answers from what it had.
      CHECK(whole_matches(find(searcher, "钥匙包")) == std::vector<std::string>{"key1-0"});
      searcher.reopen();
      for (const auto& h : find(searcher, "钥匙包").hits) CHECK(h.sku_id != "key1-0");
      CHECK(whole_matches(find(searcher, "雨伞")) == std::vector<std::string>{"new1"});
      CHECK(whole_matches(find(searcher, "登山鞋")) == std::vector<std::string>{"shoe2-0"});
      auto cups = find(searcher, "1000ml 保温杯");
      REQUIRE(whole_matches(cups).size() == 1);
      CHECK(cups.hits[0].price == 39.0);
      auto info = searcher.info();
      CHECK(info.skus == 20);
      CHECK(info.items == 17);
      CHECK(info.batch == 1);
      CHECK_FALSE(info.updated_at.empty());
      // A new searcher agrees.
      Searcher fresh(dir);
      CHECK(skus_of(find(fresh, "雨伞")) == std::vector<std::string>{"new1"});
      CHECK(check_index(dir).ok);
    }
  }
}

TEST_CASE("a values-only change keeps the document's terms and is not re-analyzed", "[update]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 2);
  auto before = dump(dir);
  std::string line = fixture_line("ring2-0");
  line = replace_all(line, "\"sales_30d\": 18000", "\"sales_30d\": 25000");
  line = replace_all(line, "\"price\": 9.9", "\"price\": 7.5");
  write(tmp.path + "/d.jsonl", line + "\n");
  auto s = update(dir, tmp.path + "/d.jsonl");
  CHECK(s.values_only == 1);
  CHECK(s.reindexed == 0);
  auto after = dump(dir);
  for (const auto& [sku, doc] : before)
    if (sku != "ring2-0") CHECK(after.at(sku) == doc);
  CHECK(after.at("ring2-0") != before.at("ring2-0"));
  CHECK(after.at("ring2-0").find("\"price\":7.5") != std::string::npos);
  // The data holds only the fields terms come from (and, for a flagged listing, its verdict): a
  // new price and sales count leave it byte for byte as it was.
  auto data_of = [](const std::string& dumped) {
    size_t a = dumped.find('|', dumped.find('|') + 1);  // after "shard|record|"
    return dumped.substr(a + 1, dumped.find('|', a + 1) - a - 1);
  };
  CHECK(data_of(after.at("ring2-0")) == data_of(before.at("ring2-0")));
  CHECK(data_of(after.at("ring2-0")).find("price") == std::string::npos);
  Searcher searcher(dir);
  SearchRequest req;
  req.query = "钥匙扣";
  req.price_max = 8;
  auto r = searcher.search(req);
  REQUIRE(skus_of(r) == std::vector<std::string>{"ring2-0"});
  CHECK(r.hits[0].price == 7.5);  // shown from the stage-1 key, not from stale data
  // Changing the values back gives the document exactly as built: every value slot and the
  // stored data are rewritten from the record (the fast path clears the old values unread).
  write(tmp.path + "/back.jsonl", fixture_line("ring2-0") + "\n");
  CHECK(update(dir, tmp.path + "/back.jsonl").values_only == 1);
  CHECK(dump(dir).at("ring2-0") == before.at("ring2-0"));
}

TEST_CASE("shards updated on parallel workers give the index one worker gives", "[update][concurrency]") {
  test::TempDir tmp;
  // The mixed delta with a partner re-listing, values-only changes of most SKUs, and a SKU named
  // twice in the batch (a price change, then a title change): applied in order either way.
  std::string delta = relisting_delta();
  std::ifstream in(test::fixture("mini_catalog.jsonl"));
  std::string line;
  for (int i = 0; std::getline(in, line); ++i) {
    if (line.find("\"sku_id\": \"cup2-0\"") != std::string::npos || line.find("\"sku_id\": \"case3-0\"") != std::string::npos)
      continue;  // changed above and below
    size_t p = line.find("\"sales_30d\": ");
    if (p == std::string::npos) continue;
    delta += line.substr(0, p) + "\"sales_30d\": " + std::to_string(1000 + i) + line.substr(line.find_first_of(",}", p)) + "\n";
  }
  std::string twice = fixture_line("case3-0");
  REQUIRE_FALSE(twice.empty());
  delta += replace_all(twice, "\"price\": ", "\"price\": 1") + "\n" + replace_all(twice, "\"title\": \"", "\"title\": \"磨砂 ") + "\n";
  write(tmp.path + "/d.jsonl", delta);
  std::map<std::string, std::string> result[2];
  UpdateSummary sums[2];
  for (int k = 0; k < 2; ++k) {
    const std::string dir = tmp.path + "/idx" + std::to_string(k);
    build_mini(dir, 4);
    UpdateOptions o;
    o.index_dir = dir;
    o.catalog_files = {tmp.path + "/d.jsonl"};
    o.threads = k == 0 ? 1 : 4;
    sums[k] = update_index(o);
    result[k] = dump(dir);
    CHECK(check_index(dir).ok);
  }
  CHECK(sums[0].values_only > 10);
  CHECK(sums[0].reindexed >= 2);
  CHECK(sums[0].dup_partners >= 1);
  CHECK(sums[1].values_only == sums[0].values_only);
  CHECK(sums[1].reindexed == sums[0].reindexed);
  CHECK(sums[1].unchanged == sums[0].unchanged);
  CHECK(sums[1].added == sums[0].added);
  CHECK(sums[1].dup_partners == sums[0].dup_partners);
  CHECK(result[1] == result[0]);
  // The SKU named twice has its second record's title.
  Searcher s(tmp.path + "/idx1");
  CHECK(skus_of(find(s, "磨砂")) == std::vector<std::string>{"case3-0"});
}

TEST_CASE("rerunning the same delta is idempotent", "[update]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 4);
  write(tmp.path + "/delta.jsonl", mixed_delta());
  update(dir, tmp.path + "/delta.jsonl");
  auto once = dump(dir);
  auto s = update(dir, tmp.path + "/delta.jsonl");
  CHECK(s.unchanged == 3);
  CHECK(s.added == 0);
  CHECK(s.deleted == 0);
  CHECK(s.delete_missing == 2);
  CHECK(dump(dir) == once);
  CHECK(check_index(dir).ok);
}

TEST_CASE("every document's stage-1 key holds its sku_id, rank pack and integrity values, after updates too, and no carried slot is stored", "[update][ranking]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 4);
  write(tmp.path + "/d.jsonl", relisting_delta());  // values-only, re-titled, added, deleted, partners
  update(dir, tmp.path + "/d.jsonl");
  std::string gen = index::live_generation(dir);
  auto m = index::read_manifest(gen);
  size_t docs = 0;
  for (const auto& p : m.shard_paths) {
    Xapian::Database db(gen + "/" + p);
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
      Xapian::Document d = db.get_document(*it);
      // One document per item (schema 3): the key's table has an entry per variant, in sku_id
      // order, each with its rank pack and integrity values; the key starts with the first sku_id.
      const std::string data = d.get_data();
      const std::string key = d.get_value(index::slot::kStage1Key);
      std::vector<index::Stage1Key> table;
      REQUIRE(index::decode_stage1_table(key, table));
      std::vector<index::SkuRecord> recs;
      REQUIRE(index::read_item(d, data, recs));
      REQUIRE(recs.size() == table.size());
      for (size_t i = 0; i < table.size(); ++i) {
        const index::SkuRecord& rec = recs[i];
        const std::string& sku = rec.sku_id;
        INFO("sku " << sku);
        const index::Stage1Key& k = table[i];
        index::RankPack pack;
        REQUIRE(index::decode_rank_pack(k.rank_pack, pack));
        CHECK(pack.sku == sku);
        CHECK(pack.item == rec.item_id);
        CHECK(pack.effective_price == pack.price + pack.shipping_fee);
        if (i == 0) {
          CHECK(key.substr(0, key.find('\0')) == sku);
          // The carried slots are in the key only; they read back as the first variant's.
          for (unsigned s : index::kCarriedSlots) CHECK(d.get_value(s).empty());
          CHECK(index::stored_value(d, index::slot::kSkuId) == sku);
          CHECK(index::stored_value(d, index::slot::kRankPack) == k.rank_pack);
          for (unsigned s = index::slot::kPenalty; s <= index::slot::kShopBlocked; ++s)
            CHECK(index::stored_value(d, s) == k.integrity[s - index::slot::kPenalty]);
          CHECK(Xapian::sortable_unserialise(index::stored_value(d, index::slot::kPrice)) == pack.price);
          CHECK(index::stored_value(d, index::slot::kShopId) == rec.shop_id);
        } else {
          CHECK(index::decode_stage1_table(key, table));
          CHECK(table.front().sku < sku);
        }
        // The item's duplicate slots are its first variant's with duplicate fields.
        if (!k.dup_kind().empty()) CHECK(!d.get_value(index::slot::kDupKind).empty());
        ++docs;
      }
    }
  }
  CHECK(docs > 15);
  index::Stage1Key k;
  CHECK_FALSE(index::decode_stage1_key("no separator", k));
  CHECK_FALSE(index::decode_stage1_key(std::string("s1\0\x05\0\0\0ab", 9), k));  // length past the end
}

TEST_CASE("within a delta the last record of a sku_id wins", "[update]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 1);
  std::string cup = fixture_line("cup1-0");
  write(tmp.path + "/d.jsonl", replace_all(cup, "\"price\": 199.0", "\"price\": 150.0") + "\n" +
                                   R"({"sku_id":"cup1-0","deleted":true})" "\n" +
                                   replace_all(cup, "\"price\": 199.0", "\"price\": 175.0") + "\n");
  update(dir, tmp.path + "/d.jsonl", 2);  // spans two batches
  auto docs = dump(dir);
  CHECK(docs.at("cup1-0").find("\"price\":175") != std::string::npos);
}

TEST_CASE("a SKU that moves to another item moves to that item's shard", "[update]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 4);
  const int from = index::shard_of("cup2", 4);
  std::string item;
  for (int i = 0; item.empty(); ++i)
    if (index::shard_of("moved" + std::to_string(i), 4) != from) item = "moved" + std::to_string(i);
  write(tmp.path + "/d.jsonl", replace_all(fixture_line("cup2-0"), "\"item_id\": \"cup2\"", "\"item_id\": \"" + item + "\"") + "\n");
  auto s = update(dir, tmp.path + "/d.jsonl");
  CHECK(s.reindexed == 0);
  CHECK(s.added == 1);  // added to the new shard, removed from the old one
  auto docs = dump(dir);  // dump() checks that no sku_id is in two shards
  CHECK(docs.at("cup2-0").rfind(std::to_string(index::shard_of(item, 4)) + "|", 0) == 0);
  CHECK(docs.size() == 20);
  CHECK(s.items == 17);  // cup2 gone, the new item in
}

TEST_CASE("a shops delta re-values the SKUs of the changed shops only", "[update]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 2);
  write(tmp.path + "/shops.jsonl",
        R"({"shop_id":"shop_g","name":"店铺G","dsr":{"description":3.1,"service":3.0,"shipping":3.2,"delivery":3.0},"ratings_6m":500,"violations":4})" "\n"
        R"({"shop_id":"shop_a","name":"店铺A","dsr":{"description":4.8,"service":4.7,"shipping":4.8,"delivery":4.6},"ratings_6m":1000,"violations":0})" "\n"
        R"({"shop_id":"shop_new","name":"新店","dsr":{"description":5,"service":5,"shipping":5,"delivery":5},"ratings_6m":10})" "\n");
  UpdateOptions o;
  o.index_dir = dir;
  o.shops_file = tmp.path + "/shops.jsonl";
  auto s = update_index(o);
  CHECK(s.shops_changed == 2);  // shop_a is unchanged
  CHECK(s.shop_skus == 4);      // the four SKUs of shop_g
  Searcher searcher(dir);
  CHECK(searcher.info().shops == 13);
  CHECK(check_index(dir).ok);
}

TEST_CASE("a bad record with on_error fail stops the update before the index is touched", "[update]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 2);
  auto before = dump(dir);
  write(tmp.path + "/d.jsonl", R"({"sku_id":"x1","title":"好的记录","price":1})" "\n" R"({"sku_id":"x2","title":"坏","price":-5})" "\n");
  CHECK_THROWS_WITH(update(dir, tmp.path + "/d.jsonl"), Catch::Contains("d.jsonl:2: price: must not be negative"));
  CHECK(dump(dir) == before);
  // With skip, the good record goes in and the bad one is reported.
  UpdateOptions o;
  o.index_dir = dir;
  o.catalog_files = {tmp.path + "/d.jsonl"};
  o.on_error = OnError::Skip;
  o.rejects_file = tmp.path + "/rejects.jsonl";
  auto s = update_index(o);
  CHECK(s.added == 1);
  CHECK(s.rejected == 1);
  REQUIRE(s.errors.size() == 1);
  CHECK(s.errors[0].to_string() == tmp.path + "/d.jsonl:2: price: must not be negative");
}

TEST_CASE("update refuses what is not an index, and bad options", "[update]") {
  test::TempDir tmp;
  CHECK_THROWS_AS(update(tmp.path + "/nothing", ""), UsageError);
  CHECK_FALSE(fs::exists(tmp.path + "/nothing"));
  build_mini(tmp.path + "/idx", 1);
  CHECK_THROWS_WITH(update(tmp.path + "/idx", tmp.path + "/missing.jsonl"), Catch::Contains("no such delta file"));
  CHECK_THROWS_AS(update(tmp.path + "/idx", "", 0), UsageError);
}

TEST_CASE("a crash between shard commits is completed by the next update", "[update][crash]") {
  test::TempDir tmp;
  const std::string clean = tmp.path + "/clean", crashed = tmp.path + "/crashed";
  build_mini(clean, 4);
  build_mini(crashed, 4);
  write(tmp.path + "/delta.jsonl", relisting_delta());
  CHECK(update(clean, tmp.path + "/delta.jsonl").dup_partners == 1);
  {
    auto docs = dump(clean);
    for (const char* sku : {"relist-0", "dress1-0", "dress1-3"}) {
      INFO(sku);
      CHECK(docs.at(sku).find("\"dup_kind\":\"S\"") != std::string::npos);
    }
  }

  for (uint64_t after : {1, 2, 3}) {
    DYNAMIC_SECTION("failure after " << after << " shard commits") {
      UpdateOptions o;
      o.index_dir = crashed;
      o.catalog_files = {tmp.path + "/delta.jsonl"};
      o.fail_after_shard_commits = after;
      CHECK_THROWS_WITH(update_index(o), Catch::Contains("injected failure"));
      // The index still opens and searches (no updater runs, so the reader takes the shards as
      // they are); check names the problem and the cure.
      Searcher s(crashed);
      CHECK_NOTHROW(find(s, "连衣裙"));
      auto c = check_index(crashed);
      CHECK_FALSE(c.ok);
      REQUIRE_FALSE(c.problems.empty());
      CHECK_THAT(c.problems[0], Catch::Contains("different update batches") && Catch::Contains("longtail update"));
      // The next update (even an empty one) completes the batch.
      auto r = update(crashed, "");
      CHECK(r.repaired);
      CHECK(r.skus == 21);
      CHECK(r.items == 18);
      auto a = dump(crashed), b = dump(clean);
      REQUIRE(a.size() == b.size());
      for (const auto& [sku, doc] : b) CHECK(a.at(sku) == doc);
      CHECK(check_index(crashed).ok);
      // The redo kept the same update prints (it may add prints of the batch's unchanged items).
      const std::string prints = std::string("/") + index::kUpdatedPrintsFile;
      index::UpdatedPrints pa(index::live_generation(crashed) + prints), pb(index::live_generation(clean) + prints);
      CHECK(pb.size() == 2);  // shoe2 re-titled and the re-listing (newitem's leaf is not in the build)
      for (const std::string& item : {std::string("shoe2"), std::string("newitem"), relist_item()}) {
        const index::ItemPrint *x = pa.latest(index::term_hash(item)), *y = pb.latest(index::term_hash(item));
        INFO(item);
        CHECK((x == nullptr) == (y == nullptr));
        if (x && y) CHECK(std::memcmp(x, y, sizeof *x) == 0);
      }
    }
  }
}

TEST_CASE("readers never see half a batch across shards", "[update][concurrency]") {
  // Every batch sets the price of every SKU (in all 4 shards) to the batch's number; a reader
  // that reopens and queries all the time must always see one price.
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 4);
  std::vector<std::string> lines;
  {
    std::ifstream in(test::fixture("mini_catalog.jsonl"));
    std::string l;
    while (std::getline(in, l)) lines.push_back(l);
  }
  auto set_prices = [&](int price) {
    std::string delta;
    for (const auto& l : lines) {
      size_t p = l.find("\"price\": ");
      size_t e = l.find(',', p);
      delta += l.substr(0, p) + "\"price\": " + std::to_string(price) + l.substr(e) + "\n";
    }
    write(tmp.path + "/d.jsonl", delta);
    update(dir, tmp.path + "/d.jsonl");
  };
  set_prices(1000);  // one price everywhere before the reader starts
  std::atomic<bool> done{false};
  std::atomic<int> checks{0}, mixed{0};
  std::thread reader([&] {
    Searcher s(dir);
    SearchRequest req;
    req.categories = {"女装", "数码", "箱包", "家居", "运动", "美妆", "家装"};
    req.collapse = false;
    req.limit = 100;
    while (!done) {
      s.reopen();
      auto r = s.search(req);
      std::set<double> prices;
      for (const auto& h : r.hits) prices.insert(h.price);
      if (r.hits.size() != 20 || prices.size() != 1) ++mixed;
      ++checks;
    }
  });
  // At least 15 batches, and on until the reader has checked 30 times while batches commit
  // (updates of this small index can be faster than the reader's first search).
  int batch = 1;
  for (; batch <= 15 || (checks < 30 && batch <= 2000); ++batch) set_prices(1000 + batch);
  done = true;
  reader.join();
  INFO("batches " << batch - 1);
  CHECK(checks >= 30);
  CHECK(mixed == 0);
}

TEST_CASE("longtail update and check from the CLI, and an updater killed at random moments", "[update][cli][crash]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 3);
  // A delta big enough to be killed in the middle: 30,000 new SKUs in batches of 1,000.
  std::string delta;
  for (int i = 0; i < 30000; ++i)
    delta += R"({"sku_id":"gen)" + std::to_string(i) + R"(","item_id":"gi)" + std::to_string(i / 3) +
             R"(","shop_id":"shop_a","title":"测试商品 编号)" + std::to_string(i) + R"( 连衣裙","category":"女装/连衣裙","price":)" +
             std::to_string(10 + i % 100) + "}\n";
  write(tmp.path + "/delta.jsonl", delta);
  const std::string cmd = std::string(LONGTAIL_CLI_PATH);
  std::mt19937 rng(42);
  for (int round = 0; round < 6; ++round) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execl(cmd.c_str(), cmd.c_str(), "update", "--index", dir.c_str(), "--catalog", (tmp.path + "/delta.jsonl").c_str(),
              "--batch-size", "1000", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 600)(rng)));
    ::kill(pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    // Whatever the moment, the index opens and answers.
    Searcher s(dir);
    CHECK_NOTHROW(find(s, "连衣裙"));
  }
  auto r = test::run_cli("update --index " + dir + " --catalog " + tmp.path + "/delta.jsonl --batch-size 1000 --json");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("\"skus\":30020") != std::string::npos);
  auto c = test::run_cli("check --index " + dir);
  CHECK(c.status == 0);
  CHECK(c.out.find("index is sound") != std::string::npos);
  Searcher s(dir);
  CHECK(s.info().skus == 30020);
  CHECK(whole_matches(find(s, "编号29999")) == std::vector<std::string>{"gen29999"});
  // Usage errors exit 2.
  CHECK(test::run_cli("update --index " + dir + " 2>/dev/null").status == 2);
}

TEST_CASE("a damaged update journal is reported by check and discarded with a report of what was lost", "[update][faults]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir, 2);
  write(tmp.path + "/delta.jsonl", relisting_delta());
  UpdateOptions o;
  o.index_dir = dir;
  o.catalog_files = {tmp.path + "/delta.jsonl"};
  o.fail_after_shard_commits = 1;  // shard 0 committed batch 1, shard 1 did not
  CHECK_THROWS_WITH(update_index(o), Catch::Contains("injected failure"));
  const std::string gen = index::live_generation(dir);
  const std::string journal = gen + "/" + index::kJournalFile;
  REQUIRE(fs::exists(journal));
  const auto sound = index::read_journal(journal);
  REQUIRE(sound.batch == 1);

  SECTION("a torn header: nothing can be read") {
    // Before: check said only that the shards disagree and that the next update completes the
    // batch; every update then failed on the journal, and optimize refused the index.
    write(journal, "{\"batch\":1,\"ki");
    auto c = check_index(dir);
    CHECK_FALSE(c.ok);
    CHECK_THAT(problems(c), Catch::Contains("damaged update journal") && Catch::Contains("--discard-journal"));
    CHECK_THROWS_WITH(update(dir, ""), Catch::Contains("damaged update journal") && Catch::Contains("--discard-journal"));
    auto d = discard_update_journal(dir);
    CHECK(d.found);
    CHECK_FALSE(d.readable);
    CHECK_THAT(d.damage, Catch::Contains("bad header"));
    CHECK(d.applied_shards == std::vector<int>{0});
    CHECK(d.missing_shards == std::vector<int>{1});
    CHECK(d.batch_after == 1);
  }
  SECTION("records cut short: the ids that can be read are reported") {
    std::string text = "{\"batch\":1,\"kind\":\"skus\",\"records\":" + std::to_string(sound.lines.size()) + "}\n";
    for (size_t i = 0; i + 1 < sound.lines.size(); ++i) text += sound.lines[i] + "\n";
    write(journal, text);  // one record short of its header
    CHECK_FALSE(check_index(dir).ok);
    auto d = discard_update_journal(dir);
    CHECK_FALSE(d.readable);
    CHECK_THAT(d.damage, Catch::Contains("expected"));
  }
  SECTION("a readable journal: its records' ids are listed to send again") {
    auto d = discard_update_journal(dir);
    CHECK(d.readable);
    CHECK(d.batch == 1);
    CHECK(d.lines == sound.lines.size());
    CHECK(d.ids.size() == sound.lines.size());
    CHECK(std::find(d.ids.begin(), d.ids.end(), "relist-0") != d.ids.end());
    CHECK(d.missing_shards == std::vector<int>{1});
  }
  // Afterwards the index is sound again and takes updates; the discarded batch's records are
  // sent again and all of them land.
  CHECK_FALSE(fs::exists(journal));
  CHECK(discard_update_journal(dir).found == false);
  auto c = check_index(dir);
  INFO(problems(c));
  CHECK(c.ok);
  auto r = update(dir, tmp.path + "/delta.jsonl");
  CHECK(r.batches == 1);
  CHECK(r.skus == 21);
  CHECK(check_index(dir).ok);
  Searcher s(dir);
  CHECK_NOTHROW(find(s, "连衣裙"));
  // The CLI: exit 0 and the report.
  auto cli = test::run_cli("update --index " + dir + " --discard-journal");
  CHECK(cli.status == 0);
  CHECK_THAT(cli.out, Catch::Contains("no update journal: nothing to discard"));
}
