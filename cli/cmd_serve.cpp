// longtail serve: serves one shard of an index over Xapian's remote protocol with an acceptor of
// its own that hands each connection to a xapian-progsrv on the live generation's shard, or with
// --http the HTTP/JSON search service over the whole index (server/, docs/http.md); and
// longtail attach: makes a client index whose manifest names remote shards.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "index/remote.h"
#include "server/server.h"

namespace longtail::cli {

namespace {

using AddrList = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

// The addresses --interface names (a numeric IPv4 or IPv6 address, [IPv6] or a host name).
AddrList resolve_interface(const std::string& interface, unsigned port) {
  std::string host = interface;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const int e = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
  if (e != 0) throw UsageError("--interface " + interface + ": " + ::gai_strerror(e));
  return AddrList(list, &::freeaddrinfo);
}

bool is_loopback(const sockaddr* a) {
  if (a->sa_family == AF_INET) return ntohl(reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr) >> 24 == 127;
  if (a->sa_family != AF_INET6) return false;
  const in6_addr& x = reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&x) || (IN6_IS_ADDR_V4MAPPED(&x) && x.s6_addr[12] == 127);
}

// "127.0.0.1:7001", "[::1]:7001": for messages.
std::string address_text(const sockaddr* a, socklen_t len) {
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (::getnameinfo(a, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) return "?";
  return a->sa_family == AF_INET6 ? "[" + std::string(host) + "]:" + port : std::string(host) + ":" + port;
}

// The absolute path of `name` on PATH, or "" if no executable of that name is there.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t b = 0;;) {
    size_t e = dirs.find(':', b);
    std::string dir = dirs.substr(b, e == std::string::npos ? std::string::npos : e - b);
    std::string f = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st {};
    if (::stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(f.c_str(), X_OK) == 0) return f;
    if (e == std::string::npos) return "";
    b = e + 1;
  }
}

volatile sig_atomic_t stop_requested = 0;
extern "C" void on_stop(int) { stop_requested = 1; }
extern "C" void on_child(int) {}  // only wakes the acceptor's ppoll, which then reaps

struct ServeArgs {
  std::string index, interface = "127.0.0.1";
  int shard = 0;
  unsigned port = 0, max_connections = 64, idle_timeout = 10;
  bool allow_remote = false, print = false;
};

// Listens on --interface:--port and runs one xapian-progsrv per connection, with the socket as
// its stdin and stdout, on the shard of the generation that is live when the connection comes:
// the server follows CURRENT (a build or optimize publishing a new generation) without a
// restart, and never serves a generation that a later swap deletes. Connections beyond
// --max-connections are closed at once, so that a client fails fast instead of piling up
// processes. Returns on SIGTERM or SIGINT, once the connections' processes are gone.
void run_acceptor(const ServeArgs& a, const addrinfo* addrs, const std::string& progsrv) {
  int fd = -1;
  std::string where, errors;
  for (const addrinfo* ai = addrs; ai && fd < 0; ai = ai->ai_next) {
    where = address_text(ai->ai_addr, ai->ai_addrlen);
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      errors += (errors.empty() ? " " : "; ") + where + ": " + std::strerror(errno);
      continue;
    }
    // A restarted server binds at once although connections of the previous one are in TIME_WAIT.
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      errors += (errors.empty() ? " " : "; ") + where + ": " + std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  if (fd < 0) throw DataError("serve: cannot listen on --interface " + a.interface + " --port " + std::to_string(a.port) + ":" + errors);

  // SIGTERM, SIGINT and SIGCHLD are blocked but while ppoll waits, so a signal is never lost
  // between checking the flag and waiting.
  sigset_t blocked, waiting;
  sigemptyset(&blocked);
  for (int s : {SIGTERM, SIGINT, SIGCHLD}) sigaddset(&blocked, s);
  sigprocmask(SIG_BLOCK, &blocked, &waiting);
  for (int s : {SIGTERM, SIGINT, SIGCHLD}) sigdelset(&waiting, s);
  struct sigaction sa {};
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const std::string timeout_ms = std::to_string(uint64_t(a.idle_timeout) * 1000);
  std::set<pid_t> children;
  auto reap = [&children](int flags) {
    int st;
    pid_t pid;
    while (!children.empty() && (pid = ::waitpid(-1, &st, flags)) > 0) children.erase(pid);
  };
  while (!stop_requested) {
    pollfd p{fd, POLLIN, 0};
    const int n = ::ppoll(&p, 1, nullptr, &waiting);
    reap(WNOHANG);
    if (n <= 0 || stop_requested) continue;
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    const int c = ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
    if (c < 0) {
      // Out of descriptors: wait for connections to end rather than spin on the pending one.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        std::fprintf(stderr, "longtail serve: accept: %s\n", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    // As xapian-tcpsrv does: the protocol exchanges small messages, which Nagle's algorithm would
    // hold back for the client's delayed acknowledgement (tens of ms per exchange).
    const int nodelay = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
    const std::string from = address_text(reinterpret_cast<sockaddr*>(&peer), peer_len);
    if (children.size() >= a.max_connections) {
      std::fprintf(stderr, "longtail serve: refused a connection from %s: %zu connections open (--max-connections %u)\n",
                   from.c_str(), children.size(), a.max_connections);
      ::close(c);
      continue;
    }
    std::string shard_path;
    try {
      shard_path = index::local_shard_path(a.index, a.shard);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "longtail serve: closed a connection from %s: %s\n", from.c_str(), e.what());
      ::close(c);
      continue;
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
      // The socket becomes stdin and stdout (from a descriptor above 2, in case accept gave 0 or 1).
      const int s = ::fcntl(c, F_DUPFD_CLOEXEC, 3);
      if (s < 0 || ::dup2(s, 0) < 0 || ::dup2(s, 1) < 0) ::_exit(127);
      // Default dispositions before unblocking, so that a SIGTERM sent to the group meanwhile
      // ends this process rather than only setting the acceptor's flag in it.
      for (int sig : {SIGTERM, SIGINT, SIGCHLD, SIGPIPE}) signal(sig, SIG_DFL);
      sigprocmask(SIG_SETMASK, &waiting, nullptr);
      ::execl(progsrv.c_str(), "xapian-progsrv", "--timeout", timeout_ms.c_str(), shard_path.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid < 0) std::fprintf(stderr, "longtail serve: closed a connection from %s: fork: %s\n", from.c_str(), std::strerror(errno));
    else children.insert(pid);
    ::close(c);
  }
  ::close(fd);
  for (pid_t pid : children) ::kill(pid, SIGTERM);
  reap(0);
}

}  // namespace

// "ADDR:PORT", "[IPv6]:PORT", ":PORT" or "PORT" (address 127.0.0.1); port 0: any free port.
void parse_http_address(const std::string& spec, server::ServerOptions& o) {
  const size_t colon = spec.rfind(':');
  std::string host = colon == std::string::npos ? "" : spec.substr(0, colon);
  const std::string port = colon == std::string::npos ? spec : spec.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535)
    throw UsageError("--http: expected ADDR:PORT (e.g. 127.0.0.1:7700), got \"" + spec + "\"");
  o.host = host.empty() ? "127.0.0.1" : host;
  o.port = int(p);
}

void register_serve(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve one shard over TCP: one xapian-progsrv per connection on the live generation (runs in its own session); "
      "with --http, the HTTP/JSON search service over the whole index (docs/http.md)");
  auto a = std::make_shared<ServeArgs>();
  struct HttpArgs {
    std::string address;
    server::ServerOptions o;
    std::vector<std::string> api_keys;
    size_t max_body_mb = 64;
    int lock_wait_s = 10;
  };
  auto h = std::make_shared<HttpArgs>();
  add_index_option(*cmd, a->index);
  auto* shard = cmd->add_option("--shard", a->shard, "Shard number (required without --http)")->check(CLI::Range(0, 255));
  auto* port = cmd->add_option("--port", a->port, "TCP port (required without --http)")->check(CLI::Range(1, 65535));
  auto* http = cmd->add_option("--http", h->address,
                               "Serve the HTTP/JSON API on ADDR:PORT (e.g. 127.0.0.1:7700; port 0: any free one) "
                               "instead of a shard");
  cmd->add_option("--threads", h->o.threads, "--http: request threads")->needs(http)->check(CLI::Range(1, 1024));
  cmd->add_option("--api-key", h->api_keys,
                  "--http: key required for writes (POST /documents), in header X-API-Key or Authorization: Bearer; "
                  "give it twice (the same key) to require it for reads too")
      ->needs(http);
  cmd->add_option("--max-body-mb", h->max_body_mb, "--http: largest request body, MiB (413 beyond)")
      ->needs(http)
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--max-target", h->o.max_target_bytes, "--http: longest path + query string, bytes (414 beyond)")
      ->needs(http)
      ->check(CLI::Range(64, 8192));
  cmd->add_option("--timeout", h->o.read_timeout_s, "--http: read and write timeout of a connection, seconds")
      ->needs(http)
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--reopen-ms", h->o.reopen_interval_ms,
                  "--http: how often the live generation and update batch are checked (ms)")
      ->needs(http)
      ->check(CLI::Range(1, 60000));
  cmd->add_option("--lock-wait", h->lock_wait_s,
                  "--http: seconds POST /documents waits for another writer's index lock before answering 503")
      ->needs(http)
      ->check(CLI::Range(0, 86400));
  cmd->add_option("--tmp-dir", h->o.tmp_dir, "--http: directory for POST /documents bodies (default: the system's)")
      ->needs(http)
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--profiles-dir", h->o.profiles_dir,
                  "--http: ranking profiles a request may name (\"profile\":\"NAME\" is DIR/NAME.toml); default none")
      ->needs(http)
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--access-log", h->o.access_log, "--http: one line per request on stderr")->needs(http);
  cmd->add_option("--interface", a->interface, "Address to listen on: IPv4, IPv6 or a name (default 127.0.0.1)");
  cmd->add_option("--max-connections", a->max_connections,
                  "Connections served at once, one process each; more are closed at once (default 64)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--idle-timeout", a->idle_timeout,
                  "Seconds a connection may wait for its client's next message before it is closed (default 10)")
      ->check(CLI::Range(1, 86400));
  cmd->add_flag("--allow-remote", a->allow_remote,
                "Allow an --interface beyond loopback (the protocol has no authentication and no encryption)");
  cmd->add_flag("--print", a->print, "Print the listening address and the per-connection command instead of serving");
  shard->excludes(http);
  port->excludes(http);
  cmd->callback([a, h, shard, port, &rc] {
    if (!h->address.empty()) {
      if (!h->api_keys.empty()) {
        for (const auto& k : h->api_keys)
          if (k != h->api_keys.front() || k.empty()) throw UsageError("--api-key: give one non-empty key (twice: for reads too)");
        if (h->api_keys.size() > 2) throw UsageError("--api-key: give it once (writes) or twice (reads too)");
        h->o.api_key = h->api_keys.front();
        h->o.api_key_reads = h->api_keys.size() == 2;
      }
      parse_http_address(h->address, h->o);
      h->o.index_dir = a->index;
      h->o.max_body_bytes = h->max_body_mb << 20;
      h->o.write_timeout_s = h->o.read_timeout_s;
      h->o.writer_lock_wait_ms = h->lock_wait_s * 1000;
      server::serve_until_signal(h->o);
      rc = 0;
      return;
    }
    if (shard->count() == 0 || port->count() == 0)
      throw UsageError("serve: give --shard and --port (a shard over Xapian's remote protocol) or --http ADDR:PORT");
    std::string path = index::local_shard_path(a->index, a->shard);  // a usage error now, not per connection
    auto addrs = resolve_interface(a->interface, a->port);
    bool loopback = true;
    for (const addrinfo* ai = addrs.get(); ai; ai = ai->ai_next) loopback = loopback && is_loopback(ai->ai_addr);
    // Xapian's remote protocol has neither authentication nor encryption: beyond this machine
    // the shard is offered only when asked for, and then with a warning.
    if (!loopback && !a->allow_remote)
      throw UsageError("serve: --interface " + a->interface +
                       " is not a loopback address, and Xapian's remote protocol has no authentication and no "
                       "encryption: anyone who can reach the port can read the whole shard. Pass --allow-remote to "
                       "serve beyond this machine (on a private network or behind a firewall)");
    if (!loopback)
      std::fprintf(stderr,
                   "longtail serve: warning: listening on %s: Xapian's remote protocol has no authentication and no "
                   "encryption; anyone who can reach port %u can read the whole shard. Serve on a private network "
                   "or behind a firewall that admits only the front-ends.\n",
                   a->interface.c_str(), a->port);
    if (a->print) {
      // The shard path is the live generation's now; each connection resolves it afresh.
      std::printf("listen %s --max-connections %u\nxapian-progsrv --timeout %llu %s\n",
                  address_text(addrs->ai_addr, addrs->ai_addrlen).c_str(), a->max_connections,
                  static_cast<unsigned long long>(a->idle_timeout) * 1000, path.c_str());
      rc = 0;
      return;
    }
    const std::string progsrv = find_on_path("xapian-progsrv");
    if (progsrv.empty())
      throw DataError(std::string("cannot run xapian-progsrv (Debian package xapian-tools): ") + std::strerror(ENOENT));
    // A session of its own: whoever stops the server can signal its process group, children
    // included, without reaching the group it was started from.
    if (::getpgrp() != ::getpid()) ::setsid();
    std::fflush(stdout);
    run_acceptor(*a, addrs.get(), progsrv);
    rc = 0;
  });
}

void register_attach(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand("attach", "Make a client index whose shards are served remotely (tcp HOST PORT)");
  struct Args {
    std::string index, out;
    std::vector<std::string> remotes;
  };
  auto a = std::make_shared<Args>();
  add_index_option(*cmd, a->index);
  cmd->add_option("--out", a->out, "Client index directory to write")->required();
  cmd->add_option("--remote", a->remotes, "K=HOST:PORT: shard K is served there (repeatable)")->required();
  cmd->callback([a, &rc] {
    std::map<int, index::RemoteShard> remotes;
    for (const auto& spec : a->remotes) {
      auto [k, r] = index::parse_remote_spec(spec);
      if (!remotes.emplace(k, r).second) throw UsageError("--remote: shard " + std::to_string(k) + " given twice");
    }
    index::attach_remote_shards(a->index, a->out, remotes);
    std::printf("attached %s: %zu remote shard(s)\n", a->out.c_str(), remotes.size());
    rc = 0;
  });
}

}  // namespace longtail::cli
