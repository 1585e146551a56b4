// Shared by the libFuzzer targets in this folder (docs/RELIABILITY.md,
// "Fuzzing and sanitizers"). Each target feeds hostile bytes to one public
// reader; a crash, a sanitizer report, a leak, a timeout or a broken
// invariant (FUZZ_CHECK) is a finding. An error value is the expected answer
// to malformed input.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "ledger/crypto.h"

namespace piaojue::fuzz {

// A broken invariant: print it and abort, so libFuzzer records the input.
#define FUZZ_CHECK(cond, what)                                           \
  do {                                                                   \
    if (!(cond)) {                                                       \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d): %s\n", #cond, \
                   __FILE__, __LINE__, std::string(what).c_str());       \
      std::abort();                                                      \
    }                                                                    \
  } while (0)

inline void InitOnce() {
  static const bool ok = crypto::InitCrypto().ok();
  if (!ok) std::abort();
}

// A scratch file for readers that take a path, one per process (libFuzzer
// may run several jobs at once), removed at exit. Kept in /dev/shm when
// there is one, so each run costs no disk write.
class ScratchFile {
 public:
  explicit ScratchFile(std::string_view suffix) {
    std::filesystem::path dir = std::filesystem::exists("/dev/shm")
                                    ? std::filesystem::path("/dev/shm")
                                    : std::filesystem::temp_directory_path();
    path_ = (dir /
             ("piaojue-fuzz-" + std::to_string(getpid()) + std::string(suffix)))
                .string();
  }
  ~ScratchFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const std::string& Write(const uint8_t* data, size_t size) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data),
              static_cast<std::streamsize>(size));
    return path_;
  }

 private:
  std::string path_;
};

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace piaojue::fuzz
