// The witness's transport: a Beast listener and HTTP/1.1 keep-alive sessions
// (the shape of Beast's example/http/server/async). A request is handled on
// the I/O thread that read it: add-checkpoint is a short CPU step and one
// fsync, and a witness sees a few requests per log per second at most.
#include "witness/server.h"

#include <algorithm>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "witness/accept_backoff.h"

namespace piaojue::witness {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using beast::error_code;

class Server::Impl {
 public:
  Impl(Witness& witness, ServerOptions options)
      : witness_(witness),
        options_(std::move(options)),
        acceptor_(net::make_strand(ioc_)),
        accept_timer_(acceptor_.get_executor()) {}
  ~Impl() { Shutdown(); }

  Status Listen();
  void DoAccept();
  void OnAccept(error_code ec, tcp::socket socket);
  void Shutdown();

  Witness& witness_;
  const ServerOptions options_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  // While accepting fails for want of descriptors or memory: the wait
  // before the next try. On the acceptor's strand.
  net::steady_timer accept_timer_;
  AcceptBackoff accept_backoff_{"piaojue witness", std::cerr};
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
};

namespace {

http::response<http::string_body> Answer(
    Witness& witness, const http::request<http::string_body>& req) {
  Reply reply;
  const beast::string_view target = req.target();
  if (target == "/add-checkpoint") {
    if (req.method() != http::verb::post) {
      reply = {405, "text/plain; charset=utf-8", "use POST\n"};
    } else {
      reply = witness.AddCheckpoint(
          std::string_view(req.body().data(), req.body().size()));
    }
  } else if (target == "/" && (req.method() == http::verb::get ||
                               req.method() == http::verb::head)) {
    reply.body = "piaojue witness " + witness.name() +
                 "\nverifier key: " + witness.verifier_key() +
                 "\nPOST /add-checkpoint (c2sp.org/tlog-witness)\n";
  } else {
    reply = {404, "text/plain; charset=utf-8", "not found\n"};
  }
  http::response<http::string_body> res{static_cast<http::status>(reply.status),
                                        req.version()};
  res.set(http::field::server, "piaojue-witness");
  res.set(http::field::content_type, reply.content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(reply.body);
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();
  return res;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server)
      : stream_(std::move(socket)), server_(server) {}

  void Run() {
    net::dispatch(
        stream_.get_executor(),
        beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(server_.options_.max_body_bytes);
    stream_.expires_after(server_.options_.read_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      http::response<http::string_body> res{http::status::payload_too_large,
                                            11};
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "the request body is too large\n";
      res.keep_alive(false);
      res.prepare_payload();
      return Write(std::move(res));
    }
    if (ec) return Close();
    http::request<http::string_body> req = parser_->release();
    Write(Answer(server_.witness_, req));
  }

  void Write(http::response<http::string_body> res) {
    auto shared =
        std::make_shared<http::response<http::string_body>>(std::move(res));
    http::async_write(
        stream_, *shared,
        [self = shared_from_this(), shared](error_code ec, std::size_t) {
          if (ec || !shared->keep_alive()) return self->Close();
          self->DoRead();
        });
  }

  void Close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

Status Server::Impl::Listen() {
  error_code ec;
  const auto address = net::ip::make_address(options_.address, ec);
  if (ec) {
    return InvalidArgument("\"" + options_.address + "\" is not an IP address");
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + options_.address + ":" +
                       std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  return Status::Ok();
}

void Server::Impl::DoAccept() {
  acceptor_.async_accept(
      net::make_strand(ioc_),
      beast::bind_front_handler(&Server::Impl::OnAccept, this));
}

void Server::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    if (std::optional<std::chrono::milliseconds> wait =
            accept_backoff_.Failed(ec)) {
      // The logs' connections meanwhile wait in the listen backlog.
      accept_timer_.expires_after(*wait);
      accept_timer_.async_wait([this](error_code timer_ec) {
        if (!timer_ec) DoAccept();
      });
      return;
    }
    // Any other error concerns one connection (e.g. reset before it was
    // taken): go on with the next.
  } else {
    accept_backoff_.Accepted();
    std::make_shared<Session>(std::move(socket), *this)->Run();
  }
  DoAccept();
}

void Server::Impl::Shutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  // Handlers already running finish; sessions still queued are destroyed
  // with the io_context, which closes their sockets.
  ioc_.stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // No thread runs the io_context now: closing here is race-free, and new
  // connections are refused from this point.
  error_code ignored;
  acceptor_.close(ignored);
}

Result<std::unique_ptr<Server>> Server::Start(Witness& witness,
                                              ServerOptions options) {
  auto impl = std::make_unique<Impl>(witness, std::move(options));
  RETURN_IF_ERROR(impl->Listen());
  impl->DoAccept();
  for (int i = 0; i < 2; ++i) {
    impl->threads_.emplace_back([ioc = &impl->ioc_] { ioc->run(); });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
uint16_t Server::port() const { return impl_->port_; }
void Server::Shutdown() { impl_->Shutdown(); }

Status Serve(const std::string& dir, const ServerOptions& options,
             std::ostream& out) {
  ASSIGN_OR_RETURN(auto witness, Witness::Open(dir));
  ASSIGN_OR_RETURN(auto server, Server::Start(*witness, options));
  net::io_context signals_ioc;
  net::signal_set signals(signals_ioc, SIGINT, SIGTERM);
  signals.async_wait([](error_code, int) {});
  const bool v6 = options.address.find(':') != std::string::npos;
  out << "piaojue witness " << witness->name() << ": serving on http://"
      << (v6 ? "[" + options.address + "]" : options.address) << ":"
      << server->port() << "/add-checkpoint\n"
      << "verifier key: " << witness->verifier_key() << "\n"
      << "stop with Ctrl-C or SIGTERM" << std::endl;
  signals_ioc.run();
  server->Shutdown();
  out << "piaojue witness: stopped" << std::endl;
  return Status::Ok();
}

}  // namespace piaojue::witness
