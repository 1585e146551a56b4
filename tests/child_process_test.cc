// The child-process harness of the "out of descriptors" tests
// (tests/child_process.h): a child that keeps printing after it is ready
// must not block on a full pipe, and what it printed must be kept whole.
#include "child_process.h"

#include <gtest/gtest.h>

#include <string>

namespace piaojue::testing {
namespace {

TEST(ChildProcessTest, AChildPrintingMoreThanAPipeHoldsAfterItIsReadyGoesOn) {
  // Ready, then 200,000 bytes (three times a pipe's 64 KiB) while the test
  // reads nothing, then a last line and a clean exit.
  ChildProcess child({"/bin/sh", "-c",
                      "echo ready; head -c 200000 /dev/zero | tr '\\0' x; "
                      "echo; echo done"},
                     /*max_descriptors=*/64);
  ASSERT_TRUE(child.started());
  child.ReadUntil([](const std::string& out) {
    return out.find("ready\n") != std::string::npos;
  });
  ASSERT_TRUE(child.WaitForExit(std::chrono::seconds(20)))
      << "the child is blocked writing to its pipe";
  const std::string out = child.ReadUntil([](const std::string& printed) {
    return printed.find("done\n") != std::string::npos;
  });
  EXPECT_EQ(out, "ready\n" + std::string(200000, 'x') + "\ndone\n");
}

TEST(ChildProcessTest, StopEndsAChildThatIgnoresSigterm) {
  ChildProcess child(
      {"/bin/sh", "-c", "trap '' TERM; echo ready; exec sleep 60"},
      /*max_descriptors=*/64);
  ASSERT_TRUE(child.started());
  child.ReadUntil([](const std::string& out) {
    return out.find("ready\n") != std::string::npos;
  });
  // (An ignored signal stays ignored across exec.)
  EXPECT_FALSE(child.Stop(std::chrono::seconds(1)))
      << "a child killed after SIGTERM failed to end it";
}

}  // namespace
}  // namespace piaojue::testing
