// Segmentation measurements for analyzers/README.md (reproduces every figure there).
//
//   longtail_segment_eval spans NER_DIR [--jieba FILE]... [--learn TITLES[:COL]]...
//       Brand/product spans of NER_DIR/{train,dev,test}.tsv (text \t TYPE:start:end:surface ...):
//       share of spans that are exactly one token ("whole") and share no token cuts across
//       ("not cut": a token boundary at both span edges), over all texts, train+dev and test
//       (tune on train+dev, report test), for longtail (base lexicon, and
//       with words learned from --learn titles), ICU's word break, and each --jieba FILE: one
//       line per text, tokens separated by tabs (scripts/segment_eval_jieba.py writes it).
//   longtail_segment_eval speed [--learned] TITLES[:COL]...
//       Single-thread throughput (MB of UTF-8 input per second) in plain, index and query mode,
//       with the base lexicon or (--learned) with words and join entries learned from the titles.
//   longtail_segment_eval coverage TITLES[:COL]... [--brands DIC]...
//       Share of Han characters inside words of two or more characters on the segmentation
//       path, with the base lexicon and after catalog learning over the same titles (plus the
//       brand lists given as the catalog's brands).
// Learner thresholds can be overridden with LEARN_MIN_PMI, LEARN_MIN_ENTROPY, LEARN_MAX_CROSSED,
// LEARN_ADAPT, LEARN_MIN_COUNT, and the join entries' with JOIN_MIN_COUNT, JOIN_MIN_PMI,
// JOIN_MIN_ENTROPY, JOIN_MAX_CROSSED, JOIN_MAX_CHARS, JOIN_MAX_WORDS (0: no join entries).
// Diagnostics (spans): SEGEVAL_DUMP=PREFIX, SEGEVAL_TOKENS=PREFIX, SEGEVAL_LEARNED=PREFIX write
// per-row files (spans not kept whole, tokens of every text, learned lexicon entries).
// TITLES[:COL] reads one text a line, or column COL (1-based) of a tab-separated file with a
// header line. Exit code 0, or 2 on bad usage / unreadable files.
#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "analyzers/analyzer.h"
#include "analyzers/lexicon_learner.h"

using namespace longtail::analysis;

namespace {

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr, "segment_eval: %s\n", msg.c_str());
  std::exit(2);
}

std::vector<std::string> read_texts(const std::string& spec) {
  std::string path = spec;
  int col = 0;
  if (auto c = spec.rfind(':'); c != std::string::npos && c + 1 < spec.size() &&
                                 spec.find_first_not_of("0123456789", c + 1) == std::string::npos) {
    path = spec.substr(0, c);
    col = std::stoi(spec.substr(c + 1));
  }
  std::ifstream in(path);
  if (!in) usage("cannot read " + path);
  std::vector<std::string> out;
  std::string line;
  bool header = col > 0;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    if (col == 0) {
      out.push_back(line);
      continue;
    }
    std::stringstream ss(line);
    std::string field;
    for (int i = 0; i < col && std::getline(ss, field, '\t'); ++i) {
    }
    out.push_back(field);
  }
  return out;
}

// Code-point index of every byte offset that starts a code point (and of the end).
std::vector<int> byte_to_char(const std::string& s) {
  std::vector<int> m(s.size() + 1, -1);
  int c = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) m[i] = c++;
  m[s.size()] = c;
  return m;
}

struct Span {
  int b, e;
};

// A scored span: its edges without surrounding whitespace, and its whitespace-separated pieces
// ("kiss me" -> kiss, me; a segmenter that drops whitespace keeps it whole as those two tokens).
struct LabeledSpan {
  int b, e;
  std::vector<Span> pieces;
};

struct Item {
  std::string text;
  int part = 0;  // 0 train, 1 dev, 2 test
  std::vector<LabeledSpan> spans;
};

// The span field is "TYPE:start:end:surface" items separated by single spaces, but a surface
// may itself contain or end in spaces ("BRAND:0:7:kiss me", "PRODUCT:40:42:件 "): a piece that
// does not start a new item belongs to the previous item's surface.
std::vector<std::string> split_span_field(const std::string& field) {
  auto starts_item = [](const std::string& p) {
    size_t i = 0;
    while (i < p.size() && std::isupper(static_cast<unsigned char>(p[i]))) ++i;
    if (i == 0 || i >= p.size() || p[i] != ':') return false;
    for (int k = 0; k < 2; ++k) {
      const size_t d = ++i;
      while (i < p.size() && std::isdigit(static_cast<unsigned char>(p[i]))) ++i;
      if (i == d || i >= p.size() || p[i] != ':') return false;
    }
    return true;
  };
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= field.size()) {
    size_t sp = field.find(' ', start);
    if (sp == std::string::npos) sp = field.size();
    std::string piece = field.substr(start, sp - start);
    if (starts_item(piece) || out.empty()) out.push_back(std::move(piece));
    else out.back() += ' ' + piece;
    start = sp + 1;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

std::vector<Item> read_ner(const std::string& dir, size_t& bad_spans, size_t& ws_spans) {
  std::vector<Item> items;
  int part_no = 0;
  for (const char* part : {"train", "dev", "test"}) {
    std::ifstream in(dir + "/" + part + ".tsv");
    if (!in) usage("cannot read " + dir + "/" + part + ".tsv");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto tab = line.find('\t');
      Item it;
      it.part = part_no;
      it.text = line.substr(0, tab);
      const icu::UnicodeString u = icu::UnicodeString::fromUTF8(it.text);
      const int nchars = u.countChar32();
      std::vector<bool> space(static_cast<size_t>(nchars), false);
      for (int32_t i = 0, c = 0; i < u.length(); i = u.moveIndex32(i, 1), ++c)
        space[static_cast<size_t>(c)] = u_isUWhiteSpace(u.char32At(i)) != 0;
      for (const auto& f : split_span_field(tab == std::string::npos ? "" : line.substr(tab + 1))) {
        // TYPE:start:end:surface (code-point offsets, end exclusive)
        const auto c1 = f.find(':'), c2 = f.find(':', c1 + 1), c3 = f.find(':', c2 + 1);
        if (c3 == std::string::npos) {
          ++bad_spans;
          continue;
        }
        int b = std::stoi(f.substr(c1 + 1, c2 - c1 - 1)), e = std::stoi(f.substr(c2 + 1, c3 - c2 - 1));
        const std::string surface = f.substr(c3 + 1);
        std::string got;
        if (b >= 0 && e > b && e <= nchars) {
          const int32_t ub = u.moveIndex32(0, b), ue = u.moveIndex32(0, e);
          u.tempSubStringBetween(ub, ue).toUTF8String(got);
        }
        if (got != surface) {  // noisy annotation: offsets do not match the surface
          ++bad_spans;
          continue;
        }
        bool has_space = false;
        for (int k = b; k < e; ++k) has_space |= space[static_cast<size_t>(k)];
        ws_spans += has_space;
        while (b < e && space[static_cast<size_t>(b)]) ++b;
        while (e > b && space[static_cast<size_t>(e - 1)]) --e;
        if (b == e) {
          ++bad_spans;
          continue;
        }
        LabeledSpan ls{b, e, {}};
        for (int k = b; k < e;) {
          int z = k;
          while (z < e && !space[static_cast<size_t>(z)]) ++z;
          ls.pieces.push_back(Span{k, z});
          k = z;
          while (k < e && space[static_cast<size_t>(k)]) ++k;
        }
        it.spans.push_back(std::move(ls));
      }
      items.push_back(std::move(it));
    }
    ++part_no;
  }
  return items;
}

// Token boundaries as [start, end) code-point pairs.
using Tokens = std::vector<Span>;

// whole: one token is exactly the span (a span with inner whitespace: one token for each of
// its whitespace-separated pieces). not cut: token boundaries at both span edges (edges taken
// without surrounding whitespace). crossed: some token overlaps the span partially (starts
// inside and ends outside, or the reverse); the cut spans that are not crossed lie inside one
// longer token (金属支架 ⊃ 支架), which index mode still matches through its sub-words.
struct Counts {
  size_t spans = 0, whole = 0, not_cut = 0, crossed = 0;
  void operator+=(const Counts& o) {
    spans += o.spans, whole += o.whole, not_cut += o.not_cut, crossed += o.crossed;
  }
  std::string cells() const {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%5.2f%% | %5.2f%% | %5.2f%%", 100.0 * whole / spans, 100.0 * not_cut / spans,
                  100.0 * crossed / spans);
    return buf;
  }
};

// Scores per part (train, dev, test); printed for all texts, for train+dev (where anything
// tuned is tuned) and for test.
struct Score {
  Counts part[3];
  size_t lines_failed = 0;
  FILE* dump = nullptr;  // SEGEVAL_DUMP: every span not kept whole, with the tokens over it
  void add(const Item& it, const Tokens& toks) {
    std::set<int> bounds;
    std::set<std::pair<int, int>> exact;
    for (const auto& t : toks) {
      bounds.insert(t.b);
      bounds.insert(t.e);
      exact.insert({t.b, t.e});
    }
    Counts& c = part[it.part];
    for (const auto& s : it.spans) {
      ++c.spans;
      bool whole = true;
      for (const auto& p : s.pieces) whole &= exact.count({p.b, p.e}) > 0;
      c.whole += whole;
      c.not_cut += bounds.count(s.b) && bounds.count(s.e);
      bool cross = false;
      for (const auto& t : toks)
        cross |= (t.b < s.b && t.e > s.b && t.e < s.e) || (t.b > s.b && t.b < s.e && t.e > s.e);
      c.crossed += cross;
      if (dump != nullptr && !whole) {
        const icu::UnicodeString u = icu::UnicodeString::fromUTF8(it.text);
        auto sub = [&](int b, int e) {
          std::string o;
          u.tempSubStringBetween(u.moveIndex32(0, b), u.moveIndex32(0, e)).toUTF8String(o);
          return o;
        };
        std::string toks_over;
        for (const auto& t : toks)
          if (t.e > s.b && t.b < s.e) toks_over += (toks_over.empty() ? "" : "/") + sub(t.b, t.e);
        const bool nc = bounds.count(s.b) && bounds.count(s.e);
        std::fprintf(dump, "%d\t%s\t%s\t%s\n", it.part, nc ? "split" : cross ? "crossed" : "inside",
                     sub(s.b, s.e).c_str(), toks_over.c_str());
      }
    }
  }
  void fail(const Item& it) {
    ++lines_failed;
    part[it.part].spans += it.spans.size();
  }
  void print(const std::string& name) const {
    Counts all, tune;
    for (const auto& p : part) all += p;
    tune += part[0];
    tune += part[1];
    std::printf("| %-44s | %s | %s | %s |%s\n", name.c_str(), all.cells().c_str(), tune.cells().c_str(),
                part[2].cells().c_str(),
                lines_failed ? (" (" + std::to_string(lines_failed) + " lines unaligned)").c_str() : "");
  }
};

Tokens longtail_tokens(const Analyzer& a, const std::string& text) {
  const auto map = byte_to_char(text);
  Tokens out;
  for (const auto& t : a.analyze(text, Mode::Plain)) out.push_back(Span{map[t.start], map[t.end]});
  return out;
}

Tokens icu_tokens(icu::BreakIterator& bi, const std::string& text) {
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
  bi.setText(u);
  Tokens out;
  int32_t prev = bi.first();
  for (int32_t p = bi.next(); p != icu::BreakIterator::DONE; prev = p, p = bi.next()) {
    const icu::UnicodeString piece = u.tempSubStringBetween(prev, p);
    bool space = true;
    for (int32_t i = 0; i < piece.length(); ++i) space &= u_isUWhiteSpace(piece.char32At(i)) != 0;
    if (space) continue;
    out.push_back(Span{u.countChar32(0, prev), u.countChar32(0, p)});
  }
  return out;
}

// Aligns tab-separated tokens with the text (whitespace between tokens is skipped).
bool align(const std::string& text, const std::string& line, Tokens& out) {
  const auto map = byte_to_char(text);
  size_t pos = 0;
  std::stringstream ss(line);
  std::string tok;
  while (std::getline(ss, tok, '\t')) {
    if (tok.empty()) continue;
    while (pos < text.size()) {  // skip Unicode whitespace (U+3000, U+0085, ...)
      UChar32 c;
      int32_t next = static_cast<int32_t>(pos);
      U8_NEXT(text.data(), next, static_cast<int32_t>(text.size()), c);
      if (c < 0 || !u_isUWhiteSpace(c)) break;
      pos = static_cast<size_t>(next);
    }
    if (text.compare(pos, tok.size(), tok) != 0) return false;
    out.push_back(Span{map[pos], map[pos + tok.size()]});
    pos += tok.size();
  }
  return true;
}

// Base lexicon + LexiconLearner entries from title files (specs), in-memory titles, brand lists
// (one brand a line) and product-word lists (fed as category names).
std::shared_ptr<const Lexicon> learned_lexicon(const Analyzer& base, const std::vector<std::string>& specs,
                                               const std::vector<std::string>& titles,
                                               const std::vector<std::string>& brand_dics,
                                               const std::vector<std::string>& product_dics) {
  LexiconLearner::Options opt;
  if (const char* v = std::getenv("LEARN_MIN_PMI")) opt.min_pmi = std::atof(v);
  if (const char* v = std::getenv("LEARN_MIN_ENTROPY")) opt.min_entropy = std::atof(v);
  if (const char* v = std::getenv("LEARN_MAX_CROSSED")) opt.max_crossed = std::atof(v);
  if (const char* v = std::getenv("LEARN_ADAPT")) opt.adapt_weight = std::atof(v);
  if (const char* v = std::getenv("LEARN_MIN_COUNT")) opt.min_count = static_cast<uint32_t>(std::atoi(v));
  if (const char* v = std::getenv("JOIN_MIN_COUNT")) opt.join_min_count = static_cast<uint32_t>(std::atoi(v));
  if (const char* v = std::getenv("JOIN_MIN_PMI")) opt.join_min_pmi = std::atof(v);
  if (const char* v = std::getenv("JOIN_MIN_ENTROPY")) opt.join_min_entropy = std::atof(v);
  if (const char* v = std::getenv("JOIN_MAX_CROSSED")) opt.join_max_crossed = std::atof(v);
  if (const char* v = std::getenv("JOIN_MAX_CHARS")) opt.max_join_chars = static_cast<size_t>(std::atoi(v));
  if (const char* v = std::getenv("JOIN_MAX_WORDS")) opt.max_join_words = static_cast<size_t>(std::atoi(v));
  LexiconLearner learner(base, opt);
  for (const auto& s : specs)
    for (const auto& t : read_texts(s)) learner.add_title(t);
  for (const auto& t : titles) learner.add_title(t);
  for (const auto& d : brand_dics)
    for (const auto& b : read_texts(d)) learner.add_brand(b);
  for (const auto& d : product_dics)
    for (const auto& p : read_texts(d)) learner.add_category(p);
  const auto entries = learner.entries();
  if (const char* d = std::getenv("SEGEVAL_LEARNED")) {  // the learned entries, for inspection
    static int calls = 0;
    if (FILE* f = std::fopen((std::string(d) + "." + std::to_string(++calls)).c_str(), "w")) {
      for (const auto& e : entries) std::fprintf(f, "%s\t%u\t%s\n", e.word.c_str(), e.freq, e.tag.c_str());
      std::fclose(f);
    }
  }
  size_t joins = 0;
  for (const auto& e : entries) joins += e.tag == "join";
  std::fprintf(stderr, "learned %zu entries (%zu join) from %zu titles (n-grams pruned up to count %u), %zu brand and %zu product lists\n",
               entries.size(), joins, learner.titles_used(), learner.prune_threshold(), brand_dics.size(), product_dics.size());
  return Lexicon::extend(base.lexicon(), entries);
}

int spans_cmd(int argc, char** argv) {
  if (argc < 3) usage("spans NER_DIR [--jieba FILE]... [--learn TITLES[:COL]]...");
  std::vector<std::pair<std::string, std::string>> jieba;
  std::vector<std::string> learn, brands, products;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--jieba") == 0) jieba.emplace_back(std::string("jieba: ") + argv[i + 1], argv[i + 1]);
    else if (std::strcmp(argv[i], "--learn") == 0) learn.emplace_back(argv[i + 1]);
    else if (std::strcmp(argv[i], "--brands") == 0) brands.emplace_back(argv[i + 1]);
    else if (std::strcmp(argv[i], "--products") == 0) products.emplace_back(argv[i + 1]);
    else usage(std::string("unknown option ") + argv[i]);
  }
  size_t bad = 0, ws = 0;
  const auto items = read_ner(argv[2], bad, ws);
  std::vector<std::string> ner_texts;
  for (const auto& it : items) ner_texts.push_back(it.text);
  const Analyzer base(Lexicon::load_default());
  std::printf("texts: %zu, spans skipped (offsets do not match surface): %zu\n", items.size(), bad);
  size_t nspans[3] = {0, 0, 0};
  for (const auto& it : items) nspans[it.part] += it.spans.size();
  std::printf("spans scored: %zu (train %zu, dev %zu, test %zu; %zu with whitespace, scored without it)\n\n",
              nspans[0] + nspans[1] + nspans[2], nspans[0], nspans[1], nspans[2], ws);
  std::printf("| segmenter | whole | not cut | crossed | train+dev whole | not cut | crossed | test whole | not cut | crossed |\n"
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  int dump_no = 0;
  auto run = [&](const char* name, const Analyzer& a) {
    Score sc;
    // Diagnostics, one file per row (PREFIX.1, PREFIX.2, ...): SEGEVAL_DUMP lists the spans not
    // kept whole with the tokens over them; SEGEVAL_TOKENS the tokens of every text.
    ++dump_no;
    auto open_out = [&](const char* var) {
      const char* d = std::getenv(var);
      return std::unique_ptr<FILE, int (*)(FILE*)>(
          d ? std::fopen((std::string(d) + "." + std::to_string(dump_no)).c_str(), "w") : nullptr, &std::fclose);
    };
    auto dump = open_out("SEGEVAL_DUMP");
    auto tok_out = open_out("SEGEVAL_TOKENS");
    sc.dump = dump.get();
    for (const auto& it : items) {
      const Tokens toks = longtail_tokens(a, it.text);
      sc.add(it, toks);
      if (tok_out) {
        const auto map = byte_to_char(it.text);
        std::vector<int> byte_of(map.back() + 1, 0);
        for (size_t i = 0; i < map.size(); ++i)
          if (map[i] >= 0) byte_of[static_cast<size_t>(map[i])] = static_cast<int>(i);
        for (size_t k = 0; k < toks.size(); ++k)
          std::fprintf(tok_out.get(), "%s%s", k ? "\t" : "",
                       it.text.substr(byte_of[toks[k].b], byte_of[toks[k].e] - byte_of[toks[k].b]).c_str());
        std::fputc('\n', tok_out.get());
      }
    }
    sc.print(name);
  };
  run("longtail plain (jieba dict)", base);
  if (!learn.empty()) run("longtail + words learned from titles", Analyzer(learned_lexicon(base, learn, {}, {}, {})));
  // As an index build does: learn from the very texts being segmented (they are the catalog).
  run("longtail + words learned from these texts", Analyzer(learned_lexicon(base, learn, ner_texts, {}, {})));
  if (!brands.empty() || !products.empty())
    run("  ... + brand/product lists as catalog", Analyzer(learned_lexicon(base, learn, ner_texts, brands, products)));
  UErrorCode st = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> bi(icu::BreakIterator::createWordInstance(icu::Locale::getChinese(), st));
  if (U_FAILURE(st)) usage("ICU word break iterator unavailable");
  Score icu;
  for (const auto& it : items) icu.add(it, icu_tokens(*bi, it.text));
  icu.print("ICU word break (zh)");
  for (const auto& [name, path] : jieba) {
    std::ifstream in(path);
    if (!in) usage("cannot read " + path);
    Score j;
    std::string line;
    for (const auto& it : items) {
      if (!std::getline(in, line)) usage(path + ": fewer lines than texts");
      Tokens toks;
      if (!align(it.text, line, toks)) {
        j.fail(it);
        continue;
      }
      j.add(it, toks);
    }
    j.print(name);
  }
  return 0;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int speed_cmd(int argc, char** argv) {
  std::vector<std::string> texts, specs;
  bool learned = false;  // --learned: the lexicon an index build would use (learned from these titles)
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--learned") == 0) {
      learned = true;
      continue;
    }
    specs.emplace_back(argv[i]);
    for (auto& t : read_texts(argv[i])) texts.push_back(std::move(t));
  }
  if (texts.empty()) usage("speed [--learned] TITLES[:COL]...");
  size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  const auto t0 = std::chrono::steady_clock::now();
  const auto base_lexicon = Lexicon::load_default();
  const Analyzer base(base_lexicon);
  const double startup = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("texts: %zu, %.2f MB; analyzer start-up (lexicon + normalizer): %.0f ms\n", texts.size(), bytes / 1e6, startup);
  const Analyzer a(learned ? learned_lexicon(base, specs, {}, {}, {}) : base_lexicon);
  for (Mode m : {Mode::Plain, Mode::Index, Mode::Query}) {
    size_t tokens = 0;
    const int rounds = 3;
    const auto b = std::chrono::steady_clock::now();
    const double cpu0 = thread_cpu_seconds();
    for (int r = 0; r < rounds; ++r)
      for (const auto& t : texts) tokens += a.analyze(t, m).size();
    const double cpu = thread_cpu_seconds() - cpu0;
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - b).count();
    if (tokens == 0) usage("no tokens produced");  // a broken build must not look fast
    const char* name = m == Mode::Plain ? "plain" : m == Mode::Index ? "index" : "query";
    // Per core: bytes over this thread's CPU time (wall time also shown; they differ when the
    // machine is shared).
    std::printf("%-5s: %6.1f MB/s per core (CPU time), %6.1f MB/s wall  (%zu tokens/round, %d rounds)\n", name,
                rounds * bytes / 1e6 / cpu, rounds * bytes / 1e6 / sec, tokens / rounds, rounds);
  }
  return 0;
}

// Han characters in `text`.
size_t han_chars(std::string_view text) {
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), int32_t(text.size())));
  size_t n = 0;
  for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1)) {
    UErrorCode st = U_ZERO_ERROR;
    n += uscript_getScript(u.char32At(i), &st) == USCRIPT_HAN;
  }
  return n;
}

// Share of the texts' Han characters that lie in a word of two or more characters on the
// segmentation path: index mode's Word tokens (the path words; not its sub-words, and not the
// pieces plain mode joins without a word: join entries, attached endings).
double coverage(const Analyzer& a, const std::vector<std::string>& texts) {
  size_t han = 0, covered = 0;
  for (const auto& t : texts) {
    han += han_chars(t);
    for (const auto& tok : a.analyze(t, Mode::Index)) {
      if (tok.kind != TokenKind::Word) continue;
      const size_t h = han_chars(tok.text);
      if (h >= 2) covered += h;
    }
  }
  return han ? 100.0 * double(covered) / double(han) : 0.0;
}

int coverage_cmd(int argc, char** argv) {
  std::vector<std::string> specs, brands, texts;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--brands") == 0 && i + 1 < argc) brands.emplace_back(argv[++i]);
    else specs.emplace_back(argv[i]);
  }
  for (const auto& s : specs)
    for (auto& t : read_texts(s)) texts.push_back(std::move(t));
  if (texts.empty()) usage("coverage TITLES[:COL]... [--brands DIC]...");
  const Analyzer base(Lexicon::load_default());
  std::printf("titles: %zu\nbase lexicon (jieba, %zu words): %.1f%% of Han characters in words of >= 2 characters\n",
              texts.size(), base.lexicon().size(), coverage(base, texts));
  const auto t0 = std::chrono::steady_clock::now();
  const Analyzer learned(learned_lexicon(base, specs, {}, {}, {}));
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("+ words learned from these titles (%zu words, learning took %.1f s): %.1f%%\n", learned.lexicon().size(), sec,
              coverage(learned, texts));
  if (!brands.empty()) {
    const Analyzer with_brands(learned_lexicon(base, specs, {}, brands, {}));
    std::printf("+ learned words + brand lists (%zu words): %.1f%%\n", with_brands.lexicon().size(), coverage(with_brands, texts));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage("spans|speed|coverage ...");
  try {
    const std::string cmd = argv[1];
    if (cmd == "spans") return spans_cmd(argc, argv);
    if (cmd == "speed") return speed_cmd(argc, argv);
    if (cmd == "coverage") return coverage_cmd(argc, argv);
    usage("unknown command " + cmd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "segment_eval: %s\n", e.what());
    return 1;
  }
}
