// longtail::to_json(const SearchResult&): the JSON of a search result, one writer for every
// front end (the CLI's --json and --batch; a server), on common/json_writer.h: numbers read back
// exactly (12345.67 stays 12345.67), money to the cent (199.9 + 8.1 prints 208), NaN null,
// strings valid UTF-8.
#include <string>
#include <vector>

#include <longtail/longtail.h>

#include "common/json_writer.h"
#include "engine/report_json.h"

namespace longtail {

namespace {

void variants_json(json::Writer& w, const std::vector<Variant>& list) {
  w.array();
  for (const auto& v : list) {
    w.object().field("sku_id", v.sku_id).key("attrs").object();
    for (const auto& [k, val] : v.attrs) w.field(k, val);
    w.end().field("matched", v.matched).end();
  }
  w.end();
}

void explain_json(json::Writer& w, const Explanation& e) {
  w.object()
      .field("coverage", e.coverage)
      .field("query_terms", e.query_terms)
      .field_strings("matched_terms", e.matched_terms)
      .field_strings("missing_terms", e.missing_terms)
      .field_strings("synonyms", e.synonyms)
      .field("bm25", e.bm25)
      .field("stage1_weight", e.stage1_weight)
      .field("stage1_rank", e.stage1_rank)
      .key("signals")
      .array();
  for (const auto& s : e.signals)
    w.object()
        .field("name", s.name)
        .field("raw", s.raw)
        .field("normalized", s.normalized)
        .field("weight", s.weight)
        .field("contribution", s.contribution)
        .field("detail", s.detail)
        .end();
  w.end().key("penalties").array();
  for (const auto& p : e.penalties) w.object().field("name", p.name).field("factor", p.factor).field("reason", p.reason).end();
  w.end().field("blend", e.blend).field("final_score", e.final_score).field("sort", e.sort).field("profile", e.profile).end();
}

std::string result_json(const SearchResult& r, bool explain) {
  std::string o;
  o.reserve(1024 + 2048 * r.hits.size());
  json::Writer w(o);
  w.object().field("query", r.query);
  if (r.corrected.empty()) w.field_null("corrected");
  else w.field("corrected", r.corrected);
  w.field_strings("corrections", r.corrections)
      .field("total_estimated", r.total_estimated)
      .field_strings("relaxed", r.relaxed)
      .field("searched_share", r.searched_share)
      .key("hits")
      .array();
  for (const auto& h : r.hits) {
    w.object().field("rank", h.rank).field("sku_id", h.sku_id).field("item_id", h.item_id).field("shop_id", h.shop_id).field("title", h.title);
    if (h.price_known) w.field_money("price", h.price);
    else w.field_null("price");
    w.field_money("shipping_fee", h.shipping_fee);
    if (h.price_known) w.field_money("effective_price", h.price + h.shipping_fee);
    else w.field_null("effective_price");
    w.field("score", h.score).field("coverage", h.coverage).field("variants", h.variants)
        .field("category", h.category).field("brand", h.brand).key("variant_list");
    variants_json(w, h.variant_list);
    w.field_raw("fields", h.fields.empty() ? std::string_view("{}") : std::string_view(h.fields));
    if (h.explanation) {
      w.key("explain");
      explain_json(w, *h.explanation);
    }
    w.end();
  }
  w.end().field_strings("terms", r.terms);
  if (!r.facets.empty()) {
    w.key("facets").array();
    for (const auto& f : r.facets) {
      w.object().field("name", f.name).field("exact", f.exact).key("values").array();
      for (const auto& v : f.values) w.object().field("value", v.value).field("count", v.count).end();
      w.end().end();
    }
    w.end();
  }
  if (explain) w.field("candidates", r.candidates).field("stage1_ms", r.stage1_ms).field("stage2_ms", r.stage2_ms);
  if (!r.message.empty()) w.field("message", r.message);
  w.end();
  return o;
}

}  // namespace

std::string to_json(const SearchResult& result, bool with_stats) { return result_json(result, with_stats); }

namespace engine {

void update_summary_members(json::Writer& w, const UpdateSummary& s) {
  w.field("records", s.records)
      .field("added", s.added)
      .field("reindexed", s.reindexed)
      .field("values_only", s.values_only)
      .field("unchanged", s.unchanged)
      .field("deleted", s.deleted)
      .field("delete_missing", s.delete_missing)
      .field("shops_changed", s.shops_changed)
      .field("shop_skus", s.shop_skus)
      .field("dup_partners", s.dup_partners)
      .field("rejected", s.rejected)
      .field("batches", s.batches)
      .field("repaired", s.repaired)
      .field("skus", s.skus)
      .field("items", s.items)
      .field("synonyms_replaced", s.synonyms_replaced)
      .field("synonym_rules", s.synonym_rules)
      .field("seconds", s.seconds);
}

}  // namespace engine

}  // namespace longtail
