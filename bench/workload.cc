#include "bench/workload.h"

#include <capnp/message.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "api/cli/data_dir.h"
#include "api/demo/demo.h"
#include "ledger/crypto.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "projections/dates.h"

namespace piaojue::bench {

namespace {

constexpr char kOrigin[] = "bench.piaojue.local/log";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Realistic proposals, as residents send them through WeChat.
struct Proposal {
  const char* title;
  const char* description;
  const char* location;
  schema::Category category;
  int64_t fen;
};

const Proposal kProposals[] = {
    {"关于在城东社区新建老年助餐点的建议",
     "城东社区60岁以上老人约1200人，独居老人较多，就餐困难。建议利用社区服务中"
     "心闲置用房新建老年助餐点，提供午餐和晚餐，并为行动不便老人提供送餐服务。",
     "城关镇城东社区", schema::Category::ELDERLY_CARE, 80000000},
    {"关于改造老旧小区供水管网的建议",
     "北街片区多个小区建于上世纪九十年代，供水管道老化锈蚀，夏季用水高峰经常停"
     "水，水质发黄。建议对片区供水主管和入户管网进行整体改造，并加装二次供水设"
     "施。",
     "城关镇北街社区", schema::Category::OTHER, 260000000},
    {"关于增设学校周边道路安全设施的建议",
     "县第二小学门前道路车流量大，上下学时段学生过马路存在安全隐患。建议增设人"
     "行横道、减速带和交通信号灯，并在校门两侧安装护栏。",
     "城关镇南关社区", schema::Category::TRANSPORT, 45000000},
    {"关于新建村级卫生室的建议",
     "王家庄村距镇卫生院12公里，村民看病需要往返半天，老人和慢性病患者尤为不便"
     "。建议新建标准化村卫生室，配备基本诊疗设备，并安排乡村医生定期坐诊。",
     "柳林镇王家庄村", schema::Category::HEALTH, 60000000},
    {"关于实施农村道路亮化工程的建议",
     "石门乡多个行政村主干道没有路灯，夜间出行不便，也存在治安隐患。建议在主干"
     "道和村民集中居住区安装太阳能路灯约300盏。",
     "石门乡", schema::Category::TRANSPORT, 90000000},
    {"关于扩建公办幼儿园的建议",
     "随着城区人口增加，公办幼儿园学位紧张，每年报名人数超过招生计划近一倍。建"
     "议扩建县第一幼儿园，新增6个班，缓解入园难问题。",
     "城关镇城西社区", schema::Category::EDUCATION, 350000000},
};

std::string Digits(uint64_t n, int width) {
  std::string s = std::to_string(n);
  return std::string(std::max<int>(0, width - int(s.size())), '0') + s;
}

}  // namespace

std::string RootKeyPath(const std::string& dir) {
  return demo::KeysDir(dir) + "/root.key";
}

crypto::KeyPair BenchKey(const std::string& name) {
  const std::string material = "piaojue-bench/key/v1/" + name;
  return crypto::KeyPairFromSeed(crypto::Sha256(crypto::AsBytes(material)));
}

Status EnsureLedger(const std::string& root) {
  const cli::DataDir dir(root);
  std::error_code ec;
  if (std::filesystem::exists(dir.ledger_path(), ec)) return Status::Ok();
  for (const std::string& d : {dir.keys_path(), demo::KeysDir(root)}) {
    std::filesystem::create_directories(d, ec);
    if (ec) return IOError("cannot create " + d);
  }
  const note::SignerKey root_key{"root", BenchKey("root")};
  const note::SignerKey log_key{kOrigin, BenchKey("log")};
  RETURN_IF_ERROR(cli::WriteKeyFile(RootKeyPath(root), root_key));
  RETURN_IF_ERROR(cli::WriteKeyFile(dir.log_key_path(), log_key));
  capnp::MallocMessageBuilder m;
  auto g = m.initRoot<schema::Event>().initGenesis();
  g.setOrigin(kOrigin);
  const auto& pub = root_key.key_pair.public_key;
  g.setRootKey(capnp::Data::Reader(pub.data(), pub.size()));
  g.setFormatVersion(ledger::kFormatVersion);
  g.setDeploymentName("piaojue-bench 基准测试账本");
  g.setCheckpointKey(
      note::FormatVerifierKey(kOrigin, log_key.key_pair.public_key));
  ASSIGN_OR_RETURN(ledger::SignedEvent genesis,
                   ledger::SignEvent(root_key.key_pair, kOrigin, "", NowMs(),
                                     m.getRoot<schema::Event>().asReader()));
  ledger::LedgerOptions options;
  options.checkpoint_key = log_key;
  return ledger::Ledger::Create(dir.ledger_path(), genesis, options).status();
}

Result<Intake> OpenIntake(cli::Session& session, int counties) {
  ledger::Ledger& ledger = session.ledger();
  ASSIGN_OR_RETURN(note::SignerKey root,
                   cli::ReadKeyFile(RootKeyPath(session.dir().root())));
  Intake intake;
  intake.origin = ledger.origin();
  auto append = [&](const crypto::KeyPair& key, const std::string& j,
                    const std::function<void(schema::Event::Builder)>& fill)
      -> Result<uint64_t> {
    capnp::MallocMessageBuilder m;
    auto e = m.initRoot<schema::Event>();
    fill(e);
    ASSIGN_OR_RETURN(
        ledger::SignedEvent signed_event,
        ledger::SignEvent(key, intake.origin, j, NowMs(), e.asReader()));
    ASSIGN_OR_RETURN(ledger::AppendResult r, ledger.Append(signed_event));
    return r.index;
  };
  const projections::Date today = projections::DateFromMs(NowMs());
  // Codes of the form 65<size><nnn> are new in this ledger whatever ran
  // before (the size grows with every run).
  const std::string prefix = "65" + std::to_string(ledger.size());
  for (int c = 0; c < counties; ++c) {
    const std::string code = prefix + Digits(c, 3);
    const std::string name = "基准" + Digits(c, 3) + "县";
    RETURN_IF_ERROR(append(root.key_pair, "", [&](schema::Event::Builder e) {
                      auto j = e.initJurisdictionRegistered();
                      j.setCode(code);
                      j.setName(name);
                      j.setLevel(schema::Level::COUNTY);
                    }).status());
    const crypto::KeyPair office = BenchKey("governmentOffice@" + code);
    const crypto::KeyPair intake_key = BenchKey("publicIntake@" + code);
    for (auto [role, key] :
         {std::pair{schema::Role::GOVERNMENT_OFFICE, office},
          std::pair{schema::Role::PUBLIC_INTAKE, intake_key}}) {
      // Captured by name: clang 14 (the debug preset) cannot capture a
      // structured binding.
      RETURN_IF_ERROR(
          append(root.key_pair, "",
                 [&, role = role, key = key](schema::Event::Builder e) {
                   auto k = e.initKeyRegistered();
                   k.setKey(capnp::Data::Reader(key.public_key.data(), 32));
                   k.setRole(role);
                   k.setJurisdiction(code);
                   k.setHolder(name + "民生实事项目征集平台");
                 })
              .status());
    }
    ASSIGN_OR_RETURN(
        uint64_t cycle, append(office, code, [&](schema::Event::Builder e) {
          auto o = e.initCycleOpened();
          o.setYear(static_cast<uint16_t>(today.year + 1));
          o.setLevel(schema::Level::COUNTY);
          o.setTitle(name + std::to_string(today.year + 1) + "年民生实事项目");
          o.setBudgetFen(int64_t{100'000'000'000});
          o.setProjectCount(10);
          auto start = o.initCollectionStart();
          start.setYear(static_cast<uint16_t>(today.year));
          start.setMonth(1);
          start.setDay(1);
          auto end = o.initCollectionEnd();
          end.setYear(static_cast<uint16_t>(today.year));
          end.setMonth(12);
          end.setDay(31);
        }));
    intake.jurisdictions.push_back(code);
    intake.intake_keys.push_back(intake_key);
    intake.cycles.push_back(cycle);
  }
  return intake;
}

Result<std::vector<ledger::SignedEvent>> SignProposals(const Intake& intake,
                                                       size_t count) {
  std::vector<ledger::SignedEvent> events(count);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  const int64_t now = NowMs();
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < count;) {
      const size_t j = i % intake.jurisdictions.size();
      const Proposal& p = kProposals[i % std::size(kProposals)];
      capnp::MallocMessageBuilder m;
      auto s = m.initRoot<schema::Event>().initProposalSubmitted();
      s.setCycle(intake.cycles[j]);
      auto d = s.initDetails();
      d.setTitle(p.title);
      d.setDescription(p.description);
      d.setCategory(p.category);
      d.setLocation(p.location);
      d.setEstimatedInvestmentFen(p.fen);
      d.setFundingSource(schema::FundingSource::OWN_BUDGET);
      s.setProposerType(schema::ProposerType::RESIDENT);
      s.setChannel(schema::Channel::WECHAT);
      auto signed_event = ledger::SignEvent(
          intake.intake_keys[j], intake.origin, intake.jurisdictions[j], now,
          m.getRoot<schema::Event>().asReader());
      if (!signed_event.ok()) {
        failed = true;
        return;
      }
      events[i] = std::move(*signed_event);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency());
       ++t) {
    pool.emplace_back(work);
  }
  for (auto& th : pool) th.join();
  if (failed) return Internal("signing a proposal failed");
  return events;
}

}  // namespace piaojue::bench
