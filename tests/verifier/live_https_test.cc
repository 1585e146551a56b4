// A live log over https, served by a program that is not ours: the log's
// tiles written as static files (as tlog-tiles intends: a log can be a plain
// file server) and served by `openssl s_server -WWW` with a self-signed
// certificate. piaojue-verify must verify it when the certificate is trusted
// and refuse the connection when it is not. Skipped where the openssl
// command is not installed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "tests/cycle_builder.h"
#include "tests/verifier/fake_tile_server.h"
#include "tests/verifier/tamper_util.h"

extern char** environ;

namespace piaojue::verifier {
namespace {

using piaojue::testing::CycleBuilder;
using namespace piaojue::verifier::testing;

uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool Accepts(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

TEST(LiveHttpsTest, StaticTilesBehindOpenSslVerifyOverHttps) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "the openssl command is not installed";
  }
  ASSERT_TRUE(crypto::InitCrypto().ok());
  TempDir tmp;
  CycleBuilder builder(tmp.Sub("ledger"));
  ASSERT_TRUE(builder.BuildThrough(CycleBuilder::Stage::kProposals).ok());
  const std::vector<std::string> entries = ReadEntries(builder.ledger());
  ASSERT_LT(entries.size(), 256u);
  const std::string vkey = note::FormatVerifierKey(
      builder.log_key().name, builder.log_key().key_pair.public_key);

  // The log's tiles as files under root/tlog/.
  FakeTileServer tiles;
  tiles.Serve(entries, SignCheckpoint(entries, builder.log_key()));
  const std::string root = tmp.Sub("root");
  const std::string width = std::to_string(entries.size());
  const std::vector<std::string> paths = {"checkpoint", "tile/0/000.p/" + width,
                                          "tile/entries/000.p/" + width};
  for (const std::string& path : paths) {
    auto reply = tiles.Get(path);
    ASSERT_TRUE(reply.ok() && reply->status == 200) << path;
    const std::filesystem::path file = root + "/tlog/" + path;
    std::filesystem::create_directories(file.parent_path());
    WriteFile(file.string(), reply->body);
  }

  const std::string cert = tmp.Sub("cert.pem");
  const std::string key = tmp.Sub("key.pem");
  ASSERT_EQ(std::system(("openssl req -x509 -newkey ec -pkeyopt "
                         "ec_paramgen_curve:P-256 -nodes -days 1 -subj "
                         "/CN=localhost -addext "
                         "subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
                         key + " -out " + cert + " >/dev/null 2>&1")
                            .c_str()),
            0);
  const uint16_t port = FreePort();
  ASSERT_NE(port, 0);
  const std::string command = "cd " + root + " && exec openssl s_server " +
                              "-quiet -WWW -accept " + std::to_string(port) +
                              " -cert " + cert + " -key " + key +
                              " >/dev/null 2>&1";
  char sh[] = "/bin/sh";
  char c[] = "-c";
  std::vector<char*> argv = {sh, c, const_cast<char*>(command.c_str()),
                             nullptr};
  pid_t server = 0;
  ASSERT_EQ(
      posix_spawn(&server, "/bin/sh", nullptr, nullptr, argv.data(), environ),
      0);
  for (int i = 0; i < 200 && !Accepts(port); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  const std::string url = "https://localhost:" + std::to_string(port) + "/tlog";

  // Not trusted: the connection is refused, nothing is believed.
  RunResult untrusted = RunVerifyBinary({url, "--vkey", vkey}, tmp);
  EXPECT_EQ(untrusted.exit_code, kExitUnusable) << untrusted.out;
  EXPECT_NE(untrusted.out.find("certificate verify failed"), std::string::npos)
      << untrusted.out;

  // Trusted (the system store is replaced by this certificate).
  ::setenv("SSL_CERT_FILE", cert.c_str(), 1);
  RunResult trusted = RunVerifyBinary({url, "--vkey", vkey}, tmp);
  ::unsetenv("SSL_CERT_FILE");
  EXPECT_EQ(trusted.exit_code, kExitValid) << trusted.out << trusted.err;
  EXPECT_NE(trusted.out.find("entries     " + width + " checked"),
            std::string::npos)
      << trusted.out;

  ::kill(server, SIGTERM);
  int status = 0;
  ::waitpid(server, &status, 0);
}

}  // namespace
}  // namespace piaojue::verifier
