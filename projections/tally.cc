// See docs/RULES.md, "The recount", for the algorithm implemented here.
#include "projections/tally.h"

#include <algorithm>

namespace piaojue::projections {

namespace {

// "More than half of base" is 2x > base; with exactly_half, 2x >= base.
// Integer arithmetic only, so no rounding question arises.
bool MoreThanHalf(uint64_t x, uint64_t base, bool exactly_half_passes) {
  return exactly_half_passes ? 2 * x >= base : 2 * x > base;
}

uint64_t Threshold(uint64_t base, bool exactly_half_passes) {
  return exactly_half_passes ? (base + 1) / 2 : base / 2 + 1;
}

}  // namespace

BallotCount EmptyCount(std::span<const uint64_t> items) {
  BallotCount c;
  c.items.reserve(items.size());
  for (uint64_t item : items) c.items.push_back(ItemCount{.item = item});
  return c;
}

bool BallotIsValid(const TallyRules& rules, std::string_view ballot) {
  const uint8_t highest = rules.purpose == VotePurpose::kSatisfaction
                              ? kMarkSatisfactionAbstain
                              : kMarkAbstain;
  uint32_t approvals = 0;
  for (char ch : ballot) {
    const uint8_t mark = static_cast<uint8_t>(ch);
    if (mark < 1 || mark > highest) return false;
    if (mark == kMarkApprove) ++approvals;
  }
  if (rules.purpose == VotePurpose::kProjectSelection) {
    // DOMAIN.md: more approvals than the seats a round fills is invalid in
    // every round, whatever limit was stated.
    const uint32_t limit = rules.max_approvals == 0
                               ? rules.seats
                               : std::min(rules.max_approvals, rules.seats);
    if (approvals > limit) return false;
  }
  return true;
}

void CountBallots(const TallyRules& rules, const RecordedBallots& ballots,
                  BallotCount* count) {
  const size_t width = count->items.size();
  count->unreadable += ballots.unreadable;
  count->invalid += ballots.unreadable;
  if (width == 0) return;
  for (size_t at = 0; at + width <= ballots.marks.size(); at += width) {
    std::string_view ballot = ballots.marks.substr(at, width);
    ++count->read;
    if (!BallotIsValid(rules, ballot)) {
      ++count->invalid;
      continue;
    }
    ++count->valid;
    for (size_t i = 0; i < width; ++i) {
      ItemCount& c = count->items[i];
      switch (static_cast<uint8_t>(ballot[i])) {
        case 1:
          ++c.approve;
          break;
        case 2:
          ++c.oppose;
          break;
        case 3:
          ++c.abstain;
          break;
        default:
          ++c.satisfaction_abstain;
          break;  // 4, satisfaction only
      }
    }
  }
}

void AddCount(const BallotCount& part, BallotCount* total) {
  total->read += part.read;
  total->unreadable += part.unreadable;
  total->valid += part.valid;
  total->invalid += part.invalid;
  for (size_t i = 0; i < total->items.size() && i < part.items.size(); ++i) {
    total->items[i].approve += part.items[i].approve;
    total->items[i].oppose += part.items[i].oppose;
    total->items[i].abstain += part.items[i].abstain;
    total->items[i].satisfaction_abstain += part.items[i].satisfaction_abstain;
  }
}

uint64_t PassBaseValue(const TallyRules& rules, const BallotCount& total) {
  switch (rules.pass_base) {
    case PassBase::kPresent:
      return rules.present;
    case PassBase::kValidBallots:
      return total.valid;
    case PassBase::kEntitled:
      break;
  }
  return rules.entitled;
}

Outcome Decide(const TallyRules& rules, const BallotCount& total) {
  Outcome out;
  out.base = PassBaseValue(rules, total);
  if (rules.purpose == VotePurpose::kSatisfaction) {
    const bool half = rules.exactly_half_passes;
    out.pass_threshold = Threshold(out.base, half);
    for (const ItemCount& c : total.items) {
      Grade g = Grade::kUnsatisfied;
      if (MoreThanHalf(c.approve, out.base, half)) {
        g = Grade::kSatisfied;
      } else if (MoreThanHalf(uint64_t{c.approve} + c.oppose, out.base, half)) {
        g = Grade::kBasicallySatisfied;
      }
      out.grades.emplace_back(c.item, g);
    }
    return out;
  }

  out.pass_threshold = Threshold(out.base, false);
  // Passing items with their ballot position, ranked by approvals; the
  // stable sort keeps ballot order among equal counts.
  std::vector<size_t> passing;
  for (size_t i = 0; i < total.items.size(); ++i) {
    if (MoreThanHalf(total.items[i].approve, out.base, false)) {
      passing.push_back(i);
    }
  }
  std::stable_sort(passing.begin(), passing.end(), [&](size_t a, size_t b) {
    return total.items[a].approve > total.items[b].approve;
  });
  for (size_t i : passing) out.ranking.push_back(total.items[i].item);

  const size_t seats = rules.seats;
  if (passing.size() <= seats) {
    out.elected = out.ranking;
    out.vacant_seats = static_cast<uint32_t>(seats - passing.size());
    return out;
  }
  // More passing items than seats: the last seat goes to rank `seats`;
  // if the first one left out has the same approvals, the seat is tied.
  if (seats == 0) return out;  // nothing to fill (the rules refuse it)
  const uint32_t cutoff = total.items[passing[seats - 1]].approve;
  const uint32_t first_out = total.items[passing[seats]].approve;
  if (cutoff > first_out) {
    out.elected.assign(out.ranking.begin(), out.ranking.begin() + seats);
    return out;
  }
  for (size_t i : passing) {
    if (total.items[i].approve > cutoff)
      out.elected.push_back(total.items[i].item);
  }
  for (size_t i = 0; i < total.items.size(); ++i) {
    if (total.items[i].approve == cutoff &&
        MoreThanHalf(total.items[i].approve, out.base, false)) {
      out.tied_at_cutoff.push_back(total.items[i].item);
    }
  }
  out.seats_left_for_tie = static_cast<uint32_t>(seats - out.elected.size());
  return out;
}

Recount RecountRound(const TallyRules& rules, std::span<const uint64_t> items,
                     std::span<const RecordedBallots> parts) {
  Recount r;
  r.count = EmptyCount(items);
  for (const RecordedBallots& part : parts) CountBallots(rules, part, &r.count);
  r.outcome = Decide(rules, r.count);
  return r;
}

const char* GradeName(Grade grade) {
  switch (grade) {
    case Grade::kSatisfied:
      return "satisfied";
    case Grade::kBasicallySatisfied:
      return "basicallySatisfied";
    case Grade::kUnsatisfied:
      return "unsatisfied";
    case Grade::kNone:
      break;
  }
  return "none";
}

}  // namespace piaojue::projections
