// Prometheus text exposition of the metric families.
#include "mux/proxy/ops/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace crossmux::mux::proxy {

namespace {

std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

Family::Family(std::string name, std::string help, Type type, std::vector<std::string> labels,
               std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      labels_(std::move(labels)),
      bounds_(std::move(buckets)) {
  std::sort(bounds_.begin(), bounds_.end());
}

Family::Series& Family::series(const LabelValues& labels) {
  auto it = series_.find(labels);
  if (it == series_.end()) {
    it = series_.emplace(labels, Series{}).first;
    if (type_ == Type::Histogram) it->second.buckets.assign(bounds_.size(), 0);
  }
  return it->second;
}

void Family::add(const LabelValues& labels, double delta) {
  series(labels).value += delta;
}
void Family::set(const LabelValues& labels, double value) {
  series(labels).value = value;
}

double Family::value(const LabelValues& labels) const {
  auto it = series_.find(labels);
  return it == series_.end() ? 0 : it->second.value;
}

void Family::observe(const LabelValues& labels, double v) {
  observe(series(labels), v);
}

void Family::observe(Series& s, double v) const {
  s.value += v;
  ++s.count;
  // Stored per bucket (not cumulative) so an observation costs one increment.
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  if (it != bounds_.end()) ++s.buckets[static_cast<size_t>(it - bounds_.begin())];
}

Family::Handle Family::handle(const LabelValues& labels) {
  return Handle(this, &series(labels));
}

void Family::Handle::add(double delta) {
  series_->value += delta;
}
void Family::Handle::set(double value) {
  series_->value = value;
}
void Family::Handle::observe(double v) {
  family_->observe(*series_, v);
}

uint64_t Family::count(const LabelValues& labels) const {
  auto it = series_.find(labels);
  return it == series_.end() ? 0 : it->second.count;
}

std::string Family::label_text(const LabelValues& values, std::string_view extra) const {
  std::string out;
  for (size_t i = 0; i < labels_.size() && i < values.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += labels_[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra;
  }
  if (!out.empty()) out += "}";
  return out;
}

void Family::render(std::string& out) const {
  static constexpr const char* kTypes[] = {"counter", "gauge", "histogram"};
  out += "# HELP " + name_ + " " + help_ + "\n";
  out += "# TYPE " + name_ + " " + kTypes[static_cast<int>(type_)] + "\n";
  for (const auto& [labels, s] : series_) {
    if (type_ != Type::Histogram) {
      out += name_ + label_text(labels) + " " + format_number(s.value) + "\n";
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += s.buckets[i];
      out += name_ + "_bucket" + label_text(labels, "le=\"" + format_number(bounds_[i]) + "\"") +
             " " + std::to_string(cumulative) + "\n";
    }
    out += name_ + "_bucket" + label_text(labels, "le=\"+Inf\"") + " " + std::to_string(s.count) +
           "\n";
    out += name_ + "_sum" + label_text(labels) + " " + format_number(s.value) + "\n";
    out += name_ + "_count" + label_text(labels) + " " + std::to_string(s.count) + "\n";
  }
}

void Family::merge_from(const Family& other) {
  for (const auto& [labels, s] : other.series_) {
    Series& mine = series(labels);
    mine.value += s.value;
    mine.count += s.count;
    for (size_t i = 0; i < mine.buckets.size() && i < s.buckets.size(); ++i)
      mine.buckets[i] += s.buckets[i];
  }
}

Registry::Registry(const Registry& other) {
  families_.reserve(other.families_.size());
  for (const auto& f : other.families_) families_.push_back(std::make_unique<Family>(*f));
}

Family& Registry::counter(std::string name, std::string help, std::vector<std::string> labels) {
  families_.push_back(std::make_unique<Family>(std::move(name), std::move(help),
                                               Family::Type::Counter, std::move(labels)));
  return *families_.back();
}

Family& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
  families_.push_back(std::make_unique<Family>(std::move(name), std::move(help),
                                               Family::Type::Gauge, std::move(labels)));
  return *families_.back();
}

Family& Registry::histogram(std::string name, std::string help, std::vector<std::string> labels,
                            std::vector<double> buckets) {
  families_.push_back(std::make_unique<Family>(std::move(name), std::move(help),
                                               Family::Type::Histogram, std::move(labels),
                                               std::move(buckets)));
  return *families_.back();
}

Family* Registry::find(std::string_view name) {
  for (auto& f : families_) {
    if (f->name() == name) return f.get();
  }
  return nullptr;
}

std::string Registry::render() const {
  std::string out;
  for (const auto& f : families_) f->render(out);
  return out;
}

void Registry::merge_from(const Registry& other) {
  for (size_t i = 0; i < families_.size() && i < other.families_.size(); ++i) {
    families_[i]->merge_from(*other.families_[i]);
  }
}

std::vector<double> Registry::latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

}  // namespace crossmux::mux::proxy
