// longtail serve: serves one shard of an index with Xapian's own TCP server (xapian-tcpsrv), and
// longtail attach: makes a client index whose manifest names remote shards.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "index/remote.h"

namespace longtail::cli {

void register_serve(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand("serve", "Serve one shard over TCP with xapian-tcpsrv (runs in its own session)");
  struct Args {
    std::string index, interface = "127.0.0.1";
    int shard = 0;
    unsigned port = 0;
    bool print = false;
  };
  auto a = std::make_shared<Args>();
  add_index_option(*cmd, a->index);
  cmd->add_option("--shard", a->shard, "Shard number")->required()->check(CLI::Range(0, 255));
  cmd->add_option("--port", a->port, "TCP port")->required()->check(CLI::Range(1, 65535));
  cmd->add_option("--interface", a->interface, "Address to listen on (default 127.0.0.1)");
  cmd->add_flag("--print", a->print, "Print the xapian-tcpsrv command line instead of running it");
  cmd->callback([a, &rc] {
    std::string path = index::local_shard_path(a->index, a->shard);
    // Xapian's remote protocol has neither authentication nor encryption: say so when the shard
    // is offered beyond this machine.
    const bool loopback = a->interface == "localhost" || a->interface == "::1" || a->interface.rfind("127.", 0) == 0;
    if (!loopback)
      std::fprintf(stderr,
                   "longtail serve: warning: listening on %s: Xapian's remote protocol has no authentication and no "
                   "encryption; anyone who can reach port %u can read the whole shard. Serve on a private network "
                   "or behind a firewall that admits only the front-ends.\n",
                   a->interface.c_str(), a->port);
    std::string port = std::to_string(a->port);
    std::vector<std::string> argv_s = {"xapian-tcpsrv", "--port", port, "--interface", a->interface, "--quiet", path};
    if (a->print) {
      for (size_t i = 0; i < argv_s.size(); ++i) std::printf("%s%s", i ? " " : "", argv_s[i].c_str());
      std::printf("\n");
      rc = 0;
      return;
    }
    // xapian-tcpsrv answers SIGTERM by signalling its whole process group: give it its own.
    if (::getpgrp() != ::getpid()) ::setsid();
    std::vector<char*> argv;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    ::execvp(argv[0], argv.data());
    throw DataError(std::string("cannot run xapian-tcpsrv (Debian package xapian-tools): ") + std::strerror(errno));
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
