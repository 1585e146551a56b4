// The server's read side (api/server/internal/service.h): every state it
// publishes is exactly the fold of the entries it covers, and a state a
// reader holds never changes, however many appends follow — although each
// publication is a copy of the previous state that shares every record with
// it (copy-on-write; the publication that costs O(changes)).
#include <capnp/message.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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
  void Register(int n) {
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
    ASSERT_OK(e);
    ASSERT_OK(service_->Append(*e));
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

HttpResponse Body(std::string body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(ViewCacheTest, ReadersArrivingTogetherWaitForOneComputation) {
  ViewCache cache(1 << 20);
  std::atomic<int> runs{0};
  std::atomic<bool> release{false};
  auto slow = [&] {
    ++runs;
    while (!release.load()) std::this_thread::yield();
    return Body("{\"size\":7}");
  };
  std::vector<std::thread> readers;
  std::vector<std::string> seen(8);
  for (int i = 0; i < 8; ++i) {
    readers.emplace_back([&, i] {
      seen[i] = cache.Get(7, "k", slow, [] { return uint64_t{7}; })->body;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(runs.load(), 1);
  for (const std::string& b : seen) EXPECT_EQ(b, "{\"size\":7}");
}

TEST(ViewCacheTest, AnAnswerFromAStateThatMovedOnIsNotKept) {
  ViewCache cache(1 << 20);
  uint64_t published = 7;
  int runs = 0;
  auto compute = [&] {
    ++runs;
    published = 8;  // an append published while the view was computed
    return Body("x");
  };
  cache.Get(7, "k", compute, [&] { return published; });
  cache.Get(7, "k", compute, [&] { return published; });
  EXPECT_EQ(runs, 2);
  // A newer state drops what was kept for the older one.
  auto fixed = [&] {
    ++runs;
    return Body("y");
  };
  cache.Get(8, "k", fixed, [] { return uint64_t{8}; });
  cache.Get(8, "k", fixed, [] { return uint64_t{8}; });
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(cache.Get(7, "k", fixed, [] { return uint64_t{8}; })->body, "y");
  EXPECT_EQ(runs, 4) << "an older state's reader is answered, not cached";
}

TEST(ViewCacheTest, TheOldestAnswersMakeRoomWithinTheByteBound) {
  ViewCache cache(100);
  int runs = 0;
  auto forty = [&] {
    ++runs;
    return Body(std::string(40, 'a'));
  };
  auto now = [] { return uint64_t{1}; };
  cache.Get(1, "a", forty, now);
  cache.Get(1, "b", forty, now);
  cache.Get(1, "c", forty, now);  // pushes "a" out
  EXPECT_EQ(runs, 3);
  cache.Get(1, "c", forty, now);
  cache.Get(1, "b", forty, now);
  EXPECT_EQ(runs, 3);
  cache.Get(1, "a", forty, now);
  EXPECT_EQ(runs, 4);
  cache.Get(
      1, "huge",
      [&] {
        ++runs;
        return Body(std::string(200, 'h'));
      },
      now);
  EXPECT_EQ(cache.Get(1, "a", forty, now)->body.size(), 40u);
  EXPECT_EQ(runs, 5) << "an answer larger than the bound is never kept";
}

}  // namespace
}  // namespace piaojue::server
