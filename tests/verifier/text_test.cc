// The verifier's printing helpers (verifier/text.h).
#include "verifier/text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace piaojue::verifier {
namespace {

using nlohmann::json;

// The --json report writes the recount (~11 MB at a province's size) from
// its compact text without parsing it again: the bytes must be those the
// parsed document would dump, or the report changes under an auditor's
// diff.
TEST(TextTest, IndentingCompactJsonGivesWhatTheParsedDocumentDumps) {
  const json tricky = json::parse(R"({
    "round": 7, "void": false, "voidReason": null, "ratio": -0.125,
    "boxes": [], "items": [{}, {"title": "a \"quoted\" [title], {x: 1}"}],
    "path": "C:\\dir\\", "tab": "\t", "cjk": "票决 第一轮：通过",
    "nested": [[[], [1, [2, {}]]], {"k": {"k": {"k": []}}}],
    "escapes": "\u0001\u001f\\\"", "empty": ""
  })");
  for (int depth : {0, 1, 3}) {
    for (int indent : {1, 2, 4}) {
      // The reference: the document dumped as the value of a member
      // `depth` levels down, cut out of its parents' text.
      json doc = tricky;
      for (int d = 0; d < depth; ++d) doc = json{{"v", doc}};
      std::string expected = DumpJson(doc, indent);
      for (int d = 0; d < depth; ++d) {
        const size_t start = expected.find("\"v\": ") + 5;
        expected =
            expected.substr(start, expected.size() - start - 2 - d * indent);
      }
      EXPECT_EQ(IndentCompactJson(DumpJson(tricky), depth, indent), expected)
          << "depth " << depth << ", indent " << indent;
    }
  }
}

TEST(TextTest, IndentingCompactJsonMatchesTheDumpOfRandomDocuments) {
  std::mt19937 rng(20261202);
  const std::string alphabet = "ab\"\\{}[],: 票\n";
  std::function<json(int)> random_value = [&](int level) -> json {
    switch (level > 3 ? rng() % 4 : rng() % 6) {
      case 0:
        return nullptr;
      case 1:
        return rng() % 2 == 0;
      case 2:
        return static_cast<int64_t>(rng()) - (1 << 30);
      case 3: {
        std::string s;
        for (size_t n = rng() % 6; n > 0; --n)
          s += alphabet[rng() % alphabet.size()];
        return s;
      }
      case 4: {
        json a = json::array();
        for (size_t n = rng() % 4; n > 0; --n)
          a.push_back(random_value(level + 1));
        return a;
      }
      default: {
        json o = json::object();
        for (size_t n = rng() % 4; n > 0; --n) {
          o[std::string(1, "kq\"\\"[rng() % 4]) + std::to_string(n)] =
              random_value(level + 1);
        }
        return o;
      }
    }
  };
  for (int i = 0; i < 2000; ++i) {
    const json doc = random_value(0);
    ASSERT_EQ(IndentCompactJson(DumpJson(doc), 0, 2), DumpJson(doc, 2))
        << DumpJson(doc);
  }
}

// The recount is written as text, without a document: every string in it
// must come out as the document's dump would write it (titles, labels and
// reasons are authors' texts; a verifier's output is diffed by auditors).
TEST(TextTest, AJsonStringIsWhatTheDocumentDumps) {
  std::vector<std::string> texts = {
      "", "plain", "票决 第一轮：通过", "a \"quoted\" \\ path\\",
      "line\nbreak\r\n\t\b\f", std::string("nul\0inside", 10), "\x01\x1f\x7f",
      "\xc2\x80\xc2\x9f",              // C1 controls: not escaped
      "\xe2\x80\xa8\xe2\x80\xae",      // U+2028, U+202E
      "\xf0\x9f\x97\xb3\xef\xb8\x8f",  // an emoji with a selector
      // Invalid: a lone continuation byte, a cut sequence, an overlong
      // form, a surrogate, above U+10FFFF, bytes never in UTF-8.
      "\x80", "ok\xe7\xa5", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
      "\xfe\xff", "票\xff决"};
  std::mt19937 rng(20261202);
  const std::string bytes = "a\"\\\n\x01\x7f\xe7\xa5\xa8\xc2\x80\xf0\x9f\xff";
  for (int i = 0; i < 5000; ++i) {
    std::string s;
    for (size_t n = rng() % 12; n > 0; --n) s += bytes[rng() % bytes.size()];
    texts.push_back(s);
  }
  for (const std::string& text : texts) {
    std::string out = "[1,";
    AppendJsonString(&out, text);
    EXPECT_EQ(out, "[1," + DumpJson(json(text))) << PrintableText(text);
  }
}

}  // namespace
}  // namespace piaojue::verifier
