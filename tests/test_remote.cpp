// Shards served by Xapian's remote backend on 127.0.0.1: the same search test bodies as for local
// shards (tests/search_cases.h). Select them with `ctest -R remote`.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <longtail/longtail.h>

#include "index/index_dir.h"
#include "index/remote.h"
#include "tests/search_cases.h"
#include "tests/shard_server.h"
#include "tests/test_util.h"

using namespace longtail;

namespace {

// The processes `pid` started and has not reaped (a server's connections' xapian-progsrv).
size_t children_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  size_t n = 0;
  for (pid_t c; in >> c;) ++n;
  return n;
}

// Polls `done` every 20 ms for at most `limit`; returns its last answer.
template <class F>
bool wait_for(F done, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A TCP connection to 127.0.0.1:port that sends nothing; reads time out after 10 s.
int connect_raw(unsigned port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(port));
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Whether the server served the connection: xapian-progsrv greets at once; a refused connection
// is closed instead.
bool greeted(int fd) {
  char buf[256];
  return ::recv(fd, buf, sizeof buf, 0) > 0;
}

// Reads until the server closes the connection; false if it did not within the read timeout.
bool read_to_end(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
}

// The hits of every mini query, sorted (the order of equal scores follows document ids, which
// optimize renumbers).
std::vector<std::vector<std::string>> mini_hit_sets(const Searcher& s) {
  std::vector<std::vector<std::string>> out;
  for (const auto& q : test::kMiniQueries) {
    SearchRequest req;
    req.query = q;
    req.limit = 20;
    auto ids = test::sku_ids(s.search(req));
    std::sort(ids.begin(), ids.end());
    out.push_back(ids);
  }
  return out;
}

}  // namespace

TEST_CASE("remote: two remote shards return the same hits as the local index", "[remote]") {
  test::TempDir tmp;
  std::string local = tmp.path + "/local", client = tmp.path + "/client";
  test::build_mini(local, 2);
  test::ShardServer s0(local, 0), s1(local, 1);
  index::attach_remote_shards(local, client, {{0, {"127.0.0.1", s0.port()}}, {1, {"127.0.0.1", s1.port()}}});
  Searcher remote(client);
  CHECK(remote.info().shards == 2);
  CHECK(remote.info().skus == 20);
  test::check_same_results(Searcher(local), remote);
}

TEST_CASE("remote: a mix of local and remote shards returns the same hits", "[remote]") {
  test::TempDir tmp;
  std::string local = tmp.path + "/local", client = tmp.path + "/client";
  test::build_mini(local, 4);
  test::ShardServer s1(local, 1), s3(local, 3);
  index::attach_remote_shards(local, client, {{1, {"127.0.0.1", s1.port()}}, {3, {"127.0.0.1", s3.port()}}});
  test::check_same_results(Searcher(local), Searcher(client));
}

TEST_CASE("remote: filters and paging work across remote shards", "[remote]") {
  test::TempDir tmp;
  std::string local = tmp.path + "/local", client = tmp.path + "/client";
  test::build_mini(local, 2);
  test::ShardServer s0(local, 0), s1(local, 1);
  index::attach_remote_shards(local, client, {{0, {"127.0.0.1", s0.port()}}, {1, {"127.0.0.1", s1.port()}}});
  Searcher a(local), b(client);
  SearchRequest req;
  req.query = "连衣裙";
  req.collapse = false;
  req.attrs = {{"颜色", "红色"}};
  CHECK(test::sku_ids(a.search(req)) == test::sku_ids(b.search(req)));
  req = SearchRequest{};
  req.query = "手机壳";
  req.price_max = 40;
  req.limit = 1;
  req.offset = 1;
  CHECK(test::sku_ids(a.search(req)) == test::sku_ids(b.search(req)));
}

TEST_CASE("remote: a stopped shard server gives an error naming the shard", "[remote]") {
  test::TempDir tmp;
  std::string local = tmp.path + "/local", client = tmp.path + "/client";
  test::build_mini(local, 2);
  test::ShardServer s0(local, 0), s1(local, 1);
  index::attach_remote_shards(local, client, {{0, {"127.0.0.1", s0.port()}}, {1, {"127.0.0.1", s1.port()}}});
  Searcher searcher(client);
  SearchRequest req;
  req.query = "手机壳";
  REQUIRE_FALSE(searcher.search(req).hits.empty());
  s1.stop(SIGKILL);
  // A new client cannot open the index and says which shard is unreachable.
  CHECK_THROWS_AS(Searcher(client), DataError);
  CHECK_THROWS_WITH(Searcher(client), Catch::Contains("tcp 127.0.0.1 " + std::to_string(s1.port())));
  // An open searcher reports a DataError for the query (not a crash, not a partial answer).
  CHECK_THROWS_AS(searcher.search(req), DataError);
}

TEST_CASE("remote: longtail serve and attach from the CLI", "[remote][cli]") {
  test::TempDir tmp;
  std::string local = tmp.path + "/local", client = tmp.path + "/client";
  test::build_mini(local, 2);
  const std::string serve = "serve --index " + local + " --shard 1 --port 7001";
  auto printed = test::run_cli(serve + " --print");
  REQUIRE(printed.status == 0);
  CHECK(printed.out.rfind("listen 127.0.0.1:7001 --max-connections 64\nxapian-progsrv --timeout 10000 /", 0) == 0);
  CHECK(printed.out.find("/shard-001\n") != std::string::npos);
  // Beyond loopback the protocol's lack of authentication and encryption is said, and serving
  // there must be asked for with --allow-remote (issue 25).
  CHECK(test::run_cli(serve + " --print 2>&1").out.find("warning") == std::string::npos);
  for (const char* loopback : {"localhost", "::1", "127.0.0.2"}) {
    auto r = test::run_cli(serve + " --interface " + loopback + " --print 2>&1");
    INFO(loopback);
    CHECK(r.status == 0);
    CHECK(r.out.find("warning") == std::string::npos);
  }
  CHECK(test::run_cli(serve + " --interface ::1 --print").out.rfind("listen [::1]:7001 ", 0) == 0);
  for (const char* beyond : {"0.0.0.0", "::", "192.0.2.1"}) {
    INFO(beyond);
    auto refused = test::run_cli(serve + " --interface " + beyond + " 2>&1");
    CHECK(refused.status == 2);
    CHECK(refused.out.find("not a loopback address") != std::string::npos);
    CHECK(refused.out.find("no authentication and no encryption") != std::string::npos);
    CHECK(refused.out.find("--allow-remote") != std::string::npos);
  }
  auto open = test::run_cli(serve + " --interface 0.0.0.0 --allow-remote --print 2>&1");
  CHECK(open.status == 0);
  CHECK(open.out.find("warning") != std::string::npos);
  CHECK(open.out.find("no authentication and no encryption") != std::string::npos);
  // Without xapian-progsrv the server says what to install.
  {
    FILE* p = ::popen(("PATH=/nonexistent " + std::string(LONGTAIL_CLI_PATH) + " " + serve + " 2>&1").c_str(), "r");
    REQUIRE(p);
    std::string out;
    char buf[512];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int st = ::pclose(p);
    CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 1));
    CHECK(out.find("cannot run xapian-progsrv (Debian package xapian-tools)") != std::string::npos);
  }
  test::ShardServer s0(local, 0), s1(local, 1);
  auto att = test::run_cli("attach --index " + local + " --out " + client + " --remote " + s0.spec(0) + " --remote " +
                           s1.spec(1));
  REQUIRE(att.status == 0);
  auto r = test::run_cli("search --index " + client + " --json 保温杯 500ml");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("\"sku_id\":\"cup1-0\"") != std::string::npos);
  CHECK(test::run_cli("attach --index " + local + " --out " + tmp.path + "/c2 --remote 9=127.0.0.1:1 2>/dev/null").status == 2);
  CHECK(test::run_cli("serve --index " + local + " --shard 5 --port 7001 2>/dev/null").status == 2);
}

TEST_CASE("remote: serve runs at most --max-connections servers and closes the connections beyond at once", "[remote][cli]") {
  test::TempDir tmp;
  std::string local = tmp.path + "/local";
  test::build_mini(local, 1);
  test::ShardServer s(local, 0, {"--max-connections", "3"});
  // Served after the start-up probe's connection (accepted in order): once both ended, no slot is taken.
  const int first = connect_raw(s.port());
  REQUIRE(greeted(first));
  ::close(first);
  REQUIRE(wait_for([&] { return children_of(s.pid()) == 0; }));
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) fds.push_back(connect_raw(s.port()));
  // Served connections get xapian-progsrv's greeting and stay open; the others are closed at once.
  const auto t0 = std::chrono::steady_clock::now();
  int served = 0, closed = 0;
  for (int fd : fds) (greeted(fd) ? served : closed) += 1;
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  CHECK(served == 3);
  CHECK(closed == 5);
  CHECK(children_of(s.pid()) == 3);
  for (int fd : fds) ::close(fd);
  // Ended connections are reaped and counted out: three new ones are served again.
  CHECK(wait_for([&] { return children_of(s.pid()) == 0; }));
  fds.clear();
  for (int i = 0; i < 3; ++i) fds.push_back(connect_raw(s.port()));
  for (int fd : fds) {
    CHECK(greeted(fd));
    ::close(fd);
  }
}

TEST_CASE("remote: serve closes a connection idle for --idle-timeout", "[remote][cli]") {
  test::TempDir tmp;
  std::string local = tmp.path + "/local";
  test::build_mini(local, 1);
  test::ShardServer s(local, 0, {"--idle-timeout", "1"});
  int fd = connect_raw(s.port());
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(read_to_end(fd));  // the greeting, then the end after a second of silence
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited > std::chrono::milliseconds(800));
  CHECK(waited < std::chrono::seconds(4));
  ::close(fd);
  CHECK(wait_for([&] { return children_of(s.pid()) == 0; }));
}

TEST_CASE("remote: serve follows CURRENT, so a client keeps working after optimize swaps generations twice", "[remote][cli][optimize]") {
  test::TempDir tmp;
  std::string local = tmp.path + "/local", client = tmp.path + "/client";
  test::build_mini(local, 2);
  const std::string first_gen = index::live_generation(local);
  test::ShardServer s0(local, 0), s1(local, 1);
  index::attach_remote_shards(local, client, {{0, {"127.0.0.1", s0.port()}}, {1, {"127.0.0.1", s1.port()}}});
  const auto before = mini_hit_sets(Searcher(client));
  REQUIRE_FALSE(before.front().empty());
  for (int i = 0; i < 2; ++i) REQUIRE(test::run_cli("optimize --index " + local + " > /dev/null").status == 0);
  REQUIRE_FALSE(std::filesystem::exists(first_gen));  // the generation the servers started on is gone
  // New connections serve the live generation, whose shards keep the index's identity
  // (optimize keeps index_id), so the client made before still opens and finds the same SKUs.
  CHECK(mini_hit_sets(Searcher(client)) == before);
}

TEST_CASE("remote: a Searcher keeps working when its shard servers close idle connections", "[remote]") {
  test::TempDir tmp;
  std::string local = tmp.path + "/local", client = tmp.path + "/client";
  test::build_mini(local, 2);
  test::ShardServer s0(local, 0, {"--idle-timeout", "1"}), s1(local, 1, {"--idle-timeout", "1"});
  index::attach_remote_shards(local, client, {{0, {"127.0.0.1", s0.port()}}, {1, {"127.0.0.1", s1.port()}}});
  Searcher searcher(client);
  SearchRequest req;
  req.query = "手机壳";
  const auto first = test::sku_ids(searcher.search(req));
  REQUIRE_FALSE(first.empty());
  // Every connection the searcher holds (its pooled snapshot, reopen()'s probe) is closed by now.
  REQUIRE(wait_for([&] { return children_of(s0.pid()) == 0 && children_of(s1.pid()) == 0; }));
  CHECK_NOTHROW(searcher.reopen());
  CHECK(test::sku_ids(searcher.search(req)) == first);
  CHECK(test::sku_ids(searcher.search(req)) == first);
}
