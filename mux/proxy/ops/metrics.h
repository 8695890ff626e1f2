// Metrics: counters, gauges and histograms with labels, rendered in Prometheus text format 0.0.4.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace crossmux::mux::proxy {

// Label values in the family's label order, e.g. {"h2", "h1", "api"}.
using LabelValues = std::vector<std::string>;

// One metric family. Single-threaded (one registry per worker); the admin endpoint merges
// workers by summing (see Registry::merge_from).
class Family {
  struct Series;

 public:
  enum class Type : uint8_t { Counter = 0, Gauge = 1, Histogram = 2 };

  // One series resolved once, for hot paths that then update it without a label lookup. Valid as
  // long as its family (series are never removed); a default Handle is empty.
  class Handle {
   public:
    Handle() = default;
    void add(double delta = 1);
    void set(double value);
    void observe(double v);  // histograms
    explicit operator bool() const { return series_ != nullptr; }

   private:
    friend class Family;
    Handle(const Family* family, Series* series) : family_(family), series_(series) {}
    const Family* family_ = nullptr;
    Series* series_ = nullptr;
  };

  Family(std::string name, std::string help, Type type, std::vector<std::string> labels,
         std::vector<double> buckets = {});

  // Counters and gauges.
  void add(const LabelValues& labels, double delta = 1);
  void set(const LabelValues& labels, double value);
  double value(const LabelValues& labels) const;
  // Histograms: one observation (e.g. seconds).
  void observe(const LabelValues& labels, double v);
  uint64_t count(const LabelValues& labels) const;
  // The series of `labels`, created (at zero) when absent.
  Handle handle(const LabelValues& labels);

  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  void render(std::string& out) const;
  void merge_from(const Family& other);

 private:
  struct Series {
    double value = 0;               // counter / gauge / histogram sum
    uint64_t count = 0;             // histogram
    std::vector<uint64_t> buckets;  // histogram, cumulative at render time
  };
  Series& series(const LabelValues& labels);
  void observe(Series& s, double v) const;
  std::string label_text(const LabelValues& values, std::string_view extra = {}) const;

  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  std::map<LabelValues, Series> series_;
};

// Owns the families. Families are created once at startup and referred to by pointer after.
class Registry {
 public:
  Registry() = default;
  // A deep copy (a worker's snapshot for the admin endpoint; handles keep pointing at the
  // original).
  Registry(const Registry& other);
  Registry& operator=(const Registry&) = delete;
  Registry(Registry&&) = default;
  Registry& operator=(Registry&&) = default;

  Family& counter(std::string name, std::string help, std::vector<std::string> labels = {});
  Family& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family& histogram(std::string name, std::string help, std::vector<std::string> labels,
                    std::vector<double> buckets);
  Family* find(std::string_view name);

  // The whole exposition, families in creation order.
  std::string render() const;
  // Adds another worker's series into this registry (same families in the same order).
  void merge_from(const Registry& other);

  // Latency buckets in seconds, 0.5 ms to 30 s.
  static std::vector<double> latency_buckets();

 private:
  std::vector<std::unique_ptr<Family>> families_;
};

// Escapes a label value per the exposition format (backslash, double quote, newline).
std::string escape_label_value(std::string_view v);

}  // namespace crossmux::mux::proxy
