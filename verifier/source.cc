#include "verifier/source.h"

#include <rocksdb/db.h>

#include <filesystem>
#include <memory>

#include "ledger/bundle.h"

namespace piaojue::verifier {

namespace {

uint64_t GetBe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

Status ReadStore(const std::string& dir, const SourceCallbacks& cb,
                 const SourceOptions& source_options) {
  rocksdb::Options options;
  if (source_options.env != nullptr) options.env = source_options.env;
  rocksdb::DB* raw = nullptr;
  // Read-only: the verifier never writes, and may run beside a live server.
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, dir, &raw);
  if (!s.ok()) return IOError("cannot open " + dir + ": " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  // A key the store says is absent is absent; a key it cannot read is an
  // error, never taken for absence (a checkpoint skipped for a read error
  // would go unchecked while the verification passes).
  auto read_key = [&](const char* key, std::string* value) -> Result<bool> {
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) {
      return IOError(std::string("cannot read ") + key + " from " + dir + ": " +
                     s.ToString());
    }
    return true;
  };
  std::string head;
  ASSIGN_OR_RETURN(bool has_head, read_key("m/head", &head));
  if (cb.on_size_hint && has_head && head.size() >= 8) {
    cb.on_size_hint(GetBe64(head.data()));
  }
  std::string checkpoint;
  ASSIGN_OR_RETURN(bool has_checkpoint, read_key("c/latest", &checkpoint));
  if (has_checkpoint) RETURN_IF_ERROR(cb.on_checkpoint(checkpoint));
  // The latest checkpoint the witnesses cosigned (docs/FORMAT.md, "RocksDB
  // layout"), checked like any other; it carries their cosignatures.
  std::string cosigned;
  ASSIGN_OR_RETURN(bool has_cosigned, read_key("c/cosigned", &cosigned));
  if (has_cosigned && cosigned != checkpoint) {
    RETURN_IF_ERROR(cb.on_checkpoint(cosigned));
  }
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 2 << 20;
  ro.verify_checksums = true;
  std::string upper = "f";
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  for (it->Seek("e"); it->Valid(); it->Next()) {
    if (it->key().size() != 9) {
      return Corruption("store holds a malformed entry key");
    }
    RETURN_IF_ERROR(
        cb.on_entry(GetBe64(it->key().data() + 1), it->value().ToStringView()));
  }
  if (!it->status().ok()) {
    return Corruption("store: " + it->status().ToString());
  }
  return Status::Ok();
}

}  // namespace

Status ReadSource(const std::string& path, const SourceCallbacks& cb,
                  const SourceOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec))
    return NotFound("no such file or directory: " + path);
  if (fs::is_regular_file(path, ec)) {
    if (!ledger::LooksLikeBundle(path)) {
      return Corruption(path + " is not a piaojue export bundle");
    }
    return ledger::ReadBundle(
        path,
        [&](std::string_view checkpoint, uint64_t count) -> Status {
          if (cb.on_size_hint) cb.on_size_hint(count);
          if (checkpoint.empty()) return Status::Ok();
          return cb.on_checkpoint(checkpoint);
        },
        cb.on_entry);
  }
  if (fs::exists(fs::path(path) / "ledger" / "CURRENT", ec)) {
    return ReadStore((fs::path(path) / "ledger").string(), cb, options);
  }
  if (fs::exists(fs::path(path) / "CURRENT", ec))
    return ReadStore(path, cb, options);
  return NotFound(path + " holds no piaojue ledger");
}

}  // namespace piaojue::verifier
