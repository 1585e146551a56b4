// zh-CN first, with an English switch (?lang=en, remembered).
const ZH = {
  site: '民生实事项目票决公开平台', siteSub: '人大代表票决制 · 全程留痕 · 浏览器内核验',
  nav_home: '首页', nav_lookup: '查询我的建议', nav_propose: '我要提建议', nav_changes: '有何变化', nav_corrections: '更正记录', nav_about: '如何核验',
  cst: '北京时间', asOf: '截至', asOfNow: '最新', asOfApply: '查看', asOfClear: '回到最新', asOfBanner: '您正在查看截至 {d} 的历史状态（共 {n} 条记录）。',
  lang_switch: 'English', loading: '正在加载…', error: '出错了', notFound: '没有找到',
  steps: ['征集', '初定', '审议', '票决', '监督', '评估'],
  step_collection: '征集', step_screening: '初定', step_vote: '票决', step_supervision: '监督', step_evaluation: '评估', step_closed: '已完成',
  stage_now: '当前阶段', budget: '预算总额', proposals: '收到建议', candidates: '候选项目', elected: '票决产生', projects: '实施项目', plannedProjects: '拟票决项目', merges: '归并', rejected: '未通过',
  jurisdiction: '行政区', county: '县（市、区）', township: '乡镇（街道）', year: '年度',
  go_proposals: '征集与初定', go_vote: '票决', go_supervision: '监督', go_evaluation: '评估', go_notice: '公告', go_record: '记录详情',
  byChannel: '按征集渠道', byCategory: '按类别', funnel: '筛选漏斗', submitted: '提交', mergedF: '归并后', review: '审核', approval: '审定', examination: '审查',
  fate: '结果', decidedBy: '决定者', reason: '理由', mergedInto: '已归并至', sources: '来源建议',
  fate_inScreening: '筛选中', fate_rejected: '未通过', fate_merged: '已归并', fate_passedScreening: '通过筛选', fate_notListed: '未列入候选', fate_candidate: '候选项目', fate_notElected: '未当选', fate_elected: '当选',
  stage_governmentReview: '审核（政府）', stage_partyCommitteeApproval: '审定（党委）', stage_standingCommitteeExamination: '审查（人大常委会）',
  lookup_title: '查询我的建议', lookup_hint: '输入回执编号、记录编号或标题中的词语', lookup_go: '查询', lookup_none: '没有找到匹配的建议。', story: '建议的全过程',
  submittedOn: '提交时间', channel: '渠道', category: '类别', location: '地点', investment: '估算投资', proposer: '建议人', receipt: '回执编号', anonymous: '匿名',
  vote_title: '票决', seats: '应选项目数', extra: '差额数', entitled: '应到代表', present: '实到代表', quorum: '法定人数', passLine: '通过线', rounds: '轮次', round: '第 {n} 轮',
  boxes: '票箱', issued: '发出', collected: '收回', valid: '有效', invalid: '无效', unreadable: '无法辨认', approve: '赞成', oppose: '反对', abstain: '弃权',
  satisfied: '满意', basicallySatisfied: '基本满意', unsatisfied: '不满意',
  base_entitled: '应到代表', base_present: '实到代表', base_validBallots: '有效票',
  outcome_advance: '通过', outcome_reject: '不通过', outcome_unspecified: '未注明',
  ranking: '得票排序', tie: '并列（需另行投票）', vacant: '空缺席位', voidRound: '本轮无效（收回票数多于发出）', furtherRound: '另行投票',
  certified: '计票结果（监票人签署）', announced: '公布结果', matches: '与重新计票一致', differs: '与重新计票不一致', notYet: '尚未产生',
  recount_btn: '在浏览器中重新计票', recount_ok: '与公布结果一致', recount_diff: '与公布结果不一致', recount_running: '正在重新计票…',
  live: '实时更新', live_on: '已连接，票箱记录后本页自动更新', live_off: '未连接',
  supervision_title: '监督', plan: '实施计划', agency: '责任单位', leader: '责任领导', progress: '进度', milestones: '节点', late: '滞后', inspections: '视察', notices: '督办通知', adjustments: '调整（不可抗力）', legalBasis: '法律依据', acceptance: '验收',
  ps_notPlanned: '未制定计划', ps_onSchedule: '按期推进', ps_late: '滞后', ps_done: '已完成', ps_suspended: '已暂停', ps_terminated: '已终止',
  ms_met: '已达成', ms_missed: '未达成', ms_pending: '未到期',
  evaluation_title: '评估', scores: '绩效评估得分', satisfaction: '满意度测评', grade: '测评等次', rectifications: '整改', reports: '整改报告', open: '整改中', closed: '已完成整改', operationReviews: '运行情况（回头看）',
  record_title: '记录详情', trail: '记录轨迹', relation: '关系', kind: '事项', signedBy: '签署机构', recordedAt: '记录时间', corrections: '更正', before: '更正前', after: '更正后', retracted: '已撤回',
  verify_btn: '在浏览器中核验', verify_title: '验证', download_proof: '下载证明', vkey: '公布的验证公钥', keyId: '密钥编号', pinned: '由部署配置固定', unpinned: '未固定（取自创世记录）',
  verify_ok: '已证明', verify_fail: '核验失败', verify_running: '正在核验…',
  notice_title: '公告', print: '打印', notice_scan: '扫码在线核验',
  propose_title: '我要提建议', propose_intro: '欢迎通过本平台提出明年的民生实事项目建议。提交后您将获得回执编号，可随时查询办理过程。',
  f_cycle: '征集年度', f_title: '建议标题', f_description: '建议内容', f_category: '类别', f_location: '地点', f_investment: '估算投资（万元，可不填）', f_name: '您的姓名（可不填，匿名提交）', f_submit: '提交建议',
  v_required: '请填写{f}', v_tooLong: '{f}太长（最多 {n} 字节）', v_number: '估算投资须为不小于 0 的数字', v_cycle: '当前没有正在征集的年度',
  propose_ok: '已收到您的建议。回执编号：{n}', propose_lookup: '查询办理过程', rate_limited: '提交过于频繁，请 {s} 秒后再试',
  changes_title: '有何变化', changes_from: '从', changes_to: '到', changes_go: '比较', changes_none: '这段时间没有变化。',
  corrections_title: '更正记录', none: '无',
  backfill: '补录', backfill_note: '本年度记录为事后补录：各项记录均在事件发生之后登记，登记日期晚于事件日期。补录原因：{r}',
  receivedOn: '收件日期', recordedOn: '录入日期', received_recorded: '收件 {a} · 录入 {b}', recorded_only: '录入 {b}',
  revote: '重新测评', revoteReason: '重新测评理由', maxApprovals: '每张选票最多赞成 {n} 项',
  voided_by: '{who}于 {when}宣布本轮无效', voided_reason: '理由：{r}', mustBeVoided: '本轮须宣布无效：有票箱收回的选票多于发出的选票，本轮不能确认计票结果，须由大会主席团宣布无效后另行投票。', voidRoundDeclared: '本轮已宣布无效', overfullBox: '{box}：发出 {issued} 张，收回 {collected} 张',
  announcedBy: '公布结果（大会主席团公布）', presidium: '大会主席团',
  about_title: '如何核验', home_intro: '本平台公开民生实事项目从征集、初定、审议、票决到监督、评估的全过程。每一项记录都由签署机构的密钥签名，并写入可公开审计的透明日志；您的浏览器会自行核验所看到的记录。',
};

const EN = {
  site: 'Livelihood Projects — Public Record', siteSub: "Decided by deputies' vote · every step recorded · checked in your browser",
  nav_home: 'Home', nav_lookup: 'Find my proposal', nav_propose: 'Make a proposal', nav_changes: 'What changed', nav_corrections: 'Corrections', nav_about: 'How to verify',
  cst: 'CST', asOf: 'As of', asOfNow: 'Now', asOfApply: 'Show', asOfClear: 'Back to now', asOfBanner: 'You are viewing the record as it stood on {d} ({n} entries).',
  lang_switch: '中文', loading: 'Loading…', error: 'Error', notFound: 'Not found',
  steps: ['Collection', 'Screening', 'Deliberation', 'Vote', 'Supervision', 'Evaluation'],
  step_collection: 'Collection', step_screening: 'Screening', step_vote: 'Vote', step_supervision: 'Supervision', step_evaluation: 'Evaluation', step_closed: 'Closed',
  stage_now: 'Current step', budget: 'Budget', proposals: 'Proposals', candidates: 'Candidates', elected: 'Elected', projects: 'Projects', plannedProjects: 'Projects to elect', merges: 'Merged', rejected: 'Rejected',
  jurisdiction: 'Jurisdiction', county: 'County', township: 'Township', year: 'Year',
  go_proposals: 'Proposals', go_vote: 'Vote', go_supervision: 'Supervision', go_evaluation: 'Evaluation', go_notice: 'Notice', go_record: 'Record',
  byChannel: 'By channel', byCategory: 'By category', funnel: 'Screening funnel', submitted: 'Submitted', mergedF: 'After merging', review: 'Review', approval: 'Approval', examination: 'Examination',
  fate: 'Outcome', decidedBy: 'Decided by', reason: 'Reason', mergedInto: 'Merged into', sources: 'Sources',
  fate_inScreening: 'In screening', fate_rejected: 'Rejected', fate_merged: 'Merged', fate_passedScreening: 'Passed screening', fate_notListed: 'Not listed', fate_candidate: 'Candidate', fate_notElected: 'Not elected', fate_elected: 'Elected',
  stage_governmentReview: 'Government review', stage_partyCommitteeApproval: 'Party committee approval', stage_standingCommitteeExamination: 'Standing committee examination',
  lookup_title: 'Find my proposal', lookup_hint: 'Receipt number, record number or words of the title', lookup_go: 'Search', lookup_none: 'No matching proposal.', story: 'The whole story',
  submittedOn: 'Submitted', channel: 'Channel', category: 'Category', location: 'Location', investment: 'Estimated investment', proposer: 'Proposer', receipt: 'Receipt no.', anonymous: 'anonymous',
  vote_title: 'Vote', seats: 'Seats', extra: 'Extra candidates', entitled: 'Entitled deputies', present: 'Present', quorum: 'Quorum', passLine: 'Pass line', rounds: 'Rounds', round: 'Round {n}',
  boxes: 'Ballot boxes', issued: 'Issued', collected: 'Collected', valid: 'Valid', invalid: 'Invalid', unreadable: 'Unreadable', approve: 'Approve', oppose: 'Oppose', abstain: 'Abstain',
  satisfied: 'Satisfied', basicallySatisfied: 'Basically satisfied', unsatisfied: 'Unsatisfied',
  base_entitled: 'entitled deputies', base_present: 'deputies present', base_validBallots: 'valid ballots',
  outcome_advance: 'advanced', outcome_reject: 'rejected', outcome_unspecified: 'unspecified',
  ranking: 'Ranking', tie: 'Tied (further round)', vacant: 'Vacant seats', voidRound: 'Round void (more collected than issued)', furtherRound: 'Further round',
  certified: 'Certified tally', announced: 'Announced result', matches: 'matches the recount', differs: 'differs from the recount', notYet: 'not yet',
  recount_btn: 'Recount in my browser', recount_ok: 'Matches the published result', recount_diff: 'Differs from the published result', recount_running: 'Recounting…',
  live: 'Live', live_on: 'connected: this page updates as boxes are recorded', live_off: 'not connected',
  supervision_title: 'Supervision', plan: 'Plan', agency: 'Implementing agency', leader: 'Responsible leader', progress: 'Progress', milestones: 'Milestones', late: 'Late', inspections: 'Inspections', notices: 'Supervision notices', adjustments: 'Adjustments (force majeure)', legalBasis: 'Legal basis', acceptance: 'Acceptance',
  ps_notPlanned: 'Not planned', ps_onSchedule: 'On schedule', ps_late: 'Late', ps_done: 'Done', ps_suspended: 'Suspended', ps_terminated: 'Terminated',
  ms_met: 'met', ms_missed: 'missed', ms_pending: 'pending',
  evaluation_title: 'Evaluation', scores: 'Performance scores', satisfaction: 'Satisfaction vote', grade: 'Grade', rectifications: 'Rectification', reports: 'Reports', open: 'open', closed: 'closed', operationReviews: 'Operation reviews',
  record_title: 'Record', trail: 'Trail', relation: 'Relation', kind: 'Act', signedBy: 'Signed by', recordedAt: 'Recorded', corrections: 'Corrections', before: 'Before', after: 'After', retracted: 'retracted',
  verify_btn: 'Verify in my browser', verify_title: 'Verification', download_proof: 'Download proof', vkey: 'Published verifier key', keyId: 'Key id', pinned: 'pinned by the deployment', unpinned: 'not pinned (from the genesis entry)',
  verify_ok: 'Proven', verify_fail: 'Verification failed', verify_running: 'Verifying…',
  notice_title: 'Public notice', print: 'Print', notice_scan: 'Scan to verify online',
  propose_title: 'Make a proposal', propose_intro: "Propose a livelihood project for next year. You get a receipt number to follow your proposal.",
  f_cycle: 'Year', f_title: 'Title', f_description: 'Description', f_category: 'Category', f_location: 'Location', f_investment: 'Estimated investment (10k yuan, optional)', f_name: 'Your name (optional)', f_submit: 'Submit',
  v_required: '{f} is required', v_tooLong: '{f} is too long (at most {n} bytes)', v_number: 'The investment must be a number ≥ 0', v_cycle: 'No cycle is collecting proposals now',
  propose_ok: 'Received. Your receipt number: {n}', propose_lookup: 'Follow it', rate_limited: 'Too many submissions; try again in {s} s',
  changes_title: 'What changed', changes_from: 'From', changes_to: 'To', changes_go: 'Compare', changes_none: 'Nothing changed in this period.',
  corrections_title: 'Corrections', none: 'none',
  backfill: 'Backfilled', backfill_note: 'This cycle was recorded after the fact (backfill): every record was entered after the event it describes. Reason: {r}',
  receivedOn: 'Received', recordedOn: 'Recorded', received_recorded: 'received {a} · recorded {b}', recorded_only: 'recorded {b}',
  revote: 'Re-vote', revoteReason: 'Reason for the re-vote', maxApprovals: 'at most {n} approvals per ballot',
  voided_by: 'declared void by {who} on {when}', voided_reason: 'Reason: {r}', mustBeVoided: 'This round must be declared void: a box collected more ballots than it issued, so no tally can be certified until the presidium declares the round void and it is held again.', voidRoundDeclared: 'Round declared void', overfullBox: '{box}: issued {issued}, collected {collected}',
  announcedBy: 'Announced result (by the presidium)', presidium: 'the presidium',
  about_title: 'How to verify', home_intro: 'Every step of the livelihood projects — collection, screening, deliberation, vote, supervision, evaluation — is public here. Each record is signed by the office that made it and written to a public transparency log; your browser checks what it shows.',
};

export const CATEGORY = {
  zh: { education: '教育', health: '医疗卫生', elderlyCare: '养老', childcare: '托育', transport: '交通', cultureSport: '文化体育', publicFacilities: '公共设施', employmentSocialSecurity: '就业社保', environment: '生态环境', other: '其他', unspecified: '未分类' },
};
export const CHANNEL = {
  zh: { governmentWebsite: '政府网站', wechat: '微信公众号', contactStation: '代表联络站', forum: '座谈会', doorToDoor: '入户走访', deputySuggestion: '代表建议', cppccProposal: '政协提案', department: '部门', township: '乡镇', mail: '信件', hotline: '热线电话', other: '其他', unspecified: '未注明' },
};
export const KIND = {
  zh: { genesis: '创世记录', jurisdictionRegistered: '登记行政区', keyRegistered: '登记密钥', keyRevoked: '吊销密钥', cycleOpened: '启动年度征集', proposalSubmitted: '提交建议', proposalsMerged: '归并建议', screeningDecided: '筛选决定', candidateListFixed: '确定候选项目', votingRulesAdopted: '通过票决办法', deliberationRecorded: '审议', roundOpened: '开始投票', ballotBoxSealed: '票箱封存', ballotBoxOpened: '开箱', ballotsRecorded: '登记选票', tallyCertified: '计票结果', resultAnnounced: '公布结果', implementationPlanned: '实施计划', progressReported: '进度报告', inspectionRecorded: '视察', supervisionNoticeIssued: '督办通知', adjustmentDecided: '调整决定', acceptanceRecorded: '验收', evaluationScored: '绩效评估', rectificationOrdered: '整改通知', rectificationReported: '整改报告', operationReviewed: '运行回头看', correction: '更正', roundVoided: '宣布本轮无效' },
};

let current = null;
export function lang() {
  if (current) return current;
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'en' || q === 'zh') { current = q; try { localStorage.setItem('lang', q); } catch {} }
  else { try { current = localStorage.getItem('lang') || 'zh'; } catch { current = 'zh'; } }
  return current;
}
export function setLang(l) { current = l; try { localStorage.setItem('lang', l); } catch {} }

export function t(key, vars) {
  const d = lang() === 'en' ? EN : ZH;
  let s = d[key] ?? ZH[key] ?? key;
  if (vars && typeof s === 'string') s = s.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
  return s;
}
// An enumeration value in the current language (English shows the schema
// name split into words).
export function en(table, v) {
  if (lang() === 'en') return String(v ?? '').replace(/([A-Z])/g, ' $1').toLowerCase();
  return table.zh[v] ?? v;
}
