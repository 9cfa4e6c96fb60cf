// The search page at GET /: server/page.html, embedded at build time (server/embed_page.cmake
// writes it as a raw string literal into page_html.inc in the build directory).
#include "server/page.h"

namespace longtail::server {

const std::string& page_html() {
  static const std::string html =
#include "page_html.inc"
      ;
  return html;
}

}  // namespace longtail::server
