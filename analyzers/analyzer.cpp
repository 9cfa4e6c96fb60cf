// The analysis pipeline: normalize -> script runs (tokenizer) -> dictionary segmentation per
// chunk -> mode-specific term emission. Index and query modes differ on purpose:
//   Index: path words, every lexicon word found anywhere in a chunk (SubWord, at the position of
//          the path word where it starts), a word's head character when it mostly ends words
//          (SubWord: 帆布鞋 -> 鞋), parts of Latin tokens (Part), and for Han characters
//          the path leaves single: the character itself plus the bigrams it takes part in
//          (HanGram), so recall never depends on the dictionary.
//   Query: path words; a run of two or more single Han characters becomes its bigrams (each of
//          which the index emits for the same run), a lone single character stays itself; Latin
//          tokens whole (the index has them whole too, and their parts for "iphone 15").
#include <algorithm>
#include <cmath>

#include "analyzers/analyzer.h"
#include "analyzers/lexicon_data.h"
#include "analyzers/normalizer.h"
#include "analyzers/segmenter.h"
#include "analyzers/tokenizer.h"

namespace longtail::analysis {

using detail::CharClass;
using detail::Edge;
using detail::SegUnit;
using detail::Unit;
using detail::UnitKind;

namespace {

struct Scratch {
  detail::NormalizedText nt;
  std::string bytes;           // normalized UTF-8
  std::vector<uint32_t> cpb;   // byte offset of each code point in `bytes` (+ end)
  detail::Tokenized tk;
  std::vector<SegUnit> su;
  detail::SegmentScratch ss;
  std::vector<uint32_t> ends;
  std::vector<Edge> edges;
  std::vector<uint32_t> unit_pos;
  std::vector<uint8_t> unit_single;  // unit is a single-Han-character path piece
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

bool is_original_space(std::string_view text, size_t b, size_t& e) {
  size_t i = b;
  const char32_t cp = utf8::next(text, i);
  e = i;
  return detail::Normalizer::instance().char_class(cp) == CharClass::Space;
}

// Plain mode must cover every non-whitespace character of the input exactly once: merge tokens
// that share original bytes (one character can normalize to several) and give characters no
// token covers (normalized to nothing, e.g. U+200B) a token of their own.
void finish_plain(std::string_view text, std::vector<Token>& toks) {
  std::vector<Token> merged;
  merged.reserve(toks.size() + 4);
  for (auto& t : toks) {
    if (!merged.empty() && t.start < merged.back().end) {
      merged.back().end = std::max(merged.back().end, t.end);
      continue;
    }
    merged.push_back(std::move(t));
  }
  std::vector<Token> out;
  out.reserve(merged.size() + 4);
  size_t cur = 0;
  uint32_t pos = 0;
  auto fill_gap = [&](size_t from, size_t to) {
    size_t i = from;
    while (i < to) {
      size_t e = i;
      const bool space = is_original_space(text, i, e);
      if (!space) {
        Token g;
        g.start = static_cast<uint32_t>(i);
        g.end = static_cast<uint32_t>(e);
        g.kind = TokenKind::Other;
        out.push_back(std::move(g));
      }
      i = e;
    }
  };
  for (auto& t : merged) {
    fill_gap(cur, t.start);
    cur = t.end;
    out.push_back(std::move(t));
  }
  fill_gap(cur, text.size());
  for (auto& t : out) {
    t.text.assign(text.substr(t.start, t.end - t.start));
    t.position = pos++;
  }
  toks.swap(out);
}

// The dense per-character entry of a unit that is one BMP character (three UTF-8 bytes: every
// Han character of the BMP), else nullptr.
const Lexicon::Data::CharInfo* char_info(const Lexicon::Data& lex, std::string_view bytes, const SegUnit& u) {
  if (u.byte_e - u.byte_b != 3) return nullptr;
  const int cp = Lexicon::Data::bmp3(bytes.data() + u.byte_b);
  return cp < 0 ? nullptr : &lex.bmp[static_cast<size_t>(cp)];
}

// A whole run of two singles joins when the first is mostly a word start and the second mostly
// a word end (CharInfo::tail below and above one half): 挂/扣 -> 挂扣, 地/垫 -> 地垫.
constexpr uint8_t kPairHeadMax = 128;  // first character: tail < 128 (< 0.5)
constexpr uint8_t kPairTailMin = 128;  // second character: tail > 128 (> 0.5)

// Plain mode: a run of two or three single Han characters that the path leaves single, between
// longer pieces or chunk edges, becomes one piece when the lexicon has that run as a join entry
// (an n-gram the catalog uses often and cohesively, LexiconLearner::Options::join_*): 兔/窝 ->
// 兔窝. Only whole runs are joined, so a join never takes a character from a dictionary word.
void join_single_runs(const Lexicon::Data& lex, std::string_view bytes, const Unit* cu, const SegUnit* su,
                      std::vector<uint32_t>& ends) {
  constexpr size_t kMaxJoin = 3;
  size_t out = 0, a = 0;  // ends[out..] rewritten in place; a = start unit of piece i
  for (size_t i = 0; i < ends.size();) {
    auto single = [&](size_t k, uint32_t from) { return ends[k] - from == 1 && cu[from].kind == UnitKind::Han; };
    size_t j = i;
    uint32_t b = static_cast<uint32_t>(a);
    while (j < ends.size() && single(j, b)) b = ends[j++];
    if (j - i >= 2 && j - i <= kMaxJoin) {
      const auto* sl = lex.find(bytes.substr(su[a].byte_b, su[ends[j - 1] - 1].byte_e - su[a].byte_b));
      bool join = sl != nullptr && sl->join;
      if (!join && j - i == 2) {  // a word start followed by a word end
        const auto* c1 = char_info(lex, bytes, su[a]);
        const auto* c2 = char_info(lex, bytes, su[a + 1]);
        join = c1 != nullptr && c2 != nullptr && c1->tail < kPairHeadMax && c2->tail > kPairTailMin;
      }
      if (join) {
        ends[out++] = ends[j - 1];
        a = ends[j - 1];
        i = j;
        continue;
      }
    }
    if (j == i) j = i + 1;  // a longer piece
    for (; i < j; ++i) {
      a = ends[i];
      ends[out++] = ends[i];
    }
  }
  ends.resize(out);
}

// Plain mode, after join_single_runs: a single Han character that follows a word of two or
// more Han characters and is mostly a word ending (Lexicon::Data::CharInfo::tail >= kTailAttach)
// joins that word when nothing single follows it (雪地/靴 -> 雪地靴, 收纳/袋 -> 收纳袋): product
// words are a known word plus a head character the dictionary lacks the compound of. A character
// followed by another single stays (it may begin a word the dictionary lacks).
constexpr uint8_t kTailAttach = 179;  // 0.70 of 255
constexpr uint8_t kHeadTail = static_cast<uint8_t>(kHeadCharShare * 255.0 + 0.5);  // index mode's head characters
void attach_tails(const Lexicon::Data& lex, std::string_view bytes, const Unit* cu, const SegUnit* su,
                  std::vector<uint32_t>& ends) {
  const size_t m = ends.size();
  auto start = [&](size_t k) { return k == 0 ? 0u : ends[k - 1]; };
  auto single = [&](size_t k) { return ends[k] - start(k) == 1 && cu[start(k)].kind == UnitKind::Han; };
  size_t out = 0;  // ends[..out) rewritten in place; out <= i, ends[i - 1..] unchanged
  for (size_t i = 0; i < m;) {
    if (i + 1 < m && ends[i] - start(i) >= 2 && single(i + 1) && (i + 2 == m || !single(i + 2))) {
      bool han = true;
      for (uint32_t u = start(i); u < ends[i] && han; ++u) han = cu[u].kind == UnitKind::Han;
      const auto* c = han ? char_info(lex, bytes, su[ends[i]]) : nullptr;
      if (c != nullptr && c->tail >= kTailAttach) {
        ends[out++] = ends[i + 1];
        i += 2;
        continue;
      }
    }
    ends[out++] = ends[i++];
  }
  ends.resize(out);
}

}  // namespace

struct Analyzer::Impl {
  std::shared_ptr<const Lexicon> lexicon;
  const detail::Normalizer* norm = nullptr;
};

Analyzer::Analyzer(std::shared_ptr<const Lexicon> lexicon) : impl_(std::make_unique<Impl>()) {
  if (!lexicon) throw AnalysisError("Analyzer needs a lexicon (got null)");
  impl_->lexicon = std::move(lexicon);
  impl_->norm = &detail::Normalizer::instance();
}
Analyzer::~Analyzer() = default;
Analyzer::Analyzer(Analyzer&&) noexcept = default;
Analyzer& Analyzer::operator=(Analyzer&&) noexcept = default;

const Lexicon& Analyzer::lexicon() const { return *impl_->lexicon; }

std::string Analyzer::normalize(std::string_view text) const { return impl_->norm->normalize(text); }

float Analyzer::informativeness(std::string_view term) const {
  const Lexicon& lex = *impl_->lexicon;
  const uint32_t f = lex.frequency(term);
  const double total = static_cast<double>(lex.total_frequency());
  if (f == 0 || total <= 1.0) return 1.0f;
  const double v = std::log(total / static_cast<double>(f)) / std::log(total);
  return static_cast<float>(std::clamp(v, 0.01, 1.0));
}

namespace detail {

std::vector<Token> analyze_with(const Lexicon& lexicon, std::string_view text, Mode mode, bool fine) {
  Scratch& s = scratch();
  const Lexicon::Data& lex = lexicon.data();
  Normalizer::instance().normalize(text, s.nt);
  const auto& nt = s.nt;
  s.bytes.clear();
  s.cpb.clear();
  for (char32_t c : nt.cps) {
    s.cpb.push_back(static_cast<uint32_t>(s.bytes.size()));
    utf8::append(c, s.bytes);
  }
  s.cpb.push_back(static_cast<uint32_t>(s.bytes.size()));
  detail::tokenize(nt, mode == Mode::Plain, s.tk);
  const auto& units = s.tk.units;

  std::vector<Token> out;
  out.reserve(units.size() * (mode == Mode::Index ? 2 : 1) + 4);
  uint32_t position = 0;

  auto norm_text = [&](uint32_t cb, uint32_t ce) {
    return std::string(s.bytes, s.cpb[cb], s.cpb[ce] - s.cpb[cb]);
  };
  auto make = [&](uint32_t cb, uint32_t ce, uint32_t pos, TokenKind kind) {
    Token t;
    t.position = pos;
    t.start = nt.src_begin[cb];
    t.end = nt.src_end[ce - 1];
    t.kind = kind;
    if (mode != Mode::Plain) t.text = norm_text(cb, ce);
    return t;
  };
  auto is_word = [&](uint32_t cb, uint32_t ce) {
    const auto* n = lex.find(std::string_view(s.bytes).substr(s.cpb[cb], s.cpb[ce] - s.cpb[cb]));
    return n != nullptr && n->is_word;
  };

  size_t ui = 0;
  while (ui < units.size()) {
    if (units[ui].kind == UnitKind::Punct) {  // plain mode only
      out.push_back(make(units[ui].b, units[ui].e, position++, TokenKind::Other));
      ++ui;
      continue;
    }
    size_t uj = ui;
    while (uj < units.size() && units[uj].chunk == units[ui].chunk) ++uj;
    const size_t n = uj - ui;
    const Unit* cu = units.data() + ui;
    s.su.resize(n);
    for (size_t k = 0; k < n; ++k) s.su[k] = SegUnit{s.cpb[cu[k].b], s.cpb[cu[k].e]};
    s.ends.clear();
    s.edges.clear();
    detail::segment(lex, s.bytes, s.su.data(), n, s.ss, s.ends, mode == Mode::Index ? &s.edges : nullptr,
                    fine);
    if (fine) {
      join_single_runs(lex, s.bytes, cu, s.su.data(), s.ends);
      attach_tails(lex, s.bytes, cu, s.su.data(), s.ends);
    }
    s.unit_pos.assign(n, 0);
    s.unit_single.assign(n, 0);

    // Positions: one per path piece; sub-words, parts and grams share their piece's position.
    uint32_t a = 0;
    const uint32_t first_pos = position;
    for (const uint32_t z : s.ends) {
      for (uint32_t k = a; k < z; ++k) s.unit_pos[k] = position;
      if (z - a == 1 && cu[a].kind == UnitKind::Han) s.unit_single[a] = 1;
      ++position;
      a = z;
    }
    // segment() lists words by descending start; walk them by ascending start.
    std::reverse(s.edges.begin(), s.edges.end());
    size_t ei = 0;
    a = 0;
    for (size_t pi = 0; pi < s.ends.size(); ++pi) {
      const uint32_t z = s.ends[pi];
      const uint32_t pos = first_pos + static_cast<uint32_t>(pi);
      const uint32_t cb = cu[a].b, ce = cu[z - 1].e;
      if (z - a == 1 && cu[a].kind == UnitKind::Latin) {
        out.push_back(make(cb, ce, pos, cu[a].latin_kind));
        if (mode == Mode::Index) {
          for (uint32_t p = cu[a].parts_begin; p < cu[a].parts_end; ++p) {
            const auto& part = s.tk.parts[p];
            out.push_back(make(part.b, part.e, pos, TokenKind::Part));
          }
        }
      } else if (z - a == 1) {
        const bool in_run = (a > 0 && s.unit_single[a - 1]) || (a + 1 < n && s.unit_single[a + 1]);
        if (mode == Mode::Query && in_run) {
          // A run of >= 2 single characters: its bigrams (the last character starts none).
          if (a + 1 < n && s.unit_single[a + 1]) {
            const TokenKind kind = is_word(cb, cu[a + 1].e) ? TokenKind::Word : TokenKind::HanGram;
            out.push_back(make(cb, cu[a + 1].e, pos, kind));
          }
        } else {
          const TokenKind kind = is_word(cb, ce) ? TokenKind::Word : TokenKind::HanGram;
          out.push_back(make(cb, ce, pos, kind));
        }
      } else {
        out.push_back(make(cb, ce, pos, TokenKind::Word));
      }
      if (mode == Mode::Index) {
        // Every lexicon word starting in this piece (except the piece itself): sub-words of
        // the piece and words that cross into the next pieces.
        for (; ei < s.edges.size() && s.edges[ei].from < z; ++ei) {
          const Edge& e = s.edges[ei];
          if (e.from == a && e.to == z) continue;
          out.push_back(make(cu[e.from].b, cu[e.to - 1].e, pos, TokenKind::SubWord));
        }
        // The head character of a word of two or more Han characters (帆布鞋 -> 鞋, 紫砂壶 -> 壶)
        // when it mostly ends words (kHeadCharShare): a one-character product word of a query
        // (engine/query_plan.cpp) then finds every listing of that product.
        if (z - a >= 2 && cu[z - 1].kind == UnitKind::Han && cu[z - 2].kind == UnitKind::Han) {
          const auto* c = char_info(lex, s.bytes, s.su[z - 1]);
          if (c != nullptr && c->tail >= kHeadTail) out.push_back(make(cu[z - 1].b, cu[z - 1].e, pos, TokenKind::SubWord));
        }
        // Bigrams touching a single-character piece (unless a lexicon word, emitted above).
        for (uint32_t k = a; k < z && k + 1 < n; ++k) {
          if (cu[k].kind != UnitKind::Han || cu[k + 1].kind != UnitKind::Han) continue;
          if (!s.unit_single[k] && !s.unit_single[k + 1]) continue;
          if (is_word(cu[k].b, cu[k + 1].e)) continue;
          out.push_back(make(cu[k].b, cu[k + 1].e, pos, TokenKind::HanGram));
        }
      }
      a = z;
    }

    ui = uj;
  }
  if (mode == Mode::Plain) finish_plain(text, out);
  return out;
}

}  // namespace detail

std::vector<Token> Analyzer::analyze(std::string_view text, Mode mode) const {
  return detail::analyze_with(*impl_->lexicon, text, mode, mode == Mode::Plain);
}

}  // namespace longtail::analysis
