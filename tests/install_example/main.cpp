// Builds an index from a catalog and searches it through the installed library only.
// Usage: embed_example CATALOG INDEX_DIR QUERY EXPECTED_FIRST_ITEM
#include <cstdio>
#include <string>

#include <longtail/longtail.h>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s CATALOG INDEX_DIR QUERY EXPECTED_FIRST_ITEM\n", argv[0]);
    return 2;
  }
  try {
    longtail::BuildOptions b;
    b.catalog_files = {argv[1]};
    b.index_dir = argv[2];
    b.shards = 2;
    auto summary = longtail::build_index(b);
    longtail::Searcher searcher(argv[2]);
    longtail::SearchRequest req;
    req.query = argv[3];
    auto result = searcher.search(req);
    std::printf("longtail %s: %llu SKUs indexed; \"%s\" -> %zu hits\n", longtail::version(),
                static_cast<unsigned long long>(summary.accepted), argv[3], result.hits.size());
    if (result.hits.empty() || result.hits[0].item_id != argv[4]) {
      std::fprintf(stderr, "expected first hit %s, got %s\n", argv[4],
                   result.hits.empty() ? "(none)" : result.hits[0].item_id.c_str());
      return 1;
    }
    return 0;
  } catch (const longtail::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
