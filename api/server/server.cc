// The transport: a Beast listener and HTTP/1.1 sessions (the shape of Beast's
// example/http/server/async), the worker pools, the Server-Sent Events stream
// and graceful shutdown. Everything about what a request means is in
// router.cc and the handlers; this file only moves bytes.
//
// Life of a request: an I/O thread reads the head (answering
// "Expect: 100-continue"), then the body, within the size limits and the
// read timeout; the request is handed to the read or the write pool; the
// response is posted back to the connection's strand and written; then the
// next request on the connection is read (keep-alive).
#include "api/server/server.h"

#include <kj/exception.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "api/server/internal/event_feed.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/http_message.h"
#include "api/server/internal/rate_limiter.h"
#include "api/server/internal/replay_pool.h"
#include "api/server/internal/service.h"
#include "ledger/text_validation.h"
#include "witness/accept_backoff.h"

namespace piaojue::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using beast::error_code;

namespace {
class HttpSession;

// A response as Beast writes it: its head, and its body as a view of r's
// bytes (which may be shared with other readers: a kept answer is never
// copied). `head`: the answer to HEAD (the same head, Content-Length
// included, and no body).
using Wire = http::response<http::span_body<char>>;
Wire BuildWire(const HttpResponse& r, unsigned version, bool keep_alive,
               bool head) {
  Wire res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "piaojue");
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, r.cache_control);
  res.set(http::field::access_control_allow_origin, "*");
  for (const auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(keep_alive && !r.stream_head);
  // Serialized only, never parsed into: the bytes are not written.
  res.body() =
      beast::span<char>(const_cast<char*>(r.body.data()), r.body.size());
  // A stream's length is unknown: no Content-Length (the body, for HEAD,
  // is empty anyway).
  if (!r.stream_head) res.prepare_payload();
  if (head) res.body() = beast::span<char>();
  return res;
}
}  // namespace

std::string WireHead(const HttpResponse& r) {
  if (r.stream_head) return "";
  const Wire res = BuildWire(r, 11, /*keep_alive=*/true, /*head=*/false);
  // What the serializer writes before the body (the same fields writer).
  std::ostringstream head;
  head << res.base();
  return head.str();
}

// What the fan-out pass looks at without touching the session (which is
// only used on its strand).
struct EventStreamState {
  std::atomic<bool> waiting{false};
  std::atomic<bool> live{false};
  std::atomic<bool> drop_posted{false};
  // Every event before this has been handed to the socket.
  std::atomic<uint64_t> written{0};
  std::weak_ptr<HttpSession> session;
  net::any_io_executor executor;  // the session's strand
};

class Server::Impl {
 public:
  explicit Impl(ServerOptions options)
      : options_(std::move(options)),
        ioc_(std::make_unique<net::io_context>()),
        acceptor_(std::in_place, *ioc_),
        read_pool_(std::max(1, options_.read_threads)),
        write_pool_(options_.write_threads > 0
                        ? options_.write_threads
                        : static_cast<int>(std::max(
                              1u, std::thread::hardware_concurrency()))),
        replay_pool_(options_.replay_threads, options_.replay_queue),
        replay_limiter_(options_.replay_burst, options_.replay_per_minute) {}
  ~Impl() { Shutdown(); }

  Status Listen();
  void StartThreads();
  void Shutdown();

  // A request enters (it will be answered) / its response has been written
  // or its connection has failed.
  void Enter() { in_flight_.fetch_add(1); }
  void Leave() {
    if (in_flight_.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(idle_mu_);
      idle_cv_.notify_all();
    }
  }

  // Event streams (registered while open), woken by one pass on an I/O
  // thread per burst of publications rather than by the appending thread.
  uint64_t AddStream(std::shared_ptr<EventStreamState> state) {
    std::lock_guard<std::mutex> lock(streams_mu_);
    const uint64_t token = next_stream_++;
    streams_[token] = std::move(state);
    return token;
  }
  void RemoveStream(uint64_t token) {
    std::lock_guard<std::mutex> lock(streams_mu_);
    streams_.erase(token);
  }
  // From Service::Publish (the appending thread): schedules one pass unless
  // one is pending already.
  // Passes are at least ServerOptions::event_flush_interval apart, so a
  // stream's writes are too, however often appends are published: each
  // write carries every event published since its last one.
  void OnPublished() {
    if (fanout_pending_.exchange(true)) return;
    const auto next =
        std::chrono::steady_clock::time_point(
            std::chrono::steady_clock::duration(last_fanout_.load())) +
        options_.event_flush_interval;
    if (next <= std::chrono::steady_clock::now()) {
      net::post(*ioc_, [this] { WakeStreams(); });
      return;
    }
    auto timer = std::make_shared<net::steady_timer>(*ioc_, next);
    timer->async_wait([this, timer](error_code) { WakeStreams(); });
  }
  void WakeStreams();

  void StreamEnded() {
    if (event_streams_.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(idle_mu_);
      idle_cv_.notify_all();
    }
  }

  const ServerOptions options_;
  // options_.max_connections, resolved (never 0).
  size_t max_connections_ = 0;
  // Open HTTP sessions (event streams included), and connections being
  // turned away.
  std::atomic<size_t> connections_{0};
  std::atomic<size_t> refusals_{0};
  // Declared before the io_context: connections still queued in it when it
  // is destroyed use these in their destructors.
  std::unique_ptr<Service> service_;
  // The formatted events every stream shares (after service_: it reads its
  // ledger).
  std::unique_ptr<EventFeed> event_feed_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<size_t> event_streams_{0};
  std::atomic<uint64_t> event_streams_dropped_{0};
  std::mutex streams_mu_;
  std::map<uint64_t, std::shared_ptr<EventStreamState>> streams_;
  uint64_t next_stream_ = 1;
  std::atomic<bool> fanout_pending_{false};
  // When the last pass started (steady_clock ticks).
  std::atomic<std::chrono::steady_clock::rep> last_fanout_{0};
  uint64_t publish_subscription_ = 0;
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  // Reset at the end of Shutdown: destroying the io_context destroys the
  // connections still waiting in it, which closes their sockets.
  std::unique_ptr<net::io_context> ioc_;
  std::optional<tcp::acceptor> acceptor_;
  // Waits before accepting again after the process ran out of descriptors
  // (or memory); only the accept chain touches these.
  std::optional<net::steady_timer> accept_timer_;
  witness::AcceptBackoff accept_backoff_{"piaojue serve", std::cerr};
  net::thread_pool read_pool_;
  net::thread_pool write_pool_;
  // Past states to rebuild (as_of, diff), and each address's budget of them.
  ReplayPool replay_pool_;
  RateLimiter replay_limiter_;
  std::vector<std::thread> io_threads_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  uint16_t port_ = 0;

  std::mutex shutdown_mu_;
  bool shut_down_ = false;

 private:
  // At most this many connections are being answered 503 at once; beyond
  // it, connections over the cap are closed without an answer.
  static constexpr size_t kMaxRefusals = 64;

  void DoAccept();
  void OnAccept(error_code ec, tcp::socket socket);
};

namespace {

std::string_view Std(beast::string_view v) {
  return std::string_view(v.data(), v.size());
}

std::string LowerMediaType(std::string_view v) {
  std::string out(v.substr(0, v.find(';')));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
    out.pop_back();
  }
  for (char& c : out) c = static_cast<char>(std::tolower(c));
  return out;
}

// What a connection beyond ServerOptions::max_connections gets before it is
// closed (docs/API.md, "Limits, timeouts and shutdown").
const std::string& BusyResponse() {
  static const std::string response = [] {
    const std::string body =
        "{\"error\":{\"code\":\"unavailable\",\"message\":\"too many "
        "connections; try again later\"}}\n";
    return "HTTP/1.1 503 Service Unavailable\r\n"
           "Server: piaojue\r\n"
           "Content-Type: application/json\r\n"
           "Cache-Control: no-store\r\n"
           "Access-Control-Allow-Origin: *\r\n"
           "Retry-After: 1\r\n"
           "Connection: close\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return response;
}

// A connection over the cap: answered 503 without reading its request,
// then closed after a short drain (so that a client that sent a request
// reads the answer rather than a reset). Bounded by a 250 ms timer: its
// descriptor is back soon even if the client never sends or closes.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(tcp::socket&& socket, Server::Impl& server)
      : stream_(std::move(socket)), server_(server) {
    server_.refusals_.fetch_add(1);
  }
  ~Refusal() { server_.refusals_.fetch_sub(1); }

  void Run() {
    stream_.expires_after(std::chrono::milliseconds(250));
    net::async_write(stream_, net::buffer(BusyResponse()),
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       error_code ignored;
                       if (ec) {
                         self->stream_.socket().close(ignored);
                         return;
                       }
                       self->stream_.socket().shutdown(
                           tcp::socket::shutdown_send, ignored);
                       self->Drain();
                     });
  }

 private:
  void Drain() {
    stream_.async_read_some(
        net::buffer(drain_),
        [self = shared_from_this()](error_code ec, std::size_t) {
          if (!ec) return self->Drain();
          error_code ignored;
          self->stream_.socket().close(ignored);
        });
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  std::array<char, 512> drain_;
};

// One HTTP/1.1 connection.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, Server::Impl& server)
      : stream_(std::move(socket)), server_(server) {
    server_.connections_.fetch_add(1);
    error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) client_address_ = endpoint.address().to_string();
  }

  ~HttpSession() {
    EndStreaming();
    server_.connections_.fetch_sub(1);
  }

  void Run() {
    net::dispatch(
        stream_.get_executor(),
        beast::bind_front_handler(&HttpSession::DoRead, shared_from_this()));
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(server_.options_.max_header_bytes));
    parser_->body_limit(server_.options_.max_body_bytes);
    stream_.expires_after(server_.options_.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnReadHeader,
                                  shared_from_this()));
  }

  void OnReadHeader(error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    auto& head = parser_->get();
    if (beast::iequals(head[http::field::expect], "100-continue")) {
      // curl and others wait for this before sending a large body.
      auto cont = std::make_shared<http::response<http::empty_body>>(
          http::status::continue_, 11);
      http::async_write(
          stream_, *cont,
          [self = shared_from_this(), cont](error_code wec, std::size_t) {
            if (wec) return self->Close();
            self->DoReadBody();
          });
      return;
    }
    DoReadBody();
  }

  void DoReadBody() {
    // A request without a body is complete with its head (every GET):
    // answered now, not after a read whose completion would only be posted
    // (a trip through the scheduler per request).
    if (parser_->is_done()) return OnRead({}, 0);
    http::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  void OnReadError(error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::eof ||
        ec == net::error::connection_reset) {
      return Close();
    }
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return SendUncounted(
          ErrorResponse(
              413, kErrorTooLarge,
              ec == http::error::body_limit
                  ? "the request body is larger than " +
                        std::to_string(server_.options_.max_body_bytes) +
                        " bytes"
                  : "the request head is larger than " +
                        std::to_string(server_.options_.max_header_bytes) +
                        " bytes"),
          11);
    }
    if (ec.category() ==
            http::make_error_code(http::error::end_of_stream).category() ||
        ec == http::error::partial_message) {
      // Not HTTP we can parse: say so once, then hang up.
      return SendUncounted(
          ErrorResponse(400, kErrorMalformedHttp,
                        "malformed HTTP request: " + ec.message()),
          11);
    }
    Close();
  }

  void OnRead(error_code ec, std::size_t) {
    if (ec) return OnReadError(ec);
    http::request<http::string_body> req = parser_->release();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;

    HttpRequest request;
    request.method = std::string(req.method_string());
    request.content_type = LowerMediaType(Std(req[http::field::content_type]));
    request.last_event_id = std::string(Std(req["Last-Event-ID"]));
    request.accept_encoding =
        std::string(Std(req[http::field::accept_encoding]));
    request.client_address = client_address_;
    request.body = std::move(req.body());
    Status target = ParseTarget(Std(req.target()), &request);
    if (!target.ok()) {
      server_.Enter();
      return Send(StatusResponse(target));
    }
    if (server_.stopping_.load()) {
      keep_alive_ = false;
      server_.Enter();
      return Send(ErrorResponse(503, kErrorShuttingDown,
                                "the server is shutting down"));
    }
    const RouteKind kind = Classify(request);
    if (kind == RouteKind::kEventStream) return StartEvents(request);

    server_.Enter();
    // What is already computed (the checkpoint, a cached view) is sent from
    // this I/O thread: handing it to a worker and back costs more than the
    // answer (docs/PERFORMANCE.md, "HTTP reads").
    if (kind == RouteKind::kRead) {
      if (auto fast = FastRead(*server_.service_, request)) {
        return Send(std::move(fast));
      }
    }
    if (kind == RouteKind::kWrite) {
      // The write pool parses the request and checks its signature, then
      // hands it to the ledger's queue and is free again: no thread waits
      // for the group's sync; the ledger's writer answers (RespondToWrite).
      return net::post(
          server_.write_pool_,
          [self = shared_from_this(), request = std::move(request)]() mutable {
            self->RespondToWrite(request);
          });
    }
    net::post(server_.read_pool_, [self = shared_from_this(), kind,
                                   request = std::move(request)]() mutable {
      // A past state to rebuild goes to the replay pool, so that it never
      // holds a read thread (docs/API.md, "Past states").
      if (kind == RouteKind::kRead &&
          NeedsReplay(*self->server_.service_, request)) {
        return self->AdmitReplay(std::move(request));
      }
      self->Respond(request);
    });
  }

  // Runs the handler (on a worker) and posts its response to the
  // connection.
  void Respond(const HttpRequest& request, bool replayed = false) {
    std::shared_ptr<const HttpResponse> response;
    try {
      response = HandleShared(*server_.service_, request);
    } catch (const kj::Exception& e) {
      // Handlers return errors as values; this is a bug, not a crash.
      response =
          Shared(ErrorResponse(500, "internal", ledger::DescribeException(e)));
    } catch (const std::exception& e) {
      response = Shared(
          ErrorResponse(500, "internal", ledger::PrintableAscii(e.what())));
    } catch (...) {
      response = Shared(ErrorResponse(500, "internal", "unexpected exception"));
    }
    if (replayed && response->status == 503) {
      // The past state did not fit the server's memory budget now
      // (Service::ReserveReplay): soon, if other replays hold it; else
      // only once memory is freed (a cache evicted, states thinned).
      HttpResponse later = *response;
      later.headers.emplace_back(
          "Retry-After", server_.service_->replays_running() > 0 ? "2" : "30");
      response = Shared(std::move(later));
    }
    net::post(stream_.get_executor(),
              [self = shared_from_this(), response = std::move(response)] {
                self->Send(response);
              });
  }

  // Runs a write handler (on the write pool); its answer, given exactly
  // once by whichever thread the handler calls back on (this one for a
  // refusal, the ledger's writer once the append is durable), is posted to
  // the connection.
  void RespondToWrite(const HttpRequest& request) {
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto respond = [self = shared_from_this(), answered](HttpResponse r) {
      if (answered->exchange(true)) return;
      net::post(
          self->stream_.get_executor(),
          [self, response = Shared(std::move(r))] { self->Send(response); });
    };
    try {
      HandleWriteAsync(*server_.service_, request, respond);
      return;
    } catch (const kj::Exception& e) {
      // Handlers return errors as values; this is a bug, not a crash.
      respond(ErrorResponse(500, "internal", ledger::DescribeException(e)));
    } catch (const std::exception& e) {
      respond(ErrorResponse(500, "internal", ledger::PrintableAscii(e.what())));
    } catch (...) {
      respond(ErrorResponse(500, "internal", "unexpected exception"));
    }
  }

  // A request that needs a replay: within its address's replay budget
  // (else 429) and the replay pool's queue (else 503), it is answered from
  // the replay pool.
  void AdmitReplay(HttpRequest request) {
    int64_t retry_after_ms = 0;
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count();
    HttpResponse refusal;
    if (!server_.replay_limiter_.Allow(client_address_, now_ms,
                                       &retry_after_ms)) {
      refusal = ErrorResponse(
          429, kErrorRateLimited,
          "too many past states (as_of, diff) asked for by this address; "
          "try again later");
      const int64_t seconds =
          std::max<int64_t>(1, (retry_after_ms + 999) / 1000);
      refusal.headers.emplace_back("Retry-After", std::to_string(seconds));
    } else if (server_.replay_pool_.TrySubmit(
                   [self = shared_from_this(), request]() mutable {
                     self->Respond(request, /*replayed=*/true);
                   })) {
      return;
    } else {
      refusal = ErrorResponse(
          503, "unavailable",
          "the server is rebuilding as many past states (as_of, diff) as it "
          "allows at once; try again shortly");
      refusal.headers.emplace_back("Retry-After", "1");
    }
    net::post(stream_.get_executor(), [self = shared_from_this(),
                                       refusal = std::move(refusal)]() mutable {
      self->Send(std::move(refusal));
    });
  }

  static std::shared_ptr<const HttpResponse> Shared(HttpResponse r) {
    return std::make_shared<const HttpResponse>(std::move(r));
  }

  // The response's head and body as Beast writes them (see BuildWire).
  // The caller keeps `r` alive until the write completes.
  Wire Build(const HttpResponse& r, unsigned version) {
    if (r.stream_head) keep_alive_ = false;
    return BuildWire(r, version, keep_alive_ && !server_.stopping_.load(),
                     head_);
  }

  // Writes the answer to a request counted by Server::Impl::Enter.
  void Send(HttpResponse r) { Send(Shared(std::move(r))); }
  void Send(std::shared_ptr<const HttpResponse> r) {
    Write(std::move(r), version_, true);
  }
  // Answers a request that could not be read, then closes.
  void SendUncounted(HttpResponse r, unsigned version) {
    keep_alive_ = false;
    Write(Shared(std::move(r)), version, false);
  }

  void Write(std::shared_ptr<const HttpResponse> r, unsigned version,
             bool counted) {
    // A kept answer's head was serialized once (WireHead): when this
    // exchange is the one it was serialized for, the head and the body are
    // written as they are, without building and serializing the head again.
    if (!r->wire_head.empty() && version == 11 && !head_ && keep_alive_ &&
        !r->stream_head && !server_.stopping_.load()) {
      const std::array<net::const_buffer, 2> buffers{net::buffer(r->wire_head),
                                                     net::buffer(r->body)};
      stream_.expires_after(server_.options_.write_timeout);
      // All that is left in each write, as Beast's serializer hands it to
      // the socket: Asio's default condition writes at most 64 KiB at a
      // time, and every piece after the first waits its turn behind the
      // other connections (158 KB plain answers: 3.7x the p99).
      const size_t total = r->wire_head.size() + r->body.size();
      auto rest = [total](const error_code& ec, std::size_t written) {
        return ec ? std::size_t{0} : total - written;
      };
      net::async_write(stream_, buffers, rest,
                       [self = shared_from_this(), r = std::move(r), counted](
                           error_code ec, std::size_t) {
                         if (counted) self->server_.Leave();
                         if (ec) return self->Close();
                         self->DoRead();
                       });
      return;
    }
    auto res = std::make_shared<Wire>(Build(*r, version));
    stream_.expires_after(server_.options_.write_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, r = std::move(r),
                       counted](error_code ec, std::size_t) {
                        if (counted) self->server_.Leave();
                        if (ec || !res->keep_alive()) return self->Close();
                        self->DoRead();
                      });
  }

  // Half-closes, then reads and discards what the client still sends until
  // it closes too (or a short timeout): closing with unread input would send
  // a reset that can destroy the response we just wrote.
  void Close() {
    EndStreaming();
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      stream_.socket().close(ec);
      return;
    }
    Drain();
  }

  void Drain() {
    if (!drain_) drain_ = std::make_unique<std::array<char, 4096>>();
    stream_.expires_after(std::chrono::seconds(2));
    stream_.async_read_some(
        net::buffer(*drain_),
        [self = shared_from_this()](error_code ec, std::size_t) {
          if (!ec) return self->Drain();
          error_code ignored;
          self->stream_.socket().close(ignored);
        });
  }

  // --- Server-Sent Events -------------------------------------------------
  //
  // A stream pulls the events of published entries from the shared feed
  // (event_feed.h: formatted once for every stream) and writes them; when
  // it has sent everything published, it waits for the next publication or
  // the heartbeat. A publication wakes only the streams that wait; a stream
  // still writing whose client has not taken more than
  // ServerOptions::event_backlog published events is closed instead of
  // being waited for (the client reconnects with Last-Event-ID). A client
  // resuming from further back reads at its own pace, and counts as live
  // (subject to the bound) once it has caught up.

  void EndStreaming() {
    if (subscription_ != 0) {
      server_.RemoveStream(subscription_);
      subscription_ = 0;
    }
    if (streaming_) {
      streaming_ = false;
      server_.StreamEnded();
    }
  }

  void StartEvents(const HttpRequest& request) {
    auto start = EventStreamStart(*server_.service_, request);
    if (!start.ok()) {
      server_.Enter();
      return Send(StatusResponse(start.status()));
    }
    if (server_.event_streams_.fetch_add(1) >=
        server_.options_.max_event_streams) {
      server_.event_streams_.fetch_sub(1);
      server_.Enter();
      return Send(ErrorResponse(503, "unavailable",
                                "too many event streams; try again later"));
    }
    streaming_ = true;
    next_event_ = *start;
    timer_.emplace(stream_.get_executor());
    error_code ignored;
    stream_.socket().set_option(
        net::socket_base::send_buffer_size(
            static_cast<int>(server_.options_.event_send_buffer)),
        ignored);
    state_ = std::make_shared<EventStreamState>();
    state_->written = next_event_;
    state_->session = weak_from_this();
    state_->executor = stream_.get_executor();
    subscription_ = server_.AddStream(state_);
    events_head_ = std::make_shared<http::response<http::empty_body>>(
        http::status::ok, version_);
    events_head_->set(http::field::server, "piaojue");
    events_head_->set(http::field::content_type, "text/event-stream");
    events_head_->set(http::field::cache_control, "no-store");
    events_head_->set(http::field::access_control_allow_origin, "*");
    events_head_->set("X-Accel-Buffering", "no");
    events_head_->keep_alive(false);
    events_head_->chunked(true);
    events_serializer_ =
        std::make_shared<http::response_serializer<http::empty_body>>(
            *events_head_);
    stream_.expires_after(server_.options_.write_timeout);
    http::async_write_header(
        stream_, *events_serializer_,
        [self = shared_from_this()](error_code ec, std::size_t) {
          if (ec) return self->CloseStream();
          self->WatchPeer();
          // Tell EventSource clients how soon to reconnect.
          static const EventFeed::Chunk retry =
              EventFeed::MakeChunk("retry: 2000\n\n");
          self->WriteChunks({retry});
        });
  }

  // A client never sends anything on its stream: a read that ends means it
  // went away, and its place (max_event_streams) is freed at once rather
  // than at the next write.
  void WatchPeer() {
    stream_.socket().async_read_some(
        net::buffer(watch_),
        [self = shared_from_this()](error_code ec, std::size_t) {
          if (!ec) return self->WatchPeer();
          self->CloseStream();
        });
  }

  // Sends every published entry not yet sent, then waits for the next
  // publication (or the heartbeat). Runs on the connection's strand.
  void PumpEvents() {
    if (!stream_.socket().is_open()) return;
    if (server_.stopping_.load()) return EndEvents();
    const uint64_t published = server_.service_->published_size();
    const uint64_t backlog = server_.options_.event_backlog;
    if (next_event_ < published) {
      const size_t batch =
          static_cast<size_t>(std::clamp<uint64_t>(backlog / 2, 1, 64));
      std::vector<EventFeed::Chunk> chunks;
      auto end =
          server_.event_feed_->Read(next_event_, published, batch, &chunks);
      if (!end.ok()) {
        std::cerr << "piaojue serve: event stream: " << end.status().ToString()
                  << "\n";
        return CloseStream();
      }
      next_event_ = *end;
      return WriteChunks(std::move(chunks));
    }
    // Caught up: from now on it must keep up.
    state_->live.store(true);
    // Announce the wait before the last look at the size: a publication
    // after it posts a wake-up (cancelling the timer armed below, since the
    // post runs after this handler); one before it is seen here.
    state_->waiting.store(true);
    if (server_.service_->published_size() > next_event_ &&
        state_->waiting.exchange(false)) {
      return net::post(stream_.get_executor(),
                       [self = shared_from_this()] { self->PumpEvents(); });
    }
    timer_->expires_after(server_.options_.event_heartbeat);
    timer_->async_wait([self = shared_from_this()](error_code ec) {
      if (ec == net::error::operation_aborted) return self->PumpEvents();
      self->state_->waiting.store(false);
      // A comment line: ignored by clients, keeps the connection alive and
      // finds clients that went away.
      static const EventFeed::Chunk keep_alive =
          EventFeed::MakeChunk(": keep-alive\n\n");
      self->WriteChunks({keep_alive});
    });
  }

  // Writes the chunks (shared with other streams, hence gathered rather
  // than copied), then pumps again.
  void WriteChunks(std::vector<EventFeed::Chunk> chunks) {
    auto held =
        std::make_shared<std::vector<EventFeed::Chunk>>(std::move(chunks));
    std::vector<net::const_buffer> buffers;
    buffers.reserve(held->size());
    for (const auto& c : *held) buffers.push_back(net::buffer(*c));
    stream_.expires_after(server_.options_.write_timeout);
    net::async_write(stream_, buffers,
                     [self = shared_from_this(), held, through = next_event_](
                         error_code ec, std::size_t) {
                       if (ec) return self->CloseStream();
                       self->state_->written.store(through);
                       self->PumpEvents();
                     });
  }

 public:
  // From the fan-out pass: a publication while the stream waited.
  void WakeEvents() {
    if (timer_) timer_->cancel();
  }

  // From the fan-out pass: this stream's client was more than event_backlog
  // events behind while its write was still pending.
  void DropSlowStream() {
    if (!streaming_ || !stream_.socket().is_open()) return;
    if (server_.service_->published_size() - state_->written.load() <=
        server_.options_.event_backlog) {
      state_->drop_posted.store(false);  // it caught up meanwhile
      return;
    }
    server_.event_streams_dropped_.fetch_add(1);
    CloseStream();
  }

 private:
  void EndEvents() {
    static const std::string last = "0\r\n\r\n";
    stream_.expires_after(server_.options_.write_timeout);
    net::async_write(stream_, net::buffer(last),
                     [self = shared_from_this()](error_code, std::size_t) {
                       self->CloseStream();
                     });
  }

  // Ends a stream: what was written is flushed by the kernel before the
  // FIN (the client sent nothing that is left unread, so no reset).
  void CloseStream() {
    EndStreaming();
    if (timer_) timer_->cancel();
    error_code ignored;
    if (!stream_.socket().is_open()) return;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string client_address_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;

  std::unique_ptr<std::array<char, 4096>> drain_;

  bool streaming_ = false;
  uint64_t subscription_ = 0;
  uint64_t next_event_ = 0;
  std::shared_ptr<EventStreamState> state_;
  std::array<char, 256> watch_;
  std::optional<net::steady_timer> timer_;
  std::shared_ptr<http::response<http::empty_body>> events_head_;
  std::shared_ptr<http::response_serializer<http::empty_body>>
      events_serializer_;
};

}  // namespace

void Server::Impl::WakeStreams() {
  // Cleared before the size is read: a publication after this point
  // schedules another pass.
  last_fanout_.store(
      std::chrono::steady_clock::now().time_since_epoch().count());
  fanout_pending_.store(false);
  const uint64_t published = service_->published_size();
  const uint64_t backlog = options_.event_backlog;
  std::lock_guard<std::mutex> lock(streams_mu_);
  for (auto& [token, state] : streams_) {
    if (state->waiting.exchange(false)) {
      net::post(state->executor, [state = state] {
        if (auto session = state->session.lock()) session->WakeEvents();
      });
      continue;
    }
    const uint64_t written = state->written.load();
    if (state->live.load() && written < published &&
        published - written > backlog && !state->drop_posted.exchange(true)) {
      net::post(state->executor, [state = state] {
        if (auto session = state->session.lock()) session->DropSlowStream();
      });
    }
  }
}

Status Server::Impl::Listen() {
  error_code ec;
  const auto address = net::ip::make_address(options_.address, ec);
  if (ec) {
    return InvalidArgument("\"" + options_.address + "\" is not an IP address");
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + options_.address + ":" +
                       std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_->local_endpoint().port();
  return Status::Ok();
}

void Server::Impl::StartThreads() {
  work_.emplace(ioc_->get_executor());
  accept_timer_.emplace(ioc_->get_executor());
  DoAccept();
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    io_threads_.emplace_back([this] { ioc_->run(); });
  }
}

void Server::Impl::DoAccept() {
  acceptor_->async_accept(
      net::make_strand(*ioc_),
      beast::bind_front_handler(&Server::Impl::OnAccept, this));
}

void Server::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;
  if (ec) {
    if (std::optional<std::chrono::milliseconds> wait =
            accept_backoff_.Failed(ec)) {
      accept_timer_->expires_after(*wait);
      accept_timer_->async_wait([this](error_code timer_ec) {
        if (timer_ec || stopping_.load()) return;
        DoAccept();
      });
      return;
    }
    // Any other error concerns one connection (e.g. reset before it was
    // taken): go on with the next.
  } else {
    accept_backoff_.Accepted();
    if (connections_.load() < max_connections_) {
      std::make_shared<HttpSession>(std::move(socket), *this)->Run();
    } else if (refusals_.load() < kMaxRefusals) {
      std::make_shared<Refusal>(std::move(socket), *this)->Run();
    }
    // Otherwise the socket is closed here at once: answering holds a
    // descriptor for up to 250 ms, and refusals are bounded too.
  }
  DoAccept();
}

void Server::Impl::Shutdown() {
  std::lock_guard<std::mutex> once(shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  stopping_.store(true);
  if (ioc_ == nullptr) return;  // never started
  // Stop accepting, on the I/O threads where the acceptor lives, and wait for
  // it: a listening socket left open would keep taking connections.
  std::promise<void> closed;
  net::post(*ioc_, [this, &closed] {
    error_code ec;
    acceptor_->close(ec);
    if (accept_timer_) accept_timer_->cancel();
    closed.set_value();
  });
  if (!io_threads_.empty()) closed.get_future().wait();
  if (service_ != nullptr) service_->WakeSubscribers();  // end event streams
  {
    std::unique_lock<std::mutex> lock(idle_mu_);
    idle_cv_.wait_for(lock, options_.shutdown_grace, [this] {
      return in_flight_.load() == 0 && event_streams_.load() == 0;
    });
  }
  // Appends still running (after the grace) finish before the ledger closes;
  // none can start now. Their answers are posted to the connections while
  // the io_context still exists (written if its threads still run).
  if (service_ != nullptr) {
    service_->BeginShutdown();
    service_->WaitForAppends();
  }
  work_.reset();
  ioc_->stop();
  for (std::thread& t : io_threads_) t.join();
  io_threads_.clear();
  read_pool_.join();
  replay_pool_.Stop();
  write_pool_.join();
  if (service_ != nullptr) service_->Unsubscribe(publish_subscription_);
  // Idle keep-alive connections are closed with their io_context.
  accept_timer_.reset();
  acceptor_.reset();
  ioc_.reset();
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::ReplayStats Server::replay_stats() const {
  const ReplayPool::Counters c = impl_->replay_pool_.counters();
  ReplayStats r;
  r.accepted = c.accepted;
  r.refused = c.refused;
  r.max_running = c.max_running;
  if (impl_->service_ != nullptr) {
    r.max_entries = impl_->service_->replay_counters().max_entries;
  }
  return r;
}

Server::~Server() { Shutdown(); }

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  ServiceOptions so;
  so.data_dir = impl->options_.data_dir;
  so.checkpoint_delay = impl->options_.checkpoint_delay;
  so.intake_burst = impl->options_.intake_burst;
  so.intake_per_minute = impl->options_.intake_per_minute;
  so.intake_global_burst = impl->options_.intake_global_burst;
  so.intake_global_per_minute = impl->options_.intake_global_per_minute;
  so.snapshot_every = impl->options_.snapshot_every;
  so.view_max_age = impl->options_.view_max_age;
  so.store_hooks.env = impl->options_.store_env;
  so.store_hooks.on_group = impl->options_.on_group;
  so.past_states_every = impl->options_.past_states_every;
  so.past_states_budget_mib = impl->options_.past_states_budget_mib;
  so.as_of_cache_bytes = impl->options_.as_of_cache_mib << 20;
  impl->max_connections_ = impl->options_.max_connections;
  if (impl->max_connections_ == 0) {
    rlimit limit{};
    rlim_t files = 1024;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
        limit.rlim_cur != RLIM_INFINITY) {
      files = limit.rlim_cur;
    }
    // Three quarters of the limit, and at least 128 below it: the store
    // keeps its table files open, and the process has its own files.
    const size_t limit_files = static_cast<size_t>(files);
    impl->max_connections_ = std::max<size_t>(
        16, std::min(limit_files / 4 * 3,
                     limit_files > 128 ? limit_files - 128 : 0));
  }
  for (const std::string& flag : impl->options_.witnesses) {
    ASSIGN_OR_RETURN(witness::Endpoint e, witness::ParseEndpoint(flag));
    so.witnesses.push_back(std::move(e));
  }
  so.witness_grace = impl->options_.witness_grace;
  ASSIGN_OR_RETURN(impl->service_, Service::Open(std::move(so)));
  impl->event_feed_ = std::make_unique<EventFeed>(impl->service_->ledger(),
                                                  impl->options_.event_backlog);
  impl->publish_subscription_ = impl->service_->Subscribe(
      [server = impl.get()] { server->OnPublished(); });
  RETURN_IF_ERROR(impl->Listen());
  std::cerr << "piaojue serve: " + impl->service_->StartupSummary() + "\n";
  impl->StartThreads();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const { return impl_->port_; }
size_t Server::max_connections() const { return impl_->max_connections_; }
Server::Stats Server::stats() const {
  Stats s;
  s.event_streams = impl_->event_streams_.load();
  s.events_formatted = impl_->event_feed_->formatted();
  s.event_streams_dropped = impl_->event_streams_dropped_.load();
  return s;
}
const std::string& Server::origin() const { return impl_->service_->origin(); }
const std::string& Server::verifier_key() const {
  return impl_->service_->verifier_key();
}

void Server::Shutdown() { impl_->Shutdown(); }

void Server::WaitForSignal(const std::function<void()>& on_ready) {
  net::io_context signals_ioc;
  net::signal_set signals(signals_ioc, SIGINT, SIGTERM);
  signals.async_wait([](error_code, int) {});
  if (on_ready) on_ready();
  signals_ioc.run();
  Shutdown();
}

Status ParseListenAddress(std::string_view text, ServerOptions* options) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("--listen expects HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  // No name resolution: the one name everyone means is the loopback.
  if (host == "localhost") host = "127.0.0.1";
  std::optional<uint64_t> port = ParseDecimal(text.substr(colon + 1));
  if (!port || *port > 65535) {
    return InvalidArgument("--listen: \"" +
                           std::string(text.substr(colon + 1)) +
                           "\" is not a port number");
  }
  error_code ec;
  net::ip::make_address(std::string(host), ec);
  if (ec) {
    return InvalidArgument("--listen: \"" + std::string(host) +
                           "\" is not an IP address");
  }
  options->address = std::string(host);
  options->port = static_cast<uint16_t>(*port);
  return Status::Ok();
}

Status Serve(const ServerOptions& options, std::ostream& out) {
  ASSIGN_OR_RETURN(std::unique_ptr<Server> server, Server::Start(options));
  const bool v6 = options.address.find(':') != std::string::npos;
  server->WaitForSignal([&] {
    out << "piaojue: serving " << server->origin() << " on http://"
        << (v6 ? "[" + options.address + "]" : options.address) << ":"
        << server->port() << "\n"
        << "verifier key: " << server->verifier_key() << "\n";
    for (const std::string& flag : options.witnesses) {
      // Start has parsed every flag already.
      auto e = witness::ParseEndpoint(flag);
      if (e.ok()) {
        out << "witness: " << e->key.name << " at " << e->url << "\n";
      }
    }
    out << "stop with Ctrl-C or SIGTERM" << std::endl;
  });
  out << "piaojue: stopped; every acknowledged write is durable" << std::endl;
  return Status::Ok();
}

}  // namespace piaojue::server
