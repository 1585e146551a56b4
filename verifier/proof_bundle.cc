#include "verifier/proof_bundle.h"

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ledger/authority.h"
#include "ledger/entry.h"
#include "ledger/event_json.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "verifier/explain.h"

namespace piaojue::verifier {

namespace {

using nlohmann::json;

std::string B64(crypto::Bytes b) { return crypto::Base64Encode(b); }

}  // namespace

Result<std::string> BuildProofBundle(uint64_t record, const ProofSource& src) {
  json entries = json::array();
  bool found = false;
  RETURN_IF_ERROR(src.for_each_entry([&](uint64_t index,
                                         std::string_view bytes) -> Status {
    ASSIGN_OR_RETURN(ledger::EntryView view, ledger::EntryView::Parse(bytes));
    bool registry = ledger::IsRegistryEvent(view.event().which());
    bool trail = index == record || EventReferences(view.event(), record);
    if (index == record) found = true;
    if (!registry && !trail) return Status::Ok();
    ASSIGN_OR_RETURN(std::vector<crypto::Hash> proof, src.inclusion(index));
    json p = json::array();
    for (const auto& h : proof) p.push_back(B64(crypto::AsBytes(h)));
    entries.push_back({{"index", index},
                       {"entry", B64(crypto::AsBytes(bytes))},
                       {"proof", p}});
    return Status::Ok();
  }));
  if (!found) {
    return NotFound("no record " + std::to_string(record) + " in the first " +
                    std::to_string(src.size) + " entries");
  }
  json bundle = {{"format", kProofFormat},
                 {"record", record},
                 {"checkpoint", src.checkpoint},
                 {"entries", entries}};
  return bundle.dump(1) + "\n";
}

bool LooksLikeProofBundle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  return c == '{';
}

VerifyReport VerifyProofBundle(const std::string& path,
                               const std::string& vkey) {
  VerifyReport report;
  report.input = path;
  report.proof_bundle = true;
  auto fail = [&](uint64_t index, std::string check, std::string message) {
    report.failure =
        Failure{index, std::move(check), "", "", std::move(message)};
    report.exit_code = 1;
    return report;
  };
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  json bundle;
  try {
    bundle = json::parse(ss.str());
    if (bundle.value("format", "") != kProofFormat) {
      report.read_error = "not a piaojue proof bundle (format field)";
      return report;
    }
  } catch (const json::exception& e) {
    report.read_error = std::string("proof bundle is not JSON: ") + e.what();
    return report;
  }
  try {
    const uint64_t record = bundle.at("record").get<uint64_t>();
    const std::string checkpoint = bundle.at("checkpoint").get<std::string>();
    // Decode every entry first; genesis names the unpinned key.
    std::vector<std::pair<ledger::EntryView, std::vector<crypto::Hash>>> items;
    for (const auto& e : bundle.at("entries")) {
      uint64_t index = e.at("index").get<uint64_t>();
      auto bytes = crypto::Base64Decode(e.at("entry").get<std::string>());
      if (!bytes.ok()) return fail(index, "decode", "entry is not base64");
      auto view = ledger::EntryView::Parse(*bytes);
      if (!view.ok()) return fail(index, "decode", view.status().message());
      if (view->index() != index) {
        return fail(index, "index",
                    "entry's own index differs from the bundle's");
      }
      std::vector<crypto::Hash> proof;
      for (const auto& h : e.at("proof")) {
        auto raw = crypto::Base64Decode(h.get<std::string>());
        if (!raw.ok() || raw->size() != 32) {
          return fail(index, "decode", "proof hash is not base64 of 32 bytes");
        }
        crypto::Hash hash;
        std::memcpy(hash.data(), raw->data(), 32);
        proof.push_back(hash);
      }
      items.emplace_back(std::move(view).value(), std::move(proof));
    }
    if (items.empty() || items[0].first.index() != 0 ||
        !items[0].first.event().isGenesis()) {
      return fail(0, "decode",
                  "a proof bundle must start with the genesis entry");
    }
    std::optional<note::VerifierKey> key;
    if (!vkey.empty()) {
      auto k = note::ParseVerifierKey(vkey);
      if (!k.ok()) {
        report.read_error = "--vkey: " + k.status().message();
        return report;
      }
      key = *k;
      report.pinned = true;
    } else {
      auto k = note::ParseVerifierKey(
          items[0].first.event().getGenesis().getCheckpointKey().cStr());
      if (k.ok()) key = *k;
    }
    if (!key) {
      report.read_error = "no checkpoint key: pass --vkey";
      return report;
    }
    report.checkpoint_key = note::FormatVerifierKey(key->name, key->key);
    if (report.pinned) {
      const std::string named =
          items[0].first.event().getGenesis().getCheckpointKey().cStr();
      auto genesis_key = note::ParseVerifierKey(named);
      if (!named.empty() &&
          (!genesis_key.ok() || genesis_key->key != key->key ||
           genesis_key->name != key->name)) {
        return fail(0, "checkpoint",
                    "genesis names another checkpoint key than the pinned "
                    "one: " +
                        named);
      }
    }
    auto text = note::Open(checkpoint, *key);
    if (!text.ok()) return fail(0, "checkpoint", text.status().message());
    auto cp = note::ParseCheckpoint(*text);
    if (!cp.ok()) return fail(0, "checkpoint", cp.status().message());
    report.origin = cp->origin;
    report.entries = cp->size;
    report.proved_entries = items.size();
    report.root = crypto::ToHex(crypto::AsBytes(cp->root));
    report.checkpoints.push_back(CheckpointResult{
        "proof bundle", cp->size, report.root, true, "signature verified"});
    if (std::string(items[0].first.event().getGenesis().getOrigin().cStr()) !=
        cp->origin) {
      return fail(0, "checkpoint", "checkpoint origin differs from genesis");
    }
    ledger::Authority authority;
    json trail = json::array();
    uint64_t last = 0;
    bool record_seen = false;
    for (size_t n = 0; n < items.size(); ++n) {
      const auto& [view, proof] = items[n];
      const uint64_t index = view.index();
      if (n > 0 && index <= last) {
        return fail(index, "index", "entries are not in increasing order");
      }
      last = index;
      if (index >= cp->size) {
        return fail(index, "checkpoint", "entry is beyond the checkpoint");
      }
      Status inclusion = merkle::VerifyInclusion(view.LeafHash(), index,
                                                 cp->size, proof, cp->root);
      if (!inclusion.ok()) {
        return fail(index, "inclusion",
                    "inclusion proof does not verify: " + inclusion.message());
      }
      Status sig = view.VerifySignature();
      if (!sig.ok()) return fail(index, "signature", sig.message());
      // Corrections need their target's kind; the target is in the bundle
      // when it concerns the record.
      Status auth = authority.Check(
          index, view.authored(),
          [&](uint64_t target) -> Result<ledger::CorrectionTarget> {
            // Only an earlier entry can be corrected (as in the log).
            for (const auto& [v, p] : items) {
              if (v.index() != target || target >= index) continue;
              ledger::CorrectionTarget t;
              t.kind = v.event().which();
              t.jurisdiction = v.authored().getJurisdiction().cStr();
              t.roles = ledger::RolesAllowedFor(v.event());
              return t;
            }
            return NotFound("correction target " + std::to_string(target) +
                            " is not in the bundle");
          });
      if (!auth.ok()) return fail(index, "authorization", auth.message());
      authority.Apply(index, view.authored());
      const bool registry = ledger::IsRegistryEvent(view.event().which());
      const bool concerns =
          index == record || EventReferences(view.event(), record);
      if (!registry && !concerns) {
        return fail(index, "trail",
                    "entry does not concern record " + std::to_string(record));
      }
      if (index == record) record_seen = true;
      if (concerns) {
        json e = json::parse(ledger::EntryToJson(view));
        e["relation"] = index == record ? "created" : "references";
        if (view.event().isCorrection() &&
            view.event().getCorrection().getTarget() == record) {
          e["relation"] = "corrects";
        }
        json p = json::array();
        for (const auto& h : proof) {
          p.push_back(crypto::ToHex(crypto::AsBytes(h)));
        }
        e["inclusionProof"] = p;
        e["inclusionVerified"] = true;
        trail.push_back(e);
      }
    }
    if (!record_seen) {
      return fail(record, "trail",
                  "the record's own entry is not in the bundle");
    }
    json explain = {
        {"record", record},
        {"provedAgainst", "checkpoint of size " + std::to_string(cp->size)},
        {"treeSize", cp->size},
        {"root", report.root},
        {"entries", trail}};
    report.explain_json = explain.dump();
    report.exit_code = 0;
  } catch (const json::exception& e) {
    report.read_error = std::string("malformed proof bundle: ") + e.what();
    report.exit_code = 2;
  }
  return report;
}

}  // namespace piaojue::verifier
