// What an HTTP listener does when accepting a connection fails because the
// process or the machine is short of descriptors, socket buffers or memory:
// the listening socket stays readable, so accepting again at once fails
// again at once and a core spins. Both of piaojue's listeners (`piaojue
// serve` and `piaojue witness serve`) wait instead, 10 ms doubling up to
// 1 s, while connections closing or timing out give descriptors back; the
// connections arriving meanwhile wait in the listen backlog.
#ifndef PIAOJUE_WITNESS_ACCEPT_BACKOFF_H_
#define PIAOJUE_WITNESS_ACCEPT_BACKOFF_H_

#include <boost/system/error_code.hpp>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>

namespace piaojue::witness {

// The wait between accepts of one listener. Not thread-safe: used on the
// acceptor's strand only.
class AcceptBackoff {
 public:
  static constexpr std::chrono::milliseconds kFirstWait{10};
  static constexpr std::chrono::milliseconds kLongestWait{1000};

  // `program` names the listener in the lines written to `log` (e.g.
  // "piaojue serve").
  AcceptBackoff(std::string program, std::ostream& log)
      : program_(std::move(program)), log_(log) {}

  // After an accept failed with `ec`: how long to wait before accepting
  // again, or nothing when the error concerns one connection only (reset
  // before it was taken), so the next may be accepted at once. Writes one
  // line when the waiting starts.
  std::optional<std::chrono::milliseconds> Failed(
      const boost::system::error_code& ec);

  // After a connection was accepted. Writes one line when this ends a
  // wait.
  void Accepted();

  // The wait Failed last returned; zero when accepting works.
  std::chrono::milliseconds wait() const { return wait_; }

 private:
  const std::string program_;
  std::ostream& log_;
  std::chrono::milliseconds wait_{0};
};

}  // namespace piaojue::witness

#endif  // PIAOJUE_WITNESS_ACCEPT_BACKOFF_H_
