#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

#include <xxhash.h>

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
  // Words plus their prefixes: about 1.45 nodes per word on jieba's dictionary.
  index_.assign(pow2_at_least(expected_words * 2), 0);
  d_->nodes.reserve(expected_words * 2);
  d_->words.reserve(expected_words);
  d_->tags.emplace_back();  // tag 0 = ""
}

uint32_t LexiconBuilder::tag_id(std::string_view tag) {
  if (tag == last_tag_) return last_tag_id_;
  uint32_t id = 0;
  bool found = false;
  for (size_t i = 0; i < d_->tags.size(); ++i) {
    if (d_->tags[i] == tag) {
      id = static_cast<uint32_t>(i);
      found = true;
      break;
    }
  }
  if (!found) {
    if (d_->tags.size() >= 0xFFFF) return 0;
    d_->tags.emplace_back(tag);
    id = static_cast<uint32_t>(d_->tags.size() - 1);
  }
  last_tag_.assign(tag);
  last_tag_id_ = id;
  return id;
}

void LexiconBuilder::grow() {
  auto& slots = index_;
  std::vector<uint64_t> bigger(slots.size() * 2, 0);
  const size_t mask = bigger.size() - 1;
  for (uint64_t v : slots) {
    if (v == 0) continue;
    size_t i = Lexicon::Data::mix(Lexicon::Data::hash(d_->text(d_->nodes[(v & 0xFFFFFFFFu) - 1]))) & mask;
    while (bigger[i] != 0) i = (i + 1) & mask;
    bigger[i] = v;
  }
  slots.swap(bigger);
}

// Returns the node index for s, creating a prefix-only node (pointing at pool bytes the caller
// has already appended) when absent.
uint32_t LexiconBuilder::insert_node(uint64_t h, std::string_view s, bool& created) {
  const size_t mask = index_.size() - 1;
  h = Lexicon::Data::mix(h);
  const uint64_t check = h & 0xFFFFFFFF00000000ull;
  size_t i = h & mask;
  for (;; i = (i + 1) & mask) {
    const uint64_t v = index_[i];
    if (v == 0) break;
    if ((v & 0xFFFFFFFF00000000ull) != check) continue;
    const auto idx = static_cast<uint32_t>(v & 0xFFFFFFFFu) - 1;
    const auto& n = d_->nodes[idx];
    if (n.len == s.size() && d_->pool.compare(n.off, n.len, s) == 0) {
      created = false;
      return idx;
    }
  }
  created = true;
  Lexicon::Data::Node n;
  n.off = static_cast<uint32_t>(s.data() - d_->pool.data());
  n.len = static_cast<uint32_t>(s.size());
  d_->nodes.push_back(n);
  index_[i] = check | static_cast<uint64_t>(d_->nodes.size());
  if (++used_ * 10 > index_.size() * 7) grow();  // keep load <= 0.7
  return static_cast<uint32_t>(d_->nodes.size() - 1);
}

void LexiconBuilder::add(std::string_view word, uint32_t freq, std::string_view tag) {
  if (word.empty() || word.size() > 0xFFFF) return;
  const uint64_t h = Lexicon::Data::hash(word);
  // Append the bytes first: nodes store pool offsets, and insert_node takes a view into the
  // pool (the pool is not modified while insert_node runs).
  const size_t off = d_->pool.size();
  d_->pool.append(word);
  const std::string_view stored(d_->pool.data() + off, word.size());
  bool created = false;
  const uint32_t idx = insert_node(h, stored, created);
  auto& n = d_->nodes[idx];
  if (!created) {
    d_->pool.resize(off);  // the bytes are already stored for this node
    if (n.is_word) {       // duplicate word: keep the larger frequency
      if (freq > n.freq) {
        d_->total_freq += freq - n.freq;
        n.freq = freq;
        if (!tag.empty()) n.tag = static_cast<uint16_t>(tag_id(tag));
      }
      return;
    }
  }
  n.is_word = 1;
  n.freq = freq;
  n.tag = static_cast<uint16_t>(tag_id(tag));
  d_->words.push_back(idx);
  d_->total_freq += freq;
  if (!created) return;  // was a prefix of an earlier word: its own prefixes exist already
  // Register every code-point prefix; stop at the first one already present (its prefixes are).
  const std::string_view w(d_->pool.data() + off, word.size());
  size_t cut = w.size();
  while (cut > 0) {
    --cut;
    while (cut > 0 && (static_cast<unsigned char>(w[cut]) & 0xC0) == 0x80) --cut;
    if (cut == 0) break;
    bool c = false;
    const std::string_view prefix = w.substr(0, cut);
    insert_node(Lexicon::Data::hash(prefix), prefix, c);
    if (!c) break;
  }
}

std::shared_ptr<Lexicon::Data> LexiconBuilder::finish() {
  index_.clear();
  index_.shrink_to_fit();
  d_->build_slots();
  auto out = std::move(d_);
  out->pool.shrink_to_fit();
  out->nodes.shrink_to_fit();
  return out;
}

}  // namespace detail

void Lexicon::Data::build_slots() {
  log_total = std::log(static_cast<double>(total_freq > 0 ? total_freq : 1));
  catalog_tag.assign(tags.size(), 0);
  std::vector<uint8_t> join_tag(tags.size(), 0);
  for (size_t t = 0; t < tags.size(); ++t) {
    catalog_tag[t] = tags[t] == "brand" || tags[t] == "attr" || tags[t] == "cat" || tags[t] == "learned";
    join_tag[t] = tags[t] == kJoinTag;
  }
  auto is_join = [&](const Node& nd) { return nd.is_word != 0 && join_tag[nd.tag] != 0; };
  size_t n = 1024;
  while (n * 5 < nodes.size() * 8) n <<= 1;  // load <= 0.625
  slots.assign(n, Slot{});
  const size_t mask = n - 1;
  // Hash everything first (a sequential pass), then insert while prefetching the home slots of
  // the entries a few steps ahead: the random writes overlap instead of stalling one by one.
  std::vector<uint64_t> hashes(nodes.size());
  for (size_t k = 0; k < nodes.size(); ++k) hashes[k] = mix(hash(text(nodes[k])));
  constexpr size_t kAhead = 16;
  for (size_t k = 0; k < nodes.size(); ++k) {
    if (k + kAhead < nodes.size()) __builtin_prefetch(&slots[hashes[k + kAhead] & mask], 1);
    const Node& nd = nodes[k];
    const uint64_t h = hashes[k];
    size_t i = h & mask;
    while (slots[i].len != 0) i = (i + 1) & mask;
    Slot& sl = slots[i];
    sl.check = static_cast<uint32_t>(h >> 32);
    sl.freq = nd.freq;
    sl.logp = static_cast<float>(std::log(static_cast<double>(nd.freq > 0 ? nd.freq : 1)) - log_total);
    sl.node = static_cast<uint32_t>(k);
    sl.len = static_cast<uint16_t>(nd.len);
    sl.is_word = nd.is_word != 0 && !is_join(nd);
    sl.join = is_join(nd);
    if (nd.len <= sizeof(sl.inl)) std::memcpy(sl.inl, pool.data() + nd.off, nd.len);
  }
  bloom.assign((size_t{1} << kBloomBits) / 64, 0);
  constexpr uint64_t m = (uint64_t{1} << kBloomBits) - 1;
  for (uint64_t h : hashes) {
    const uint64_t b1 = h & m, b2 = (h >> kBloomBits) & m;
    bloom[b1 >> 6] |= uint64_t{1} << (b1 & 63);
    bloom[b2 >> 6] |= uint64_t{1} << (b2 & 63);
  }
  bmp.assign(0x10000, CharInfo{});
  for (size_t k = 0; k < nodes.size(); ++k) {
    const Node& nd = nodes[k];
    if (nd.len > 3) continue;
    size_t i = 0;
    const std::string_view w = text(nd);
    const char32_t cp = utf8::next(w, i);
    if (i != w.size() || cp >= 0x10000 || cp == 0xFFFD) continue;
    CharInfo& c = bmp[cp];
    c.present = 1;
    c.is_word = nd.is_word != 0 && !is_join(nd);
    c.logp = static_cast<float>(std::log(static_cast<double>(nd.freq > 0 ? nd.freq : 1)) - log_total);
  }
  // Word endings: count the words (not join entries) of two or more code points that start and
  // end with each character; distinct words, not frequencies, so general-text frequencies do not
  // swamp the shape of the vocabulary. Only three-byte (BMP: every Han) characters are counted,
  // the only ones tails are read for; a word of four or more bytes with one has two code points.
  std::vector<uint32_t> starts(0x10000, 0), ends(0x10000, 0);
  for (uint32_t k : words) {
    const Node& nd = nodes[k];
    if (nd.len < 4 || is_join(nd)) continue;
    const char* w = pool.data() + nd.off;
    if (const int c = bmp3(w); c >= 0) ++starts[static_cast<size_t>(c)];
    if (const int c = bmp3(w + nd.len - 3); c >= 0) ++ends[static_cast<size_t>(c)];
  }
  for (size_t cp = 0; cp < 0x10000; ++cp) {
    const double r = (ends[cp] + 1.0) / (starts[cp] + ends[cp] + 2.0);
    bmp[cp].tail = static_cast<uint8_t>(r * 255.0 + 0.5);
  }
}

namespace {

// File layout (little-endian), version 4 (3 had a hand-written hash): the in-memory arrays, so loading is a read, a checksum
// pass and one pass to fill the look-up slots (no parsing, no normalization):
//   "LTLEX004" | u64 checksum (XXH3-64) of the rest | u64 total_freq | u32 ntags, (u16 len, bytes)*
//   | u64 pool bytes, pool | u64 nodes, Node* | u64 words, u32*
constexpr char kMagic[8] = {'L', 'T', 'L', 'E', 'X', '0', '0', '4'};

// File integrity: XXH3-64 (libxxhash), as every other checksum of an index (manifest "files").
uint64_t fast_hash(std::string_view s) { return XXH3_64bits(s.data(), s.size()); }

template <typename T>
void put_vec(std::string& out, const std::vector<T>& v) {
  const uint64_t n = v.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <typename T>
void get_vec(std::string_view in, size_t& pos, std::vector<T>& v, const std::string& path) {
  uint64_t n = 0;
  if (pos + 8 > in.size()) throw AnalysisError("lexicon file truncated: " + path);
  std::memcpy(&n, in.data() + pos, 8);
  pos += 8;
  if (n > (in.size() - pos) / sizeof(T)) throw AnalysisError("lexicon file truncated: " + path);
  v.resize(n);
  if (n) std::memcpy(v.data(), in.data() + pos, n * sizeof(T));  // an empty vector's data() may be null
  pos += n * sizeof(T);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw AnalysisError("cannot open lexicon file: " + path);
  const std::streamoff size = in.tellg();
  if (size < 0) throw AnalysisError("cannot read lexicon file: " + path);
  std::string out(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(out.data(), size)) throw AnalysisError("cannot read lexicon file: " + path);
  return out;
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

// Entry payload shared by save() and checksum(): tags (in order of first use, so the bytes do
// not depend on how the table was built), then (word, freq, tag) in entry order.
std::string serialize(const Lexicon::Data& d) {
  std::vector<int32_t> remap(d.tags.size(), -1);
  std::vector<uint32_t> order;
  for (uint32_t idx : d.words) {
    const uint16_t t = d.nodes[idx].tag;
    if (remap[t] < 0) {
      remap[t] = static_cast<int32_t>(order.size());
      order.push_back(t);
    }
  }
  std::string out;
  out.reserve(d.pool.size() + d.words.size() * 8 + 64);
  put<uint32_t>(out, static_cast<uint32_t>(order.size()));
  for (uint32_t t : order) {
    put<uint16_t>(out, static_cast<uint16_t>(d.tags[t].size()));
    out += d.tags[t];
  }
  put<uint32_t>(out, static_cast<uint32_t>(d.words.size()));
  for (uint32_t idx : d.words) {
    const auto& n = d.nodes[idx];
    put<uint16_t>(out, static_cast<uint16_t>(n.len));
    out.append(d.pool, n.off, n.len);
    put<uint32_t>(out, n.freq);
    put<uint16_t>(out, static_cast<uint16_t>(remap[n.tag]));
  }
  return out;
}

bool is_binary_lexicon(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[sizeof(kMagic)] = {};
  return in.read(head, sizeof head) && std::memcmp(head, kMagic, sizeof kMagic) == 0;
}

}  // namespace

uint64_t detail::file_checksum(std::string_view payload) { return fast_hash(payload); }

namespace {

std::shared_ptr<const Lexicon> load_default_uncached(const std::string& env_path) {
  if (!env_path.empty()) return is_binary_lexicon(env_path) ? Lexicon::load(env_path) : Lexicon::load_text(env_path);
#ifdef LONGTAIL_JIEBA_LEX
  if (is_binary_lexicon(LONGTAIL_JIEBA_LEX)) {
    try {
      return Lexicon::load(LONGTAIL_JIEBA_LEX);
    } catch (const AnalysisError&) {
      // A damaged build artefact: fall back to the text dictionary it was compiled from.
    }
  }
#endif
  return Lexicon::load_text(LONGTAIL_JIEBA_DICT);
}

}  // namespace

std::shared_ptr<const Lexicon> Lexicon::load_default() {
  // One copy per process while anyone holds it (46 MB, ~75 ms to load): builders, searchers
  // and tests that ask again share it. Keyed by $LONGTAIL_DICT so a changed variable reloads.
  static std::mutex mu;
  static std::weak_ptr<const Lexicon> cached;
  static std::string cached_env;
  const char* env = std::getenv("LONGTAIL_DICT");
  const std::string env_path = (env && *env) ? env : "";
  std::lock_guard<std::mutex> lock(mu);
  if (auto hit = cached.lock(); hit && cached_env == env_path) return hit;
  auto lex = load_default_uncached(env_path);
  cached = lex;
  cached_env = env_path;
  return lex;
}

std::shared_ptr<const Lexicon> Lexicon::load_text(const std::string& path) {
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
    norm.normalize_into(word, normalized);
    b.add(normalized, freq, tag);
  }
  return std::make_shared<const Lexicon>(b.finish());
}

std::shared_ptr<const Lexicon> Lexicon::load(const std::string& path) {
  const std::string bytes = read_file(path);
  const std::string_view in(bytes);
  if (in.size() < sizeof(kMagic) + 8 || std::memcmp(in.data(), kMagic, sizeof(kMagic)) != 0)
    throw AnalysisError("not a longtail lexicon file (bad magic or old version): " + path);
  uint64_t stored = 0;
  std::memcpy(&stored, in.data() + sizeof(kMagic), 8);
  const std::string_view payload = in.substr(sizeof(kMagic) + 8);
  if (stored != fast_hash(payload)) throw AnalysisError("lexicon file corrupt (checksum mismatch): " + path);
  auto d = std::make_shared<Data>();
  size_t pos = 0;
  d->total_freq = get<uint64_t>(payload, pos, path);
  const uint32_t ntags = get<uint32_t>(payload, pos, path);
  for (uint32_t i = 0; i < ntags; ++i) {
    const uint16_t len = get<uint16_t>(payload, pos, path);
    if (pos + len > payload.size()) throw AnalysisError("lexicon file truncated: " + path);
    d->tags.emplace_back(payload.substr(pos, len));
    pos += len;
  }
  std::vector<char> pool;
  get_vec(payload, pos, pool, path);
  d->pool.assign(pool.data(), pool.size());
  get_vec(payload, pos, d->nodes, path);
  get_vec(payload, pos, d->words, path);
  // Structural checks, so a damaged file can never make look-ups read out of bounds.
  if (d->tags.empty() || pos != payload.size()) throw AnalysisError("lexicon file corrupt (bad table): " + path);
  for (const auto& n : d->nodes)
    if (static_cast<uint64_t>(n.off) + n.len > d->pool.size() || n.len == 0 || n.len > 0xFFFF ||
        n.tag >= d->tags.size())
      throw AnalysisError("lexicon file corrupt (bad node): " + path);
  for (uint32_t w : d->words)
    if (w >= d->nodes.size()) throw AnalysisError("lexicon file corrupt (bad word): " + path);
  d->build_slots();
  return std::make_shared<const Lexicon>(std::move(d));
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
  std::string payload;
  payload.reserve(d_->pool.size() + d_->nodes.size() * sizeof(Data::Node) + d_->words.size() * 4 + 1024);
  put<uint64_t>(payload, d_->total_freq);
  put<uint32_t>(payload, static_cast<uint32_t>(d_->tags.size()));
  for (const auto& t : d_->tags) {
    put<uint16_t>(payload, static_cast<uint16_t>(t.size()));
    payload += t;
  }
  put_vec(payload, std::vector<char>(d_->pool.begin(), d_->pool.end()));
  put_vec(payload, d_->nodes);
  put_vec(payload, d_->words);
  std::string head(kMagic, sizeof(kMagic));
  put<uint64_t>(head, fast_hash(payload));
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw AnalysisError("cannot write lexicon file: " + tmp + ": " + std::strerror(errno));
    f.write(head.data(), static_cast<std::streamsize>(head.size()));
    f.write(payload.data(), static_cast<std::streamsize>(payload.size()));
    f.flush();
    if (!f) throw AnalysisError("cannot write lexicon file: " + tmp + ": " + std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw AnalysisError("cannot rename lexicon file to " + path + ": " + std::strerror(errno));
}

std::string Lexicon::checksum() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fast_hash(serialize(*d_))));
  return std::string(kChecksumPrefix) + buf;
}

size_t Lexicon::size() const {
  // Join entries (kJoinTag) are in `words` but are not words.
  size_t join_tag = d_->tags.size();
  for (size_t t = 0; t < d_->tags.size(); ++t)
    if (d_->tags[t] == Data::kJoinTag) join_tag = t;
  size_t n = 0;
  for (uint32_t i : d_->words) n += d_->nodes[i].is_word != 0 && d_->nodes[i].tag != join_tag;
  return n;
}

uint32_t Lexicon::frequency(std::string_view normalized_word) const {
  const auto* s = d_->find(normalized_word);
  return (s && s->is_word) ? s->freq : 0;
}

std::string Lexicon::tag(std::string_view normalized_word) const {
  const auto* s = d_->find(normalized_word);
  return (s && s->is_word) ? d_->tag_of(d_->nodes[s->node]) : std::string();
}

uint64_t Lexicon::total_frequency() const { return d_->total_freq; }

double Lexicon::ending_share(std::string_view ch) const {
  if (ch.size() != 3) return 0;
  int cp = Data::bmp3(ch.data());
  if (cp < 0 || size_t(cp) >= d_->bmp.size()) return 0;
  return d_->bmp[size_t(cp)].tail / 255.0;
}

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
