// docs/GUIDE.md cannot go stale: every ```sh block marked
// `<!-- guide-test -->` is run, in order, as one bash script in an empty
// directory against the built `piaojue`; every command must succeed, the
// cycle must end closed, and the number of `piaojue` commands the guide
// states must be the number it runs.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "api/cli/data_dir.h"
#include "api/cli/session.h"
#include "projections/dates.h"
#include "projections/views.h"
#include "tests/test_util.h"

namespace piaojue::cli {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The blocks of a markdown text marked `<!-- MARK -->` and fenced as
// ```LANG, in order.
std::vector<std::string> GuideBlocks(const std::string& markdown,
                                     const std::string& mark = "guide-test",
                                     const std::string& lang = "sh") {
  std::vector<std::string> blocks;
  std::istringstream in(markdown);
  std::string line;
  bool marked = false, inside = false;
  std::string block;
  while (std::getline(in, line)) {
    if (inside) {
      if (line.rfind("```", 0) == 0) {
        blocks.push_back(block);
        block.clear();
        inside = false;
      } else {
        block += line + "\n";
      }
    } else if (line == "<!-- " + mark + " -->") {
      marked = true;
    } else if (marked && line == "```" + lang) {
      inside = true;
      marked = false;
    } else if (!line.empty()) {
      marked = false;
    }
  }
  return blocks;
}

std::string PiaojueBinary() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() /
          "piaojue")
      .string();
}

TEST(GuideTest, ExtractsOnlyTheMarkedShellBlocks) {
  const auto blocks = GuideBlocks(
      "text\n<!-- guide-test -->\n```sh\necho a\n```\n```sh\necho b\n```\n"
      "<!-- guide-test -->\n\n```sh\necho c\n```\n");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0], "echo a\n");
  EXPECT_EQ(blocks[1], "echo c\n");
}

TEST(GuideTest, TheGuidesCommandsRecordAWholeYear) {
  ASSERT_OK(crypto::InitCrypto());
  const std::string guide = ReadFile("docs/GUIDE.md");
  ASSERT_FALSE(guide.empty()) << "run from the source tree";
  const std::vector<std::string> blocks = GuideBlocks(guide);
  ASSERT_GE(blocks.size(), 10u);
  ASSERT_TRUE(std::filesystem::exists(PiaojueBinary())) << PiaojueBinary();

  testing::TempDir tmp;
  const std::string work = tmp.Sub("rehearsal");
  const std::string bin = tmp.Sub("bin");
  std::filesystem::create_directories(work);
  std::filesystem::create_directories(bin);
  // A `piaojue` first on PATH that logs each command and runs the real one.
  const std::string log = tmp.Sub("commands.log");
  {
    std::ofstream wrapper(bin + "/piaojue");
    wrapper << "#!/bin/sh\necho \"$*\" >> '" << log << "'\nexec '"
            << PiaojueBinary() << "' \"$@\"\n";
  }
  std::filesystem::permissions(bin + "/piaojue",
                               std::filesystem::perms::owner_all);
  std::string script = "set -euo pipefail\n";
  for (const std::string& b : blocks) script += b;
  const std::string script_path = tmp.Sub("guide.sh");
  std::ofstream(script_path) << script;
  const std::string output = tmp.Sub("guide.out");
  const std::string command = "cd '" + work + "' && PATH='" + bin +
                              "':\"$PATH\" bash '" + script_path + "' > '" +
                              output + "' 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the guide failed:\n"
      << ReadFile(output);

  // Every act was accepted and the cycle is closed.
  auto session = Session::Open(DataDir(work + "/账本"), /*read_only=*/true);
  ASSERT_OK(session);
  auto cycles = projections::View((*session)->state(), "cycles", {});
  ASSERT_OK(cycles);
  ASSERT_EQ((*cycles)["cycles"].size(), 1u);
  EXPECT_EQ((*cycles)["cycles"][0]["stage"], "closed")
      << (*cycles).dump(2) << ReadFile(output);
  EXPECT_EQ((*session)->ledger().size(), 49u);
  const std::string printed = ReadFile(output);
  EXPECT_NE(printed.find("当前环节：已完成"), std::string::npos) << printed;
  EXPECT_NE(printed.find("审定: 3 条候选建议尚未经党委审定"), std::string::npos)
      << printed;

  // The outputs the guide shows are what the commands printed (the
  // samples are written for 2026; the rehearsal runs in the current year).
  const std::string year = std::to_string(
      projections::DateFromMs(
          std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count())
          .year);
  const auto samples = GuideBlocks(guide, "guide-output", "text");
  EXPECT_EQ(samples.size(), 3u);
  for (std::string sample : samples) {
    for (size_t at = sample.find("2026"); at != std::string::npos;
         at = sample.find("2026", at + 4)) {
      sample.replace(at, 4, year);
    }
    EXPECT_NE(printed.find(sample), std::string::npos)
        << "the guide shows:\n"
        << sample << "the commands printed:\n"
        << printed;
  }

  // The count the guide states is the count it runs.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      guide, m, std::regex("The guide runs \\*\\*([0-9]+)\\*\\* `piaojue`")));
  size_t ran = 0;
  std::istringstream lines(ReadFile(log));
  for (std::string l; std::getline(lines, l);) ++ran;
  EXPECT_EQ(std::to_string(ran), m[1].str()) << ReadFile(log);
  if (std::getenv("PIAOJUE_GUIDE_OUTPUT")) std::cerr << printed;
}

}  // namespace
}  // namespace piaojue::cli
