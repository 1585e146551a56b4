// The public views (projections/views.h) with time travel, pagination and
// diffs. See docs/API.md, "Views".
#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/server/internal/handlers.h"
#include "projections/diff.h"
#include "projections/views.h"

namespace piaojue::server {

namespace {

using nlohmann::json;

// The list each view pages through (tally has none: a vote's rounds are few).
std::string_view ListOf(std::string_view view) {
  if (view == "cycles") return "cycles";
  if (view == "funnel") return "proposals";
  if (view == "candidates") return "candidates";
  if (view == "projects") return "projects";
  if (view == "audit") return "entries";
  return "";
}

// Fills the query from the path refs, then from the query string.
Result<projections::ViewQuery> QueryOf(const HttpRequest& request,
                                       const PathRefs& refs) {
  projections::ViewQuery q;
  ASSIGN_OR_RETURN(q.cycle, QueryNumber(request, "cycle"));
  ASSIGN_OR_RETURN(q.record, QueryNumber(request, "record"));
  ASSIGN_OR_RETURN(q.round, QueryNumber(request, "round"));
  if (refs.cycle) q.cycle = refs.cycle;
  if (refs.record) q.record = refs.record;
  if (refs.round) q.round = refs.round;
  return q;
}

Status Paginate(const HttpRequest& request, std::string_view name, json* view) {
  ASSIGN_OR_RETURN(std::optional<uint64_t> offset,
                   QueryNumber(request, "offset"));
  ASSIGN_OR_RETURN(const uint64_t count, PageLimit(request));
  const std::string list(ListOf(name));
  // A view that rendered only the page asked for (the funnel) has cut it.
  if (view->contains("page")) return Status::Ok();
  if (list.empty() || !view->contains(list) || !(*view)[list].is_array()) {
    return Status::Ok();
  }
  json& items = (*view)[list];
  const uint64_t total = items.size();
  const uint64_t begin = std::min(offset.value_or(0), total);
  const uint64_t end = begin + std::min(count, total - begin);
  json page = json::array();
  for (uint64_t i = begin; i < end; ++i) page.push_back(std::move(items[i]));
  items = std::move(page);
  (*view)["page"] = json{{"list", list},
                         {"offset", begin},
                         {"limit", count},
                         {"total", total},
                         {"next", end < total ? json(end) : json(nullptr)}};
  return Status::Ok();
}

}  // namespace

Result<uint64_t> PageLimit(const HttpRequest& request) {
  ASSIGN_OR_RETURN(std::optional<uint64_t> limit,
                   QueryNumber(request, "limit"));
  if (limit && *limit == 0) {
    return InvalidArgument("query parameter limit must be 1 to " +
                           std::to_string(kMaxPageLimit) + ", not 0");
  }
  return std::min(limit.value_or(kDefaultPageLimit), kMaxPageLimit);
}

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string QueryValue(const HttpRequest& request, const std::string& name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? "" : it->second;
}

// A point in time: an unencoded '+' of a time zone ("…T09:00:00+08:00")
// arrives as a space, and no as_of form contains a space, so take it back.
std::string MomentParam(const HttpRequest& request, const std::string& name) {
  std::string v = QueryValue(request, name);
  std::replace(v.begin(), v.end(), ' ', '+');
  return v;
}

Result<json> ViewAt(const Moment& m, std::string_view name,
                    projections::ViewQuery q) {
  if (m.date) q.as_of = m.date;
  return projections::View(*m.state, name, q);
}

Result<json> ViewAt(Service& service, std::string_view name,
                    projections::ViewQuery q, std::string_view as_of) {
  ASSIGN_OR_RETURN(Moment m, service.StateAt(as_of));
  return ViewAt(m, name, std::move(q));
}

HttpResponse HandleView(Service& service, const HttpRequest& request,
                        std::string_view name, const PathRefs& refs) {
  auto q = QueryOf(request, refs);
  if (!q.ok()) return StatusResponse(q.status());
  // Only the page is sent, so a view that can render just the page does
  // (projections::ViewQuery::page); a malformed offset or limit is refused
  // by Paginate below, after the view's own errors, as before.
  if (auto offset = QueryNumber(request, "offset"); offset.ok()) {
    if (auto limit = PageLimit(request); limit.ok()) {
      q->page = projections::ViewQuery::Page{offset->value_or(0), *limit};
    }
  }
  const std::string as_of = MomentParam(request, "as_of");
  auto view = ViewAt(service, name, *q, as_of);
  if (!view.ok()) return StatusResponse(view.status());
  Status s = Paginate(request, name, &*view);
  if (!s.ok()) return StatusResponse(s);
  HttpResponse r = JsonResponse(DumpJson(*view));
  // A view of the first N entries never changes; "now" does.
  if (!as_of.empty() && ParseDecimal(as_of)) {
    r.cache_control = "public, max-age=3600";
  }
  return r;
}

HttpResponse HandleDiff(Service& service, const HttpRequest& request) {
  const std::string name = QueryValue(request, "view");
  const std::string from = MomentParam(request, "from");
  if (name.empty() || from.empty()) {
    return ErrorResponse(400, "invalid_argument",
                         "a diff needs view= and from= (to= defaults to now)");
  }
  auto q = QueryOf(request, {});
  if (!q.ok()) return StatusResponse(q.status());
  auto before = ViewAt(service, name, *q, from);
  if (!before.ok()) return StatusResponse(before.status());
  auto after = ViewAt(service, name, *q, MomentParam(request, "to"));
  if (!after.ok()) return StatusResponse(after.status());
  return JsonResponse(DumpJson(projections::Diff(*before, *after)));
}

}  // namespace piaojue::server
