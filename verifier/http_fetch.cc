#include "verifier/http_fetch.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <chrono>
#include <optional>

#ifdef PIAOJUE_HAVE_OPENSSL
#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#endif

namespace piaojue::verifier {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr std::chrono::seconds kRequestTimeout{60};

struct ParsedUrl {
  bool https = false;
  std::string host;  // without brackets for IPv6
  std::string port;
  std::string host_header;
  std::string path;  // the prefix's path, without a trailing '/'
};

Result<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl u;
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else if (url.starts_with("https://")) {
    url.remove_prefix(8);
    u.https = true;
  } else {
    return InvalidArgument("a log URL starts with http:// or https://");
  }
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path =
      slash == std::string_view::npos ? "" : url.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return InvalidArgument("a log URL names a host (no user name)");
  }
  for (char c : path) {
    if (c == '?' || c == '#' || static_cast<unsigned char>(c) <= ' ') {
      return InvalidArgument(
          "a log URL's path has no query, fragment, space or control "
          "character");
    }
  }
  u.host_header = std::string(authority);
  std::string_view host = authority;
  std::string_view port = u.https ? "443" : "80";
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgument("unclosed [ in the log URL's host");
    }
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return InvalidArgument("bad host in log URL");
      port = rest.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':');
             colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string_view::npos) {
    return InvalidArgument("bad host or port in the log URL");
  }
  u.host = std::string(host);
  u.port = std::string(port);
  u.path = std::string(path);
  return u;
}

}  // namespace

bool IsLogUrl(std::string_view path) {
  return path.starts_with("http://") || path.starts_with("https://");
}

bool HttpsSupported() {
#ifdef PIAOJUE_HAVE_OPENSSL
  return true;
#else
  return false;
#endif
}

class HttpFetcher::Impl {
 public:
  explicit Impl(ParsedUrl url) : url_(std::move(url)) {
#ifdef PIAOJUE_HAVE_OPENSSL
    if (url_.https) {
      ssl_ctx_.emplace(net::ssl::context::tls_client);
      ssl_ctx_->set_default_verify_paths();
      ssl_ctx_->set_verify_mode(net::ssl::verify_peer);
    }
#endif
  }

  Result<FetchReply> Get(const std::string& path, size_t max_bytes) {
    // A kept-alive connection the server has closed fails on first use:
    // try once more on a fresh one.
    const bool had_connection = connected_;
    Result<FetchReply> r = GetOnce(path, max_bytes);
    if (!r.ok() && had_connection) {
      Close();
      r = GetOnce(path, max_bytes);
    }
    if (!r.ok()) Close();
    return r;
  }

 private:
  void Close() {
    beast::error_code ec;
#ifdef PIAOJUE_HAVE_OPENSSL
    tls_.reset();
#endif
    if (tcp_) tcp_->socket().close(ec);
    tcp_.reset();
    buffer_.clear();
    connected_ = false;
  }

  Status Connect() {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(url_.host, url_.port, ec);
    if (ec) {
      return Unavailable("cannot resolve " + url_.host + ": " + ec.message());
    }
#ifdef PIAOJUE_HAVE_OPENSSL
    if (url_.https) {
      tls_.emplace(ioc_, *ssl_ctx_);
      beast::get_lowest_layer(*tls_).expires_after(kRequestTimeout);
      beast::get_lowest_layer(*tls_).connect(endpoints, ec);
      if (ec) return Unavailable(Where() + ": " + ec.message());
      // SNI, and the certificate must name the host.
      if (!SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str())) {
        return Unavailable(Where() + ": cannot set the TLS server name");
      }
      tls_->set_verify_callback(net::ssl::host_name_verification(url_.host));
      tls_->handshake(net::ssl::stream_base::client, ec);
      if (ec) {
        return Unavailable(Where() + ": TLS handshake failed: " + ec.message());
      }
      connected_ = true;
      return Status::Ok();
    }
#endif
    tcp_.emplace(ioc_);
    tcp_->expires_after(kRequestTimeout);
    tcp_->connect(endpoints, ec);
    if (ec) return Unavailable(Where() + ": " + ec.message());
    connected_ = true;
    return Status::Ok();
  }

  std::string Where() const {
    return (url_.https ? "https://" : "http://") + url_.host_header;
  }

  template <class Stream>
  Result<FetchReply> Exchange(Stream& stream, const std::string& target,
                              size_t max_bytes) {
    beast::error_code ec;
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, url_.host_header);
    req.set(http::field::user_agent, "piaojue-verify");
    req.set(http::field::accept_encoding, "identity");
    req.keep_alive(true);
    beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
    http::write(stream, req, ec);
    if (ec) return Unavailable("GET " + Where() + target + ": " + ec.message());
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_bytes);
    parser.header_limit(64 * 1024);
    http::read(stream, buffer_, parser, ec);
    if (ec == http::error::body_limit) {
      return Unavailable("GET " + Where() + target + ": the answer is over " +
                         std::to_string(max_bytes) + " bytes");
    }
    if (ec) return Unavailable("GET " + Where() + target + ": " + ec.message());
    auto res = parser.release();
    if (!res.keep_alive()) Close();
    FetchReply reply;
    reply.status = res.result_int();
    reply.body = std::move(res.body());
    return reply;
  }

  Result<FetchReply> GetOnce(const std::string& path, size_t max_bytes) {
    if (!connected_) RETURN_IF_ERROR(Connect());
    const std::string target = url_.path + "/" + path;
#ifdef PIAOJUE_HAVE_OPENSSL
    if (url_.https) return Exchange(*tls_, target, max_bytes);
#endif
    return Exchange(*tcp_, target, max_bytes);
  }

  ParsedUrl url_;
  net::io_context ioc_;
  beast::flat_buffer buffer_;
  std::optional<beast::tcp_stream> tcp_;
#ifdef PIAOJUE_HAVE_OPENSSL
  std::optional<net::ssl::context> ssl_ctx_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
#endif
  bool connected_ = false;
};

HttpFetcher::HttpFetcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpFetcher::~HttpFetcher() = default;

Result<std::unique_ptr<HttpFetcher>> HttpFetcher::Create(
    std::string_view prefix) {
  ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(prefix));
  if (url.https && !HttpsSupported()) {
    return InvalidArgument(
        "this piaojue-verify was built without OpenSSL and cannot read "
        "https:// URLs; rebuild with libssl-dev installed, or fetch the log "
        "through a local http:// proxy you trust");
  }
  return std::unique_ptr<HttpFetcher>(
      new HttpFetcher(std::make_unique<Impl>(std::move(url))));
}

Result<FetchReply> HttpFetcher::Get(const std::string& path, size_t max_bytes) {
  return impl_->Get(path, max_bytes);
}

Fetch HttpFetcher::AsFetch() {
  return [this](const std::string& path, size_t max_bytes) {
    return Get(path, max_bytes);
  };
}

}  // namespace piaojue::verifier
