#include "server/client.h"

#include <httplib.h>

#include <cctype>

#include <longtail/longtail.h>

namespace longtail::server {

struct HttpClient::Impl {
  httplib::Client c;
  httplib::Headers headers;
  explicit Impl(const std::string& url) : c(url) {}
  Response answer(const httplib::Result& r) {
    Response out;
    if (!r) {
      out.error = httplib::to_string(r.error());
      return out;
    }
    out.status = r->status;
    out.body = r->body;
    return out;
  }
};

HttpClient::HttpClient(const std::string& url, const std::string& api_key, int timeout_s) {
  const size_t scheme = url.find("://");
  if (url.rfind("http://", 0) != 0 || url.find('/', scheme + 3) != std::string::npos)
    throw UsageError("--url: expected http://HOST:PORT, got \"" + url + "\"");
  impl_ = std::make_unique<Impl>(url);
  impl_->c.set_keep_alive(true);
  impl_->c.set_tcp_nodelay(true);
  impl_->c.set_connection_timeout(timeout_s, 0);
  impl_->c.set_read_timeout(timeout_s, 0);
  impl_->c.set_write_timeout(timeout_s, 0);
  if (!api_key.empty()) impl_->headers.emplace("X-API-Key", api_key);
}

HttpClient::~HttpClient() = default;

HttpClient::Response HttpClient::get(const std::string& target) {
  return impl_->answer(impl_->c.Get(target, impl_->headers));
}

HttpClient::Response HttpClient::post(const std::string& target, const std::string& body, const std::string& content_type) {
  return impl_->answer(impl_->c.Post(target, impl_->headers, body, content_type));
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string o;
  o.reserve(s.size() * 3);
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      o += char(ch);
    } else {
      o += '%';
      o += hex[ch >> 4];
      o += hex[ch & 15];
    }
  }
  return o;
}

}  // namespace longtail::server
