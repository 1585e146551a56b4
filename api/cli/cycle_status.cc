// The cycle's steps, in the order a cycle goes through them (DOMAIN.md "The
// cycle"; docs/RULES.md for what each act needs). The status is the first
// step with something missing; everything missing is listed.
#include "api/cli/cycle_status.h"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "api/cli/data_dir.h"
#include "api/cli/messages.h"
#include "api/cli/session.h"
#include "ledger/crypto.h"
#include "projections/views.h"

namespace piaojue::cli {

namespace {

using nlohmann::json;

const char* Say(bool chinese, const char* english, const char* zh) {
  return chinese ? zh : english;
}

std::string N(size_t n) { return std::to_string(n); }

struct StepName {
  const char* id;
  const char* en;
  const char* zh;
};
constexpr StepName kSteps[] = {
    {"collection", "collection", "征集"},
    {"screening", "preliminary selection (review, approval, examination)",
     "初定（审核、审定、审查）"},
    {"list", "candidate list", "确定候选项目"},
    {"vote", "vote", "票决"},
    {"supervision", "supervision", "监督"},
    {"evaluation", "evaluation and satisfaction vote", "评估与满意度测评"},
    {"closed", "closed: every step is done", "已完成：各环节均已记录"},
};

// The next act in English words; in Chinese the seeds' words
// (messages.h, EventKindLabel).
struct ActName {
  const char* kind;
  const char* en;
};
constexpr ActName kActs[] = {
    {"proposalSubmitted", "record a proposal"},
    {"screeningDecided", "record a screening decision"},
    {"candidateListFixed", "fix the candidate list"},
    {"votingRulesAdopted", "adopt the voting rules"},
    {"roundOpened", "open a round of voting"},
    {"ballotBoxSealed", "seal the ballot boxes"},
    {"ballotBoxOpened", "open the ballot boxes"},
    {"ballotsRecorded", "record the ballots"},
    {"tallyCertified", "certify the tally"},
    {"resultAnnounced", "announce the result"},
    {"roundVoided", "declare the round void"},
    {"implementationPlanned", "record the implementation plan"},
    {"progressReported", "report progress"},
    {"acceptanceRecorded", "record the acceptance"},
    {"evaluationScored", "record the performance evaluation"},
    {"rectificationOrdered", "order a rectification"},
    {"rectificationReported", "report on the rectification"},
};

// "党委 (partyCommittee)" in Chinese, the role's name in English.
std::string SignerLabel(std::string_view role, bool chinese) {
  if (!chinese) return std::string(role);
  return RoleLabel(role, Lang::kChinese) + " (" + std::string(role) + ")";
}

// The status being built: the first missing thing sets step and next act.
struct Builder {
  CycleStatus status;
  bool chinese = false;
  bool decided = false;

  void Missing(const char* step, std::string line, const char* act,
               std::vector<std::string> roles, std::string hint = "") {
    status.missing.push_back(std::move(line));
    if (decided) return;
    decided = true;
    status.step = step;
    status.next_act = act;
    status.next_hint = std::move(hint);
    for (std::string& r : roles) status.signers.push_back({std::move(r), {}});
  }
};

// What a round still needs, in order; false when the round is settled.
bool RoundMissing(Builder& b, const char* step, const json& round,
                  const std::string& what) {
  const bool zh = b.chinese;
  const std::string n = N(round["round"].get<int>());
  const std::string name = zh ? what + "第 " + n + " 轮" : what + " round " + n;
  const std::string ref = N(round["ref"].get<uint64_t>());
  if (round["void"].get<bool>()) {
    b.Missing(step,
              name + Say(zh, " was declared void: it is held again",
                         "已宣布无效，须重新投票"),
              "roundOpened", {"secretariat"});
    return true;
  }
  const json& boxes = round["boxes"];
  if (boxes.empty()) {
    b.Missing(step, name + Say(zh, ": no ballot box sealed yet", "：尚未封箱"),
              "ballotBoxSealed", {"monitor"});
    return true;
  }
  size_t unopened = 0, unrecorded = 0;
  uint64_t first_unrecorded = 0;
  for (const json& box : boxes) {
    if (box["opened"].get<uint64_t>() == 0) {
      ++unopened;
    } else if (box["parts"].empty() ||
               box["parts"].size() < box["partCount"].get<size_t>()) {
      if (!unrecorded++) first_unrecorded = box["ref"].get<uint64_t>();
    }
  }
  if (round["mustBeVoided"].get<bool>()) {
    b.Missing(step,
              name + Say(zh,
                         ": a box collected more than it issued; the "
                         "round must be declared void",
                         "：有票箱收回票数多于发出票数，须宣布本轮无效"),
              "roundVoided", {"presidium", "standingCommittee"});
    return true;
  }
  if (unopened) {
    b.Missing(step,
              name + (zh ? "：" + N(unopened) + " 个票箱尚未开箱"
                         : ": " + N(unopened) + " ballot box(es) not opened"),
              "ballotBoxOpened", {"monitor"});
    return true;
  }
  if (unrecorded) {
    b.Missing(step,
              name + (zh ? "：" + N(unrecorded) + " 个票箱的选票尚未录入"
                         : ": the ballots of " + N(unrecorded) +
                               " box(es) are not recorded"),
              "ballotsRecorded", {"teller"},
              "piaojue ballots --round " + ref + " --box " +
                  N(first_unrecorded) + " --from SHEET.csv");
    return true;
  }
  if (round["certified"].is_null()) {
    b.Missing(
        step,
        name + Say(zh, ": the tally is not certified", "：计票结果尚未确认"),
        "tallyCertified", {"monitor"}, "piaojue tally draft --round " + ref);
    return true;
  }
  if (round["announced"].is_null()) {
    b.Missing(
        step,
        name + Say(zh, ": the result is not announced", "：票决结果尚未宣布"),
        "resultAnnounced", {"presidium"});
    return true;
  }
  return false;
}

Result<json> ViewOf(const projections::State& state, const char* name,
                    uint64_t cycle = 0, uint64_t record = 0) {
  projections::ViewQuery q;
  if (cycle) q.cycle = cycle;
  if (record) q.record = record;
  return projections::View(state, name, q);
}

}  // namespace

Result<CycleStatus> ComputeCycleStatus(const projections::State& state,
                                       const ledger::Authority& registry,
                                       uint64_t cycle_ref,
                                       projections::Date today, bool chinese) {
  const bool zh = chinese;
  ASSIGN_OR_RETURN(json cycles, ViewOf(state, "cycles"));
  const json* cycle = nullptr;
  for (const json& c : cycles["cycles"]) {
    if (c["ref"].get<uint64_t>() == cycle_ref) cycle = &c;
  }
  if (!cycle) {
    return NotFound(
        zh ? "第 " + N(cycle_ref) + " 号记录不是年度周期（cycleOpened）"
           : "entry " + N(cycle_ref) + " is not a cycle (cycleOpened)");
  }
  Builder b;
  b.chinese = zh;
  b.status.cycle = cycle_ref;
  b.status.title = (*cycle)["title"].get<std::string>();
  b.status.jurisdiction = (*cycle)["jurisdiction"]["code"].get<std::string>();

  // Collection and screening.
  ASSIGN_OR_RETURN(json funnel, ViewOf(state, "funnel", cycle_ref));
  const std::string end = (*cycle)["collection"]["end"].get<std::string>();
  const bool window_open = projections::FormatDate(today) <= end;
  std::map<std::string, size_t> pending;
  size_t live = 0, passed = 0;
  for (const json& p : funnel["proposals"]) {
    const std::string fate = p["fate"]["status"].get<std::string>();
    if (fate == "retracted" || fate == "merged") continue;
    ++live;
    if (fate == "inScreening") {
      ++pending[p["fate"]["nextStage"].get<std::string>()];
    }
    if (fate == "passedScreening") ++passed;
  }
  // Once the list is fixed no proposal is accepted (proposal.after_list).
  const uint64_t list = (*cycle)["candidateList"].get<uint64_t>();
  if (window_open && list == 0) {
    b.status.notes.push_back(zh ? "征集期至 " + end + "，仍可录入建议"
                                : "the collection window runs until " + end +
                                      ": proposals may still be recorded");
  }
  if (live == 0) {
    b.Missing("collection",
              Say(zh, "collection: no proposal recorded yet",
                  "征集: 尚未录入任何建议"),
              "proposalSubmitted", {"publicIntake", "governmentOffice"});
  }
  struct Stage {
    const char* key;
    const char* en;
    const char* zh;
    const char* role;
  };
  const Stage stages[] = {
      {"governmentReview",
       "review: %s proposal(s) not yet reviewed by the "
       "government office",
       "审核: %s 条建议尚未经政府审核", "governmentOffice"},
      {"partyCommitteeApproval",
       "approval: %s candidate proposal(s) not yet "
       "approved by the party committee",
       "审定: %s 条候选建议尚未经党委审定", "partyCommittee"},
      {"standingCommitteeExamination",
       "examination: %s proposal(s) not yet examined by the standing "
       "committee",
       "审查: %s 条建议尚未经人大常委会审查", "standingCommittee"},
  };
  for (const Stage& s : stages) {
    auto it = pending.find(s.key);
    if (it == pending.end()) continue;
    std::string line = zh ? s.zh : s.en;
    line.replace(line.find("%s"), 2, N(it->second));
    b.Missing("screening", std::move(line), "screeningDecided", {s.role});
  }

  // The candidate list and the selection vote.
  const uint64_t vote = (*cycle)["selectionVote"].get<uint64_t>();
  // The list is the next step only once no proposal waits at a stage.
  if (list == 0 && live > 0 && pending.empty()) {
    b.Missing(
        "list",
        zh ? "候选项目: 清单尚未确定（" + N(passed) + " 条建议已通过三级审查）"
           : "candidates: the list is not fixed (" + N(passed) +
                 " proposal(s) passed all three reviews)",
        "candidateListFixed", {"standingCommittee"});
  }
  if (list != 0 && vote == 0) {
    b.Missing("vote",
              Say(zh, "vote: the voting rules are not adopted",
                  "票决: 票决办法尚未通过"),
              "votingRulesAdopted", {"standingCommittee"});
  }
  bool selection_settled = false;
  if (vote != 0) {
    ASSIGN_OR_RETURN(json tally, ViewOf(state, "tally", 0, vote));
    const json& rounds = tally["rounds"];
    if (rounds.empty()) {
      b.Missing(
          "vote",
          Say(zh, "vote: round 1 is not opened", "票决: 尚未开始第 1 轮投票"),
          "roundOpened", {"secretariat"});
    } else if (!RoundMissing(b, "vote", rounds.back(),
                             Say(zh, "vote:", "票决: "))) {
      const json& a = rounds.back()["announced"];
      const bool further =
          !a["tiedAtCutoff"].empty() ||
          (a["vacantSeats"].get<int>() > 0 &&
           tally["vote"]["shortfallRule"].get<std::string>() == "furtherRound");
      if (further) {
        b.Missing("vote",
                  Say(zh, "vote: seats are left to a further round",
                      "票决: 有席位须进行下一轮投票"),
                  "roundOpened", {"secretariat"});
      } else {
        selection_settled = true;
      }
    }
  }

  // Supervision and evaluation of the elected projects.
  if (selection_settled) {
    ASSIGN_OR_RETURN(json projects, ViewOf(state, "projects", cycle_ref));
    size_t unplanned = 0, unreported = 0, unaccepted = 0, late = 0,
           unscored = 0, unrated = 0, unordered = 0, open_orders = 0;
    bool ready_for_acceptance = false;
    std::set<uint64_t> unrated_refs;
    for (const json& p : projects["projects"]) {
      const std::string status = p["status"].get<std::string>();
      if (status == "terminated") continue;
      if (p["plan"].is_null()) ++unplanned;
      if (p["progress"].empty()) ++unreported;
      if (status == "late") ++late;
      if (status != "done") {
        ++unaccepted;
        if (!p["progress"].empty() &&
            p["progress"].back()["percentBp"].get<int>() >= 10000) {
          ready_for_acceptance = true;
        }
      }
      const json& ev = p["evaluation"];
      if (ev["scores"].empty()) ++unscored;
      if (ev["satisfaction"].is_null()) {
        ++unrated;
        unrated_refs.insert(p["ref"].get<uint64_t>());
      }
      for (const json& r : ev["rectifications"]) {
        if (r["status"] == "open") ++open_orders;
      }
      if (ev["satisfaction"] == "unsatisfied" && ev["rectifications"].empty()) {
        ++unordered;
      }
    }
    if (late) {
      b.status.notes.push_back(zh ? N(late) + " 个项目进度滞后"
                                  : N(late) + " project(s) behind schedule");
    }
    if (unplanned) {
      b.Missing("supervision",
                zh ? "监督: " + N(unplanned) + " 个项目尚无实施计划"
                   : "supervision: " + N(unplanned) +
                         " project(s) have no implementation plan",
                "implementationPlanned",
                {"implementingAgency", "governmentOffice"});
    }
    if (unreported) {
      b.Missing("supervision",
                zh ? "监督: " + N(unreported) + " 个项目尚未报告进度"
                   : "supervision: " + N(unreported) +
                         " project(s) have reported no progress",
                "progressReported", {"implementingAgency"});
    }
    if (unaccepted) {
      b.Missing(
          "supervision",
          zh ? "监督: " + N(unaccepted) + " 个项目尚未通过验收"
             : "supervision: " + N(unaccepted) + " project(s) not yet accepted",
          ready_for_acceptance ? "acceptanceRecorded" : "progressReported",
          {ready_for_acceptance ? "governmentOffice" : "implementingAgency"});
    }
    if (unscored) {
      b.Missing("evaluation",
                zh ? "评估: " + N(unscored) + " 个项目尚未进行绩效评估"
                   : "evaluation: " + N(unscored) +
                         " project(s) have no performance evaluation",
                "evaluationScored", {"evaluationGroup"});
    }
    if (unrated) {
      // The satisfaction vote that rates them, if its rules are adopted.
      const json* sat_round = nullptr;
      json sat;
      for (const json& v : (*cycle)["votes"]) {
        const uint64_t ref = v.get<uint64_t>();
        if (ref == vote) continue;
        ASSIGN_OR_RETURN(json t, ViewOf(state, "tally", 0, ref));
        bool rates = false;
        for (const json& item : t["vote"]["items"]) {
          rates = rates || unrated_refs.count(item.get<uint64_t>());
        }
        if (rates) sat = std::move(t);
      }
      const std::string line =
          zh ? "满意度测评: " + N(unrated) + " 个项目尚未测评"
             : "satisfaction vote: " + N(unrated) + " project(s) not rated";
      if (sat.is_null()) {
        b.Missing("evaluation", line, "votingRulesAdopted",
                  {"standingCommittee"});
      } else if (sat["rounds"].empty()) {
        b.Missing("evaluation", line, "roundOpened", {"secretariat"});
      } else {
        sat_round = &sat["rounds"].back();
        if (!RoundMissing(b, "evaluation", *sat_round,
                          Say(zh, "satisfaction vote:", "满意度测评"))) {
          b.status.missing.push_back(line);
        }
      }
    }
    if (unordered) {
      b.Missing("evaluation",
                zh ? "整改: " + N(unordered) + " 个不满意项目尚未下达整改通知"
                   : "rectification: " + N(unordered) +
                         " project(s) rated unsatisfied have no order",
                "rectificationOrdered", {"standingCommittee"});
    }
    if (open_orders) {
      b.Missing(
          "evaluation",
          zh ? "整改: " + N(open_orders) + " 项整改尚未完成"
             : "rectification: " + N(open_orders) + " order(s) not completed",
          "rectificationReported", {"implementingAgency", "governmentOffice"});
    }
  }
  if (!b.decided) b.status.step = "closed";

  for (const StepName& s : kSteps) {
    if (b.status.step == s.id) b.status.step_label = zh ? s.zh : s.en;
  }
  for (const ActName& a : kActs) {
    if (b.status.next_act == a.kind) b.status.next_act_label = a.en;
  }
  if (zh && !b.status.next_act.empty()) {
    b.status.next_act_label = EventKindLabel(b.status.next_act, Lang::kChinese);
  }
  // Who holds a key for each role in the cycle's jurisdiction.
  for (Signer& s : b.status.signers) {
    for (const auto& [key, record] : registry.keys()) {
      if (record.revoked_at) continue;
      for (const ledger::KeyGrant& g : record.grants) {
        if (g.jurisdiction == b.status.jurisdiction &&
            ledger::RoleName(g.role) == s.role) {
          s.holders.push_back(g.holder);
        }
      }
    }
  }
  return b.status;
}

void PrintCycleStatus(const CycleStatus& s, bool zh, std::ostream& out) {
  out << Say(zh, "cycle ", "周期 ") << s.cycle << " " << s.title << " ("
      << s.jurisdiction << ")\n";
  out << Say(zh, "step: ", "当前环节：") << s.step_label << "\n";
  if (!s.missing.empty()) {
    out << Say(zh, "still missing:\n", "尚缺：\n");
    for (const std::string& m : s.missing) out << "  " << m << "\n";
  }
  for (const std::string& n : s.notes) {
    out << Say(zh, "note: ", "提示：") << n << "\n";
  }
  if (s.next_act.empty()) return;
  out << Say(zh, "next act: ", "下一步：") << s.next_act_label << " ("
      << s.next_act << ")\n";
  out << Say(zh, "signed by: ", "签署：");
  for (size_t i = 0; i < s.signers.size(); ++i) {
    const Signer& signer = s.signers[i];
    out << (i ? Say(zh, " or ", " 或 ") : "") << SignerLabel(signer.role, zh);
    if (signer.holders.empty()) {
      out << Say(zh, " — no key registered yet", "——尚未登记密钥");
    } else {
      out << " — ";
      for (size_t h = 0; h < signer.holders.size(); ++h) {
        out << (h ? Say(zh, ", ", "、") : "") << signer.holders[h];
      }
    }
  }
  out << "\n";
  if (!s.next_hint.empty()) {
    out << Say(zh, "prepare it with: ", "可用命令：") << s.next_hint << "\n";
  } else {
    out << Say(zh, "prepare it with: piaojue template ",
               "可用命令：piaojue template ")
        << s.next_act << "\n";
  }
}

Status ShowCycleStatus(const CycleStatusOptions& o, std::ostream& out) {
  DataDir dir(o.data);
  ASSIGN_OR_RETURN(auto session, Session::Open(dir, /*read_only=*/true));
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ASSIGN_OR_RETURN(
      CycleStatus status,
      ComputeCycleStatus(session->state(), session->ledger().authority(),
                         o.cycle, projections::DateFromMs(now), o.chinese));
  PrintCycleStatus(status, o.chinese, out);
  return Status::Ok();
}

}  // namespace piaojue::cli
