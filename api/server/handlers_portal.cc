// The public portal (docs/PORTAL.md): its embedded files at every path that
// is not part of the API. The portal routes on the client, so an unknown
// page path gets index.html; an unknown file under /assets/ is a real 404.
//
// index.html carries the stylesheet and the shell script inline (portal/
// build.mjs), and for the first page (首页, "/") this server puts the cycles
// view into it as a JSON data block, so that the page is usable after one
// round trip (docs/PORTAL.md, "Measured").
#include <zlib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "api/server/internal/handlers.h"
#include "api/server/internal/portal_assets.h"
#include "api/server/internal/service.h"
#include "ledger/cosignature.h"

namespace piaojue::server {

namespace {

// The portal loads nothing from elsewhere: scripts, styles, data and images
// come from this origin only. The only inline scripts allowed are
// index.html's own, by their SHA-256 hashes (never 'unsafe-inline' for
// scripts); a JSON data block is not a script and runs nothing. ECharts sets
// inline styles, hence 'unsafe-inline' for styles; QR codes and chart
// exports are data: images.
const std::string& ContentSecurityPolicy() {
  static const std::string* csp = new std::string(
      "default-src 'self'; script-src 'self' " +
      std::string(PortalInlineScriptHashes()) +
      "; style-src 'self' 'unsafe-inline'; "
      "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
      "object-src 'none'; base-uri 'none'; form-action 'self'; "
      "frame-ancestors 'none'");
  return *csp;
}

// Where index.html takes the first page's data (portal/src/index.html).
constexpr std::string_view kDataPlaceholder = "<!--piaojue:initial-data-->";

const PortalAsset* Find(std::string_view path) {
  for (const PortalAsset& a : PortalAssets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

HttpResponse Headers(std::string_view content_type, bool immutable) {
  HttpResponse r;
  r.content_type = std::string(content_type);
  // Hashed file names never change content; index.html names the current
  // ones (and holds the current data), so it is revalidated on every visit.
  r.cache_control =
      immutable ? "public, max-age=31536000, immutable" : "no-cache";
  r.headers.emplace_back("Content-Security-Policy", ContentSecurityPolicy());
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  return r;
}

HttpResponse Serve(const PortalAsset& asset, const HttpRequest& request,
                   bool immutable) {
  HttpResponse r = Headers(asset.content_type, immutable);
  if (!asset.gzip.empty() && AcceptsGzip(request.accept_encoding)) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = std::string(asset.gzip);
  } else {
    r.body = std::string(asset.data);
  }
  return r;
}

// A query value as JavaScript's encodeURIComponent writes it, so that the
// data block's keys are the URLs portal/src/api.js computes.
std::string EncodeUriComponent(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                       (c >= '0' && c <= '9');
    if (alnum ||
        std::string_view("-_.!~*'()").find(c) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// index.html for the first page (首页): with the cycles view, as of the
// page's own as_of if it has one, in the data block. Without it when the
// view cannot be read (a bad as_of: the page then reads the view itself and
// shows the error).
HttpResponse ServeHome(Service& service, const PortalAsset& index,
                       const HttpRequest& request) {
  HttpRequest read;
  read.method = "GET";
  read.path = "/v1/cycles";
  std::string key = "/v1/cycles";
  if (auto it = request.query.find("as_of"); it != request.query.end()) {
    read.query["as_of"] = it->second;
    key += "?as_of=" + EncodeUriComponent(it->second);
  }
  HttpResponse view = HandleView(service, read, "cycles", {});
  std::string html(index.data);
  const size_t at = html.find(kDataPlaceholder);
  if (view.status != 200 || at == std::string::npos) {
    return Serve(index, request, false);
  }
  // The key is ASCII without quotes or backslashes (EncodeUriComponent), the
  // view's body is JSON text.
  html.replace(at, kDataPlaceholder.size(),
               "<script type=\"application/json\" id=\"piaojue-data\">{\"" +
                   key + "\":" + ScriptSafeJson(view.body) + "}</script>");
  HttpResponse r = Headers(index.content_type, false);
  if (AcceptsGzip(request.accept_encoding)) {
    std::string gz = Gzip(html);
    if (!gz.empty()) {
      r.headers.emplace_back("Content-Encoding", "gzip");
      r.body = std::move(gz);
      return r;
    }
  }
  r.body = std::move(html);
  return r;
}

// DIR/portal.json, the deployment's published name, pinned verifier key and
// witnesses (docs/PORTAL.md). Read on each request, so an operator can change
// it without a restart; "{}" when absent (the portal then says its key is not
// pinned). With `serve --witness`, also "serverWitnesses".
HttpResponse PortalConfig(const Service& service) {
  const std::string path = service.data_dir() + "/portal.json";
  nlohmann::json j = nlohmann::json::object();
  if (std::ifstream in(path, std::ios::binary); in) {
    std::ostringstream text;
    text << in.rdbuf();
    j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return ErrorResponse(500, "internal", "portal.json is not a JSON object");
    }
  }
  nlohmann::json out = nlohmann::json::object();
  for (const char* key : {"name", "verifierKey", "url"}) {
    if (j.contains(key) && j[key].is_string()) out[key] = j[key];
  }
  // The witnesses the browser requires cosignatures from (docs/PORTAL.md,
  // "Witnesses"): each a verifier key, or {"vkey", "label"}. Passed on as
  // written (the browser parses the keys and reports a bad one as a failed
  // verification, so a typo never turns the witnesses off); entries of any
  // other shape are dropped.
  if (j.contains("witnesses") && j["witnesses"].is_array()) {
    nlohmann::json list = nlohmann::json::array();
    for (const nlohmann::json& w : j["witnesses"]) {
      if (w.is_string()) {
        list.push_back(w);
      } else if (w.is_object() && w.contains("vkey") && w["vkey"].is_string()) {
        nlohmann::json one{{"vkey", w["vkey"]}};
        if (w.contains("label") && w["label"].is_string()) {
          one["label"] = w["label"];
        }
        list.push_back(std::move(one));
      }
    }
    out["witnesses"] = std::move(list);
  }
  if (j.contains("witnessQuorum") && j["witnessQuorum"].is_number_integer()) {
    out["witnessQuorum"] = j["witnessQuorum"];
  }
  // The witnesses this server sends its checkpoints to (`serve --witness`),
  // which the portal falls back to, as not pinned, when neither the
  // deployment nor the visitor names any: they come from the server being
  // checked, like the genesis key.
  if (!service.witnesses().empty()) {
    nlohmann::json keys = nlohmann::json::array();
    for (const witness::Endpoint& w : service.witnesses()) {
      keys.push_back(cosignature::FormatVerifierKey(w.key.name, w.key.key));
    }
    out["serverWitnesses"] = std::move(keys);
  }
  HttpResponse r = JsonResponse(out.dump());
  r.cache_control = "no-cache";
  return r;
}

}  // namespace

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

// gzip (RFC 1952) of `data`; empty if zlib fails (the caller then sends the
// bytes as they are).
std::string Gzip(std::string_view data) {
  z_stream z{};
  // 15 + 16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return "";
  }
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&z, Z_FINISH);
  const size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (status != Z_STREAM_END) return "";
  out.resize(written);
  return out;
}

std::string ScriptSafeJson(std::string_view json) {
  // In JSON, '<', '>' and '&' can only occur inside strings, where the
  // \u escapes mean the same characters: "</script>" and "<!--" can then
  // never end the data block or open a comment in it.
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

HttpResponse HandlePortal(Service& service, const HttpRequest& request) {
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
  if (request.path == "/" || request.path == "/index.html") {
    return ServeHome(service, *index, request);
  }
  if (const PortalAsset* asset = Find(request.path)) {
    return Serve(*asset, request, false);
  }
  // Any other page: the shell reads its data itself (the placeholder stays
  // an HTML comment).
  return Serve(*index, request, false);
}

}  // namespace piaojue::server
