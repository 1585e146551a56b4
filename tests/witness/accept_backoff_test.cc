// The wait both listeners (`piaojue serve`, `piaojue witness serve`) keep
// between accepts when the process runs short of descriptors: what their
// operator sees in the log, and how long they stay away from a core.
#include "witness/accept_backoff.h"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>
#include <cerrno>
#include <sstream>

namespace piaojue::witness {
namespace {

using std::chrono::milliseconds;

TEST(AcceptBackoffTest, ShortOfDescriptorsTheWaitDoublesUpToASecond) {
  std::ostringstream log;
  AcceptBackoff backoff("piaojue serve", log);
  const boost::system::error_code emfile = boost::asio::error::no_descriptors;
  std::vector<long> waits;
  for (int i = 0; i < 9; ++i) waits.push_back(backoff.Failed(emfile)->count());
  EXPECT_EQ(waits,
            (std::vector<long>{10, 20, 40, 80, 160, 320, 640, 1000, 1000}));
  // One line however long it lasts, naming the listener and the cause.
  EXPECT_EQ(log.str(), "piaojue serve: cannot accept connections (" +
                           emfile.message() + "); retrying with backoff\n");
}

TEST(AcceptBackoffTest, AnAcceptedConnectionEndsTheWaitAndSaysSo) {
  std::ostringstream log;
  AcceptBackoff backoff("piaojue witness", log);
  backoff.Accepted();
  EXPECT_EQ(log.str(), "") << "nothing to report while accepting works";
  const boost::system::error_code enfile(ENFILE,
                                         boost::system::system_category());
  backoff.Failed(enfile);
  backoff.Failed(enfile);
  ASSERT_EQ(backoff.wait(), milliseconds(20));
  backoff.Accepted();
  EXPECT_EQ(backoff.wait(), milliseconds(0));
  backoff.Accepted();
  EXPECT_EQ(log.str(), "piaojue witness: cannot accept connections (" +
                           enfile.message() +
                           "); retrying with backoff\n"
                           "piaojue witness: accepting connections again\n");
  // A later shortage starts again from the shortest wait.
  EXPECT_EQ(backoff.Failed(enfile), milliseconds(10));
}

TEST(AcceptBackoffTest, AnErrorOfOneConnectionIsNotWaitedOn) {
  std::ostringstream log;
  AcceptBackoff backoff("piaojue serve", log);
  for (const boost::system::error_code ec :
       {boost::system::error_code(boost::asio::error::connection_aborted),
        boost::system::error_code(boost::asio::error::connection_reset),
        boost::system::error_code(EPROTO, boost::system::system_category())}) {
    EXPECT_EQ(backoff.Failed(ec), std::nullopt) << ec.message();
  }
  for (const boost::system::error_code ec :
       {boost::system::error_code(boost::asio::error::no_buffer_space),
        boost::system::error_code(boost::asio::error::no_memory)}) {
    EXPECT_NE(backoff.Failed(ec), std::nullopt) << ec.message();
  }
  EXPECT_EQ(backoff.wait(), milliseconds(20));
}

}  // namespace
}  // namespace piaojue::witness
