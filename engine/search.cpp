#include "engine/search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <unordered_set>

#include "engine/correct.h"
#include "engine/hit.h"

#include "engine/query_plan.h"
#include "engine/ranking.h"
#include "engine/variants.h"
#include "format/document.h"
#include "format/layout.h"
#include "index/signals.h"

namespace longtail::engine {

using analysis::TokenKind;
namespace slot = index::slot;
namespace prefix = index::prefix;

std::vector<std::string> query_terms(const analysis::Analyzer& analyzer, const std::string& query) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (auto& t : analyzer.analyze(query, analysis::Mode::Query)) {
    if (t.kind == TokenKind::Other || t.text.empty() || t.text.size() > 240) continue;
    if (seen.insert(t.text).second) out.push_back(std::move(t.text));
  }
  return out;
}

namespace {
Xapian::Query or_of(std::string_view pfx, const std::vector<std::string>& keys) {
  std::vector<Xapian::Query> qs;
  for (const auto& k : keys) qs.emplace_back(std::string(pfx) + k);
  return Xapian::Query(Xapian::Query::OP_OR, qs.begin(), qs.end());
}
}  // namespace

// Every document. Not Xapian::Query::MatchAll: that is one static object, and Xapian 1.4 counts
// a Query's references with a plain integer, so threads copying it at once corrupt the count
// (a use-after-free ASan caught in `serve --http`, whose request threads all search at once).
static Xapian::Query match_all() { return Xapian::Query(std::string()); }

Xapian::Query build_filter(const IndexState& state, const SearchRequest& req) {
  const auto& an = *state.analyzer;
  std::vector<Xapian::Query> parts;
  auto keys = [&](const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (const auto& s : in) out.push_back(index::filter_key(an, s));
    return out;
  };
  if (!req.categories.empty()) parts.push_back(or_of(prefix::kCategory, keys(req.categories)));
  if (!req.brands.empty()) parts.push_back(or_of(prefix::kBrand, keys(req.brands)));
  if (!req.shops.empty()) parts.push_back(or_of(prefix::kShop, req.shops));
  if (!req.attrs.empty()) {
    std::map<std::string, std::vector<std::string>> by_key;  // OR within a key, AND across keys
    for (const auto& [k, v] : req.attrs) by_key[index::filter_key(an, k)].push_back(index::filter_key(an, k) + "=" + index::filter_key(an, v));
    for (const auto& [k, terms] : by_key) parts.push_back(or_of(prefix::kAttr, terms));
  }
  // Per SKU: an item passes when some variant may (its lowest effective price is at most the
  // maximum, its highest at least the minimum); stage 2 keeps the variants in range.
  if (req.price_max)
    parts.emplace_back(Xapian::Query::OP_VALUE_LE, slot::kEffectivePrice, Xapian::sortable_serialise(*req.price_max));
  if (req.price_min)
    parts.emplace_back(Xapian::Query::OP_VALUE_GE, slot::kMaxEffectivePrice, Xapian::sortable_serialise(*req.price_min));
  if (parts.empty()) return match_all();
  return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
}

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// A term that counts towards coverage: its BM25 weight plus a fixed weight `w`.
// A part's posting list is long enough to leave out (match.max_part_share) only above this many
// listings: in a small catalog every part is cheap.
constexpr double kMinLongPart = 1000;

Xapian::Query counted(const Xapian::Query& q, double w) {
  return Xapian::Query(Xapian::Query::OP_AND, q, Xapian::Query((new Xapian::FixedWeightPostingSource(w))->release()));
}
Xapian::Query counted(const std::string& term, double w) { return counted(Xapian::Query(term), w); }

// A term whole: the term itself, or with synonym rules (PlannedTerm::alternatives) the term or
// any alternative as one Xapian synonym (BM25 sees one term; the fixed weight counts once).
Xapian::Query whole_query(const PlannedTerm& t) {
  if (t.alternatives.empty()) return Xapian::Query(t.text);
  std::vector<Xapian::Query> qs{Xapian::Query(t.text)};
  for (const auto& a : t.alternatives) {
    if (a.terms.size() == 1) {
      qs.emplace_back(a.terms[0]);
    } else {
      std::vector<Xapian::Query> all(a.terms.begin(), a.terms.end());
      qs.emplace_back(Xapian::Query::OP_AND, all.begin(), all.end());
    }
  }
  return Xapian::Query(Xapian::Query::OP_SYNONYM, qs.begin(), qs.end());
}

// How many listings have the term whole, by any alternative: the largest of the term's and its
// alternatives' frequencies (an alternative of several terms: its rarest), a lower bound of the
// union that costs no posting list.
Xapian::doccount whole_df(Xapian::Database& db, const PlannedTerm& t) {
  Xapian::doccount df = db.get_termfreq(t.text);
  for (const auto& a : t.alternatives) {
    Xapian::doccount m = std::numeric_limits<Xapian::doccount>::max();
    for (const auto& x : a.terms) m = std::min(m, db.get_termfreq(x));
    df = std::max(df, m);
  }
  return df;
}

// The alternative a matching listing has the term by (null: none, or it has the term itself).
const index::SynonymAlternative* matched_alternative(const std::unordered_set<std::string>& matched, const PlannedTerm& t) {
  if (matched.count(t.text)) return nullptr;
  for (const auto& a : t.alternatives)
    if (std::all_of(a.terms.begin(), a.terms.end(), [&](const std::string& x) { return matched.count(x) > 0; })) return &a;
  return nullptr;
}
bool has_whole(const std::unordered_set<std::string>& matched, const PlannedTerm& t) {
  return matched.count(t.text) > 0 || matched_alternative(matched, t) != nullptr;
}

// The rank pack's fields into a candidate.
void take_pack(Candidate& c, index::RankPack&& pack) {
  c.sku = std::move(pack.sku);
  c.item = std::move(pack.item);
  c.shop = std::move(pack.shop);
  c.category = std::move(pack.category);
  c.brand = std::move(pack.brand);
  c.price = pack.price;
  c.price_known = pack.price_known;
  c.shipping_fee = pack.shipping_fee;
  c.effective_price = pack.effective_price;
  c.sales_30d = pack.sales_30d;
  c.reviews = pack.reviews;
  c.good_reviews = pack.good_reviews;
  c.listed_at = int64_t(pack.listed_at);
  c.prior = pack.prior;
  c.sales_signal = pack.sales_signal;
  c.rating_signal = pack.rating_signal;
  c.shop_signal = pack.shop_signal;
}

// The chosen variant's values into a candidate.
void fill_candidate(Candidate& c, index::ListingKey&& key) {
  take_pack(c, std::move(key.pack));
  // The integrity values (docs/integrity.md); absent ones decode as the clean defaults.
  auto& g = key.integrity;
  c.penalty = g.penalty;
  c.sales_trust = g.sales_trust;
  c.shop_penalty = g.shop_penalty;
  c.shop_violations = double(g.shop_violations);
  c.shop_blocked = g.shop_blocked;
  c.dup_cluster = std::move(g.dup_cluster);
  if (g.dup_kind) c.dup_kind = std::string(1, g.dup_kind);
}

// The stage-1 key of a match: its sort key when `keyed` (the match was sorted by it, so the match
// set carries it and no document is read, none fetched from a remote shard either), else read from
// the document (other sort orders, or ties ordered by the stage-1 columns).
std::string stage1_key(const Xapian::MSetIterator& it, bool keyed) {
  return keyed ? it.get_sort_key() : it.get_document().get_value(slot::kStage1Key);
}

// Reads what stage 2 needs from one match (an item): the stage-1 weight and its variant table, all
// in its stage-1 key; the chooser picks the variant the candidate is (VariantChooser). No variant
// passes the per-SKU filters: no candidate. With `each` (no collapse), every variant that passes
// is a candidate of its own. A key that does not decode is a damaged document.
void read_candidate(const Xapian::MSetIterator& it, uint32_t rank, bool keyed, const std::string& index_dir,
                    VariantChooser& chooser, bool each, double unit, std::vector<Candidate>& out) {
  thread_local std::vector<index::ListingKey> table;
  if (!index::decode_item_key(stage1_key(it, keyed), table))
    throw DataError(index_dir + ": damaged stage-1 key in document " + std::to_string(*it));
  double item_prior = 0;
  for (const auto& v : table) item_prior = std::max(item_prior, v.pack.prior);
  auto make = [&](index::ListingKey&& key) {
    Candidate& c = out.emplace_back();
    c.stage1_rank = rank;
    c.weight = it.get_weight();
    c.stage1_prior = item_prior;
    fill_candidate(c, std::move(key));
  };
  if (each) {
    // A variant lacking query words the item has (in another variant's own title words or
    // attributes) covers less than the item: its weight loses their coverage units.
    std::vector<int64_t> cov(table.size(), -1);
    int64_t best = 0;
    for (size_t i = 0; i < table.size(); ++i)
      if (chooser.passes(table[i])) best = std::max(best, cov[i] = table.size() > 1 ? chooser.coverage(table[i]) : 0);
    for (size_t i = 0; i < table.size(); ++i) {
      if (cov[i] < 0) continue;
      make(std::move(table[i]));
      out.back().weight = std::max(0.0, out.back().weight - double(best - cov[i]) * unit);
    }
    return;
  }
  if (auto best = chooser.choose(table)) make(std::move(table[*best]));
}

// Coverage units of each counted term of `plan` (0 for soft terms; docs/ranking.md, "Matching"):
// weight(t) = (idf(t) / ln(2(N + 1)))^idf_power x role factor, with idf(t) = ln((N + 1)/(df + 0.5))
// over the index's N documents (a term the index lacks whole takes its parts' mean idf), scaled
// so the mean counted term gets kUnitsPerTerm units (at least 1 each).
std::vector<int64_t> term_units(Xapian::Database& db, const QueryPlan& plan, const RankingProfile& p) {
  std::vector<int64_t> out(plan.terms.size(), 0);
  if (plan.drop_order.empty()) return out;
  const double n = double(db.get_doccount()) + 1.0;
  const double top = std::log(n / 0.5);
  auto idf_of = [&](double df) -> double { return df > 0 ? std::log(n / (df + 0.5)) : -1.0; };
  auto idf = [&](const std::string& term) -> double { return idf_of(double(db.get_termfreq(term))); };
  std::vector<double> w(plan.terms.size(), 0.0);
  double sum = 0;
  for (size_t k : plan.drop_order) {
    const auto& t = plan.terms[k];
    double v = idf_of(double(whole_df(db, t)));
    if (v < 0) {  // not in the index whole: how specific its parts are
      double s = 0;
      int m = 0;
      for (const auto& part : t.parts)
        if (double pv = idf(part); pv >= 0) s += pv, ++m;
      v = m > 0 ? s / m : top;
    }
    double f = t.role == TermRole::Product ? p.match_product_weight : t.role == TermRole::Modifier ? p.match_modifier_weight : 1.0;
    w[k] = std::pow(std::clamp(v / top, 0.01, 1.0), p.match_idf_power) * f;
    sum += w[k];
  }
  const double mean = sum / double(plan.drop_order.size());
  for (size_t k : plan.drop_order)
    out[k] = std::max<int64_t>(1, std::llround(double(kUnitsPerTerm) * w[k] / mean));
  return out;
}

// The query terms a match has: Enquire::get_matching_terms reads its termlist; a serving shard
// has none, so there each term's posting list is skipped to the document.
std::unordered_set<std::string> matching_terms(Xapian::Database& db, const Xapian::Enquire& enq,
                                               const Xapian::MSetIterator& it, bool serving) {
  std::unordered_set<std::string> matched;
  if (serving) {
    const Xapian::Query q = enq.get_query();
    for (auto t = q.get_unique_terms_begin(); t != q.get_unique_terms_end(); ++t) {
      Xapian::PostingIterator pl = db.postlist_begin(*t);
      if (pl == db.postlist_end(*t)) continue;
      pl.skip_to(*it);
      if (pl != db.postlist_end(*t) && *pl == *it) matched.insert(*t);
    }
  } else {
    for (auto t = enq.get_matching_terms_begin(it); t != enq.get_matching_terms_end(it); ++t) matched.insert(*t);
  }
  return matched;
}

std::string join(const std::vector<std::string>& v) {
  std::string o;
  for (size_t i = 0; i < v.size(); ++i) o += (i ? " " : "") + v[i];
  return o;
}

}  // namespace

SearchResult run_search(const IndexState& state, Xapian::Database& db, const SearchRequest& req) {
  return run_search(state, db, req, *default_profile());
}

namespace {

SearchResult search_as_typed(const IndexState& state, Xapian::Database& db, const SearchRequest& req,
                             const RankingProfile& p, std::shared_ptr<const Stage1Columns> cols);

// Whether a query could be pinyin: ASCII only, with letters (checked before anything is read).
bool maybe_pinyin(std::string_view q) {
  bool letters = false;
  for (char c : q) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
    letters = letters || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  return letters;
}

// A query "finds little" when nothing matches it or no listing has all of its words.
bool finds_little(const SearchResult& r) { return r.hits.empty() || !r.relaxed.empty(); }

// Whether the corrected query's results replace those of the query as typed: only when some
// listing has every word of it (a correction that still leaves words unmatched is no better
// evidence than the typed words: brand names the catalog lacks look like typos, too).
// A query typed in pinyin (QueryCorrection::typed_in_pinyin) needs only to match more of its
// words than as typed.
bool finds_more(const SearchResult& corrected, const SearchResult& typed, bool typed_in_pinyin) {
  if (corrected.hits.empty()) return false;
  if (typed_in_pinyin && (typed.hits.empty() || corrected.relaxed.size() < typed.relaxed.size())) return true;
  return corrected.relaxed.empty() && !(typed.relaxed.empty() && corrected.total_estimated <= typed.total_estimated);
}

}  // namespace

SearchResult run_search(const IndexState& state, Xapian::Database& db, const SearchRequest& req,
                        const RankingProfile& p, std::shared_ptr<const Stage1Columns> cols) {
  auto annotate = [&](SearchResult r, const QueryCorrection& fix, const SearchResult* typed) {
    r.query = req.query;
    r.corrected = fix.query;
    r.corrections = fix.changes;
    if (typed) {
      r.stage1_ms += typed->stage1_ms;
      r.stage2_ms += typed->stage2_ms;
    }
    return r;
  };
  auto search_for = [&](const std::string& query) {
    SearchRequest again = req;
    again.query = query;
    return search_as_typed(state, db, again, p, cols);
  };
  // Typed in pinyin (letters only, each unknown word read as a catalog word): the corrected
  // query first, as typed only if that finds little too (the letters match nothing anyway).
  std::optional<QueryCorrection> fix;
  if (req.correct && maybe_pinyin(req.query)) {
    fix = correct_query(state, db, req.query);
    if (fix && fix->typed_in_pinyin) {
      SearchResult corrected = search_for(fix->query);
      if (!finds_little(corrected)) return annotate(std::move(corrected), *fix, nullptr);
      SearchResult typed = search_as_typed(state, db, req, p, cols);
      return finds_more(corrected, typed, true) ? annotate(std::move(corrected), *fix, &typed) : typed;
    }
  }
  SearchResult typed = search_as_typed(state, db, req, p, cols);
  if (!req.correct || !finds_little(typed)) return typed;
  if (!fix) fix = correct_query(state, db, req.query);
  if (!fix) return typed;
  SearchResult corrected = search_for(fix->query);
  if (!finds_more(corrected, typed, fix->typed_in_pinyin)) return typed;
  return annotate(std::move(corrected), *fix, &typed);
}

namespace {

// ------------------------------------------------------------------------------------------
// The stages of a search as typed, in the order search_as_typed() runs them: check_request;
// plan_search (nothing to search: a message); stage 1 (TypedSearch::prepare_enquire: filter,
// sort order, tier; prepare_matching: the counted terms' queries by coverage units, the product
// word; run_stage1: the attempts, from every term whole to any term; read_candidates); stage 2
// (rerank: candidates reranked, surface rerank, relaxed terms; page: variants, the page's
// documents, hits).

void check_request(const SearchRequest& req) {
  if (req.limit < 1 || req.limit > 1000) throw UsageError("search: limit must be between 1 and 1000");
  if (req.price_min && req.price_max && *req.price_min > *req.price_max)
    throw UsageError("search: price range minimum is above its maximum");
  for (const auto& f : req.facets)
    if (f != "category" && f != "brand" && f != "price")
      throw UsageError("search: unknown facet \"" + f + "\" (category, brand, price)");
}

// The query's plan, with the synonym alternatives of its terms; the terms go into `res`.
QueryPlan plan_search(const IndexState& state, const SearchRequest& req, const RankingProfile& p, SearchResult& res) {
  QueryPlan plan = plan_query(*state.analyzer, req.query, p.max_query_terms, p.relax_max_parts);
  if (state.synonyms)
    for (auto& t : plan.terms)
      if (t.role != TermRole::Soft)
        if (auto it = state.synonyms->expansions.find(t.text); it != state.synonyms->expansions.end())
          t.alternatives = it->second;
  for (const auto& t : plan.terms) res.terms.push_back(t.text);
  return plan;
}

// One search of a planned query with something to search; the members carry the state from one
// stage to the next.
class TypedSearch {
 public:
  TypedSearch(const IndexState& state, Xapian::Database& db, const SearchRequest& req, const RankingProfile& p,
              std::shared_ptr<const Stage1Columns> cols, const QueryPlan& plan, SearchResult& res)
      : state(state), db(db), req(req), p(p), cols(std::move(cols)), plan(plan), res(res), enq(db) {}

  // Stage 1.
  void prepare_enquire();
  void prepare_matching();
  void run_stage1();
  std::vector<Candidate> read_candidates();
  // Stage 2.
  void rerank(std::vector<Candidate> cands);
  void page();

 private:
  Xapian::MSet run(Xapian::Query text);
  Xapian::Query with_soft(Xapian::Query q) const;
  Xapian::Query any_of(long except) const;
  std::vector<Xapian::Query> make_attempts() const;
  Explanation explanation_of(Candidate& c, const Hit& h, const Xapian::MSetIterator& it, const std::string& data);
  VariantChooser& chooser();
  size_t variant_of(const Candidate& c, const Xapian::MSetIterator& it, std::string_view key);

  const IndexState& state;
  Xapian::Database& db;
  const SearchRequest& req;
  const RankingProfile& p;
  std::shared_ptr<const Stage1Columns> cols;
  const QueryPlan& plan;
  SearchResult& res;
  // Stage 1: the Enquire (prepare_enquire()).
  uint32_t K = 0;
  double unit = 0;
  Xapian::Query filter;
  bool filtered = false;
  bool keyed = false;
  bool carried = false;
  std::shared_ptr<Stage1Cursor> cursor = std::make_shared<Stage1Cursor>();
  SkuKeyMaker sku_key{cursor};
  Xapian::Enquire enq;
  int tier = -1;
  Xapian::Query last_query;
  // Stage 1: the queries of the terms (prepare_matching()).
  std::vector<Xapian::Query> soft;
  std::vector<int64_t> units;
  int64_t total_units = 0;
  std::vector<Xapian::Query> groups;
  long product = -1;
  bool product_present = false;
  // Stage 1: the match (run_stage1()).
  Xapian::MSet mset;
  Xapian::Query chosen;  // the query whose MSet is used (explain asks the Enquire which terms matched)
  std::unique_ptr<VariantChooser> chooser_;
  // Stage 2 (rerank()).
  RankContext ctx;
  std::string norm_query;
  Ranked ranked;
};

// The variant chooser of this request: its filters, the counted terms with their units (after
// prepare_matching()).
VariantChooser& TypedSearch::chooser() {
  if (chooser_) return *chooser_;
  std::vector<std::pair<std::vector<std::string>, int64_t>> terms;
  for (size_t k : plan.drop_order) {
    const auto& t = plan.terms[k];
    std::vector<std::string> alts{t.text};
    for (const auto& a : t.alternatives)
      if (a.terms.size() == 1) alts.push_back(a.terms[0]);
    terms.emplace_back(std::move(alts), k < units.size() ? units[k] : 1);
  }
  chooser_ = std::make_unique<VariantChooser>(*state.analyzer, req, std::move(terms));
  return *chooser_;
}

// The table index of a candidate's variant in its item document (`key`: its stage-1 key).
size_t TypedSearch::variant_of(const Candidate& c, const Xapian::MSetIterator& it, std::string_view key) {
  const size_t i = index::variant_index(key, c.sku);
  if (i == std::string_view::npos) throw DataError(state.index_dir + ": damaged stage-1 key in document " + std::to_string(*it));
  return i;
}

void TypedSearch::prepare_enquire() {
  K = std::max<uint32_t>(p.candidates, req.offset + req.limit);
  unit = coverage_unit(p);
  filter = build_filter(state, req);
  filtered = filter.get_type() != Xapian::Query::LEAF_MATCH_ALL;
  keyed = req.sort == SortOrder::Relevance;
  if (!keyed || p.prior_weight <= 0) cols.reset();  // the columns serve relevance order, with a prior
  // With columns the prior and the tie-break come from memory and the match set carries only the
  // sku_id; stage 2 then reads each candidate's stage-1 key from its document.
  carried = keyed && !cols;
  res.stage1_columns = cols != nullptr;
  enq.set_weighting_scheme(Xapian::BM25Weight(p.bm25_k1, p.bm25_k2, p.bm25_k3, p.bm25_b, p.bm25_min_normlen));
  // One document per item: nothing to collapse (without collapse, stage 2 lists each variant).
  switch (req.sort) {
    // Ties are ordered by sku_id so results do not depend on how SKUs were spread over shards.
    // The stage-1 key starts with the sku_id (then a NUL), so it orders ties alike and carries
    // what stage 2 reads.
    case SortOrder::Relevance:
      if (cols) enq.set_sort_by_relevance_then_key(&sku_key, false);
      else enq.set_sort_by_relevance_then_value(slot::kStage1Key, false);
      break;
    case SortOrder::Sales: enq.set_sort_by_value_then_relevance(slot::kSales30d, true); break;
    case SortOrder::Newness: enq.set_sort_by_value_then_relevance(slot::kListedAt, true); break;
    case SortOrder::PriceAsc: enq.set_sort_by_value_then_relevance(slot::kEffectivePrice, false); break;
    case SortOrder::PriceDesc: enq.set_sort_by_value_then_relevance(slot::kMaxEffectivePrice, true); break;
    case SortOrder::Rating: enq.set_sort_by_value_then_relevance(slot::kRatingSignal, true); break;
  }
  // Broad queries (docs/ranking.md, "Broad queries"): on an optimized index, the smallest tier of
  // best-prior listings where the rarest required term is still expected in tier_matches
  // listings (its frequency times the tier's share: an estimate). -1: search everything.
  const auto& shares = state.manifest.tier_shares;
  if (keyed && p.tier_matches > 0 && !shares.empty() && !plan.drop_order.empty()) {
    Xapian::doccount rarest = std::numeric_limits<Xapian::doccount>::max();
    for (size_t k : plan.drop_order) rarest = std::min(rarest, whole_df(db, plan.terms[k]));
    for (size_t i = 0; i < shares.size() && tier < 0; ++i)
      if (double(rarest) * shares[i] >= double(p.tier_matches)) tier = int(i);
  }
}

// The first K matches of `text`, filtered, in the tier, with the prior.
Xapian::MSet TypedSearch::run(Xapian::Query text) {
  Xapian::Query q = std::move(text);
  if (filtered) q = Xapian::Query(Xapian::Query::OP_FILTER, q, filter);
  if (tier >= 0) q = Xapian::Query(Xapian::Query::OP_FILTER, q, Xapian::Query(std::string(prefix::kTier) + std::to_string(tier)));
  if (p.prior_weight > 0) {
    Xapian::PostingSource* prior = cols ? static_cast<Xapian::PostingSource*>(new PriorColumnSource(cols, cursor))
                                        : new Xapian::ValueWeightPostingSource(slot::kStaticPrior);
    q = Xapian::Query(Xapian::Query::OP_AND_MAYBE, q,
                      Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(prior->release()), p.prior_weight));
  }
  enq.set_query(q);
  last_query = q;
  return enq.get_mset(0, K);
}

void TypedSearch::prepare_matching() {
  for (const auto& t : plan.terms)
    if (t.role == TermRole::Soft) soft.emplace_back(t.text);

  // Matching (docs/ranking.md, "Matching"): every counted term adds its BM25 weight and a fixed
  // weight of units(t) coverage units when a listing has it whole, a share of them when the
  // listing has only some of its parts. Units follow how informative the term is in this index
  // (term_units), so a listing covering the product word and the rare specifics ranks with one
  // covering every word, and above one covering only the common words.
  units = term_units(db, plan, p);
  groups.resize(plan.terms.size());
  for (size_t k : plan.drop_order) {
    const auto& t = plan.terms[k];
    total_units += units[k];
    if (t.role == TermRole::Product) product = long(k);
    const double w = unit * double(units[k]);
    std::vector<Xapian::Query> parts;
    // A mixed token's parts together are the whole (iphone12 = iPhone 12); a word's sub-words
    // are each worth 1/(m+1) of it, so they never add up to the word.
    const double share = t.alnum ? 1.0 / double(t.parts.size()) : 1.0 / double(t.parts.size() + 1);
    // A single character of an unknown word (威 of 威驰) says little about it: half a share.
    for (const auto& part : t.parts) {
      // A part in more than match.max_part_share of the listings (and more than kMinLongPart)
      // tells little and costs a long posting list in every query that has it.
      if (double(db.get_termfreq(part)) > std::max(p.max_part_share * double(db.get_doccount()), kMinLongPart)) continue;
      const double f = !t.alnum && part.size() <= 3 && static_cast<unsigned char>(part[0]) >= 0xE0 ? 0.5 : 1.0;
      parts.push_back(counted(part, unit * std::floor(double(units[k]) * share * f + 1e-9)));
    }
    // The whole term, else its parts: OR(whole, AND_NOT(OR(parts), whole)). Not OP_MAX(whole,
    // OR(parts)): Xapian 1.4 gave a listing with both parts one part's weight there (iphone12
    // against "iPhone 12": 30 of 60 units), as if the inner OR were merged into the MAX.
    groups[k] = parts.empty()
                    ? counted(whole_query(t), w)
                    : Xapian::Query(Xapian::Query::OP_OR, counted(whole_query(t), w),
                                    Xapian::Query(Xapian::Query::OP_AND_NOT,
                                                  Xapian::Query(Xapian::Query::OP_OR, parts.begin(), parts.end()),
                                                  whole_query(t)));
  }
  // The product word (whole or by its parts) is required while some listing has it; the other
  // terms add coverage. Without a product word, or when requiring it leaves fewer items than
  // relax.min_items, every term is optional (match.require_product; off by default).
  if (product >= 0 && p.require_product) {
    const auto& t = plan.terms[size_t(product)];
    product_present = whole_df(db, t) > 0;
    for (const auto& part : t.parts) product_present = product_present || db.get_termfreq(part) > 0;
  }
}

// Soft terms (lone characters like 大) add BM25 to listings the counted terms found; alone they
// are no reason to list one.
Xapian::Query TypedSearch::with_soft(Xapian::Query q) const {
  if (soft.empty()) return q;
  return Xapian::Query(Xapian::Query::OP_AND_MAYBE, q, Xapian::Query(Xapian::Query::OP_OR, soft.begin(), soft.end()));
}

Xapian::Query TypedSearch::any_of(long except) const {
  std::vector<Xapian::Query> qs;
  for (size_t k : plan.drop_order)
    if (long(k) != except) qs.push_back(groups[k]);
  return Xapian::Query(Xapian::Query::OP_OR, qs.begin(), qs.end());
}

// The text queries stage 1 tries in turn, until one finds enough.
std::vector<Xapian::Query> TypedSearch::make_attempts() const {
  // First every counted term whole (an AND: cheap). A listing with every term outweighs every
  // listing without one in stage 1, so when the AND fills the candidates, matching any term
  // would give the same candidates: done. Else the listings covering part of the query join,
  // up to stage1.partial_candidates (an OR over many terms costs more the more it keeps).
  std::vector<Xapian::Query> attempts;
  {
    std::vector<Xapian::Query> all;
    for (size_t k : plan.drop_order) all.push_back(counted(whole_query(plan.terms[k]), unit * double(units[k])));
    attempts.push_back(with_soft(Xapian::Query(Xapian::Query::OP_AND, all.begin(), all.end())));
  }
  if (product_present)
    attempts.push_back(with_soft(plan.drop_order.size() == 1
                                     ? groups[size_t(product)]
                                     : Xapian::Query(Xapian::Query::OP_AND_MAYBE, groups[size_t(product)], any_of(product))));
  // Then the listings lacking at most one counted term (of two: the lighter one), each term
  // whole, as disjoint sets: OR(AND(all), AND_NOT(AND(all but t1), t1), ..., AND_NOT(AND(all
  // but tn), tn)). Every AND is an intersection (cheap), and each listing matches exactly one
  // branch, so it gets the weight of the most it covers and coverage decodes as for any other
  // match. Not OP_MAX over the overlapping ANDs, which said the same: Xapian 1.4.22's MAX crashed
  // (SIGSEGV in get_mset) on `(薄款 AND 内裤) MAX 内裤` over the two shards of a 1M-SKU
  // generated index (`longtail gen` seed 1; each shard alone was fine).
  const size_t n = plan.drop_order.size();
  if (n >= 2) {
    auto whole = [&](size_t j) {
      const size_t k = plan.drop_order[j];
      return counted(whole_query(plan.terms[k]), unit * double(units[k]));
    };
    auto all_but = [&](size_t skip) {
      std::vector<Xapian::Query> qs;
      for (size_t j = 0; j < n; ++j)
        if (j != skip) qs.push_back(whole(j));
      Xapian::Query q(Xapian::Query::OP_AND, qs.begin(), qs.end());
      if (skip < n) q = Xapian::Query(Xapian::Query::OP_AND_NOT, q, whole_query(plan.terms[plan.drop_order[skip]]));
      return q;
    };
    std::vector<Xapian::Query> alts{all_but(n)};
    if (n == 2) {
      alts.push_back(all_but(units[plan.drop_order[0]] >= units[plan.drop_order[1]] ? 1 : 0));
    } else {
      for (size_t skip = 0; skip < n; ++skip) alts.push_back(all_but(skip));
    }
    attempts.push_back(with_soft(Xapian::Query(Xapian::Query::OP_OR, alts.begin(), alts.end())));
  }
  attempts.push_back(with_soft(any_of(-1)));
  return attempts;
}

void TypedSearch::run_stage1() {
  if (plan.terms.empty()) {
    mset = run(match_all());  // filters only: browse by the prior
    chosen = last_query;
    return;
  }
  const std::vector<Xapian::Query> attempts = make_attempts();
  const auto& shares = state.manifest.tier_shares;
  // Enough partial matches: relax.min_items, whatever the page asked, so that a page of 10 and a
  // page of 100 rank their first hits alike.
  const uint32_t min_items = std::max<uint32_t>(p.relax_min_items, 1);
  for (size_t a = 0; a < attempts.size(); ++a) {
    const Xapian::Query& text = attempts[a];
    if (a == 1) K = std::max<uint32_t>(p.partial_candidates, req.offset + req.limit);
    // A tier answers when it yields tier_candidates items. Else the items it did yield tell
    // how dense the matches are: the next tier tried is the smallest larger one expected to
    // yield 1.5 times what is wanted, else the whole index (with the full candidate count).
    // A tier that yields nothing tells nothing: the next one.
    while (tier >= 0) {
      const uint32_t full = K;
      K = std::max<uint32_t>(p.tier_candidates, req.offset + req.limit);
      mset = run(text);
      if (mset.size() >= K) break;
      const double need = mset.size() == 0 ? 0.0 : shares[size_t(tier)] * 1.5 * double(K) / double(mset.size());
      int next = -1;
      for (size_t j = size_t(tier) + 1; j < shares.size() && next < 0; ++j)
        if (shares[j] >= need) next = int(j);
      tier = next;
      K = full;
    }
    if (tier >= 0) {
      res.searched_share = shares[size_t(tier)];
      chosen = last_query;
      break;
    }
    mset = run(text);
    chosen = last_query;
    // A one-term query has no listing missing a word, only listings with parts of it: they
    // join only when the term itself is in fewer than relax.min_items listings.
    const bool exact = a == 0 && (mset.size() >= K || (plan.drop_order.size() == 1 && mset.size() >= min_items));
    if (exact || (a > 0 && mset.size() >= min_items)) break;
  }
}

std::vector<Candidate> TypedSearch::read_candidates() {
  enq.set_query(chosen);
  res.total_estimated = mset.get_matches_estimated();
  if (!keyed) mset.fetch();
  std::vector<Candidate> cands;
  cands.reserve(mset.size());
  uint32_t rank = 0;
  for (auto it = mset.begin(); it != mset.end(); ++it)
    read_candidate(it, rank++, carried, state.index_dir, chooser(), !req.collapse, unit, cands);
  return cands;
}

void TypedSearch::rerank(std::vector<Candidate> cands) {
  ctx.profile = &p;
  ctx.shops = &state.shops;
  ctx.analyzer = state.analyzer.get();
  ctx.user = req.user && !req.user->empty() ? &*req.user : nullptr;
  ctx.sort = req.sort;
  ctx.now = req.now != 0 ? req.now
                         : std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  ctx.page_size = req.limit;
  ctx.needed = req.offset + req.limit;
  ctx.total_units = total_units;
  prepare_preferences(ctx);
  // The surface rerank reads the titles of the best few candidates (their stored fields).
  norm_query = state.analyzer->normalize(req.query);
  if (!plan.terms.empty()) {
    ctx.surface = [&](const Candidate& c) {
      Xapian::MSetIterator it = mset[c.stage1_rank];
      const std::string data = state.stored_data(it.get_document(), *it);
      const auto raw = index::variant_title(data, variant_of(c, it, stage1_key(it, false)));
      if (!raw) throw DataError(state.index_dir + ": damaged stored fields in document " + std::to_string(*it));
      const std::string title = state.analyzer->normalize(*raw);
      return surface_match(norm_query, title);
    };
  }
  ranked = rank_candidates(std::move(cands), ctx);
  res.candidates = uint32_t(ranked.order.size());
  if (!req.facets.empty()) res.facets = count_facets(ranked.order, req.facets, p, mset.size() < K);
  // `relaxed`: when no candidate covers every counted term whole, the terms the first hit lacks.
  if (!ranked.order.empty() && total_units > 0 &&
      std::none_of(ranked.order.begin(), ranked.order.end(), [&](const Candidate& c) { return c.cov_units >= total_units; })) {
    Xapian::MSetIterator first = mset[ranked.order.front().stage1_rank];
    const auto matched = matching_terms(db, enq, first, state.manifest.serving);
    for (size_t k : plan.drop_order)
      if (!has_whole(matched, plan.terms[k])) res.relaxed.push_back(plan.terms[k].text);
  }
  if (!res.relaxed.empty())
    res.message = "no listing matches every word of the query; the first hit lacks: " + join(res.relaxed);
}

void TypedSearch::page() {
  const size_t end = std::min<size_t>(ranked.order.size(), size_t(req.offset) + req.limit);
  // The page's variants: one match over its items (Xapian's collapse count is not carried back
  // from remote shards, and it names no SKU).
  // The page's variants: from each hit's variant table (in its stage-1 key), chosen again with
  // the flags of every variant.
  // The page's documents, in one MSet::fetch() of the stage-1 ranks they span (a remote shard
  // answers a fetch in one exchange, a document read alone costs a round trip); with the stage-1
  // key nothing else was fetched (read_candidate()).
  if (keyed && end > req.offset) {
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t i = req.offset; i < end; ++i) {
      lo = std::min(lo, ranked.order[i].stage1_rank);
      hi = std::max(hi, ranked.order[i].stage1_rank);
    }
    Xapian::MSetIterator last = mset[hi];
    mset.fetch(mset[lo], ++last);
  }
  for (size_t i = req.offset; i < end; ++i) {
    Candidate& c = ranked.order[i];
    Xapian::MSetIterator it = mset[c.stage1_rank];
    Xapian::Document doc = it.get_document();
    const std::string item_data = state.stored_data(doc, *it);
    std::vector<index::ListingKey> table;
    size_t vi = 0;  // the candidate's variant in the table
    if (index::decode_item_key(doc.get_value(slot::kStage1Key), table))
      while (vi < table.size() && table[vi].pack.sku != c.sku) ++vi;
    if (vi >= table.size())
      throw DataError(state.index_dir + ": damaged stage-1 key in document " + std::to_string(*it));
    index::SkuRecord r;
    if (!index::read_variant(item_data, table[vi], vi, r))
      throw DataError(state.index_dir + ": damaged stored fields in document " + std::to_string(*it));
    Hit h = hit_from_record(std::move(r), uint32_t(i + 1));
    h.price = c.price;
    h.price_known = c.price_known;
    h.shipping_fee = c.shipping_fee;
    h.score = c.score;
    // In query terms: the counted terms a full match has, the weighted share of them otherwise.
    h.coverage = c.coverage * double(plan.counted());
    if (req.collapse) {
      std::vector<char> matched;
      chooser().choose(table, &matched);
      ItemVariants v = item_variants(table, matched);
      h.variants = std::max<uint32_t>(1, v.matched);
      h.variant_list = std::move(v.skus);
    }
    if (req.explain) h.explanation = explanation_of(c, h, it, std::string(index::variant_line(item_data, vi)));
    res.hits.push_back(std::move(h));
  }
}

// A hit's explanation (SearchRequest::explain): the terms it matched, its signals and penalties.
Explanation TypedSearch::explanation_of(Candidate& c, const Hit& h, const Xapian::MSetIterator& it, const std::string& data) {
  Explanation ex;
  ex.coverage = h.coverage;
  ex.query_terms = uint32_t(plan.counted());
  const std::unordered_set<std::string> matched = matching_terms(db, enq, it, state.manifest.serving);
  for (const auto& t : plan.terms) {
    if (matched.count(t.text)) {
      ex.matched_terms.push_back(t.text);
    } else if (const auto* alt = matched_alternative(matched, t)) {
      ex.matched_terms.push_back(t.text + "(" + join(alt->terms) + ")");
      ex.synonyms.push_back(state.synonyms->describe(alt->rule));
    } else {
      std::vector<std::string> got;
      for (const auto& part : t.parts)
        if (matched.count(part)) got.push_back(part);
      if (!got.empty()) ex.matched_terms.push_back(t.text + "(" + join(got) + ")");
      else if (t.role != TermRole::Soft) ex.missing_terms.push_back(t.text);
    }
  }
  ex.bm25 = c.bm25;
  ex.stage1_weight = c.weight;
  ex.stage1_rank = c.stage1_rank + 1;
  const double reranked = c.score;
  score_candidate(c, ctx, &ex);
  if (c.surface >= 0) {
    ex.signals.push_back({"surface", c.surface, c.surface, p.surface_weight, c.surface * p.surface_weight,
                          "query characters and character pairs found in the title; rerank of the best " +
                              std::to_string(p.rerank_depth) + ": score = best x (score / best + " +
                              std::to_string(p.surface_weight).substr(0, 4) + " x surface x integrity) / (1 + weight)"});
    ex.final_score = reranked;
    c.score = reranked;
  }
  for (auto& reason : integrity_reasons(data)) ex.penalties.push_back(std::move(reason));
  for (const auto& m : c.moves) ex.penalties.push_back(m);
  ex.sort = sort_order_name(req.sort);
  ex.profile = p.source;
  return ex;
}

SearchResult search_as_typed(const IndexState& state, Xapian::Database& db, const SearchRequest& req,
                             const RankingProfile& p, std::shared_ptr<const Stage1Columns> cols) {
  check_request(req);
  const auto t_start = Clock::now();
  SearchResult res;
  res.query = req.query;
  const QueryPlan plan = plan_search(state, req, p, res);
  bool has_filter = !req.categories.empty() || !req.brands.empty() || !req.shops.empty() || !req.attrs.empty() ||
                    req.price_min || req.price_max;
  if (plan.terms.empty() && !has_filter) {
    res.message = "the query has no searchable words (only spaces, punctuation or stop words)";
    if (!plan.stop_words.empty()) res.message += ": " + join(plan.stop_words);
    return res;
  }
  TypedSearch search(state, db, req, p, std::move(cols), plan, res);

  // ---- stage 1 ------------------------------------------------------------------------
  search.prepare_enquire();
  search.prepare_matching();
  search.run_stage1();
  std::vector<Candidate> cands = search.read_candidates();
  res.stage1_ms = ms_since(t_start);

  // ---- stage 2 ------------------------------------------------------------------------
  const auto t2 = Clock::now();
  search.rerank(std::move(cands));
  search.page();
  res.stage2_ms = ms_since(t2);
  return res;
}

}  // namespace

}  // namespace longtail::engine
