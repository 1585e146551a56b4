// The `piaojue` commands as a user meets them: init, keys, submit, show with
// time travel, export, and the errors for bad input.
#include <rocksdb/db.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/cli/commands.h"
#include "api/cli/data_dir.h"
#include "api/cli/render.h"
#include "api/cli/session.h"
#include "ledger/bundle.h"
#include "ledger/ledger.h"
#include "projections/dates.h"
#include "projections/state.h"
#include "tests/snapshot_util.h"
#include "tests/test_util.h"

namespace piaojue::cli {
namespace {

using testing::TempDir;

constexpr char kOriginName[] = "cli.piaojue.test/log";

int CurrentYear() {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return projections::DateFromMs(now).year;
}

std::string WriteFile(const TempDir& tmp, const std::string& name,
                      const std::string& text) {
  std::string path = tmp.Sub(name);
  std::ofstream(path) << text;
  return path;
}

std::string CycleCommand(int year) {
  nlohmann::json j = {
      {"jurisdiction", "610102"},
      {"event",
       {{"cycleOpened",
         {{"year", year},
          {"level", "county"},
          {"title", "清河县" + std::to_string(year) + "年民生实事项目"},
          {"budgetFen", 30000000000},
          {"projectCount", 10},
          {"collectionStart", {{"year", year}, {"month", 1}, {"day", 1}}},
          {"collectionEnd", {{"year", year}, {"month", 12}, {"day", 31}}},
          {"scope", "全县范围内的民生实事"}}}}}};
  return j.dump();
}

std::string ProposalCommand(uint64_t cycle, int64_t fen) {
  nlohmann::json j = {
      {"jurisdiction", "610102"},
      {"event",
       {{"proposalSubmitted",
         {{"cycle", cycle},
          {"details",
           {{"title", "城东片区老旧小区加装电梯"},
            {"description", "为六层以上无电梯住宅加装电梯，方便老年人出行"},
            {"category", "publicFacilities"},
            {"location", "城东街道"},
            {"estimatedInvestmentFen", fen},
            {"fundingSource", "ownBudget"}}},
          {"proposerType", "resident"},
          {"channel", "wechat"}}}}}};
  return j.dump();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(crypto::InitCrypto());
    data_ = tmp_.Sub("data");
    // The root's and the office's keys live on their holders' machines,
    // here folders beside the data directory.
    std::filesystem::create_directories(tmp_.Sub("root-office"));
    std::filesystem::create_directories(tmp_.Sub("county-office"));
    root_key_ = tmp_.Sub("root-office/root.key");
    office_key_ = tmp_.Sub("county-office/governmentOffice.key");
    std::ostringstream out;
    InitOptions init{data_, kOriginName, "清河县人大常委会", root_key_};
    ASSERT_OK(Init(init, out));
    init_output_ = out.str();
    ASSERT_OK(AddJurisdiction(
        {data_, "610102", "清河县", "county", "", root_key_}, out));
    ASSERT_OK(NewAndRegister(office_key_, "governmentOffice", "县政府办公室"));
  }

  // `key new` on the holder's machine, then `key register` by the root.
  Status NewAndRegister(const std::string& key_file, const std::string& role,
                        const std::string& holder,
                        std::string* public_key = nullptr) {
    std::ostringstream printed;
    RETURN_IF_ERROR(NewKey({key_file, holder}, printed));
    std::string hex = printed.str();
    if (!hex.empty() && hex.back() == '\n') hex.pop_back();
    if (public_key) *public_key = hex;
    KeyOptions k;
    k.data = data_;
    k.role = role;
    k.jurisdiction = "610102";
    k.holder = holder;
    k.root_key = root_key_;
    k.public_key = hex;
    std::ostringstream out;
    return RegisterKey(k, out);
  }

  Status SubmitWith(const std::string& key_file, const std::string& name,
                    const std::string& text) {
    SubmitOptions o;
    o.data = data_;
    o.key_file = key_file;
    o.file = WriteFile(tmp_, name, text);
    std::ostringstream out;
    return Submit(o, out);
  }

  uint64_t LedgerSize() {
    auto l = ledger::Ledger::Open(DataDir(data_).ledger_path(), {}, true);
    EXPECT_OK(l);
    return l.ok() ? (*l)->size() : 0;
  }

  Status SubmitText(const std::string& name, const std::string& text,
                    std::string* output = nullptr) {
    std::ostringstream out;
    SubmitOptions o;
    o.data = data_;
    o.key_file = office_key_;
    o.file = WriteFile(tmp_, name, text);
    Status s = Submit(o, out);
    if (output) *output = out.str();
    return s;
  }

  nlohmann::json ShowJson(const std::string& view, std::string as_of = "") {
    ShowOptions o;
    o.data = data_;
    o.view = view;
    o.as_of = std::move(as_of);
    o.json = true;
    std::ostringstream out;
    Status s = Show(o, out);
    EXPECT_OK(s);
    return s.ok() ? nlohmann::json::parse(out.str()) : nlohmann::json();
  }

  TempDir tmp_;
  std::string data_;
  std::string root_key_;
  std::string office_key_;
  std::string init_output_;
};

// The presidium (大会主席团) announces results: its role name is accepted
// wherever roles are parsed (key register --role, submit --as-role).
TEST(CliRoleTest, PresidiumIsARoleName) {
  auto role = ParseRole("presidium");
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_EQ(*role, schema::Role::PRESIDIUM);
  auto unknown = ParseRole("chairman");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("presidium"), std::string::npos)
      << unknown.status().message();
}

TEST_F(CliTest, InitPrintsTheVerifierKeyAndKeepsKeysPrivate) {
  EXPECT_NE(
      init_output_.find(std::string("verifier key: ") + kOriginName + "+"),
      std::string::npos)
      << init_output_;
  DataDir dir(data_);
  for (const std::string& path : {root_key_, dir.log_key_path(), office_key_}) {
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  // The printed key verifies the checkpoint the ledger signs.
  std::ostringstream cp;
  ASSERT_OK(Checkpoint(data_, cp));
  EXPECT_EQ(cp.str().rfind(std::string(kOriginName) + "\n", 0), 0u);
}

TEST_F(CliTest, InitRefusesToOverwriteALedger) {
  std::ostringstream out;
  Status s = Init({data_, kOriginName, "", tmp_.Sub("another-root.key")}, out);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  // The refused init leaves no root key behind.
  EXPECT_FALSE(std::filesystem::exists(tmp_.Sub("another-root.key")));
}

TEST_F(CliTest, AKeyReadableByOthersIsRefused) {
  ASSERT_EQ(::chmod(office_key_.c_str(), 0640), 0);
  const uint64_t before = LedgerSize();
  Status s = SubmitText("c.json", CycleCommand(CurrentYear()));
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
  EXPECT_NE(s.message().find("chmod 600"), std::string::npos) << s.ToString();
  EXPECT_EQ(LedgerSize(), before);
  // `sign` refuses it as well.
  SignOptions o;
  o.key_file = office_key_;
  o.origin = kOriginName;
  o.file = WriteFile(tmp_, "c2.json", CycleCommand(CurrentYear()));
  o.out_file = tmp_.Sub("c2.signed");
  std::ostringstream out;
  EXPECT_EQ(Sign(o, out).code(), StatusCode::kPermissionDenied);
  EXPECT_FALSE(std::filesystem::exists(o.out_file));
}

TEST_F(CliTest, SubmitAppendsAndShowDisplaysTheCycle) {
  std::string output;
  ASSERT_OK(SubmitText("c.json", CycleCommand(CurrentYear()), &output));
  EXPECT_NE(output.find("(cycleOpened)"), std::string::npos) << output;
  nlohmann::json cycles = ShowJson("cycles");
  EXPECT_EQ(cycles["view"], "cycles");
  EXPECT_EQ(cycles["size"], LedgerSize());
  ASSERT_TRUE(cycles.contains("cycles")) << cycles.dump(2);
  ASSERT_EQ(cycles["cycles"].size(), 1u) << cycles.dump(2);
  EXPECT_NE(cycles.dump().find("清河县"), std::string::npos);

  // The human form is a table, not JSON.
  ShowOptions o;
  o.data = data_;
  o.view = "cycles";
  std::ostringstream text;
  ASSERT_OK(Show(o, text));
  EXPECT_NE(text.str().find("cycles:"), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find('{'), std::string::npos) << text.str();
}

// Issue 10, item 4: last year's cycle is refused unless it is recorded as
// a backfill (补录), which `show cycles` then says.
TEST_F(CliTest, ABackfilledPastCycleIsShownAsSuch) {
  const int last_year = CurrentYear() - 1;
  const uint64_t before = LedgerSize();
  Status live = SubmitText("past.json", CycleCommand(last_year));
  EXPECT_FALSE(live.ok());
  EXPECT_NE(live.message().find("rule cycle.window_past"), std::string::npos)
      << live.ToString();
  EXPECT_EQ(LedgerSize(), before);
  nlohmann::json backfill = nlohmann::json::parse(CycleCommand(last_year));
  backfill["event"]["cycleOpened"]["backfill"] = true;
  backfill["event"]["cycleOpened"]["backfillReason"] = "补录上年度票决过程";
  ASSERT_OK(SubmitText("backfill.json", backfill.dump()));
  const nlohmann::json cycles = ShowJson("cycles");
  ASSERT_EQ(cycles["cycles"].size(), 1u);
  EXPECT_EQ(cycles["cycles"][0]["backfill"], true);
  EXPECT_EQ(cycles["cycles"][0]["backfillReason"], "补录上年度票决过程");
  ShowOptions o;
  o.data = data_;
  o.view = "cycles";
  std::ostringstream text;
  ASSERT_OK(Show(o, text));
  EXPECT_NE(text.str().find("backfill"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("补录上年度票决过程"), std::string::npos)
      << text.str();
}

TEST_F(CliTest, MalformedCommandsAppendNothing) {
  const uint64_t before = LedgerSize();
  EXPECT_EQ(SubmitText("a.json", "{not json").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SubmitText("b.json", R"({"event": {"noSuchEvent": {}}})").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SubmitText("c.json", R"({"jurisdiction": "610102", "extra": 1,
                                    "event": {}})")
                .code(),
            StatusCode::kInvalidArgument);
  std::ostringstream out;
  SubmitOptions missing;
  missing.data = data_;
  missing.key_file = office_key_;
  missing.file = tmp_.Sub("missing.json");
  EXPECT_EQ(Submit(missing, out).code(), StatusCode::kNotFound);
  SubmitOptions bad_role;
  bad_role.data = data_;
  bad_role.as_role = "noSuchRole";
  bad_role.file = WriteFile(tmp_, "d.json", CycleCommand(2026));
  EXPECT_EQ(Submit(bad_role, out).ok(), false);
  EXPECT_EQ(LedgerSize(), before);
}

TEST_F(CliTest, ARuleRefusalNamesTheRuleAndAppendsNothing) {
  ASSERT_OK(SubmitText("c.json", CycleCommand(CurrentYear())));
  const uint64_t cycle = LedgerSize() - 1;
  const uint64_t before = LedgerSize();
  Status s = SubmitText("p.json", ProposalCommand(cycle, -100));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rule "), std::string::npos) << s.ToString();
  EXPECT_EQ(LedgerSize(), before);
  // The same proposal with a real amount is accepted.
  EXPECT_OK(SubmitText("p2.json", ProposalCommand(cycle, 120000000)));
  EXPECT_EQ(LedgerSize(), before + 1);
}

// DIR/state.snapshot is a plain file beside the ledger. Edited by hand so
// that it stays consistent with the log (same size, same last entry hash),
// it must neither change what `show` prints nor decide what `submit`
// appends: the true rules refuse a second cycle for the same year.
TEST_F(CliTest, AnEditedSnapshotNeitherShowsNorAdmitsAFalseState) {
  const int year = CurrentYear();
  ASSERT_OK(SubmitText("c.json", CycleCommand(year)));
  const uint64_t before = LedgerSize();
  EXPECT_FALSE(SubmitText("again.json", CycleCommand(year)).ok());
  ASSERT_EQ(LedgerSize(), before);

  const std::string snapshot = DataDir(data_).snapshot_path();
  ASSERT_EQ(testing::MoveCyclesInSnapshot(snapshot, year, year - 3), 1);
  ASSERT_OK(projections::State::Deserialize(testing::ReadWholeFile(snapshot)));

  nlohmann::json cycles = ShowJson("cycles");
  ASSERT_EQ(cycles["cycles"].size(), 1u) << cycles.dump(2);
  EXPECT_EQ(cycles["cycles"][0]["year"], year) << cycles.dump(2);
  {
    auto session = Session::Open(DataDir(data_), /*read_only=*/true);
    ASSERT_OK(session);
    EXPECT_NE((*session)->snapshot_ignored_because().find("seal"),
              std::string::npos)
        << (*session)->snapshot_ignored_because();
  }

  Status s = SubmitText("forged.json", CycleCommand(year));
  EXPECT_FALSE(s.ok()) << "a second cycle for " << year << " was appended";
  EXPECT_EQ(LedgerSize(), before);
}

// A registry marker deleted from the store: `submit` refuses with the
// reason, `show` still works, and `reindex` (which re-checks the entries)
// brings writes back.
TEST_F(CliTest, RefusedWritesNameTheReasonAndReindexRestoresThem) {
  const std::string store = DataDir(data_).ledger_path();
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), store, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    // The registry marker of entry 1 (the jurisdiction).
    ASSERT_TRUE(
        db->Delete(rocksdb::WriteOptions(), std::string("g\0\0\0\0\0\0\0\1", 9))
            .ok());
  }
  const uint64_t before = LedgerSize();
  Status s = SubmitText("c.json", CycleCommand(CurrentYear()));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("registry index"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(LedgerSize(), before);
  EXPECT_EQ(ShowJson("cycles")["size"], before);

  std::ostringstream out;
  ASSERT_OK(Reindex(data_, out));
  EXPECT_NE(out.str().find("writes are accepted again"), std::string::npos)
      << out.str();
  EXPECT_OK(SubmitText("c2.json", CycleCommand(CurrentYear())));
  EXPECT_EQ(LedgerSize(), before + 1);
  std::ostringstream again;
  ASSERT_OK(Reindex(data_, again));
  EXPECT_NE(again.str().find("nothing to do"), std::string::npos);
}

TEST_F(CliTest, ShowAsOfAnEarlierSizeAndDiff) {
  const uint64_t before_cycle = LedgerSize();
  ASSERT_OK(SubmitText("c.json", CycleCommand(CurrentYear())));
  EXPECT_EQ(ShowJson("cycles", std::to_string(before_cycle))["cycles"].size(),
            0u);
  EXPECT_EQ(ShowJson("cycles")["cycles"].size(), 1u);
  // Everything recorded by the end of today (China time) is included.
  EXPECT_EQ(ShowJson("cycles", "2999-01-01")["cycles"].size(), 1u);
  EXPECT_EQ(ShowJson("cycles", "2000-01-01T00:00:00Z")["cycles"].size(), 0u);

  ShowOptions o;
  o.data = data_;
  o.view = "cycles";
  o.diff_from = std::to_string(before_cycle);
  o.json = true;
  std::ostringstream out;
  ASSERT_OK(Show(o, out));
  nlohmann::json diff = nlohmann::json::parse(out.str());
  EXPECT_EQ(diff["from"], before_cycle);
  EXPECT_FALSE(diff["patch"].empty()) << diff.dump(2);

  // Each change names the record by its reference (issue 10).
  ASSERT_TRUE(diff["changes"].is_array()) << diff.dump(2);
  ASSERT_FALSE(diff["changes"].empty());
  EXPECT_EQ(diff["changes"][0]["op"], "add");
  EXPECT_EQ(
      diff["changes"][0]["path"].get<std::string>().rfind("cycles[ref=", 0), 0u)
      << diff.dump(2);

  // The list of every correction is a view like the others.
  ShowOptions c;
  c.data = data_;
  c.view = "corrections";
  c.json = true;
  std::ostringstream corrections;
  ASSERT_OK(Show(c, corrections));
  nlohmann::json list = nlohmann::json::parse(corrections.str());
  EXPECT_EQ(list["view"], "corrections");
  EXPECT_TRUE(list["corrections"].is_array());

  o.diff_from = "";
  o.as_of = "yesterday";
  EXPECT_EQ(Show(o, out).code(), StatusCode::kInvalidArgument);
  o.as_of = "999999";
  EXPECT_EQ(Show(o, out).code(), StatusCode::kOutOfRange);
  o.as_of = "";
  o.view = "nonsense";
  EXPECT_EQ(Show(o, out).code(), StatusCode::kNotFound);
}

TEST_F(CliTest, ExportWritesEveryEntryAndASignedCheckpoint) {
  ASSERT_OK(SubmitText("c.json", CycleCommand(CurrentYear())));
  const std::string bundle = tmp_.Sub("ledger.bundle");
  std::ostringstream out;
  ASSERT_OK(Export({data_, bundle}, out));
  uint64_t seen = 0;
  std::string checkpoint;
  ASSERT_OK(ledger::ReadBundle(
      bundle,
      [&](std::string_view cp, uint64_t count) {
        checkpoint = cp;
        EXPECT_EQ(count, LedgerSize());
        return Status::Ok();
      },
      [&](uint64_t index, std::string_view) {
        EXPECT_EQ(index, seen);
        ++seen;
        return Status::Ok();
      }));
  EXPECT_EQ(checkpoint.rfind(std::string(kOriginName) + "\n" +
                                 std::to_string(LedgerSize()) + "\n",
                             0),
            0u)
      << checkpoint;
  EXPECT_EQ(seen, LedgerSize());
}

// Issue 13: the data directory holds only the log's checkpoint key; the root
// key is written where --root-key-out says, never inside the data directory.
TEST_F(CliTest, InitLeavesOnlyTheLogKeyInTheDataDirectory) {
  std::vector<std::string> files;
  for (const auto& f : std::filesystem::recursive_directory_iterator(
           DataDir(data_).keys_path())) {
    files.push_back(f.path().filename().string());
  }
  EXPECT_EQ(files, std::vector<std::string>{"log.key"});
  EXPECT_NE(init_output_.find("root key file: " + root_key_), std::string::npos)
      << init_output_;
  auto root = ReadKeyFile(root_key_);
  ASSERT_OK(root);

  std::ostringstream out;
  InitOptions inside{tmp_.Sub("data2"), kOriginName, "",
                     tmp_.Sub("data2/keys/root.key")};
  Status s = Init(inside, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("inside the data directory"), std::string::npos);
  InitOptions none{tmp_.Sub("data3"), kOriginName, "", ""};
  s = Init(none, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--root-key-out"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp_.Sub("data2/ledger")));
  EXPECT_FALSE(std::filesystem::exists(tmp_.Sub("data3/ledger")));
}

TEST_F(CliTest, KeyNewPrintsOnlyThePublicKeyAndNeverOverwrites) {
  const std::string path = tmp_.Sub("county-office/teller.key");
  std::ostringstream out;
  ASSERT_OK(NewKey({path, "计票人 王某"}, out));
  auto key = ReadKeyFile(path);
  ASSERT_OK(key);
  EXPECT_EQ(out.str(),
            crypto::ToHex(crypto::AsBytes(key->key_pair.public_key)) + "\n");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ostringstream again;
  EXPECT_EQ(NewKey({path, "计票人"}, again).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(again.str().empty());
}

// One role in one jurisdiction may be held by several keys (one per agency,
// one per teller); revoking one leaves the others; a revoked key cannot come
// back, a new key takes its place.
TEST_F(CliTest, SeveralKeysHoldOneRoleAndEachIsRevokedAlone) {
  const std::string second = tmp_.Sub("county-office/second.key");
  std::string second_hex;
  ASSERT_OK(
      NewAndRegister(second, "governmentOffice", "县发改局", &second_hex));
  const int year = CurrentYear();
  ASSERT_OK(SubmitWith(office_key_, "c.json", CycleCommand(year)));
  const uint64_t cycle = LedgerSize() - 1;
  ASSERT_OK(SubmitWith(second, "p.json", ProposalCommand(cycle, 100)));

  KeyOptions revoke;
  revoke.data = data_;
  revoke.root_key = root_key_;
  revoke.public_key = second_hex;
  revoke.reason = "密钥所在电脑丢失";
  std::ostringstream out;
  ASSERT_OK(RevokeKey(revoke, out));
  const uint64_t before = LedgerSize();
  Status refused = SubmitWith(second, "p2.json", ProposalCommand(cycle, 200));
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied)
      << refused.ToString();
  EXPECT_NE(refused.message().find("revoked"), std::string::npos);
  EXPECT_EQ(LedgerSize(), before);
  EXPECT_OK(SubmitWith(office_key_, "p3.json", ProposalCommand(cycle, 300)));

  // Re-registering the revoked key is refused; a new key replaces it.
  KeyOptions again = revoke;
  again.role = "governmentOffice";
  again.jurisdiction = "610102";
  again.holder = "县发改局";
  EXPECT_FALSE(RegisterKey(again, out).ok());
  const std::string replacement = tmp_.Sub("county-office/replacement.key");
  ASSERT_OK(NewAndRegister(replacement, "governmentOffice", "县发改局"));
  EXPECT_OK(SubmitWith(replacement, "p4.json", ProposalCommand(cycle, 400)));

  // Registration needs the root key: an office key cannot register.
  KeyOptions forged = again;
  forged.root_key = office_key_;
  forged.public_key = std::string(64, 'a');
  EXPECT_EQ(RegisterKey(forged, out).code(), StatusCode::kPermissionDenied);
}

TEST_F(CliTest, KeyAddKeepsOnlyThePublicIntakeKeyInTheDataDirectory) {
  const uint64_t before = LedgerSize();
  std::ostringstream out;
  KeyOptions k;
  k.data = data_;
  k.role = "teller";
  k.jurisdiction = "610102";
  k.holder = "计票人";
  k.root_key = root_key_;
  Status s = AddKey(k, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("key new"), std::string::npos) << s.ToString();
  EXPECT_EQ(LedgerSize(), before);
  k.role = "publicIntake";
  k.holder = "县民生实事征集平台";
  ASSERT_OK(AddKey(k, out));
  EXPECT_TRUE(std::filesystem::exists(
      DataDir(data_).author_key_path("publicIntake", "610102")));
}

// Issue 13: a command signed with a key file on another machine (no data
// directory there) is carried as an envelope and appended by `submit
// --signed`; an envelope changed on the way is refused and appends nothing.
TEST_F(CliTest, AnEnvelopeSignedElsewhereIsAcceptedAndATamperedOneRefused) {
  // "Another machine": a folder with only the office's key and the command.
  const std::string machine = tmp_.Sub("township-office");
  std::filesystem::create_directories(machine);
  const std::string key = machine + "/governmentOffice.key";
  ASSERT_OK(NewAndRegister(key, "governmentOffice", "县政府办公室（二）"));
  SignOptions o;
  o.key_file = key;
  o.origin = kOriginName;
  o.file = WriteFile(tmp_, "township-office/cycle.json",
                     CycleCommand(CurrentYear()));
  o.out_file = machine + "/cycle.signed.json";
  std::ostringstream out;
  ASSERT_OK(Sign(o, out));
  const nlohmann::json envelope =
      nlohmann::json::parse(testing::ReadWholeFile(o.out_file));
  EXPECT_EQ(envelope["format"], "piaojue-signed-event/v1");
  EXPECT_EQ(envelope["kind"], "cycleOpened");
  EXPECT_EQ(envelope["jurisdiction"], "610102");
  EXPECT_EQ(envelope["event"]["cycleOpened"]["projectCount"], 10);
  // Never overwritten.
  EXPECT_EQ(Sign(o, out).code(), StatusCode::kAlreadyExists);

  auto submit = [&](const std::string& name, const std::string& text) {
    SubmitOptions s;
    s.data = data_;
    s.signed_file = WriteFile(tmp_, name, text);
    std::ostringstream o2;
    return Submit(s, o2);
  };
  const uint64_t before = LedgerSize();
  // The readable part edited: refused, naming the field.
  nlohmann::json edited = envelope;
  edited["event"]["cycleOpened"]["projectCount"] = 12;
  Status s = submit("edited.json", edited.dump());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("\"event\" does not say what was signed"),
            std::string::npos)
      << s.ToString();
  // The signed bytes changed (one byte of the authored event): refused.
  nlohmann::json flipped = envelope;
  auto bytes = crypto::Base64Decode(envelope["authored"].get<std::string>());
  ASSERT_OK(bytes);
  std::string b = *bytes;
  b[b.size() - 3] ^= 0x01;
  flipped["authored"] = crypto::Base64Encode(crypto::AsBytes(b));
  s = submit("flipped.json", flipped.dump());
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.code() == StatusCode::kUnauthenticated ||
              s.code() == StatusCode::kCorruption)
      << s.ToString();
  EXPECT_NE(s.message().find("signed envelope"), std::string::npos)
      << s.ToString();
  // Signed for another log: refused by the log.
  SignOptions other = o;
  other.origin = "other.example/log";
  other.out_file = machine + "/other.signed.json";
  ASSERT_OK(Sign(other, out));
  s = submit("other.json", testing::ReadWholeFile(other.out_file));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(LedgerSize(), before);

  std::string output;
  SubmitOptions good;
  good.data = data_;
  good.signed_file = o.out_file;
  std::ostringstream appended;
  ASSERT_OK(Submit(good, appended));
  EXPECT_NE(appended.str().find("(cycleOpened)"), std::string::npos);
  EXPECT_EQ(LedgerSize(), before + 1);
  // The same envelope twice is a replay.
  EXPECT_FALSE(Submit(good, appended).ok());
  EXPECT_EQ(LedgerSize(), before + 1);
}

TEST_F(CliTest, DryRunShowsWhatWouldBeSignedInTheLocaleLanguage) {
  SignOptions o;
  o.key_file = office_key_;
  o.origin = kOriginName;
  o.file = WriteFile(tmp_, "c.json", CycleCommand(2031));
  o.out_file = tmp_.Sub("c.signed.json");
  o.dry_run = true;
  o.lang = Lang::kChinese;
  std::ostringstream zh;
  ASSERT_OK(Sign(o, zh));
  EXPECT_NE(zh.str().find("即将签署"), std::string::npos) << zh.str();
  EXPECT_NE(zh.str().find("开启年度民生实事项目周期"), std::string::npos);
  EXPECT_NE(zh.str().find("持有人：县政府办公室"), std::string::npos);
  EXPECT_NE(zh.str().find("清河县2031年民生实事项目"), std::string::npos);
  EXPECT_NE(zh.str().find(kOriginName), std::string::npos);
  // The budget, signed in fen, is also said in yuan.
  EXPECT_NE(zh.str().find("cycleOpened.budgetFen: ¥300,000,000.00"),
            std::string::npos)
      << zh.str();
  EXPECT_FALSE(std::filesystem::exists(o.out_file));
  o.lang = Lang::kEnglish;
  std::ostringstream en;
  ASSERT_OK(Sign(o, en));
  EXPECT_NE(en.str().find("About to sign"), std::string::npos) << en.str();
  EXPECT_NE(en.str().find("cycleOpened"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(o.out_file));
}

TEST(CliLangTest, TheLocaleChoosesChinese) {
  ::setenv("LC_ALL", "zh_CN.UTF-8", 1);
  EXPECT_EQ(LangFromEnvironment(), Lang::kChinese);
  ::setenv("LC_ALL", "C.UTF-8", 1);
  EXPECT_EQ(LangFromEnvironment(), Lang::kEnglish);
  ::unsetenv("LC_ALL");
  ::setenv("LC_MESSAGES", "", 1);
  ::setenv("LANG", "zh_CN.UTF-8", 1);
  EXPECT_EQ(LangFromEnvironment(), Lang::kChinese);
  ::unsetenv("LANG");
  ::unsetenv("LC_MESSAGES");
}

TEST(RenderTest, WideCharactersCountTwoColumns) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("清河县"), 6u);
  EXPECT_EQ(DisplayWidth("¥1,000.00"), 9u);
}

}  // namespace
}  // namespace piaojue::cli
