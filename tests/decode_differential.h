// Decoding with and without the one walk over a message's words
// (ledger/internal/canonical_walk.h), compared: for canonical_walk_test and
// the entry and authored-event fuzz targets. Not product code.
#pragma once

#include <capnp/any.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <kj/exception.h>

#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "ledger/entry.h"
#include "ledger/internal/canonical_walk.h"
#include "ledger/internal/list_encoding.h"
#include "ledger/internal/quick_check.h"

namespace piaojue::testing {

// What the exact path (Decoded<T>::Fill without the walk) finds:
// IsCanonicalMessage (isCanonical, and the bytes their canonical
// re-encoding) under the decoder's options, then QuickCheck, then
// CheckEncoding.
struct ExactDecoding {
  bool canonical = false;  // IsCanonicalMessage held (and did not throw)
  bool quick = false;      // QuickCheck said "certainly fine"
  bool accepted = false;   // Fill would return the root
};

template <typename T>
ExactDecoding ExactAnswer(std::string_view bytes, bool texts) {
  ExactDecoding e;
  if (bytes.empty() || bytes.size() % 8 != 0) return e;
  std::vector<capnp::word> words(bytes.size() / 8);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  kj::ArrayPtr<const capnp::word> segments[1] = {
      kj::arrayPtr(words.data(), words.size())};
  capnp::ReaderOptions options;
  options.traversalLimitInWords = words.size() + 8;
  options.nestingLimit = 32;
  try {
    e.canonical = ledger::internal::IsCanonicalMessage(
        kj::arrayPtr(segments, 1), options);
  } catch (const kj::Exception&) {
    return e;
  }
  if (!e.canonical) return e;
  options.traversalLimitInWords *= 4;
  capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1), options);
  try {
    auto root = reader.getRoot<T>();
    e.quick = ledger::internal::QuickCheck(
        capnp::toAny(root), ledger::internal::PlanFor(capnp::Schema::from<T>()),
        {.lists = true, .texts = texts, .unoccupied = true});
    e.accepted =
        e.quick || ledger::internal::CheckEncoding(capnp::toDynamic(root)).ok();
  } catch (const kj::Exception&) {
    e.accepted = false;
  }
  return e;
}

// "" when the walk's verdict on `bytes` as a T agrees with the exact path
// ("canonical" only where isCanonical and QuickCheck hold, "refused" only
// where the exact path refuses), with texts checked and not; else what
// disagrees.
template <typename T>
std::string WalkDisagreement(std::string_view bytes) {
  using ledger::internal::WalkVerdict;
  for (bool texts : {false, true}) {
    const WalkVerdict v = ledger::internal::CanonicalWalk(
        bytes, ledger::internal::PlanFor(capnp::Schema::from<T>()), texts);
    const ExactDecoding e = ExactAnswer<T>(bytes, texts);
    const std::string mode = texts ? " (texts checked)" : "";
    if (v == WalkVerdict::kCanonical && !(e.canonical && e.quick)) {
      return "the walk says canonical" + mode + "; isCanonical " +
             std::to_string(e.canonical) + ", QuickCheck " +
             std::to_string(e.quick);
    }
    if (v == WalkVerdict::kRefused && e.accepted) {
      return "the walk says refused" + mode + ", the exact path accepts";
    }
  }
  return "";
}

// "" when decoding `bytes` gives the same answer (status and message, and
// for an accepted entry or event whether its texts were checked) with the
// walk and without it; else what differs. Entry: Decoded<Entry>::Parse and
// EntryView::Parse; AuthoredEvent: DecodedEvent::Parse and CheckSignedEvent
// (whose signature, zeros, never verifies: its decoding still answers).
template <typename T>
std::string ParseDisagreement(std::string_view bytes) {
  auto same = [](const Status& fast, const Status& exact,
                 const char* what) -> std::string {
    if (fast.ToString() == exact.ToString()) return "";
    return std::string(what) + ": with the walk " + fast.ToString() +
           ", without " + exact.ToString();
  };
  auto fast = ledger::Decoded<T>::Parse(bytes, ledger::kMaxEntrySize);
  std::optional<Result<ledger::Decoded<T>>> exact;
  {
    ledger::internal::ExactDecodingOnly only;
    exact.emplace(ledger::Decoded<T>::Parse(bytes, ledger::kMaxEntrySize));
  }
  if (std::string d = same(fast.status(), exact->status(), "Parse");
      !d.empty()) {
    return d;
  }
  if constexpr (std::is_same_v<T, schema::Entry>) {
    auto view = ledger::EntryView::Parse(bytes);
    std::optional<Result<ledger::EntryView>> exact_view;
    {
      ledger::internal::ExactDecodingOnly only;
      exact_view.emplace(ledger::EntryView::Parse(bytes));
    }
    if (std::string d =
            same(view.status(), exact_view->status(), "EntryView::Parse");
        !d.empty()) {
      return d;
    }
    if (view.ok() && view->authored_event().texts_checked() !=
                         (*exact_view)->authored_event().texts_checked()) {
      return "EntryView::Parse: texts_checked differs";
    }
  } else {
    const ledger::SignedEvent signed_event{std::string(bytes), {}};
    auto checked = ledger::CheckSignedEvent(signed_event);
    std::optional<Result<ledger::DecodedEvent>> exact_checked;
    {
      ledger::internal::ExactDecodingOnly only;
      exact_checked.emplace(ledger::CheckSignedEvent(signed_event));
    }
    if (std::string d =
            same(checked.status(), exact_checked->status(), "CheckSignedEvent");
        !d.empty()) {
      return d;
    }
  }
  return "";
}

}  // namespace piaojue::testing
