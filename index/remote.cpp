#include "index/remote.h"

#include <filesystem>

#include <longtail/longtail.h>

#include "index/index_dir.h"

namespace fs = std::filesystem;

namespace longtail::index {

std::pair<int, RemoteShard> parse_remote_spec(const std::string& spec) {
  auto bad = [&] { return UsageError("--remote: expected K=HOST:PORT, got \"" + spec + "\""); };
  auto eq = spec.find('=');
  auto colon = spec.rfind(':');
  if (eq == std::string::npos || colon == std::string::npos || colon < eq) throw bad();
  RemoteShard r;
  r.host = spec.substr(eq + 1, colon - eq - 1);
  if (r.host.empty()) throw bad();
  try {
    size_t used = 0;
    int k = std::stoi(spec.substr(0, eq), &used);
    if (used != eq || k < 0) throw bad();
    unsigned long port = std::stoul(spec.substr(colon + 1), &used);
    if (used != spec.size() - colon - 1 || port == 0 || port > 65535) throw bad();
    r.port = unsigned(port);
    return {k, r};
  } catch (const std::logic_error&) {
    throw bad();
  }
}

std::string local_shard_path(const std::string& index_dir, int shard) {
  std::string gen = live_generation(index_dir);
  Manifest m = read_manifest(gen);
  if (shard < 0 || shard >= m.shards)
    throw UsageError(index_dir + ": no shard " + std::to_string(shard) + " (the index has " +
                     std::to_string(m.shards) + ")");
  const std::string& p = m.shard_paths[size_t(shard)];
  if (p.rfind("tcp ", 0) == 0) throw UsageError(index_dir + ": shard " + std::to_string(shard) + " is remote (" + p + ")");
  return (fs::path(gen) / p).string();
}

void attach_remote_shards(const std::string& source_dir, const std::string& out_dir,
                          const std::map<int, RemoteShard>& remotes) {
  // The client index refers to the source's shard files: writing it over (or into) the source
  // would delete them at the next swap.
  if (path_within(out_dir, source_dir) || path_within(source_dir, out_dir))
    throw UsageError("attach: --out " + out_dir + " and --index " + source_dir +
                     " overlap; write the client index to a directory of its own");
  std::string src_gen = live_generation(source_dir);
  Manifest m = read_manifest(src_gen);
  check_compatible(m, source_dir);
  for (const auto& [k, r] : remotes)
    if (k >= m.shards)
      throw UsageError("--remote: shard " + std::to_string(k) + " does not exist (the index has " +
                       std::to_string(m.shards) + " shards)");
  if (m.serving && !remotes.empty())
    throw UsageError(source_dir + ": its shards are serving shards, whose stored fields Xapian's remote protocol cannot send; "
                     "serve shards of an index built without --serving");
  WriterLock lock(out_dir);
  std::string gen_name = new_generation_name();
  fs::path gen = fs::path(out_dir) / gen_name;
  fs::create_directories(gen);
  copy_generation_files(src_gen, gen.string());
  for (int k = 0; k < m.shards; ++k) {
    auto it = remotes.find(k);
    std::string& p = m.shard_paths[size_t(k)];
    if (it != remotes.end()) p = "tcp " + it->second.host + " " + std::to_string(it->second.port);
    else if (p.rfind("tcp ", 0) != 0) p = fs::absolute(fs::path(src_gen) / p).string();
  }
  write_manifest(gen.string(), m);
  publish_generation(out_dir, gen_name);
}

}  // namespace longtail::index
