// A province's year: the demo's story told by many counties at once, their
// events interleaved in story time (demo.h, WriteProvince).
//
// Each county tells the story into its own ProvinceSink, which places the
// story's i-th event (i >= 1) of county c at log index 1 + (i-1)*K + c for K
// counties. Every county's story has the same events at the same story
// times (only names and codes differ), so this order is in time order, and
// the references the story takes from Emit are the final log indices.
#include "api/demo/province.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "api/cli/data_dir.h"
#include "api/cli/session.h"
#include "api/demo/demo.h"
#include "api/demo/internal/content.h"
#include "api/demo/internal/story.h"
#include "api/demo/internal/writer.h"
#include "ledger/crypto.h"
#include "ledger/entry.h"
#include "ledger/ledger.h"

namespace piaojue::demo {

namespace {

constexpr std::string_view kNonceContext = "piaojue-province/nonce/v1/";

// Fictional county names; beyond the list, names repeat (codes never do).
constexpr const char* kCountyNames[] = {
    "清河县", "安平县", "永宁县", "丰乐县", "长乐县", "新安县", "太平县",
    "宁远县", "广德县", "崇信县", "富平县", "兴隆县", "永和县", "建安县",
    "文安县", "定远县", "临川县", "和顺县", "平陆县", "延寿县"};

// The names and codes of one county's places, owning the strings that the
// story's Place entries point at.
struct CountyCast {
  std::array<std::string, 3> codes;
  std::array<std::string, 3> names;
  std::array<std::string, 3> congress_now;
  std::array<std::string, 3> congress_next;
  internal::Place places[3];

  explicit CountyCast(int c) {
    const std::string county = std::to_string(630001 + c);
    codes = {county, county + "101", county + "102"};
    names = {kCountyNames[c % std::size(kCountyNames)],
             internal::kPlaces[1].name, internal::kPlaces[2].name};
    for (int p = 0; p < 3; ++p) {
      congress_now[p] = names[p] + "第十八届人民代表大会第五次会议";
      congress_next[p] = names[p] + "第十八届人民代表大会第六次会议";
      places[p] = internal::Place{
          codes[p].c_str(), names[p].c_str(), congress_now[p].c_str(),
          congress_next[p].c_str(), internal::kPlaces[p].receipt_prefix};
    }
  }
};

struct PlacedEvent {
  bool present = false;  // false: county c > 0's genesis, which it skips
  int64_t at_ms = 0;
  ledger::SignedEvent event;
};

// Collects the events of one county's story whose place in the story (its
// "local" index, 0 = genesis) lies in [lo, hi), signed, at the log indices
// the interleaving gives them. Events outside the window are only counted:
// their content is never built, so retelling the story for each window
// costs little beside the signing of the window's own events.
class ProvinceSink : public internal::EventSink {
 public:
  ProvinceSink(int county, int counties, uint64_t lo, uint64_t hi)
      : county_(county), counties_(counties), lo_(lo), hi_(hi) {
    events_.resize(hi > lo ? hi - lo : 0);
  }

  uint64_t Emit(
      Stage, int64_t at_ms, const crypto::KeyPair& key,
      std::string_view jurisdiction,
      const std::function<void(schema::Event::Builder)>& fill) override {
    const uint64_t local = next_++;
    // One genesis for the province: county 0's.
    if (local == 0 && county_ != 0) return 0;
    const uint64_t index =
        local == 0 ? 0 : 1 + (local - 1) * counties_ + county_;
    if (!status_.ok() || local < lo_ || local >= hi_) return index;
    auto signed_event = internal::SignStoryEvent(kNonceContext, index, key,
                                                 jurisdiction, at_ms, fill);
    if (!signed_event.ok()) {
      status_ = signed_event.status();
      return index;
    }
    events_[local - lo_] = PlacedEvent{true, at_ms, std::move(*signed_event)};
    return index;
  }

  const Status& status() const { return status_; }
  // The story's length as told (local indices emitted).
  uint64_t told() const { return next_; }
  // The event at local index `local` (in [lo, hi)).
  PlacedEvent& event(uint64_t local) { return events_[local - lo_]; }

 private:
  int county_;
  int counties_;
  uint64_t lo_;
  uint64_t hi_;
  uint64_t next_ = 0;
  Status status_;
  std::vector<PlacedEvent> events_;  // local indices [lo, hi)
};

Status TellCounty(int county, ProvinceSink* sink) {
  CountyCast cast(county);
  internal::Landmarks landmarks;
  RETURN_IF_ERROR(internal::TellStory(*sink, cast.places, &landmarks));
  return sink->status();
}

// The story's length: one county told without building any event.
uint64_t StoryLength() {
  static const uint64_t story = [] {
    ProvinceSink sink(0, 1, 0, 0);
    Status s = TellCounty(0, &sink);
    return s.ok() ? sink.told() : 0;
  }();
  return story;
}

}  // namespace

uint64_t ProvinceSize(int counties) {
  const uint64_t story = StoryLength();
  return counties <= 0 || story == 0 ? 0 : 1 + uint64_t(counties) * (story - 1);
}

Status WriteProvince(const ProvinceOptions& options) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  if (options.counties < 1) return InvalidArgument("counties must be >= 1");
  const cli::DataDir dir(options.data);
  std::error_code ec;
  if (std::filesystem::exists(dir.ledger_path(), ec)) {
    return AlreadyExists(dir.ledger_path() + " already holds a ledger");
  }

  const int k = options.counties;
  const uint64_t story = StoryLength();
  if (story < 2) return Internal("the demo story could not be told");
  // Events held at once, over all counties: the window of story events each
  // county signs per pass (at least one).
  const uint64_t budget = options.window_entries > 0
                              ? options.window_entries
                              : ProvinceOptions{}.window_entries;
  const uint64_t window = std::max<uint64_t>(1, budget / uint64_t(k));
  int threads = options.signing_threads > 0
                    ? options.signing_threads
                    : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::clamp(threads, 1, k);

  // As the demo does: the log key in the data directory, the root's in the
  // keys folder beside it (KeysDir).
  for (const std::string& d : {dir.keys_path(), KeysDir(options.data)}) {
    std::filesystem::create_directories(d, ec);
    if (ec) return IOError("cannot create " + d);
  }
  RETURN_IF_ERROR(cli::WriteKeyFile(KeysDir(options.data) + "/root.key",
                                    internal::RootKey()));
  RETURN_IF_ERROR(cli::WriteKeyFile(dir.log_key_path(), internal::LogKey()));

  int64_t now_ms = 0;
  auto clock = [&now_ms] { return now_ms; };
  std::unique_ptr<cli::Session> session;
  uint64_t index = 1;
  for (uint64_t lo = 0; lo < story; lo += window) {
    const uint64_t hi = std::min(story, lo + window);
    // Sign this window of every county's story, counties spread over the
    // signing threads.
    std::vector<ProvinceSink> sinks;
    sinks.reserve(k);
    for (int c = 0; c < k; ++c) sinks.emplace_back(c, k, lo, hi);
    std::vector<Status> results(k);
    std::atomic<int> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (int c; (c = next.fetch_add(1)) < k;) {
          results[c] = TellCounty(c, &sinks[c]);
        }
      });
    }
    for (auto& th : pool) th.join();
    for (int c = 0; c < k; ++c) {
      RETURN_IF_ERROR(results[c]);
      if (sinks[c].told() != story) {
        return Internal("county " + std::to_string(c) +
                        "'s story differs in length from county 0's");
      }
    }
    if (lo == 0) {
      const PlacedEvent& genesis = sinks[0].event(0);
      now_ms = genesis.at_ms;
      ledger::LedgerOptions lo_options;
      lo_options.clock = clock;
      lo_options.sync = options.sync;
      lo_options.checkpoint_key = internal::LogKey();
      RETURN_IF_ERROR(
          ledger::Ledger::Create(dir.ledger_path(), genesis.event, lo_options)
              .status());
      ASSIGN_OR_RETURN(session,
                       cli::Session::Open(dir, false, clock, options.sync));
    }
    for (uint64_t i = std::max<uint64_t>(lo, 1); i < hi; ++i) {
      for (int c = 0; c < k; ++c, ++index) {
        PlacedEvent& e = sinks[c].event(i);
        if (!e.present) return Internal("a story event was not signed");
        now_ms = e.at_ms;
        auto r = session->ledger().Append(e.event);
        if (!r.ok()) {
          return Status(r.status().code(), "province entry " +
                                               std::to_string(index) + ": " +
                                               r.status().message());
        }
        if (r->index != index) {
          return Internal("the province expected entry " +
                          std::to_string(index) + " but the log placed " +
                          std::to_string(r->index));
        }
        e.event = {};  // free as we go
      }
    }
  }
  RETURN_IF_ERROR(session->SaveSnapshot());
  return session->ledger().SignCheckpoint().status();
}

}  // namespace piaojue::demo
