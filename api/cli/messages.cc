#include "api/cli/messages.h"

#include <cstdlib>
#include <map>
#include <string>

namespace piaojue::cli {

namespace {

using Table = std::map<std::string_view, std::string_view>;

// Event kinds in the words of the seeds (征集, 初定, 票决, 监督, 评估).
const Table& KindsZh() {
  static const Table t = {
      {"genesis", "创建账本"},
      {"jurisdictionRegistered", "登记行政区划"},
      {"keyRegistered", "登记签名密钥"},
      {"keyRevoked", "吊销签名密钥"},
      {"cycleOpened", "开启年度民生实事项目周期（发布征集公告）"},
      {"proposalSubmitted", "登记项目建议（征集）"},
      {"proposalsMerged", "归并相似建议"},
      {"screeningDecided", "初定审核/审定/审查决定"},
      {"candidateListFixed", "确定候选项目名单"},
      {"votingRulesAdopted", "通过票决办法（或满意度测评办法）"},
      {"deliberationRecorded", "记录大会审议"},
      {"roundOpened", "开始一轮投票"},
      {"ballotBoxSealed", "票箱检查并密封"},
      {"ballotBoxOpened", "开箱清点（发出票数、收回票数）"},
      {"ballotsRecorded", "录入选票"},
      {"tallyCertified", "计票结果确认"},
      {"resultAnnounced", "宣布票决结果"},
      {"implementationPlanned", "实施计划"},
      {"progressReported", "报告项目进度"},
      {"inspectionRecorded", "记录代表视察"},
      {"supervisionNoticeIssued", "发出督办通知"},
      {"adjustmentDecided", "因不可抗力调整项目的决定"},
      {"acceptanceRecorded", "记录项目验收"},
      {"evaluationScored", "绩效评估评分"},
      {"rectificationOrdered", "责令限期整改"},
      {"rectificationReported", "报告整改情况"},
      {"operationReviewed", "项目运行情况回头看"},
      {"correction", "更正（或撤回）此前的记录"},
      {"roundVoided", "宣布本轮投票无效"},
  };
  return t;
}

const Table& RolesZh() {
  static const Table t = {
      {"governmentOffice", "政府（票决制协调办公室）"},
      {"partyCommittee", "党委"},
      {"standingCommittee", "人大常委会/乡镇人大主席团"},
      {"secretariat", "大会秘书处"},
      {"teller", "计票人"},
      {"monitor", "监票人"},
      {"implementingAgency", "实施单位"},
      {"inspectionGroup", "代表视察组"},
      {"evaluationGroup", "评估小组"},
      {"publicIntake", "公众征集渠道"},
      {"presidium", "大会主席团"},
      {"root", "账本根密钥持有人（人大常委会办公室）"},
  };
  return t;
}

// The rules a clerk meets (docs/RULES.md); the rule id stays in the message.
const Table& RulesZh() {
  static const Table t = {
      {"event.kind", "不认识的事项类型"},
      {"event.text_control", "文字中含有不允许的控制字符"},
      {"ref.missing", "引用的记录不存在（请核对条目编号）"},
      {"ref.wrong_kind", "引用的条目不是所需类型的记录（请核对条目编号）"},
      {"ref.other_jurisdiction", "引用的记录属于另一个行政区划"},
      {"ref.retracted", "引用的记录已被撤回"},
      {"cycle.fields",
       "周期信息不完整：需要年份、标题、预算（≥0）、项目数（≥1）和有效的征集起"
       "止日期"},
      {"cycle.level", "周期的层级（县/乡镇）须与行政区划的层级一致"},
      {"cycle.duplicate", "同一行政区划每年只能开启一个周期"},
      {"cycle.window_past",
       "征集期已经结束：过去年份的周期只能作为补录（backfill）登记"},
      {"cycle.backfill",
       "补录须同时勾选 backfill 并写明补录原因，且只能补录过去的周期"},
      {"proposal.fields",
       "建议信息不完整：需要标题、内容、类别、地点、估算投资（≥0）、提出人类型"
       "和征集渠道"},
      {"proposal.received_on", "该征集渠道须填写收件日期（receivedOn）"},
      {"proposal.cycle_closed", "该周期已经结束，不再接收建议"},
      {"proposal.after_list", "候选名单已经确定，不再接收建议"},
      {"proposal.received_future", "收件日期不能晚于登记当天"},
      {"proposal.window", "收件日期不在征集期内"},
      {"merge.fields", "归并后的项目信息不完整"},
      {"merge.sources", "归并至少需要两条不重复的建议"},
      {"merge.after_list", "候选名单已经确定，不能再归并"},
      {"merge.same_cycle", "被归并的建议须属于同一周期"},
      {"merge.source_state", "被归并的建议已被归并或已被否决"},
      {"screening.fields",
       "初定决定须写明环节、结果（通过/不通过）、理由类别和理由"},
      {"screening.retired", "该建议已被归并，请对归并后的项目作出决定"},
      {"screening.stopped", "该建议已在前一环节被否决，不再进入后续环节"},
      {"screening.order",
       "须按审核（政府）→审定（党委）→审查（人大）的顺序决定"},
      {"screening.twice", "该环节已对此建议作出决定；如需改变请使用更正"},
      {"list.fields",
       "候选名单须至少有一个项目，每个项目须有名称和投资额（≥0）"},
      {"list.duplicate", "同一建议在候选名单中出现了两次"},
      {"list.fixed_once", "该周期的候选名单已经确定；如需改变请使用更正"},
      {"list.after_rules", "票决办法通过后，候选名单不得再改变"},
      {"list.not_passed",
       "候选项目须是本周期内通过了审核、审定、审查三个环节的建议"},
      {"vote.fields",
       "票决办法信息不完整或有误（目的、应到人数、法定人数、通过基数、席位数等"
       "）"},
      {"vote.duplicate", "每个周期只有一次项目票决（后续以新一轮投票继续）"},
      {"vote.no_list", "须先确定候选名单，再通过票决办法"},
      {"vote.margin", "候选项目数须等于席位数加差额数（差额至少为1）"},
      {"vote.satisfaction_items", "满意度测评的项目须是本周期票决产生的项目"},
      {"vote.satisfaction_twice",
       "该项目已经测评过；重新测评须写明理由且在前次结果宣布之后"},
      {"vote.quorum", "实到人数须超过应到人数的法定比例（默认三分之二）"},
      {"round.fields", "每一轮的表决事项不得重复"},
      {"round.number", "投票轮次须按1、2、…顺序编号"},
      {"round.previous_open", "上一轮尚未宣布结果或宣布无效"},
      {"round.no_seats_open", "上一轮没有留下并列或空缺席位，不需要再投票"},
      {"round.items",
       "本轮的表决事项与规则不符（第一轮为全部候选项目；再次投票仅限并列或未当"
       "选的项目）"},
      {"round.seats", "本轮席位数与规则不符"},
      {"round.max_approvals", "本轮每张选票最多可赞成的项目数与规则不符"},
      {"deliberation.fields", "审议日期无效"},
      {"box.fields", "票箱须有名称"},
      {"box.monitors", "票箱须在至少一名监票人见证下检查密封"},
      {"box.label", "同一轮中票箱名称不得重复"},
      {"box.round_closed", "开箱或开始计票后不能再密封新的票箱"},
      {"box.opened_twice", "该票箱已经开箱"},
      {"box.counts_fixed", "开箱时的发出票数和收回票数不得更正"},
      {"box.too_small", "票箱收回的选票太少，可能暴露投票人；请与其他票箱合并"},
      {"box.issued_exceeds_present", "发出的选票总数超过了实到人数"},
      {"vote.round_void", "本轮投票已宣布无效，不能再记录"},
      {"ballots.box_not_opened", "须先开箱清点，再录入选票"},
      {"ballots.round_certified", "计票结果已确认，不能再录入选票"},
      {"ballots.item_count", "每张选票的表决事项数与本轮不符"},
      {"ballots.marks_length", "选票数据长度不是整数张选票"},
      {"ballots.order", "选票须按规范顺序排列（以免泄露投票顺序）"},
      {"ballots.parts", "分批录入的批号或批数有误"},
      {"ballots.parts_full", "分批录入时，除最后一批外每批须录满"},
      {"ballots.count", "录入的选票数（含无法辨认的）须等于该票箱收回的票数"},
      {"vote.tally_twice", "本轮计票结果已经确认"},
      {"vote.tally_incomplete", "还有票箱未开箱或选票未录完"},
      {"vote.collected_exceeds_issued",
       "收回票数多于发出票数：本轮投票无效，须宣布无效后重新投票"},
      {"vote.tally_mismatch",
       "确认的计票结果与按已录入选票重新计票的结果不一致"},
      {"vote.tally_sum", "每个项目的赞成、反对、弃权之和须等于有效票数"},
      {"vote.result_twice", "本轮结果已经宣布"},
      {"vote.result_before_tally", "须先确认计票结果，再宣布结果"},
      {"vote.result_mismatch",
       "宣布的结果与按计票结果和票决办法得出的结果不一致"},
      {"result.fields", "宣布日期无效"},
      {"void.fields", "宣布无效须写明理由"},
      {"void.twice", "本轮已宣布无效"},
      {"void.after_tally", "计票结果已经确认，本轮不能再宣布无效"},
      {"supervision.not_elected", "该项目不是票决产生的项目"},
      {"plan.fields", "实施计划须写明实施单位、预算（≥0）和有效的节点"},
      {"supervision.planned_twice", "该项目已有实施计划；如需改变请使用更正"},
      {"supervision.not_planned", "须先报实施计划"},
      {"supervision.as_of", "进度报告须写明截至日期"},
      {"supervision.percent_range", "完成比例不能超过100%"},
      {"supervision.spent_negative", "已支出金额不能为负"},
      {"supervision.evidence_hash", "附件须有32字节的SHA-256值"},
      {"supervision.as_of_future", "进度的截至日期不能晚于报告当天"},
      {"supervision.backdated", "进度报告的截至日期须晚于该项目上一次报告"},
      {"supervision.percent_decreased",
       "报告的进度不能下降；报多了请更正原报告"},
      {"supervision.terminated", "该项目已终止"},
      {"supervision.inspection_projects",
       "视察记录须列出至少一个项目，且不重复"},
      {"supervision.notice_due", "督办通知的办结期限不能早于发出日期"},
      {"supervision.fields", "日期无效或新预算为负"},
      {"supervision.adjustment_kind", "调整类型须为调整、暂停或终止"},
      {"supervision.force_majeure_required",
       "调整须写明不可抗力情形和法律依据"},
      {"supervision.acceptance_future", "验收日期不能晚于登记当天"},
      {"supervision.acceptance_no_progress", "验收前须至少有一次进度报告"},
      {"supervision.accepted_twice", "该项目已通过验收"},
      {"evaluation.scores", "评分须在0到100之间"},
      {"rectification.fields", "整改的日期无效"},
      {"rectification.deadline", "整改期限不能早于责令日期"},
      {"rectification.closed", "整改已报告完成"},
      {"operation.not_accepted", "回头看须在项目通过验收之后"},
      {"correction.fields", "更正须写明理由"},
      {"correction.kind", "更正后的内容须与原记录是同一类事项"},
      {"correction.vote_records_final", "选票、计票结果和宣布的结果不能更正"},
      {"correction.not_correctable",
       "账本、行政区划、密钥的登记和更正本身不能更正"},
      {"correction.retracted", "该记录已被撤回"},
      {"correction.same_subject",
       "更正不能改变记录的对象（周期、建议、环节、票箱、项目等）"},
      {"correction.in_use", "该记录已被后续记录引用，不能撤回或改变"},
      {"correction.conflicts", "更正与后来的记录相矛盾"},
      {"correction.responsible_office",
       "无权更正此记录（已开始初定的建议只能由政府更正）"},
      {"correction.substance_frozen",
       "初定开始后，建议的标题、类别、地点、投资和资金来源不能再更正"},
      {"correction.schedule_history", "更正不能改变已到期的进度节点"},
  };
  return t;
}

std::string Lookup(const Table& t, std::string_view key) {
  auto it = t.find(key);
  return it == t.end() ? std::string(key) : std::string(it->second);
}

}  // namespace

Lang LangFromEnvironment() {
  for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    return std::string_view(value).substr(0, 2) == "zh" ? Lang::kChinese
                                                        : Lang::kEnglish;
  }
  return Lang::kEnglish;
}

std::string EventKindLabel(std::string_view kind, Lang lang) {
  return lang == Lang::kChinese ? Lookup(KindsZh(), kind) : std::string(kind);
}

std::string RoleLabel(std::string_view role, Lang lang) {
  return lang == Lang::kChinese ? Lookup(RolesZh(), role) : std::string(role);
}

std::string_view RuleTextZh(std::string_view rule_id) {
  auto it = RulesZh().find(rule_id);
  return it == RulesZh().end() ? std::string_view() : it->second;
}

Status Localize(const Status& status, Lang lang) {
  if (lang != Lang::kChinese || status.ok()) return status;
  std::string message = status.message();
  // "rule <id>: <detail>" (projections/rules_common.h).
  constexpr std::string_view kRule = "rule ";
  const size_t at = message.find(kRule);
  const size_t colon =
      at == std::string::npos ? at : message.find(':', at + kRule.size());
  if (colon != std::string::npos) {
    const size_t id_at = at + kRule.size();
    const std::string id = message.substr(id_at, colon - id_at);
    std::string_view zh = RuleTextZh(id);
    if (!zh.empty()) {
      const size_t detail = colon + 1 + (message[colon + 1] == ' ');
      message = message.substr(0, at) + "规则 " + id + "：" + std::string(zh) +
                "（" + message.substr(detail) + "）";
    }
  } else if (status.code() == StatusCode::kPermissionDenied) {
    message = "无权签署或使用：" + message;
  } else if (status.code() == StatusCode::kUnauthenticated) {
    message = "签名无效：" + message;
  }
  return Status(status.code(), message);
}

}  // namespace piaojue::cli
