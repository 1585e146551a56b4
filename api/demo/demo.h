// The demo ledger: one county (清河县) and two of its townships going through
// one whole cycle of livelihood projects voted by deputies, on the scale the
// source texts describe. See docs/DEMO.md for the story and its numbers.
//
// The story is fixed: every key is derived from a fixed seed, every event has
// a fixed time on the story's clock (CST, September 2024 to April 2026) and a
// nonce derived from its log index, so two runs write the same entry bytes.
// A run resumes a demo ledger where it stands: the entries already present
// are checked to be the story's own, byte for byte, and the rest is appended.
//
// Library piaojue_demo.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "projections/tally.h"

namespace piaojue::demo {

// The stages of the story, in order. Each event of the story belongs to one;
// the events of a later stage all follow those of an earlier one.
enum class Stage : uint8_t {
  kCollection = 0,   // deployment, keys, cycles opened, proposals
  kScreening = 1,    // merges, the three reviews, candidate lists
  kVote = 2,         // voting rules, deliberation, ballots, tallies, results
  kSupervision = 3,  // plans, progress, inspection, notice, adjustment,
                     // correction, acceptance
  kEvaluation = 4,   // evaluation scores, satisfaction votes, rectification
};

// "collection", "screening", "vote", "supervision", "evaluation".
std::string_view StageName(Stage stage);
// InvalidArgument for any other name.
Result<Stage> ParseStage(std::string_view name);

struct Options {
  std::string data;   // the data directory (created if missing)
  std::string until;  // "" = to the end; else stop after this stage
  // Sync every append to stable storage. Tests turn it off for speed; the
  // ledger's bytes are the same either way.
  bool sync = true;
};

// The folder where the demo keeps the root's and the offices' keys:
// "<data>-keys" beside the data directory (which keeps only the log key and
// the public intake's keys, as a deployment's would). The demo's keys are
// public knowledge (derived from fixed seeds); the folder exists so that
// `piaojue submit --key` and `piaojue sign --key` can be tried on the demo.
std::string KeysDir(std::string_view data);

// Builds or resumes the demo ledger in options.data and prints what it did,
// ending with the `verifier key: <note verifier key>` line. On a ledger that
// already holds the whole story (or the stages asked for) it says so and
// appends nothing. FailedPrecondition if options.data holds a ledger that is
// not this demo's (or not a prefix of it); InvalidArgument for a bad --until;
// otherwise the first error of an append, which names the rule refused.
Status Run(const Options& options, std::ostream& out);

// ---------------------------------------------------------------------------
// The story's known inputs. The story is built from these tables; tests
// compute the expected published results from them by hand.

inline constexpr char kCountyCode[] = "612725";
inline constexpr char kCountyName[] = "清河县";
inline constexpr char kLiulinCode[] = "612725101";
inline constexpr char kLiulinName[] = "柳林镇";
inline constexpr char kShimenCode[] = "612725102";
inline constexpr char kShimenName[] = "石门乡";
inline constexpr char kOrigin[] = "ledger.qinghe.gov.cn/piaojue";

// A sealed ballot box as opened and counted.
struct BoxFacts {
  std::string label;
  uint32_t issued = 0;
  uint32_t collected = 0;
  // Ballots that approve more candidates than there are seats (废票).
  uint32_t over_approving = 0;
  // Ballots whose marks could not be read (recorded as unreadable).
  uint32_t unreadable = 0;
};

// A project-selection vote (票决) of one cycle.
struct SelectionFacts {
  std::string jurisdiction;  // code
  std::string congress;      // the session that voted
  uint16_t seats = 0;
  uint32_t entitled = 0;  // 应到
  uint32_t present = 0;   // 实到
  // Candidate names in ballot order, and per candidate the approvals and
  // oppositions among the valid ballots (the rest of them abstain).
  std::vector<std::string> candidates;
  std::vector<uint32_t> approve;
  std::vector<uint32_t> oppose;
  std::vector<BoxFacts> boxes;
};

// A satisfaction vote (满意度测评) at the next congress.
struct SatisfactionFacts {
  std::string jurisdiction;
  uint32_t entitled = 0;
  uint32_t present = 0;
  // Project names in ballot order, and per project the marks among the
  // valid ballots (the rest abstain).
  std::vector<std::string> projects;
  std::vector<uint32_t> satisfied;
  std::vector<uint32_t> basically_satisfied;
  std::vector<uint32_t> unsatisfied;
  std::vector<BoxFacts> boxes;
};

// The three selection votes: county, 柳林镇, 石门乡.
const std::vector<SelectionFacts>& SelectionVotes();
// The three satisfaction votes, in the same order.
const std::vector<SatisfactionFacts>& SatisfactionVotes();

// Marks per ballotsRecorded entry: the rules' limit (a full part), well under
// the 64 KiB entry limit (ledger::kMaxEntrySize, which also holds the
// envelope and signature).
inline constexpr size_t kMaxMarksPerPart = projections::kMaxMarksPerPart;

// How many ballotsRecorded parts a box of `ballots` ballots of `width` marks
// each is recorded in: the fewest that hold them, every part but the last
// full (projections::BallotsPerPart), as the rules require.
size_t PartsFor(size_t ballots, size_t width);

// How many proposals each cycle receives (county, 柳林镇, 石门乡).
inline constexpr int kCountyProposals = 300;
inline constexpr int kTownshipProposals = 25;

// The county project that falls behind the default milestones (below 50%
// at the end of July).
inline constexpr char kLateProject[] = "城南农贸市场提升改造";
// The county project whose May progress report was mistyped and corrected.
inline constexpr char kCorrectedProject[] = "城区背街小巷改造提升";
inline constexpr uint16_t kMistypedPercentBp = 6200;
inline constexpr uint16_t kCorrectedPercentBp = 2600;
// The county project adjusted by the standing committee for force majeure.
inline constexpr char kAdjustedProject[] = "县城污水管网雨污分流改造";
inline constexpr int64_t kAdjustedBudgetFen = 2'350'000'000;
// The project given a rectification order after the satisfaction vote.
inline constexpr char kRectifiedProject[] = "城南农贸市场提升改造";
// The project whose operation the government reviews the next spring (回头看).
inline constexpr char kReviewedProject[] = "城乡老年助餐服务点建设";

}  // namespace piaojue::demo
