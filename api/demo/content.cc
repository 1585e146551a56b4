#include "api/demo/internal/content.h"

#include "api/demo/demo.h"

namespace piaojue::demo::internal {

// ---------------------------------------------------------------------------
// The places and people of the story.

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

// ---------------------------------------------------------------------------
// Proposals. An ordinary proposal comes from a template and is turned down
// at government review (审核) with the template's reason; the core ones are
// the candidates and the few that drop out at the later reviews.

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
static_assert(sizeof(kTemplates) / sizeof(kTemplates[0]) == kTemplateCount);

Source Deputy(std::string title, std::string desc, std::string who,
              std::string level) {
  return {std::move(title), std::move(desc), ProposerType::DEPUTY,
          level + "人大代表 " + who, Channel::DEPUTY_SUGGESTION};
}
Source Cppcc(std::string title, std::string desc, std::string who) {
  return {std::move(title), std::move(desc), ProposerType::CPPCC_MEMBER,
          "县政协委员 " + who, Channel::CPPCC_PROPOSAL};
}
Source Resident(std::string title, std::string desc, Channel channel,
                std::string who) {
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

}  // namespace piaojue::demo::internal
