// The page served at GET / (server/server.cpp).
#pragma once

#include <string>

namespace longtail::server {

// The HTML of the search page, whole (it loads nothing else but the API).
const std::string& page_html();

}  // namespace longtail::server
