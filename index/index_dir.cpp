#include "index/index_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <simdjson.h>
#include <xxhash.h>

#include <longtail/longtail.h>

#include "analyzers/analyzer.h"
#include "format/document.h"
#include "format/layout.h"
#include "format/stored.h"
#include "index/updater.h"
#include "common/json_writer.h"

namespace fs = std::filesystem;

namespace longtail::index {

std::string Manifest::to_json() const {
  std::string o;
  json::Writer w(o, 2);  // one member per line: people read manifests
  write_json(w);
  o += '\n';
  return o;
}

void Manifest::write_json(json::Writer& w) const {
  w.object()
      .field("format", format)
      .field("schema_version", schema_version)
      .field("analyzer", analyzer)
      .field("lexicon_checksum", lexicon_checksum)
      .field("shards", shards)
      .field_strings("shard_paths", shard_paths)
      .field("skus", skus)
      .field("items", items)
      .field("shops", shops)
      .field("rejected", rejected)
      .field("batch", batch)
      .field("updated_at", updated_at);
  if (!ordered_docs.empty()) {
    w.key("ordered_docs").array();
    for (auto v : ordered_docs) w.value(v);
    w.end();
  }
  if (!tier_shares.empty()) {
    w.key("tier_shares").array();
    for (double v : tier_shares) w.value(v);
    w.end();
  }
  if (serving) w.field("serving", true);
  if (!index_id.empty()) w.field("index_id", index_id);
  if (!files.empty()) {
    w.key("files").object();
    for (const auto& [name, f] : files) w.key(name).object().field("bytes", f.bytes).field("xxh3", f.xxh3).end();
    w.end();
  }
  w.field("built_at", built_at).end();
}

namespace {
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot read: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

std::string live_generation(const std::string& index_dir) {
  fs::path dir(index_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw UsageError(index_dir + ": no such index directory");
  fs::path current = dir / "CURRENT";
  if (!fs::exists(current, ec))
    throw UsageError(index_dir + ": not a longtail index (no CURRENT file; build one with `longtail build`)");
  std::string name = read_file(current.string());
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r' || name.back() == ' ')) name.pop_back();
  if (name.empty() || name.find('/') != std::string::npos || name.rfind("gen-", 0) != 0)
    throw DataError(index_dir + "/CURRENT: damaged (does not name a generation)");
  fs::path gen = dir / name;
  if (!fs::is_directory(gen, ec)) throw DataError(index_dir + "/CURRENT names missing generation " + name);
  return fs::absolute(gen).string();
}

Manifest read_manifest(const std::string& generation_dir) {
  const std::string path = generation_dir + "/manifest.json";
  return parse_manifest(read_file(path), path);
}

Manifest parse_manifest(const std::string& text, const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc) || !doc.is_object())
    throw DataError(path + ": damaged (not a JSON object)");
  Manifest m;
  auto get_str = [&](const char* k, std::string& out) {
    std::string_view sv;
    if (doc[k].get(sv)) throw DataError(path + ": damaged (missing \"" + std::string(k) + "\")");
    out = std::string(sv);
  };
  auto get_u = [&](const char* k, uint64_t& out) {
    if (doc[k].get(out)) throw DataError(path + ": damaged (missing \"" + std::string(k) + "\")");
  };
  get_str("format", m.format);
  if (m.format != "longtail-index") throw DataError(path + ": not a longtail manifest");
  uint64_t sv = 0, shards = 0;
  get_u("schema_version", sv);
  // Checked before narrowing: 2^32 + N must not pass for schema N or N shards.
  if (sv > uint64_t(INT32_MAX)) throw DataError(path + ": damaged (schema_version)");
  m.schema_version = int(sv);
  get_str("analyzer", m.analyzer);
  get_str("lexicon_checksum", m.lexicon_checksum);
  get_u("shards", shards);
  simdjson::dom::array arr;
  if (doc["shard_paths"].get(arr)) throw DataError(path + ": damaged (missing \"shard_paths\")");
  for (auto e : arr) {
    std::string_view s;
    if (e.get(s)) throw DataError(path + ": damaged (shard_paths)");
    m.shard_paths.emplace_back(s);
  }
  if (m.shard_paths.size() != shards || shards < 1)
    throw DataError(path + ": damaged (shard count does not match shard_paths)");
  m.shards = int(shards);
  get_u("skus", m.skus);
  get_u("items", m.items);
  get_u("shops", m.shops);
  get_u("rejected", m.rejected);
  get_str("built_at", m.built_at);
  // Written since updates exist; absent in older manifests.
  if (doc["batch"].error() != simdjson::NO_SUCH_FIELD) get_u("batch", m.batch);
  if (doc["updated_at"].error() != simdjson::NO_SUCH_FIELD) get_str("updated_at", m.updated_at);
  // Written since shard identities exist; absent in older manifests.
  if (doc["index_id"].error() != simdjson::NO_SUCH_FIELD) get_str("index_id", m.index_id);
  // Written by `longtail optimize`; absent otherwise.
  if (doc["ordered_docs"].error() != simdjson::NO_SUCH_FIELD) {
    simdjson::dom::array od;
    if (doc["ordered_docs"].get(od)) throw DataError(path + ": damaged (ordered_docs)");
    for (auto e : od) {
      uint64_t n = 0;
      if (e.get(n)) throw DataError(path + ": damaged (ordered_docs)");
      m.ordered_docs.push_back(n);
    }
    if (m.ordered_docs.size() != size_t(m.shards)) throw DataError(path + ": damaged (ordered_docs does not match the shard count)");
  }
  if (doc["tier_shares"].error() != simdjson::NO_SUCH_FIELD) {
    simdjson::dom::array ts;
    if (doc["tier_shares"].get(ts)) throw DataError(path + ": damaged (tier_shares)");
    for (auto e : ts) {
      double v = 0;
      if (e.get(v) || !(v > 0 && v <= 1) || (!m.tier_shares.empty() && v <= m.tier_shares.back()))
        throw DataError(path + ": damaged (tier_shares must increase within (0, 1])");
      m.tier_shares.push_back(v);
    }
  }
  // Written since file checksums exist (issue 25); absent in older manifests.
  if (doc["files"].error() != simdjson::NO_SUCH_FIELD) {
    simdjson::dom::object files;
    if (doc["files"].get(files)) throw DataError(path + ": damaged (files)");
    for (auto [name, v] : files) {
      Manifest::FileSum f;
      std::string_view sum;
      if (v["bytes"].get(f.bytes) || v["xxh3"].get(sum) || sum.size() != 16 || name.empty() ||
          name.find("..") != std::string_view::npos || name.front() == '/')
        throw DataError(path + ": damaged (files: \"" + std::string(name) + "\")");
      f.xxh3 = std::string(sum);
      m.files.emplace(std::string(name), std::move(f));
    }
  }
  // Written for serving shards (`build --serving`, `optimize --serving`); absent otherwise.
  if (doc["serving"].error() != simdjson::NO_SUCH_FIELD) {
    bool v = false;
    if (doc["serving"].get(v)) throw DataError(path + ": damaged (serving must be true or false)");
    m.serving = v;
  }
  return m;
}

Manifest::FileSum file_sum(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError(path + ": cannot read: " + std::strerror(errno));
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  Manifest::FileSum f;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      XXH3_freeState(st);
      ::close(fd);
      throw DataError(path + ": cannot read: " + std::strerror(e));
    }
    if (n == 0) break;
    XXH3_64bits_update(st, buf.data(), size_t(n));
    f.bytes += uint64_t(n);
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits_digest(st)));
  f.xxh3 = hex;
  XXH3_freeState(st);
  ::close(fd);
  return f;
}

std::vector<std::string> generation_files(const std::string& generation_dir, const Manifest& m) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(generation_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file(ec) || name == "manifest.json" || name == kJournalFile ||
        (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0))
      continue;
    out.push_back(name);
  }
  // A serving shard's stored fields are longtail's, not Xapian's: Xapian's check does not see them.
  for (const auto& p : m.shard_paths) {
    if (p.rfind("tcp ", 0) == 0 || fs::path(p).is_absolute()) continue;
    const std::string stored = p + "/" + kStoredFile;
    if (fs::is_regular_file(fs::path(generation_dir) / stored, ec)) out.push_back(stored);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> verify_generation_files(const std::string& generation_dir, const Manifest& m) {
  std::vector<std::string> problems;
  for (const auto& [name, want] : m.files) {
    const std::string path = generation_dir + "/" + name;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      problems.push_back(path + ": missing (the manifest lists it)");
      continue;
    }
    Manifest::FileSum got;
    try {
      got = file_sum(path);
    } catch (const DataError& e) {
      problems.push_back(e.what());
      continue;
    }
    if (got.bytes != want.bytes)
      problems.push_back(path + ": " + std::to_string(got.bytes) + " bytes, the manifest says " +
                         std::to_string(want.bytes) + " (truncated or rewritten)");
    else if (got.xxh3 != want.xxh3)
      problems.push_back(path + ": checksum " + got.xxh3 + " does not match the manifest's " + want.xxh3 + " (damaged)");
  }
  return problems;
}

void write_manifest(const std::string& generation_dir, const Manifest& m) {
  // An update writes the manifest after every batch: a file not written since the manifest there
  // now (same size, older modification time) keeps the sum that manifest has instead of being
  // read again (53 MB at 1M SKUs: the lexicon and the integrity tables). check reads them all.
  const std::string path = generation_dir + "/manifest.json";
  std::error_code ec;
  Manifest before;
  fs::file_time_type before_time{};
  if (fs::exists(path, ec)) {
    try {
      before = read_manifest(generation_dir);
      before_time = fs::last_write_time(path, ec);
    } catch (const Error&) {
      before.files.clear();
    }
  }
  Manifest out = m;
  out.files.clear();
  for (const auto& name : generation_files(generation_dir, m)) {
    const std::string file = generation_dir + "/" + name;
    auto it = before.files.find(name);
    if (!ec && it != before.files.end() && fs::file_size(file, ec) == it->second.bytes && !ec &&
        fs::last_write_time(file, ec) < before_time && !ec)
      out.files[name] = it->second;
    else
      out.files[name] = file_sum(file);
    ec.clear();
  }
  write_file_atomic(path, out.to_json());
}

void check_compatible(const Manifest& m, const std::string& index_dir) {
  if (m.schema_version != kSchemaVersion)
    throw IndexMismatchError(index_dir + ": index schema version " + std::to_string(m.schema_version) +
                             ", this longtail reads version " + std::to_string(kSchemaVersion) +
                             "; rebuild the index with `longtail build`");
  std::string ours = std::string(analysis::Analyzer::kName) + "/" + std::to_string(analysis::Analyzer::kVersion);
  if (m.analyzer != ours)
    throw IndexMismatchError(index_dir + ": index built with analyzer " + m.analyzer + ", this longtail uses " +
                             ours + "; rebuild the index with `longtail build`");
  // Lexicon checksums are "xxh3:<16 hex>"; a bare digest is the hand-written hash of longtail
  // before it (docs/index-format.md), which this one cannot verify.
  if (!m.lexicon_checksum.starts_with(analysis::Lexicon::kChecksumPrefix))
    throw IndexMismatchError(index_dir + ": index records its lexicon checksum as \"" + m.lexicon_checksum +
                             "\", the digest of an older longtail (this one writes \"" +
                             std::string(analysis::Lexicon::kChecksumPrefix) +
                             "...\"); rebuild the index with `longtail build`");
}

namespace {

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::vector<std::string> orphan_generations(const std::string& index_dir) {
  const fs::path dir(index_dir);
  const std::string current = first_line(dir / "CURRENT");
  std::vector<std::string> gens;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("gen-", 0) == 0 && name != current && e.is_directory(ec)) gens.push_back(name);
  }
  std::sort(gens.begin(), gens.end());
  // The generation kept for readers: PREVIOUS names it; an index published before PREVIOUS
  // existed keeps the newest generation older than CURRENT (names sort by creation time).
  std::string previous;
  if (fs::exists(dir / kPreviousFile, ec)) {
    previous = first_line(dir / kPreviousFile);
  } else {
    for (const auto& g : gens)
      if (g < current) previous = g;
  }
  std::erase(gens, previous);
  return gens;
}

void remove_orphan_generations(const std::string& index_dir) {
  std::error_code ec;
  for (const auto& g : orphan_generations(index_dir)) fs::remove_all(fs::path(index_dir) / g, ec);
}

WriterLock::WriterLock(const std::string& index_dir) {
  fs::path dir(index_dir);
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) throw UsageError(index_dir + ": exists and is not a directory");
    bool is_index = fs::exists(dir / "CURRENT", ec) || fs::exists(dir / "LOCK", ec);
    if (!is_index && !fs::is_empty(dir, ec))
      throw UsageError(index_dir + ": directory is not empty and not a longtail index; refusing to write there");
  } else {
    fs::create_directories(dir, ec);
    if (ec) throw UsageError(index_dir + ": cannot create: " + ec.message());
  }
  std::string lock = (dir / "LOCK").string();
  fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw DataError(lock + ": cannot open: " + std::strerror(errno));
  // An open-file-description lock: held by this open file, not by a PID, so it ends with the
  // writer however it ends (kill -9 included) and a reused PID or another PID namespace cannot
  // make a dead writer look alive; readers test it without taking it (writer_running).
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (::fcntl(fd_, F_OFD_SETLK, &fl) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    if (e == EAGAIN || e == EACCES) throw DataError(index_dir + ": another build or update holds the index lock");
    throw DataError(lock + ": cannot lock: " + std::strerror(e));
  }
  remove_orphan_generations(index_dir);
}

bool writer_running(const std::string& index_dir) {
  std::string lock = (fs::path(index_dir) / "LOCK").string();
  int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock fl {};
  fl.l_type = F_RDLCK;
  fl.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

std::string new_generation_name() {
  static std::atomic<unsigned> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "gen-%016llx-%d-%u", static_cast<unsigned long long>(us), int(::getpid()),
                counter.fetch_add(1));
  return buf;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw DataError(tmp + ": cannot write: " + std::strerror(errno));
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw DataError(tmp + ": write failed: " + std::strerror(e));
    }
    p += n;
    left -= size_t(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    throw DataError(path + ": cannot replace: " + std::strerror(errno));
}

void copy_generation_files(const std::string& from, const std::string& to) {
  for (const auto& e : fs::directory_iterator(from))
    if (e.is_regular_file() && e.path().filename() != "manifest.json") fs::copy_file(e.path(), fs::path(to) / e.path().filename());
}

void publish_generation(const std::string& index_dir, const std::string& generation) {
  fs::path dir(index_dir);
  fs::path gen = dir / generation;
  std::error_code ec;
  // Flush the new generation's files and directories before it becomes reachable.
  for (auto it = fs::recursive_directory_iterator(gen, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    fsync_path(it->path().string());
  fsync_path(gen.string());
  // The generation CURRENT named until now stays until the next publish: a reader that read
  // CURRENT just before this swap still finds every file of it (it opens the shards a moment
  // later); readers that already opened it keep their files anyway (POSIX unlink semantics).
  const std::string previous = first_line(dir / "CURRENT");
  if (!previous.empty()) write_file_atomic((dir / kPreviousFile).string(), previous + "\n");
  write_file_atomic((dir / "CURRENT").string(), generation + "\n");
  fsync_path(dir.string());
  remove_orphan_generations(index_dir);
}

bool same_path(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) {
    bool same = fs::equivalent(a, b, ec);
    if (!ec) return same;
  }
  return fs::weakly_canonical(fs::absolute(a), ec) == fs::weakly_canonical(fs::absolute(b), ec);
}

bool path_within(const std::string& inner, const std::string& outer) {
  std::error_code ec;
  const fs::path in = fs::weakly_canonical(fs::absolute(inner), ec), out = fs::weakly_canonical(fs::absolute(outer), ec);
  auto i = in.begin(), o = out.begin();
  for (; o != out.end(); ++o, ++i) {
    if (o->empty()) continue;  // a trailing separator
    if (i == in.end() || *i != *o) return false;
  }
  return true;
}

void check_rejects_file(const std::string& rejects_file, OnError mode, const std::vector<std::string>& inputs) {
  if (rejects_file.empty()) return;
  if (mode != OnError::Skip)
    throw UsageError("--rejects " + rejects_file + " goes with --on-error skip (with fail, the first bad record stops "
                     "the command and nothing is rejected)");
  for (const auto& in : inputs)
    if (!in.empty() && same_path(rejects_file, in))
      throw UsageError("--rejects " + rejects_file + " is an input of this command (" + in +
                       "): writing the rejects there would overwrite it");
}

std::string new_index_id() {
  std::random_device rd;
  uint64_t x = (uint64_t(rd()) << 32) ^ rd() ^
               uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()) * 0x9E3779B97F4A7C15ULL;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)x);
  return buf;
}

uint64_t dir_bytes(const std::string& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec)) n += it->file_size(ec);
  return n;
}

}  // namespace longtail::index
