// The demo's story, in log order: 清河县 and two of its townships, from the
// call for proposals in September 2024 to the rectification report of April
// 2026. docs/DEMO.md tells it in words; facts.cc holds the vote tables.
//
// Everything here is a fixed function of the tables below, so the indices
// of the entries are fixed too: the story uses them as references as it
// goes (a merge names its sources by index, a ballot box its round, ...).
#include "api/demo/internal/story.h"

#include <capnp/message.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <numeric>

#include "ledger/authority.h"
#include "projections/dates.h"
#include "projections/tally.h"

namespace piaojue::demo::internal {

namespace {

using schema::Category;
using schema::Channel;
using schema::FundingSource;
using schema::ProposerType;
using schema::ReasonCode;
using schema::Role;

constexpr int64_t kFenPerWan = 1'000'000;  // 1万元 = 10,000 yuan
constexpr int64_t kMinute = 60 * 1000;
// Marks per ballotsRecorded entry stay well under the 64 KiB entry limit.
constexpr size_t kMaxMarksPerPart = 60'000;

// ---------------------------------------------------------------------------
// The places and people of the story.

struct Place {
  const char* code;
  const char* name;
  const char* congress_now;   // the congress that votes in January 2025
  const char* congress_next;  // the one that rates in January 2026
  const char* receipt_prefix;
};

const Place kPlaces[3] = {
    {kCountyCode, kCountyName, "清河县第十八届人民代表大会第五次会议",
     "清河县第十八届人民代表大会第六次会议", "QH"},
    {kLiulinCode, kLiulinName, "柳林镇第十八届人民代表大会第五次会议",
     "柳林镇第十八届人民代表大会第六次会议", "LL"},
    {kShimenCode, kShimenName, "石门乡第十八届人民代表大会第五次会议",
     "石门乡第十八届人民代表大会第六次会议", "SM"},
};

const char* const kTowns[] = {"城关镇", "柳林镇", "石门乡", "河口镇",
                              "白马镇", "双龙乡", "青石镇", "金台乡"};
const char* const kVillages[] = {
    "王家庄", "李家沟", "杨柳湾", "红星",   "前进",   "新民",
    "大坪",   "小河",   "西沟",   "东岭",   "石桥",   "马家堡",
    "黄土坡", "桃园",   "梨树湾", "清泉",   "龙王庙", "姚家河",
    "余家坝", "周家台", "三岔",   "五里铺", "七里店", "张家湾",
    "刘家岭", "陈家坪", "赵家庄", "孙家沟", "何家寨", "白杨"};
const char* const kCommunities[] = {"城东社区", "城西社区", "南关社区",
                                    "北街社区", "和平社区", "幸福社区",
                                    "滨河社区", "新华社区"};
const char* const kDeputies[] = {
    "王建华", "李国强", "赵秀英", "孙立平", "周德明", "吴春兰", "郑海波",
    "马建军", "冯晓东", "韩桂芳", "杨志刚", "朱丽萍", "胡永红", "郭建平",
    "何玉梅", "高志远", "罗春生", "梁晓红", "宋家宝", "谢文静"};
const char* const kCppcc[] = {"刘晓梅", "陈志明", "黄丽娟", "何永胜",
                              "林文斌", "徐美玲", "曹国庆", "彭雅琴"};
const char* const kDepartments[] = {
    "县教育局",           "县卫生健康委员会",      "县民政局",
    "县交通运输局",       "县住房和城乡建设局",    "县水利局",
    "县文化和旅游体育局", "县人力资源和社会保障局"};

// ---------------------------------------------------------------------------
// Proposals. An ordinary proposal comes from a template and is turned down
// at government review (审核) with the template's reason; the core ones are
// the candidates and the few that drop out at the later reviews.

struct Template {
  const char* title;  // {p} = the place
  const char* description;
  char place_kind;  // 'v' village, 'c' community, 't' township
  Category category;
  int wan;  // estimated investment, 万元
  FundingSource funding;
  ReasonCode reason;
  const char* reason_text;
};

const Template kTemplates[] = {
    {"{p}村组道路硬化", "{p}村组道路为土路，雨天泥泞难行，建议硬化约2公里。",
     'v', Category::TRANSPORT, 180, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY,
     "已纳入县交通运输局2025年农村公路建设计划，按部门常规工作推进"},
    {"{p}村文化活动室修缮", "{p}村文化活动室屋顶漏雨，建议修缮并配置桌椅。",
     'v', Category::CULTURE_SPORT, 25, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY, "属村级公益事业，由乡镇年度工作统筹解决"},
    {"{p}村安装太阳能路灯", "{p}村主干道夜间无照明，建议安装太阳能路灯60盏。",
     'v', Category::PUBLIC_FACILITIES, 30, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY, "已并入县城乡路灯亮化常规计划"},
    {"{p}集镇停车场建设", "{p}集镇逢集日车辆乱停乱放，建议新建停车场。", 't',
     Category::PUBLIC_FACILITIES, 260, FundingSource::OWN_BUDGET,
     ReasonCode::LAND_NOT_SECURED, "选址用地尚未落实，暂不具备实施条件"},
    {"{p}村河道清淤整治", "{p}村河道淤积严重，汛期易漫堤，建议清淤并加固护岸。",
     'v', Category::ENVIRONMENT, 90, FundingSource::CENTRAL_OR_PROVINCIAL,
     ReasonCode::FUNDED_BY_HIGHER_LEVEL,
     "已列入中央水利发展资金支持项目，不列入本级票决范围"},
    {"{p}中学新建教学综合楼", "{p}中学教室紧张，建议新建教学综合楼一栋。", 't',
     Category::EDUCATION, 3500, FundingSource::MIXED,
     ReasonCode::MAJOR_ENGINEERING,
     "投资规模大、建设周期长，纳入县重点项目推进"},
    {"{p}村建设农产品冷链仓储", "建议在{p}村建设冷库，方便果蔬储存销售。", 'v',
     Category::OTHER, 150, FundingSource::SOCIAL_CAPITAL,
     ReasonCode::NOT_BROAD_BENEFIT, "属产业经营性项目，受益面窄，不具普惠性"},
    {"{p}增设健身器材", "{p}居民健身场地少，建议增设一批室外健身器材。", 'c',
     Category::CULTURE_SPORT, 15, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY,
     "由县文化和旅游体育局年度健身器材配送计划解决"},
    {"{p}老旧小区供水管网改造", "{p}部分小区供水管网老化，经常爆管停水。", 'c',
     Category::PUBLIC_FACILITIES, 300, FundingSource::CENTRAL_OR_PROVINCIAL,
     ReasonCode::FUNDED_BY_HIGHER_LEVEL, "已纳入城镇老旧小区改造中央补助项目"},
    {"{p}村公厕改造", "{p}村公共厕所年久失修，建议改造为水冲式公厕。", 'v',
     Category::PUBLIC_FACILITIES, 12, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY, "纳入农村人居环境整治常规工作"},
    {"县城至{p}公交线路延伸", "建议将县城公交线路延伸至{p}，方便群众出行。",
     't', Category::TRANSPORT, 60, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY, "由县交通运输局优化公交线路解决，无需立项"},
    {"{p}高铁站连接线建设", "建议修建{p}至高铁站的快速连接线。", 't',
     Category::TRANSPORT, 15000, FundingSource::MIXED,
     ReasonCode::MAJOR_ENGINEERING, "属重大交通基础设施项目，不宜列入民生实事"},
    {"{p}村安装视频监控", "{p}村路口较多，建议安装公共视频监控。", 'v',
     Category::PUBLIC_FACILITIES, 20, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY, "纳入“雪亮工程”常规建设"},
    {"{p}集镇水厂扩建", "{p}集镇人口增加，水厂供水能力不足，建议扩建。", 't',
     Category::PUBLIC_FACILITIES, 1200, FundingSource::MIXED,
     ReasonCode::NOT_COMPLETABLE_IN_YEAR, "建设周期超过一年，年内无法完成"},
    {"{p}开设四点半课堂", "{p}双职工家庭多，建议开设四点半课堂。", 'c',
     Category::EDUCATION, 8, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY, "由县教育局、团县委常态化开展"},
    {"{p}村修建篮球场", "{p}村青年较多但没有运动场地，建议修建篮球场。", 'v',
     Category::CULTURE_SPORT, 18, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY, "已纳入全民健身场地设施建设候选项目统筹考虑"},
    {"{p}卫生院购置CT", "{p}卫生院缺少CT设备，群众需到县城检查。", 't',
     Category::HEALTH, 400, FundingSource::CENTRAL_OR_PROVINCIAL,
     ReasonCode::FUNDED_BY_HIGHER_LEVEL, "已申报省级医疗设备更新补助资金"},
    {"{p}村灌溉渠道维修", "{p}村灌溉渠道渗漏严重，影响春灌。", 'v',
     Category::OTHER, 60, FundingSource::CENTRAL_OR_PROVINCIAL,
     ReasonCode::FUNDED_BY_HIGHER_LEVEL, "已列入农田水利中央补助项目"},
    {"{p}开办普惠托育点", "{p}婴幼儿照护需求大，建议开办普惠托育点。", 'c',
     Category::CHILDCARE, 45, FundingSource::OWN_BUDGET,
     ReasonCode::POLICY_NOT_SECURED,
     "普惠托育运营补贴政策尚未出台，待政策明确后实施"},
    {"{p}建设污水处理站", "{p}生活污水直排，建议建设集镇污水处理站。", 't',
     Category::ENVIRONMENT, 800, FundingSource::MIXED,
     ReasonCode::NOT_COMPLETABLE_IN_YEAR, "建设周期超过一年，列入下一年度储备"},
    {"{p}村修建便民桥", "{p}村河上只有一座漫水桥，雨季无法通行。", 'v',
     Category::TRANSPORT, 85, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY, "已纳入县农村公路危桥改造年度计划"},
    {"{p}老旧住宅加装电梯", "{p}老年人多，建议为多层住宅加装电梯。", 'c',
     Category::PUBLIC_FACILITIES, 60, FundingSource::OTHER,
     ReasonCode::OUT_OF_SCOPE,
     "以业主自筹为主，按既有住宅加装电梯补贴政策办理"},
    {"{p}就业创业服务站", "建议在{p}设立就业创业服务站，提供招聘信息。", 't',
     Category::EMPLOYMENT_SOCIAL_SECURITY, 40, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY, "由县人社局依托便民服务中心常态化开展"},
    {"{p}村垃圾分类收集点", "{p}村垃圾乱倒现象突出，建议设置分类收集点。", 'v',
     Category::ENVIRONMENT, 15, FundingSource::OWN_BUDGET,
     ReasonCode::LOWER_PRIORITY, "纳入农村人居环境整治常规工作"},
};
constexpr int kTemplateCount = sizeof(kTemplates) / sizeof(kTemplates[0]);

// One source proposal as received.
struct Source {
  std::string title;
  std::string description;
  ProposerType proposer;
  std::string proposer_name;
  Channel channel;
};

enum class Fate {
  kCandidate,
  kRejectedAtParty,     // 审定
  kRejectedAtStanding,  // 审查
};

// A proposal that passes government review: a candidate, or one that drops
// out at the party committee or the standing committee.
struct Core {
  std::string name;
  std::string location;
  Category category;
  int wan;
  std::string agency;
  std::string leader;
  std::string content;
  std::string requirements;
  std::vector<Source> sources;  // 1 = the proposal itself; more = merged
  Fate fate = Fate::kCandidate;
  ReasonCode reason = ReasonCode::MEETS_CRITERIA;
  std::string reason_text;
};

Source Deputy(std::string title, std::string desc, std::string who,
              std::string level = "县") {
  return {std::move(title), std::move(desc), ProposerType::DEPUTY,
          level + "人大代表 " + who, Channel::DEPUTY_SUGGESTION};
}
Source Cppcc(std::string title, std::string desc, std::string who) {
  return {std::move(title), std::move(desc), ProposerType::CPPCC_MEMBER,
          "县政协委员 " + who, Channel::CPPCC_PROPOSAL};
}
Source Resident(std::string title, std::string desc, Channel channel,
                std::string who = "") {
  return {std::move(title), std::move(desc), ProposerType::RESIDENT,
          std::move(who), channel};
}
Source Department(std::string title, std::string desc, std::string who) {
  return {std::move(title), std::move(desc), ProposerType::DEPARTMENT,
          std::move(who), Channel::DEPARTMENT};
}
Source Township(std::string title, std::string desc, std::string who) {
  return {std::move(title), std::move(desc), ProposerType::TOWNSHIP,
          std::move(who), Channel::TOWNSHIP};
}

// A core proposal that passes every review unless its fate says otherwise.
Core MakeCore(std::string name, std::string location, Category category,
              int wan, std::string agency, std::string leader,
              std::string content, std::string requirements,
              std::vector<Source> sources) {
  Core c;
  c.name = std::move(name);
  c.location = std::move(location);
  c.category = category;
  c.wan = wan;
  c.agency = std::move(agency);
  c.leader = std::move(leader);
  c.content = std::move(content);
  c.requirements = std::move(requirements);
  c.sources = std::move(sources);
  return c;
}

std::vector<Core> CountyCores() {
  std::vector<Core> c;
  c.push_back(MakeCore(
      "县城区公办幼儿园扩容工程", "城关镇城东片区", Category::EDUCATION, 1850,
      "县教育局", "县教育局局长 韩明",
      "新建城东幼儿园（12个班、360个学位），改扩建城关镇中心幼儿园（新增4个班"
      "）",
      "9月秋季学期前新增学位投入使用，年底前全部完工验收",
      {Deputy("城东片区幼儿园学位紧张，建议新建公办幼儿园",
              "城东片区新建小区多，适龄幼儿入园难，建议新建一所公办幼儿园。",
              "王建华"),
       Resident("建议扩建城关镇中心幼儿园",
                "孩子报名城关镇中心幼儿园没排上号，希望扩建增加学位。",
                Channel::WECHAT),
       Cppcc("关于增加县城公办幼儿园学位的提案",
             "县城公办园在园幼儿占比偏低，建议扩容公办学前教育资源。",
             "刘晓梅")}));
  c.push_back(MakeCore(
      "农村公路安全生命防护工程", "全县8个乡镇", Category::TRANSPORT, 1280,
      "县交通运输局", "县交通运输局局长 邓志强",
      "在临水临崖、急弯陡坡路段安装波形护栏320公里，设置警示标志和减速带",
      "10月底前全部路段完工并通过交工验收",
      {Resident("双龙乡盘山公路急弯路段加装护栏",
                "双龙乡盘山公路急弯多、没有护栏，去年冬天发生过翻车。",
                Channel::DOOR_TO_DOOR, "双龙乡村民"),
       Deputy(
           "关于加强农村公路安全防护设施建设的建议",
           "全县农村公路临水临崖路段防护设施缺失，建议系统实施生命防护工程。",
           "李国强")}));
  c.push_back(MakeCore(
      "城乡老年助餐服务点建设", "县城社区及18个中心村", Category::ELDERLY_CARE,
      620, "县民政局", "县民政局局长 钱玉兰",
      "新建城乡老年助餐点28个（城区社区10个、农村中心村18个），为80岁以上和特"
      "困老人提供助餐补贴",
      "年底前全部助餐点开餐运营，服务老人不少于3000人",
      {Resident("建议在城西社区开设老年食堂",
                "社区独居老人多，做饭不方便，希望开个老年食堂。",
                Channel::GOVERNMENT_WEBSITE),
       Deputy("农村留守老人吃饭难，建议建设村级助餐点",
              "农村留守老人吃饭难问题突出，建议在中心村建设助餐点。", "赵秀英"),
       Cppcc("关于推进城乡老年助餐服务的提案",
             "建议统筹建设城乡老年助餐服务网络，财政给予运营补贴。", "陈志明"),
       Resident("南关社区老年助餐点建设",
                "南关社区老年人占三成，建议设助餐点。",
                Channel::CONTACT_STATION, "南关社区居民")}));
  c.push_back(MakeCore(
      "乡镇卫生院和村卫生室服务能力提升", "全县8个乡镇卫生院、46个村卫生室",
      Category::HEALTH, 980, "县卫生健康委员会", "县卫生健康委员会主任 孔德林",
      "为8个乡镇卫生院配置DR、彩超等设备，46个村卫生室完成标准化改造",
      "年底前设备全部安装调试并投入使用",
      {Department(
          "乡镇卫生院和村卫生室服务能力提升",
          "基层医疗机构设备老旧，群众小病也要进城，建议集中提升基层服务能力。",
          "县卫生健康委员会")}));
  c.push_back(MakeCore(
      "城区背街小巷改造提升", "县城老城区", Category::PUBLIC_FACILITIES, 1460,
      "县住房和城乡建设局", "县住房和城乡建设局局长 蒋伟",
      "改造老城区背街小巷12条共6.8公里，实施路面硬化、管网、路灯和绿化",
      "11月底前全部完工",
      {Deputy("城区背街小巷改造提升",
              "老城区背街小巷路面破损、污水外溢、夜间无灯，群众反映强烈。",
              "孙立平")}));
  c.push_back(MakeCore(
      "农村饮水安全巩固提升工程", "白马镇、双龙乡、金台乡",
      Category::PUBLIC_FACILITIES, 1120, "县水利局", "县水利局局长 沈建国",
      "新建和改造集中供水工程9处，更新供水管网86公里，惠及2.3万人",
      "汛期前完成水源工程，年底前全部通水",
      {Resident("白马镇高山村饮水困难，建议延伸自来水管网",
                "高山村组每年冬春季缺水，要到山下挑水。", Channel::DOOR_TO_DOOR,
                "白马镇村民"),
       Deputy("关于解决部分村组季节性缺水问题的建议",
              "部分高山村组季节性缺水，建议实施饮水安全巩固提升工程。",
              "周德明"),
       Township("金台乡集中供水工程提质改造",
                "金台乡集中供水工程建成15年，管网老化漏损严重。",
                "金台乡人民政府")}));
  c.push_back(MakeCore(
      kLateProject, "城关镇南关街", Category::PUBLIC_FACILITIES, 760,
      "县商务局", "县商务局局长 许志华",
      "改造城南农贸市场棚顶、排水和摊位，新建公厕和农产品快检室",
      "7月底前完成主体改造，年底前完工验收",
      {Resident(kLateProject,
                "城南农贸市场雨天积水、摊位拥挤、没有公厕，群众买菜不方便。",
                Channel::FORUM, "南关街居民座谈会")}));
  c.push_back(MakeCore(
      "中小学校园安全设施和食堂改造", "全县23所中小学", Category::EDUCATION,
      840, "县教育局", "县教育局局长 韩明",
      "为23所中小学安装视频监控和一键报警，改造食堂9所并实现“明厨亮灶”",
      "秋季开学前完成食堂改造，年底前全部验收",
      {Deputy("中小学校园安全设施和食堂改造",
              "部分农村学校安防设施不全、食堂条件差，建议集中改造。",
              "吴春兰")}));
  c.push_back(MakeCore(
      "全民健身场地设施建设", "全县15个村（社区）", Category::CULTURE_SPORT,
      540, "县文化和旅游体育局", "县文化和旅游体育局局长 卢海燕",
      "新建多功能运动场15处、健身路径30条", "年底前全部建成开放",
      {Resident("建议在滨河公园建设笼式足球场",
                "孩子们踢球没有场地，建议在滨河公园建设笼式足球场。",
                Channel::WECHAT),
       Deputy("关于完善农村全民健身设施的建议",
              "农村健身设施不足，建议每个中心村建设多功能运动场。",
              "郑海波")}));
  c.push_back(
      MakeCore("城区公共停车位和充电设施建设", "县城", Category::TRANSPORT, 690,
               "县住房和城乡建设局", "县住房和城乡建设局局长 蒋伟",
               "新增公共停车位800个、公共充电桩120个", "年底前全部投入使用",
               {Cppcc("城区公共停车位和充电设施建设",
                      "县城停车难、新能源汽车充电难，建议新增停车位和充电桩。",
                      "黄丽娟")}));
  c.push_back(MakeCore(
      kAdjustedProject, "县城老城区", Category::ENVIRONMENT, 2200,
      "县住房和城乡建设局", "县住房和城乡建设局局长 蒋伟",
      "改造雨污合流管网18公里，新建雨水管网9公里", "年底前完工并通水验收",
      {Resident("老城区一下雨就内涝，建议改造排水管网",
                "人民路一带一下大雨就积水，污水倒灌进商铺。",
                Channel::GOVERNMENT_WEBSITE),
       Deputy("关于实施县城雨污分流改造的建议",
              "县城雨污合流，汛期内涝和污水溢流问题突出。", "马建军")}));
  c.push_back(
      MakeCore("残疾人康复和托养服务中心建设", "县城北区", Category::HEALTH,
               480, "县残疾人联合会", "县残疾人联合会理事长 唐秀云",
               "改造建设县残疾人康复和托养服务中心3200平方米，设置康复床位40张",
               "年底前投入运营",
               {Department("残疾人康复和托养服务中心建设",
                           "全县持证残疾人1.2万人，缺少康复和托养场所。",
                           "县残疾人联合会")}));
  // Past government review, not candidates.
  Core sports =
      MakeCore("县体育中心建设", "县城北新区", Category::CULTURE_SPORT, 23000,
               "县文化和旅游体育局", "", "", "",
               {Cppcc("县体育中心建设",
                      "县城缺少标准体育场馆，建议建设县体育中心。", "何永胜")});
  sports.fate = Fate::kRejectedAtParty;
  sports.reason = ReasonCode::MAJOR_ENGINEERING;
  sports.reason_text =
      "总投资2.3亿元，属重大建设项目，不宜列入当年民生实事，转入县重点项目库";
  c.push_back(sports);
  Core heating =
      MakeCore("城区集中供暖管网延伸", "县城南区", Category::PUBLIC_FACILITIES,
               3200, "县住房和城乡建设局", "", "", "",
               {Resident("城区集中供暖管网延伸",
                         "城南小区冬季没有集中供暖，老人孩子受冻。",
                         Channel::CONTACT_STATION, "城南片区居民")});
  heating.fate = Fate::kRejectedAtParty;
  heating.reason = ReasonCode::FUNDING_NOT_SECURED;
  heating.reason_text =
      "资金来源未落实，需与供热企业合作推进，2025年不具备实施条件";
  c.push_back(heating);
  Core farmland =
      MakeCore("高标准农田建设（2万亩）", "河口镇、青石镇", Category::OTHER,
               3000, "县农业农村局", "", "", "",
               {Department("高标准农田建设（2万亩）",
                           "建设高标准农田2万亩，提升粮食综合生产能力。",
                           "县农业农村局")});
  farmland.fate = Fate::kRejectedAtParty;
  farmland.reason = ReasonCode::FUNDED_BY_HIGHER_LEVEL;
  farmland.reason_text = "主要依靠中央和省级财政资金，按规定不列入票决范围";
  c.push_back(farmland);
  Core park = MakeCore(
      "城北公园建设", "县城北区", Category::CULTURE_SPORT, 1600,
      "县住房和城乡建设局", "", "", "",
      {Deputy("城北公园建设", "城北片区没有公园，居民休闲无去处。", "冯晓东")});
  park.fate = Fate::kRejectedAtStanding;
  park.reason = ReasonCode::LAND_NOT_SECURED;
  park.reason_text = "经常委会审查，项目用地征收尚未完成，年内难以开工建设";
  c.push_back(park);
  return c;
}

std::vector<Core> TownshipCores(int which) {
  std::vector<Core> c;
  const std::string town = which == 1 ? kLiulinName : kShimenName;
  auto deputy = [&](std::string title, std::string desc, std::string who) {
    return Deputy(std::move(title), std::move(desc), std::move(who), town);
  };
  auto add = [&](std::string name, std::string location, Category cat, int wan,
                 std::string agency, std::string content,
                 std::vector<Source> sources) {
    Core core =
        MakeCore(name, location, cat, wan, agency,
                 which == 1 ? "柳林镇副镇长 陈立新" : "石门乡副乡长 田晓峰",
                 content, "年底前完工验收", std::move(sources));
    c.push_back(std::move(core));
  };
  if (which == 1) {
    add("柳林镇中心幼儿园户外活动场地改造", "柳林镇中心幼儿园",
        Category::EDUCATION, 85, "柳林镇人民政府",
        "改造户外活动场地2400平方米，铺设塑胶地面，更新大型玩具",
        {deputy("柳林镇中心幼儿园户外活动场地改造",
                "幼儿园操场为水泥地面，孩子活动易摔伤。", "高秀兰")});
    add("镇区主干道路灯亮化工程", "柳林镇镇区", Category::PUBLIC_FACILITIES, 62,
        "柳林镇人民政府", "在镇区主干道安装LED路灯180盏",
        {Resident("镇区主干道路灯亮化工程", "镇区主干道晚上漆黑一片。",
                  Channel::CONTACT_STATION, "柳林镇居民")});
    add("柳林镇卫生院发热门诊改造", "柳林镇卫生院", Category::HEALTH, 120,
        "柳林镇卫生院", "按标准改造发热门诊，配置负压设备",
        {Township("柳林镇卫生院发热门诊改造", "发热门诊设施不达标。",
                  "柳林镇卫生院")});
    add("村级互助养老幸福院建设", "柳林镇5个村", Category::ELDERLY_CARE, 95,
        "柳林镇人民政府", "在5个村建设互助养老幸福院，提供日间照料和助餐",
        {Resident("建议村里办老年幸福院", "村里留守老人多，白天没人照顾。",
                  Channel::DOOR_TO_DOOR, "柳林镇杨柳湾村村民"),
         deputy("关于建设村级互助养老设施的建议",
                "建议在人口较多的村建设互助养老幸福院。", "罗志坚")});
    add("镇农贸市场公厕新建", "柳林镇农贸市场", Category::PUBLIC_FACILITIES, 38,
        "柳林镇人民政府", "在农贸市场新建三类水冲式公厕一座",
        {Resident("镇农贸市场公厕新建", "赶集的人多，附近没有厕所。",
                  Channel::FORUM, "柳林镇群众座谈会")});
    add("河堤休闲步道建设", "柳林河北岸", Category::CULTURE_SPORT, 150,
        "柳林镇人民政府", "沿柳林河北岸建设休闲步道1.8公里",
        {deputy("河堤休闲步道建设", "群众晚饭后散步没有安全的步道。",
                "梁小燕")});
    Core plant =
        MakeCore("镇区污水处理厂建设", "柳林镇镇区", Category::ENVIRONMENT,
                 1800, "", "", "", "",
                 {Resident("镇区污水处理厂建设", "镇区污水直排柳林河。",
                           Channel::GOVERNMENT_WEBSITE)});
    plant.fate = Fate::kRejectedAtParty;
    plant.reason = ReasonCode::MAJOR_ENGINEERING;
    plant.reason_text = "投资超过镇级财力，已报县住建局纳入县级污水治理项目";
    c.push_back(plant);
    Core parking = MakeCore(
        "集镇停车场建设", "柳林镇镇区", Category::PUBLIC_FACILITIES, 70, "", "",
        "", "", {deputy("集镇停车场建设", "逢集日车辆堵塞。", "宋春来")});
    parking.fate = Fate::kRejectedAtStanding;
    parking.reason = ReasonCode::LAND_NOT_SECURED;
    parking.reason_text = "经主席团审查，拟用地块权属存在争议，暂缓实施";
    c.push_back(parking);
  } else {
    add("石门乡集镇饮用水管网改造", "石门乡集镇", Category::PUBLIC_FACILITIES,
        110, "石门乡人民政府", "更换集镇老旧供水管网6.5公里",
        {Resident("集镇自来水经常停水", "集镇供水管网老化，经常停水。",
                  Channel::CONTACT_STATION, "石门乡集镇居民"),
         deputy("关于改造集镇供水管网的建议", "建议整体更换集镇供水管网。",
                "田茂林")});
    add("乡村道路安全护栏安装", "石门乡6个村", Category::TRANSPORT, 75,
        "石门乡人民政府", "在临崖路段安装波形护栏12公里",
        {deputy("乡村道路安全护栏安装", "进村公路临崖路段没有护栏。",
                "向红梅")});
    add("石门乡中心小学学生宿舍改造", "石门乡中心小学", Category::EDUCATION, 90,
        "石门乡中心小学", "改造学生宿舍1200平方米，增设淋浴和热水",
        {Township("石门乡中心小学学生宿舍改造", "寄宿生宿舍拥挤，没有热水。",
                  "石门乡中心小学")});
    add("村卫生室标准化建设", "石门乡3个村", Category::HEALTH, 45,
        "石门乡卫生院", "3个村卫生室按标准新建或改造",
        {Resident("村卫生室标准化建设", "村卫生室在村医家里，条件简陋。",
                  Channel::DOOR_TO_DOOR, "石门乡村民")});
    add("乡文化广场健身器材更新", "石门乡文化广场", Category::CULTURE_SPORT, 20,
        "石门乡人民政府", "更新健身器材40件",
        {Resident("乡文化广场健身器材更新", "广场健身器材坏了很多。",
                  Channel::WECHAT)});
    Core road = MakeCore("石门至双龙断头路打通", "石门乡", Category::TRANSPORT,
                         900, "", "", "", "",
                         {deputy("石门至双龙断头路打通",
                                 "两乡之间断头路绕行20公里。", "覃大勇")});
    road.fate = Fate::kRejectedAtParty;
    road.reason = ReasonCode::FUNDING_NOT_SECURED;
    road.reason_text = "投资超出乡级财力，已报县交通运输局争取上级资金";
    c.push_back(road);
    Core market =
        MakeCore("集贸市场搬迁新建", "石门乡", Category::PUBLIC_FACILITIES, 200,
                 "", "", "", "",
                 {Resident("集贸市场搬迁新建", "集贸市场占道经营，堵塞交通。",
                           Channel::FORUM, "石门乡群众座谈会")});
    market.fate = Fate::kRejectedAtStanding;
    market.reason = ReasonCode::LAND_NOT_SECURED;
    market.reason_text = "经主席团审查，新址用地尚未取得，年内无法完成";
    c.push_back(market);
  }
  return c;
}

std::string Replace(std::string text, std::string_view key,
                    const std::string& value) {
  for (size_t at = text.find(key); at != std::string::npos;
       at = text.find(key, at + value.size())) {
    text.replace(at, key.size(), value);
  }
  return text;
}

// A deterministic pseudo-random sequence (splitmix64) for laying ballots
// into boxes; the story needs variety, not secrecy.
class Mixer {
 public:
  explicit Mixer(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Next() % i]);
  }

 private:
  uint64_t state_;
};

void SetDate(schema::Date::Builder b, int y, int m, int d) {
  b.setYear(static_cast<uint16_t>(y));
  b.setMonth(static_cast<uint8_t>(m));
  b.setDay(static_cast<uint8_t>(d));
}

void SetTexts(capnp::List<capnp::Text>::Builder list,
              const std::vector<std::string>& texts) {
  for (size_t i = 0; i < texts.size(); ++i) list.set(i, texts[i]);
}

void SetRefs(capnp::List<uint64_t>::Builder list,
             const std::vector<uint64_t>& refs) {
  for (size_t i = 0; i < refs.size(); ++i) list.set(i, refs[i]);
}

void SetAllEligible(schema::Eligibility::Builder e) {
  e.setOwnBudget(true);
  e.setBroadBenefit(true);
  e.setCompletableInYear(true);
  e.setNotMajorEngineering(true);
  e.setLandPolicyFundingSecured(true);
}

// The eligibility a reviewer records with a decision for `reason`.
void SetEligibility(schema::Eligibility::Builder e, ReasonCode reason) {
  SetAllEligible(e);
  switch (reason) {
    case ReasonCode::FUNDED_BY_HIGHER_LEVEL:
      e.setOwnBudget(false);
      break;
    case ReasonCode::NOT_BROAD_BENEFIT:
    case ReasonCode::OUT_OF_SCOPE:
      e.setBroadBenefit(false);
      break;
    case ReasonCode::NOT_COMPLETABLE_IN_YEAR:
      e.setCompletableInYear(false);
      break;
    case ReasonCode::MAJOR_ENGINEERING:
      e.setNotMajorEngineering(false);
      e.setCompletableInYear(false);
      break;
    case ReasonCode::LAND_NOT_SECURED:
    case ReasonCode::POLICY_NOT_SECURED:
    case ReasonCode::FUNDING_NOT_SECURED:
      e.setLandPolicyFundingSecured(false);
      break;
    default:
      break;
  }
}

crypto::Hash EvidenceHash(const std::string& what) {
  return crypto::Sha256(crypto::AsBytes("清河县民生实事项目附件/" + what));
}

// ---------------------------------------------------------------------------
// The teller.

class Story {
 public:
  Story(Writer& w, Landmarks* landmarks) : w_(w), landmarks_(*landmarks) {}
  Status Tell();

 private:
  // A proposal as it is submitted, in one of the three cycles.
  struct Submission {
    int place = 0;
    int64_t at = 0;
    Source source;
    std::string location;
    Category category = Category::OTHER;
    int64_t fen = 0;
    FundingSource funding = FundingSource::OWN_BUDGET;
    std::string funding_note;
    int core = -1;  // index into cores_[place], or -1 (ordinary)
    const Template* tmpl = nullptr;
    uint64_t ref = 0;
  };
  // What became of a cycle's proposals.
  struct CycleStory {
    uint64_t cycle = 0;
    std::vector<Core> cores;
    std::vector<std::vector<uint64_t>> core_sources;  // per core
    std::vector<uint64_t> core_refs;           // the proposal screened per core
    std::vector<uint64_t> rejected_at_review;  // ordinary, in log order
    std::map<uint64_t, const Template*> templates;
    uint64_t vote = 0;
    uint64_t round = 0;
    uint64_t votes_after = 0;          // the satisfaction vote
    std::vector<uint64_t> candidates;  // ballot order
    std::vector<uint64_t> elected;     // rank order
    std::map<uint64_t, int> core_of;   // project ref -> core index
  };

  const crypto::KeyPair& Key(Role role, int place) {
    const std::string name = ledger::RoleName(role) + "@" + kPlaces[place].code;
    auto it = keys_.find(name);
    if (it == keys_.end()) {
      it = keys_.emplace(name, AuthorKey(role, kPlaces[place].code).key_pair)
               .first;
    }
    return it->second;
  }
  uint64_t Emit(Stage stage, int64_t at, Role role, int place,
                const std::function<void(schema::Event::Builder)>& fill) {
    return w_.Emit(stage, at, Key(role, place), kPlaces[place].code, fill);
  }
  uint64_t EmitRoot(Stage stage, int64_t at,
                    const std::function<void(schema::Event::Builder)>& fill) {
    return w_.Emit(stage, at, root_, "", fill);
  }

  void Deployment();
  void OpenCycles();
  void Collection();
  void Merges(int place, int64_t at);
  void GovernmentReview(int place, int64_t from, int days);
  void LaterReview(int place, int stage, int64_t at);
  void CandidateList(int place, int64_t at, int sent_day);
  Status Vote(int place, int64_t day);
  Status RecordBoxes(Stage stage, int place, uint64_t round, int64_t at,
                     const std::vector<BoxFacts>& boxes,
                     std::vector<std::string> valid, size_t width,
                     uint64_t seed, int64_t* t);
  void Supervision();
  Status Evaluation();
  Status SatisfactionVote(int place, int64_t day);

  Writer& w_;
  Landmarks& landmarks_;
  crypto::KeyPair root_ = RootKey().key_pair;
  std::map<std::string, crypto::KeyPair> keys_;
  CycleStory cycles_[3];
  std::vector<uint64_t> rectification_orders_;
};

void Story::Deployment() {
  const int64_t t0 = CstMs(2024, 8, 20, 9, 0);
  EmitRoot(Stage::kCollection, t0, [&](schema::Event::Builder e) {
    auto g = e.initGenesis();
    g.setOrigin(kOrigin);
    const auto pub = root_.public_key;
    g.setRootKey(capnp::Data::Reader(pub.data(), pub.size()));
    g.setFormatVersion(ledger::kFormatVersion);
    g.setDeploymentName("清河县人大常委会民生实事项目票决账本（演示）");
    g.setCheckpointKey(
        note::FormatVerifierKey(kOrigin, LogKey().key_pair.public_key));
  });
  for (int p = 0; p < 3; ++p) {
    EmitRoot(
        Stage::kCollection, t0 + (p + 1) * kMinute,
        [&](schema::Event::Builder e) {
          auto j = e.initJurisdictionRegistered();
          j.setCode(kPlaces[p].code);
          j.setName(kPlaces[p].name);
          j.setLevel(p == 0 ? schema::Level::COUNTY : schema::Level::TOWNSHIP);
          j.setParentCode(p == 0 ? "" : kCountyCode);
        });
  }
  int64_t t = t0 + 10 * kMinute;
  for (int p = 0; p < 3; ++p) {
    const std::string n = kPlaces[p].name;
    const bool county = p == 0;
    const std::map<Role, std::string> holders = {
        {Role::GOVERNMENT_OFFICE,
         county ? "清河县发展和改革局（民生实事项目票决制协调办公室）"
                : n + "人民政府党政综合办公室"},
        {Role::PARTY_COMMITTEE, "中共" + n + "委员会"},
        {Role::STANDING_COMMITTEE,
         county ? "清河县人大常委会" : n + "人大主席团"},
        {Role::SECRETARIAT, n + "人民代表大会秘书处"},
        {Role::TELLER, n + "人民代表大会计票组"},
        {Role::MONITOR, n + "人民代表大会监票组"},
        {Role::IMPLEMENTING_AGENCY,
         county ? "清河县民生实事项目责任单位（县教育局、县交通运输局等）"
                : n + "民生实事项目责任单位"},
        {Role::INSPECTION_GROUP, n + "人大代表视察组"},
        {Role::EVALUATION_GROUP, n + "民生实事项目评估小组"},
        {Role::PUBLIC_INTAKE,
         county ? "清河县民生实事项目征集平台（政府网站、“清河发布”微信公众号"
                  "、代表联络站）"
                : n + "民生实事项目征集点（便民服务中心、代表联络站）"},
    };
    for (const auto& [role, holder] : holders) {
      const crypto::PublicKey key = Key(role, p).public_key;
      EmitRoot(Stage::kCollection, t, [&](schema::Event::Builder e) {
        auto k = e.initKeyRegistered();
        k.setKey(capnp::Data::Reader(key.data(), key.size()));
        k.setRole(role);
        k.setJurisdiction(kPlaces[p].code);
        k.setHolder(holder);
      });
      t += kMinute;
    }
  }
}

void Story::OpenCycles() {
  struct Call {
    int year_budget_wan;
    int projects;
    int start_month, start_day, end_month, end_day;
  };
  const Call calls[3] = {{12000, 10, 9, 1, 11, 30},
                         {560, 5, 9, 10, 11, 20},
                         {380, 4, 9, 10, 11, 20}};
  for (int p = 0; p < 3; ++p) {
    const Call& c = calls[p];
    cycles_[p].cycle = Emit(
        Stage::kCollection, CstMs(2024, 8, 28 + p, 10, 0),
        Role::GOVERNMENT_OFFICE, p, [&](schema::Event::Builder e) {
          auto o = e.initCycleOpened();
          o.setYear(2025);
          o.setLevel(p == 0 ? schema::Level::COUNTY : schema::Level::TOWNSHIP);
          o.setTitle(std::string(kPlaces[p].name) + "2025年民生实事项目");
          o.setBudgetFen(int64_t{c.year_budget_wan} * kFenPerWan);
          o.setProjectCount(static_cast<uint16_t>(c.projects));
          SetDate(o.initCollectionStart(), 2024, c.start_month, c.start_day);
          SetDate(o.initCollectionEnd(), 2024, c.end_month, c.end_day);
          o.setScope(
              "以本级财政资金投入为主、普惠性和社会公益性强、年内能够完成"
              "的教育、医疗卫生、养老托育、交通、文化体育、公共设施、就业"
              "和社会保障、生态环境等民生项目；中央和省级资金为主的项目、"
              "重大工程和产业项目、用地政策资金未落实的项目不列入。");
          // Empty schedule: the default milestones (06-15 start, 50% by
          // 07-31, 75% by 10-31, accepted by 12-31).
        });
  }
}

void Story::Collection() {
  std::vector<Submission> all;
  for (int p = 0; p < 3; ++p) {
    CycleStory& cs = cycles_[p];
    cs.cores = p == 0 ? CountyCores() : TownshipCores(p);
    cs.core_sources.assign(cs.cores.size(), {});
    const int total = p == 0 ? kCountyProposals : kTownshipProposals;
    int core_sources = 0;
    for (const Core& c : cs.cores) core_sources += c.sources.size();
    const int ordinary = total - core_sources;
    // Core sources are spread among the ordinary ones.
    std::vector<std::pair<int, int>> core_slots;  // (core, source)
    for (size_t c = 0; c < cs.cores.size(); ++c) {
      for (size_t s = 0; s < cs.cores[c].sources.size(); ++s) {
        core_slots.emplace_back(static_cast<int>(c), static_cast<int>(s));
      }
    }
    const int64_t start =
        p == 0 ? CstMs(2024, 9, 1, 8, 30) : CstMs(2024, 9, 10, 8, 30);
    const int64_t end =
        p == 0 ? CstMs(2024, 11, 30, 17, 30) : CstMs(2024, 11, 20, 17, 30);
    // Core source j arrives as submission 3 + j * (total - 3) / n.
    const int n = static_cast<int>(core_slots.size());
    size_t next_core = 0;
    int next_ordinary = 0;
    for (int k = 0; k < total; ++k) {
      Submission s;
      s.place = p;
      s.at = start + (end - start) * k / total;
      const int j = static_cast<int>(next_core);
      const bool core_turn =
          j < n && (k == 3 + j * (total - 3) / n || next_ordinary >= ordinary);
      if (core_turn) {
        const auto [c, src] = core_slots[next_core++];
        const Core& core = cs.cores[c];
        s.core = c;
        s.source = core.sources[src];
        s.location = core.location;
        s.category = core.category;
        // Each source asks for its share of what the merged project costs.
        s.fen = int64_t{core.wan} * kFenPerWan /
                static_cast<int64_t>(core.sources.size());
        s.funding = core.reason == ReasonCode::FUNDED_BY_HIGHER_LEVEL
                        ? FundingSource::CENTRAL_OR_PROVINCIAL
                        : FundingSource::OWN_BUDGET;
      } else {
        const int o = next_ordinary++;
        const Template& t = kTemplates[(o * 7 + p) % kTemplateCount];
        std::string town = p == 0 ? kTowns[o % 8] : kPlaces[p].name;
        std::string place;
        switch (t.place_kind) {
          case 'v':
            place = town + kVillages[(o * 11 + p * 5) % 30];
            break;
          case 'c':
            place = p == 0 ? std::string("县城") + kCommunities[o % 8]
                           : town + "集镇社区";
            break;
          default:
            place = town;
        }
        s.tmpl = &t;
        s.location = t.place_kind == 'v' ? place + "村" : place;
        s.category = t.category;
        s.fen = int64_t{t.wan} * (90 + (o * 37) % 21) * (kFenPerWan / 100);
        s.funding = t.funding;
        if (t.funding == FundingSource::CENTRAL_OR_PROVINCIAL) {
          s.funding_note = "拟申请中央、省级补助资金";
        }
        std::string title = Replace(t.title, "{p}", place);
        std::string desc = Replace(t.description, "{p}", place);
        switch (o % 10) {
          case 0:
          case 1:
            s.source = Resident(title, desc, Channel::GOVERNMENT_WEBSITE);
            break;
          case 2:
            s.source = Resident(title, desc, Channel::WECHAT, town + "群众");
            break;
          case 3:
            s.source = Resident(title, desc, Channel::CONTACT_STATION,
                                s.location + "居民");
            break;
          case 4:
            s.source = Resident(title, desc, Channel::DOOR_TO_DOOR,
                                s.location + "群众（入户走访）");
            break;
          case 5:
            s.source =
                Resident(title, desc, Channel::FORUM, town + "群众代表座谈会");
            break;
          case 6:
          case 7:
            s.source = Deputy(title, desc, kDeputies[o % 20],
                              p == 0 ? "县" : std::string(kPlaces[p].name));
            break;
          case 8:
            s.source = p == 0 ? Cppcc(title, desc, kCppcc[o % 8])
                              : Resident(title, desc, Channel::WECHAT);
            break;
          default:
            s.source = (o / 10) % 2 == 0 && p == 0
                           ? Department(title, desc, kDepartments[o % 8])
                           : Township(title, desc,
                                      p == 0 ? town + "人民政府"
                                             : std::string(kVillages[o % 30]) +
                                                   "村民委员会");
        }
      }
      all.push_back(std::move(s));
    }
  }
  std::stable_sort(
      all.begin(), all.end(),
      [](const Submission& a, const Submission& b) { return a.at < b.at; });
  int receipts[3] = {0, 0, 0};
  for (Submission& s : all) {
    const int p = s.place;
    // Residents' channels come in through the public intake; deputies',
    // CPPCC members', departments' and townships' through the office.
    const bool intake = s.source.proposer == ProposerType::RESIDENT;
    char receipt[32];
    std::snprintf(receipt, sizeof(receipt), "%s2024-%04d",
                  kPlaces[p].receipt_prefix, ++receipts[p]);
    s.ref = Emit(Stage::kCollection, s.at,
                 intake ? Role::PUBLIC_INTAKE : Role::GOVERNMENT_OFFICE, p,
                 [&](schema::Event::Builder e) {
                   auto ps = e.initProposalSubmitted();
                   ps.setCycle(cycles_[p].cycle);
                   auto d = ps.initDetails();
                   d.setTitle(s.source.title);
                   d.setDescription(s.source.description);
                   d.setCategory(s.category);
                   d.setLocation(s.location);
                   d.setEstimatedInvestmentFen(s.fen);
                   d.setFundingSource(s.funding);
                   d.setFundingNote(s.funding_note);
                   SetDate(d.initExpectedCompletion(), 2025, 12, 31);
                   ps.setProposerType(s.source.proposer);
                   ps.setProposerName(s.source.proposer_name);
                   ps.setChannel(s.source.channel);
                   ps.setReceiptRef(receipt);
                 });
    CycleStory& cs = cycles_[p];
    if (s.core >= 0) {
      cs.core_sources[s.core].push_back(s.ref);
    } else {
      cs.rejected_at_review.push_back(s.ref);
      cs.templates[s.ref] = s.tmpl;
    }
  }
  for (CycleStory& cs : cycles_) {
    cs.core_refs.resize(cs.cores.size());
    for (size_t c = 0; c < cs.cores.size(); ++c) {
      cs.core_refs[c] = cs.core_sources[c].front();
    }
  }
}

void Story::Merges(int place, int64_t at) {
  CycleStory& cs = cycles_[place];
  for (size_t c = 0; c < cs.cores.size(); ++c) {
    const Core& core = cs.cores[c];
    if (core.sources.size() < 2) continue;
    cs.core_refs[c] = Emit(
        Stage::kScreening, at, Role::GOVERNMENT_OFFICE, place,
        [&](schema::Event::Builder e) {
          auto m = e.initProposalsMerged();
          m.setCycle(cs.cycle);
          SetRefs(m.initSources(cs.core_sources[c].size()), cs.core_sources[c]);
          auto d = m.initDetails();
          d.setTitle(core.name);
          d.setDescription(core.content);
          d.setCategory(core.category);
          d.setLocation(core.location);
          d.setEstimatedInvestmentFen(int64_t{core.wan} * kFenPerWan);
          d.setFundingSource(FundingSource::OWN_BUDGET);
          d.setFundingNote("县级财政预算安排");
          SetDate(d.initExpectedCompletion(), 2025, 12, 31);
          m.setReason("内容相近的" + std::to_string(core.sources.size()) +
                      "件建议归并为一个项目，各来源建议保留可查");
        });
    at += 20 * kMinute;
  }
}

void Story::GovernmentReview(int place, int64_t from, int days) {
  CycleStory& cs = cycles_[place];
  // Every proposal still standing, in log order.
  std::vector<std::pair<uint64_t, int>> queue;  // (ref, core or -1)
  for (uint64_t r : cs.rejected_at_review) queue.emplace_back(r, -1);
  for (size_t c = 0; c < cs.cores.size(); ++c) {
    queue.emplace_back(cs.core_refs[c], static_cast<int>(c));
  }
  std::sort(queue.begin(), queue.end());
  const int per_day =
      static_cast<int>((queue.size() + static_cast<size_t>(days) - 1) / days);
  for (size_t i = 0; i < queue.size(); ++i) {
    const auto [ref, core] = queue[i];
    const int64_t at = from + static_cast<int64_t>(i / per_day) * 86'400'000 +
                       static_cast<int64_t>(i % per_day) * 8 * kMinute;
    const Template* t = core < 0 ? cs.templates.at(ref) : nullptr;
    Emit(Stage::kScreening, at, Role::GOVERNMENT_OFFICE, place,
         [&](schema::Event::Builder e) {
           auto s = e.initScreeningDecided();
           s.setProposal(ref);
           s.setStage(schema::ScreeningStage::GOVERNMENT_REVIEW);
           if (t == nullptr) {
             s.setOutcome(schema::ScreeningOutcome::ADVANCE);
             s.setReasonCode(ReasonCode::MEETS_CRITERIA);
             s.setReasonText(
                 "群众需求集中，符合民生实事项目征集范围，提交党委审定");
             SetAllEligible(s.initEligibility());
           } else {
             s.setOutcome(schema::ScreeningOutcome::REJECT);
             s.setReasonCode(t->reason);
             s.setReasonText(t->reason_text);
             SetEligibility(s.initEligibility(), t->reason);
           }
         });
  }
}

void Story::LaterReview(int place, int stage, int64_t at) {
  CycleStory& cs = cycles_[place];
  const bool party = stage == 2;
  for (size_t c = 0; c < cs.cores.size(); ++c) {
    const Core& core = cs.cores[c];
    if (!party && core.fate == Fate::kRejectedAtParty) continue;
    const bool reject = party ? core.fate == Fate::kRejectedAtParty
                              : core.fate == Fate::kRejectedAtStanding;
    Emit(Stage::kScreening, at,
         party ? Role::PARTY_COMMITTEE : Role::STANDING_COMMITTEE, place,
         [&](schema::Event::Builder e) {
           auto s = e.initScreeningDecided();
           s.setProposal(cs.core_refs[c]);
           s.setStage(
               party ? schema::ScreeningStage::PARTY_COMMITTEE_APPROVAL
                     : schema::ScreeningStage::STANDING_COMMITTEE_EXAMINATION);
           if (reject) {
             s.setOutcome(schema::ScreeningOutcome::REJECT);
             s.setReasonCode(core.reason);
             s.setReasonText(core.reason_text);
             SetEligibility(s.initEligibility(), core.reason);
           } else {
             s.setOutcome(schema::ScreeningOutcome::ADVANCE);
             s.setReasonCode(ReasonCode::MEETS_CRITERIA);
             s.setReasonText(party ? "经党委会议研究，同意列为候选项目"
                                   : "经审查，同意提请人民代表大会票决");
             SetAllEligible(s.initEligibility());
           }
         });
    at += 6 * kMinute;
  }
}

void Story::CandidateList(int place, int64_t at, int sent_day) {
  CycleStory& cs = cycles_[place];
  std::vector<size_t> list;
  for (size_t c = 0; c < cs.cores.size(); ++c) {
    if (cs.cores[c].fate == Fate::kCandidate) list.push_back(c);
  }
  for (size_t c : list) {
    cs.candidates.push_back(cs.core_refs[c]);
    cs.core_of[cs.core_refs[c]] = static_cast<int>(c);
  }
  Emit(Stage::kScreening, at, Role::STANDING_COMMITTEE, place,
       [&](schema::Event::Builder e) {
         auto l = e.initCandidateListFixed();
         l.setCycle(cs.cycle);
         auto out = l.initCandidates(list.size());
         for (size_t i = 0; i < list.size(); ++i) {
           const Core& core = cs.cores[list[i]];
           out[i].setProposal(cs.core_refs[list[i]]);
           out[i].setName(core.name);
           out[i].setContent(core.content);
           out[i].setImplementingAgency(core.agency);
           out[i].setInvestmentFen(int64_t{core.wan} * kFenPerWan);
           out[i].setRequirements(core.requirements);
         }
         SetDate(l.initSentToDeputiesOn(), 2025, 1, sent_day);
       });
}

}  // namespace

Result<std::vector<std::string>> LayOutSelectionBallots(
    const SelectionFacts& f) {
  uint32_t valid = 0;
  for (const BoxFacts& b : f.boxes) {
    valid += b.collected - b.over_approving - b.unreadable;
  }
  const size_t n = f.candidates.size();
  if (valid == 0 || f.approve.size() != n || f.oppose.size() != n) {
    return InvalidArgument("the ballot design of " + f.jurisdiction +
                           " does not match its candidates");
  }
  std::vector<std::string> ballots(
      valid, std::string(n, static_cast<char>(projections::kMarkAbstain)));
  // Candidate i's approvals fill the next approve[i] ballots round the
  // circle, so that every ballot gets floor or ceil of the mean number of
  // approvals; its oppositions follow its approvals.
  uint32_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    if (f.approve[i] + f.oppose[i] > valid) {
      return InvalidArgument("candidate " + f.candidates[i] +
                             " has more marks than valid ballots");
    }
    for (uint32_t j = 0; j < f.approve[i]; ++j) {
      ballots[(offset + j) % valid][i] =
          static_cast<char>(projections::kMarkApprove);
    }
    for (uint32_t j = 0; j < f.oppose[i]; ++j) {
      ballots[(offset + f.approve[i] + j) % valid][i] =
          static_cast<char>(projections::kMarkOppose);
    }
    offset = (offset + f.approve[i]) % valid;
  }
  for (const std::string& b : ballots) {
    const auto approvals = std::count(
        b.begin(), b.end(), static_cast<char>(projections::kMarkApprove));
    if (approvals > f.seats) {
      return InvalidArgument("the ballot design of " + f.jurisdiction +
                             " needs a ballot approving more than " +
                             std::to_string(f.seats) + " candidates");
    }
  }
  return ballots;
}

namespace {

// Sorts each box's ballots, splits them into parts and records them.
Status Story::RecordBoxes(Stage stage, int place, uint64_t round, int64_t at,
                          const std::vector<BoxFacts>& boxes,
                          std::vector<std::string> valid, size_t width,
                          uint64_t seed, int64_t* t) {
  Mixer mixer(seed);
  mixer.Shuffle(valid);
  const std::vector<std::string> monitors = {"监票人 张卫东", "监票人 李春燕",
                                             "监票人 王德胜"};
  std::vector<uint64_t> box_refs;
  for (const BoxFacts& b : boxes) {
    box_refs.push_back(
        Emit(stage, at, Role::MONITOR, place, [&](schema::Event::Builder e) {
          auto s = e.initBallotBoxSealed();
          s.setRound(round);
          s.setLabel(b.label);
          SetTexts(s.initMonitors(monitors.size()), monitors);
        }));
    at += kMinute;
  }
  at += 90 * kMinute;  // the vote itself
  size_t next = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const BoxFacts& b = boxes[i];
    Emit(stage, at, Role::MONITOR, place, [&](schema::Event::Builder e) {
      auto o = e.initBallotBoxOpened();
      o.setBox(box_refs[i]);
      o.setIssued(b.issued);
      o.setCollected(b.collected);
      SetTexts(o.initMonitors(monitors.size()), monitors);
    });
    at += 2 * kMinute;
    const uint32_t readable = b.collected - b.unreadable;
    const uint32_t valid_here = readable - b.over_approving;
    if (next + valid_here > valid.size()) {
      return InvalidArgument("the boxes hold more valid ballots than laid out");
    }
    std::vector<std::string> here(valid.begin() + next,
                                  valid.begin() + next + valid_here);
    next += valid_here;
    for (uint32_t k = 0; k < b.over_approving; ++k) {
      // A ballot that approves every candidate: more than the seats.
      here.emplace_back(width, static_cast<char>(projections::kMarkApprove));
    }
    std::sort(here.begin(), here.end());
    const size_t per_part_max = std::max<size_t>(1, kMaxMarksPerPart / width);
    const size_t parts = std::max<size_t>(
        b.parts, (here.size() + per_part_max - 1) / per_part_max);
    for (size_t part = 0; part < parts; ++part) {
      const size_t from = here.size() * part / parts;
      const size_t to = here.size() * (part + 1) / parts;
      std::string marks;
      for (size_t k = from; k < to; ++k) marks += here[k];
      Emit(stage, at, Role::TELLER, place, [&](schema::Event::Builder e) {
        auto r = e.initBallotsRecorded();
        r.setBox(box_refs[i]);
        r.setPart(static_cast<uint16_t>(part + 1));
        r.setPartCount(static_cast<uint16_t>(parts));
        r.setItemCount(static_cast<uint16_t>(width));
        r.setMarks(capnp::Data::Reader(
            reinterpret_cast<const uint8_t*>(marks.data()), marks.size()));
        r.setUnreadable(part == 0 ? b.unreadable : 0);
      });
      at += kMinute;
    }
  }
  if (next != valid.size()) {
    return InvalidArgument("the boxes hold fewer valid ballots than laid out");
  }
  *t = at;
  return Status::Ok();
}

Status Story::Vote(int place, int64_t day) {
  CycleStory& cs = cycles_[place];
  const SelectionFacts& f = SelectionVotes()[place];
  if (f.candidates.size() != cs.candidates.size()) {
    return InvalidArgument("the vote table of " + f.jurisdiction +
                           " does not match its candidate list");
  }
  const bool county = place == 0;
  int64_t at = day;
  cs.vote = Emit(
      Stage::kVote, at, Role::STANDING_COMMITTEE, place,
      [&](schema::Event::Builder e) {
        auto v = e.initVotingRulesAdopted();
        v.setCycle(cs.cycle);
        v.setPurpose(schema::VotePurpose::PROJECT_SELECTION);
        v.setSeats(f.seats);
        v.setExtraCandidates(
            static_cast<uint16_t>(f.candidates.size() - f.seats));
        v.setEntitledDeputies(f.entitled);
        auto q = v.initQuorum();
        q.setNumerator(2);
        q.setDenominator(3);
        v.setPassBase(schema::PassBase::ENTITLED);
        v.setTieRule(schema::TieRule::FURTHER_ROUND);
        v.setShortfallRule(county ? schema::ShortfallRule::LEAVE_VACANT
                                  : schema::ShortfallRule::FURTHER_ROUND);
        v.setMaxApprovals(f.seats);
        const auto d = projections::DateFromMs(at);
        SetDate(v.initAdoptedOn(), d.year, d.month, d.day);
        v.setText(
            f.congress + "民生实事项目票决办法：候选项目" +
            std::to_string(f.candidates.size()) + "个，差额" +
            std::to_string(f.candidates.size() - f.seats) + "个，票决产生" +
            std::to_string(f.seats) +
            "个；采用无记名投票方式，每张选票赞成的项目不得多于" +
            std::to_string(f.seats) +
            "个，多于的为废票；实到代表须超过应到代表的三分之二；候选项目获得"
            "全体代表过半数赞成票始得通过，按得票多少依次确定；末位得票相等"
            "时，就得票相等的项目再次投票；票决结果当场宣布并由主席团公布。");
      });
  at += 2 * 60 * kMinute;
  Emit(Stage::kVote, at, Role::SECRETARIAT, place,
       [&](schema::Event::Builder e) {
         auto d = e.initDeliberationRecorded();
         d.setCycle(cs.cycle);
         d.setSession(county ? "各代表团分组审议" : "代表分组审议");
         const auto date = projections::DateFromMs(at);
         SetDate(d.initHeldOn(), date.year, date.month, date.day);
         d.setSummary(
             "政府负责同志逐项说明候选项目的建设内容、投资和实施单位；代表分组"
             "审议，相关部门负责人到会听取意见、回答询问。代表重点关注幼儿园学"
             "位、农村公路安全和老年助餐的覆盖范围。");
       });
  // The county votes two days later; a township the same afternoon.
  at = county ? at + 46 * 60 * kMinute : at + 3 * 60 * kMinute;
  cs.round = Emit(Stage::kVote, at, Role::SECRETARIAT, place,
                  [&](schema::Event::Builder e) {
                    auto r = e.initRoundOpened();
                    r.setVote(cs.vote);
                    r.setRound(1);
                    SetRefs(r.initItems(cs.candidates.size()), cs.candidates);
                    r.setSeats(f.seats);
                    r.setPresentDeputies(f.present);
                  });
  at += 5 * kMinute;
  ASSIGN_OR_RETURN(std::vector<std::string> ballots, LayOutSelectionBallots(f));
  RETURN_IF_ERROR(RecordBoxes(Stage::kVote, place, cs.round, at, f.boxes,
                              std::move(ballots), f.candidates.size(),
                              2025'0100 + place, &at));
  uint32_t issued = 0, collected = 0, invalid = 0;
  for (const BoxFacts& b : f.boxes) {
    issued += b.issued;
    collected += b.collected;
    invalid += b.over_approving + b.unreadable;
  }
  const uint32_t valid = collected - invalid;
  at += 10 * kMinute;
  Emit(Stage::kVote, at, Role::MONITOR, place, [&](schema::Event::Builder e) {
    auto t = e.initTallyCertified();
    t.setRound(cs.round);
    t.setIssued(issued);
    t.setCollected(collected);
    t.setValid(valid);
    t.setInvalid(invalid);
    auto items = t.initItems(f.candidates.size());
    for (size_t i = 0; i < f.candidates.size(); ++i) {
      items[i].setItem(cs.candidates[i]);
      items[i].setApprove(f.approve[i]);
      items[i].setOppose(f.oppose[i]);
      items[i].setAbstain(valid - f.approve[i] - f.oppose[i]);
    }
    SetTexts(t.initCertifiedBy(5),
             {"总计票人 周建国", "计票人 林小华", "总监票人 张卫东",
              "监票人 李春燕", "监票人 王德胜"});
  });
  // Passing candidates (more than half of the entitled deputies), most
  // approvals first, fill the seats.
  std::vector<size_t> order(f.candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return f.approve[a] > f.approve[b];
  });
  for (size_t i : order) {
    if (uint64_t{f.approve[i]} * 2 > f.entitled &&
        cs.elected.size() < f.seats) {
      cs.elected.push_back(cs.candidates[i]);
    }
  }
  at += 10 * kMinute;
  Emit(Stage::kVote, at, Role::SECRETARIAT, place,
       [&](schema::Event::Builder e) {
         auto r = e.initResultAnnounced();
         r.setRound(cs.round);
         SetRefs(r.initElected(cs.elected.size()), cs.elected);
         r.setVacantSeats(static_cast<uint16_t>(f.seats - cs.elected.size()));
         const auto d = projections::DateFromMs(at);
         SetDate(r.initAnnouncedOn(), d.year, d.month, d.day);
       });
  return Status::Ok();
}

// --- supervision ------------------------------------------------------------

namespace {

// Monthly progress, basis points, for the reports as of the ends of March
// to December.
using Curve = std::array<uint16_t, 10>;

Curve DefaultCurve(size_t i) {
  Curve c = {0, 900, 2100, 3600, 5600, 6700, 7600, 8300, 9500, 10000};
  const auto lift = static_cast<uint16_t>((i % 4) * 150);
  if (i % 2 == 0) c[0] = 300;
  for (size_t m = 1; m + 1 < c.size(); ++m) c[m] += lift;
  return c;
}

std::string Narrative(const std::string& content, uint16_t bp, bool late) {
  const std::string pct = std::to_string(bp / 100) + "%";
  if (bp == 0) return "已完成立项、设计和招标准备工作，尚未开工。";
  if (bp < 1000)
    return "已完成招标，施工单位进场，实质性开工。累计完成" + pct + "。";
  if (bp >= 10000) return "工程全部完工，" + content + "。累计完成100%。";
  std::string text = "按计划推进：" + content + "。累计完成" + pct + "。";
  if (late) text += "受摊位过渡安置影响进度滞后，已制定赶工计划。";
  return text;
}

}  // namespace

void Story::Supervision() {
  struct Project {
    int place;
    size_t index;  // in the elected order of its cycle
    uint64_t ref;
    const Core* core;
    Curve curve;
    int64_t budget_fen;
  };
  std::vector<Project> projects;
  for (int p = 0; p < 3; ++p) {
    CycleStory& cs = cycles_[p];
    for (size_t i = 0; i < cs.elected.size(); ++i) {
      const Core& core = cs.cores[cs.core_of.at(cs.elected[i])];
      Curve curve = DefaultCurve(i + static_cast<size_t>(p));
      if (core.name == kLateProject) {
        curve = {0, 0, 300, 1500, 3800, 5200, 6500, 7800, 9200, 10000};
      } else if (core.name == kCorrectedProject) {
        curve = {0,    1000, kCorrectedPercentBp, 4000, 5500, 6800, 7700, 8500,
                 9600, 10000};
      } else if (core.name == kAdjustedProject) {
        curve = {0, 800, 2000, 3500, 5100, 5600, 6500, 7700, 9000, 10000};
      }
      projects.push_back(
          {p, i, cs.elected[i], &core, curve, int64_t{core.wan} * kFenPerWan});
    }
  }
  struct Act {
    int64_t at;
    std::function<void()> run;
  };
  std::vector<Act> acts;
  auto add = [&](int64_t at, std::function<void()> run) {
    acts.push_back({at, std::move(run)});
  };
  const Stage kS = Stage::kSupervision;

  for (const Project& pr : projects) {
    const int64_t day = pr.place == 0 ? CstMs(2025, 2, 20, 9, 0)
                                      : CstMs(2025, 2, 26, 9 + 3 * pr.place, 0);
    const int64_t at = day + static_cast<int64_t>(pr.index) * 10 * kMinute;
    add(at, [this, &pr, at] {
      Emit(Stage::kSupervision, at, Role::GOVERNMENT_OFFICE, pr.place,
           [&](schema::Event::Builder e) {
             auto plan = e.initImplementationPlanned();
             plan.setProject(pr.ref);
             plan.setAgency(pr.core->agency);
             plan.setResponsibleLeader(pr.core->leader);
             plan.setPlan("实施方案：" + pr.core->content + "。" +
                          pr.core->requirements +
                          "。每月5日前报送上月进度，每季度向人大常委会报告。");
             plan.setBudgetFen(pr.budget_fen);
             auto ms = plan.initMilestones(4);
             const struct {
               int m, d;
               uint16_t bp;
               const char* what;
             } plan_ms[4] = {{6, 15, 0, "完成招标，实质性开工"},
                             {7, 31, 5000, "完成工程量50%以上"},
                             {10, 31, 7500, "完成工程量75%以上"},
                             {12, 31, 10000, "全面完工并通过验收"}};
             for (int k = 0; k < 4; ++k) {
               SetDate(ms[k].initDue(), 2025, plan_ms[k].m, plan_ms[k].d);
               ms[k].setPercentBp(plan_ms[k].bp);
               ms[k].setDescription(plan_ms[k].what);
             }
           });
    });
  }

  // Monthly reports, filed on the 5th of the next month.
  auto report =
      std::make_shared<std::map<std::pair<uint64_t, int>, uint64_t>>();
  auto fill_report = [](const Project& pr, int month, uint16_t bp,
                        schema::ProgressReported::Builder r) {
    const Curve& c = pr.curve;
    const uint16_t true_bp = c[static_cast<size_t>(month - 3)];
    r.setProject(pr.ref);
    SetDate(
        r.initAsOf(), 2025, month,
        projections::CivilFromDays(
            projections::DaysFromCivil(projections::Date{
                month == 12 ? 2026 : 2025, month == 12 ? 1 : month + 1, 1}) -
            1)
            .day);
    r.setPercentBp(bp);
    // Money follows the true progress (a mistyped percentage does not move
    // the accounts); the adjusted budget applies from September.
    int64_t budget = pr.budget_fen;
    if (pr.core->name == kAdjustedProject && month >= 9) {
      budget = kAdjustedBudgetFen;
    }
    r.setSpentFen(budget / 10000 * true_bp * 92 / 100);
    r.setStarted(true_bp > 0);
    r.setNarrative(
        Narrative(pr.core->content, true_bp,
                  pr.core->name == kLateProject && month >= 6 && month <= 9));
    const std::string month_name = "2025年" + std::to_string(month) + "月";
    const std::string photo =
        pr.core->name + "施工现场照片-" + month_name + ".jpg";
    const std::string sheet = pr.core->name + "进度报表-" + month_name + ".pdf";
    auto ev = r.initEvidence(2);
    const crypto::Hash h1 = EvidenceHash(photo);
    const crypto::Hash h2 = EvidenceHash(sheet);
    ev[0].setSha256(capnp::Data::Reader(h1.data(), h1.size()));
    ev[0].setName(photo);
    ev[0].setMediaType("image/jpeg");
    ev[1].setSha256(capnp::Data::Reader(h2.data(), h2.size()));
    ev[1].setName(sheet);
    ev[1].setMediaType("application/pdf");
  };
  for (int month = 3; month <= 12; ++month) {
    for (const Project& pr : projects) {
      const int64_t day = month == 12 ? CstMs(2026, 1, 5, 9, 0)
                                      : CstMs(2025, month + 1, 5, 9, 0);
      const int64_t at =
          day + (pr.place == 0 ? 0 : 4 * 60 * kMinute) +
          static_cast<int64_t>(pr.index + (pr.place == 2 ? 6 : 0)) * 10 *
              kMinute;
      add(at, [this, &pr, month, at, report, fill_report] {
        uint16_t bp = pr.curve[static_cast<size_t>(month - 3)];
        if (pr.core->name == kCorrectedProject && month == 5) {
          bp = kMistypedPercentBp;  // the slip the correction fixes
        }
        (*report)[{pr.ref, month}] =
            Emit(Stage::kSupervision, at, Role::IMPLEMENTING_AGENCY, pr.place,
                 [&](schema::Event::Builder e) {
                   fill_report(pr, month, bp, e.initProgressReported());
                 });
      });
    }
  }

  auto find = [&](int place, const char* name) -> const Project& {
    for (const Project& pr : projects) {
      if (pr.place == place && pr.core->name == name) return pr;
    }
    std::abort();  // the story names only its own projects
  };
  const Project& corrected = find(0, kCorrectedProject);
  const Project& late = find(0, kLateProject);
  const Project& adjusted = find(0, kAdjustedProject);
  const Project& kindergarten = find(0, "县城区公办幼儿园扩容工程");

  add(CstMs(2025, 6, 6, 10, 0), [&, report, fill_report] {
    const uint64_t target = report->at({corrected.ref, 5});
    landmarks_.correction = Emit(
        kS, CstMs(2025, 6, 6, 10, 0), Role::IMPLEMENTING_AGENCY, 0,
        [&](schema::Event::Builder e) {
          auto c = e.initCorrection();
          c.setTarget(target);
          c.setReason(
              "5月进度数据录入错误：经县住房和城乡建设局核对施工台账，截至5月"
              "31日实际完成26%，误录为62%，予以更正。原记录保留备查。");
          fill_report(corrected, 5, kCorrectedPercentBp,
                      c.initReplacement().initProgressReported());
        });
  });
  add(CstMs(2025, 8, 20, 10, 0), [&] {
    Emit(
        kS, CstMs(2025, 8, 20, 10, 0), Role::INSPECTION_GROUP, 0,
        [&](schema::Event::Builder e) {
          auto in = e.initInspectionRecorded();
          SetRefs(in.initProjects(3),
                  {late.ref, kindergarten.ref, adjusted.ref});
          SetDate(in.initInspectedOn(), 2025, 8, 20);
          in.setGroup(
              "县人大常委会代表视察组（组长：县人大常委会副主任 杨建设，"
              "县人大代表12名）");
          in.setFindings(
              "城东幼儿园主体封顶，预计秋季学期可投入使用；城南农贸市场提升改造"
              "截至7月底仅完成38%，低于“7月底过半”的要求，摊位过渡安置滞后；"
              "雨污分流改造人民路段受7月28日特大暴雨影响塌陷，需调整线路。");
        });
  });
  add(CstMs(2025, 8, 25, 10, 0), [&] {
    landmarks_.late_notice = Emit(
        kS, CstMs(2025, 8, 25, 10, 0), Role::STANDING_COMMITTEE, 0,
        [&](schema::Event::Builder e) {
          auto n = e.initSupervisionNoticeIssued();
          n.setProject(late.ref);
          SetDate(n.initIssuedOn(), 2025, 8, 25);
          SetDate(n.initDueBy(), 2025, 9, 30);
          n.setText(
              "督办通知：城南农贸市场提升改造进度滞后于“7月底完成50%”的节点"
              "要求。请县商务局于9月30日前书面报告滞后原因和赶工措施，确保10月"
              "底完成75%、年底前完工验收。");
        });
  });
  add(CstMs(2025, 8, 28, 15, 0), [&] {
    Emit(kS, CstMs(2025, 8, 28, 15, 0), Role::STANDING_COMMITTEE, 0,
         [&](schema::Event::Builder e) {
           auto a = e.initAdjustmentDecided();
           a.setProject(adjusted.ref);
           a.setKind(schema::AdjustmentKind::ADJUST);
           a.setForceMajeure(
               "2025年7月28日特大暴雨致人民路段路基塌陷，原设计管线路由无法施"
               "工");
           a.setLegalBasis(
               "《清河县民生实事项目人大代表票决制实施办法》第二十二条（因不可"
               "抗力"
               "需调整的，由县人民政府提请县人大常委会决定）；县人大常委会第三"
               "十一"
               "次会议决定");
           a.setDecision(
               "人民路段1."
               "2公里管网改由和平街敷设，投资由2200万元调整为2350万元，"
               "完工时间不变");
           SetDate(a.initDecidedOn(), 2025, 8, 28);
           a.setNewBudgetFen(kAdjustedBudgetFen);
         });
  });
  add(CstMs(2025, 9, 18, 10, 0), [&] {
    const Project& first = find(1, "柳林镇中心幼儿园户外活动场地改造");
    const Project& second = find(1, "村级互助养老幸福院建设");
    Emit(kS, CstMs(2025, 9, 18, 10, 0), Role::INSPECTION_GROUP, 1,
         [&](schema::Event::Builder e) {
           auto in = e.initInspectionRecorded();
           SetRefs(in.initProjects(2), {first.ref, second.ref});
           SetDate(in.initInspectedOn(), 2025, 9, 18);
           in.setGroup("柳林镇人大主席团代表视察组");
           in.setFindings(
               "两个项目均按计划推进，幸福院助餐服务需尽快确定运营主体。");
         });
  });
  // Acceptance (验收) in December; the late project last.
  for (const Project& pr : projects) {
    int day = 15 + static_cast<int>(pr.index);
    if (pr.place == 0 && pr.core->name == kLateProject) day = 26;
    const int64_t at =
        CstMs(2025, 12, day, pr.place == 0 ? 10 : 15, pr.place * 20);
    add(at, [this, &pr, at, day] {
      Emit(Stage::kSupervision, at, Role::GOVERNMENT_OFFICE, pr.place,
           [&](schema::Event::Builder e) {
             auto a = e.initAcceptanceRecorded();
             a.setProject(pr.ref);
             SetDate(a.initAcceptedOn(), 2025, 12, day);
             a.setPassed(true);
             a.setNotes(
                 "由发改、财政、住建、审计和责任单位组成验收组，邀请人大"
                 "代表参加，现场查验工程质量和资料，验收合格。");
           });
    });
  }
  std::stable_sort(acts.begin(), acts.end(),
                   [](const Act& a, const Act& b) { return a.at < b.at; });
  for (const Act& act : acts) act.run();
}

// --- evaluation -------------------------------------------------------------

Status Story::SatisfactionVote(int place, int64_t day) {
  CycleStory& cs = cycles_[place];
  const SatisfactionFacts& f = SatisfactionVotes()[place];
  std::vector<uint64_t> items;
  for (const std::string& name : f.projects) {
    uint64_t ref = 0;
    for (uint64_t e : cs.elected) {
      if (cs.cores[cs.core_of.at(e)].name == name) ref = e;
    }
    if (ref == 0) {
      return InvalidArgument("satisfaction vote of " + f.jurisdiction +
                             " rates " + name + ", which was not elected");
    }
    items.push_back(ref);
  }
  const Stage kE = Stage::kEvaluation;
  int64_t at = day;
  const uint64_t vote = Emit(
      kE, at, Role::STANDING_COMMITTEE, place, [&](schema::Event::Builder e) {
        auto v = e.initVotingRulesAdopted();
        v.setCycle(cs.cycle);
        v.setPurpose(schema::VotePurpose::SATISFACTION);
        v.setEntitledDeputies(f.entitled);
        auto q = v.initQuorum();
        q.setNumerator(2);
        q.setDenominator(3);
        v.setPassBase(schema::PassBase::ENTITLED);
        SetRefs(v.initItems(items.size()), items);
        v.setExactlyHalfPasses(false);
        const auto d = projections::DateFromMs(at);
        SetDate(v.initAdoptedOn(), d.year, d.month, d.day);
        v.setText(
            std::string(kPlaces[place].congress_next) +
            "2025年民生实事项目满意度测评办法：无记名投票，对每个项目选择满"
            "意、基本满意、不满意或弃权；满意票超过全体代表半数的为满意，满"
            "意与基本满意票之和超过半数的为基本满意，其余（含恰好半数）为不"
            "满意；结果当场宣布并公布。");
      });
  cs.votes_after = vote;
  at += place == 0 ? 47 * 60 * kMinute : 3 * 60 * kMinute;
  const uint64_t round =
      Emit(kE, at, Role::SECRETARIAT, place, [&](schema::Event::Builder e) {
        auto r = e.initRoundOpened();
        r.setVote(vote);
        r.setRound(1);
        SetRefs(r.initItems(items.size()), items);
        r.setPresentDeputies(f.present);
      });
  at += 5 * kMinute;
  uint32_t issued = 0, collected = 0, unreadable = 0;
  for (const BoxFacts& b : f.boxes) {
    issued += b.issued;
    collected += b.collected;
    unreadable += b.unreadable;
  }
  const uint32_t valid = collected - unreadable;
  const size_t n = items.size();
  std::vector<std::string> ballots(
      valid,
      std::string(n, static_cast<char>(projections::kMarkSatisfactionAbstain)));
  for (size_t i = 0; i < n; ++i) {
    const uint32_t offset = static_cast<uint32_t>(i * 53) % valid;
    uint32_t k = 0;
    auto mark = [&](uint32_t count, uint8_t m) {
      for (uint32_t j = 0; j < count; ++j, ++k) {
        ballots[(offset + k) % valid][i] = static_cast<char>(m);
      }
    };
    if (f.satisfied[i] + f.basically_satisfied[i] + f.unsatisfied[i] > valid) {
      return InvalidArgument("satisfaction table of " + f.jurisdiction +
                             " has more marks than valid ballots");
    }
    mark(f.satisfied[i], projections::kMarkSatisfied);
    mark(f.basically_satisfied[i], projections::kMarkBasicallySatisfied);
    mark(f.unsatisfied[i], projections::kMarkUnsatisfied);
  }
  RETURN_IF_ERROR(RecordBoxes(kE, place, round, at, f.boxes, std::move(ballots),
                              n, 2026'0100 + place, &at));
  at += 10 * kMinute;
  Emit(kE, at, Role::MONITOR, place, [&](schema::Event::Builder e) {
    auto t = e.initTallyCertified();
    t.setRound(round);
    t.setIssued(issued);
    t.setCollected(collected);
    t.setValid(valid);
    t.setInvalid(unreadable);
    auto out = t.initItems(n);
    for (size_t i = 0; i < n; ++i) {
      out[i].setItem(items[i]);
      out[i].setApprove(f.satisfied[i]);
      out[i].setOppose(f.basically_satisfied[i]);
      out[i].setAbstain(f.unsatisfied[i]);
      out[i].setSatisfactionAbstain(
          valid - f.satisfied[i] - f.basically_satisfied[i] - f.unsatisfied[i]);
    }
    SetTexts(t.initCertifiedBy(3),
             {"总计票人 周建国", "总监票人 张卫东", "监票人 李春燕"});
  });
  at += 10 * kMinute;
  Emit(kE, at, Role::SECRETARIAT, place, [&](schema::Event::Builder e) {
    auto r = e.initResultAnnounced();
    r.setRound(round);
    auto grades = r.initGrades(n);
    for (size_t i = 0; i < n; ++i) {
      // More than half of the entitled deputies; exactly half is not enough.
      schema::Grade g = schema::Grade::UNSATISFIED;
      if (uint64_t{f.satisfied[i]} * 2 > f.entitled) {
        g = schema::Grade::SATISFIED;
      } else if ((uint64_t{f.satisfied[i]} + f.basically_satisfied[i]) * 2 >
                 f.entitled) {
        g = schema::Grade::BASICALLY_SATISFIED;
      }
      grades[i].setItem(items[i]);
      grades[i].setGrade(g);
    }
    const auto d = projections::DateFromMs(at);
    SetDate(r.initAnnouncedOn(), d.year, d.month, d.day);
  });
  return Status::Ok();
}

Status Story::Evaluation() {
  const Stage kE = Stage::kEvaluation;
  for (int p = 0; p < 3; ++p) {
    CycleStory& cs = cycles_[p];
    for (size_t i = 0; i < cs.elected.size(); ++i) {
      const Core& core = cs.cores[cs.core_of.at(cs.elected[i])];
      const bool late = core.name == kLateProject;
      const auto cost = static_cast<uint16_t>(late ? 76 : 84 + (i * 3) % 9);
      const auto benefit = static_cast<uint16_t>(late ? 79 : 86 + (i * 5) % 11);
      Emit(kE,
           CstMs(2026, 1, 7 + p, 9, 0) + static_cast<int64_t>(i) * 10 * kMinute,
           Role::EVALUATION_GROUP, p, [&](schema::Event::Builder e) {
             auto s = e.initEvaluationScored();
             s.setProject(cs.elected[i]);
             s.setCostScore(cost);
             s.setBenefitScore(benefit);
             s.setOverallScore(
                 static_cast<uint16_t>((cost * 4 + benefit * 6) / 10));
             SetTexts(s.initEvaluators(4),
                      {"人大代表 " + std::string(kDeputies[i % 20]),
                       "人大代表 " + std::string(kDeputies[(i + 7) % 20]),
                       "第三方评估机构 清河县工程咨询中心", "群众代表 2名"});
             s.setNotes(late ? "项目建成后市场环境明显改善，但工期滞后、排水沟"
                               "盖板和摊位分配仍有群众意见。"
                             : "项目按期完成，资金使用规范，群众受益面广。");
           });
    }
  }
  RETURN_IF_ERROR(SatisfactionVote(0, CstMs(2026, 1, 13, 10, 0)));
  RETURN_IF_ERROR(SatisfactionVote(1, CstMs(2026, 1, 20, 9, 0)));
  RETURN_IF_ERROR(SatisfactionVote(2, CstMs(2026, 1, 21, 9, 0)));

  CycleStory& county = cycles_[0];
  landmarks_.county_satisfaction_vote = county.votes_after;
  uint64_t project = 0;
  for (uint64_t e : county.elected) {
    if (county.cores[county.core_of.at(e)].name == kRectifiedProject) {
      project = e;
    }
  }
  const uint64_t order = Emit(
      kE, CstMs(2026, 1, 23, 10, 0), Role::STANDING_COMMITTEE, 0,
      [&](schema::Event::Builder e) {
        auto r = e.initRectificationOrdered();
        r.setProject(project);
        SetDate(r.initOrderedOn(), 2026, 1, 23);
        SetDate(r.initDeadline(), 2026, 4, 30);
        r.setRequirements(
            "满意度测评为基本满意。请县商务局于4月30日前完成整改：更换破损排水"
            "沟盖板，公开摊位分配规则并重新公示，延长公厕开放时间，书面报告县人"
            "大常委会。");
      });
  Emit(kE, CstMs(2026, 4, 24, 10, 0), Role::IMPLEMENTING_AGENCY, 0,
       [&](schema::Event::Builder e) {
         auto r = e.initRectificationReported();
         r.setOrder(order);
         SetDate(r.initReportedOn(), 2026, 4, 24);
         r.setCompleted(true);
         r.setText(
             "已更换排水沟盖板420米；摊位分配规则经商户大会讨论后公示7天，无异"
             "议；公厕开放时间延长至晚8时。整改完成，请县人大常委会审议。");
       });
  return Status::Ok();
}

Status Story::Tell() {
  Deployment();
  OpenCycles();
  landmarks_.county_cycle = cycles_[0].cycle;
  Collection();
  Merges(0, CstMs(2024, 12, 2, 9, 0));
  Merges(1, CstMs(2024, 12, 3, 9, 0));
  Merges(2, CstMs(2024, 12, 3, 14, 0));
  GovernmentReview(0, CstMs(2024, 12, 9, 9, 0), 5);
  GovernmentReview(1, CstMs(2024, 12, 16, 9, 0), 1);
  GovernmentReview(2, CstMs(2024, 12, 17, 9, 0), 1);
  LaterReview(0, 2, CstMs(2024, 12, 27, 15, 0));
  LaterReview(1, 2, CstMs(2024, 12, 30, 9, 0));
  LaterReview(2, 2, CstMs(2024, 12, 30, 15, 0));
  LaterReview(0, 3, CstMs(2025, 1, 7, 9, 30));
  LaterReview(1, 3, CstMs(2025, 1, 8, 9, 0));
  LaterReview(2, 3, CstMs(2025, 1, 8, 15, 0));
  CandidateList(0, CstMs(2025, 1, 9, 10, 0), 10);
  CandidateList(1, CstMs(2025, 1, 10, 9, 0), 12);
  CandidateList(2, CstMs(2025, 1, 10, 10, 0), 12);
  RETURN_IF_ERROR(Vote(0, CstMs(2025, 1, 17, 9, 0)));
  landmarks_.county_selection_vote = cycles_[0].vote;
  RETURN_IF_ERROR(Vote(1, CstMs(2025, 1, 22, 9, 0)));
  RETURN_IF_ERROR(Vote(2, CstMs(2025, 1, 23, 9, 0)));
  Supervision();
  return Evaluation();
}

}  // namespace

Status TellStory(Writer& writer, Landmarks* landmarks) {
  Story story(writer, landmarks);
  return story.Tell();
}

}  // namespace piaojue::demo::internal
