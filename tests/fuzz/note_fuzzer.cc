// Signed notes, checkpoints and cosignatures (ledger/note.h,
// ledger/cosignature.h): what a verifier reads from a log, a witness and a
// --checkpoint file, and what a witness reads in add-checkpoint. Hostile
// text is parsed every way those readers do; a body that parses must format
// back to the same text (a checkpoint has exactly one spelling).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ledger/cosignature.h"
#include "ledger/note.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace piaojue;

struct Keys {
  note::SignerKey log;
  note::VerifierKey log_verifier;
  cosignature::WitnessKey witness;
};

const Keys& TestKeys() {
  static const Keys keys = [] {
    std::array<uint8_t, crypto::kSeedSize> seed;
    seed.fill(3);
    crypto::KeyPair log = crypto::KeyPairFromSeed(seed);
    seed.fill(4);
    crypto::KeyPair witness = crypto::KeyPairFromSeed(seed);
    Keys k;
    k.log = {"example.gov.cn/piaojue", log};
    k.log_verifier = *note::ParseVerifierKey(
        note::FormatVerifierKey("example.gov.cn/piaojue", log.public_key));
    k.witness = *cosignature::ParseVerifierKey(
        cosignature::FormatVerifierKey("witness.example", witness.public_key));
    return k;
  }();
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::InitOnce();
  const Keys& keys = TestKeys();
  const std::string_view text = fuzz::AsText(data, size);

  auto parsed = note::ParseNote(text);
  (void)note::Open(text, keys.log_verifier);
  (void)cosignature::VerifyNote(text, {keys.witness});
  (void)cosignature::AppendLines(text, text);
  (void)cosignature::ParseLine(text);
  (void)note::ParseVerifierKey(text);
  (void)note::ParseSignerKey(text);
  (void)cosignature::ParseVerifierKey(text);
  (void)note::ValidateKeyName(text);

  // The checkpoint body alone, as a witness and the verifier read it.
  std::string_view body = parsed.ok() ? std::string_view(parsed->text) : text;
  auto checkpoint = note::ParseCheckpoint(body);
  if (checkpoint.ok()) {
    FUZZ_CHECK(note::FormatCheckpoint(*checkpoint) == body,
               "a checkpoint formats back to its own text");
    // What a log does with a body it signs, and a witness with one it
    // cosigns: both must work on any well-formed checkpoint.
    auto signed_note = note::Sign(body, keys.log);
    FUZZ_CHECK(signed_note.ok(), "a checkpoint can be signed: " +
                                     signed_note.status().ToString());
    auto opened = note::Open(*signed_note, keys.log_verifier);
    FUZZ_CHECK(opened.ok() && *opened == body,
               "a signed checkpoint opens to its body");
  }
  if (parsed.ok()) {
    for (const note::NoteSignature& s : parsed->signatures) {
      FUZZ_CHECK(!s.name.empty(), "a signature line names its key");
    }
  }
  if (auto line = cosignature::ParseLine(text); line.ok()) {
    auto again = cosignature::ParseLine(cosignature::FormatLine(*line));
    FUZZ_CHECK(again.ok() && again->name == line->name &&
                   again->timestamp == line->timestamp &&
                   again->signature == line->signature,
               "a cosignature line formats back to itself");
  }
  return 0;
}
