// A server binary run in a child process under a low descriptor limit, for
// the tests that exhaust its descriptors with idle connections
// (server_test's and witness_serve_test's "out of descriptors" tests): its
// output read until it is ready, its CPU time, and idle sockets against it.
//
// Everything the child prints is read for its whole life by a thread of
// its own: a child that prints more than a pipe holds (64 KiB) after it is
// ready would otherwise block in write() and stop answering. When the test
// has failed, the destructor prints what the child wrote and how it ended,
// so a failure seen once in CI can be read (a sanitizer's report goes to
// the child's stderr, i.e. to this pipe).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace piaojue::testing {

// UBSan's suppressions for a child out of descriptors (see ChildProcess),
// relative to the source tree, the tests' working directory.
inline constexpr const char* kStarvedUbsanSuppressions =
    "tests/sanitizers/ubsan-out-of-descriptors.supp";

class ChildProcess {
 public:
  // Runs `args` (args[0] the binary's path) with at most `max_descriptors`
  // open descriptors, its stdout and stderr going to one pipe.
  //
  // A child meant to run out of descriptors runs with UBSan's vptr reports
  // suppressed (the sanitized build; elsewhere UBSAN_OPTIONS is unread).
  // That check cannot work in such a process: on a cache miss it asks
  // whether the object's memory is readable by writing it into a fresh
  // pipe (compiler-rt's IsAccessibleMemoryRange), and with no descriptor
  // left the pipe fails, the memory counts as unreadable and a valid object
  // is reported as having an "invalid vptr" (seen in Beast's
  // stable_async_base destructor while the witness was out of
  // descriptors). The suppression matches by file name, which needs no
  // symbolizer (another child process). Every other check stays fatal, and
  // the vptr check runs in every other test of the same code.
  ChildProcess(std::vector<std::string> args, rlim_t max_descriptors) {
    int out[2];
    if (pipe(out) != 0) return;
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).starts_with("UBSAN_OPTIONS=")) continue;
      env_strings.emplace_back(*e);
    }
    const char* ubsan = getenv("UBSAN_OPTIONS");
    env_strings.push_back(std::string("UBSAN_OPTIONS=") +
                          (ubsan != nullptr && *ubsan != 0
                               ? std::string(ubsan) + ":"
                               : std::string()) +
                          "suppressions=" + kStarvedUbsanSuppressions);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls until exec.
      const rlimit limit{max_descriptors, max_descriptors};
      setrlimit(RLIMIT_NOFILE, &limit);
      dup2(out[1], 1);
      dup2(out[1], 2);
      close(out[0]);
      close(out[1]);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(out[1]);
    out_ = out[0];
    binary_ = args.empty() ? "" : args[0];
    if (pid_ > 0) reader_ = std::thread([this] { ReadAll(); });
  }
  // Stops the child (SIGTERM) if Stop was not called; after a failed test,
  // prints what the child wrote and how it ended.
  ~ChildProcess() {
    if (pid_ > 0 && !stopped_) Stop();
    for (int fd : idle_) close(fd);
    // The child has exited (Stop kills it when SIGTERM is not enough): the
    // pipe reaches its end once any grandchild holding it has gone too.
    if (reader_.joinable()) reader_.join();
    if (out_ >= 0) close(out_);
    if (pid_ > 0 && ::testing::Test::HasFailure()) {
      std::cerr << "[ child   ] " << binary_ << " " << ended_ << "; it wrote:\n"
                << output() << "[ child   ] (end of its output)\n";
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0 && out_ >= 0; }

  // Waits until `ready(all output so far)` holds, the output ends or 30 s
  // pass; returns all output so far. The pipe stays open until the child
  // has exited: it prints on its way out, and a closed pipe would kill it
  // with SIGPIPE.
  std::string ReadUntil(const std::function<bool(const std::string&)>& ready) {
    std::unique_lock<std::mutex> lock(mu_);
    printed_changed_.wait_for(lock, std::chrono::seconds(30),
                              [&] { return output_ended_ || ready(printed_); });
    return printed_;
  }

  // Everything the child has written so far.
  std::string output() const {
    std::lock_guard<std::mutex> lock(mu_);
    return printed_;
  }

  // The port in the first "http://127.0.0.1:PORT" the child printed, or 0.
  uint16_t PrintedPort() const {
    const std::string printed = output();
    const size_t at = printed.find("http://127.0.0.1:");
    if (at == std::string::npos) return 0;
    const size_t digits = at + 17;
    size_t end = digits;
    while (end < printed.size() && printed[end] >= '0' && printed[end] <= '9') {
      ++end;
    }
    if (end == digits || end == printed.size()) return 0;  // not all out yet
    return static_cast<uint16_t>(std::stoi(printed.substr(digits)));
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

  // SIGTERM, then waits up to `grace` (then SIGKILL); true when the child
  // exited with status 0.
  bool Stop(std::chrono::milliseconds grace = std::chrono::seconds(20)) {
    stopped_ = true;
    kill(pid_, SIGTERM);
    if (WaitForExit(grace)) return exited_zero_;
    kill(pid_, SIGKILL);
    WaitForExit(std::chrono::seconds(20));
    ended_ += " (killed: SIGTERM did not stop it in time)";
    return false;
  }

  // Waits up to `limit` for the child to exit by itself; true when it has
  // (how it ended is then in the failure output).
  bool WaitForExit(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      int wstatus = 0;
      const pid_t done = waitpid(pid_, &wstatus, WNOHANG);
      if (done == pid_) {
        stopped_ = true;
        exited_zero_ = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
        ended_ =
            WIFEXITED(wstatus)
                ? "exited with status " + std::to_string(WEXITSTATUS(wstatus))
                : "was killed by signal " + std::to_string(WTERMSIG(wstatus));
        return true;
      }
      if (done < 0 || std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  // The reader thread: appends everything the child writes to printed_
  // until the pipe's end.
  void ReadAll() {
    char buf[4096];
    while (true) {
      const ssize_t n = read(out_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (n <= 0) {
        output_ended_ = true;
        printed_changed_.notify_all();
        return;
      }
      printed_.append(buf, static_cast<size_t>(n));
      printed_changed_.notify_all();
    }
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::string binary_;
  bool stopped_ = false;
  bool exited_zero_ = false;
  std::string ended_ = "was still running";
  std::vector<int> idle_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable printed_changed_;
  std::string printed_;        // guarded by mu_
  bool output_ended_ = false;  // guarded by mu_
};

}  // namespace piaojue::testing
