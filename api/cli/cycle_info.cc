#include "api/cli/cycle_info.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/cli/data_dir.h"
#include "api/cli/session.h"
#include "ledger/envelope.h"
#include "projections/views.h"

namespace piaojue::cli {

Result<RoundInfo> ReadRoundInfo(const projections::State& state,
                                uint64_t round) {
  ASSIGN_OR_RETURN(projections::RoundRecount recount, state.Recount(round));
  projections::ViewQuery q;
  q.round = round;
  ASSIGN_OR_RETURN(nlohmann::json tally, projections::View(state, "tally", q));
  RoundInfo info;
  info.ref = round;
  info.vote = recount.vote;
  info.cycle = tally["vote"]["cycle"].get<uint64_t>();
  info.sheet.rules = recount.rules;
  const nlohmann::json& r = tally["rounds"].at(0);
  info.number = r["round"].get<uint16_t>();
  info.certified = !r["certified"].is_null();
  for (const nlohmann::json& item : r["recount"]["items"]) {
    info.sheet.items.push_back(
        {item["item"].get<uint64_t>(), item["name"].get<std::string>()});
  }
  for (const nlohmann::json& b : r["boxes"]) {
    BoxInfo box;
    box.ref = b["ref"].get<uint64_t>();
    box.label = b["label"].get<std::string>();
    box.opened = b["opened"].get<uint64_t>() != 0;
    box.issued = b["issued"].get<uint32_t>();
    box.collected = b["collected"].get<uint32_t>();
    box.parts_recorded = static_cast<uint16_t>(b["parts"].size());
    info.boxes.push_back(std::move(box));
  }
  ASSIGN_OR_RETURN(nlohmann::json cycles,
                   projections::View(state, "cycles", {}));
  for (const nlohmann::json& c : cycles["cycles"]) {
    if (c["ref"].get<uint64_t>() == info.cycle) {
      info.jurisdiction = c["jurisdiction"]["code"].get<std::string>();
    }
  }
  return info;
}

std::string BoxList(const RoundInfo& round, bool chinese) {
  std::string s = chinese
                      ? "；本轮票箱："
                      : "; boxes of round " + std::to_string(round.ref) + ": ";
  if (round.boxes.empty()) s += chinese ? "无" : "none";
  for (size_t i = 0; i < round.boxes.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(round.boxes[i].ref) + " " +
         round.boxes[i].label;
  }
  return s;
}

namespace {

// Writes `text` to a new file (O_EXCL: an earlier file is never replaced)
// and syncs it.
Status WriteNewFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return AlreadyExists("file exists: " + path);
    return IOError("cannot create " + path);
  }
  const bool ok = ::write(fd, text.data(), text.size()) ==
                      static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return IOError("cannot write " + path);
  return Status::Ok();
}

}  // namespace

Status WriteCommandFile(const std::string& path, const std::string& command,
                        const std::string& key_file,
                        const std::string& origin) {
  if (key_file.empty()) return WriteNewFile(path, command);
  // As `piaojue sign` does: the signed bytes and a readable rendering.
  ASSIGN_OR_RETURN(note::SignerKey key, ReadKeyFile(key_file));
  ASSIGN_OR_RETURN(ledger::SignedEvent event,
                   SignCommand(command, key.key_pair, origin));
  ASSIGN_OR_RETURN(std::string envelope, ledger::EnvelopeToJson(event));
  return WriteNewFile(path, envelope);
}

}  // namespace piaojue::cli
