// Starts `longtail serve` (one xapian-progsrv per connection) for one shard on 127.0.0.1 and stops
// it. The server runs in its own session, so stopping it never signals the test's process group.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace longtail::test {

inline unsigned free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_accepts(unsigned port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Runs the longtail CLI with `args` (argv[0] first) and waits until 127.0.0.1:port accepts
// connections; returns its pid. Throws runtime_error naming `what` when the process exits first
// or does not listen within `seconds` (it is then killed).
inline pid_t start_cli_server(std::vector<std::string> args, unsigned port, const std::string& what, int seconds = 10) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execv(LONGTAIL_CLI_PATH, argv.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!port_accepts(port)) {
    int st;
    if (::waitpid(pid, &st, WNOHANG) == pid) throw std::runtime_error(what + " exited at start-up");
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      throw std::runtime_error(what + " did not listen within " + std::to_string(seconds) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pid;
}

class ShardServer {
 public:
  // `options`: more flags for `longtail serve` (e.g. {"--max-connections", "2"}).
  ShardServer(const std::string& index_dir, int shard, const std::vector<std::string>& options = {})
      : port_(free_loopback_port()) {
    std::vector<std::string> args = {"longtail", "serve", "--index", index_dir, "--shard", std::to_string(shard),
                                      "--port", std::to_string(port_), "--interface", "127.0.0.1"};
    args.insert(args.end(), options.begin(), options.end());
    pid_ = start_cli_server(std::move(args), port_, "shard server");
  }
  ~ShardServer() { stop(SIGTERM); }
  ShardServer(const ShardServer&) = delete;
  ShardServer& operator=(const ShardServer&) = delete;

  unsigned port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string spec(int shard) const { return std::to_string(shard) + "=127.0.0.1:" + std::to_string(port_); }

  // Stops the server (and any connection-handling children in its session).
  void stop(int sig) {
    if (pid_ <= 0) return;
    ::kill(-pid_, sig);  // its own session/process group
    ::kill(pid_, sig);
    int st;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

 private:
  unsigned port_;
  pid_t pid_ = -1;
};

}  // namespace longtail::test
