#include <cstdio>
#include <exception>

#include <xapian.h>

#include <longtail/longtail.h>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"longtail — search and ranking for long-tail marketplaces"};
  app.set_version_flag("--version", std::string("longtail ") + longtail::version());
  app.require_subcommand(1);
  // Every option's help shows its default (the value its variable holds when it is added).
  app.option_defaults()->always_capture_default();
  int rc = 0;
  longtail::cli::register_build(app, rc);
  longtail::cli::register_search(app, rc);
  longtail::cli::register_inspect(app, rc);
  longtail::cli::register_audit(app, rc);
  longtail::cli::register_segment(app, rc);
  longtail::cli::register_gen(app, rc);
  longtail::cli::register_update(app, rc);
  longtail::cli::register_check(app, rc);
  longtail::cli::register_eval(app, rc);
  longtail::cli::register_bench(app, rc);
  longtail::cli::register_serve(app, rc);
  longtail::cli::register_attach(app, rc);
  longtail::cli::register_optimize(app, rc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const longtail::IndexMismatchError& e) {
    std::fprintf(stderr, "longtail: %s\n", e.what());
    return 3;
  } catch (const longtail::UsageError& e) {
    std::fprintf(stderr, "longtail: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "longtail: %s\n", e.what());
    return 1;
  } catch (const Xapian::Error& e) {  // not a std::exception: a command that did not name it
    std::fprintf(stderr, "longtail: %s\n", e.get_description().c_str());
    return 1;
  }
  return rc;
}
