#include "api/cli/templates.h"

#include <map>

namespace piaojue::cli {

namespace {

struct Template {
  const char* kind;
  const char* text;
};

// References to earlier records ("cycle", "proposal", "round", "box",
// "project", "order", "target"…) are the log indices of the entries that
// created them: `piaojue show` prints them as "ref".
const Template kTemplates[] = {
    {"jurisdictionRegistered",
     R"~(// 登记行政区划。签署：根密钥（--key 根密钥文件），"jurisdiction" 留空。
// 通常用 piaojue jurisdiction 命令完成，这里是同一内容的命令形式。
{
  "jurisdiction": "",
  "event": {"jurisdictionRegistered": {
    "code": "610102101",        // 行政区划代码，在本账本中唯一
    "name": "城关镇",
    "level": "township",        // county（县/市/区）或 township（乡/镇/街道）
    "parentCode": "610102"      // 上级行政区划代码；县级留空 ""
  }}
}
)~"},
    {"keyRegistered", R"~(// 登记签名密钥。签署：根密钥，"jurisdiction" 留空。
// 通常用 piaojue key register 命令完成。
{
  "jurisdiction": "",
  "event": {"keyRegistered": {
    "key": "8615f380151b498e08d7a2d0088750083264f6a1445d19cc7bd273664d1d05de",  // 持有人用 piaojue key new 得到的公钥（64位十六进制）
    "role": "teller",           // 角色：governmentOffice、partyCommittee、standingCommittee、secretariat、teller、monitor、implementingAgency、inspectionGroup、evaluationGroup、publicIntake、presidium
    "jurisdiction": "610102",   // 在哪个行政区划行使该角色
    "holder": "计票人 王某"       // 持有人（单位或个人）
  }}
}
)~"},
    {"keyRevoked",
     R"~(// 吊销签名密钥（人员离任、密钥丢失或泄露）。签署：根密钥，"jurisdiction" 留空。
// 通常用 piaojue key revoke 命令完成。吊销之后该密钥签署的一切都被拒绝，之前的记录仍然有效。
{
  "jurisdiction": "",
  "event": {"keyRevoked": {
    "key": "8615f380151b498e08d7a2d0088750083264f6a1445d19cc7bd273664d1d05de",  // 要吊销的公钥
    "reason": "原持有人调离，密钥轮换"
  }}
}
)~"},
    {"cycleOpened",
     R"~(// 开启年度民生实事项目周期（发布征集公告）。签署：政府（governmentOffice）。
{
  "jurisdiction": "610102",              // 本级行政区划代码
  "event": {"cycleOpened": {
    "year": 2025,                        // 项目年度
    "level": "county",                   // county（县/市/区）或 township（乡/镇/街道），须与行政区划一致
    "title": "清河县2025年民生实事项目",
    "budgetFen": "30000万元",             // 预算总额：可写 "30000万元"、"300,000,000.00元" 或以分为单位的整数
    "projectCount": 10,                  // 拟票决产生的项目数
    "collectionStart": "2025年1月6日",    // 征集开始日期，也可写 "2025-01-06"
    "collectionEnd": "2025年2月14日",     // 征集截止日期（含当天）
    "scope": "全县范围内群众急难愁盼的民生实事",  // 征集范围
    "schedule": []                       // 进度节点；留空 [] 即采用默认节点（6月中旬开工、7月底过半、10月底75%、12月底验收）
  }}
}
)~"},
    {"proposalSubmitted",
     R"~(// 登记一条项目建议（征集）。签署：政府（governmentOffice）或公众征集渠道（publicIntake）。
{
  "jurisdiction": "610102",
  "event": {"proposalSubmitted": {
    "cycle": 12,                         // 周期的条目编号（piaojue show cycles 中的 ref）
    "details": {
      "title": "城东片区老旧小区加装电梯",
      "description": "为六层以上无电梯住宅加装电梯，方便老年人出行",
      "category": "publicFacilities",    // education 教育、health 卫生健康、elderlyCare 养老、childcare 托育、transport 交通、cultureSport 文化体育、publicFacilities 公共设施、employmentSocialSecurity 就业和社会保障、environment 生态环境、other 其他
      "location": "城东街道",
      "estimatedInvestmentFen": "120万元", // 估算投资
      "fundingSource": "ownBudget",       // ownBudget 本级财政、centralOrProvincial 主要依靠中央省级资金、mixed 多渠道、socialCapital 社会资本、other 其他
      "fundingNote": "",                  // 资金说明（可留空）
      "expectedCompletion": "2025年11月30日" // 预计完成日期
    },
    "proposerType": "deputy",            // resident 群众、deputy 人大代表、cppccMember 政协委员、department 部门、township 乡镇、other 其他
    "proposerName": "张某",               // 提出人姓名；群众可匿名，留空 ""
    "channel": "contactStation",         // governmentWebsite 政府网站、wechat 微信、contactStation 代表联络站、forum 座谈会、doorToDoor 入户走访、deputySuggestion 代表建议、cppccProposal 政协提案、department 部门、township 乡镇、mail 来信、hotline 热线、other 其他
    "receiptRef": "LLZ-2025-031",         // 渠道自己的收件编号（可留空）
    "receivedOn": "2025年1月20日"          // 收件日期：由人收件后录入的渠道必须填写
  }}
}
)~"},
    {"proposalsMerged",
     R"~(// 把相似的建议归并为一个项目。签署：政府（governmentOffice）。
{
  "jurisdiction": "610102",
  "event": {"proposalsMerged": {
    "cycle": 12,
    "sources": [15, 16],                 // 被归并的建议的条目编号（至少两条）
    "details": {                         // 归并后的项目，字段同 proposalSubmitted 的 details
      "title": "城区主干道路灯改造",
      "description": "合并东片、西片两条路灯建议",
      "category": "publicFacilities",
      "location": "城区",
      "estimatedInvestmentFen": "85万元",
      "fundingSource": "ownBudget",
      "fundingNote": "",
      "expectedCompletion": "2025-10-31"
    },
    "reason": "两条建议内容相近，合并办理"
  }}
}
)~"},
    {"screeningDecided",
     R"~(// 初定：审核（政府）、审定（党委）、审查（人大常委会/主席团）的决定，每个环节一条。
// 签署：stage 为 governmentReview 时政府，partyCommitteeApproval 时党委，standingCommitteeExamination 时人大常委会。
{
  "jurisdiction": "610102",
  "event": {"screeningDecided": {
    "proposal": 15,                      // 建议（或归并后项目）的条目编号
    "stage": "governmentReview",         // governmentReview 审核、partyCommitteeApproval 审定、standingCommitteeExamination 审查
    "outcome": "advance",                // advance 通过、reject 不通过
    "reasonCode": "meetsCriteria",       // meetsCriteria 符合条件、fundedByHigherLevel 主要靠上级资金、notBroadBenefit 不具普惠性、notCompletableInYear 当年难以完成、majorEngineering 重大工程或产业项目、landNotSecured 用地未落实、policyNotSecured 政策未落实、fundingNotSecured 资金未落实、outOfScope 不在征集范围、lowerPriority 优先程度较低、other 其他
    "reasonText": "本级财政保障，受益面广，当年可完成",  // 理由（必填）
    "eligibility": {                     // 对照条件的评估
      "ownBudget": true,                 // 主要由本级财政出资
      "broadBenefit": true,              // 普惠性、公益性
      "completableInYear": true,         // 当年可完成
      "notMajorEngineering": true,       // 不是重大工程或产业项目
      "landPolicyFundingSecured": true   // 用地、政策、资金已落实
    }
  }}
}
)~"},
    {"candidateListFixed",
     R"~(// 确定候选项目名单（按选票上的顺序）。签署：人大常委会（standingCommittee）。
{
  "jurisdiction": "610102",
  "event": {"candidateListFixed": {
    "cycle": 12,
    "candidates": [                      // 每个候选项目一项，顺序即选票顺序
      {"proposal": 15,                   // 通过三个环节的建议的条目编号
       "name": "城乡老年助餐服务点建设",
       "content": "新建老年助餐点20个",
       "implementingAgency": "县民政局",
       "investmentFen": "600万元",
       "requirements": "2025年10月底前全部投入运营"}
    ],
    "sentToDeputiesOn": "2025年3月1日"     // 名单送达代表的日期
  }}
}
)~"},
    {"votingRulesAdopted",
     R"~(// 通过票决办法（或满意度测评办法）。签署：人大常委会（standingCommittee）。
// 满意度测评时：purpose 填 satisfaction，items 填被测评项目的编号，seats、extraCandidates 填 0。
{
  "jurisdiction": "610102",
  "event": {"votingRulesAdopted": {
    "cycle": 12,
    "purpose": "projectSelection",       // projectSelection 项目票决、satisfaction 满意度测评
    "seats": 10,                         // 应选项目数
    "extraCandidates": 2,                // 差额数：候选项目数 = 应选数 + 差额数
    "entitledDeputies": 200,             // 应到代表人数
    "quorum": {"numerator": 2, "denominator": 3},  // 实到须超过应到的这一比例
    "passBase": "entitled",              // 赞成票须超过其半数的基数：entitled 应到人数、present 实到人数、validBallots 有效票数
    "tieRule": "furtherRound",           // 末位得票相同时：furtherRound 就并列项目再次投票
    "shortfallRule": "furtherRound",     // 通过项目不足时：furtherRound 再次投票、leaveVacant 空缺
    "maxApprovals": 0,                   // 每张选票最多赞成几项，0 = 等于应选数
    "items": [],                         // 满意度测评时填被测评项目的编号
    "exactlyHalfPasses": false,          // 满意度测评：恰好半数是否算通过
    "adoptedOn": "2025年3月10日",
    "text": "清河县2025年民生实事项目人大代表票决办法（全文）",
    "minBallotsPerBox": 0,               // 每个票箱至少的票数，0 = 10
    "revoteReason": ""                   // 仅重新测评时填写理由
  }}
}
)~"},
    {"deliberationRecorded",
     R"~(// 记录大会审议。签署：大会秘书处（secretariat）。
{
  "jurisdiction": "610102",
  "event": {"deliberationRecorded": {
    "cycle": 12,
    "session": "清河县第十八届人民代表大会第五次会议",
    "heldOn": "2025年3月12日",
    "summary": "政府作候选项目说明，代表分团审议，有关部门负责人到会答复"
  }}
}
)~"},
    {"roundOpened", R"~(// 开始一轮投票。签署：大会秘书处（secretariat）。
{
  "jurisdiction": "610102",
  "event": {"roundOpened": {
    "vote": 40,                          // 票决办法（votingRulesAdopted）的条目编号
    "round": 1,                          // 第几轮：1、2……
    "items": [15, 17, 18, 21],           // 本轮表决的候选项目（建议的条目编号），按选票顺序
    "seats": 3,                          // 本轮应选数
    "presentDeputies": 186,              // 实到代表人数
    "maxApprovals": 3                    // 本轮每张选票最多赞成几项（不超过本轮应选数）
  }}
}
)~"},
    {"ballotBoxSealed", R"~(// 投票前检查并密封空票箱。签署：监票人（monitor）。
{
  "jurisdiction": "610102",
  "event": {"ballotBoxSealed": {
    "round": 41,                         // 本轮（roundOpened）的条目编号
    "label": "第1票箱",                   // 票箱名称，本轮内不重复
    "monitors": ["李某", "赵某"]           // 在场监票人
  }}
}
)~"},
    {"ballotBoxOpened",
     R"~(// 开箱清点。签署：监票人（monitor）。收回票数多于发出票数时本轮无效。
{
  "jurisdiction": "610102",
  "event": {"ballotBoxOpened": {
    "box": 42,                           // 票箱（ballotBoxSealed）的条目编号
    "issued": 100,                       // 发出票数
    "collected": 100,                    // 收回票数
    "monitors": ["李某", "赵某"]
  }}
}
)~"},
    {"ballotsRecorded", R"~(// 录入一个票箱的选票。签署：计票人（teller）。
// 通常不手写：用 piaojue ballots --round 轮次 --box 票箱 --from 选票录入表.csv 从纸质选票生成（docs/COMMANDS.md）。
// marks 是十六进制：每张选票每个项目一个字节，01 赞成、02 反对、03 弃权（满意度测评：01 满意、02 基本满意、03 不满意、04 弃权），
// 选票须按字节升序排列。下例为 3 张选票、每张 2 个项目：[赞成,反对] [赞成,赞成] [弃权,赞成] 排序后为 0101 0102 0301。
{
  "jurisdiction": "610102",
  "event": {"ballotsRecorded": {
    "box": 42,
    "part": 1,                           // 第几批（一个票箱的选票太多时分批录入）
    "partCount": 1,                      // 共几批
    "itemCount": 2,                      // 每张选票的项目数，等于本轮项目数
    "marks": "010101020301",
    "unreadable": 0                      // 无法辨认的选票数（计为无效票）
  }}
}
)~"},
    {"tallyCertified",
     R"~(// 确认计票结果（须与按已录入选票重新计票的结果一致）。签署：监票人（monitor）。
// 通常不手写：用 piaojue tally draft --round 轮次 --out 文件 按已录入的选票生成，与纸质计票单核对后签署。
// 满意度测评时每项写 satisfied（满意）、basicallySatisfied（基本满意）、unsatisfied（不满意）、abstain（弃权）。
{
  "jurisdiction": "610102",
  "event": {"tallyCertified": {
    "round": 41,
    "issued": 27,                        // 发出票数（各票箱之和）
    "collected": 27,                     // 收回票数
    "valid": 26,                         // 有效票
    "invalid": 1,                        // 无效票
    "items": [                           // 按选票顺序，每个项目一项：赞成 + 反对 + 弃权 = 有效票
      {"item": 15, "approve": 24, "oppose": 2, "abstain": 0}
    ],
    "certifiedBy": ["计票人 王某", "监票人 李某"]
  }}
}
)~"},
    {"resultAnnounced",
     R"~(// 宣布票决结果（须与计票结果和票决办法得出的结果一致）。签署：大会主席团（presidium）。
{
  "jurisdiction": "610102",
  "event": {"resultAnnounced": {
    "round": 41,
    "elected": [15, 17, 18],             // 当选项目，按赞成票从多到少
    "tiedAtCutoff": [],                  // 末位并列、需再次投票的项目
    "vacantSeats": 0,                    // 空缺席位
    "grades": [],                        // 满意度测评：[{"item": 15, "grade": "satisfied"}]，grade 为 satisfied 满意、basicallySatisfied 基本满意、unsatisfied 不满意
    "announcedOn": "2025年3月14日"
  }}
}
)~"},
    {"roundVoided",
     R"~(// 宣布本轮投票无效（如收回票数多于发出票数）。签署：大会主席团（presidium）或人大常委会。
{
  "jurisdiction": "610102",
  "event": {"roundVoided": {
    "round": 41,
    "reason": "第2票箱收回票数多于发出票数，本轮投票无效",
    "voidedOn": "2025年3月14日"
  }}
}
)~"},
    {"implementationPlanned",
     R"~(// 项目实施计划。签署：实施单位（implementingAgency）或政府。
{
  "jurisdiction": "610102",
  "event": {"implementationPlanned": {
    "project": 15,                       // 当选项目（建议）的条目编号
    "agency": "县民政局",
    "responsibleLeader": "王某（副县长）",
    "plan": "3月选址，5月开工，9月完工，10月投入运营",
    "budgetFen": "600万元",
    "milestones": [                      // 计划节点：日期、完成比例（万分比，5000 = 50%）、说明
      {"due": "2025年7月31日", "percentBp": 5000, "description": "主体完工过半"}
    ]
  }}
}
)~"},
    {"progressReported",
     R"~(// 报告项目进度（每月）。签署：实施单位（implementingAgency）。
{
  "jurisdiction": "610102",
  "event": {"progressReported": {
    "project": 15,
    "asOf": "2025年5月31日",              // 进度截至日期（不能晚于今天，须晚于上次报告）
    "percentBp": 4000,                   // 完成比例，万分比：4000 = 40%（不能比上次低）
    "spentFen": "180万元",                // 已支出
    "started": true,                     // 是否已实质性开工
    "narrative": "已完成12个助餐点主体装修",
    "evidence": [                        // 附件：文件本身不进账本，只记其 SHA-256（可留空 []）
      {"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
       "name": "助餐点施工照片-5月.jpg", "mediaType": "image/jpeg"}
    ]
  }}
}
)~"},
    {"inspectionRecorded",
     R"~(// 记录代表视察。签署：代表视察组（inspectionGroup）。
{
  "jurisdiction": "610102",
  "event": {"inspectionRecorded": {
    "projects": [15, 17],                // 视察的项目
    "inspectedOn": "2025年6月18日",
    "group": "县人大常委会第一视察组",
    "findings": "助餐点选址合理；护栏项目进度偏慢，建议加快"
  }}
}
)~"},
    {"supervisionNoticeIssued",
     R"~(// 发出督办通知。签署：人大常委会（standingCommittee）。
{
  "jurisdiction": "610102",
  "event": {"supervisionNoticeIssued": {
    "project": 18,
    "issuedOn": "2025年8月5日",
    "dueBy": "2025年8月31日",             // 办结期限，不能早于发出日期
    "text": "该项目7月底完成38%，低于50%的节点要求，请于8月底前报送整改措施"
  }}
}
)~"},
    {"adjustmentDecided",
     R"~(// 因不可抗力调整、暂停或终止项目的决定。签署：人大常委会（standingCommittee）。
{
  "jurisdiction": "610102",
  "event": {"adjustmentDecided": {
    "project": 18,
    "kind": "adjust",                    // adjust 调整、suspend 暂停、terminate 终止
    "forceMajeure": "7月特大暴雨冲毁部分路基",  // 不可抗力情形（必填）
    "legalBasis": "《清河县民生实事项目人大代表票决制实施办法》第十五条",  // 法律依据（必填）
    "decision": "追加预算，完工期限顺延至12月15日",
    "decidedOn": "2025年8月20日",
    "newBudgetFen": "2350万元",           // 新预算；不变写 0
    "newCompletion": "2025年12月15日"      // 新完成期限；不变写 {"year": 0, "month": 0, "day": 0}
  }}
}
)~"},
    {"acceptanceRecorded", R"~(// 记录项目验收。签署：政府（governmentOffice）。
{
  "jurisdiction": "610102",
  "event": {"acceptanceRecorded": {
    "project": 15,
    "acceptedOn": "2025年11月20日",        // 验收日期，不能晚于今天
    "passed": true,                      // 是否通过验收
    "notes": "20个助餐点全部投入运营，验收合格"
  }}
}
)~"},
    {"evaluationScored",
     R"~(// 绩效评估评分。签署：评估小组（evaluationGroup）。
{
  "jurisdiction": "610102",
  "event": {"evaluationScored": {
    "project": 15,
    "costScore": 88,                     // 成本效益，0～100
    "benefitScore": 92,                  // 社会效益，0～100
    "overallScore": 90,                  // 综合，0～100
    "evaluators": ["代表 张某", "专家 刘某", "居民代表 陈某"],
    "notes": "受益老人逾三千人，运营可持续"
  }}
}
)~"},
    {"rectificationOrdered",
     R"~(// 满意度测评不满意等情形下责令限期整改。签署：人大常委会（standingCommittee）。
{
  "jurisdiction": "610102",
  "event": {"rectificationOrdered": {
    "project": 18,
    "orderedOn": "2026年1月20日",
    "deadline": "2026年3月31日",           // 整改期限，不能早于责令日期
    "requirements": "补齐护栏缺口，完善夜间反光标识"
  }}
}
)~"},
    {"rectificationReported",
     R"~(// 报告整改情况。签署：实施单位（implementingAgency）或政府。
{
  "jurisdiction": "610102",
  "event": {"rectificationReported": {
    "order": 60,                         // 整改通知（rectificationOrdered）的条目编号
    "reportedOn": "2026年3月25日",
    "completed": true,                   // 是否整改完成（完成后不再报告）
    "text": "已补齐护栏1.2公里，增设反光标识300处"
  }}
}
)~"},
    {"operationReviewed",
     R"~(// 次年“回头看”：已验收项目的运行情况。签署：政府（governmentOffice）。
{
  "jurisdiction": "610102",
  "event": {"operationReviewed": {
    "project": 15,
    "reviewedOn": "2026年4月10日",
    "text": "20个助餐点运行正常，日均就餐900人次"
  }}
}
)~"},
    {"correction",
     R"~(// 更正或撤回此前的一条记录（原记录保留可见）。签署：有权签署原记录的单位。
// 撤回：如下写 "retraction": null。更正：去掉 retraction，改写 "replacement": {"<同类事项>": {…完整的新内容…}}。
{
  "jurisdiction": "610102",              // 与原记录相同
  "event": {"correction": {
    "target": 15,                        // 被更正记录的条目编号
    "reason": "该建议重复登记",             // 理由（必填）
    "retraction": null
  }}
}
)~"},
};

const std::map<std::string_view, std::string_view>& ByKind() {
  static const auto* m = [] {
    auto* out = new std::map<std::string_view, std::string_view>();
    for (const Template& t : kTemplates) out->emplace(t.kind, t.text);
    return out;
  }();
  return *m;
}

}  // namespace

const std::vector<std::string>& TemplateKinds() {
  static const auto* kinds = [] {
    auto* out = new std::vector<std::string>();
    for (const Template& t : kTemplates) out->push_back(t.kind);
    return out;
  }();
  return *kinds;
}

Result<std::string> EventTemplate(std::string_view kind, Lang lang) {
  auto it = ByKind().find(kind);
  if (it != ByKind().end()) return std::string(it->second);
  std::string kinds;
  for (const std::string& k : TemplateKinds()) {
    kinds += (kinds.empty() ? "" : lang == Lang::kChinese ? "、" : ", ") + k;
    if (lang == Lang::kChinese) kinds += "（" + EventKindLabel(k, lang) + "）";
  }
  if (kind == "genesis") {
    return NotFound(Say(lang,
                        "genesis has no template: `piaojue init` writes it",
                        "genesis（创建账本）没有样例：由 piaojue init 写入"));
  }
  if (lang == Lang::kChinese) {
    return NotFound("没有 \"" + std::string(kind) +
                    "\" 这种事项；事项类型有：" + kinds);
  }
  return NotFound("no event kind \"" + std::string(kind) +
                  "\"; the kinds are: " + kinds);
}

}  // namespace piaojue::cli
