// The HTTP/JSON search service (`longtail serve --http`, docs/http.md): one process, a pool of
// request threads, one Searcher that follows the index's live generation, and one writer for
// POST /documents. Built on cpp-httplib; JSON is written by longtail::to_json (search results)
// and the project's one JSON writer (common/json_writer.h: errors, /health, /documents answers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace longtail::server {

struct ServerOptions {
  std::string index_dir;                 // REQUIRES: an index that opens
  std::string host = "127.0.0.1";
  int port = 7700;                       // 0: any free port (port() tells which)
  int threads = 2;                       // request threads
  // Required for writes (POST /documents) when non-empty: header X-API-Key or Authorization:
  // Bearer. With api_key_reads, for every endpoint but GET /health.
  std::string api_key;
  bool api_key_reads = false;
  size_t max_body_bytes = 64u << 20;     // larger bodies: 413
  size_t max_target_bytes = 4096;        // path + query string; longer: 414
  int read_timeout_s = 10, write_timeout_s = 10;
  int keep_alive_timeout_s = 5;
  // The watcher calls Searcher::reopen() this often, so that a build, optimize, update or attach
  // from outside is seen within about this long.
  int reopen_interval_ms = 50;
  // Where a POST /documents body is written before update_index reads it (outside the index).
  // Default: the system's temporary directory.
  std::string tmp_dir;
  // Ranking profiles a request may name ("profile":"bm25" -> DIR/bm25.toml). Empty: requests may
  // not name one (a path would let a client read files of the server's choosing).
  std::string profiles_dir;
  uint32_t update_batch_size = 50000;    // UpdateOptions::batch_size
  // How long POST /documents waits for another writer's index lock (a `longtail update`, build
  // or optimize from outside) before answering 503 with Retry-After.
  int writer_lock_wait_ms = 10000;
  bool access_log = false;               // one line per request on stderr
};

class Server {
 public:
  // Opens the index (throws longtail::Error as Searcher does) and binds the address (throws
  // DataError when it cannot). Serves nothing until run().
  explicit Server(const ServerOptions& options);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;  // the bound port
  // Serves until stop(); returns after the request threads are done.
  void run();
  // Thread-safe; run() returns soon after. May be called before run() (which then returns at once).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs a server until SIGINT or SIGTERM (blocked in every thread, waited for by one), printing
// "listening on http://HOST:PORT" on stdout once bound. For `longtail serve --http`.
void serve_until_signal(const ServerOptions& options);

}  // namespace longtail::server
