// The story's known inputs: who votes, how the ballots fall, box by box.
// Everything the story publishes about the votes follows from these tables.
#include <algorithm>

#include "api/demo/demo.h"

namespace piaojue::demo {

std::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kCollection:
      return "collection";
    case Stage::kScreening:
      return "screening";
    case Stage::kVote:
      return "vote";
    case Stage::kSupervision:
      return "supervision";
    case Stage::kEvaluation:
      return "evaluation";
  }
  return "unknown";
}

Result<Stage> ParseStage(std::string_view name) {
  for (Stage s : {Stage::kCollection, Stage::kScreening, Stage::kVote,
                  Stage::kSupervision, Stage::kEvaluation}) {
    if (StageName(s) == name) return s;
  }
  return InvalidArgument(
      "--until must be one of collection, screening, vote, supervision, "
      "evaluation; got \"" +
      std::string(name) + "\"");
}

size_t PartsFor(size_t ballots, size_t width) {
  const size_t per_part =
      projections::BallotsPerPart(static_cast<uint32_t>(width));
  return std::max<size_t>(1, (ballots + per_part - 1) / per_part);
}

const std::vector<SelectionFacts>& SelectionVotes() {
  static const std::vector<SelectionFacts> votes = [] {
    std::vector<SelectionFacts> v(3);
    SelectionFacts& county = v[0];
    county.jurisdiction = kCountyCode;
    county.congress = "清河县第十八届人民代表大会第五次会议";
    county.seats = 10;
    county.entitled = 312;
    county.present = 298;
    county.candidates = {
        "县城区公办幼儿园扩容工程", "农村公路安全生命防护工程",
        "城乡老年助餐服务点建设",   "乡镇卫生院和村卫生室服务能力提升",
        "城区背街小巷改造提升",     "农村饮水安全巩固提升工程",
        "城南农贸市场提升改造",     "中小学校园安全设施和食堂改造",
        "全民健身场地设施建设",     "城区公共停车位和充电设施建设",
        "县城污水管网雨污分流改造", "残疾人康复和托养服务中心建设",
    };
    county.approve = {276, 281, 270, 265, 231, 259,
                      224, 252, 198, 149, 238, 246};
    county.oppose = {8, 5, 9, 11, 24, 12, 31, 14, 46, 82, 19, 16};
    county.boxes = {{"第1票箱", 80, 80, 1, 0},
                    {"第2票箱", 76, 76, 0, 1},
                    {"第3票箱", 72, 71, 1, 0},
                    {"第4票箱", 70, 70, 1, 0}};

    SelectionFacts& liulin = v[1];
    liulin.jurisdiction = kLiulinCode;
    liulin.congress = "柳林镇第十八届人民代表大会第五次会议";
    liulin.seats = 5;
    liulin.entitled = 62;
    liulin.present = 57;
    liulin.candidates = {
        "柳林镇中心幼儿园户外活动场地改造",
        "镇区主干道路灯亮化工程",
        "柳林镇卫生院发热门诊改造",
        "村级互助养老幸福院建设",
        "镇农贸市场公厕新建",
        "河堤休闲步道建设",
    };
    liulin.approve = {54, 52, 47, 49, 44, 21};
    liulin.oppose = {1, 2, 3, 2, 5, 18};
    liulin.boxes = {{"柳林镇票箱", 57, 57, 1, 0}};

    SelectionFacts& shimen = v[2];
    shimen.jurisdiction = kShimenCode;
    shimen.congress = "石门乡第十八届人民代表大会第五次会议";
    shimen.seats = 4;
    shimen.entitled = 48;
    shimen.present = 45;
    shimen.candidates = {
        "石门乡集镇饮用水管网改造",   "乡村道路安全护栏安装",
        "石门乡中心小学学生宿舍改造", "村卫生室标准化建设",
        "乡文化广场健身器材更新",
    };
    shimen.approve = {42, 39, 41, 37, 17};
    shimen.oppose = {1, 2, 1, 3, 15};
    shimen.boxes = {{"石门乡票箱", 45, 45, 1, 0}};
    return v;
  }();
  return votes;
}

const std::vector<SatisfactionFacts>& SatisfactionVotes() {
  static const std::vector<SatisfactionFacts> votes = [] {
    std::vector<SatisfactionFacts> v(3);
    SatisfactionFacts& county = v[0];
    county.jurisdiction = kCountyCode;
    county.entitled = 310;
    county.present = 293;
    // The ballot lists the projects in the order they were elected.
    county.projects = {
        "农村公路安全生命防护工程",     "县城区公办幼儿园扩容工程",
        "城乡老年助餐服务点建设",       "乡镇卫生院和村卫生室服务能力提升",
        "农村饮水安全巩固提升工程",     "中小学校园安全设施和食堂改造",
        "残疾人康复和托养服务中心建设", "县城污水管网雨污分流改造",
        "城区背街小巷改造提升",         "城南农贸市场提升改造",
    };
    county.satisfied = {262, 255, 268, 241, 249, 257, 236, 214, 228, 139};
    county.basically_satisfied = {22, 28, 17, 38, 33, 25, 41, 58, 49, 102};
    county.unsatisfied = {3, 4, 2, 6, 5, 3, 7, 12, 8, 38};
    county.boxes = {{"第1票箱", 101, 101, 0, 0},
                    {"第2票箱", 98, 97, 0, 1},
                    {"第3票箱", 94, 94, 0, 0}};

    SatisfactionFacts& liulin = v[1];
    liulin.jurisdiction = kLiulinCode;
    liulin.entitled = 62;
    liulin.present = 58;
    liulin.projects = {"柳林镇中心幼儿园户外活动场地改造",
                       "镇区主干道路灯亮化工程", "村级互助养老幸福院建设",
                       "柳林镇卫生院发热门诊改造", "镇农贸市场公厕新建"};
    liulin.satisfied = {51, 49, 53, 47, 45};
    liulin.basically_satisfied = {5, 6, 3, 8, 9};
    liulin.unsatisfied = {1, 1, 0, 2, 2};
    liulin.boxes = {{"柳林镇票箱", 58, 58, 0, 0}};

    SatisfactionFacts& shimen = v[2];
    shimen.jurisdiction = kShimenCode;
    shimen.entitled = 48;
    shimen.present = 44;
    shimen.projects = {"石门乡集镇饮用水管网改造", "石门乡中心小学学生宿舍改造",
                       "乡村道路安全护栏安装", "村卫生室标准化建设"};
    shimen.satisfied = {40, 38, 36, 35};
    shimen.basically_satisfied = {3, 4, 6, 7};
    shimen.unsatisfied = {0, 1, 1, 1};
    shimen.boxes = {{"石门乡票箱", 44, 44, 0, 0}};
    return v;
  }();
  return votes;
}

}  // namespace piaojue::demo
