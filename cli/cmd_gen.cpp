// `longtail gen`: writes a synthetic marketplace (catalog, shops, abuse labels, queries, qrels).
#include <cstdio>
#include <memory>
#include <string>

#include <longtail/longtail.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "perf/generator.h"

namespace longtail::cli {

void register_gen(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "gen", "Generate a synthetic catalog: catalog.jsonl, shops.jsonl, labels.jsonl, queries.tsv, "
             "qrels.tsv, params.json");
  struct Args {
    perf::GeneratorParams p;
    std::string out;
    double abuse_scale = 1.0;
    bool quiet = false, json = false, zstd = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--skus", a->p.skus, "Number of SKU lines to write")->required()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", a->p.seed, "Random seed (same seed and parameters: same bytes)")->capture_default_str();
  cmd->add_option("--out", a->out, "Output directory (created if missing)")->required();
  cmd->add_option("--queries", a->p.queries, "Planned labelled queries (head/torso/tail)")->capture_default_str();
  cmd->add_option("--head-share", a->p.head_share, "Share of head queries")->capture_default_str();
  cmd->add_option("--torso-share", a->p.torso_share, "Share of torso queries (the rest are tail)")->capture_default_str();
  cmd->add_option("--qrels-cap", a->p.qrels_cap, "Most qrels lines per query, 0 = unlimited")->capture_default_str();
  cmd->add_option("--skus-per-shop", a->p.skus_per_shop, "SKUs per shop on average (sets the shop count)")
      ->capture_default_str();
  cmd->add_option("--shop-zipf", a->p.shop_zipf, "Zipf exponent of shop sizes")->capture_default_str();
  cmd->add_option("--zero-sale-share", a->p.zero_sale_share, "Share of items with no sales in 30 days")
      ->capture_default_str();
  cmd->add_option("--sales-alpha", a->p.sales_alpha, "Power-law exponent of positive 30-day sales")
      ->capture_default_str();
  cmd->add_option("--date-start", a->p.date_start, "First listing date (YYYY-MM-DD)")->capture_default_str();
  cmd->add_option("--date-end", a->p.date_end, "Last listing date (YYYY-MM-DD)")->capture_default_str();
  cmd->add_option("--abuse-scale", a->abuse_scale, "Multiplies every abuse rate (0 = an honest catalog)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_flag("-q,--quiet", a->quiet, "No progress lines on stderr");
  cmd->add_flag("--zstd", a->zstd, "Write the catalog zstd-compressed, as catalog.jsonl.zst (about 13x smaller; build reads it as it is)");
  cmd->add_flag("--json", a->json, "Print the parameters and the result as one JSON object instead of a line of text");
  cmd->callback([a, &rc] {
    for (double& r : a->p.abuse_rate) r *= a->abuse_scale;
    perf::validate(a->p);
    perf::GeneratorSummary s = perf::generate_catalog(a->p, a->out, a->quiet ? nullptr : stderr, a->zstd);
    if (a->json) {
      std::string o;
      json::Writer(o).object().field_raw("params", perf::params_json(a->p)).field_raw("result", perf::summary_json(s)).end();
      print_json_line(std::move(o));
    } else {
      std::printf("wrote %s: %llu SKUs, %llu items, %llu shops in %.2f s (%.0f SKUs/s; seed %llu)\n", a->out.c_str(),
                  static_cast<unsigned long long>(s.skus), static_cast<unsigned long long>(s.items),
                  static_cast<unsigned long long>(s.shops), s.seconds,
                  s.seconds > 0 ? static_cast<double>(s.skus) / s.seconds : 0.0,
                  static_cast<unsigned long long>(a->p.seed));
    }
    rc = 0;
  });
}

}  // namespace longtail::cli
