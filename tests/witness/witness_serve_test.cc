// `piaojue witness serve` as a process: what its operator would notice when
// the machine runs short of descriptors.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "tests/child_process.h"
#include "tests/test_util.h"
#include "tests/witness/fake_log.h"
#include "witness/witness.h"

namespace piaojue::witness {
namespace {

using testing::ChildProcess;
using testing::FakeLog;
using testing::TempDir;

// The status code of GET `path` on 127.0.0.1:port, or -1 when no answer
// came within a second.
int GetStatus(uint16_t port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  const timeval second{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &second, sizeof second);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path +
                                " HTTP/1.1\r\nHost: witness\r\n"
                                "Connection: close\r\n\r\n";
    char head[32] = {};
    if (write(fd, request.data(), request.size()) ==
            static_cast<ssize_t>(request.size()) &&
        read(fd, head, sizeof head - 1) >= 12 &&
        std::string(head, 9) == "HTTP/1.1 ") {
      status = std::stoi(std::string(head + 9, 3));
    }
  }
  close(fd);
  return status;
}

// Under a low descriptor limit, idle connections filled the witness's
// descriptor table and its accept loop retried at once on every EMFILE: a
// core at 100% for as long as they stayed, as `piaojue serve` did before
// issue 14. The witness must back off (little CPU while exhausted) and
// cosign again once the idle connections close.
TEST(WitnessServeTest, OutOfDescriptorsTheWitnessBacksOffAndRecovers) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  TempDir dir;
  FakeLog log("ledger.qinghe.example/piaojue", testing::TestKey(3));
  ASSERT_TRUE(Init(dir.path(), "witness.test.example").ok());
  ASSERT_TRUE(AddLog(dir.path(), log.vkey()).ok());

  ChildProcess witness({PIAOJUE_BIN, "witness", "serve", "--data", dir.path(),
                        "--listen", "127.0.0.1:0"},
                       /*max_descriptors=*/64);
  ASSERT_TRUE(witness.started());
  const std::string printed = witness.ReadUntil([](const std::string& out) {
    return out.find("stop with Ctrl-C") != std::string::npos;
  });
  const uint16_t port = witness.PrintedPort();
  ASSERT_NE(port, 0) << printed;
  ASSERT_EQ(GetStatus(port, "/"), 200);

  // Far more idle connections than the witness's 64 descriptors.
  witness.OpenIdleConnections(port, 400);
  const double cpu_used = witness.CpuSecondsOver(3);
  // A spinning accept loop burns ~3 s of a core here; backing off, next to
  // nothing.
  EXPECT_LT(cpu_used, 0.5) << "witness CPU seconds over 3 s of exhaustion";
  std::cerr << "[ measure ] witness CPU while out of descriptors: " << cpu_used
            << " s over 3 s\n";

  witness.CloseIdleConnections();
  int status = -1;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    status = GetStatus(port, "/");
    if (status != 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(witness.Stop());
}

}  // namespace
}  // namespace piaojue::witness
