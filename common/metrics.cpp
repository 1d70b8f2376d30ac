#include "common/metrics.hpp"

#include <charconv>
#include <cmath>

#include "common/log.hpp"

namespace ck::metrics {
namespace {

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

std::vector<std::string> SanitizeLabelNames(std::vector<std::string> names) {
  if (names.size() > kMaxLabels) names.resize(kMaxLabels);
  for (auto& n : names) n = SanitizeName(n, true);
  return names;
}

void AppendUnsigned(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// `name{a="x",b="y"` plus an optional extra label (the histogram's le), then `} `.
void AppendSeries(std::string& out, std::string_view name, std::string_view suffix,
                  const std::vector<std::string>& label_names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  out.append(name).append(suffix);
  const bool any = !label_names.empty() || !extra_name.empty();
  if (any) {
    out.push_back('{');
    bool first = true;
    for (size_t i = 0; i < label_names.size(); ++i) {
      if (!first) out.push_back(',');
      first = false;
      out.append(label_names[i]).append("=\"");
      AppendEscapedLabelValue(out, values[i]);
      out.push_back('"');
    }
    if (!extra_name.empty()) {
      if (!first) out.push_back(',');
      out.append(extra_name).append("=\"");
      AppendEscapedLabelValue(out, extra_value);
      out.push_back('"');
    }
    out.push_back('}');
  }
  out.push_back(' ');
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help, MetricType type) {
  out.append("# HELP ").append(name).push_back(' ');
  AppendEscapedHelp(out, help);
  out.append("\n# TYPE ").append(name).push_back(' ');
  out.append(TypeName(type)).push_back('\n');
}

template <typename T>
bool HasChildren(const Family<T>& f) {
  bool any = false;
  f.ForEach([&](const auto&, const auto&) { any = true; });
  return any;
}

}  // namespace

Histogram::Histogram(const std::vector<double>& upper_bounds) {
  for (double b : upper_bounds) {
    if (std::isfinite(b) && (bounds_.empty() || b > bounds_.back())) bounds_.push_back(b);
  }
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::Observe(double v) {
  // First bucket whose upper bound is >= v (le is inclusive); NaN lands in +Inf only.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  if (std::isnan(v)) i = bounds_.size();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

const std::vector<double>& DefaultLatencyBuckets() {
  static const std::vector<double> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                               0.5,   1,    2.5,   5,    10};
  return kBuckets;
}

Registry::Entry* Registry::Find(const std::string& name, MetricType type, bool* conflict) {
  *conflict = false;
  auto it = families_.find(name);
  if (it == families_.end()) return nullptr;
  if (it->second.type != type) {
    *conflict = true;
    return nullptr;
  }
  return &it->second;
}

CounterFamily& Registry::AddCounter(std::string_view name, std::string_view help,
                                    std::vector<std::string> label_names) {
  std::string n = SanitizeName(name, false);
  std::unique_lock lock(mu_);
  bool conflict = false;
  if (Entry* e = Find(n, MetricType::kCounter, &conflict)) return *e->counter;
  Entry entry{MetricType::kCounter, nullptr, nullptr, nullptr};
  entry.counter.reset(
      new CounterFamily(n, std::string(help), SanitizeLabelNames(std::move(label_names)), {}));
  if (entry.counter->label_names().empty()) entry.counter->With({});
  if (conflict) {
    log::Error("metric registered twice with different types", {{"metric", n}});
    return *detached_.emplace_back(std::move(entry)).counter;
  }
  return *families_.emplace(n, std::move(entry)).first->second.counter;
}

GaugeFamily& Registry::AddGauge(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names) {
  std::string n = SanitizeName(name, false);
  std::unique_lock lock(mu_);
  bool conflict = false;
  if (Entry* e = Find(n, MetricType::kGauge, &conflict)) return *e->gauge;
  Entry entry{MetricType::kGauge, nullptr, nullptr, nullptr};
  entry.gauge.reset(
      new GaugeFamily(n, std::string(help), SanitizeLabelNames(std::move(label_names)), {}));
  if (entry.gauge->label_names().empty()) entry.gauge->With({});
  if (conflict) {
    log::Error("metric registered twice with different types", {{"metric", n}});
    return *detached_.emplace_back(std::move(entry)).gauge;
  }
  return *families_.emplace(n, std::move(entry)).first->second.gauge;
}

HistogramFamily& Registry::AddHistogram(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> upper_bounds) {
  std::string n = SanitizeName(name, false);
  std::unique_lock lock(mu_);
  bool conflict = false;
  if (Entry* e = Find(n, MetricType::kHistogram, &conflict)) return *e->histogram;
  Entry entry{MetricType::kHistogram, nullptr, nullptr, nullptr};
  entry.histogram.reset(new HistogramFamily(
      n, std::string(help), SanitizeLabelNames(std::move(label_names)), std::move(upper_bounds)));
  if (entry.histogram->label_names().empty()) entry.histogram->With({});
  if (conflict) {
    log::Error("metric registered twice with different types", {{"metric", n}});
    return *detached_.emplace_back(std::move(entry)).histogram;
  }
  return *families_.emplace(n, std::move(entry)).first->second.histogram;
}

void Registry::RenderTo(std::string& out) const {
  std::shared_lock lock(mu_);
  for (const auto& [name, e] : families_) {
    switch (e.type) {
      case MetricType::kCounter:
      case MetricType::kGauge: {
        const auto render = [&](const auto& family) {
          if (!HasChildren(family)) return;
          AppendHeader(out, name, family.help(), e.type);
          family.ForEach([&](const std::vector<std::string>& values, const auto& child) {
            AppendSeries(out, name, "", family.label_names(), values);
            AppendValue(out, child.Value());
            out.push_back('\n');
          });
        };
        if (e.type == MetricType::kCounter) {
          render(*e.counter);
        } else {
          render(*e.gauge);
        }
        break;
      }
      case MetricType::kHistogram: {
        const HistogramFamily& family = *e.histogram;
        if (!HasChildren(family)) break;
        AppendHeader(out, name, family.help(), e.type);
        family.ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
          const Histogram::Snapshot s = h.Read();
          const auto& bounds = h.upper_bounds();
          std::string le;
          for (size_t i = 0; i <= bounds.size(); ++i) {
            le.clear();
            if (i < bounds.size()) {
              AppendValue(le, bounds[i]);
            } else {
              le = "+Inf";
            }
            AppendSeries(out, name, "_bucket", family.label_names(), values, "le", le);
            AppendUnsigned(out, s.cumulative[i]);
            out.push_back('\n');
          }
          AppendSeries(out, name, "_sum", family.label_names(), values);
          AppendValue(out, s.sum);
          out.push_back('\n');
          // The count is the +Inf bucket by construction, so the two never disagree.
          AppendSeries(out, name, "_count", family.label_names(), values);
          AppendUnsigned(out, s.cumulative.back());
          out.push_back('\n');
        });
        break;
      }
    }
  }
}

std::string Registry::Render() const {
  std::string out;
  RenderTo(out);
  return out;
}

Registry& Default() {
  static Registry* registry = new Registry();  // never destroyed: counted into until exit
  return *registry;
}

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out.append("\\\\"); break;
      case '"': out.append("\\\""); break;
      case '\n': out.append("\\n"); break;
      default: out.push_back(c);
    }
  }
}

void AppendEscapedHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

void AppendValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
  }
}

std::string SanitizeName(std::string_view name, bool label) {
  std::string out(name);
  if (out.empty()) return "_";
  for (size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool ok = alpha || (!label && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) out[i] = '_';
  }
  return out;
}

}  // namespace ck::metrics
