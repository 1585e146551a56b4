// Whether this test program is built with AddressSanitizer (the debug
// preset, docs/RELIABILITY.md "Fuzzing and sanitizers"): a few tests do less
// of the same work there, where it costs many times as much, and the
// release run does all of it.
#pragma once

namespace piaojue::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kUnderAddressSanitizer = true;
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif

}  // namespace piaojue::testing
