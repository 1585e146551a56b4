// Past states (as_of, /v1/diff) on the server (issues 14 and 15): built
// from the projection snapshots the server keeps, at most K entries folded
// each; rebuilt on their own bounded pool apart from ordinary reads; and
// refused (429 per address, 503 when the pool is full) under a flood, while
// ordinary reads keep being answered. Nothing here is timed.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "api/cli/data_dir.h"
#include "api/demo/province.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/replay_pool.h"
#include "api/server/internal/service.h"
#include "api/server/server.h"
#include "projections/dates.h"
#include "projections/replay.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"

namespace piaojue::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr uint64_t kEvery = 8;

// ---------------------------------------------------------------------------
// The pool itself.

TEST(ReplayPoolTest, NeverRunsMoreThanItsBoundAndRefusesBeyondItsQueue) {
  constexpr int kThreads = 2;
  constexpr size_t kQueue = 3;
  ReplayPool pool(kThreads, kQueue);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> running{0}, most{0}, done{0};
  auto job = [&] {
    const int now = running.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    running.fetch_sub(1);
    done.fetch_add(1);
  };
  // Threads + queue jobs are admitted while none can finish; the rest not.
  int accepted = 0, refused = 0;
  for (int i = 0; i < 20; ++i) {
    (pool.TrySubmit(job) ? accepted : refused)++;
  }
  EXPECT_EQ(accepted, kThreads + static_cast<int>(kQueue));
  EXPECT_EQ(refused, 20 - accepted);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  pool.Stop();  // runs what was queued
  EXPECT_EQ(done.load(), accepted);
  EXPECT_LE(most.load(), kThreads);
  const ReplayPool::Counters c = pool.counters();
  EXPECT_EQ(c.accepted, static_cast<uint64_t>(accepted));
  EXPECT_EQ(c.refused, static_cast<uint64_t>(refused));
  EXPECT_LE(c.max_running, static_cast<size_t>(kThreads));
  EXPECT_FALSE(pool.TrySubmit(job));  // stopped
}

// ---------------------------------------------------------------------------
// A data directory holding the whole cycle of tests/cycle_builder.h.

class PastStatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(crypto::InitCrypto());
    data_ = tmp_.Sub("data");
    cli::DataDir dir(data_);
    std::filesystem::create_directories(dir.keys_path());
    testing::CycleBuilder builder(dir.ledger_path());
    ASSERT_OK(builder.BuildAll());
    size_ = builder.size();
    ASSERT_GT(size_, 10 * kEvery);
    ASSERT_GT(size_, 8 * 10 + 1);  // the flood's distinct sizes
    for (uint64_t n = 0; n <= size_; ++n) {
      auto s = projections::ReplayTo(builder.ledger(), n);
      ASSERT_OK(s);
      truth_[n] = s->Serialize();
    }
    recorded_at_.resize(size_);
    for (uint64_t i = 0; i < size_; ++i) {
      auto bytes = builder.ledger().ReadEntry(i);
      ASSERT_OK(bytes);
      auto view = ledger::EntryView::Parse(*bytes);
      ASSERT_OK(view);
      recorded_at_[i] = view->recorded_at_ms();
    }
    builder.Close();
    ASSERT_OK(cli::WriteKeyFile(dir.log_key_path(), builder.log_key()));
  }

  testing::TempDir tmp_;
  std::string data_;
  uint64_t size_ = 0;
  std::map<uint64_t, std::string> truth_;
  std::vector<int64_t> recorded_at_;
};

TEST_F(PastStatesTest, AsOfFromTheServersSnapshotsEqualsAFullReplay) {
  ServiceOptions o;
  o.data_dir = data_;
  o.snapshot_every = kEvery;
  o.as_of_cache_bytes = 0;  // nothing cached: every as_of is built
  auto service = Service::Open(o);
  ASSERT_OK(service);
  Service& s = **service;
  // Backfilled in the background for the existing log.
  ASSERT_TRUE(s.WaitForSnapshots(std::chrono::seconds(60)));
  EXPECT_EQ(s.replay_counters().snapshots_written, size_ / kEvery);
  // By count: every size, on and off the boundaries, 0 and the head;
  // downwards, so that the state cached last is never a base.
  for (uint64_t n = size_ + 1; n-- > 0;) {
    auto m = s.StateAt(std::to_string(n));
    ASSERT_OK(m);
    EXPECT_EQ(m->state->Serialize(), truth_[n]) << "as_of=" << n;
  }
  Service::ReplayCounters c = s.replay_counters();
  EXPECT_EQ(c.replays, size_);  // all but the head (the published state)
  EXPECT_LT(c.max_entries, kEvery);
  EXPECT_EQ(c.from_snapshot, size_ - kEvery);  // all but sizes < K

  // By date: each day the log recorded entries, the end of that CST day.
  std::set<std::string> days;
  for (int64_t ms : recorded_at_) {
    days.insert(projections::FormatDate(projections::DateFromMs(ms)));
  }
  ASSERT_GT(days.size(), 3u);
  for (const std::string& day : days) {
    auto m = s.StateAt(day);
    ASSERT_OK(m);
    const uint64_t n = m->state->size();
    EXPECT_EQ(m->state->Serialize(), truth_[n]) << "as_of=" << day;
    // Every entry recorded by the end of that day, and none after.
    for (uint64_t i = 0; i < size_; ++i) {
      const std::string entry_day =
          projections::FormatDate(projections::DateFromMs(recorded_at_[i]));
      EXPECT_EQ(i < n, entry_day <= day) << day << ", entry " << i;
    }
  }
  EXPECT_LT(s.replay_counters().max_entries, kEvery);
}

// Past states kept in memory (the default; here every kEvery entries and no
// stored snapshots): the server builds its state at start by one fold that
// keeps them, and answers every as_of from the nearest one, fewer than
// kEvery entries folded, counted.
TEST_F(PastStatesTest, AsOfFromStatesKeptInMemoryEqualsAFullReplay) {
  ServiceOptions o;
  o.data_dir = data_;
  o.snapshot_every = 0;
  o.past_states_every = kEvery;
  o.as_of_cache_bytes = 0;  // nothing cached: every as_of is built
  auto service = Service::Open(o);
  ASSERT_OK(service);
  Service& s = **service;
  ASSERT_TRUE(s.WaitForPastStates(std::chrono::seconds(60)));
  ASSERT_NE(s.past_states(), nullptr);
  EXPECT_EQ(s.past_states()->kept(), size_ / kEvery);
  EXPECT_EQ(s.past_states()->spacing(), kEvery);
  uint64_t off_boundary = 0;
  for (uint64_t n = size_ + 1; n-- > 0;) {
    auto m = s.StateAt(std::to_string(n));
    ASSERT_OK(m);
    EXPECT_EQ(m->state->Serialize(), truth_[n]) << "as_of=" << n;
    if (n >= kEvery && n < size_ && n % kEvery != 0) ++off_boundary;
  }
  const Service::ReplayCounters c = s.replay_counters();
  EXPECT_LT(c.max_entries, kEvery);
  EXPECT_EQ(c.from_snapshot, 0u);
  EXPECT_EQ(c.from_past_state, off_boundary);
  // Those on a boundary are the kept states themselves: nothing folded.
  EXPECT_EQ(c.replays, off_boundary + kEvery);  // + the sizes 0..K-1
}

// With past states on, the start is as without them: the state is loaded
// from the snapshot the last stop saved (issue 15: at 1,000,000 entries the
// start used to fold the whole log instead). The past states are built in
// the background by a fold from entry 0; once it has caught up, the server
// serves that fold, equal to the loaded state, and every as_of is exact.
TEST_F(PastStatesTest, TheStartLoadsTheSnapshotAndBuildsPastStatesAfter) {
  {
    ServiceOptions o;
    o.data_dir = data_;
    o.past_states_every = 0;
    auto service = Service::Open(o);  // its stop saves the snapshot
    ASSERT_OK(service);
  }
  ServiceOptions o;
  o.data_dir = data_;
  o.past_states_every = kEvery;
  o.as_of_cache_bytes = 0;
  auto service = Service::Open(o);
  ASSERT_OK(service);
  Service& s = **service;
  EXPECT_NE(s.StartupSummary().find("loaded from the snapshot of " +
                                    std::to_string(size_) + " entries"),
            std::string::npos)
      << s.StartupSummary();
  ASSERT_TRUE(s.WaitForPastStates(std::chrono::seconds(60)));
  EXPECT_EQ(s.past_states()->kept(), size_ / kEvery);
  EXPECT_EQ(s.Snapshot()->Serialize(), truth_[size_]);
  for (uint64_t n = size_ + 1; n-- > 0;) {
    auto m = s.StateAt(std::to_string(n));
    ASSERT_OK(m);
    EXPECT_EQ(m->state->Serialize(), truth_[n]) << "as_of=" << n;
  }
  EXPECT_LT(s.replay_counters().max_entries, kEvery);
}

// The memory budget: with none to spare (0 MiB) every kept state is
// dropped as soon as it is kept, and as_of is still exact (from entry 0;
// each replay fits in the as_of cache's room, which is counted already).
TEST_F(PastStatesTest, PastStatesBeyondTheMemoryBudgetAreDropped) {
  ServiceOptions o;
  o.data_dir = data_;
  o.past_states_every = kEvery;
  o.past_states_budget_mib = 0;
  o.as_of_cache_bytes = uint64_t{32} << 20;
  auto service = Service::Open(o);
  ASSERT_OK(service);
  Service& s = **service;
  ASSERT_TRUE(s.WaitForPastStates(std::chrono::seconds(60)));
  EXPECT_EQ(s.past_states()->kept(), 0u);
  EXPECT_GT(s.past_states()->spacing(), size_);
  for (uint64_t n : {uint64_t{1}, kEvery, kEvery + 3, size_ / 2, size_ - 1}) {
    auto m = s.StateAt(std::to_string(n));
    ASSERT_OK(m);
    EXPECT_EQ(m->state->Serialize(), truth_[n]) << "as_of=" << n;
  }
  EXPECT_EQ(s.replay_counters().from_past_state, 0u);
}

// The as_of cache holds what its bytes allow, not a count: each state is
// charged for the entries folded past the kept state it started from, the
// least recently used is evicted to make room, and a state larger than the
// whole cache is answered but never cached.
TEST_F(PastStatesTest, TheAsOfCacheIsBoundedByBytesAndEvictsTheLeastRecent) {
  // Sizes one short of a multiple of kEvery: kEvery - 1 entries each past
  // the state kept before them.
  const uint64_t one = (kEvery - 1) * Service::kAsOfBytesPerEntry;
  const std::string a = std::to_string(2 * kEvery - 1);
  const std::string b = std::to_string(3 * kEvery - 1);
  const std::string c = std::to_string(4 * kEvery - 1);
  ServiceOptions o;
  o.data_dir = data_;
  o.past_states_every = kEvery;
  o.as_of_cache_bytes = 2 * one + one / 2;  // room for two
  {
    auto service = Service::Open(o);
    ASSERT_OK(service);
    Service& s = **service;
    ASSERT_TRUE(s.WaitForPastStates(std::chrono::seconds(60)));
    ASSERT_EQ(s.past_states()->spacing(), kEvery);
    auto get = [&](const std::string& as_of) {
      auto m = s.StateAt(as_of);
      ASSERT_OK(m);
      EXPECT_EQ(m->state->Serialize(), truth_[std::stoull(as_of)]) << as_of;
    };
    auto replays = [&] { return s.replay_counters().replays; };
    get(a);
    get(b);
    EXPECT_EQ(s.as_of_cache_use().states, 2u);
    EXPECT_EQ(s.as_of_cache_use().bytes, 2 * one);
    get(a);  // cached: now the most recently used
    EXPECT_EQ(replays(), 2u);
    get(c);  // no room for a third: b, the least recently used, goes
    EXPECT_EQ(replays(), 3u);
    EXPECT_EQ(s.as_of_cache_use().states, 2u);
    EXPECT_LE(s.as_of_cache_use().bytes, o.as_of_cache_bytes);
    get(a);
    get(c);
    EXPECT_EQ(replays(), 3u);
    get(b);  // evicted: built again
    EXPECT_EQ(replays(), 4u);
  }
  // A cache smaller than one state keeps none.
  o.as_of_cache_bytes = one - 1;
  auto service = Service::Open(o);
  ASSERT_OK(service);
  Service& s = **service;
  ASSERT_TRUE(s.WaitForPastStates(std::chrono::seconds(60)));
  for (int i = 0; i < 2; ++i) {
    auto m = s.StateAt(a);
    ASSERT_OK(m);
    EXPECT_EQ(m->state->Serialize(), truth_[2 * kEvery - 1]);
  }
  EXPECT_EQ(s.replay_counters().replays, 2u);
  EXPECT_EQ(s.as_of_cache_use().states, 0u);
  EXPECT_EQ(s.as_of_cache_use().bytes, 0u);
}

// The budget is for the whole server: the room the view cache, the as_of
// cache and the tree may still take counts against it before they fill, so
// their filling up later never takes the server past it. Here the heap is
// a fixed 500 MiB, the as_of cache 100 MiB, the view cache 64 MiB and the
// tree under 1 MiB: a budget of 665 MiB keeps every state, 663 MiB none.
TEST_F(PastStatesTest, TheBudgetCountsTheRoomTheCachesMayStillTake) {
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  for (const bool fits : {true, false}) {
    ServiceOptions o;
    o.data_dir = data_;
    o.past_states_every = kEvery;
    o.as_of_cache_bytes = 100 * kMiB;
    o.heap_in_use = [] { return 500 * kMiB; };
    o.past_states_budget_mib = fits ? 665 : 663;
    auto service = Service::Open(o);
    ASSERT_OK(service);
    Service& s = **service;
    ASSERT_TRUE(s.WaitForPastStates(std::chrono::seconds(60)));
    ASSERT_TRUE(s.node_cache().WaitLoaded(size_));
    EXPECT_GE(s.MemoryCommitted(), 664 * kMiB);
    EXPECT_LT(s.MemoryCommitted(), 665 * kMiB);
    if (fits) {
      EXPECT_EQ(s.past_states()->kept(), size_ / kEvery);
      EXPECT_EQ(s.past_states()->spacing(), kEvery);
    } else {
      EXPECT_EQ(s.past_states()->kept(), 0u);
      EXPECT_GT(s.past_states()->spacing(), size_);
    }
  }
}

// The budget also bounds what replays take while they run (issue 15: at
// 1,000,000 entries an as_of folding half the log took the server from
// 1,031 to 1,490 MiB). Before a replay runs it reserves its estimate
// (kAsOfBytesPerEntry for each entry it may fold, plus kReplayFixedBytes);
// what does not fit in the as_of cache's room (already counted) must fit
// the budget beside the committed memory and the replays already running,
// else the as_of is refused (Unavailable) and nothing is folded. Here the
// heap is a fixed 500 MiB, the view cache's room 64 MiB, no as_of cache
// and no past states: 564 MiB committed.
TEST_F(PastStatesTest, AReplayThatWouldTakeTheServerPastItsBudgetIsRefused) {
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  const uint64_t half = size_ / 2;
  // A replay of `half` entries from entry 0 reserves just over 16 MiB.
  const uint64_t need =
      half * Service::kAsOfBytesPerEntry + Service::kReplayFixedBytes;
  ASSERT_GT(need, 16 * kMiB);
  ASSERT_LT(need, 17 * kMiB);
  for (const bool fits : {false, true}) {
    ServiceOptions o;
    o.data_dir = data_;
    o.past_states_every = 0;
    o.as_of_cache_bytes = 0;
    o.heap_in_use = [] { return 500 * kMiB; };
    o.past_states_budget_mib = fits ? 581 : 580;
    auto service = Service::Open(o);
    ASSERT_OK(service);
    Service& s = **service;
    ASSERT_TRUE(s.node_cache().WaitLoaded(size_));  // the tree's room is 0
    ASSERT_EQ(s.MemoryCommitted(), 564 * kMiB);
    auto m = s.StateAt(std::to_string(half));
    if (!fits) {
      ASSERT_FALSE(m.ok());
      EXPECT_EQ(m.status().code(), StatusCode::kUnavailable);
      EXPECT_NE(m.status().message().find("--past-states-budget-mib"),
                std::string::npos)
          << m.status().message();
      EXPECT_EQ(s.replay_counters().replays, 0u);  // nothing folded
      EXPECT_EQ(s.replay_counters().refused_for_memory, 1u);
      // The head and the published state need no replay: answered.
      auto head = s.StateAt(std::to_string(size_));
      ASSERT_OK(head);
      EXPECT_EQ(head->state->Serialize(), truth_[size_]);
      continue;
    }
    ASSERT_OK(m);
    EXPECT_EQ(m->state->Serialize(), truth_[half]);
    // Not cached (no as_of cache): held while the reader builds its answer
    // from the state, released once it lets go of it.
    EXPECT_EQ(s.replay_bytes_reserved(), need);
    m = Result<Moment>(NotFound("dropped"));
    EXPECT_EQ(s.replay_bytes_reserved(), 0u);
    // A replay running (here, its reservation held) counts: the next one
    // fits alone but not beside it, and is refused until it is done.
    {
      std::optional<Service::ReplayReservation> running = s.ReserveReplay(kMiB);
      ASSERT_TRUE(running.has_value());
      EXPECT_EQ(s.replay_bytes_reserved(), kMiB);
      auto refused = s.StateAt(std::to_string(half + 1));
      ASSERT_FALSE(refused.ok());
      EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
      EXPECT_EQ(s.replay_counters().refused_for_memory, 1u);
    }
    EXPECT_EQ(s.replay_bytes_reserved(), 0u);
    auto after = s.StateAt(std::to_string(half + 1));
    ASSERT_OK(after);
    EXPECT_EQ(after->state->Serialize(), truth_[half + 1]);
  }
}

// A replay small enough for the as_of cache's room is admitted even when
// the rest of the server is over its budget: that room is already counted
// as committed, and the state it builds is what the cache would hold.
TEST_F(PastStatesTest, AReplayWithinTheAsOfCachesRoomIsAlwaysAdmitted) {
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  ServiceOptions o;
  o.data_dir = data_;
  o.past_states_every = 0;
  o.as_of_cache_bytes = 20 * kMiB;  // > kReplayFixedBytes + size_ entries
  o.heap_in_use = [] { return 500 * kMiB; };
  o.past_states_budget_mib = 0;
  auto service = Service::Open(o);
  ASSERT_OK(service);
  Service& s = **service;
  for (uint64_t n : {uint64_t{1}, size_ / 2, size_ - 1}) {
    auto m = s.StateAt(std::to_string(n));
    ASSERT_OK(m);
    EXPECT_EQ(m->state->Serialize(), truth_[n]) << "as_of=" << n;
  }
  // Two at once do not both fit in the room: the second is refused.
  std::optional<Service::ReplayReservation> running =
      s.ReserveReplay(10 * kMiB);
  ASSERT_TRUE(running.has_value());
  auto refused = s.StateAt(std::to_string(size_ / 2 + 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
}

// Thinning follows the heap, not only the states kept: when the server's
// memory grows past the budget with no new state to keep (the live state
// growing, caches filling beyond their estimate), the past states are
// thinned within a few seconds, without waiting for an append.
TEST_F(PastStatesTest, KeptStatesAreThinnedWhenTheHeapGrowsPastTheBudget) {
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  std::atomic<uint64_t> heap{100 * kMiB};
  ServiceOptions o;
  o.data_dir = data_;
  o.past_states_every = kEvery;
  o.as_of_cache_bytes = 0;
  o.heap_in_use = [&heap] { return heap.load(); };
  o.past_states_budget_mib = 400;
  auto service = Service::Open(o);
  ASSERT_OK(service);
  Service& s = **service;
  ASSERT_TRUE(s.WaitForPastStates(std::chrono::seconds(60)));
  ASSERT_EQ(s.past_states()->kept(), size_ / kEvery);
  heap = 450 * kMiB;  // nothing appended, nothing new kept
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (s.past_states()->kept() > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(s.past_states()->kept(), 0u);
  EXPECT_GT(s.past_states()->spacing(), size_);
}

TEST_F(PastStatesTest, SnapshotsAreWrittenAsTheServedLogGrows) {
  ServiceOptions o;
  o.data_dir = data_;
  o.snapshot_every = kEvery;
  {
    auto service = Service::Open(o);
    ASSERT_OK(service);
    ASSERT_TRUE((*service)->WaitForSnapshots(std::chrono::seconds(60)));
    EXPECT_EQ((*service)->replay_counters().snapshots_written, size_ / kEvery);
  }
  // A restart finds them stored and writes none again.
  auto service = Service::Open(o);
  ASSERT_OK(service);
  ASSERT_TRUE((*service)->WaitForSnapshots(std::chrono::seconds(60)));
  EXPECT_EQ((*service)->replay_counters().snapshots_written, 0u);
  auto sizes = (*service)->ledger().ProjectionSnapshotSizes();
  ASSERT_OK(sizes);
  EXPECT_EQ(sizes->size(), size_ / kEvery);
}

// One HTTP/1.1 keep-alive connection from a chosen loopback source address.
class Connection {
 public:
  Connection(uint16_t port, const std::string& from) : socket_(ioc_) {
    socket_.open(tcp::v4());
    socket_.bind(tcp::endpoint(net::ip::make_address(from), 0));
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  // Status and Retry-After; status 0 if the exchange failed.
  std::pair<int, std::string> Get(const std::string& target) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    beast::error_code ec;
    http::write(socket_, req, ec);
    if (ec) return {0, ""};
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res, ec);
    if (ec) return {0, ""};
    return {res.result_int(), std::string(res[http::field::retry_after])};
  }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

TEST_F(PastStatesTest,
       AFloodOfPastStatesIsRefusedWhileOrdinaryReadsAreAnswered) {
  ServerOptions o;
  o.data_dir = data_;
  o.port = 0;
  o.snapshot_every = 0;  // every replay from entry 0: as costly as possible
  o.replay_threads = 1;
  o.replay_queue = 1;
  o.replay_burst = 3;
  o.replay_per_minute = 1;
  auto server = Server::Start(o);
  ASSERT_OK(server);
  const uint16_t port = (*server)->port();
  {
    // The first checkpoint is signed just after start: wait for it, so
    // that every ordinary read below has something to answer.
    Connection c(port, "127.0.0.1");
    while (c.Get("/tlog/checkpoint").first != 200) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  constexpr int kAddresses = 8;
  constexpr int kEach = 10;
  std::atomic<int> ok{0}, limited{0}, busy{0}, other{0};
  std::atomic<bool> retry_after_missing{false};
  std::atomic<bool> flooding{true};
  std::vector<std::thread> flood;
  for (int a = 0; a < kAddresses; ++a) {
    flood.emplace_back([&, a] {
      Connection c(port, "127.0.0." + std::to_string(a + 2));
      for (int i = 0; i < kEach; ++i) {
        // Distinct sizes: nothing is served from the cache.
        const uint64_t at =
            1 + (static_cast<uint64_t>(a) * kEach + i) % (size_ - 1);
        auto [status, retry] = c.Get(
            i % 2 == 0 ? "/v1/cycles?as_of=" + std::to_string(at)
                       : "/v1/diff?view=cycles&from=" + std::to_string(at));
        if (status == 200) {
          ok.fetch_add(1);
        } else if (status == 429 || status == 503) {
          (status == 429 ? limited : busy).fetch_add(1);
          if (retry.empty()) retry_after_missing = true;
        } else {
          other.fetch_add(1);
        }
      }
    });
  }
  // Meanwhile ordinary reads, on their own connection: every one answered.
  int reads = 0, read_failures = 0;
  std::thread reader([&] {
    Connection c(port, "127.0.0.1");
    while (flooding.load() || reads < 50) {
      for (const char* target :
           {"/v1/cycles", "/tlog/checkpoint", "/v1/log", "/v1/entries/3"}) {
        const int status = c.Get(target).first;
        if (status != 200) {
          ++read_failures;
          ADD_FAILURE() << target << ": " << status;
        }
        ++reads;
      }
    }
  });
  for (std::thread& t : flood) t.join();
  flooding = false;
  reader.join();

  EXPECT_EQ(read_failures, 0);
  EXPECT_GE(reads, 50);
  EXPECT_EQ(other.load(), 0);
  EXPECT_FALSE(retry_after_missing.load());
  EXPECT_EQ(ok + limited + busy, kAddresses * kEach);
  // Each address may start 3 replays; the rest of its 10 are 429.
  EXPECT_EQ(limited.load(), kAddresses * (kEach - 3));
  EXPECT_EQ(ok + busy, kAddresses * 3);
  const Server::ReplayStats stats = (*server)->replay_stats();
  EXPECT_LE(stats.max_running, 1u);  // the pool's bound, counted
  EXPECT_EQ(stats.refused, static_cast<uint64_t>(busy.load()));
  EXPECT_EQ(stats.accepted, static_cast<uint64_t>(ok.load()));
  std::cout << "[ flood ] " << ok << " answered, " << limited << " 429, "
            << busy << " 503; " << reads << " ordinary reads all 200\n";
}

TEST_F(PastStatesTest, CachedAndCurrentStatesDoNotCountAsReplays) {
  ServerOptions o;
  o.data_dir = data_;
  o.port = 0;
  o.replay_burst = 1;
  o.replay_per_minute = 1;
  auto server = Server::Start(o);
  ASSERT_OK(server);
  Connection c((*server)->port(), "127.0.0.1");
  EXPECT_EQ(c.Get("/v1/cycles?as_of=20").first, 200);  // the one replay
  // Cached now, and the head is the published state: no budget needed.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.Get("/v1/cycles?as_of=20").first, 200);
    EXPECT_EQ(c.Get("/v1/cycles?as_of=" + std::to_string(size_)).first, 200);
    EXPECT_EQ(c.Get("/v1/cycles").first, 200);
  }
  // Bad moments are answered at once (400/404), not queued or counted.
  EXPECT_EQ(c.Get("/v1/cycles?as_of=007").first, 400);
  EXPECT_EQ(c.Get("/v1/cycles?as_of=99999").first, 404);
  // A new moment is over this address's budget.
  auto [status, retry] = c.Get("/v1/cycles?as_of=21");
  EXPECT_EQ(status, 429);
  EXPECT_FALSE(retry.empty());
  EXPECT_EQ((*server)->replay_stats().accepted, 1u);
}

// Over HTTP the refusal is a 503 with Retry-After, and ordinary reads and
// the published state are still answered.
TEST_F(PastStatesTest, AnAsOfBeyondTheMemoryBudgetIsA503WithRetryAfter) {
  ServerOptions o;
  o.data_dir = data_;
  o.port = 0;
  o.snapshot_every = 0;
  o.past_states_every = 0;
  o.past_states_budget_mib = 0;  // the server's heap alone is beyond it
  o.as_of_cache_mib = 0;
  auto server = Server::Start(o);
  ASSERT_OK(server);
  Connection c((*server)->port(), "127.0.0.1");
  auto [status, retry] = c.Get("/v1/cycles?as_of=" + std::to_string(size_ / 2));
  EXPECT_EQ(status, 503);
  EXPECT_FALSE(retry.empty());
  auto [diff_status, diff_retry] =
      c.Get("/v1/diff?view=cycles&from=" + std::to_string(size_ / 3));
  EXPECT_EQ(diff_status, 503);
  EXPECT_FALSE(diff_retry.empty());
  EXPECT_EQ(c.Get("/v1/cycles").first, 200);
  EXPECT_EQ(c.Get("/v1/cycles?as_of=" + std::to_string(size_)).first, 200);
}

// The paged views the portal reads as of a past moment (the cycle list, a
// cycle's funnel), on a province of several counties: the answer is the
// view of a fresh fold of the log to that size, cut to the page asked for —
// byte for byte what the server sent when it rendered the whole list and
// cut the page afterwards (docs/PERFORMANCE.md, "as_of over HTTP").
TEST(PastStatesProvinceTest, AsOfPagesAreTheWholeViewOfAFreshFoldCut) {
  ASSERT_OK(crypto::InitCrypto());
  testing::TempDir tmp;
  demo::ProvinceOptions po;
  po.data = tmp.Sub("province");
  po.counties = 2;
  po.signing_threads = 2;
  ASSERT_OK(demo::WriteProvince(po));
  ServiceOptions o;
  o.data_dir = po.data;
  o.snapshot_every = 0;
  o.past_states_every = 64;
  o.as_of_cache_bytes = 0;  // every as_of is built from a kept state
  auto service = Service::Open(o);
  ASSERT_OK(service);
  Service& s = **service;
  ASSERT_TRUE(s.WaitForPastStates(std::chrono::seconds(120)));
  const uint64_t size = s.Snapshot()->size();
  ASSERT_GT(size, 2000u);
  auto get = [&](const std::string& path,
                 std::map<std::string, std::string> query) {
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    r.query = std::move(query);
    return Handle(s, r);
  };
  int cycles_seen = 0;
  for (uint64_t n : {uint64_t{40}, uint64_t{300}, uint64_t{777}, uint64_t{1201},
                     size / 2 + 13, size - 1}) {
    auto fresh = projections::ReplayTo(s.ledger(), n);
    ASSERT_OK(fresh);
    auto whole = projections::View(*fresh, "cycles", {});
    ASSERT_OK(whole);
    const nlohmann::json& all = (*whole)["cycles"];
    const uint64_t total = all.size();
    cycles_seen = std::max(cycles_seen, static_cast<int>(total));
    for (const auto& [offset, limit] :
         std::vector<std::pair<uint64_t, uint64_t>>{
             {0, 100}, {1, 2}, {4, 1000}, {total, 5}}) {
      nlohmann::json expected = *whole;
      nlohmann::json window = nlohmann::json::array();
      const uint64_t begin = std::min(offset, total);
      const uint64_t end = begin + std::min(limit, total - begin);
      for (uint64_t i = begin; i < end; ++i) window.push_back(all[i]);
      expected["cycles"] = window;
      expected["page"] = {{"list", "cycles"},
                          {"offset", begin},
                          {"limit", limit},
                          {"total", total},
                          {"next", end < total ? nlohmann::json(end)
                                               : nlohmann::json(nullptr)}};
      HttpResponse r = get("/v1/cycles", {{"as_of", std::to_string(n)},
                                          {"offset", std::to_string(offset)},
                                          {"limit", std::to_string(limit)}});
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.body, DumpJson(expected) + "\n")
          << "as_of=" << n << ", " << offset << "+" << limit;
    }
    // Without offset and limit: the first page of 100.
    nlohmann::json first = *whole;
    first["page"] = {{"list", "cycles"},
                     {"offset", 0},
                     {"limit", 100},
                     {"total", total},
                     {"next", nullptr}};
    EXPECT_EQ(get("/v1/cycles", {{"as_of", std::to_string(n)}}).body,
              DumpJson(first) + "\n")
        << "as_of=" << n;
    for (const nlohmann::json& c : all) {
      projections::ViewQuery q;
      q.cycle = c["ref"].get<uint64_t>();
      q.page = projections::ViewQuery::Page{0, 100};
      auto funnel = projections::View(*fresh, "funnel", q);
      ASSERT_OK(funnel);
      HttpResponse r = get("/v1/cycles/" + std::to_string(*q.cycle) + "/funnel",
                           {{"as_of", std::to_string(n)}});
      EXPECT_EQ(r.body, DumpJson(*funnel) + "\n") << "as_of=" << n;
    }
  }
  EXPECT_EQ(cycles_seen, 6);  // 3 a county
  EXPECT_LT(s.replay_counters().max_entries, 64u);
}

}  // namespace
}  // namespace piaojue::server
