// The public portal (docs/PORTAL.md): its embedded files at every path that
// is not part of the API. The portal routes on the client, so an unknown
// page path gets index.html; an unknown file under /assets/ is a real 404.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "api/server/internal/handlers.h"
#include "api/server/internal/portal_assets.h"

namespace piaojue::server {

namespace {

// The portal loads nothing from elsewhere: scripts, styles, data and images
// come from this origin only (ECharts sets inline styles, hence the one
// 'unsafe-inline' for styles; QR codes and chart exports are data: images).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

const PortalAsset* Find(std::string_view path) {
  for (const PortalAsset& a : PortalAssets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  // Good enough for real browsers and proxies: "gzip" listed and not refused
  // with q=0.
  size_t at = accept_encoding.find("gzip");
  if (at == std::string_view::npos) return false;
  std::string_view rest = accept_encoding.substr(at + 4);
  size_t comma = rest.find(',');
  std::string_view params = rest.substr(0, comma);
  return params.find("q=0") == std::string_view::npos ||
         params.find("q=0.") != std::string_view::npos;
}

HttpResponse Serve(const PortalAsset& asset, const HttpRequest& request,
                   bool immutable) {
  HttpResponse r;
  r.content_type = std::string(asset.content_type);
  // Hashed file names never change content; index.html names the current
  // ones, so it is revalidated on every visit.
  r.cache_control =
      immutable ? "public, max-age=31536000, immutable" : "no-cache";
  r.headers.emplace_back("Content-Security-Policy",
                         std::string(kContentSecurityPolicy));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (!asset.gzip.empty() && AcceptsGzip(request.accept_encoding)) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = std::string(asset.gzip);
  } else {
    r.body = std::string(asset.data);
  }
  return r;
}

// DIR/portal.json, the deployment's published name and pinned verifier key
// (docs/PORTAL.md). Read on each request, so an operator can change it
// without a restart; "{}" when absent (the portal then says its key is not
// pinned).
HttpResponse PortalConfig(const Service& service) {
  const std::string path = service.data_dir() + "/portal.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    HttpResponse r = JsonResponse("{}");
    r.cache_control = "no-cache";
    return r;
  }
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return ErrorResponse(500, "internal", "portal.json is not a JSON object");
  }
  nlohmann::json out = nlohmann::json::object();
  for (const char* key : {"name", "verifierKey", "url"}) {
    if (j.contains(key) && j[key].is_string()) out[key] = j[key];
  }
  HttpResponse r = JsonResponse(out.dump());
  r.cache_control = "no-cache";
  return r;
}

}  // namespace

HttpResponse HandlePortal(const Service& service, const HttpRequest& request) {
  if (request.path == "/portal-config.json") return PortalConfig(service);
  const PortalAsset* index = Find("/index.html");
  if (index == nullptr) {
    return ErrorResponse(404, "not_found", "this build has no portal");
  }
  if (request.path.starts_with("/assets/")) {
    const PortalAsset* asset = Find(request.path);
    if (asset == nullptr) {
      return ErrorResponse(404, "not_found",
                           "no such portal file: " + request.path);
    }
    return Serve(*asset, request, true);
  }
  if (request.path != "/" && request.path != "/index.html") {
    if (const PortalAsset* asset = Find(request.path)) {
      return Serve(*asset, request, false);
    }
  }
  return Serve(*index, request, false);
}

}  // namespace piaojue::server
