// Shards served by Xapian's remote backend on 127.0.0.1: the same search test bodies as for local
// shards (tests/search_cases.h). Select them with `ctest -R remote`.
#include <catch2/catch.hpp>

#include <map>

#include <longtail/longtail.h>

#include "index/remote.h"
#include "tests/search_cases.h"
#include "tests/shard_server.h"
#include "tests/test_util.h"

using namespace longtail;

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
  auto printed = test::run_cli("serve --index " + local + " --shard 1 --port 7001 --print");
  REQUIRE(printed.status == 0);
  CHECK(printed.out.rfind("xapian-tcpsrv --port 7001 --interface 127.0.0.1 --quiet /", 0) == 0);
  CHECK(printed.out.find("/shard-001\n") != std::string::npos);
  // Beyond loopback the protocol's lack of authentication and encryption is said (issue 25).
  CHECK(test::run_cli("serve --index " + local + " --shard 1 --port 7001 --print 2>&1").out.find("warning") == std::string::npos);
  auto open = test::run_cli("serve --index " + local + " --shard 1 --port 7001 --interface 0.0.0.0 --print 2>&1");
  CHECK(open.status == 0);
  CHECK(open.out.find("no authentication and no encryption") != std::string::npos);
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
