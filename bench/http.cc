// piaojue-bench http --data DIR --clients C --seconds S [--mode M]
//
// `piaojue serve` on DIR in this process (server::Server, the same code as
// the command), driven over loopback by C keep-alive connections:
//  - writes: POST /v1/entries of pre-signed proposals (workload.h) for S
//    seconds, the C connections driven by one client thread with
//    asynchronous I/O (as wrk does); each is acknowledged only once durable;
//  - reads: for S/3 seconds each, GET /tlog/checkpoint, a typical view and
//    an inclusion proof of a random entry at the current tree size. The
//    typical view is what the portal's proposals page fetches first: the
//    first page of the funnel of the cycle with the most proposals in the
//    ledger before the run (a county's, in a generated province), asked
//    for with Accept-Encoding: gzip as every browser asks (`view_*`), and
//    again without it (`view_plain_*`);
//  - with --sse N, the writes once more with N listeners on GET /v1/events
//    (sse_append_*; sse_append_ratio = the rate with them / without).
#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "api/server/server.h"
#include "bench/verbs.h"
#include "bench/workload.h"
#include "ledger/crypto.h"
#include "ledger/ledger.h"

namespace piaojue::bench {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// One keep-alive connection, used by one thread.
class Connection {
 public:
  // From 127.0.0.1, or from `source` (another loopback address, so that
  // the server's per-address limits see another client).
  explicit Connection(uint16_t port, const std::string& source = "")
      : stream_(ioc_) {
    if (!source.empty()) {
      stream_.socket().open(tcp::v4());
      stream_.socket().bind(
          tcp::endpoint(boost::asio::ip::make_address(source), 0));
    }
    stream_.connect(
        tcp::endpoint(boost::asio::ip::address_v4::loopback(), port));
  }
  // The response's status code; 0 when the exchange failed. `gzip`: ask
  // for a compressed answer, as browsers do. The answer is kept until the
  // next exchange (response()).
  unsigned Exchange(http::verb verb, const std::string& target,
                    const std::string& body = "", bool gzip = false) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (gzip) req.set(http::field::accept_encoding, "gzip, deflate, br");
    req.keep_alive(true);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    beast::error_code ec;
    http::write(stream_, req, ec);
    if (ec) return 0;
    res_ = {};
    http::read(stream_, buffer_, res_, ec);
    if (ec) return 0;
    return res_.result_int();
  }
  const http::response<http::string_body>& response() const { return res_; }

 private:
  boost::asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::response<http::string_body> res_;
};

// The typical view (see the top of this file): the first page of the
// funnel of the cycle with the most proposals among those of the ledger
// before the run (refs below `size_found`), else `fallback`. Its target,
// and into `out` what was chosen and the answer's bytes plain and gzipped.
Result<std::string> TypicalView(uint16_t port, uint64_t size_found,
                                uint64_t fallback, nlohmann::json& out) {
  Connection c(port);
  if (c.Exchange(http::verb::get, "/v1/cycles?limit=1000") != 200) {
    return Internal("GET /v1/cycles failed");
  }
  const nlohmann::json cycles =
      nlohmann::json::parse(c.response().body(), nullptr, false);
  if (!cycles.is_object() || !cycles["cycles"].is_array()) {
    return Internal("GET /v1/cycles: not the cycles view");
  }
  uint64_t best = fallback, most = 0;
  for (const auto& cycle : cycles["cycles"]) {
    const uint64_t ref = cycle.value("ref", uint64_t{0});
    if (ref >= size_found) continue;
    const std::string target =
        "/v1/cycles/" + std::to_string(ref) + "/funnel?limit=1";
    if (c.Exchange(http::verb::get, target) != 200) {
      return Internal("GET " + target + " failed");
    }
    const nlohmann::json funnel =
        nlohmann::json::parse(c.response().body(), nullptr, false);
    const uint64_t submitted =
        funnel.is_object() ? funnel["totals"].value("submitted", uint64_t{0})
                           : 0;
    if (submitted > most) {
      best = ref;
      most = submitted;
    }
  }
  const std::string view = "/v1/cycles/" + std::to_string(best) + "/funnel";
  if (c.Exchange(http::verb::get, view) != 200) {
    return Internal("GET " + view + " failed");
  }
  out["view_target"] = view;
  out["view_cycle_proposals"] =
      nlohmann::json::parse(c.response().body(), nullptr, false)["totals"]
          .value("submitted", uint64_t{0});
  out["view_plain_bytes"] = c.response().body().size();
  if (c.Exchange(http::verb::get, view, "", /*gzip=*/true) != 200) {
    return Internal("GET " + view + " (gzip) failed");
  }
  out["view_bytes"] = c.response().body().size();
  out["view_encoding"] =
      std::string(c.response()[http::field::content_encoding]);
  return view;
}

struct Phase {
  uint64_t requests = 0;
  uint64_t failures = 0;
  unsigned first_bad_status = 0;
  double seconds = 0;
  std::vector<double> latencies;
};

// Runs `clients` connections, each calling `next(connection, i)` (which
// returns whether the request succeeded) until `seconds` pass or `next`
// returns nullopt (no more work).
Phase RunPhase(uint16_t port, int clients, double seconds,
               const std::function<std::optional<unsigned>(Connection&)>& next,
               bool distinct_sources = false) {
  Phase phase;
  std::mutex mu;
  const Clock::time_point start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int c = 0; c < clients; ++c) {
    pool.emplace_back([&, c] {
      Connection connection(port, distinct_sources
                                      ? "127.0.0." + std::to_string(2 + c % 250)
                                      : std::string());
      std::vector<double> latencies;
      uint64_t failures = 0;
      unsigned bad = 0;
      while (Clock::now() < deadline) {
        const Clock::time_point a = Clock::now();
        std::optional<unsigned> status = next(connection);
        if (!status) break;
        latencies.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - a)
                .count());
        if (*status < 200 || *status >= 300) {
          ++failures;
          if (bad == 0) bad = *status;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      phase.requests += latencies.size();
      phase.failures += failures;
      if (phase.first_bad_status == 0) phase.first_bad_status = bad;
      phase.latencies.insert(phase.latencies.end(), latencies.begin(),
                             latencies.end());
    });
  }
  for (auto& th : pool) th.join();
  phase.seconds = SecondsSince(start);
  return phase;
}

// The write phases' clients: `clients` keep-alive connections driven by one
// thread with asynchronous I/O, as wrk drives its connections. A thread per
// connection blocked on each answer (RunPhase) made the benchmark's own
// context switches — 64 client threads on two cores — a large part of what
// an append measured. Each connection posts bodies[next++] until `seconds`
// pass or the bodies run out.
class WriteClients {
 public:
  WriteClients(uint16_t port, int clients,
               const std::vector<std::string>& bodies,
               std::atomic<size_t>& next)
      : bodies_(bodies), next_(next) {
    for (int c = 0; c < clients; ++c) {
      auto conn = std::make_unique<Conn>(ioc_);
      conn->stream.connect(
          tcp::endpoint(boost::asio::ip::address_v4::loopback(), port));
      conns_.push_back(std::move(conn));
    }
  }

  Phase Run(double seconds) {
    start_ = Clock::now();
    deadline_ = start_ + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(seconds));
    for (auto& c : conns_) Post(c.get());
    ioc_.run();
    phase_.seconds = SecondsSince(start_);
    return std::move(phase_);
  }

 private:
  struct Conn {
    explicit Conn(boost::asio::io_context& ioc) : stream(ioc) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    std::optional<http::response<http::string_body>> res;
    Clock::time_point sent;
  };

  void Post(Conn* c) {
    if (Clock::now() >= deadline_) return;
    const size_t i = next_.fetch_add(1);
    if (i >= bodies_.size()) return;
    c->req =
        http::request<http::string_body>{http::verb::post, "/v1/entries", 11};
    c->req.set(http::field::host, "127.0.0.1");
    c->req.set(http::field::content_type, "application/json");
    c->req.keep_alive(true);
    c->req.body() = bodies_[i];
    c->req.prepare_payload();
    c->sent = Clock::now();
    http::async_write(
        c->stream, c->req, [this, c](beast::error_code ec, std::size_t) {
          if (ec) return Failed(0);
          c->res.emplace();
          http::async_read(c->stream, c->buffer, *c->res,
                           [this, c](beast::error_code rec, std::size_t) {
                             if (rec) return Failed(0);
                             Done(c);
                           });
        });
  }

  void Done(Conn* c) {
    phase_.latencies.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - c->sent)
            .count());
    ++phase_.requests;
    const unsigned status = c->res->result_int();
    if (status < 200 || status >= 300) Failed(status);
    Post(c);
  }

  void Failed(unsigned status) {
    ++phase_.failures;
    if (phase_.first_bad_status == 0) phase_.first_bad_status = status;
  }

  const std::vector<std::string>& bodies_;
  std::atomic<size_t>& next_;
  boost::asio::io_context ioc_;
  std::vector<std::unique_ptr<Conn>> conns_;
  Clock::time_point start_, deadline_;
  Phase phase_;
};

// N listeners on GET /v1/events, read by one thread with asynchronous
// reads (so the listeners cost the machine little besides the server's
// side): counts the entry events each receives and the streams the server
// closed.
class Listeners {
 public:
  Listeners(uint16_t port, int count) {
    for (int i = 0; i < count; ++i) {
      auto l = std::make_unique<Listener>(ioc_);
      l->socket.connect(
          tcp::endpoint(boost::asio::ip::address_v4::loopback(), port));
      const std::string req =
          "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          "Accept: text/event-stream\r\n\r\n";
      boost::asio::write(l->socket, boost::asio::buffer(req));
      Read(l.get());
      listeners_.push_back(std::move(l));
    }
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~Listeners() {
    ioc_.stop();
    thread_.join();
  }
  // The fewest entry events any listener has received, and how many were
  // closed by the server. Call after the run (reads the counters without
  // the reading thread's help, hence atomics).
  uint64_t min_events() const {
    uint64_t m = UINT64_MAX;
    for (const auto& l : listeners_) m = std::min<uint64_t>(m, l->events);
    return listeners_.empty() ? 0 : m;
  }
  int closed() const {
    int n = 0;
    for (const auto& l : listeners_) n += l->closed ? 1 : 0;
    return n;
  }

 private:
  struct Listener {
    explicit Listener(boost::asio::io_context& ioc) : socket(ioc) {}
    tcp::socket socket;
    std::array<char, 16384> buf;
    std::string tail;  // the end of the previous read (split markers)
    std::atomic<uint64_t> events{0};
    std::atomic<bool> closed{false};
  };

  void Read(Listener* l) {
    l->socket.async_read_some(
        boost::asio::buffer(l->buf),
        [this, l](beast::error_code ec, std::size_t n) {
          if (ec) {
            l->closed = true;
            return;
          }
          static constexpr std::string_view kMarker = "\nevent: entry\n";
          const std::string_view data(l->buf.data(), n);
          uint64_t found = 0;
          // A marker split between the previous read and this one.
          std::string seam = l->tail;
          seam.append(data.substr(0, std::min(n, kMarker.size() - 1)));
          if (seam.find(kMarker) != std::string::npos) ++found;
          for (size_t at = data.find(kMarker); at != std::string_view::npos;
               at = data.find(kMarker, at + kMarker.size())) {
            ++found;
          }
          l->events += found;
          // Keep less than a marker, so none is counted twice.
          const size_t keep = std::min(n, kMarker.size() - 1);
          l->tail.assign(data.substr(n - keep));
          Read(l);
        });
  }

  boost::asio::io_context ioc_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::thread thread_;
};

void Report(nlohmann::json& out, const std::string& name, Phase phase) {
  out[name + "_requests"] = phase.requests;
  out[name + "_per_s"] = phase.requests / phase.seconds;
  out[name + "_failures"] = phase.failures;
  AddPercentiles(out, Summarise(std::move(phase.latencies)), name + "_");
}

}  // namespace

int RunHttp(const HttpArgs& args) {
  const std::string verb = "http";
  const bool writes = args.mode == "writes" || args.mode == "both";
  const bool reads = args.mode == "reads" || args.mode == "both";
  if (!writes && !reads) return Fail(verb, "--mode is writes, reads or both");
  if (args.clients < 1 || args.seconds <= 0) {
    return Fail(verb, "--clients and --seconds must be positive");
  }
  if (Status s = crypto::InitCrypto(); !s.ok()) return Fail(verb, s.ToString());
  if (Status s = EnsureLedger(args.data); !s.ok())
    return Fail(verb, s.ToString());

  // Before the clock: cycles to submit to, and the proposals signed.
  Result<Intake> intake = Internal("unset");
  uint64_t size_before = 0;
  uint64_t size_found = 0;  // before the run's own counties and cycles
  {
    auto session = cli::Session::Open(cli::DataDir(args.data));
    if (!session.ok()) return Fail(verb, session.status().ToString());
    size_found = (*session)->ledger().size();
    intake = OpenIntake(**session, 16);
    if (!intake.ok()) return Fail(verb, intake.status().ToString());
    size_before = (*session)->ledger().size();
    if (Status s = (*session)->SaveSnapshot(); !s.ok()) {
      return Fail(verb, s.ToString());
    }
  }
  std::vector<std::string> bodies;
  if (writes) {
    const size_t count =
        static_cast<size_t>(args.seconds * 15000 * (args.sse > 0 ? 2 : 1)) +
        1000;
    auto events = SignProposals(*intake, count);
    if (!events.ok()) return Fail(verb, events.status().ToString());
    bodies.reserve(count);
    for (const auto& e : *events) {
      nlohmann::json body;
      body["authored"] = crypto::Base64Encode(crypto::AsBytes(e.authored));
      body["signature"] = crypto::Base64Encode(crypto::AsBytes(e.signature));
      bodies.push_back(body.dump());
    }
  }

  server::ServerOptions options;
  options.data_dir = args.data;
  options.port = 0;
  if (args.write_threads > 0) options.write_threads = args.write_threads;
  GroupRecorder groups;  // the ledger writer's groups, per write phase
  options.on_group = [&groups](const ledger::GroupStats& g) {
    groups.Record(g);
  };
  options.max_event_streams =
      std::max<size_t>(options.max_event_streams, args.sse);
  if (args.replay_burst > 0) options.replay_burst = args.replay_burst;
  if (args.replay_per_minute > 0) {
    options.replay_per_minute = args.replay_per_minute;
  }
  auto server = server::Server::Start(options);
  if (!server.ok()) return Fail(verb, server.status().ToString());
  const uint16_t port = (*server)->port();

  nlohmann::json out;
  out["verb"] = verb;
  out["clients"] = args.clients;
  out["write_threads"] = options.write_threads;
  out["log_size_before"] = size_before;
  if (writes) {
    std::atomic<size_t> next{0};
    auto append_phase = [&] {
      return WriteClients(port, args.clients, bodies, next).Run(args.seconds);
    };
    auto failed = [&](const Phase& phase) {
      return Fail(verb, std::to_string(phase.failures) +
                            " appends failed; the first with HTTP status " +
                            std::to_string(phase.first_bad_status));
    };
    Phase phase = append_phase();
    if (phase.failures > 0) return failed(phase);
    const double plain_per_s = phase.requests / phase.seconds;
    Report(out, "append", std::move(phase));
    groups.Report(out, "append_");
    if (args.sse > 0) {
      // The same writes again, now with N listeners receiving each entry.
      Listeners listeners(port, args.sse);
      Phase with = append_phase();
      if (with.failures > 0) return failed(with);
      const uint64_t appended = with.requests;
      out["sse_listeners"] = args.sse;
      out["sse_append_ratio"] = (with.requests / with.seconds) / plain_per_s;
      Report(out, "sse_append", std::move(with));
      groups.Report(out, "sse_append_");
      // Let the streams deliver the last events before counting.
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      out["sse_min_events_received"] = listeners.min_events();
      out["sse_events_expected"] = appended;
      out["sse_listeners_closed"] = listeners.closed();
      const server::Server::Stats stats = (*server)->stats();
      out["sse_events_formatted"] = stats.events_formatted;
      out["sse_streams_dropped"] = stats.event_streams_dropped;
    }
  }
  if (reads) {
    const double each = args.seconds / 3;
    Report(out, "checkpoint",
           RunPhase(port, args.clients, each,
                    [](Connection& c) -> std::optional<unsigned> {
                      return c.Exchange(http::verb::get, "/tlog/checkpoint");
                    }));
    auto typical = TypicalView(port, size_found, intake->cycles[0], out);
    if (!typical.ok()) return Fail(verb, typical.status().ToString());
    const std::string view = *typical;
    auto read_view = [&](Connection& c) -> std::optional<unsigned> {
      return c.Exchange(http::verb::get, view, "", /*gzip=*/true);
    };
    Report(out, "view", RunPhase(port, args.clients, each, read_view));
    Report(out, "view_plain",
           RunPhase(port, args.clients, each,
                    [&](Connection& c) -> std::optional<unsigned> {
                      return c.Exchange(http::verb::get, view);
                    }));
    if (args.asof_clients > 0) {
      // A normal read's latency alone, then again while other clients ask
      // for distinct past states (issue 14): each as_of below the log's
      // size that no one asked for yet needs a replay.
      Phase quiet = RunPhase(port, args.clients, each, read_view);
      std::atomic<uint64_t> next_at{0};
      std::atomic<uint64_t> answered{0}, limited{0}, busy{0}, other{0};
      std::mutex asof_mu;
      std::vector<double> asof_latencies;
      Phase busy_phase;
      std::thread asof([&] {
        RunPhase(
            port, args.asof_clients, each,
            [&](Connection& c) -> std::optional<unsigned> {
              // Distinct sizes, spread over the log by a stride prime to it.
              const uint64_t at =
                  1 + (next_at.fetch_add(1) * 7919) % (size_before - 1);
              const Clock::time_point a = Clock::now();
              const unsigned status = c.Exchange(
                  http::verb::get, "/v1/cycles?as_of=" + std::to_string(at));
              const double us =
                  std::chrono::duration<double, std::micro>(Clock::now() - a)
                      .count();
              if (status == 200) {
                answered.fetch_add(1);
                std::lock_guard<std::mutex> lock(asof_mu);
                asof_latencies.push_back(us);
              } else if (status == 429) {
                limited.fetch_add(1);
              } else if (status == 503) {
                busy.fetch_add(1);
              } else {
                other.fetch_add(1);
              }
              return status;
            },
            /*distinct_sources=*/true);
      });
      busy_phase = RunPhase(port, args.clients, each, read_view);
      asof.join();
      const Percentiles q = Summarise(quiet.latencies);
      const Percentiles b = Summarise(busy_phase.latencies);
      Report(out, "view_quiet", std::move(quiet));
      Report(out, "view_during_asof", std::move(busy_phase));
      out["view_p99_ratio"] = q.p99_us > 0 ? b.p99_us / q.p99_us : 0;
      out["asof_clients"] = args.asof_clients;
      out["asof_answered"] = answered.load();
      out["asof_429"] = limited.load();
      out["asof_503"] = busy.load();
      out["asof_other"] = other.load();
      AddPercentiles(out, Summarise(std::move(asof_latencies)), "asof_");
      const server::Server::ReplayStats stats = (*server)->replay_stats();
      out["replay_max_running"] = stats.max_running;
      out["replay_max_entries"] = stats.max_entries;
    }
    std::atomic<uint64_t> seed{1};
    Report(out, "proof",
           RunPhase(port, args.clients, each,
                    [&](Connection& c) -> std::optional<unsigned> {
                      thread_local std::mt19937_64 rng(seed.fetch_add(1));
                      const uint64_t index = rng() % size_before;
                      return c.Exchange(
                          http::verb::get,
                          "/v1/proof/inclusion?index=" + std::to_string(index));
                    }));
  }
  (*server)->Shutdown();
  out["peak_rss_mib"] = PeakRssMiB();
  return PrintResult(out);
}

}  // namespace piaojue::bench
