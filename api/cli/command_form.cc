#include "api/cli/command_form.h"

#include <capnp/message.h>
#include <capnp/schema.h>

#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "ledger/event_json.h"
#include "ledger/schema/piaojue.capnp.h"
#include "projections/dates.h"

namespace piaojue::cli {

namespace {

using nlohmann::json;

const std::map<std::string_view, std::string_view>& EnumerantsZh() {
  static const std::map<std::string_view, std::string_view> t = {
      {"Level.county", "县/市/区"},
      {"Level.township", "乡/镇/街道"},
      {"Role.governmentOffice", "政府（票决制协调办公室）"},
      {"Role.partyCommittee", "党委"},
      {"Role.standingCommittee", "人大常委会/主席团"},
      {"Role.secretariat", "大会秘书处"},
      {"Role.teller", "计票人"},
      {"Role.monitor", "监票人"},
      {"Role.implementingAgency", "实施单位"},
      {"Role.inspectionGroup", "代表视察组"},
      {"Role.evaluationGroup", "评估小组"},
      {"Role.publicIntake", "公众征集渠道"},
      {"Role.presidium", "大会主席团"},
      {"Category.education", "教育"},
      {"Category.health", "卫生健康"},
      {"Category.elderlyCare", "养老"},
      {"Category.childcare", "托育"},
      {"Category.transport", "交通"},
      {"Category.cultureSport", "文化体育"},
      {"Category.publicFacilities", "公共设施"},
      {"Category.employmentSocialSecurity", "就业和社会保障"},
      {"Category.environment", "生态环境"},
      {"Category.other", "其他"},
      {"FundingSource.ownBudget", "本级财政"},
      {"FundingSource.centralOrProvincial", "主要依靠中央、省级资金"},
      {"FundingSource.mixed", "多渠道筹资"},
      {"FundingSource.socialCapital", "社会资本"},
      {"FundingSource.other", "其他"},
      {"ProposerType.resident", "群众"},
      {"ProposerType.deputy", "人大代表"},
      {"ProposerType.cppccMember", "政协委员"},
      {"ProposerType.department", "部门"},
      {"ProposerType.township", "乡镇"},
      {"ProposerType.other", "其他"},
      {"Channel.governmentWebsite", "政府网站"},
      {"Channel.wechat", "微信公众号"},
      {"Channel.contactStation", "代表联络站"},
      {"Channel.forum", "座谈会"},
      {"Channel.doorToDoor", "入户走访"},
      {"Channel.deputySuggestion", "代表建议"},
      {"Channel.cppccProposal", "政协提案"},
      {"Channel.department", "部门"},
      {"Channel.township", "乡镇"},
      {"Channel.other", "其他"},
      {"Channel.mail", "来信"},
      {"Channel.hotline", "热线电话"},
      {"ScreeningStage.governmentReview", "审核（政府）"},
      {"ScreeningStage.partyCommitteeApproval", "审定（党委）"},
      {"ScreeningStage.standingCommitteeExamination",
       "审查（人大常委会/主席团）"},
      {"ScreeningOutcome.advance", "通过"},
      {"ScreeningOutcome.reject", "不通过"},
      {"ReasonCode.meetsCriteria", "符合条件"},
      {"ReasonCode.fundedByHigherLevel", "主要依靠中央、省级资金"},
      {"ReasonCode.notBroadBenefit", "不具普惠性"},
      {"ReasonCode.notCompletableInYear", "当年难以完成"},
      {"ReasonCode.majorEngineering", "重大工程或产业项目"},
      {"ReasonCode.landNotSecured", "用地未落实"},
      {"ReasonCode.policyNotSecured", "政策未落实"},
      {"ReasonCode.fundingNotSecured", "资金未落实"},
      {"ReasonCode.outOfScope", "不在征集范围"},
      {"ReasonCode.lowerPriority", "优先程度较低"},
      {"ReasonCode.other", "其他"},
      {"VotePurpose.projectSelection", "项目票决"},
      {"VotePurpose.satisfaction", "满意度测评"},
      {"PassBase.entitled", "应到人数"},
      {"PassBase.present", "实到人数"},
      {"PassBase.validBallots", "有效票数"},
      {"TieRule.furtherRound", "并列者再次投票"},
      {"ShortfallRule.furtherRound", "再次投票"},
      {"ShortfallRule.leaveVacant", "空缺"},
      {"Grade.satisfied", "满意"},
      {"Grade.basicallySatisfied", "基本满意"},
      {"Grade.unsatisfied", "不满意"},
      {"AdjustmentKind.adjust", "调整"},
      {"AdjustmentKind.suspend", "暂停"},
      {"AdjustmentKind.terminate", "终止"},
  };
  return t;
}

std::string Shown(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// The one shape of every input error: field, what was given, what is
// accepted.
Status FieldError(Lang lang, const std::string& path, const json* given,
                  const std::string& accepted_en,
                  const std::string& accepted_zh) {
  if (lang == Lang::kChinese) {
    std::string m = "字段 " + path + "：";
    if (given) m += "填写的 " + Shown(*given) + " 不能接受；";
    return InvalidArgument(m + accepted_zh);
  }
  std::string m = "field " + path + ": ";
  if (given) m += Shown(*given) + " is not accepted; ";
  return InvalidArgument(m + accepted_en);
}

std::string Join(const std::vector<std::string>& items, Lang lang) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += lang == Lang::kChinese ? "、" : ", ";
    out += s;
  }
  return out;
}

std::string FieldName(const capnp::StructSchema::Field& f) {
  return f.getProto().getName().cStr();
}

std::string StructName(capnp::StructSchema s) {
  return s.getShortDisplayName().cStr();
}

bool IsComment(const std::string& key) { return key.rfind("//", 0) == 0; }

template <typename T>
bool Is(capnp::StructSchema s) {
  return s.getProto().getId() == capnp::Schema::from<T>().getProto().getId();
}

std::vector<std::string> FieldNames(capnp::StructSchema s) {
  std::vector<std::string> names;
  for (auto f : s.getFields()) names.push_back(FieldName(f));
  return names;
}

std::vector<std::string> EnumerantNames(capnp::EnumSchema e, Lang lang) {
  std::vector<std::string> names;
  for (auto en : e.getEnumerants()) {
    // "unspecified" (0), the schema's default, last: it is accepted (the
    // JSON of an entry holds it where a field does not apply, and a command
    // may be copied from `piaojue entry`), but it is rarely what is meant.
    if (en.getOrdinal() == 0) continue;
    std::string name = en.getProto().getName().cStr();
    if (lang == Lang::kChinese) {
      std::string_view zh = EnumerantZh(e.getShortDisplayName().cStr(), name);
      if (!zh.empty()) name += "（" + std::string(zh) + "）";
    }
    names.push_back(name);
  }
  names.push_back(lang == Lang::kChinese ? "unspecified（未填写）"
                                         : "unspecified (not given)");
  return names;
}

class Normalizer {
 public:
  explicit Normalizer(Lang lang) : lang_(lang) {}

  Status Value(json& v, capnp::Type type, const std::string& path,
               const std::string& field) {
    using W = capnp::schema::Type;
    switch (type.which()) {
      case W::VOID:
        if (v.is_null() || (v.is_object() && v.empty()) || v == true) {
          v = nullptr;
          return Status::Ok();
        }
        return FieldError(lang_, path, &v, "write null", "请填写 null");
      case W::BOOL:
        if (v.is_boolean()) return Status::Ok();
        return FieldError(lang_, path, &v, "accepted values: true, false",
                          "可填写：true（是）、false（否）");
      case W::INT8:
        return Integer(v, path, field, -128, 127);
      case W::INT16:
        return Integer(v, path, field, -32768, 32767);
      case W::INT32:
        return Integer(v, path, field, std::numeric_limits<int32_t>::min(),
                       std::numeric_limits<int32_t>::max());
      case W::INT64:
        return Integer(v, path, field, std::numeric_limits<int64_t>::min(),
                       std::numeric_limits<int64_t>::max());
      case W::UINT8:
        return Unsigned(v, path, 255);
      case W::UINT16:
        return Unsigned(v, path, 65535);
      case W::UINT32:
        return Unsigned(v, path, std::numeric_limits<uint32_t>::max());
      case W::UINT64:
        return Unsigned(v, path, std::numeric_limits<uint64_t>::max());
      case W::FLOAT32:
      case W::FLOAT64:
        if (v.is_number()) return Status::Ok();
        return FieldError(lang_, path, &v, "expected a number", "请填写数字");
      case W::TEXT:
        if (v.is_string()) return Status::Ok();
        return FieldError(lang_, path, &v, "expected text in double quotes",
                          "请填写用双引号括起的文字");
      case W::DATA:
        return Hex(v, path);
      case W::LIST: {
        if (!v.is_array()) {
          return FieldError(lang_, path, &v, "expected a list [ … ]",
                            "请填写列表 [ … ]");
        }
        auto element = type.asList().getElementType();
        for (size_t i = 0; i < v.size(); ++i) {
          RETURN_IF_ERROR(Value(v[i], element,
                                path + "[" + std::to_string(i) + "]", field));
        }
        return Status::Ok();
      }
      case W::ENUM:
        return Enum(v, type.asEnum(), path);
      case W::STRUCT:
        return Struct(v, type.asStruct(), path);
      default:
        return FieldError(lang_, path, &v, "this field cannot be written",
                          "此字段不能填写");
    }
  }

  Status Struct(json& v, capnp::StructSchema s, const std::string& path) {
    if (Is<schema::Date>(s) && v.is_string()) {
      auto day = ParseCalendarDay(v.get<std::string>());
      if (!day) return DateError(v, path);
      v = json{{"year", day->year}, {"month", day->month}, {"day", day->day}};
      return Status::Ok();
    }
    if (!v.is_object()) {
      if (Is<schema::Date>(s)) return DateError(v, path);
      return FieldError(lang_, path, &v, "expected an object { … }",
                        "请填写对象 { … }");
    }
    for (auto it = v.begin(); it != v.end();) {
      it = IsComment(it.key()) ? v.erase(it) : std::next(it);
    }
    if (Is<schema::ItemTally>(s)) RETURN_IF_ERROR(SatisfactionWords(v, path));
    std::vector<std::string> members;
    for (auto& [key, value] : v.items()) {
      KJ_IF_MAYBE (f, s.findFieldByName(key)) {
        if (f->getProto().getDiscriminantValue() !=
            capnp::schema::Field::NO_DISCRIMINANT) {
          members.push_back(key);
        }
        RETURN_IF_ERROR(Value(value, f->getType(), Sub(path, key), key));
      } else {
        return UnknownField(s, path, key, value);
      }
    }
    auto union_fields = s.getUnionFields();
    if (union_fields.size() > 0) {
      std::vector<std::string> names;
      for (auto f : union_fields) names.push_back(FieldName(f));
      if (members.size() > 1) {
        return FieldError(
            lang_, path, nullptr,
            "gives " + Join(members, Lang::kEnglish) +
                "; give exactly one of: " + Join(names, Lang::kEnglish),
            "同时填写了 " + Join(members, Lang::kChinese) +
                "；只能填写其中之一：" + Join(names, Lang::kChinese));
      }
      if (members.empty() && Is<schema::Event>(s)) {
        return FieldError(
            lang_, path, nullptr,
            "names no event kind; give one of: " + Join(names, Lang::kEnglish),
            "没有写明事项类型；可填写：" + Join(names, Lang::kChinese));
      }
    }
    return Status::Ok();
  }

 private:
  static std::string Sub(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  Status UnknownField(capnp::StructSchema s, const std::string& path,
                      const std::string& key, const json& value) {
    if (Is<schema::Event>(s)) {
      std::vector<std::string> kinds;
      for (auto f : s.getUnionFields()) {
        std::string k = FieldName(f);
        if (k == "genesis") continue;
        if (lang_ == Lang::kChinese)
          k += "（" + EventKindLabel(k, lang_) + "）";
        kinds.push_back(k);
      }
      json given = key;
      return FieldError(
          lang_, path, &given,
          "unknown event kind; the kinds are: " + Join(kinds, Lang::kEnglish),
          "没有这种事项；事项类型有：" + Join(kinds, Lang::kChinese));
    }
    (void)value;
    const std::string names_en = Join(FieldNames(s), Lang::kEnglish);
    const std::string names_zh = Join(FieldNames(s), Lang::kChinese);
    return FieldError(
        lang_, Sub(path, key), nullptr,
        "unknown field; the fields of " + StructName(s) + " are: " + names_en,
        "没有这个字段；" + StructName(s) + " 的字段有：" + names_zh);
  }

  Status DateError(const json& v, const std::string& path) {
    return FieldError(lang_, path, &v,
                      "expected a date: \"2025-06-15\", \"2025年6月15日\" or "
                      "{\"year\": 2025, \"month\": 6, \"day\": 15}",
                      "请填写日期：\"2025-06-15\"、\"2025年6月15日\" 或 "
                      "{\"year\": 2025, \"month\": 6, \"day\": 15}");
  }

  // The view's words for a satisfaction tally item (VIEWS.md) are mapped to
  // the schema's fields: satisfied -> approve, basicallySatisfied ->
  // oppose, unsatisfied -> abstain, abstain -> satisfactionAbstain.
  Status SatisfactionWords(json& v, const std::string& path) {
    const bool view_words = v.contains("satisfied") ||
                            v.contains("basicallySatisfied") ||
                            v.contains("unsatisfied");
    if (!view_words) return Status::Ok();
    for (const char* old : {"approve", "oppose", "satisfactionAbstain"}) {
      if (v.contains(old)) {
        return FieldError(
            lang_, Sub(path, old), nullptr,
            "mixes the words of a satisfaction tally (satisfied, "
            "basicallySatisfied, unsatisfied, abstain) with approve/oppose; "
            "use one set",
            "满意度测评的计票请只用 "
            "satisfied（满意）、basicallySatisfied（基本满意）、"
            "unsatisfied（不满意）、abstain（弃权），不要与 approve/oppose "
            "混用");
      }
    }
    json out = json::object();
    for (auto& [key, value] : v.items()) {
      if (key == "satisfied") {
        out["approve"] = value;
      } else if (key == "basicallySatisfied") {
        out["oppose"] = value;
      } else if (key == "unsatisfied") {
        out["abstain"] = value;
      } else if (key == "abstain") {
        out["satisfactionAbstain"] = value;
      } else {
        out[key] = value;
      }
    }
    v = std::move(out);
    return Status::Ok();
  }

  Status Enum(json& v, capnp::EnumSchema e, const std::string& path) {
    if (v.is_string()) {
      const std::string name = v.get<std::string>();
      KJ_IF_MAYBE (en, e.findEnumerantByName(name)) {
        return Status::Ok();
      }
    }
    return FieldError(
        lang_, path, &v,
        "accepted values: " +
            Join(EnumerantNames(e, Lang::kEnglish), Lang::kEnglish),
        "可填写：" + Join(EnumerantNames(e, Lang::kChinese), Lang::kChinese));
  }

  Status Integer(json& v, const std::string& path, const std::string& field,
                 int64_t min, int64_t max) {
    const bool money =
        field.size() > 3 && field.compare(field.size() - 3, 3, "Fen") == 0;
    // A bare decimal string is a number of fen, as the JSON mapping writes
    // 64-bit integers (and as `piaojue entry` prints them).
    FromDecimalString(v);
    if (money && v.is_string()) {
      auto fen = ParseYuanToFen(v.get<std::string>());
      if (!fen) return MoneyError(v, path);
      v = *fen;
      return Status::Ok();
    }
    FromDecimalString(v);
    if (v.is_number_integer()) {
      if (v.is_number_unsigned() &&
          v.get<uint64_t>() > static_cast<uint64_t>(max)) {
        return RangeError(v, path, std::to_string(min), std::to_string(max));
      }
      const int64_t n = v.is_number_unsigned()
                            ? static_cast<int64_t>(v.get<uint64_t>())
                            : v.get<int64_t>();
      if (n >= min && n <= max) return Status::Ok();
    }
    if (money) return MoneyError(v, path);
    return RangeError(v, path, std::to_string(min), std::to_string(max));
  }

  Status Unsigned(json& v, const std::string& path, uint64_t max) {
    FromDecimalString(v);
    if (v.is_number_unsigned() && v.get<uint64_t>() <= max) {
      return Status::Ok();
    }
    if (v.is_number_integer() && !v.is_number_unsigned() &&
        v.get<int64_t>() >= 0 &&
        static_cast<uint64_t>(v.get<int64_t>()) <= max) {
      return Status::Ok();
    }
    return RangeError(v, path, "0", std::to_string(max));
  }

  static void FromDecimalString(json& v) {
    if (!v.is_string()) return;
    const std::string s = v.get<std::string>();
    if (s.empty() || s.size() > 20) return;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return;
    for (size_t j = i; j < s.size(); ++j) {
      if (s[j] < '0' || s[j] > '9') return;
    }
    try {
      if (i == 1) {
        v = std::stoll(s);
      } else {
        v = std::stoull(s);
      }
    } catch (const std::exception&) {
      // Out of range: left as a string, refused as not a number below.
    }
  }

  Status RangeError(const json& v, const std::string& path,
                    const std::string& min, const std::string& max) {
    return FieldError(lang_, path, &v,
                      "expected a whole number from " + min + " to " + max,
                      "请填写 " + min + " 到 " + max + " 之间的整数");
  }

  Status MoneyError(const json& v, const std::string& path) {
    return FieldError(
        lang_, path, &v,
        "expected an amount: \"3,000.50元\", \"12.5万元\", \"¥1,200\" or a "
        "whole number of fen (分)",
        "请填写金额：\"3,000.50元\"、\"12.5万元\"、\"¥1,"
        "200\"，或以分为单位的整数");
  }

  Status Hex(json& v, const std::string& path) {
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      bool ok = s.size() % 2 == 0;
      for (char& c : s) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
      }
      if (ok) {
        v = s;
        return Status::Ok();
      }
    }
    return FieldError(
        lang_, path, &v,
        "expected hexadecimal digits (0-9, a-f), two per byte, "
        "e.g. a SHA-256 as 64 digits",
        "请填写十六进制数字（0-9、a-f），每字节两位，如 SHA-256 为 64 位");
  }

  Lang lang_;
};

// Line and column (1-based) of byte offset `at` in `text`.
std::pair<size_t, size_t> LineColumn(std::string_view text, size_t at) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < at && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

std::string_view EnumerantZh(std::string_view enum_name,
                             std::string_view enumerant) {
  const std::string key = std::string(enum_name) + "." + std::string(enumerant);
  auto it = EnumerantsZh().find(key);
  return it == EnumerantsZh().end() ? std::string_view() : it->second;
}

std::optional<int64_t> ParseYuanToFen(std::string_view text) {
  std::string s(text);
  auto strip = [&](std::string_view affix, bool prefix) {
    if (prefix && s.rfind(affix, 0) == 0) {
      s.erase(0, affix.size());
      return true;
    }
    if (!prefix && s.size() >= affix.size() &&
        s.compare(s.size() - affix.size(), affix.size(), affix) == 0) {
      s.erase(s.size() - affix.size());
      return true;
    }
    return false;
  };
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  bool negative = strip("-", true);
  const bool currency = strip("¥", true) || strip("￥", true);
  int scale_digits = 2;  // fen per yuan = 10^2
  if (strip("万元", false)) {
    scale_digits = 6;  // fen per 万元 = 10^6
  } else if (!strip("元", false) && !currency) {
    return std::nullopt;  // a unit is required: a bare number is fen
  }
  if (!negative) negative = strip("-", true);
  std::string digits, decimals;
  bool point = false, any = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      (point ? decimals : digits) += c;
      any = true;
    } else if (c == ',' && !point && any) {
      // Thousands separators: only between groups of three digits.
      size_t run = 0;
      while (i + 1 + run < s.size() && s[i + 1 + run] >= '0' &&
             s[i + 1 + run] <= '9') {
        ++run;
      }
      if (run != 3) return std::nullopt;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return std::nullopt;
    }
  }
  if (!any || (point && decimals.empty())) return std::nullopt;
  if (decimals.size() > static_cast<size_t>(scale_digits)) {
    return std::nullopt;  // finer than a fen
  }
  decimals.append(scale_digits - decimals.size(), '0');
  const std::string all = digits + decimals;
  if (all.size() > 18) return std::nullopt;
  const int64_t fen = std::stoll(all);
  return negative ? -fen : fen;
}

std::optional<CalendarDay> ParseCalendarDay(std::string_view text) {
  if (auto d = projections::ParseDate(text)) {
    return CalendarDay{d->year, d->month, d->day};
  }
  // "2025年6月15日" (also with leading zeros: 2025年06月15日).
  int parts[3] = {0, 0, 0};
  const std::string_view marks[3] = {"年", "月", "日"};
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    size_t digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9' &&
           digits < 4) {
      parts[i] = parts[i] * 10 + (text[at] - '0');
      ++at;
      ++digits;
    }
    if (digits == 0 || text.substr(at, marks[i].size()) != marks[i]) {
      return std::nullopt;
    }
    at += marks[i].size();
  }
  if (at != text.size()) return std::nullopt;
  projections::Date d{parts[0], parts[1], parts[2]};
  if (!projections::IsValidDate(d)) return std::nullopt;
  return CalendarDay{d.year, d.month, d.day};
}

Result<Command> ParseCommand(std::string_view text, Lang lang) {
  json j;
  try {
    j = json::parse(text, nullptr, /*allow_exceptions=*/true,
                    /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    auto [line, column] = LineColumn(text, e.byte > 0 ? e.byte - 1 : 0);
    if (lang == Lang::kChinese) {
      return InvalidArgument("命令不是有效的 JSON：第 " + std::to_string(line) +
                             " 行第 " + std::to_string(column) +
                             " 列附近有误（请检查引号、逗号和括号）");
    }
    return InvalidArgument("the command is not valid JSON near line " +
                           std::to_string(line) + ", column " +
                           std::to_string(column) +
                           " (check quotes, commas and brackets)");
  } catch (const json::exception&) {
    // The reader's other refusal: a number beyond any double ("1e400").
    return InvalidArgument(Say(lang,
                               "the command holds a number too large to read "
                               "(no field takes one that large)",
                               "命令中有一个数字太大，无法读取（没有哪个字段"
                               "能填这么大的数）"));
  }
  const char* shape_en =
      "a command is {\"jurisdiction\": \"610102\", \"event\": {\"<kind>\": "
      "{…}}} (piaojue template KIND prints one)";
  const char* shape_zh =
      "命令的格式是 {\"jurisdiction\": \"610102\", \"event\": {\"<事项>\": "
      "{…}}}（piaojue template 事项 可打印样例）";
  if (!j.is_object()) {
    return InvalidArgument(Say(lang, shape_en, shape_zh));
  }
  Command command;
  for (auto& [key, value] : j.items()) {
    if (IsComment(key)) continue;
    if (key == "jurisdiction") {
      if (!value.is_string()) {
        return FieldError(lang, "jurisdiction", &value,
                          "expected the administrative code in quotes, e.g. "
                          "\"610102\"",
                          "请填写用双引号括起的行政区划代码，如 \"610102\"");
      }
      command.jurisdiction = value.get<std::string>();
    } else if (key != "event") {
      return FieldError(lang, key, nullptr,
                        "unknown field; a command has the fields "
                        "jurisdiction, event",
                        "没有这个字段；命令的字段有：jurisdiction、event");
    }
  }
  auto event = j.find("event");
  if (event == j.end()) return InvalidArgument(Say(lang, shape_en, shape_zh));
  Normalizer normalizer(lang);
  RETURN_IF_ERROR(
      normalizer.Struct(*event, capnp::Schema::from<schema::Event>(), "event"));
  command.event_json = event->dump();
  // What the normalizer let through, the decoder reads; should it still
  // refuse, its own text is not for a clerk.
  capnp::MallocMessageBuilder m;
  if (!ledger::EventFromJson(command.event_json, m.initRoot<schema::Event>())
           .ok()) {
    return InvalidArgument(Say(lang,
                               "the event could not be read: check the types "
                               "of its fields (piaojue template KIND)",
                               "无法读取该事项：请核对各字段的类型（piaojue "
                               "template 事项）"));
  }
  return command;
}

}  // namespace piaojue::cli
