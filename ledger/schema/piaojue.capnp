# piaojue ledger schema: the entry envelope and every event of the cycle.
# See docs/FORMAT.md. This file is part of the product's byte contract.
#
# Evolution follows Cap'n Proto's compatibility rules: fields, enumerants and
# union members are only ever added with the next ordinal; nothing is renamed
# in a way that changes meaning, removed, renumbered or retyped. Every enum
# starts with `unspecified @0` so that an absent value is never mistaken for a
# real one; the rules refuse `unspecified` wherever a value is required.
#
# Conventions: money is Int64 fen (1 yuan = 100 fen); percentages are UInt16
# basis points (10000 = 100%); instants are Int64 milliseconds since the Unix
# epoch (UTC); calendar days are `Date` in China Standard Time. A reference to
# a record is the UInt64 log index of the entry that created it (a cycle is the
# index of its `cycleOpened` entry, a proposal the index of its
# `proposalSubmitted` or `proposalsMerged` entry, and so on).

@0x999cf6b73bbb8601;

using Cxx = import "/capnp/c++.capnp";
using Json = import "/capnp/compat/json.capnp";
$Cxx.namespace("piaojue::schema");

# `$Json.hex` only changes how tools print a Data field as JSON (lowercase
# hex); annotations are not part of the binary encoding.

# Every Text is one line of UTF-8 without control characters; a field marked
# `$multiline` may also hold line breaks (U+000A). See docs/FORMAT.md, "Text
# fields".
annotation multiline @0xe9b194f2758c24c5 (field) :Void;

# ---------------------------------------------------------------------------
# Envelope

struct Entry {
  # One log entry: placed by the log. Its canonical bytes are what the chain
  # and the Merkle tree hash.
  index @0 :UInt64;
  prevHash @1 :Data $Json.hex;      # SHA-256 of the previous entry's bytes; 32 zero bytes for index 0
  recordedAtMs @2 :Int64; # when the log placed it; non-decreasing along the log
  authored @3 :Data $Json.hex;      # canonical bytes of an AuthoredEvent
  signature @4 :Data $Json.hex;     # 64-byte Ed25519 signature by authored.authorKey
}

struct AuthoredEvent {
  # What an author signs, before knowing where it will land.
  authorKey @0 :Data $Json.hex;     # 32-byte Ed25519 public key; it is also the key id
  nonce @1 :Data $Json.hex;         # 16 bytes, never reused by the same author key
  signedAtMs @2 :Int64;
  jurisdiction @3 :Text;  # administrative code, e.g. "610102"; "" for deployment-level acts
  event @4 :Event;
  origin @5 :Text;        # format 2: the origin of the log this event is meant for;
                          # must equal genesis's origin (genesis: its own origin)
}

struct Event {
  union {
    genesis @0 :Genesis;
    jurisdictionRegistered @1 :JurisdictionRegistered;
    keyRegistered @2 :KeyRegistered;
    keyRevoked @3 :KeyRevoked;
    cycleOpened @4 :CycleOpened;
    proposalSubmitted @5 :ProposalSubmitted;
    proposalsMerged @6 :ProposalsMerged;
    screeningDecided @7 :ScreeningDecided;
    candidateListFixed @8 :CandidateListFixed;
    votingRulesAdopted @9 :VotingRulesAdopted;
    deliberationRecorded @10 :DeliberationRecorded;
    roundOpened @11 :RoundOpened;
    ballotBoxSealed @12 :BallotBoxSealed;
    ballotBoxOpened @13 :BallotBoxOpened;
    ballotsRecorded @14 :BallotsRecorded;
    tallyCertified @15 :TallyCertified;
    resultAnnounced @16 :ResultAnnounced;
    implementationPlanned @17 :ImplementationPlanned;
    progressReported @18 :ProgressReported;
    inspectionRecorded @19 :InspectionRecorded;
    supervisionNoticeIssued @20 :SupervisionNoticeIssued;
    adjustmentDecided @21 :AdjustmentDecided;
    acceptanceRecorded @22 :AcceptanceRecorded;
    evaluationScored @23 :EvaluationScored;
    rectificationOrdered @24 :RectificationOrdered;
    rectificationReported @25 :RectificationReported;
    operationReviewed @26 :OperationReviewed;
    correction @27 :Correction;
    roundVoided @28 :RoundVoided;
  }
}

# ---------------------------------------------------------------------------
# Common types

struct Date {
  year @0 :UInt16;
  month @1 :UInt8;  # 1..12
  day @2 :UInt8;    # 1..31
}

enum Level {
  unspecified @0;
  county @1;    # 县 / 市 / 区
  township @2;  # 乡 / 镇 / 街道
}

enum Role {
  unspecified @0;
  governmentOffice @1;     # 政府 / 发改局 (票决制协调办公室)
  partyCommittee @2;       # 党委
  standingCommittee @3;    # 人大常委会 / 乡镇人大主席团
  secretariat @4;          # 大会秘书处
  teller @5;               # 计票人
  monitor @6;              # 监票人
  implementingAgency @7;   # 实施单位 / 责任单位
  inspectionGroup @8;      # 代表视察组
  evaluationGroup @9;      # 评估小组
  publicIntake @10;        # 征集渠道 (portal, contact station)
  presidium @11;           # 大会主席团 (announces and publishes results)
}

# ---------------------------------------------------------------------------
# Deployment and keys

struct Genesis {
  # Entry 0, signed by the root key it names.
  origin @0 :Text;          # checkpoint origin line, e.g. "ledger.example.gov.cn/piaojue"
  rootKey @1 :Data $Json.hex;         # 32-byte Ed25519 public key of the deployment's root
  formatVersion @2 :UInt32; # 2 (format 1 had no AuthoredEvent.origin)
  deploymentName @3 :Text;  # e.g. "某市人大常委会民生实事票决账本"
  checkpointKey @4 :Text;   # the log's note verifier key (name+id+base64); its name is the origin
}

struct JurisdictionRegistered {
  code @0 :Text;        # administrative division code, unique in the log
  name @1 :Text;        # e.g. "某县"
  level @2 :Level;
  parentCode @3 :Text;  # "" for a top-level jurisdiction
}

struct KeyRegistered {
  key @0 :Data $Json.hex;          # 32-byte Ed25519 public key
  role @1 :Role;
  jurisdiction @2 :Text; # must be registered
  holder @3 :Text;       # office or person holding the key, e.g. "某县发改局"
}

struct KeyRevoked {
  key @0 :Data $Json.hex;
  reason @1 :Text $multiline;
}

# ---------------------------------------------------------------------------
# Stage 1: collection and preliminary selection

struct ScheduleMilestone {
  due @0 :Date;
  minPercentBp @1 :UInt16;  # 0 with mustStart = substantive start
  mustStart @2 :Bool;
  mustBeAccepted @3 :Bool;
  label @4 :Text;
}

struct CycleOpened {
  year @0 :UInt16;
  level @1 :Level;
  title @2 :Text;            # e.g. "某县2025年民生实事项目"
  budgetFen @3 :Int64;       # total budget envelope
  projectCount @4 :UInt16;   # number of projects to be chosen
  collectionStart @5 :Date;
  collectionEnd @6 :Date;    # inclusive
  scope @7 :Text $multiline;            # eligible scope as announced
  schedule @8 :List(ScheduleMilestone);  # empty = the default schedule in docs
  backfill @9 :Bool;         # 补录: a past cycle recorded after the fact
  backfillReason @10 :Text;  # why it is recorded after the fact (required with backfill)
}

enum Category {
  unspecified @0;
  education @1;
  health @2;
  elderlyCare @3;
  childcare @4;
  transport @5;
  cultureSport @6;
  publicFacilities @7;
  employmentSocialSecurity @8;
  environment @9;
  other @10;
}

enum FundingSource {
  unspecified @0;
  ownBudget @1;            # 本级财政
  centralOrProvincial @2;  # 主要依靠中央、省级资金
  mixed @3;
  socialCapital @4;
  other @5;
}

enum ProposerType {
  unspecified @0;
  resident @1;
  deputy @2;
  cppccMember @3;
  department @4;
  township @5;
  other @6;
}

enum Channel {
  unspecified @0;
  governmentWebsite @1;
  wechat @2;
  contactStation @3;     # 代表联络站
  forum @4;              # 座谈会
  doorToDoor @5;         # 入户走访
  deputySuggestion @6;
  cppccProposal @7;
  department @8;
  township @9;
  other @10;
  mail @11;              # 来信 (letters by post)
  hotline @12;           # 热线电话
}

struct ProposalDetails {
  title @0 :Text;
  description @1 :Text $multiline;
  category @2 :Category;
  location @3 :Text;
  estimatedInvestmentFen @4 :Int64;
  fundingSource @5 :FundingSource;
  fundingNote @6 :Text $multiline;
  expectedCompletion @7 :Date;
}

struct ProposalSubmitted {
  cycle @0 :UInt64;
  details @1 :ProposalDetails;
  proposerType @2 :ProposerType;
  proposerName @3 :Text;  # may be empty: residents may propose anonymously
  channel @4 :Channel;
  receiptRef @5 :Text;    # the channel's own receipt number, if any
  receivedOn @6 :Date;    # 收件日期: when the channel received it (year 0 = not given)
}

struct ProposalsMerged {
  # Similar proposals merged (归并) into one; the sources are retired, never deleted.
  cycle @0 :UInt64;
  sources @1 :List(UInt64);
  details @2 :ProposalDetails;
  reason @3 :Text $multiline;
}

enum ScreeningStage {
  unspecified @0;
  governmentReview @1;              # 审核, government office
  partyCommitteeApproval @2;        # 审定, party committee
  standingCommitteeExamination @3;  # 审查, standing committee / presidium
}

enum ScreeningOutcome {
  unspecified @0;
  advance @1;
  reject @2;
}

enum ReasonCode {
  unspecified @0;
  meetsCriteria @1;
  fundedByHigherLevel @2;   # mainly central or provincial money
  notBroadBenefit @3;       # not 普惠 / public-interest / lasting
  notCompletableInYear @4;
  majorEngineering @5;      # major engineering or industrial project
  landNotSecured @6;
  policyNotSecured @7;
  fundingNotSecured @8;
  outOfScope @9;
  lowerPriority @10;
  other @11;
}

struct Eligibility {
  # The reviewer's assessment against the rules in DOMAIN.md.
  ownBudget @0 :Bool;
  broadBenefit @1 :Bool;
  completableInYear @2 :Bool;
  notMajorEngineering @3 :Bool;
  landPolicyFundingSecured @4 :Bool;
}

struct ScreeningDecided {
  proposal @0 :UInt64;
  stage @1 :ScreeningStage;
  outcome @2 :ScreeningOutcome;
  reasonCode @3 :ReasonCode;
  reasonText @4 :Text $multiline;
  eligibility @5 :Eligibility;
}

struct Candidate {
  proposal @0 :UInt64;
  name @1 :Text;
  content @2 :Text $multiline;
  implementingAgency @3 :Text;
  investmentFen @4 :Int64;
  requirements @5 :Text $multiline;
}

struct CandidateListFixed {
  cycle @0 :UInt64;
  candidates @1 :List(Candidate);  # ballot order
  sentToDeputiesOn @2 :Date;
}

# ---------------------------------------------------------------------------
# Stage 2: deliberation and vote

enum VotePurpose {
  unspecified @0;
  projectSelection @1;  # 票决
  satisfaction @2;      # 满意度测评
}

enum PassBase {
  unspecified @0;
  entitled @1;      # deputies entitled to attend (应到), the default
  present @2;       # deputies present (实到)
  validBallots @3;
}

enum TieRule {
  unspecified @0;
  furtherRound @1;  # a further round among the tied candidates only
}

enum ShortfallRule {
  unspecified @0;
  furtherRound @1;
  leaveVacant @2;
}

struct Fraction {
  numerator @0 :UInt32;
  denominator @1 :UInt32;
}

struct VotingRulesAdopted {
  # The 票决办法 (or the satisfaction-vote rules). Its index identifies the vote.
  cycle @0 :UInt64;
  purpose @1 :VotePurpose;
  seats @2 :UInt16;               # projectSelection
  extraCandidates @3 :UInt16;     # 差额数 declared in advance
  entitledDeputies @4 :UInt32;    # 应到
  quorum @5 :Fraction;            # present must be MORE than this fraction of entitled
  passBase @6 :PassBase;          # approvals must be MORE than half of this base
  tieRule @7 :TieRule;
  shortfallRule @8 :ShortfallRule;
  maxApprovals @9 :UInt16;        # a ballot approving more is invalid; 0 = seats
  items @10 :List(UInt64);        # satisfaction: the projects rated
  exactlyHalfPasses @11 :Bool;    # satisfaction: false = exactly half is not enough
  adoptedOn @12 :Date;
  text @13 :Text $multiline;                 # the adopted rules as published
  minBallotsPerBox @14 :UInt32;   # fewer ballots in a box must be merged first; 0 = 10
  revoteReason @15 :Text;         # satisfaction: non-empty = a documented re-vote of rated items
}

struct DeliberationRecorded {
  cycle @0 :UInt64;
  session @1 :Text;
  heldOn @2 :Date;
  summary @3 :Text $multiline;
}

struct RoundOpened {
  vote @0 :UInt64;               # the votingRulesAdopted entry
  round @1 :UInt16;              # 1, 2, ...
  items @2 :List(UInt64);        # candidates (proposal refs) or rated projects, ballot order
  seats @3 :UInt16;              # seats to fill in this round
  presentDeputies @4 :UInt32;    # 实到
  maxApprovals @5 :UInt16;       # a ballot approving more items than this is invalid in this round
}

struct BallotBoxSealed {
  # The empty box inspected and sealed by the monitors before voting.
  round @0 :UInt64;              # the roundOpened entry
  label @1 :Text;                # e.g. "第1票箱"
  monitors @2 :List(Text);
}

struct BallotBoxOpened {
  box @0 :UInt64;                # the ballotBoxSealed entry
  issued @1 :UInt32;
  collected @2 :UInt32;
  monitors @3 :List(Text);
}

struct BallotsRecorded {
  # The ballots of one box (or one part of a large box), with no order or time
  # of their own. Each ballot is `itemCount` bytes, one mark per item in the
  # round's ballot order; ballots are sorted ascending by their bytes
  # (canonical order), so the order in which they were recorded is not kept.
  # projectSelection marks: 1 approve, 2 oppose, 3 abstain (unmarked = 3).
  # satisfaction marks: 1 satisfied, 2 basically satisfied, 3 unsatisfied, 4 abstain.
  box @0 :UInt64;
  part @1 :UInt16;               # 1..partCount
  partCount @2 :UInt16;
  itemCount @3 :UInt16;
  marks @4 :Data $Json.hex;                # ballotCount * itemCount bytes
  unreadable @5 :UInt32;         # ballots invalid because their marks cannot be read
}

struct ItemTally {
  item @0 :UInt64;
  approve @1 :UInt32;     # or satisfied
  oppose @2 :UInt32;      # or basically satisfied
  abstain @3 :UInt32;     # or unsatisfied
  satisfactionAbstain @4 :UInt32;
}

struct TallyCertified {
  round @0 :UInt64;
  issued @1 :UInt32;
  collected @2 :UInt32;
  valid @3 :UInt32;
  invalid @4 :UInt32;
  items @5 :List(ItemTally);     # in ballot order
  certifiedBy @6 :List(Text);    # tellers and monitors
}

enum Grade {
  unspecified @0;
  satisfied @1;
  basicallySatisfied @2;
  unsatisfied @3;
}

struct ItemGrade {
  item @0 :UInt64;
  grade @1 :Grade;
}

struct ResultAnnounced {
  round @0 :UInt64;
  elected @1 :List(UInt64);      # ranked by approvals, highest first
  tiedAtCutoff @2 :List(UInt64); # need a further round
  vacantSeats @3 :UInt16;
  grades @4 :List(ItemGrade);    # satisfaction
  announcedOn @5 :Date;
}

# ---------------------------------------------------------------------------
# Stage 3: supervision and evaluation

struct PlanMilestone {
  due @0 :Date;
  percentBp @1 :UInt16;
  description @2 :Text $multiline;
}

struct ImplementationPlanned {
  project @0 :UInt64;           # the elected candidate's proposal ref
  agency @1 :Text;
  responsibleLeader @2 :Text;
  plan @3 :Text $multiline;
  budgetFen @4 :Int64;
  milestones @5 :List(PlanMilestone);
}

struct ProgressReported {
  project @0 :UInt64;
  asOf @1 :Date;                # the month-end the report describes
  percentBp @2 :UInt16;
  spentFen @3 :Int64;
  started @4 :Bool;             # substantively started
  narrative @5 :Text $multiline;
  evidence @6 :List(Attachment);
}

struct Attachment {
  # A document or photo kept outside the log; the log pins its hash.
  sha256 @0 :Data $Json.hex;    # SHA-256 of the file's bytes
  name @1 :Text;                # e.g. "城东助餐点施工照片-10月.jpg"
  mediaType @2 :Text;           # e.g. "image/jpeg"
}

struct InspectionRecorded {
  projects @0 :List(UInt64);
  inspectedOn @1 :Date;
  group @2 :Text;
  findings @3 :Text $multiline;
}

struct SupervisionNoticeIssued {
  project @0 :UInt64;
  issuedOn @1 :Date;
  dueBy @2 :Date;
  text @3 :Text $multiline;
}

enum AdjustmentKind {
  unspecified @0;
  adjust @1;
  suspend @2;
  terminate @3;
}

struct AdjustmentDecided {
  project @0 :UInt64;
  kind @1 :AdjustmentKind;
  forceMajeure @2 :Text $multiline;        # the force-majeure circumstance
  legalBasis @3 :Text $multiline;
  decision @4 :Text $multiline;            # what changes
  decidedOn @5 :Date;
  newBudgetFen @6 :Int64;       # 0 = unchanged
  newCompletion @7 :Date;       # year 0 = unchanged
}

struct AcceptanceRecorded {
  project @0 :UInt64;
  acceptedOn @1 :Date;
  passed @2 :Bool;
  notes @3 :Text $multiline;
}

struct EvaluationScored {
  project @0 :UInt64;
  costScore @1 :UInt16;         # 0..100
  benefitScore @2 :UInt16;      # 0..100
  overallScore @3 :UInt16;      # 0..100
  evaluators @4 :List(Text);
  notes @5 :Text $multiline;
}

struct RectificationOrdered {
  project @0 :UInt64;
  orderedOn @1 :Date;
  deadline @2 :Date;
  requirements @3 :Text $multiline;
}

struct RectificationReported {
  order @0 :UInt64;             # the rectificationOrdered entry
  reportedOn @1 :Date;
  completed @2 :Bool;
  text @3 :Text $multiline;
}

struct OperationReviewed {
  # "回头看": the next year's report on a delivered project's operation.
  project @0 :UInt64;
  reviewedOn @1 :Date;
  text @2 :Text $multiline;
}

struct RoundVoided {
  # A round declared void (作废), with the reason shown wherever the round is.
  round @0 :UInt64;              # the roundOpened entry
  reason @1 :Text;
  voidedOn @2 :Date;
}

struct Correction {
  # Corrects an earlier entry without editing it: the original stays in the
  # log and visible; views apply the replacement (or retraction) from here on.
  target @0 :UInt64;
  reason @1 :Text $multiline;
  union {
    replacement @2 :Event;      # same event kind as the target
    retraction @3 :Void;
  }
}
