#include "verifier/trail_spool.h"

#include <string>

namespace piaojue::verifier {

Result<std::shared_ptr<TrailSpool>> TrailSpool::Create() {
  std::FILE* file = std::tmpfile();
  if (!file) return IOError("cannot create a temporary file for the trail");
  return std::shared_ptr<TrailSpool>(new TrailSpool(file));
}

TrailSpool::~TrailSpool() { std::fclose(file_); }

Status TrailSpool::Append(std::string_view line) {
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
      std::fputc('\n', file_) == EOF) {
    return IOError("cannot write the trail's temporary file");
  }
  ++count_;
  return Status::Ok();
}

Status TrailSpool::ForEach(
    const std::function<void(std::string_view)>& fn) const {
  if (std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0) {
    return IOError("cannot read the trail's temporary file");
  }
  std::string line;
  char buf[1 << 14];
  for (uint64_t n = 0; n < count_;) {
    if (!std::fgets(buf, sizeof buf, file_)) {
      return IOError("the trail's temporary file ends early");
    }
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      fn(line);
      line.clear();
      ++n;
    }
  }
  // Appends continue at the end.
  std::fseek(file_, 0, SEEK_END);
  return Status::Ok();
}

}  // namespace piaojue::verifier
