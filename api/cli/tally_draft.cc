#include "api/cli/tally_draft.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/cli/cycle_info.h"
#include "api/cli/data_dir.h"
#include "api/cli/session.h"

namespace piaojue::cli {

Result<std::string> DraftTally(const projections::State& state, uint64_t round,
                               const std::vector<std::string>& certified_by,
                               bool chinese) {
  ASSIGN_OR_RETURN(RoundInfo info, ReadRoundInfo(state, round));
  ASSIGN_OR_RETURN(projections::RoundRecount r, state.Recount(round));
  const std::string which = std::to_string(round);
  if (info.certified) {
    return FailedPrecondition(
        chinese ? "第 " + which + " 号轮次的计票结果已经确认"
                : "round " + which + " already has a certified tally");
  }
  if (r.void_round) {
    return FailedPrecondition(chinese
                                  ? "第 " + which + " 号轮次已宣布无效"
                                  : "round " + which + " was declared void");
  }
  if (r.collected_exceeds_issued) {
    return FailedPrecondition(
        chinese ? "有票箱收回票数多于发出票数：本轮不能确认，须由主席团宣布无效"
                : "a box collected more ballots than it issued: the round "
                  "cannot be certified and must be declared void");
  }
  if (info.boxes.empty() || !r.complete) {
    std::string missing;
    for (const BoxInfo& b : info.boxes) {
      if (!b.opened || b.parts_recorded == 0) {
        missing += (missing.empty() ? "" : ", ") + std::to_string(b.ref) + " " +
                   b.label;
      }
    }
    return FailedPrecondition(
        chinese ? "本轮尚有票箱未开箱或选票未记录完毕：" +
                      (missing.empty() ? std::string("无票箱") : missing)
                : "not every box of the round is opened and recorded yet: " +
                      (missing.empty() ? std::string("no boxes") : missing));
  }
  const bool satisfaction =
      r.rules.purpose == projections::VotePurpose::kSatisfaction;
  nlohmann::json items = nlohmann::json::array();
  for (const projections::ItemCount& c : r.count.items) {
    nlohmann::json item = {{"item", c.item},
                           {"approve", c.approve},
                           {"oppose", c.oppose},
                           {"abstain", c.abstain}};
    if (satisfaction) item["satisfactionAbstain"] = c.satisfaction_abstain;
    items.push_back(std::move(item));
  }
  nlohmann::json command = {{"jurisdiction", info.jurisdiction},
                            {"event",
                             {{"tallyCertified",
                               {{"round", round},
                                {"issued", r.issued},
                                {"collected", r.collected},
                                {"valid", r.count.valid},
                                {"invalid", r.count.invalid},
                                {"items", std::move(items)},
                                {"certifiedBy", certified_by}}}}}};
  return command.dump(1) + "\n";
}

Status TallyDraft(const TallyDraftOptions& o, std::ostream& out) {
  DataDir dir(o.data);
  ASSIGN_OR_RETURN(auto session, Session::Open(dir, /*read_only=*/true));
  ASSIGN_OR_RETURN(std::string command, DraftTally(session->state(), o.round,
                                                   o.certified_by, o.chinese));
  if (o.out_file.empty()) {
    out << command;
    return Status::Ok();
  }
  RETURN_IF_ERROR(WriteCommandFile(o.out_file, command, "", ""));
  // What the monitors compare with their paper tally, by name.
  ASSIGN_OR_RETURN(RoundInfo info, ReadRoundInfo(session->state(), o.round));
  ASSIGN_OR_RETURN(projections::RoundRecount r,
                   session->state().Recount(o.round));
  out << (o.chinese ? "第 " + std::to_string(info.number) + " 轮（条目 " +
                          std::to_string(o.round) + "）：发出 " +
                          std::to_string(r.issued) + "，收回 " +
                          std::to_string(r.collected) + "\n"
                    : "round " + std::to_string(info.number) + " (entry " +
                          std::to_string(o.round) + "): issued " +
                          std::to_string(r.issued) + ", collected " +
                          std::to_string(r.collected) + "\n");
  PrintCount(info.sheet, r.count, o.chinese, out);
  out << (o.chinese ? "已写出 " : "wrote ") << o.out_file << "\n";
  return Status::Ok();
}

}  // namespace piaojue::cli
