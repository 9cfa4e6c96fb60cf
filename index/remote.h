// Shards served by Xapian's remote backend (`longtail serve`: xapian-progsrv per connection).
//
// A client index is an ordinary index directory whose manifest names some shards as
// "tcp HOST PORT" (and the others by absolute local path). It carries the source index's
// identity, lexicon, shops and signal statistics, so queries are analyzed and ranked exactly as
// on the source; only stage 1 (Xapian's built-in matching) runs on the servers.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace longtail::index {

struct RemoteShard {
  std::string host;   // e.g. "127.0.0.1"
  unsigned port = 0;  // 1..65535
};

// Parses "K=HOST:PORT" (shard number K). Throws UsageError with the offending text.
std::pair<int, RemoteShard> parse_remote_spec(const std::string& spec);

// Writes a client index at out_dir for the live generation of source_dir: shard K is remote
// where `remotes` names it, local (absolute path into source_dir) otherwise.
// Throws UsageError for an unknown shard number or a bad out_dir.
void attach_remote_shards(const std::string& source_dir, const std::string& out_dir,
                          const std::map<int, RemoteShard>& remotes);

// The absolute path of shard K of the live generation of index_dir (what `longtail serve` serves).
// Throws UsageError for a shard the index does not have or a remote one, DataError for a damaged index.
std::string local_shard_path(const std::string& index_dir, int shard);

}  // namespace longtail::index
