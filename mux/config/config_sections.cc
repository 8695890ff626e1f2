// [[listeners]] and [[clusters]]: values, and the settings of one entry that contradict each other.
#include "mux/config/config_sections.h"

#include <algorithm>

namespace crossmux::mux::config {
namespace {

// RFC 9113 §3: "h2" is HTTP/2 over TLS (ALPN), "h2c" HTTP/2 over cleartext TCP. A listener offers
// the one its transport allows; accepting the other silently served something nobody asked for.
void read_protocols(TableReader& r, Listener& l) {
  const toml::node* n = r.get("protocols");
  if (!n) return;
  std::vector<std::string> protocols;
  r.read("protocols", protocols);
  if (!n->is_array()) return;
  l.http1 = l.http2 = false;
  std::vector<std::string> seen;
  for (const auto& p : protocols) {
    if (std::find(seen.begin(), seen.end(), p) != seen.end()) {
      r.error("protocols", "lists " + toml_quote(p) + " twice", n);
      continue;
    }
    seen.push_back(p);
    if (p == "http/1.1") {
      l.http1 = true;
    } else if (p == "h2" && !l.tls()) {
      l.http2 = true;  // reported once, here, not again as "no protocol"
      r.error("protocols",
              "\"h2\" is HTTP/2 over TLS and this listener has no [[listeners.tls]]; use \"h2c\" "
              "for HTTP/2 without TLS",
              n);
    } else if (p == "h2c" && l.tls()) {
      l.http2 = true;
      r.error("protocols",
              "\"h2c\" is HTTP/2 without TLS and this listener has [[listeners.tls]]; a TLS "
              "listener offers \"h2\" (ALPN)",
              n);
    } else if (p == "h2" || p == "h2c") {
      l.http2 = true;
    } else {
      r.error("protocols",
              "unknown protocol " + toml_quote(p) +
                  (l.tls() ? " (a TLS listener offers \"h2\" and \"http/1.1\")"
                           : " (a plain listener offers \"http/1.1\" and \"h2c\")"),
              n);
    }
  }
}

void read_backends(TableReader& r, Cluster& cl) {
  const auto* n = r.get("backends");
  if (!n) return;
  const auto* arr = n->as_array();
  if (!arr) {
    r.error("backends", "must be an array of \"host:port\" strings or {address, weight} tables", n);
    return;
  }
  ParseContext& ctx = r.context();
  for (size_t i = 0; i < arr->size(); ++i) {
    const auto& e = (*arr)[i];
    const std::string bat = r.key("backends") + "[" + std::to_string(i + 1) + "]";
    ctx.where.lines[bat] = line_of(e);
    Backend b;
    if (auto s = e.value<std::string>()) {
      auto a = parse_address(*s);
      if (!a) {
        ctx.errors.push_back(ConfigError{bat, "is not \"host:port\" with a port 1-65535",
                                         line_of(e), toml_quote(*s)});
      } else {
        b.address = *a;
      }
    } else if (const auto* bt = e.as_table()) {
      TableReader br(*bt, bat, ctx);
      br.read("address", b.address, true);
      br.read_int("weight", b.weight, 1, 1000);
      br.finish();
    } else {
      ctx.errors.push_back(ConfigError{bat, "must be \"host:port\" or {address, weight}",
                                       line_of(e), toml_value(e)});
      continue;
    }
    cl.backends.push_back(std::move(b));
  }
}

// [clusters.tls]: TLS to the backends. "h2" implies it; "h2c" excludes it; the other settings
// mean nothing without it.
void read_cluster_tls(TableReader& r, Cluster& cl) {
  const auto* tt = r.subtable("tls");
  if (tt) {
    TableReader tr(*tt, r.key("tls"), r.context());
    cl.tls.enabled = true;
    tr.read("enabled", cl.tls.enabled);
    tr.read("verify", cl.tls.verify);
    tr.read_path("ca_file", cl.tls.ca_file);
    tr.read("sni", cl.tls.sni);
    if (cl.protocol == BackendProtocol::H2 && !cl.tls.enabled) {
      tr.error("enabled",
               "protocol \"h2\" is HTTP/2 over TLS; use protocol = \"h2c\" for HTTP/2 without "
               "TLS",
               tt->get("enabled"));
    }
    if (cl.protocol == BackendProtocol::H2c && cl.tls.enabled) {
      r.error("tls",
              "protocol \"h2c\" is HTTP/2 without TLS; use protocol = \"h2\" for HTTP/2 over "
              "TLS, or tls.enabled = false",
              tt);
    }
    if (!cl.tls.enabled) {
      for (const char* k : {"verify", "ca_file", "sni"}) {
        if (const auto* n = tt->get(k))
          tr.error(k, "has no effect: TLS is off (enabled = false)", n);
      }
    } else if (!cl.tls.verify && tt->get("ca_file")) {
      tr.error("ca_file", "has no effect with verify = false", tt->get("ca_file"));
    }
    tr.finish();
  }
  if (cl.protocol == BackendProtocol::H2) cl.tls.enabled = true;
}

bool valid_host(std::string_view h) {
  if (h.empty()) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == ':' || c == '[' || c == ']';
  });
}

void read_health_check(TableReader& r, Cluster& cl) {
  const auto* t = r.subtable("health_check");
  if (!t) return;
  TableReader hr(*t, r.key("health_check"), r.context());
  HealthCheck hc;
  hr.read("method", hc.method);
  if (hc.method != "GET" && hc.method != "HEAD" && hc.method != "OPTIONS") {
    hr.error("method", "must be one of \"GET\", \"HEAD\", \"OPTIONS\"", t->get("method"));
  }
  hr.read("path", hc.path);
  if (!hc.path.starts_with("/") || std::any_of(hc.path.begin(), hc.path.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      })) {
    hr.error("path", "must start with \"/\" and hold no space or control character",
             t->get("path"));
  }
  hr.read("host", hc.host);
  if (t->get("host") && !valid_host(hc.host)) {
    hr.error("host", "is not a host name or host:port", t->get("host"));
  }
  hr.read("interval", hc.interval, Millis(100));
  hr.read("timeout", hc.timeout);
  if (hc.timeout > hc.interval) {
    hr.error("timeout", "must not exceed interval (" + std::to_string(hc.interval.count()) + "ms)",
             t->get("timeout"));
  }
  hr.read_int("rise", hc.rise, 1, 100);
  hr.read_int("fall", hc.fall, 1, 100);
  if (const auto* n = hr.get("expect_status")) {
    const auto* arr = n->as_array();
    for (size_t i = 0; arr && i < arr->size(); ++i) {
      auto v = (*arr)[i].value<int64_t>();
      if (!v || !(*arr)[i].is_integer() || *v < 200 || *v > 599) {
        arr = nullptr;
        break;
      }
      hc.expect_status.push_back(static_cast<uint16_t>(*v));
    }
    if (!arr || hc.expect_status.empty()) {
      hr.error("expect_status", "must be a non-empty array of final statuses (200-599)", n);
    }
  }
  hr.finish();
  cl.health_check = std::move(hc);
}

}  // namespace

void read_answers(TableReader& r, std::string_view k, Answers& out) {
  const auto* t = r.subtable(k);
  if (!t) return;
  ParseContext& ctx = r.context();
  for (const auto& [code, node] : *t) {
    std::string at = r.key(k) + "." + std::string(code.str());
    int status = 0;
    try {
      status = std::stoi(std::string(code.str()));
    } catch (...) {
      status = 0;
    }
    if (status < 200 || status > 599 || std::to_string(status) != code.str()) {
      ctx.errors.push_back(
          ConfigError{at, "answer keys are HTTP status codes 200-599", line_of(node), {}});
      continue;
    }
    const auto* at_table = node.as_table();
    if (!at_table) {
      ctx.errors.push_back(ConfigError{at,
                                       "must be a table with \"body\" and optional "
                                       "\"content_type\"",
                                       line_of(node), toml_value(node)});
      continue;
    }
    TableReader ar(*at_table, at, ctx);
    Answer a;
    ar.read("body", a.body);
    ar.read("content_type", a.content_type);
    ar.finish();
    out[static_cast<uint16_t>(status)] = std::move(a);
  }
}

void read_listener(const toml::table& t, const std::string& at, Config& c, ParseContext& ctx) {
  TableReader r(t, at, ctx);
  Listener l;
  r.read("name", l.name);
  r.read("address", l.address, true, true);
  r.each_table("tls", [&](const toml::table& ct, const std::string& cat) {
    TableReader cr(ct, cat, ctx);
    Certificate cert;
    cr.read_path("cert", cert.cert_file);
    cr.read_path("key", cert.key_file);
    cr.read("names", cert.names);
    if (cert.cert_file.empty()) cr.error("cert", "is required (PEM certificate file)");
    if (cert.key_file.empty()) cr.error("key", "is required (PEM private key file)");
    cr.finish();
    l.certificates.push_back(std::move(cert));
  });
  read_protocols(r, l);
  r.read("https_redirect", l.https_redirect);
  r.read("allow_connect", l.allow_connect);
  read_answers(r, "answers", l.answers);
  r.finish();
  c.listeners.push_back(std::move(l));
}

void read_cluster(const toml::table& t, const std::string& at, Config& c, ParseContext& ctx) {
  TableReader r(t, at, ctx);
  Cluster cl;
  r.read("name", cl.name);
  r.read_enum("protocol", cl.protocol, {"http1", "h2c", "h2"});
  r.read_enum("load_balancing", cl.load_balancing, {"round_robin", "least_connections"});
  r.read_int("max_connections_per_backend", cl.max_connections_per_backend, 1, 1'000'000);
  r.read_int("connect_retries", cl.connect_retries, 0, 16);
  r.read("builtin_origin", cl.builtin_origin);
  read_cluster_tls(r, cl);
  read_backends(r, cl);
  read_health_check(r, cl);
  read_answers(r, "answers", cl.answers);
  r.finish();
  c.clusters.push_back(std::move(cl));
}

}  // namespace crossmux::mux::config
