// The server's read side (api/server/internal/service.h): every state it
// publishes is exactly the fold of the entries it covers, and a state a
// reader holds never changes, however many appends follow — also when the
// writer recycles the state published before the current one instead of
// copying the whole state (the publication that costs O(changes)).
#include <capnp/message.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>

#include "api/cli/commands.h"
#include "api/server/internal/service.h"
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
    // Released at once: the next publication recycles the previous state.
    EXPECT_EQ(now->Serialize(), Fold(now->size())) << "after append " << n;
  }
}

TEST_F(PublicationTest, AStateAReaderHoldsNeverChanges) {
  std::vector<std::pair<std::shared_ptr<const projections::State>, std::string>>
      held;
  for (int n = 1; n <= 12; ++n) {
    // Hold every third state (so some publications must copy, the others
    // recycle), and check each held one after all the appends.
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

}  // namespace
}  // namespace piaojue::server
