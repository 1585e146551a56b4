// A server binary run in a child process under a low descriptor limit, for
// the tests that exhaust its descriptors with idle connections
// (server_test's and witness_serve_test's "out of descriptors" tests): its
// output read until it is ready, its CPU time, and idle sockets against it.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace piaojue::testing {

class ChildProcess {
 public:
  // Runs `args` (args[0] the binary's path) with at most `max_descriptors`
  // open descriptors, its stdout and stderr going to one pipe.
  ChildProcess(std::vector<std::string> args, rlim_t max_descriptors) {
    int out[2];
    if (pipe(out) != 0) return;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls until exec.
      const rlimit limit{max_descriptors, max_descriptors};
      setrlimit(RLIMIT_NOFILE, &limit);
      dup2(out[1], 1);
      dup2(out[1], 2);
      close(out[0]);
      close(out[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = out[0];
  }
  // Stops the child (SIGTERM) if Stop was not called.
  ~ChildProcess() {
    if (pid_ > 0 && !stopped_) Stop();
    for (int fd : idle_) close(fd);
    if (out_ >= 0) close(out_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0 && out_ >= 0; }

  // Reads the child's output until `ready(all output so far)` holds or the
  // output ends; returns all of it. The pipe stays open until the child
  // has exited: it prints on its way out, and a closed pipe would kill it
  // with SIGPIPE.
  std::string ReadUntil(const std::function<bool(const std::string&)>& ready) {
    char buf[256];
    while (!ready(printed_)) {
      const ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) break;
      printed_.append(buf, static_cast<size_t>(n));
    }
    return printed_;
  }

  // The port in the first "http://127.0.0.1:PORT" the child printed, or 0.
  uint16_t PrintedPort() const {
    const size_t at = printed_.find("http://127.0.0.1:");
    if (at == std::string::npos) return 0;
    const size_t digits = at + 17;
    size_t end = digits;
    while (end < printed_.size() && printed_[end] >= '0' &&
           printed_[end] <= '9') {
      ++end;
    }
    if (end == digits || end == printed_.size()) return 0;  // not all out yet
    return static_cast<uint16_t>(std::stoi(printed_.substr(digits)));
  }

  // The child's CPU time so far (user + system), from /proc/<pid>/stat.
  double CpuSeconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces) in parentheses.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) /
           static_cast<double>(sysconf(_SC_CLK_TCK));
  }

  // The CPU time the child used over `seconds` of wall time, measured
  // after half a second for what was just started to settle (a spinning
  // loop uses about `seconds` per core it spins on).
  double CpuSecondsOver(int seconds) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const double before = CpuSeconds();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    return CpuSeconds() - before;
  }

  // Opens `count` connections to 127.0.0.1:port that never send anything
  // (non-blocking connects: the kernel completes them into the listen
  // backlog even when the child cannot accept them).
  void OpenIdleConnections(uint16_t port, int count) {
    for (int i = 0; i < count; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0) return;
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      fcntl(fd, F_SETFL, O_NONBLOCK);
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      idle_.push_back(fd);
    }
  }
  void CloseIdleConnections() {
    for (int fd : idle_) close(fd);
    idle_.clear();
  }

  // SIGTERM, then waits; true when the child exited with status 0.
  bool Stop() {
    stopped_ = true;
    kill(pid_, SIGTERM);
    int wstatus = 0;
    waitpid(pid_, &wstatus, 0);
    return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool stopped_ = false;
  std::string printed_;
  std::vector<int> idle_;
};

}  // namespace piaojue::testing
