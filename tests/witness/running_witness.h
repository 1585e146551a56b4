// Witnesses over loopback for tests: a witness "process" (its own directory,
// key and HTTP server), a port that accepts connections but never answers (a
// witness that hangs), and a port nobody listens on (a witness that is down).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>

#include "ledger/cosignature.h"
#include "tests/test_util.h"
#include "witness/client.h"
#include "witness/server.h"
#include "witness/witness.h"

namespace piaojue::testing {

// A witness process stand-in: its own directory, Witness and HTTP server,
// configured to cosign the log whose checkpoint key is `log_vkey`.
struct RunningWitness {
  RunningWitness(const std::string& dir, const std::string& name,
                 const std::string& log_vkey) {
    vkey = witness::Init(dir, name).value();
    EXPECT_OK(witness::AddLog(dir, log_vkey));
    witness = witness::Witness::Open(dir).value();
    server = witness::Server::Start(*witness, {}).value();
  }
  // The `--witness URL=VKEY` argument that names this witness.
  std::string Flag() const {
    return "http://127.0.0.1:" + std::to_string(server->port()) + "=" + vkey;
  }
  witness::Endpoint endpoint() const {
    return witness::ParseEndpoint(Flag()).value();
  }
  cosignature::WitnessKey key() const {
    return cosignature::ParseVerifierKey(vkey).value();
  }

  std::string vkey;
  std::unique_ptr<witness::Witness> witness;
  std::unique_ptr<witness::Server> server;
};

// A port that accepts connections into the kernel's backlog but never
// answers: a witness that hangs.
class SilentPort {
 public:
  SilentPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentPort() { ::close(fd_); }
  SilentPort(const SilentPort&) = delete;
  SilentPort& operator=(const SilentPort&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_;
};

// A port nobody listens on: bound, then closed.
inline uint16_t ClosedPort() {
  SilentPort p;
  return p.port();
}

}  // namespace piaojue::testing
