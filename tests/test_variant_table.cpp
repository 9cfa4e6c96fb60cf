// The variant table in the stage-1 key (format/values.h, docs/index-format.md "The variant
// table"): every field reads back bit for bit, repeated strings are written once, and a damaged
// or foreign key is refused, never read past its end.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <xapian.h>

#include <longtail/longtail.h>

#include "format/values.h"
#include "index/index_dir.h"
#include "tests/generated.h"
#include "tests/test_util.h"

using namespace longtail;
using namespace longtail::index;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

RankPack pack_of(const std::string& sku, double price, double prior) {
  RankPack p;
  p.sku = sku;
  p.item = "item-7";
  p.shop = "shop-42";
  p.category = "女装/连衣裙";
  p.brand = "茵曼";
  p.price = price;
  p.shipping_fee = 0;
  p.sales_30d = 1234;
  p.reviews = 88;
  p.good_reviews = 80;
  p.listed_at = 1717000000;
  p.prior = prior;
  p.sales_signal = 0.3141592653589793;
  p.rating_signal = 0.87;
  p.shop_signal = 0.5;
  p.stored_hash = 0x0123456789abcdefULL ^ std::hash<std::string>{}(sku);  // any 64 bits
  return p;
}

VariantValues entry(const RankPack& p, const Attrs& attrs, const std::vector<std::string>& words, bool flagged) {
  VariantValues v;
  v.rank_pack = encode_rank_pack(p);
  v.integrity[0] = Xapian::sortable_serialise(flagged ? 0.4 : 1.0);  // penalty
  v.integrity[3] = Xapian::sortable_serialise(1.0);                   // sales trust
  if (flagged) {
    v.integrity[1] = "c17";  // duplicate cluster
    v.integrity[2] = "S";
    v.integrity[7] = "keyword_stuffing,brand_stuffing";
  }
  v.attrs = encode_attrs(attrs);
  v.words = encode_words(words);
  return v;
}

void check_same(const RankPack& a, const RankPack& b) {
  CHECK(a.sku == b.sku);
  CHECK(a.item == b.item);
  CHECK(a.shop == b.shop);
  CHECK(a.category == b.category);
  CHECK(a.brand == b.brand);
  CHECK(a.stored_hash == b.stored_hash);
  CHECK(a.price_known == b.price_known);
  const double xs[] = {a.price, a.shipping_fee, a.sales_30d, a.reviews, a.good_reviews, a.listed_at,
                       a.prior, a.sales_signal, a.rating_signal, a.shop_signal};
  const double ys[] = {b.price, b.shipping_fee, b.sales_30d, b.reviews, b.good_reviews, b.listed_at,
                       b.prior, b.sales_signal, b.rating_signal, b.shop_signal};
  for (size_t i = 0; i < std::size(xs); ++i) {
    INFO("field " << i << ": " << xs[i] << " vs " << ys[i]);
    CHECK(same_bits(xs[i], ys[i]));
  }
}

}  // namespace

TEST_CASE("the variant table reads back every field bit for bit, and each repeated string is written once", "[format][variants]") {
  // Numbers of every kind the encoder distinguishes: whole, whole cents, neither, negative, -0,
  // huge, infinite, NaN, and the same as the previous variant's.
  std::vector<RankPack> packs = {pack_of("s1", 199, 0.71), pack_of("s2", 19.99, 0.71), pack_of("s3", 0.1 + 0.2, 0.5),
                                 pack_of("s4", 1e300, 0.25)};
  packs[1].shipping_fee = 12.5;
  packs[2].shipping_fee = -3;
  packs[2].sales_30d = -0.0;
  packs[2].reviews = std::numeric_limits<double>::infinity();
  packs[3].good_reviews = std::numeric_limits<double>::quiet_NaN();
  packs[3].listed_at = 9007199254740993.0;  // 2^53 + 1 rounds to 2^53: whole, beyond the varint range
  packs[3].price_known = false;
  packs[3].price = 0;
  const Attrs a1 = {{"颜色", "红色"}, {"尺码", "M"}};
  const Attrs a2 = {{"颜色", "红色"}, {"尺码", "L"}};
  std::vector<VariantValues> in = {entry(packs[0], a1, {}, false), entry(packs[1], a2, {"加绒"}, false),
                                   entry(packs[2], a2, {"加绒", "长款"}, true), entry(packs[3], {}, {}, true)};
  const std::string key = encode_stage1_key("s1", in);
  REQUIRE(key.substr(0, 3) == std::string("s1\0", 3));  // sorts as the first sku_id does

  std::vector<ListingKey> items;
  REQUIRE(decode_item_key(key, items));
  REQUIRE(items.size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    INFO("variant " << i);
    check_same(items[i].pack, packs[i]);
    CHECK(same_bits(items[i].pack.effective_price, packs[i].price + packs[i].shipping_fee));
  }
  CHECK(items[0].attrs == a1);
  CHECK(items[1].attrs == a2);
  CHECK(items[3].attrs.empty());
  CHECK(items[0].words.empty());
  CHECK(items[2].words == std::vector<std::string>{"加绒", "长款"});
  CHECK(items[0].integrity.penalty == 1.0);
  CHECK_FALSE(items[1].integrity.flagged());
  CHECK(items[2].integrity.penalty == Approx(0.4));
  CHECK(items[2].integrity.dup_cluster == "c17");
  CHECK(items[2].integrity.dup_kind == 'S');
  CHECK(items[3].integrity.reasons == "keyword_stuffing,brand_stuffing");

  // The raw pieces read back as the writer's pieces: re-encoding them gives the same key.
  std::vector<Stage1Key> raw;
  REQUIRE(decode_stage1_table(key, raw));
  REQUIRE(raw.size() == 4);
  std::vector<VariantValues> again;
  for (size_t i = 0; i < raw.size(); ++i) {
    CHECK(raw[i].sku == "s1");
    CHECK(raw[i].integrity == in[i].integrity);
    CHECK(raw[i].attrs == in[i].attrs);
    CHECK(raw[i].words == in[i].words);
    again.push_back(raw[i]);
  }
  CHECK(encode_stage1_key("s1", again) == key);
  CHECK(find_variant(key, "s3") == 2);
  CHECK(find_variant(key, "s1") == 0);
  CHECK(find_variant(key, "s9") == std::string_view::npos);
  ListingKey first;
  REQUIRE(decode_listing_key(key, first));
  check_same(first.pack, packs[0]);

  // Written once: the item, shop, category, brand, attribute names and shared values.
  auto count = [&key](const std::string& s) {
    size_t n = 0;
    for (size_t at = key.find(s); at != std::string::npos; at = key.find(s, at + 1)) ++n;
    return n;
  };
  for (const std::string s : {"item-7", "shop-42", "女装/连衣裙", "茵曼", "颜色", "红色", "尺码", "加绒", "c17"}) {
    INFO(s);
    CHECK(count(s) == 1);
  }
  // Compact: four variants cost less than twice one variant's entry in the older layout
  // (a 147-byte rank pack, eight 4-byte lengths, attributes and words).
  CHECK(key.size() < 2 * (in[0].rank_pack.size() + 10 * 4 + in[0].attrs.size()));
}

TEST_CASE("a damaged, truncated or foreign variant table is refused without reading past its end", "[format][variants]") {
  std::vector<VariantValues> in = {entry(pack_of("s1", 10, 0.5), {{"颜色", "红色"}}, {}, false),
                                   entry(pack_of("s2", 12.34, 0.6), {{"颜色", "蓝色"}}, {"蓝"}, true)};
  const std::string key = encode_stage1_key("s1", in);
  std::vector<ListingKey> items;
  std::vector<Stage1Key> raw;
  Stage1Key one;
  REQUIRE(decode_item_key(key, items));
  // Every truncation fails (the last entry's last byte included).
  for (size_t n = 0; n < key.size(); ++n) {
    INFO("truncated to " << n << " of " << key.size());
    const std::string cut = key.substr(0, n);
    CHECK_FALSE(decode_item_key(cut, items));
    CHECK_FALSE(decode_stage1_table(cut, raw));
  }
  // A byte too many, another format byte, a table of no variants, a reference to a string not
  // yet written: refused.
  CHECK_FALSE(decode_item_key(key + 'x', items));
  std::string other = key;
  other[3] = char(3);
  CHECK_FALSE(decode_item_key(other, items));
  CHECK_FALSE(decode_stage1_key(std::string("s1\0\x04\x00", 5), one));
  CHECK_FALSE(decode_stage1_key(std::string("s1\0\x04\x01\x03", 6), one));  // string #1 of none
  CHECK_FALSE(decode_stage1_key("no separator", one));
  CHECK(find_variant(key.substr(0, key.size() - 1), "s2") == std::string_view::npos);
  // Every single-byte change either fails or decodes to a table of the same length: never a crash,
  // never a read outside the key (the sanitizer build checks the latter).
  for (size_t i = 3; i < key.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = key;
      bad[i] = char(uint8_t(bad[i]) ^ (1u << bit));
      if (decode_item_key(bad, items)) CHECK(items.size() >= 1);
    }
}

TEST_CASE("the variant table stays compact on a generated catalog: under 90 bytes a variant", "[format][variants][size]") {
  // Schema 3 wrote 235 bytes a variant on this catalog (244 at 1M); schema 4 writes 64 (69 at 1M; 320 an
  // item). The bound keeps a change that re-inflates the table (it is most of the postlist table
  // and every stage-1 match carries it) from passing unnoticed.
  test::TempDir tmp;
  const test::SmallBuild b = test::build_small_catalog(tmp.path, 4000, 3);
  REQUIRE(b.summary.accepted == 4000);
  REQUIRE(b.summary.items < b.summary.accepted);  // items of several variants, so strings repeat
  Xapian::Database db(b.shard);
  size_t bytes = 0, variants = 0;
  std::vector<ListingKey> table;
  for (auto v = db.valuestream_begin(slot::kStage1Key); v != db.valuestream_end(slot::kStage1Key); ++v) {
    bytes += (*v).size();
    REQUIRE(decode_item_key(*v, table));
    variants += table.size();
  }
  CHECK(variants == 4000);
  INFO(bytes << " bytes for " << variants << " variants");
  CHECK(double(bytes) / double(variants) < 90.0);
}
