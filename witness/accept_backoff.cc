#include "witness/accept_backoff.h"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <cerrno>

namespace piaojue::witness {

namespace {

bool IsShortOfResources(const boost::system::error_code& ec) {
  namespace error = boost::asio::error;
  if (ec == error::no_descriptors || ec == error::no_buffer_space ||
      ec == error::no_memory) {
    return true;
  }
  // ENFILE (the machine's table is full) has no name in asio's errors.
  return ec.category() == boost::system::system_category() &&
         ec.value() == ENFILE;
}

}  // namespace

std::optional<std::chrono::milliseconds> AcceptBackoff::Failed(
    const boost::system::error_code& ec) {
  if (!IsShortOfResources(ec)) return std::nullopt;
  if (wait_.count() == 0) {
    log_ << program_ << ": cannot accept connections (" << ec.message()
         << "); retrying with backoff\n";
  }
  wait_ = std::clamp(wait_ * 2, kFirstWait, kLongestWait);
  return wait_;
}

void AcceptBackoff::Accepted() {
  if (wait_.count() == 0) return;
  log_ << program_ << ": accepting connections again\n";
  wait_ = std::chrono::milliseconds(0);
}

}  // namespace piaojue::witness
