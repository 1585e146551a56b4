#include "api/cli/data_dir.h"

#include <capnp/schema.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace piaojue::cli {

std::string DataDir::author_key_path(std::string_view role,
                                     std::string_view jurisdiction) const {
  return keys_path() + "/" + RoleKeyFileName(role, jurisdiction);
}

std::string RoleKeyFileName(std::string_view role,
                            std::string_view jurisdiction) {
  return std::string(role) + "@" + std::string(jurisdiction) + ".key";
}

bool IsInside(const std::string& path, const std::string& dir) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec).lexically_normal();
  auto d = std::filesystem::absolute(dir, ec).lexically_normal();
  if (ec) return false;
  auto rel = p.lexically_relative(d);
  return !rel.empty() && *rel.begin() != "..";
}

Status WriteKeyFile(const std::string& path, const note::SignerKey& key) {
  std::string text = note::FormatSignerKey(key.name, key.key_pair.secret_key);
  text += "\n";
  // O_EXCL: a key file is never silently replaced.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return AlreadyExists("key file exists: " + path);
    return IOError("cannot create key file " + path);
  }
  bool ok = ::write(fd, text.data(), text.size()) ==
                static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return IOError("cannot write key file " + path);
  return Status::Ok();
}

Result<note::SignerKey> ReadKeyFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return NotFound("no key file " + path);
  }
  if (st.st_mode & 077) {
    return PermissionDenied("key file " + path +
                            " is readable by others; run chmod 600 on it");
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  auto key = note::ParseSignerKey(line);
  if (!key.ok()) {
    return InvalidArgument("key file " + path +
                           " is not a signer key: " + key.status().message());
  }
  return key;
}

Result<schema::Role> ParseRole(std::string_view name) {
  auto schema = capnp::Schema::from<schema::Role>();
  for (auto e : schema.getEnumerants()) {
    if (e.getOrdinal() != 0 && name == e.getProto().getName().cStr()) {
      return static_cast<schema::Role>(e.getOrdinal());
    }
  }
  std::string known;
  for (auto e : schema.getEnumerants()) {
    if (e.getOrdinal() == 0) continue;
    known += (known.empty() ? "" : ", ") +
             std::string(e.getProto().getName().cStr());
  }
  return InvalidArgument("unknown role \"" + std::string(name) +
                         "\"; roles: " + known);
}

}  // namespace piaojue::cli
