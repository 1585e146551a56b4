// The progress line: on a terminal only, after a second, at most four times
// a second, erased at the end. Driven by a fake clock and a pseudo-terminal.
#include "verifier/progress.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace piaojue::verifier {
namespace {

using Clock = Progress::Clock;
using std::chrono::milliseconds;

TEST(ProgressLineTest, SaysHowFarAndHowLong) {
  EXPECT_EQ(ProgressLine(500, 1000, 2.0),
            "verifying: 500 / 1000 entries (50%), 250 entries/s, 2 s left");
  EXPECT_EQ(ProgressLine(500, 0, 2.0), "verifying: 500 entries, 250 entries/s");
}

class ProgressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(openpty(&master_, &slave_, nullptr, nullptr, nullptr), 0);
    fcntl(master_, F_SETFL, O_NONBLOCK);
    terminal_ = fdopen(slave_, "w");
    ASSERT_NE(terminal_, nullptr);
  }
  void TearDown() override {
    std::fclose(terminal_);
    close(master_);
  }
  // What the terminal received so far.
  std::string Screen() {
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = read(master_, buf, sizeof buf)) > 0) out.append(buf, n);
    return out;
  }
  Progress Make(bool enabled, std::FILE* out) {
    return Progress(enabled, out, [this] { return now_; });
  }

  int master_ = -1, slave_ = -1;
  std::FILE* terminal_ = nullptr;
  Clock::time_point now_ = Clock::time_point() + std::chrono::hours(1);
};

TEST_F(ProgressTest, ShowsALineOnATerminalAfterASecondAndErasesIt) {
  Progress progress = Make(true, terminal_);
  progress.SetTotal(1000);
  now_ += milliseconds(500);
  progress.Update(100);
  EXPECT_EQ(Screen(), "");  // short runs stay silent
  now_ += milliseconds(1500);
  progress.Update(500);
  const std::string line = Screen();
  EXPECT_NE(line.find("verifying: 500 / 1000 entries (50%)"), std::string::npos)
      << line;
  EXPECT_EQ(line[0], '\r');
  now_ += milliseconds(100);
  progress.Update(550);
  EXPECT_EQ(Screen(), "");  // at most four updates a second
  now_ += milliseconds(200);
  progress.Update(600);
  EXPECT_NE(Screen().find("600 / 1000"), std::string::npos);
  progress.Done();
  const std::string erased = Screen();
  EXPECT_EQ(erased, "\r" + std::string(79, ' ') + "\r");
}

TEST_F(ProgressTest, SilentWhenNotATerminalOrQuiet) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  Progress to_file = Make(true, file);
  Progress quiet = Make(false, terminal_);
  now_ += milliseconds(5000);
  to_file.Update(10);
  quiet.Update(10);
  to_file.Done();
  quiet.Done();
  EXPECT_EQ(std::ftell(file), 0);
  EXPECT_EQ(Screen(), "");
  EXPECT_FALSE(to_file.shown());
  std::fclose(file);
}

}  // namespace
}  // namespace piaojue::verifier
