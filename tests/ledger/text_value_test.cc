#include "ledger/internal/text_value.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/text_validation.h"

// The fast text check (TextValueAllowed) against the reference that decodes
// code point by code point (CheckTextValueByCodePoint, the text rule as it
// was first written): the same answer on every string of up to three bytes,
// every Unicode scalar (alone and at every offset modulo 8 inside ASCII),
// and random mixes, with both TextLines.

namespace piaojue::ledger::internal {
namespace {

constexpr TextLines kBothLines[] = {TextLines::kSingle, TextLines::kMulti};

// The exhaustive sweeps take about a second optimized; unoptimized, under the
// sanitizers, they cover the same spaces by classes of bytes instead.
#ifdef NDEBUG
constexpr bool kExhaustive = true;
#else
constexpr bool kExhaustive = false;
#endif

// Byte values at every boundary the rule has (C0, LF, CR, printable, DEL,
// continuation ranges, the second bytes of U+2028..U+202E and
// U+2066..U+2069, leads), plus a few ordinary ones.
const std::vector<uint8_t>& ByteClasses() {
  static const std::vector<uint8_t> classes = {
      0x00, 0x01, 0x09, 0x0A, 0x0B, 0x0D, 0x1F, 0x20, 0x41, 0x7E, 0x7F, 0x80,
      0x81, 0x82, 0x8F, 0x90, 0x9F, 0xA0, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA,
      0xAE, 0xAF, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xDF, 0xE0, 0xE1, 0xE2, 0xE4,
      0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xF8, 0xFF};
  return classes;
}

std::string Hex(std::string_view text) {
  std::string out;
  char buf[4];
  for (unsigned char c : text) {
    std::snprintf(buf, sizeof(buf), "%02X ", c);
    out += buf;
  }
  return out.empty() ? "(empty)" : out;
}

const char* Name(TextLines lines) {
  return lines == TextLines::kMulti ? "multi-line" : "single line";
}

// Whether the two checks agree on `text`, which the caller keeps in a block
// of exactly its size, so that AddressSanitizer sees a read past its end.
bool Agree(std::string_view text, TextLines lines) {
  return TextValueAllowed(text, lines) ==
         CheckTextValueByCodePoint(text, lines).ok();
}

// A block that ends `n` bytes after the pointer returned: one per length,
// reused (the tests run on one thread).
char* ExactBlock(size_t n) {
  static std::vector<std::unique_ptr<char[]>> blocks;
  if (blocks.size() <= n) blocks.resize(n + 1);
  // One byte longer than asked, at the front: new char[0] is not readable.
  if (!blocks[n]) blocks[n].reset(new char[n + 1]);
  return blocks[n].get() + 1;
}

// Agree(), for a text in any buffer: copies it to a block of its size first.
::testing::AssertionResult AgreeOn(std::string_view text, TextLines lines) {
  char* begin = ExactBlock(text.size());
  std::memcpy(begin, text.data(), text.size());
  const std::string_view copy(begin, text.size());
  if (Agree(copy, lines)) return ::testing::AssertionSuccess();
  const Status reference = CheckTextValueByCodePoint(copy, lines);
  return ::testing::AssertionFailure()
         << Hex(text) << "(" << Name(lines) << "): fast check says "
         << TextValueAllowed(copy, lines) << ", reference says "
         << (reference.ok() ? "OK" : reference.message());
}

// Every string of `length` bytes whose bytes come from `choices[k]` at
// position k, in one block of exactly `length` bytes.
void SweepAll(const std::vector<std::vector<uint8_t>>& choices,
              int* disagreements) {
  const size_t length = choices.size();
  char* text = ExactBlock(length);
  std::vector<size_t> at(length, 0);
  for (;;) {
    for (size_t k = 0; k < length; ++k) {
      text[k] = static_cast<char>(choices[k][at[k]]);
    }
    for (TextLines lines : kBothLines) {
      if (!Agree(std::string_view(text, length), lines) &&
          ++*disagreements <= 10) {
        ADD_FAILURE()
            << AgreeOn(std::string_view(text, length), lines).message();
      }
    }
    size_t k = length;
    while (k > 0 && ++at[k - 1] == choices[k - 1].size()) at[--k] = 0;
    if (k == 0) return;
  }
}

std::vector<uint8_t> EveryByte() {
  std::vector<uint8_t> all(256);
  for (int b = 0; b < 256; ++b) all[b] = static_cast<uint8_t>(b);
  return all;
}

std::string Encode(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

TEST(TextValueTest, AgreesWithTheReferenceOnEveryStringOfUpToTwoBytes) {
  int disagreements = 0;
  SweepAll({}, &disagreements);
  SweepAll({EveryByte()}, &disagreements);
  SweepAll({EveryByte(), EveryByte()}, &disagreements);
  EXPECT_EQ(disagreements, 0);
}

TEST(TextValueTest, AgreesWithTheReferenceOnEveryStringOfThreeBytes) {
  int disagreements = 0;
  if (kExhaustive) {
    SweepAll({EveryByte(), EveryByte(), EveryByte()}, &disagreements);
  } else {
    // Every lead byte, then every pair of classes.
    SweepAll({EveryByte(), ByteClasses(), ByteClasses()}, &disagreements);
  }
  EXPECT_EQ(disagreements, 0);
}

TEST(TextValueTest, AgreesOnEveryThreeByteSequenceBesideAnother) {
  // Runs of three-byte sequences are checked two at a time: every sequence
  // with a lead E0..EF after, before and between ones of U+4E00 (E4 B8 80),
  // with eight bytes or more left.
  std::vector<uint8_t> leads;
  for (int b = 0xE0; b <= 0xEF; ++b) leads.push_back(static_cast<uint8_t>(b));
  const std::vector<uint8_t> rest = kExhaustive ? EveryByte() : ByteClasses();
  const std::vector<std::vector<uint8_t>> yi = {{0xE4}, {0xB8}, {0x80}};
  const std::vector<std::vector<uint8_t>> any = {leads, rest, rest};
  const std::vector<std::vector<uint8_t>> ab = {{'a'}, {'b'}};
  const auto join =
      [](std::initializer_list<std::vector<std::vector<uint8_t>>> parts) {
        std::vector<std::vector<uint8_t>> out;
        for (const auto& part : parts)
          out.insert(out.end(), part.begin(), part.end());
        return out;
      };
  int disagreements = 0;
  SweepAll(join({yi, any, ab}), &disagreements);
  SweepAll(join({any, yi, ab}), &disagreements);
  SweepAll(join({yi, yi, any, yi, ab}), &disagreements);
  EXPECT_EQ(disagreements, 0);
}

TEST(TextValueTest, AgreesWithTheReferenceOnFourByteSequencesByClass) {
  // Unoptimized, only the leads of four-byte sequences and their neighbours.
  const std::vector<uint8_t> leads =
      kExhaustive ? ByteClasses()
                  : std::vector<uint8_t>{0xEF, 0xF0, 0xF1, 0xF4, 0xF5};
  int disagreements = 0;
  SweepAll({leads, ByteClasses(), ByteClasses(), ByteClasses()},
           &disagreements);
  EXPECT_EQ(disagreements, 0);
}

TEST(TextValueTest, AcceptsEveryScalarButTheForbiddenAtEveryOffset) {
  // Alone, and after 0..8 ASCII bytes with ASCII after it up to 24 bytes, so
  // it sits at every offset modulo 8 of the eight-byte ASCII loop.
  // Unoptimized, only some scalars go inside ASCII: all below U+0800, those
  // from U+2000 to U+20FF, and every 61st.
  size_t accepted[2] = {0, 0};
  for (uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const std::string encoded = Encode(cp);
    const int offsets =
        kExhaustive || cp < 0x800 || (cp >> 8) == 0x20 || cp % 61 == 0 ? 9 : 0;
    for (int l = 0; l < 2; ++l) {
      const TextLines lines = kBothLines[l];
      ASSERT_TRUE(AgreeOn(encoded, lines));
      accepted[l] += TextValueAllowed(encoded, lines);
      for (int offset = 0; offset < offsets; ++offset) {
        std::string text(offset, 'a');
        text += encoded;
        text.resize(24, 'z');
        ASSERT_TRUE(AgreeOn(text, lines)) << "offset " << offset;
      }
    }
  }
  // Scalars: U+0000..U+10FFFF less the surrogates. Forbidden: 32 C0
  // controls (one fewer in a multi-line field: the line feed), 33 from
  // U+007F to U+009F, U+2028..U+202E (7) and U+2066..U+2069 (4).
  const size_t scalars = 0x110000 - 0x800;
  EXPECT_EQ(accepted[0], scalars - (32 + 33 + 7 + 4));
  EXPECT_EQ(accepted[1], scalars - (31 + 33 + 7 + 4));
}

TEST(TextValueTest, RefusesSurrogatesOverlongFormsAndValuesBeyondUnicode) {
  std::vector<std::string> refused;
  for (uint32_t cp = 0xD800; cp <= 0xDFFF; ++cp) refused.push_back(Encode(cp));
  for (uint32_t cp = 0; cp < 0x80; ++cp) {
    refused.push_back({static_cast<char>(0xC0 | (cp >> 6)),
                       static_cast<char>(0x80 | (cp & 0x3F))});
  }
  for (uint32_t cp = 0; cp < 0x800; cp += 7) {
    refused.push_back({static_cast<char>(0xE0),
                       static_cast<char>(0x80 | (cp >> 6)),
                       static_cast<char>(0x80 | (cp & 0x3F))});
  }
  for (uint32_t cp = 0; cp < 0x10000; cp += 97) {
    refused.push_back({static_cast<char>(0xF0),
                       static_cast<char>(0x80 | (cp >> 12)),
                       static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                       static_cast<char>(0x80 | (cp & 0x3F))});
  }
  for (uint32_t cp = 0x110000; cp < 0x200000; cp += 1013) {
    refused.push_back(Encode(cp));
  }
  for (const std::string& text : refused) {
    for (TextLines lines : kBothLines) {
      ASSERT_TRUE(AgreeOn(text, lines));
      EXPECT_FALSE(TextValueAllowed(text, lines)) << Hex(text);
    }
  }
}

TEST(TextValueTest, AgreesOnEveryByteAndEveryPairAtEveryOffsetModuloEight) {
  // One byte at every offset of a 24-byte ASCII text, and every pair of
  // bytes at offsets 0..8 of a 17-byte one (two offsets when unoptimized).
  for (int b = 0; b < 256; ++b) {
    for (size_t offset = 0; offset < 24; ++offset) {
      for (const char* filler : {"x", "\n"}) {
        std::string text(24, filler[0]);
        text[offset] = static_cast<char>(b);
        for (TextLines lines : kBothLines) {
          ASSERT_TRUE(AgreeOn(text, lines)) << "offset " << offset;
        }
      }
    }
  }
  const std::vector<size_t> offsets =
      kExhaustive ? std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}
                  : std::vector<size_t>{3, 7};
  for (size_t offset : offsets) {
    const std::vector<uint8_t> x = {'x'};
    std::vector<std::vector<uint8_t>> choices(17, x);
    choices[offset] = EveryByte();
    choices[offset + 1] = EveryByte();
    int disagreements = 0;
    SweepAll(choices, &disagreements);
    EXPECT_EQ(disagreements, 0) << "offset " << offset;
  }
}

TEST(TextValueTest, AgreesOnRandomMixesOfPiecesAndRandomBytes) {
  // Pieces of valid and invalid text: mixes of them reach every branch with
  // every neighbour, at every offset.
  const std::vector<std::string> pieces = {"a",
                                           "Z9 ",
                                           "~",
                                           "\n",
                                           "\r",
                                           "\t",
                                           std::string(1, '\0'),
                                           "\x7F",
                                           "\x1F",
                                           "\xC2\x80",
                                           "\xC2\x9F",
                                           "\xC2\xA0",
                                           "\xDF\xBF",
                                           "\xC3\xA9",
                                           "\xE4\xB8\x80",
                                           "\xE5\x8E\xBF",
                                           "\xE9\xBE\xA5",
                                           "\xE2\x80\x94",
                                           "\xE2\x80\xA7",
                                           "\xE2\x80\xA8",
                                           "\xE2\x80\xAE",
                                           "\xE2\x80\xAF",
                                           "\xE2\x81\xA5",
                                           "\xE2\x81\xA6",
                                           "\xE2\x81\xA9",
                                           "\xE2\x81\xAA",
                                           "\xE0\xA0\x80",
                                           "\xE0\x9F\xBF",
                                           "\xED\x9F\xBF",
                                           "\xED\xA0\x80",
                                           "\xEF\xBC\x88",
                                           "\xEF\xBF\xBF",
                                           "\xF0\x90\x80\x80",
                                           "\xF0\x8F\xBF\xBF",
                                           "\xF4\x8F\xBF\xBF",
                                           "\xF4\x90\x80\x80",
                                           "\xF0\x9F\x98\x80",
                                           "\x80",
                                           "\xBF",
                                           "\xC0\x80",
                                           "\xC1",
                                           "\xE4\xB8",
                                           "\xF0\x9F\x98",
                                           "\xF5",
                                           "\xFF",
                                           "\xE4"};
  std::mt19937_64 random(20261202);
  const int rounds = kExhaustive ? 300000 : 30000;
  for (int round = 0; round < rounds; ++round) {
    std::string mixed;
    const size_t target = random() % 65;
    // Mostly valid pieces, so that a refusal can come late in the text.
    while (mixed.size() < target) {
      const size_t k =
          random() % 8 == 0 ? random() % pieces.size() : random() % 19;
      mixed += pieces[k];
    }
    std::string bytes(random() % 65, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    for (TextLines lines : kBothLines) {
      ASSERT_TRUE(AgreeOn(mixed, lines));
      ASSERT_TRUE(AgreeOn(bytes, lines));
    }
  }
}

TEST(TextValueTest, CheckTextValueWordsARefusalAsTheReferenceDoes) {
  using namespace std::string_literals;
  const std::vector<std::string> texts = {"标题\r\n正文",
                                          "第一行\n第二行",
                                          "ok\xC2\x85",
                                          "某县\xE2\x80\xAE"
                                          "abc",
                                          "\xE5\x8E",
                                          "abcdefgh\x7F",
                                          "abcdefghijklmnop\0"s,
                                          "\xED\xA0\x80"};
  for (const std::string& text : texts) {
    for (TextLines lines : kBothLines) {
      const Status fast = CheckTextValue(text, lines);
      const Status reference = CheckTextValueByCodePoint(text, lines);
      EXPECT_EQ(fast.code(), reference.code()) << Hex(text);
      EXPECT_EQ(fast.message(), reference.message()) << Hex(text);
    }
  }
  EXPECT_EQ(CheckTextValue("标题\r\n正文", TextLines::kMulti).message(),
            "contains a carriage return (U+000D); line breaks are a single "
            "U+000A at byte 6");
  EXPECT_EQ(CheckTextValue("某县\xE2\x80\xAE"
                           "abc",
                           TextLines::kSingle)
                .message(),
            "contains the bidirectional control U+202E at byte 6");
}

}  // namespace
}  // namespace piaojue::ledger::internal
