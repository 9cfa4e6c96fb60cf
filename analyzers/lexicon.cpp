#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "analyzers/lexicon_data.h"
#include "analyzers/normalizer.h"

#ifndef LONGTAIL_JIEBA_DICT
#define LONGTAIL_JIEBA_DICT "/usr/lib/python3/dist-packages/jieba/dict.txt"
#endif

namespace longtail::analysis {

namespace detail {

namespace {
size_t pow2_at_least(size_t n) {
  size_t p = 1024;
  while (p < n) p <<= 1;
  return p;
}
}  // namespace

LexiconBuilder::LexiconBuilder(size_t expected_words) : d_(std::make_shared<Lexicon::Data>()) {
  // Words plus their prefixes: about 1.7 nodes per word on jieba's dictionary; keep load <= 0.5.
  d_->slots.assign(pow2_at_least(expected_words * 4), 0);
  d_->nodes.reserve(expected_words * 2);
  d_->words.reserve(expected_words);
  d_->tags.emplace_back();  // tag 0 = ""
}

uint32_t LexiconBuilder::tag_id(std::string_view tag) {
  for (size_t i = 0; i < d_->tags.size(); ++i)
    if (d_->tags[i] == tag) return static_cast<uint32_t>(i);
  if (d_->tags.size() >= 0xFFFF) return 0;
  d_->tags.emplace_back(tag);
  return static_cast<uint32_t>(d_->tags.size() - 1);
}

void LexiconBuilder::grow() {
  auto& slots = d_->slots;
  std::vector<uint32_t> bigger(slots.size() * 2, 0);
  const size_t mask = bigger.size() - 1;
  for (uint32_t v : slots) {
    if (v == 0) continue;
    const auto& n = d_->nodes[v - 1];
    size_t i = Lexicon::Data::hash(d_->text(n)) & mask;
    while (bigger[i] != 0) i = (i + 1) & mask;
    bigger[i] = v;
  }
  slots.swap(bigger);
}

// Returns the node index for s, creating a prefix-only node (pointing at pool bytes the caller
// has already appended) when absent.
uint32_t LexiconBuilder::insert_node(uint64_t h, std::string_view s, bool& created) {
  const size_t mask = d_->slots.size() - 1;
  size_t i = h & mask;
  for (;; i = (i + 1) & mask) {
    const uint32_t v = d_->slots[i];
    if (v == 0) break;
    const auto& n = d_->nodes[v - 1];
    if (n.len == s.size() && d_->pool.compare(n.off, n.len, s) == 0) {
      created = false;
      return v - 1;
    }
  }
  created = true;
  Lexicon::Data::Node n;
  n.off = static_cast<uint32_t>(s.data() - d_->pool.data());
  n.len = static_cast<uint32_t>(s.size());
  d_->nodes.push_back(n);
  d_->slots[i] = static_cast<uint32_t>(d_->nodes.size());
  if (++used_ * 2 > d_->slots.size()) grow();
  return static_cast<uint32_t>(d_->nodes.size() - 1);
}

void LexiconBuilder::add(std::string_view word, uint32_t freq, std::string_view tag) {
  if (word.empty() || word.size() > 0xFFFF) return;
  const uint64_t h = Lexicon::Data::hash(word);
  if (const auto* existing = d_->find(h, word); existing && existing->is_word) {
    auto& n = d_->nodes[static_cast<size_t>(existing - d_->nodes.data())];
    if (freq > n.freq) {
      d_->total_freq += freq - n.freq;
      n.freq = freq;
      if (!tag.empty()) n.tag = static_cast<uint16_t>(tag_id(tag));
    }
    return;
  }
  // Append the bytes first so string_views into the pool stay valid across insert_node calls
  // (the pool is only appended to here, and nodes store offsets, not pointers).
  const size_t off = d_->pool.size();
  d_->pool.append(word);
  const std::string_view stored(d_->pool.data() + off, word.size());
  bool created = false;
  const uint32_t idx = insert_node(h, stored, created);
  if (!created) d_->pool.resize(off);  // was a prefix-only node: reuse its bytes
  auto& n = d_->nodes[idx];
  n.is_word = 1;
  n.freq = freq;
  n.tag = static_cast<uint16_t>(tag_id(tag));
  d_->words.push_back(idx);
  d_->total_freq += freq;
  if (!created) return;  // its prefixes exist already
  // Register every code-point prefix.
  const std::string_view w(d_->pool.data() + off, word.size());
  uint64_t ph = Lexicon::Data::kHashInit;
  for (size_t i = 0; i < w.size();) {
    size_t j = i + 1;
    while (j < w.size() && (static_cast<unsigned char>(w[j]) & 0xC0) == 0x80) ++j;
    ph = Lexicon::Data::hash_add(ph, w.data() + i, j - i);
    if (j < w.size()) {
      bool c = false;
      insert_node(ph, w.substr(0, j), c);
    }
    i = j;
  }
}

std::shared_ptr<Lexicon::Data> LexiconBuilder::finish() {
  d_->log_total = std::log(static_cast<double>(d_->total_freq > 0 ? d_->total_freq : 1));
  auto out = std::move(d_);
  out->pool.shrink_to_fit();
  out->nodes.shrink_to_fit();
  return out;
}

}  // namespace detail

namespace {

constexpr char kMagic[8] = {'L', 'T', 'L', 'E', 'X', '0', '0', '1'};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw AnalysisError("cannot open lexicon file: " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw AnalysisError("cannot read lexicon file: " + path);
  return std::move(ss).str();
}

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

template <typename T>
T get(std::string_view in, size_t& pos, const std::string& path) {
  if (pos + sizeof(T) > in.size()) throw AnalysisError("lexicon file truncated: " + path);
  T v;
  std::memcpy(&v, in.data() + pos, sizeof(T));
  pos += sizeof(T);
  return v;
}

// Entry payload shared by save() and checksum(): tags, then (word, freq, tag) in entry order.
std::string serialize(const Lexicon::Data& d) {
  std::string out;
  out.reserve(d.pool.size() + d.words.size() * 8 + 64);
  put<uint32_t>(out, static_cast<uint32_t>(d.tags.size()));
  for (const auto& t : d.tags) {
    put<uint16_t>(out, static_cast<uint16_t>(t.size()));
    out += t;
  }
  put<uint32_t>(out, static_cast<uint32_t>(d.words.size()));
  for (uint32_t idx : d.words) {
    const auto& n = d.nodes[idx];
    put<uint16_t>(out, static_cast<uint16_t>(n.len));
    out.append(d.pool, n.off, n.len);
    put<uint32_t>(out, n.freq);
    put<uint16_t>(out, n.tag);
  }
  return out;
}

uint64_t fnv64(std::string_view s) { return Lexicon::Data::hash(s); }

}  // namespace

std::shared_ptr<const Lexicon> Lexicon::load_default() {
  const char* env = std::getenv("LONGTAIL_DICT");
  const std::string path = (env && *env) ? env : LONGTAIL_JIEBA_DICT;
  const std::string text = read_file(path);
  const auto& norm = detail::Normalizer::instance();
  detail::LexiconBuilder b(text.size() / 12 + 16);
  size_t pos = 0;
  size_t line_no = 0;
  std::string normalized;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    // Format: word [freq [tag]], separated by single spaces (jieba dict.txt).
    const size_t s1 = line.find(' ');
    std::string_view word = line.substr(0, s1);
    uint32_t freq = 1;
    std::string_view tag;
    if (s1 != std::string_view::npos) {
      std::string_view rest = line.substr(s1 + 1);
      const size_t s2 = rest.find(' ');
      std::string_view f = rest.substr(0, s2);
      uint64_t v = 0;
      bool ok = !f.empty();
      for (char c : f) {
        if (c < '0' || c > '9') {
          ok = false;
          break;
        }
        v = v * 10 + static_cast<uint64_t>(c - '0');
        if (v > 0xFFFFFFFFull) v = 0xFFFFFFFFull;
      }
      if (!ok) throw AnalysisError(path + ":" + std::to_string(line_no) + ": bad frequency");
      freq = static_cast<uint32_t>(v);
      if (s2 != std::string_view::npos) tag = rest.substr(s2 + 1);
    }
    // Fast path: plain CJK/lower-case words are their own normalization.
    normalized = norm.normalize(word);
    b.add(normalized, freq, tag);
  }
  return std::make_shared<const Lexicon>(b.finish());
}

std::shared_ptr<const Lexicon> Lexicon::load(const std::string& path) {
  const std::string bytes = read_file(path);
  const std::string_view in(bytes);
  if (in.size() < sizeof(kMagic) + 8 || std::memcmp(in.data(), kMagic, sizeof(kMagic)) != 0)
    throw AnalysisError("not a longtail lexicon file (bad magic): " + path);
  const std::string_view payload = in.substr(sizeof(kMagic), in.size() - sizeof(kMagic) - 8);
  uint64_t stored = 0;
  std::memcpy(&stored, in.data() + in.size() - 8, 8);
  if (stored != fnv64(payload)) throw AnalysisError("lexicon file corrupt (checksum mismatch): " + path);
  size_t pos = 0;
  const uint32_t ntags = get<uint32_t>(payload, pos, path);
  std::vector<std::string> tags;
  tags.reserve(ntags);
  for (uint32_t i = 0; i < ntags; ++i) {
    const uint16_t len = get<uint16_t>(payload, pos, path);
    if (pos + len > payload.size()) throw AnalysisError("lexicon file truncated: " + path);
    tags.emplace_back(payload.substr(pos, len));
    pos += len;
  }
  const uint32_t nwords = get<uint32_t>(payload, pos, path);
  detail::LexiconBuilder b(nwords + 16);
  for (uint32_t i = 0; i < nwords; ++i) {
    const uint16_t len = get<uint16_t>(payload, pos, path);
    if (pos + len > payload.size()) throw AnalysisError("lexicon file truncated: " + path);
    const std::string_view w = payload.substr(pos, len);
    pos += len;
    const uint32_t freq = get<uint32_t>(payload, pos, path);
    const uint16_t tag = get<uint16_t>(payload, pos, path);
    if (tag >= tags.size()) throw AnalysisError("lexicon file corrupt (tag out of range): " + path);
    b.add(w, freq, tags[tag]);
  }
  return std::make_shared<const Lexicon>(b.finish());
}

std::shared_ptr<const Lexicon> Lexicon::extend(const Lexicon& base, const std::vector<Entry>& extra) {
  const Data& d = base.data();
  detail::LexiconBuilder b(d.words.size() + extra.size() + 16);
  for (uint32_t idx : d.words) {
    const auto& n = d.nodes[idx];
    b.add(d.text(n), n.freq, d.tag_of(n));
  }
  const auto& norm = detail::Normalizer::instance();
  for (const auto& e : extra) {
    // Catalog words are normalized like text, and must not contain spaces (they could never
    // match inside one segmenter chunk).
    std::string w = norm.normalize(e.word);
    if (w.empty() || w.find(' ') != std::string::npos) continue;
    b.add(w, e.freq, e.tag);
  }
  return std::make_shared<const Lexicon>(b.finish());
}

void Lexicon::save(const std::string& path) const {
  std::string out(kMagic, sizeof(kMagic));
  const std::string payload = serialize(*d_);
  out += payload;
  put<uint64_t>(out, fnv64(payload));
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw AnalysisError("cannot write lexicon file: " + tmp);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    f.flush();
    if (!f) throw AnalysisError("cannot write lexicon file: " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw AnalysisError("cannot rename lexicon file to " + path);
}

std::string Lexicon::checksum() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv64(serialize(*d_))));
  return buf;
}

size_t Lexicon::size() const { return d_->words.size(); }

uint32_t Lexicon::frequency(std::string_view normalized_word) const {
  const auto* n = d_->find(normalized_word);
  return (n && n->is_word) ? n->freq : 0;
}

std::string Lexicon::tag(std::string_view normalized_word) const {
  const auto* n = d_->find(normalized_word);
  return (n && n->is_word) ? d_->tag_of(*n) : std::string();
}

uint64_t Lexicon::total_frequency() const { return d_->total_freq; }

std::vector<Lexicon::Entry> Lexicon::entries() const {
  std::vector<Entry> out;
  out.reserve(d_->words.size());
  for (uint32_t idx : d_->words) {
    const auto& n = d_->nodes[idx];
    out.push_back(Entry{std::string(d_->text(n)), n.freq, d_->tag_of(n)});
  }
  return out;
}

}  // namespace longtail::analysis
