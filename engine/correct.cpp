#include "engine/correct.h"

#include <algorithm>

#include "analyzers/normalizer.h"
#include "index/spelling.h"

namespace longtail::engine {

namespace {

enum class Kind { Latin, Digit, Han, Space, Other };

struct Piece {
  Kind kind;
  size_t b, e;  // byte range in the normalized query
  size_t chars = 0;
};

Kind kind_of(char32_t c) {
  if (c >= 'a' && c <= 'z') return Kind::Latin;
  if (c >= '0' && c <= '9') return Kind::Digit;
  if (c == ' ' || c == '\t') return Kind::Space;
  if ((c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF)) return Kind::Han;
  return Kind::Other;
}

struct Replacement {
  size_t b, e;
  std::string text;
};

// Han spans up to this many characters are checked for homophones, and spans of pieces from at
// least this many: two characters read like some other catalog word far too often (新启 -> 新奇,
// 八瓜 -> 八卦 on real Taobao queries), three rarely by chance (惠而普 -> 惠而浦, 杨声器 -> 扬声器).
constexpr size_t kMaxHomophoneChars = 6;
constexpr size_t kMinHomophoneSpan = 3;
// A query word the lexicon has (but the catalog lacks) is corrected only toward a word this many
// times as frequent in the lexicon: 吉它 (a common misspelling in web text) -> 吉他, not 腹部 -> 肤补.
constexpr uint64_t kLexiconWordRatio = 10;
// Latin words of up to this many letters may be initials (lyq, nyyf).
constexpr size_t kMaxInitials = 5;
// At most this many Latin words are joined into one pinyin word (lian yi qun).
constexpr size_t kMaxPinyinWords = 8;
// Longer queries are not corrected: the longest of 100,000 real Taobao queries is 161 bytes, and
// a 30 kB paste must not spend seconds on homophone spans.
constexpr size_t kMaxCorrectBytes = 256;

// Same length in characters and exactly one character different (a homophone typo changes one).
bool one_char_apart(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  size_t i = 0, j = 0, diff = 0;
  while (i < a.size() && j < b.size()) {
    const size_t i0 = i, j0 = j;
    utf8::next(a, i);
    utf8::next(b, j);
    if (a.substr(i0, i - i0) != b.substr(j0, j - j0)) ++diff;
  }
  return i == a.size() && j == b.size() && diff == 1;
}

}  // namespace

std::optional<QueryCorrection> correct_query(const IndexState& state, Xapian::Database& db, std::string_view query) {
  if (query.size() > kMaxCorrectBytes) return std::nullopt;
  const auto vocab = state.spelling();
  if (!vocab) return std::nullopt;
  const auto pinyin = state.pinyin();
  const std::string q = state.analyzer->normalize(query);

  std::vector<Piece> pieces;
  for (size_t i = 0; i < q.size();) {
    const size_t b = i;
    const Kind k = kind_of(utf8::next(q, i));
    if (!pieces.empty() && pieces.back().kind == k && pieces.back().e == b) {
      pieces.back().e = i;
      ++pieces.back().chars;
    } else {
      pieces.push_back({k, b, i, 1});
    }
  }
  auto text = [&](const Piece& p) { return q.substr(p.b, p.e - p.b); };
  auto known = [&](const std::string& t) { return db.get_termfreq(t) > 0; };
  // The first proposed word the index still has.
  auto pick = [&](const std::vector<index::SpellingWord>& ws) -> std::optional<index::SpellingWord> {
    for (const auto& w : ws)
      if (known(w.word)) return w;
    return std::nullopt;
  };

  QueryCorrection out;
  std::vector<Replacement> reps;
  // Latin words in order, each with whether it touches digits (a model number: iphone12).
  std::vector<size_t> latin;
  for (size_t i = 0; i < pieces.size(); ++i)
    if (pieces[i].kind == Kind::Latin) latin.push_back(i);
  auto standalone = [&](size_t pi) {
    return !(pi > 0 && pieces[pi - 1].kind == Kind::Digit) && !(pi + 1 < pieces.size() && pieces[pi + 1].kind == Kind::Digit);
  };
  std::vector<char> unknown(pieces.size(), 0);
  for (size_t pi : latin) unknown[pi] = !known(text(pieces[pi]));

  size_t unknown_words = 0, read_as_pinyin = 0;
  for (size_t pi : latin) unknown_words += unknown[pi];
  for (size_t k = 0; k < latin.size();) {
    const size_t first = latin[k];
    if (!unknown[first]) {
      ++k;
      continue;
    }
    // The longest window of unknown standalone Latin words joined by spaces that reads as a word.
    size_t n = 0;
    while (k + n < latin.size() && n < kMaxPinyinWords) {
      const size_t pi = latin[k + n];
      if (!unknown[pi] || !standalone(pi)) break;
      if (n > 0 && !(latin[k + n - 1] + 2 == pi && pieces[pi - 1].kind == Kind::Space)) break;
      ++n;
    }
    bool done = false;
    if (pinyin)
      for (size_t w = n; w >= 1 && !done; --w) {
        std::string joined, typed;
        for (size_t j = 0; j < w; ++j) joined += text(pieces[latin[k + j]]);
        if (!pinyin->is_pinyin(joined)) continue;
        if (const auto hit = pick(vocab->by_pinyin(joined))) {
          const Piece& a = pieces[latin[k]];
          const Piece& z = pieces[latin[k + w - 1]];
          reps.push_back({a.b, z.e, hit->word});
          out.changes.push_back(q.substr(a.b, z.e - a.b) + " -> " + hit->word + " (pinyin)");
          read_as_pinyin += w;
          k += w;
          done = true;
        }
      }
    if (done) continue;
    const Piece& p = pieces[first];
    const std::string word = text(p);
    if (const auto hit = pick(vocab->near_latin(word))) {
      reps.push_back({p.b, p.e, hit->word});
      out.changes.push_back(word + " -> " + hit->word + " (spelling)");
    } else if (latin.size() == 1 && pieces.size() == 1 && word.size() >= 3 && word.size() <= kMaxInitials) {
      // Initials are ambiguous: only a query of that one word is read as initials.
      if (const auto ini = pick(vocab->by_initials(word))) {
        reps.push_back({p.b, p.e, ini->word});
        out.changes.push_back(word + " -> " + ini->word + " (pinyin initials)");
      }
    }
    ++k;
  }

  const bool has_han = std::any_of(pieces.begin(), pieces.end(), [](const Piece& p) { return p.kind == Kind::Han; });
  // Most of the unknown words read as catalog words (a word or two may be no catalog word's reading).
  out.typed_in_pinyin = !has_han && read_as_pinyin > 0 && 2 * read_as_pinyin >= unknown_words;

  // Han homophones: one character typed for another that reads alike. A typo breaks a word into
  // pieces the segmenter cannot read as words (保问杯 -> 保 问 杯), so the candidates are spans of
  // whole path words that include a single character, or one path word the catalog lacks when a
  // far more common lexicon word reads like it (吉它 -> 吉他; 腹部 stays); the replacement is a
  // lexicon word of the catalog that reads exactly alike and differs in one character. Left to
  // right, the longest such span wins.
  if (pinyin) {
    const auto& lex = state.analyzer->lexicon();
    const auto path = state.analyzer->analyze(q, analysis::Mode::Plain);
    for (const Piece& p : pieces) {
      if (p.kind != Kind::Han || p.chars < 2) continue;
      struct Word {
        size_t b, e, chars;
      };
      std::vector<Word> words;
      for (const auto& t : path)
        if (t.start >= p.b && t.end <= p.e) {
          size_t chars = 0;
          for (size_t i = t.start; i < t.end; utf8::next(q, i)) ++chars;
          words.push_back({t.start, t.end, chars});
        }
      for (size_t i = 0; i < words.size();) {
        size_t next = i + 1;
        // Each word has a character at least, so a span of kMaxHomophoneChars ends this close.
        for (size_t j = std::min(words.size(), i + kMaxHomophoneChars); j > i; --j) {
          size_t chars = 0;
          bool single = false;
          for (size_t k = i; k < j; ++k) {
            chars += words[k].chars;
            single = single || words[k].chars == 1;
          }
          if (chars < 2 || chars > kMaxHomophoneChars) continue;
          const std::string span = q.substr(words[i].b, words[j - 1].e - words[i].b);
          // A lexicon word is corrected only toward a far more common one (吉它 -> 吉他).
          const uint64_t span_freq = lex.frequency(span);
          const bool lexicon_word = j == i + 1 && span_freq > 0;
          if (!(lexicon_word || (single && chars >= kMinHomophoneSpan)) || known(span)) continue;
          const auto r = pinyin->reading(span);
          if (r.empty()) continue;
          std::vector<index::SpellingWord> same;
          for (auto& w : vocab->by_pinyin(analysis::Pinyin::full_key(r)))
            if (one_char_apart(w.word, span) && lex.frequency(w.word) > kLexiconWordRatio * span_freq)
              same.push_back(std::move(w));
          if (const auto hit = pick(same)) {
            reps.push_back({words[i].b, words[j - 1].e, hit->word});
            out.changes.push_back(span + " -> " + hit->word + " (homophone)");
            next = j;
            break;
          }
        }
        i = next;
      }
    }
  }

  if (reps.empty()) return std::nullopt;
  std::sort(reps.begin(), reps.end(), [](const Replacement& a, const Replacement& b) { return a.b < b.b; });
  size_t pos = 0;
  for (const auto& r : reps) {
    out.query += q.substr(pos, r.b - pos);
    out.query += r.text;
    pos = r.e;
  }
  out.query += q.substr(pos);
  return out;
}

}  // namespace longtail::engine
