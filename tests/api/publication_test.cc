// The server's read side (api/server/internal/service.h): every state it
// publishes is exactly the fold of the entries it covers, and a state a
// reader holds never changes, however many appends follow — although each
// publication is a copy of the previous state that shares every record with
// it (copy-on-write; the publication that costs O(changes)).
#include <capnp/message.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "api/cli/commands.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/service.h"
#include "api/server/internal/view_cache.h"
#include "ledger/merkle.h"
#include "projections/replay.h"
#include "tests/test_util.h"

namespace piaojue::server {
namespace {

class PublicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(crypto::InitCrypto());
    std::ostringstream out;
    ASSERT_OK(cli::Init(
        {tmp_.Sub("data"), "piaojue.test/pub", "", tmp_.Sub("root.key")}, out));
    auto root = cli::ReadKeyFile(tmp_.Sub("root.key"));
    ASSERT_OK(root);
    root_ = root->key_pair;
    ServiceOptions o;
    o.data_dir = tmp_.Sub("data");
    auto s = Service::Open(o);
    ASSERT_OK(s);
    service_ = std::move(s).value();
  }

  // Appends a jurisdictionRegistered entry (it changes the state's
  // jurisdictions) through the service, as POST /v1/entries does.
  void Register(int n) { ASSERT_OK(service_->Append(Registration(n))); }

  ledger::SignedEvent Registration(int n) {
    capnp::MallocMessageBuilder m;
    auto j = m.initRoot<schema::Event>().initJurisdictionRegistered();
    j.setCode(std::to_string(610100 + n));
    j.setName("第" + std::to_string(n) + "县");
    j.setLevel(schema::Level::COUNTY);
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto e = ledger::SignEvent(root_, service_->origin(), "", now,
                               m.getRoot<schema::Event>().asReader());
    EXPECT_OK(e);
    return e.ok() ? *std::move(e) : ledger::SignedEvent{};
  }

  // The state rebuilt from nothing over the first `size` entries.
  std::string Fold(uint64_t size) {
    auto state = projections::ReplayTo(service_->ledger(), size);
    EXPECT_OK(state);
    return state.ok() ? state->Serialize() : "";
  }

  testing::TempDir tmp_;
  crypto::KeyPair root_;
  std::unique_ptr<Service> service_;
};

TEST_F(PublicationTest, EveryPublishedStateIsTheFoldOfItsEntries) {
  const uint64_t start = service_->Snapshot()->size();
  for (int n = 1; n <= 12; ++n) {
    Register(n);
    std::shared_ptr<const projections::State> now = service_->Snapshot();
    ASSERT_EQ(now->size(), start + n);
    // Released at once: the next publication's copy then shares with no
    // reader.
    EXPECT_EQ(now->Serialize(), Fold(now->size())) << "after append " << n;
  }
}

TEST_F(PublicationTest, AStateAReaderHoldsNeverChanges) {
  std::vector<std::pair<std::shared_ptr<const projections::State>, std::string>>
      held;
  for (int n = 1; n <= 12; ++n) {
    // Hold every third state (so some publications share records with a
    // state a reader holds, the others not), and check each held one after
    // all the appends.
    if (n % 3 == 0) {
      auto s = service_->Snapshot();
      held.emplace_back(s, s->Serialize());
    }
    Register(n);
  }
  for (const auto& [state, bytes] : held) {
    EXPECT_EQ(state->Serialize(), bytes) << "the state of " << state->size();
    EXPECT_EQ(bytes, Fold(state->size()));
  }
  auto last = service_->Snapshot();
  EXPECT_EQ(last->size(), service_->ledger().size());
  EXPECT_EQ(last->Serialize(), Fold(last->size()));
}

HttpRequest Get(const std::string& path,
                std::map<std::string, std::string> query = {}) {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  r.query = std::move(query);
  r.client_address = "127.0.0.1";
  return r;
}

uint64_t SizeOf(const HttpResponse& r) {
  return nlohmann::json::parse(r.body).at("size").get<uint64_t>();
}

// The funnel of a province's county took 10 ms of CPU per reader at 20,000
// entries (docs/PERFORMANCE.md): a view is now computed once per published
// state and every reader of that state gets the same bytes — and the first
// read after an append shows the append.
TEST_F(PublicationTest, AViewIsComputedOncePerStateAndShowsEveryAppend) {
  ViewCache& cache = service_->view_cache();
  const uint64_t computed = cache.computed();
  HttpResponse first = Handle(*service_, Get("/v1/cycles"));
  ASSERT_EQ(first.status, 200) << first.body;
  for (int i = 0; i < 5; ++i) {
    HttpResponse again = Handle(*service_, Get("/v1/cycles"));
    EXPECT_EQ(again.body, first.body);
  }
  EXPECT_EQ(cache.computed(), computed + 1);
  const uint64_t size = SizeOf(first);
  Register(1);
  HttpResponse after = Handle(*service_, Get("/v1/cycles"));
  EXPECT_EQ(SizeOf(after), size + 1) << "a reader must see the append";
  EXPECT_EQ(cache.computed(), computed + 2);
  // Another query is another answer; a moment in the past is not cached.
  HttpResponse page = Handle(*service_, Get("/v1/cycles", {{"limit", "1"}}));
  EXPECT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(cache.computed(), computed + 3);
  HttpResponse past = Handle(*service_, Get("/v1/cycles", {{"as_of", "1"}}));
  EXPECT_EQ(past.status, 200) << past.body;
  EXPECT_EQ(SizeOf(past), 1u);
  Handle(*service_, Get("/v1/cycles", {{"as_of", "1"}}));
  EXPECT_EQ(cache.computed(), computed + 3);
  // An error is not kept (a view of a cycle that may yet be opened).
  EXPECT_EQ(Handle(*service_, Get("/v1/cycles/999999/funnel")).status, 404);
  EXPECT_EQ(Handle(*service_, Get("/v1/cycles/999999/funnel")).status, 404);
  EXPECT_EQ(cache.computed(), computed + 5);
}

std::vector<crypto::Hash> Hashes(const nlohmann::json& list) {
  std::vector<crypto::Hash> out;
  for (const auto& h : list) {
    auto bytes = crypto::Base64Decode(h.get<std::string>());
    crypto::Hash hash{};
    if (bytes.ok() && bytes->size() == hash.size()) {
      std::copy(bytes->begin(), bytes->end(), hash.begin());
    }
    out.push_back(hash);
  }
  return out;
}

// Server::Shutdown destroys the connections' io_context once
// WaitForAppends returns, so by then nothing an append's answer captured (the
// connection, for POST /v1/entries) may still be held by the ledger's writer
// thread: released there afterwards, a connection was closed on a destroyed
// io_context (UBSan, "invalid vptr", in CI). The capture here takes 20 ms to
// release, so a release after the count drops is always seen.
TEST_F(PublicationTest, AnAppendsAnswerIsReleasedBeforeTheAppendIsFinished) {
  struct SlowToRelease {
    explicit SlowToRelease(std::shared_ptr<std::atomic<bool>> r)
        : released(std::move(r)) {}
    std::shared_ptr<std::atomic<bool>> released;
    ~SlowToRelease() {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      released->store(true);
    }
  };
  const uint64_t before = service_->ledger().size();
  for (int n = 1; n <= 5; ++n) {
    auto released = std::make_shared<std::atomic<bool>>(false);
    auto answered = std::make_shared<std::atomic<bool>>(false);
    auto capture = std::make_shared<SlowToRelease>(released);
    service_->AppendAsync(Registration(n),
                          [capture = std::move(capture),
                           answered](Result<ledger::AppendResult> r) {
                            EXPECT_OK(r);
                            answered->store(true);
                          });
    service_->WaitForAppends();
    EXPECT_TRUE(answered->load()) << "append " << n;
    EXPECT_TRUE(released->load())
        << "append " << n
        << ": what its answer captured was still held after the append "
           "counted as finished";
    // Released late or not, each round starts with nothing held.
    for (int i = 0; i < 200 && !released->load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  EXPECT_EQ(service_->ledger().size(), before + 5);
}

// Inclusion proofs read the upper tree nodes from memory once read
// (node_cache.h): every proof, at sizes read before and after the tree
// grew past them, still verifies against the store's root of its size.
TEST_F(PublicationTest,
       InclusionProofsFromRememberedNodesVerifyAsTheTreeGrows) {
  auto check_all = [&](uint64_t size) {
    auto root = service_->ledger().RootAt(size);
    ASSERT_OK(root);
    for (uint64_t i = 0; i < size; ++i) {
      HttpResponse r = Handle(*service_, Get("/v1/proof/inclusion",
                                             {{"index", std::to_string(i)},
                                              {"size", std::to_string(size)}}));
      ASSERT_EQ(r.status, 200) << r.body;
      const nlohmann::json j = nlohmann::json::parse(r.body);
      const crypto::Hash leaf =
          Hashes(nlohmann::json::array({j["leafHash"]}))[0];
      EXPECT_EQ(Hashes(nlohmann::json::array({j["rootHash"]}))[0], *root);
      const Status verified =
          merkle::VerifyInclusion(leaf, i, size, Hashes(j["proof"]), *root);
      EXPECT_TRUE(verified.ok()) << "entry " << i << " at size " << size << ": "
                                 << verified.ToString();
    }
  };
  for (int n = 1; n <= 140; ++n) Register(n);
  const uint64_t first = service_->ledger().size();
  ASSERT_GE(first, 2u * 64);  // two level-6 nodes, the first kept in memory
  for (uint64_t size : {uint64_t{64}, uint64_t{65}, first - 1, first}) {
    check_all(size);
  }
  for (int n = 141; n <= 200; ++n) Register(n);
  for (uint64_t size : {first, service_->ledger().size()}) check_all(size);
}

// The proof's answer as the server built it before the tree was kept in
// memory: the store's own proof and root, and the JSON library's document.
std::string ProofAsBefore(const ledger::Ledger& ledger, uint64_t index,
                          uint64_t size) {
  auto proof = ledger.InclusionProof(index, size);
  auto root = ledger.RootAt(size);
  auto leaf = ledger.ReadNode(0, index);
  EXPECT_OK(proof);
  EXPECT_OK(root);
  EXPECT_OK(leaf);
  if (!proof.ok() || !root.ok() || !leaf.ok()) return "";
  nlohmann::json list = nlohmann::json::array();
  for (const crypto::Hash& h : *proof) list.push_back(Base64(h));
  nlohmann::json out{{"index", index},
                     {"size", size},
                     {"leafHash", Base64(*leaf)},
                     {"rootHash", Base64(*root)},
                     {"proof", std::move(list)}};
  return DumpJson(out) + "\n";
}

// Every inclusion proof of a test log, at every tree size, is byte for byte
// the answer the store's nodes give — from the read pool's path (memory,
// else the store) and from the I/O thread's (memory only), and for the
// latest checkpoint's size when no size is given.
TEST_F(PublicationTest, InclusionProofsAreTheSameBytesFromMemoryAsBefore) {
  for (int n = 1; n <= 70; ++n) Register(n);
  const uint64_t size = service_->ledger().size();
  ASSERT_TRUE(service_->node_cache().WaitLoaded(size));
  for (uint64_t s = 1; s <= size; ++s) {
    for (uint64_t i = 0; i < s; ++i) {
      const HttpRequest request =
          Get("/v1/proof/inclusion",
              {{"index", std::to_string(i)}, {"size", std::to_string(s)}});
      const std::string before = ProofAsBefore(service_->ledger(), i, s);
      HttpResponse slow = Handle(*service_, request);
      ASSERT_EQ(slow.status, 200) << slow.body;
      ASSERT_EQ(slow.body, before) << "index " << i << " size " << s;
      std::shared_ptr<const HttpResponse> fast = FastRead(*service_, request);
      ASSERT_NE(fast, nullptr) << "every node is in memory";
      ASSERT_EQ(fast->body, before) << "index " << i << " size " << s;
    }
  }
  // Reopened: the whole tree is loaded by scanning the store (not node by
  // node as appends are published), and gives the same bytes.
  service_.reset();
  ServiceOptions o;
  o.data_dir = tmp_.Sub("data");
  auto reopened = Service::Open(o);
  ASSERT_OK(reopened);
  service_ = std::move(reopened).value();
  ASSERT_TRUE(service_->node_cache().WaitLoaded(size));
  for (uint64_t s : {size - 1, size}) {
    for (uint64_t i = 0; i < s; ++i) {
      const HttpRequest request =
          Get("/v1/proof/inclusion",
              {{"index", std::to_string(i)}, {"size", std::to_string(s)}});
      std::shared_ptr<const HttpResponse> fast = FastRead(*service_, request);
      ASSERT_NE(fast, nullptr) << "every node is in memory";
      ASSERT_EQ(fast->body, ProofAsBefore(service_->ledger(), i, s));
    }
  }
  // Errors are the same on both paths.
  for (const auto& query : std::vector<std::map<std::string, std::string>>{
           {{"size", "3"}},
           {{"index", "5"}, {"size", "5"}},
           {{"index", "0"}, {"size", std::to_string(size + 1)}},
           {{"index", "01"}, {"size", "3"}}}) {
    const HttpRequest request = Get("/v1/proof/inclusion", query);
    HttpResponse slow = Handle(*service_, request);
    EXPECT_GE(slow.status, 400);
    std::shared_ptr<const HttpResponse> fast = FastRead(*service_, request);
    ASSERT_NE(fast, nullptr);
    EXPECT_EQ(fast->status, slow.status);
    EXPECT_EQ(fast->body, slow.body);
  }
  // Without size: the latest checkpoint's, and its root.
  for (int tries = 0; tries < 200; ++tries) {
    auto note = service_->Checkpoint();
    if (note.ok() &&
        note->find("\n" + std::to_string(size) + "\n") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (uint64_t i = 0; i < size; i += 7) {
    const HttpRequest request =
        Get("/v1/proof/inclusion", {{"index", std::to_string(i)}});
    const std::string before = ProofAsBefore(service_->ledger(), i, size);
    EXPECT_EQ(Handle(*service_, request).body, before);
    std::shared_ptr<const HttpResponse> fast = FastRead(*service_, request);
    ASSERT_NE(fast, nullptr);
    EXPECT_EQ(fast->body, before);
  }
}

// Proofs asked for while writers append — of trees the memory has, has in
// part, or not yet — all verify against the store's root of their size.
TEST_F(PublicationTest, InclusionProofsWhileWritersAppendVerify) {
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int n = 1; n <= 60; ++n) Register(n);
    done = true;
  });
  uint64_t checked = 0;
  uint64_t seed = 1;
  while (!done.load() || checked < 200) {
    const uint64_t size = service_->published_size();
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    const uint64_t index = (seed >> 33) % size;
    const HttpRequest request =
        Get("/v1/proof/inclusion",
            {{"index", std::to_string(index)}, {"size", std::to_string(size)}});
    std::shared_ptr<const HttpResponse> r = FastRead(*service_, request);
    if (r == nullptr) r = HandleShared(*service_, request);
    ASSERT_EQ(r->status, 200) << r->body;
    ASSERT_EQ(r->body, ProofAsBefore(service_->ledger(), index, size));
    ++checked;
  }
  writer.join();
}

// Views while writers append: every answer is exactly the view of the state
// whose size it states (the same bytes as that state rebuilt from the log
// gives, asked with as_of), and shows every entry acknowledged more than the
// documented bound (view_max_age) before the request.
TEST_F(PublicationTest,
       ViewsWhileWritersAppendShowTheStateTheyNameWithinTheBound) {
  constexpr auto kMaxAge = std::chrono::milliseconds(30);
  service_.reset();
  ServiceOptions o;
  o.data_dir = tmp_.Sub("data");
  o.view_max_age = kMaxAge;
  auto reopened = Service::Open(o);
  ASSERT_OK(reopened);
  service_ = std::move(reopened).value();
  using Clock = std::chrono::steady_clock;

  std::mutex mu;
  // (acknowledged at or before, entry index)
  std::vector<std::pair<Clock::time_point, uint64_t>> acked;
  struct Read {
    Clock::time_point asked;
    uint64_t size;
    std::string body;
  };
  std::vector<Read> reads;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int n = 1; n <= 40; ++n) {
      capnp::MallocMessageBuilder m;
      auto j = m.initRoot<schema::Event>().initJurisdictionRegistered();
      j.setCode(std::to_string(620100 + n));
      j.setName("第" + std::to_string(n) + "区");
      j.setLevel(schema::Level::COUNTY);
      const int64_t now =
          std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
      auto e = ledger::SignEvent(root_, service_->origin(), "", now,
                                 m.getRoot<schema::Event>().asReader());
      ASSERT_OK(e);
      auto r = service_->Append(*e);
      ASSERT_OK(r);
      const Clock::time_point at = Clock::now();
      std::lock_guard<std::mutex> lock(mu);
      acked.emplace_back(at, r->index);
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&, i] {
      const std::string path = i % 2 == 0 ? "/v1/cycles" : "/v1/corrections";
      while (!done.load()) {
        const Clock::time_point asked = Clock::now();
        HttpResponse r = Handle(*service_, Get(path));
        ASSERT_EQ(r.status, 200) << r.body;
        std::lock_guard<std::mutex> lock(mu);
        reads.push_back(Read{asked, SizeOf(r), path + "\n" + r.body});
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  ASSERT_FALSE(reads.empty());
  std::map<std::string, std::string> expected;  // path + size -> body
  for (const Read& read : reads) {
    uint64_t must_show = 0;
    for (const auto& [at, index] : acked) {
      if (at + kMaxAge <= read.asked)
        must_show = std::max(must_show, index + 1);
    }
    EXPECT_GE(read.size, must_show) << "an answer older than the bound";
    const std::string path = read.body.substr(0, read.body.find('\n'));
    const std::string key = path + "@" + std::to_string(read.size);
    if (!expected.contains(key)) {
      HttpResponse past =
          Handle(*service_, Get(path, {{"as_of", std::to_string(read.size)}}));
      ASSERT_EQ(past.status, 200) << past.body;
      expected[key] = path + "\n" + past.body;
    }
    EXPECT_EQ(read.body, expected[key]) << "not the view of size " << read.size;
  }
}

HttpResponse Body(std::string body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A view cache on a clock and a published size the test moves by hand.
struct FakeWorld {
  std::atomic<int64_t> ms{1000};
  std::atomic<uint64_t> published{7};
  std::atomic<int> runs{0};
  ViewCache::Clock::time_point Now() const {
    return ViewCache::Clock::time_point(std::chrono::milliseconds(ms.load()));
  }
  // An answer for the state published when it runs: its body is the size.
  ViewCache::Answer Compute(int status = 200) {
    ++runs;
    ViewCache::Answer a;
    a.valid_at = Now();
    a.size = published.load();
    a.response = std::make_shared<const HttpResponse>(
        Body(std::to_string(a.size), status));
    return a;
  }
  std::unique_ptr<ViewCache> Cache(int64_t max_age_ms = 1000,
                                   size_t max_bytes = 1 << 20) {
    return std::make_unique<ViewCache>(
        ViewCache::Options{max_bytes, std::chrono::milliseconds(max_age_ms),
                           std::chrono::milliseconds(100)},
        [this] { return published.load(); }, [this] { return Now(); });
  }
};

std::string BodyOf(const ViewCache::Answer& a) { return a.response->body; }

TEST(ViewCacheTest, ReadersArrivingTogetherWaitForOneComputation) {
  FakeWorld w;
  auto cache = w.Cache();
  std::atomic<bool> release{false};
  auto slow = [&] {
    while (!release.load()) std::this_thread::yield();
    return w.Compute();
  };
  std::vector<std::thread> readers;
  std::vector<std::string> seen(8);
  for (int i = 0; i < 8; ++i) {
    readers.emplace_back([&, i] { seen[i] = BodyOf(cache->Get("k", slow)); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(w.runs.load(), 1);
  for (const std::string& b : seen) EXPECT_EQ(b, "7");
}

// One reader at a time (nobody else asking for the view): every answer is
// the view of the state published when it asks, so a client reads its own
// writes at once.
TEST(ViewCacheTest, AReaderAloneSeesTheStatePublishedWhenItAsks) {
  FakeWorld w;
  auto cache = w.Cache();
  auto compute = [&] { return w.Compute(); };
  EXPECT_EQ(BodyOf(cache->Get("k", compute)), "7");
  EXPECT_EQ(BodyOf(cache->Get("k", compute)), "7");
  EXPECT_EQ(w.runs.load(), 1);
  for (uint64_t size = 8; size < 12; ++size) {
    w.published = size;
    w.ms += 1;
    const ViewCache::Answer a = cache->Get("k", compute);
    EXPECT_EQ(a.size, size);
    EXPECT_EQ(BodyOf(a), std::to_string(size));
    EXPECT_EQ(BodyOf(cache->Peek("k")), std::to_string(size));
  }
  EXPECT_EQ(w.runs.load(), 5);
  EXPECT_EQ(cache->stale(), 0u);
}

// While the view is being computed for a newer state, other readers get the
// answer kept — but never one whose state stopped being the published one
// more than max_age before they asked: those wait.
TEST(ViewCacheTest, DuringAComputationReadersGetTheKeptAnswerWithinTheBound) {
  FakeWorld w;
  auto cache = w.Cache(1000);
  auto compute = [&] { return w.Compute(); };
  ASSERT_EQ(BodyOf(cache->Get("k", compute)), "7");  // kept, valid at 1000
  w.published = 8;  // the state of 7 is no longer the published one
  w.ms = 1600;
  std::atomic<bool> release{false};
  std::thread computing([&] {
    cache->Get("k", [&] {
      ViewCache::Answer a = w.Compute();  // taken at 1600: the state of 8
      while (!release.load()) std::this_thread::yield();
      return a;
    });
  });
  while (w.runs.load() < 2) std::this_thread::yield();
  // Asked at 1700 (state of 7 valid at 1000, within 1000 ms): no wait.
  w.ms = 1700;
  EXPECT_EQ(BodyOf(cache->Get("k", compute)), "7");
  EXPECT_EQ(BodyOf(cache->Peek("k")), "7");
  EXPECT_EQ(cache->stale(), 2u);
  // Asked at 2100: 7 is too old; this reader waits for the computation.
  w.ms = 2100;
  EXPECT_EQ(cache->Peek("k").response, nullptr);
  std::atomic<bool> answered{false};
  std::string late;
  std::thread waiting([&] {
    late = BodyOf(cache->Get("k", compute));
    answered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(answered.load()) << "served an answer older than the bound";
  release = true;
  computing.join();
  waiting.join();
  EXPECT_EQ(late, "8");
  EXPECT_EQ(w.runs.load(), 2);
}

// When readers came during the last computation (the server is busy with
// this view), the next one runs in the background, no sooner than
// max(min_refresh, the last computation's duration) after it, and readers
// meanwhile get the kept answer without waiting.
TEST(ViewCacheTest, WhenBusyAViewIsRefreshedInTheBackgroundAtMostSoOften) {
  FakeWorld w;
  auto cache = w.Cache(1000);
  auto compute = [&] { return w.Compute(); };
  ASSERT_EQ(BodyOf(cache->Get("k", compute)), "7");
  w.published = 8;
  std::atomic<bool> release{false};
  std::thread computing([&] {
    cache->Get("k", [&] {
      ViewCache::Answer a = w.Compute();
      while (!release.load()) std::this_thread::yield();
      return a;
    });
  });
  while (w.runs.load() < 2) std::this_thread::yield();
  EXPECT_EQ(BodyOf(cache->Get("k", compute)), "7");  // contended
  release = true;
  computing.join();  // kept the state of 8, ended at 1000
  w.published = 9;
  w.ms = 1050;  // within min_refresh (100 ms) of the last computation
  EXPECT_EQ(BodyOf(cache->Get("k", compute)), "8");
  EXPECT_EQ(w.runs.load(), 2) << "recomputed sooner than min_refresh";
  w.ms = 1150;
  EXPECT_EQ(BodyOf(cache->Get("k", compute)), "8") << "must not wait";
  for (int i = 0; i < 2000 && cache->computed() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(cache->background(), 1u);
  EXPECT_EQ(w.runs.load(), 3);
  EXPECT_EQ(BodyOf(cache->Get("k", compute)), "9");
  // Quiet for longer than max_age: a lone reader is served the latest
  // state at once again.
  w.published = 10;
  w.ms = 3000;
  EXPECT_EQ(BodyOf(cache->Get("k", compute)), "10");
}

TEST(ViewCacheTest, AnAnswerIsKeptForTheStateItWasComputedFrom) {
  FakeWorld w;
  auto cache = w.Cache();
  auto moving = [&] {
    ViewCache::Answer a = w.Compute();
    w.published = 8;  // an append published while the view was computed
    return a;
  };
  const ViewCache::Answer first = cache->Get("k", moving);
  EXPECT_EQ(first.size, 7u);
  EXPECT_EQ(BodyOf(first), "7");
  // The next (lone) reader asks when 8 is published: computed again.
  auto fixed = [&] { return w.Compute(); };
  EXPECT_EQ(BodyOf(cache->Get("k", fixed)), "8");
  EXPECT_EQ(BodyOf(cache->Get("k", fixed)), "8");
  EXPECT_EQ(w.runs.load(), 2);
  // An error is answered, never kept (the kept answer stays).
  w.published = 9;
  EXPECT_EQ(cache->Get("k", [&] { return w.Compute(404); }).response->status,
            404);
  EXPECT_EQ(cache->Get("e", [&] { return w.Compute(404); }).response->status,
            404);
  EXPECT_EQ(cache->Peek("e").response, nullptr);
  EXPECT_EQ(w.runs.load(), 4);
}

TEST(ViewCacheTest, TheOldestAnswersMakeRoomWithinTheByteBound) {
  FakeWorld w;
  auto cache = w.Cache(1000, 100);
  auto forty = [&] {
    ViewCache::Answer a = w.Compute();
    a.response =
        std::make_shared<const HttpResponse>(Body(std::string(40, 'a')));
    return a;
  };
  cache->Get("a", forty);
  cache->Get("b", forty);
  cache->Get("c", forty);  // pushes "a" out
  EXPECT_EQ(w.runs.load(), 3);
  cache->Get("c", forty);
  cache->Get("b", forty);
  EXPECT_EQ(w.runs.load(), 3);
  cache->Get("a", forty);
  EXPECT_EQ(w.runs.load(), 4);
  cache->Get("huge", [&] {
    ViewCache::Answer a = w.Compute();
    a.response =
        std::make_shared<const HttpResponse>(Body(std::string(200, 'h')));
    return a;
  });
  EXPECT_EQ(cache->Get("a", forty).response->body.size(), 40u);
  EXPECT_EQ(w.runs.load(), 5)
      << "an answer larger than the bound is never kept";
}

}  // namespace
}  // namespace piaojue::server
