// The two writes: POST /v1/entries (an event signed by its author) and
// POST /v1/proposals (the public intake, signed by the server's intake key).
// See docs/API.md, "Writes".
//
// Wire form of POST /v1/entries (Content-Type: application/json):
//   {"authored": base64(canonical AuthoredEvent bytes),
//    "signature": base64(64-byte Ed25519 signature over
//                        "piaojue/authored-event/v2\n" || authored)}
// i.e. ledger::SignedEvent, exactly what `piaojue submit` appends; or the
// signed envelope `piaojue sign` writes (ledger/envelope.h: the same two
// fields plus "format" and a readable rendering, which must match them).
#include <capnp/message.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "api/cli/command_form.h"
#include "api/server/internal/handlers.h"
#include "ledger/entry.h"
#include "ledger/envelope.h"
#include "ledger/event_json.h"
#include "projections/views.h"

namespace piaojue::server {

namespace {

using nlohmann::json;

// Public intake text limits, in bytes of UTF-8.
constexpr size_t kMaxTitle = 300;
constexpr size_t kMaxText = 8000;
constexpr size_t kMaxName = 100;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Parses a JSON object body. InvalidArgument for anything else.
Result<json> ParseObject(const HttpRequest& request) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return InvalidArgument("the body is not valid JSON");
  }
  if (!body.is_object()) return InvalidArgument("the body must be an object");
  return body;
}

std::optional<HttpResponse> RequireJson(const Service& service,
                                        const HttpRequest& request) {
  if (service.shutting_down()) {
    return ErrorResponse(503, kErrorShuttingDown,
                         "the server is shutting down; nothing was appended");
  }
  if (request.content_type != "application/json") {
    return ErrorResponse(415, kErrorUnsupportedMediaType,
                         "send Content-Type: application/json");
  }
  return std::nullopt;
}

// One field's base64 text decoded; `name` for the message.
Result<std::string> DecodeBase64Field(std::string_view text, const char* name) {
  auto bytes = crypto::Base64Decode(text);
  if (!bytes.ok()) {
    return InvalidArgument(std::string("\"") + name +
                           "\" is not standard padded base64");
  }
  return std::move(bytes).value();
}

Result<std::string> Base64Field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) {
    return InvalidArgument(std::string("\"") + name +
                           "\" (a base64 string) is required");
  }
  return DecodeBase64Field(it->get_ref<const std::string&>(), name);
}

// The event of two decoded fields: the signature must be 64 bytes.
Result<ledger::SignedEvent> SignedEventOf(std::string authored,
                                          const std::string& signature) {
  if (signature.size() != crypto::kSignatureSize) {
    return InvalidArgument("\"signature\" must be 64 bytes, not " +
                           std::to_string(signature.size()));
  }
  ledger::SignedEvent event;
  event.authored = std::move(authored);
  std::copy(signature.begin(), signature.end(), event.signature.begin());
  return event;
}

Result<ledger::SignedEvent> SignedEventFromFields(std::string_view authored,
                                                  std::string_view signature) {
  ASSIGN_OR_RETURN(std::string a, DecodeBase64Field(authored, "authored"));
  ASSIGN_OR_RETURN(std::string s, DecodeBase64Field(signature, "signature"));
  return SignedEventOf(std::move(a), s);
}

Result<ledger::SignedEvent> SignedEventFromJson(const json& body) {
  for (const auto& [key, value] : body.items()) {
    if (key != "authored" && key != "signature") {
      return InvalidArgument("unknown field \"" + key +
                             "\" (expected authored and signature)");
    }
  }
  ASSIGN_OR_RETURN(std::string authored, Base64Field(body, "authored"));
  ASSIGN_OR_RETURN(std::string signature, Base64Field(body, "signature"));
  return SignedEventOf(std::move(authored), signature);
}

// The two fields of the wire form as clients write it: one JSON object with
// exactly "authored" and "signature" (either order, any JSON whitespace),
// each a string of base64 characters only. Read without building a JSON
// document, which was 3.8% of an HTTP append's CPU (docs/PERFORMANCE.md,
// "HTTP appends: what bounds them"). Anything else - escapes, other
// fields, a repeated field, the signed envelope - is not recognised here
// and goes through the JSON parser, which gives these bodies the same
// answer and names what is wrong with the others.
struct PlainWireFields {
  std::string_view authored;
  std::string_view signature;
};

std::optional<PlainWireFields> PlainWireForm(std::string_view body) {
  size_t at = 0;
  auto skip_space = [&] {
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t' ||
                                body[at] == '\n' || body[at] == '\r')) {
      ++at;
    }
  };
  auto take = [&](char c) {
    skip_space();
    if (at >= body.size() || body[at] != c) return false;
    ++at;
    return true;
  };
  auto is_base64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
  };
  // A string whose every character is a base64 one (so no escapes).
  auto plain_string = [&]() -> std::optional<std::string_view> {
    if (!take('"')) return std::nullopt;
    const size_t begin = at;
    while (at < body.size() && is_base64(body[at])) ++at;
    if (at >= body.size() || body[at] != '"') return std::nullopt;
    return body.substr(begin, at++ - begin);
  };
  std::optional<std::string_view> authored, signature;
  if (!take('{')) return std::nullopt;
  for (int member = 0; member < 2; ++member) {
    if (member == 1 && !take(',')) return std::nullopt;
    skip_space();
    std::optional<std::string_view>* field = nullptr;
    if (body.substr(at, 10) == "\"authored\"") {
      field = &authored;
      at += 10;
    } else if (body.substr(at, 11) == "\"signature\"") {
      field = &signature;
      at += 11;
    } else {
      return std::nullopt;
    }
    if (field->has_value() || !take(':')) return std::nullopt;
    *field = plain_string();
    if (!field->has_value()) return std::nullopt;
  }
  if (!take('}')) return std::nullopt;
  skip_space();
  if (at != body.size()) return std::nullopt;
  return PlainWireFields{*authored, *signature};
}

HttpResponse AppendError(const Service& service, const Status& status) {
  if (status.code() == StatusCode::kUnavailable && service.shutting_down()) {
    return ErrorResponse(503, kErrorShuttingDown, status.message());
  }
  return StatusResponse(status);
}

HttpResponse Appended(const ledger::AppendResult& r) {
  json out{{"index", r.index},
           {"leafHash", Base64(r.leaf_hash)},
           {"recordedAtMs", r.recorded_at_ms}};
  HttpResponse resp = JsonResponse(Dump(out), 201);
  resp.headers.emplace_back("Location",
                            "/v1/entries/" + std::to_string(r.index));
  return resp;
}

// The jurisdiction of the cycle opened by entry `cycle`, as readers see it.
Result<std::string> CycleJurisdiction(Service& service, uint64_t cycle) {
  ASSIGN_OR_RETURN(json cycles,
                   projections::View(*service.Snapshot(), "cycles", {}));
  for (const json& c : cycles["cycles"]) {
    if (c.value("ref", UINT64_MAX) == cycle) {
      return c["jurisdiction"].value("code", "");
    }
  }
  return NotFound("no cycle was opened by entry " + std::to_string(cycle));
}

Status CheckText(const json& details, const char* field, size_t max,
                 bool required) {
  auto it = details.find(field);
  if (it == details.end()) {
    if (required) {
      return InvalidArgument(std::string("details.") + field + " is required");
    }
    return Status::Ok();
  }
  if (!it->is_string()) {
    return InvalidArgument(std::string("details.") + field +
                           " must be a string");
  }
  if (it->get_ref<const std::string&>().size() > max) {
    return InvalidArgument(std::string("details.") + field +
                           " is longer than " + std::to_string(max) + " bytes");
  }
  return Status::Ok();
}

// Builds the proposalSubmitted event JSON from the public form, or says
// what is wrong with it.
Result<json> ProposalEvent(const json& body, uint64_t* cycle) {
  for (const auto& [key, value] : body.items()) {
    if (key != "cycle" && key != "details" && key != "proposerName") {
      return InvalidArgument("unknown field \"" + key +
                             "\" (expected cycle, details, proposerName)");
    }
  }
  auto c = body.find("cycle");
  if (c == body.end() || !c->is_number_unsigned()) {
    return InvalidArgument("\"cycle\" (the cycle's entry index) is required");
  }
  *cycle = c->get<uint64_t>();
  auto d = body.find("details");
  if (d == body.end() || !d->is_object()) {
    return InvalidArgument("\"details\" (an object) is required");
  }
  RETURN_IF_ERROR(CheckText(*d, "title", kMaxTitle, true));
  RETURN_IF_ERROR(CheckText(*d, "description", kMaxText, true));
  RETURN_IF_ERROR(CheckText(*d, "location", kMaxTitle, true));
  RETURN_IF_ERROR(CheckText(*d, "fundingNote", kMaxText, false));
  std::string name;
  if (auto n = body.find("proposerName"); n != body.end()) {
    if (!n->is_string() || n->get_ref<const std::string&>().size() > kMaxName) {
      return InvalidArgument("\"proposerName\" must be a string of at most " +
                             std::to_string(kMaxName) + " bytes");
    }
    name = n->get<std::string>();
  }
  // The intake speaks for residents through the government website; the
  // rest of the proposal is the resident's own words.
  return json{{"proposalSubmitted",
               {{"cycle", *cycle},
                {"details", *d},
                {"proposerType", "resident"},
                {"proposerName", name},
                {"channel", "governmentWebsite"}}}};
}

}  // namespace

namespace {

// The answer to an append, once the ledger has decided.
void AnswerAppend(Service& service, const Respond& respond,
                  Result<ledger::AppendResult> appended) {
  if (!appended.ok()) return respond(AppendError(service, appended.status()));
  respond(Appended(*appended));
}

// A write handler's answer, waited for on the calling thread.
HttpResponse Wait(const std::function<void(Respond)>& start) {
  std::promise<HttpResponse> answer;
  std::future<HttpResponse> future = answer.get_future();
  start([&answer](HttpResponse r) { answer.set_value(std::move(r)); });
  return future.get();
}

}  // namespace

void HandleAppendAsync(Service& service, const HttpRequest& request,
                       Respond respond) {
  if (auto bad = RequireJson(service, request)) return respond(*bad);
  Result<ledger::SignedEvent> event = InvalidArgument("unread");
  if (std::optional<PlainWireFields> plain = PlainWireForm(request.body)) {
    event = SignedEventFromFields(plain->authored, plain->signature);
  } else {
    auto body = ParseObject(request);
    if (!body.ok()) return respond(StatusResponse(body.status()));
    event = body->contains("format")
                ? ledger::SignedEventFromEnvelope(request.body)
                : SignedEventFromJson(*body);
  }
  if (!event.ok()) return respond(StatusResponse(event.status()));
  service.AppendAsync(std::move(event).value(),
                      [&service, respond = std::move(respond)](
                          Result<ledger::AppendResult> appended) {
                        AnswerAppend(service, respond, std::move(appended));
                      });
}

void HandleProposalAsync(Service& service, const HttpRequest& request,
                         Respond respond) {
  int64_t retry_after_ms = 0;
  bool by_global = false;
  if (!service.AllowIntake(request.client_address, &retry_after_ms,
                           &by_global)) {
    HttpResponse r = ErrorResponse(
        429, kErrorRateLimited,
        by_global ? "the public intake is receiving too many proposals; try "
                    "again later"
                  : "too many proposals from this address; try again later");
    const int64_t seconds = std::max<int64_t>(1, (retry_after_ms + 999) / 1000);
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
    return respond(std::move(r));
  }
  if (auto bad = RequireJson(service, request)) return respond(*bad);
  auto body = ParseObject(request);
  if (!body.ok()) return respond(StatusResponse(body.status()));
  uint64_t cycle = 0;
  auto event_json = ProposalEvent(*body, &cycle);
  if (!event_json.ok()) return respond(StatusResponse(event_json.status()));
  auto jurisdiction = CycleJurisdiction(service, cycle);
  if (!jurisdiction.ok()) return respond(StatusResponse(jurisdiction.status()));
  auto key = service.IntakeKey(*jurisdiction);
  if (!key.ok()) return respond(StatusResponse(key.status()));
  // Read as a clerk's command is read (api/cli/command_form.h), so that a
  // wrong value is named with its field and the accepted values, never with
  // the decoder's own text; the form's fields are under "details".
  auto command = cli::ParseCommand(
      Dump(json{{"jurisdiction", *jurisdiction}, {"event", *event_json}}),
      cli::Lang::kEnglish);
  if (!command.ok()) {
    std::string m = command.status().message();
    const std::string prefix = "field event.proposalSubmitted.";
    if (m.rfind(prefix, 0) == 0) m = "field " + m.substr(prefix.size());
    return respond(StatusResponse(InvalidArgument(m)));
  }
  capnp::MallocMessageBuilder message;
  auto event = message.initRoot<schema::Event>();
  Status s = ledger::EventFromJson(command->event_json, event);
  if (!s.ok()) return respond(StatusResponse(s));
  auto signed_event = ledger::SignEvent(*key, service.origin(), *jurisdiction,
                                        NowMs(), event.asReader());
  if (!signed_event.ok()) return respond(StatusResponse(signed_event.status()));
  service.AppendAsync(std::move(signed_event).value(),
                      [&service, respond = std::move(respond)](
                          Result<ledger::AppendResult> appended) {
                        AnswerAppend(service, respond, std::move(appended));
                      });
}

HttpResponse HandleAppend(Service& service, const HttpRequest& request) {
  return Wait([&](Respond done) {
    HandleAppendAsync(service, request, std::move(done));
  });
}

HttpResponse HandleProposal(Service& service, const HttpRequest& request) {
  return Wait([&](Respond done) {
    HandleProposalAsync(service, request, std::move(done));
  });
}

}  // namespace piaojue::server
