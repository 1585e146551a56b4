// The log's witness client: HTTP POSTs of add-checkpoint (c2sp.org/
// tlog-witness) with Beast, and the Collector's per-witness threads. See
// client.h.
#include "witness/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "ledger/note.h"

namespace piaojue::witness {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Result<Endpoint> ParseEndpoint(std::string_view flag) {
  const size_t eq = flag.find('=');
  if (eq == std::string_view::npos) {
    return InvalidArgument("--witness expects URL=VKEY, not \"" +
                           std::string(flag) + "\"");
  }
  std::string_view url = flag.substr(0, eq);
  Endpoint e;
  auto key = cosignature::ParseVerifierKey(flag.substr(eq + 1));
  if (!key.ok()) {
    return InvalidArgument("--witness " + std::string(url) + ": " +
                           key.status().message());
  }
  e.key = *std::move(key);
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return InvalidArgument("--witness URL must start with http:// (got \"" +
                           std::string(url) + "\")");
  }
  while (url.ends_with('/')) url.remove_suffix(1);
  e.url = std::string(url);
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view prefix =
      slash == std::string_view::npos ? "" : rest.substr(slash);
  std::string_view host = authority, port = "80";
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgument("--witness URL has an unclosed [IPv6] host");
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) {
        return InvalidArgument("--witness URL: junk after the [IPv6] host");
      }
      port = after.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':');
             colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  uint32_t port_number = 0;
  auto [end, ec] =
      std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() ||
      port_number == 0 || port_number > 65535) {
    return InvalidArgument("--witness URL \"" + std::string(url) +
                           "\" has no valid HOST[:PORT]");
  }
  e.host = std::string(host);
  e.port = std::string(port);
  e.path = std::string(prefix) + "/add-checkpoint";
  return e;
}

Result<HttpReply> PostAddCheckpoint(const Endpoint& endpoint,
                                    std::string_view body,
                                    std::chrono::milliseconds timeout,
                                    const std::atomic<bool>* cancel) {
  // Beast's timeouts (tcp_stream::expires_after) apply to asynchronous
  // operations only, so the exchange is a short chain of async steps run on
  // a private io_context.
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  http::request<http::string_body> req{http::verb::post, endpoint.path, 11};
  req.set(http::field::host, endpoint.host);
  req.set(http::field::user_agent, "piaojue");
  req.set(http::field::content_type, "text/plain; charset=utf-8");
  req.body() = std::string(body);
  req.prepare_payload();
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  beast::error_code result;
  std::string step = "resolve";

  resolver.async_resolve(
      endpoint.host, endpoint.port,
      [&](beast::error_code ec, tcp::resolver::results_type results) {
        if (ec) return void(result = ec);
        step = "connect";
        stream.expires_after(timeout);
        stream.async_connect(
            results, [&](beast::error_code ec, const tcp::endpoint&) {
              if (ec) return void(result = ec);
              step = "send";
              stream.expires_after(timeout);
              http::async_write(
                  stream, req, [&](beast::error_code ec, std::size_t) {
                    if (ec) return void(result = ec);
                    step = "read the answer";
                    stream.expires_after(timeout);
                    http::async_read(stream, buffer, parser,
                                     [&](beast::error_code ec, std::size_t) {
                                       result = ec;
                                     });
                  });
            });
      });
  try {
    // In slices, so that a Stop() need not wait for a hanging witness.
    while (!ioc.stopped()) {
      ioc.run_for(std::chrono::milliseconds(50));
      if (cancel != nullptr && cancel->load()) {
        return Unavailable(endpoint.url + ": cancelled");
      }
    }
  } catch (const std::exception& e) {
    return Unavailable(endpoint.url + ": " + e.what());
  }
  if (result) {
    return Unavailable(endpoint.url + ": cannot " + step + ": " +
                       result.message());
  }
  auto& res = parser.get();
  HttpReply reply;
  reply.status = static_cast<int>(res.result_int());
  reply.content_type = std::string(res[http::field::content_type]);
  reply.body = std::move(res.body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return reply;
}

std::string AddCheckpointBody(uint64_t old_size,
                              const std::vector<crypto::Hash>& proof,
                              std::string_view signed_checkpoint) {
  std::string body = "old " + std::to_string(old_size) + "\n";
  for (const crypto::Hash& h : proof) {
    body += crypto::Base64Encode(crypto::AsBytes(h));
    body += "\n";
  }
  body += "\n";
  body += signed_checkpoint;
  return body;
}

class Collector::Impl {
 public:
  enum class Outcome { kDone, kRetry };

  explicit Impl(CollectorOptions o) : options(std::move(o)) {
    per.resize(options.witnesses.size());
    for (size_t i = 0; i < per.size(); ++i) {
      per[i].state.name = options.witnesses[i].key.name;
      per[i].backoff = options.min_backoff;
    }
  }

  void Run(size_t i);
  Outcome Attempt(size_t i, const std::string& note, uint64_t size,
                  WitnessState* st);
  void Gathered(const std::string& note, const std::string& body,
                const std::string& line);
  void Warn(const std::string& m) {
    if (options.warn) options.warn(m);
  }

  const CollectorOptions options;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::atomic<bool> cancel{false};  // set with stop: abandons a request
  uint64_t seq = 0;                 // bumped by each accepted Submit
  std::string latest;
  uint64_t latest_size = 0;
  std::string latest_body;
  struct PerWitness {
    WitnessState state;
    uint64_t done_seq = 0;
    std::optional<std::chrono::steady_clock::time_point> retry_at;
    std::chrono::milliseconds backoff{0};
  };
  std::vector<PerWitness> per;
  // Cosignature lines gathered per checkpoint text, for the last few
  // checkpoints (a slow witness may answer for one that is no longer the
  // newest; its word still counts for that one).
  std::map<std::string, std::string> gathered;
  std::deque<std::string> gathered_order;
  // Serializes on_cosigned calls so the last call carries every line.
  std::mutex callback_mu;
  std::vector<std::thread> threads;
};

void Collector::Impl::Gathered(const std::string& note, const std::string& body,
                               const std::string& line) {
  std::lock_guard<std::mutex> cb(callback_mu);
  std::string lines;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = gathered.find(body);
    if (it == gathered.end()) {
      it = gathered.emplace(body, "").first;
      gathered_order.push_back(body);
      while (gathered_order.size() > 8) {
        gathered.erase(gathered_order.front());
        gathered_order.pop_front();
      }
    }
    if (it->second.find(line) == std::string::npos) it->second += line;
    lines = it->second;
  }
  auto cosigned = cosignature::AppendLines(note, lines);
  if (!cosigned.ok()) {
    Warn("cannot attach cosignatures: " + cosigned.status().ToString());
    return;
  }
  if (options.on_cosigned) options.on_cosigned(*cosigned);
}

Collector::Impl::Outcome Collector::Impl::Attempt(size_t i,
                                                  const std::string& note,
                                                  uint64_t size,
                                                  WitnessState* st) {
  const Endpoint& w = options.witnesses[i];
  auto parsed = note::ParseNote(note);
  if (!parsed.ok()) return Outcome::kDone;  // Submit checked it; unreachable
  // A 409 tells the size the witness holds; re-send from there. Two rounds
  // suffice unless the witness moves under us.
  for (int round = 0; round < 3; ++round) {
    const uint64_t old = st->known ? st->cosigned_size : 0;
    if (old > size) {
      st->last_error = "the witness has cosigned a tree of " +
                       std::to_string(old) + " entries, more than this log's " +
                       std::to_string(size) + ": was the log rolled back?";
      Warn("witness " + w.key.name + ": " + st->last_error);
      return Outcome::kDone;
    }
    std::vector<crypto::Hash> proof;
    if (old != 0 && old != size) {
      auto p = options.consistency(old, size);
      if (!p.ok()) {
        st->last_error = "no consistency proof from " + std::to_string(old) +
                         ": " + p.status().ToString();
        Warn("witness " + w.key.name + ": " + st->last_error);
        return Outcome::kRetry;
      }
      proof = *std::move(p);
    }
    auto reply = PostAddCheckpoint(w, AddCheckpointBody(old, proof, note),
                                   options.timeout, &cancel);
    if (!reply.ok()) {
      if (cancel.load()) return Outcome::kRetry;  // stopping: no news
      if (st->last_error != reply.status().message()) {
        Warn("witness " + w.key.name + " unreachable: " +
             reply.status().message() + " (retrying with backoff)");
      }
      st->last_error = reply.status().message();
      return Outcome::kRetry;
    }
    if (reply->status == 200) {
      auto combined = cosignature::AppendLines(note, reply->body);
      std::vector<cosignature::VerifiedCosignature> found;
      if (combined.ok()) {
        auto v = cosignature::VerifyNote(*combined, {w.key});
        if (v.ok()) found = *std::move(v);
      }
      if (found.empty()) {
        st->last_error = "its answer holds no cosignature that verifies";
        Warn("witness " + w.key.name + ": " + st->last_error);
        return Outcome::kRetry;
      }
      st->known = true;
      st->cosigned_size = size;
      st->last_error.clear();
      Gathered(note, parsed->text, found[0].line);
      return Outcome::kDone;
    }
    if (reply->status == 409 &&
        reply->content_type.starts_with("text/x.tlog.size")) {
      std::string_view b = reply->body;
      if (b.ends_with('\n')) b.remove_suffix(1);
      uint64_t held = 0;
      auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), held);
      if (b.empty() || ec != std::errc() || end != b.data() + b.size()) {
        st->last_error = "409 with a malformed size";
        return Outcome::kRetry;
      }
      st->known = true;
      st->cosigned_size = held;
      continue;
    }
    std::string_view why = reply->body;
    if (why.ends_with('\n')) why.remove_suffix(1);
    st->last_error = "refused with " + std::to_string(reply->status) + ": " +
                     std::string(why);
    Warn("witness " + w.key.name + " " + st->last_error);
    return Outcome::kRetry;
  }
  return Outcome::kRetry;
}

void Collector::Impl::Run(size_t i) {
  std::unique_lock<std::mutex> lock(mu);
  while (true) {
    auto ready = [&] {
      if (stop) return true;
      if (seq <= per[i].done_seq) return false;
      return !per[i].retry_at ||
             std::chrono::steady_clock::now() >= *per[i].retry_at;
    };
    if (per[i].retry_at) {
      cv.wait_until(lock, *per[i].retry_at, ready);
    } else {
      cv.wait(lock, ready);
    }
    if (stop) return;
    if (!ready()) continue;
    const uint64_t my_seq = seq;
    const std::string note = latest;
    const uint64_t size = latest_size;
    WitnessState st = per[i].state;
    lock.unlock();
    const Outcome outcome = Attempt(i, note, size, &st);
    lock.lock();
    per[i].state = st;
    if (outcome == Outcome::kDone) {
      per[i].done_seq = my_seq;
      per[i].retry_at.reset();
      per[i].backoff = options.min_backoff;
    } else {
      per[i].retry_at = std::chrono::steady_clock::now() + per[i].backoff;
      per[i].backoff = std::min(per[i].backoff * 2, options.max_backoff);
    }
    cv.notify_all();
  }
}

Collector::Collector(CollectorOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  for (size_t i = 0; i < impl_->per.size(); ++i) {
    impl_->threads.emplace_back([this, i] { impl_->Run(i); });
  }
}

Collector::~Collector() { Stop(); }

void Collector::Submit(std::string signed_checkpoint) {
  auto parsed = note::ParseNote(signed_checkpoint);
  if (!parsed.ok()) return;
  auto cp = note::ParseCheckpoint(parsed->text);
  if (!cp.ok()) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->seq > 0 && cp->size <= impl_->latest_size &&
        parsed->text == impl_->latest_body) {
      return;
    }
    if (impl_->seq > 0 && cp->size < impl_->latest_size) return;
    impl_->latest = std::move(signed_checkpoint);
    impl_->latest_size = cp->size;
    impl_->latest_body = parsed->text;
    ++impl_->seq;
  }
  impl_->cv.notify_all();
}

bool Collector::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] {
    for (const auto& p : impl_->per) {
      if (p.done_seq < impl_->seq) return false;
    }
    return true;
  });
}

void Collector::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
    impl_->cancel = true;
  }
  impl_->cv.notify_all();
  for (std::thread& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
}

std::vector<WitnessState> Collector::states() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<WitnessState> out;
  for (const auto& p : impl_->per) out.push_back(p.state);
  return out;
}

}  // namespace piaojue::witness
