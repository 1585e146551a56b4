// piaojue-bench http --data DIR --clients C --seconds S [--mode M]
//
// `piaojue serve` on DIR in this process (server::Server, the same code as
// the command), driven over loopback by C keep-alive connections:
//  - writes: POST /v1/entries of pre-signed proposals (workload.h) for S
//    seconds; each is acknowledged only once durable;
//  - reads: for S/3 seconds each, GET /tlog/checkpoint, a typical view (the
//    funnel of a cycle that received proposals) and an inclusion proof of
//    a random entry at the current tree size.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <random>
#include <thread>

#include "api/server/server.h"
#include "bench/verbs.h"
#include "bench/workload.h"
#include "ledger/crypto.h"

namespace piaojue::bench {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// One keep-alive connection, used by one thread.
class Connection {
 public:
  explicit Connection(uint16_t port) : stream_(ioc_) {
    stream_.connect(
        tcp::endpoint(boost::asio::ip::address_v4::loopback(), port));
  }
  // The response's status code; 0 when the exchange failed.
  unsigned Exchange(http::verb verb, const std::string& target,
                    const std::string& body = "") {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    beast::error_code ec;
    http::write(stream_, req, ec);
    if (ec) return 0;
    http::response<http::string_body> res;
    http::read(stream_, buffer_, res, ec);
    if (ec) return 0;
    return res.result_int();
  }

 private:
  boost::asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

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
Phase RunPhase(
    uint16_t port, int clients, double seconds,
    const std::function<std::optional<unsigned>(Connection&)>& next) {
  Phase phase;
  std::mutex mu;
  const Clock::time_point start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int c = 0; c < clients; ++c) {
    pool.emplace_back([&] {
      Connection connection(port);
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
  {
    auto session = cli::Session::Open(cli::DataDir(args.data));
    if (!session.ok()) return Fail(verb, session.status().ToString());
    intake = OpenIntake(**session, 16);
    if (!intake.ok()) return Fail(verb, intake.status().ToString());
    size_before = (*session)->ledger().size();
    if (Status s = (*session)->SaveSnapshot(); !s.ok()) {
      return Fail(verb, s.ToString());
    }
  }
  std::vector<std::string> bodies;
  if (writes) {
    const size_t count = static_cast<size_t>(args.seconds * 15000) + 1000;
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
    Phase phase = RunPhase(port, args.clients, args.seconds,
                           [&](Connection& c) -> std::optional<unsigned> {
                             const size_t i = next.fetch_add(1);
                             if (i >= bodies.size()) return std::nullopt;
                             return c.Exchange(http::verb::post, "/v1/entries",
                                               bodies[i]);
                           });
    if (phase.failures > 0) {
      return Fail(verb, std::to_string(phase.failures) +
                            " appends failed; the first with HTTP status " +
                            std::to_string(phase.first_bad_status));
    }
    Report(out, "append", std::move(phase));
  }
  if (reads) {
    const double each = args.seconds / 3;
    Report(out, "checkpoint",
           RunPhase(port, args.clients, each,
                    [](Connection& c) -> std::optional<unsigned> {
                      return c.Exchange(http::verb::get, "/tlog/checkpoint");
                    }));
    const std::string view =
        "/v1/cycles/" + std::to_string(intake->cycles[0]) + "/funnel";
    Report(out, "view",
           RunPhase(port, args.clients, each,
                    [&](Connection& c) -> std::optional<unsigned> {
                      return c.Exchange(http::verb::get, view);
                    }));
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
