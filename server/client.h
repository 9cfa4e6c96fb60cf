// A small HTTP client of the service for the CLI's tools (`longtail bench --url`): one keep-alive
// connection per client, so that httplib stays private to this module.
#pragma once

#include <memory>
#include <string>

namespace longtail::server {

class HttpClient {
 public:
  struct Response {
    int status = 0;      // 0: no answer (error says why)
    std::string body;
    std::string error;
  };
  // `url`: "http://HOST:PORT" (a trailing path is refused). Throws UsageError for another form.
  // `api_key`, when non-empty, is sent as X-API-Key. Timeouts: `timeout_s` to connect, read, write.
  explicit HttpClient(const std::string& url, const std::string& api_key = "", int timeout_s = 30);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Response get(const std::string& target);  // target: path and query string
  Response post(const std::string& target, const std::string& body, const std::string& content_type);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes every byte but the unreserved ones (RFC 3986), for a query-string value.
std::string url_encode(const std::string& s);

}  // namespace longtail::server
