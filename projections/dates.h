// Calendar dates in China Standard Time (UTC+8), the time zone of every date
// in the ledger. The "current date" of an entry is its recordedAtMs as a CST
// calendar day. See docs/RULES.md, "Dates".
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace piaojue::projections {

// CST is UTC+8 all year (no daylight saving since 1991).
inline constexpr int64_t kCstOffsetMs = 8LL * 60 * 60 * 1000;
inline constexpr int64_t kMsPerDay = 24LL * 60 * 60 * 1000;

// A proleptic Gregorian calendar day. All zero means "not set" (the schema's
// default Date).
struct Date {
  int32_t year = 0;
  int32_t month = 0;
  int32_t day = 0;

  bool unset() const { return year == 0 && month == 0 && day == 0; }
  friend auto operator<=>(const Date&, const Date&) = default;
};

// True for a real calendar day with year 1..9999.
bool IsValidDate(const Date& d);

// Days since 1970-01-01 (negative before). Precondition: IsValidDate(d).
int64_t DaysFromCivil(const Date& d);
Date CivilFromDays(int64_t days);

// The CST calendar day of an instant (ms since the Unix epoch).
Date DateFromMs(int64_t ms);
// The instant of CST midnight at the start of `d`.
int64_t MsAtStartOfDay(const Date& d);

// "2025-06-15"; "" for an unset date.
std::string FormatDate(const Date& d);
// Parses "YYYY-MM-DD"; nullopt unless it is a valid date in that form.
std::optional<Date> ParseDate(std::string_view text);

// Parses an RFC 3339 instant ("2025-07-01T09:30:00+08:00", "…Z", optional
// fractional seconds, which are truncated to milliseconds) into ms since the
// Unix epoch. A bare date "YYYY-MM-DD" means the end of that CST day (the
// last millisecond), so "as of 2025-07-01" includes everything recorded that
// day. nullopt for anything else.
std::optional<int64_t> ParseInstantMs(std::string_view text);

}  // namespace piaojue::projections
