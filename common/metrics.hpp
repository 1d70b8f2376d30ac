// Prometheus metrics: a small thread-safe registry of counter, gauge and histogram families and
// the text exposition format 0.0.4 (what `GET /metrics` serves and `promtool check metrics`
// reads). Hot paths hold on to a child (`family.With({...})` once, then `Inc()`), or look one up
// by label values, which does not allocate once the child exists.
//
// Two uses: the process registry `Default()`, where modules count what happens (renewals, ACME
// requests, issuances), and short-lived registries filled at scrape time from the store and the
// lifecycle (per-certificate gauges), rendered one after the other.
#pragma once

#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ck::metrics {

// Label names beyond this many are dropped at registration (ours use at most four).
inline constexpr size_t kMaxLabels = 8;

enum class MetricType { kCounter, kGauge, kHistogram };

class Counter {
 public:
  // Negative increments are ignored: a counter only goes up (a reset is a process restart).
  void Inc(double by = 1) {
    if (by > 0) value_.fetch_add(by, std::memory_order_relaxed);
  }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Inc(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  void Dec(double by = 1) { value_.fetch_sub(by, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `upper_bounds` ascending, finite; +Inf is implicit.
  explicit Histogram(const std::vector<double>& upper_bounds);
  void Observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per upper bound, then +Inf last
    double sum = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<double> sum_{0};
};

// Seconds-scale buckets for request latencies (the Prometheus client default).
const std::vector<double>& DefaultLatencyBuckets();

// One metric name with its label names; children per label-value tuple.
template <typename T>
class Family {
 public:
  // The child for these label values (as many as label names; missing ones are "", extra
  // ones dropped), created on first use. The reference stays valid as long as the registry.
  T& With(std::initializer_list<std::string_view> values) {
    return With(values.begin(), values.size());
  }
  T& With(const std::vector<std::string>& values) { return With(values.data(), values.size()); }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // For rendering: every child in label-value order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    std::shared_lock lock(mu_);
    for (const auto& [values, child] : children_) fn(values, *child);
  }

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        buckets_(std::move(buckets)) {}

  template <typename S>
  T& With(const S* values, size_t n);
  std::unique_ptr<T> MakeChild() const;

  // Orders label tuples, and compares stored tuples with look-up keys of any string type
  // without building a std::vector<std::string> (no allocation on a hit).
  struct TupleLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::lexicographical_compare(
          a.begin(), a.end(), b.begin(), b.end(),
          [](const auto& x, const auto& y) { return std::string_view(x) < std::string_view(y); });
    }
  };
  struct KeyView {  // a look-up key: `n` values, padded with "" to the label count
    const std::string_view* values;
    size_t n;
    const std::string_view* begin() const { return values; }
    const std::string_view* end() const { return values + n; }
  };

  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<double> buckets_;  // histograms only
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>, TupleLess> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

template <typename T>
template <typename S>
T& Family<T>::With(const S* values, size_t n) {
  std::string_view key[kMaxLabels];
  const size_t want = label_names_.size();
  for (size_t i = 0; i < want; ++i) key[i] = i < n ? std::string_view(values[i]) : "";
  const KeyView view{key, want};
  {
    std::shared_lock lock(mu_);
    if (auto it = children_.find(view); it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  if (auto it = children_.find(view); it != children_.end()) return *it->second;
  auto [pos, inserted] = children_.emplace(std::vector<std::string>(key, key + want), MakeChild());
  return *pos->second;
}

template <typename T>
std::unique_ptr<T> Family<T>::MakeChild() const {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(buckets_);
  } else {
    return std::make_unique<T>();
  }
}

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering a name again with the same type returns the existing family (so helpers may
  // register lazily from several places). Names and label names that are not valid Prometheus
  // identifiers have the offending characters replaced by '_'. A name already registered with
  // another type gets a detached family that is never rendered (and a log line): rendering
  // both would make the exposition invalid.
  CounterFamily& AddCounter(std::string_view name, std::string_view help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(std::string_view name, std::string_view help,
                        std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names,
                                std::vector<double> upper_bounds = DefaultLatencyBuckets());

  // Text exposition format 0.0.4, families by name, children by label values. Appends.
  void RenderTo(std::string& out) const;
  std::string Render() const;

 private:
  struct Entry {
    MetricType type;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
  };
  Entry* Find(const std::string& name, MetricType type, bool* conflict);

  mutable std::shared_mutex mu_;
  std::map<std::string, Entry, std::less<>> families_;
  std::vector<Entry> detached_;
};

// The process-wide registry (what modules count into).
Registry& Default();

// Format helpers, exposed for tests.
// A label value with \ " and newline escaped (text format 0.0.4).
void AppendEscapedLabelValue(std::string& out, std::string_view value);
// HELP text with \ and newline escaped.
void AppendEscapedHelp(std::string& out, std::string_view help);
// Shortest text that reads back as the same double; +Inf, -Inf, NaN.
void AppendValue(std::string& out, double v);
// [a-zA-Z_:][a-zA-Z0-9_:]* (metric) or [a-zA-Z_][a-zA-Z0-9_]* (label), invalid bytes -> '_'.
std::string SanitizeName(std::string_view name, bool label);

}  // namespace ck::metrics
