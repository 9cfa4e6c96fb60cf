#include "index/index_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

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

#include <longtail/longtail.h>

#include "analyzers/analyzer.h"
#include "index/document.h"
#include "index/layout.h"

namespace fs = std::filesystem;

namespace longtail::index {

std::string Manifest::to_json() const {
  std::string o = "{\n";
  auto str = [&](const char* k, const std::string& v, bool comma = true) {
    o += "  \"";
    o += k;
    o += "\": ";
    append_json_string(o, v);
    o += comma ? ",\n" : "\n";
  };
  auto num = [&](const char* k, uint64_t v) {
    o += "  \"";
    o += k;
    o += "\": " + std::to_string(v) + ",\n";
  };
  str("format", format);
  num("schema_version", uint64_t(schema_version));
  str("analyzer", analyzer);
  str("lexicon_checksum", lexicon_checksum);
  num("shards", uint64_t(shards));
  o += "  \"shard_paths\": [";
  for (size_t i = 0; i < shard_paths.size(); ++i) {
    if (i) o += ", ";
    append_json_string(o, shard_paths[i]);
  }
  o += "],\n";
  num("skus", skus);
  num("items", items);
  num("shops", shops);
  num("rejected", rejected);
  num("batch", batch);
  str("updated_at", updated_at);
  if (!ordered_docs.empty()) {
    o += "  \"ordered_docs\": [";
    for (size_t i = 0; i < ordered_docs.size(); ++i) {
      if (i) o += ", ";
      o += std::to_string(ordered_docs[i]);
    }
    o += "],\n";
  }
  if (!tier_shares.empty()) {
    o += "  \"tier_shares\": [";
    for (size_t i = 0; i < tier_shares.size(); ++i) {
      if (i) o += ", ";
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", tier_shares[i]);
      o += buf;
    }
    o += "],\n";
  }
  if (serving) o += "  \"serving\": true,\n";
  if (!index_id.empty()) str("index_id", index_id);
  str("built_at", built_at, false);
  o += "}\n";
  return o;
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
  // Written for serving shards (`build --serving`, `optimize --serving`); absent otherwise.
  if (doc["serving"].error() != simdjson::NO_SUCH_FIELD) {
    bool v = false;
    if (doc["serving"].get(v)) throw DataError(path + ": damaged (serving must be true or false)");
    m.serving = v;
  }
  return m;
}

void write_manifest(const std::string& generation_dir, const Manifest& m) {
  write_file_atomic(generation_dir + "/manifest.json", m.to_json());
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
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw DataError(index_dir + ": another build or update holds the index lock");
  }
  // Record the holder for readers (writer_running); a failure here only costs that hint.
  std::string pid = std::to_string(::getpid()) + "\n";
  bool hint_written = ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) == ssize_t(pid.size());
  (void)hint_written;
}

bool writer_running(const std::string& index_dir) {
  std::string lock = (fs::path(index_dir) / "LOCK").string();
  int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  if (n <= 0) return false;
  long pid = std::strtol(buf, nullptr, 10);
  if (pid <= 0) return false;
  return ::kill(pid_t(pid), 0) == 0 || errno == EPERM;
}

WriterLock::~WriterLock() {
  if (fd_ < 0) return;
  bool cleared = ::ftruncate(fd_, 0) == 0;  // no writer any more (see writer_running)
  (void)cleared;
  ::close(fd_);  // closing releases the flock
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
  std::string previous;
  {
    std::ifstream in(dir / "CURRENT");
    std::getline(in, previous);
  }
  write_file_atomic((dir / "CURRENT").string(), generation + "\n");
  fsync_path(dir.string());
  for (auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("gen-", 0) == 0 && name != generation && name != previous) fs::remove_all(e.path(), ec);
  }
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

}  // namespace longtail::index
