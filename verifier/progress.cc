#include "verifier/progress.h"

#include <unistd.h>

#include <string>

namespace piaojue::verifier {

Progress::Progress(bool enabled, std::FILE* out,
                   std::function<Clock::time_point()> now)
    : enabled_(enabled && out && isatty(fileno(out))),
      out_(out),
      now_(std::move(now)),
      start_(now_()) {}

std::string ProgressLine(uint64_t done, uint64_t total, double seconds) {
  const double rate = seconds > 0 ? done / seconds : 0;
  char line[160];
  if (total >= done && total > 0) {
    const double left = rate > 0 ? (total - done) / rate : 0;
    std::snprintf(line, sizeof line,
                  "verifying: %llu / %llu entries (%.0f%%), %.0f entries/s, "
                  "%.0f s left",
                  static_cast<unsigned long long>(done),
                  static_cast<unsigned long long>(total), 100.0 * done / total,
                  rate, left);
  } else {
    std::snprintf(line, sizeof line, "verifying: %llu entries, %.0f entries/s",
                  static_cast<unsigned long long>(done), rate);
  }
  return line;
}

void Progress::Update(uint64_t done) {
  if (!enabled_) return;
  const Clock::time_point now = now_();
  if (now - start_ < std::chrono::seconds(1) ||
      now - last_ < std::chrono::milliseconds(250)) {
    return;
  }
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  // Padded so that a shorter line covers a longer one before it.
  std::fprintf(out_, "\r%-79s", ProgressLine(done, total_, secs).c_str());
  std::fflush(out_);
  shown_ = true;
}

void Progress::Done() {
  if (!shown_) return;
  std::fprintf(out_, "\r%79s\r", "");
  std::fflush(out_);
  shown_ = false;
}

}  // namespace piaojue::verifier
