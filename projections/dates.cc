#include "projections/dates.h"

#include <algorithm>
#include <cstdio>

namespace piaojue::projections {

namespace {

bool IsLeap(int32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int32_t DaysInMonth(int32_t y, int32_t m) {
  static constexpr int32_t kDays[] = {31, 28, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Floor division: instants before 1970 still map to the right day.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

bool IsValidDate(const Date& d) {
  return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 &&
         d.day >= 1 && d.day <= DaysInMonth(d.year, d.month);
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(const Date& d) {
  int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t mp = (d.month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date CivilFromDays(int64_t days) {
  days += 719468;
  const int64_t era = FloorDiv(days, 146097);
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return Date{static_cast<int32_t>(y), static_cast<int32_t>(m),
              static_cast<int32_t>(d)};
}

Date DateFromMs(int64_t ms) {
  return CivilFromDays(FloorDiv(ms + kCstOffsetMs, kMsPerDay));
}

int64_t MsAtStartOfDay(const Date& d) {
  return DaysFromCivil(d) * kMsPerDay - kCstOffsetMs;
}

std::string FormatDate(const Date& d) {
  if (d.unset()) return "";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::optional<Date> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  auto number = [&](size_t pos, size_t len) -> int32_t {
    int32_t v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  Date d{number(0, 4), number(5, 2), number(8, 2)};
  if (!IsValidDate(d)) return std::nullopt;
  return d;
}

std::optional<int64_t> ParseInstantMs(std::string_view text) {
  if (text.size() == 10) {
    auto d = ParseDate(text);
    if (!d) return std::nullopt;
    return MsAtStartOfDay(*d) + kMsPerDay - 1;
  }
  if (text.size() < 20) return std::nullopt;
  auto d = ParseDate(text.substr(0, 10));
  if (!d || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) {
    return std::nullopt;
  }
  auto digits = [&](size_t pos, size_t len) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (i >= text.size() || text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text[13] != ':' || text[16] != ':') return std::nullopt;
  const int hh = digits(11, 2), mm = digits(14, 2), ss = digits(17, 2);
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int scale = 100, n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ms += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0) return std::nullopt;
  }
  int64_t offset_ms = 0;
  std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone == "z") {
    offset_ms = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
             zone[3] == ':') {
    const int oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
    offset_ms = (oh * 60LL + om) * 60 * 1000;
    if (zone[0] == '-') offset_ms = -offset_ms;
  } else {
    return std::nullopt;
  }
  const int64_t utc_midnight = DaysFromCivil(*d) * kMsPerDay;
  return utc_midnight + ((hh * 60LL + mm) * 60 + std::min(ss, 59)) * 1000 + ms -
         offset_ms;
}

}  // namespace piaojue::projections
