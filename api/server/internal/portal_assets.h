// The public portal's built files (portal/, docs/PORTAL.md), embedded in the
// binary at build time by portal/scripts/embed.mjs so that a copied `piaojue`
// serves the portal without any file next to it.
#pragma once

#include <span>
#include <string_view>

namespace piaojue::server {

struct PortalAsset {
  std::string_view path;          // "/index.html", "/assets/main-XXXX.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view data;
  std::string_view
      gzip;  // the same bytes gzip-compressed; empty if not worth it
};

// Every embedded file (generated source).
std::span<const PortalAsset> PortalAssets();

// The Content-Security-Policy script sources that allow index.html's inline
// scripts and nothing else: "'sha256-<base64>'" for each, space-separated.
std::string_view PortalInlineScriptHashes();

}  // namespace piaojue::server
