#include "common/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

namespace ck::metrics {
namespace {

TEST(MetricsFormatTest, CounterWithLabelsRendersHelpTypeAndSortedChildren) {
  Registry r;
  auto& f = r.AddCounter("ck_requests_total", "Requests by method.", {"method", "code"});
  f.With({"POST", "500"}).Inc();
  f.With({"GET", "200"}).Inc(3);
  f.With({"GET", "200"}).Inc();
  EXPECT_EQ(r.Render(),
            "# HELP ck_requests_total Requests by method.\n"
            "# TYPE ck_requests_total counter\n"
            "ck_requests_total{method=\"GET\",code=\"200\"} 4\n"
            "ck_requests_total{method=\"POST\",code=\"500\"} 1\n");
}

TEST(MetricsFormatTest, FamiliesAreOrderedByName) {
  Registry r;
  r.AddGauge("zz_last", "z").With({}).Set(1);
  r.AddGauge("aa_first", "a").With({}).Set(2);
  std::string text = r.Render();
  EXPECT_LT(text.find("aa_first 2"), text.find("zz_last 1"));
}

TEST(MetricsFormatTest, LabelValuesEscapeBackslashQuoteAndNewline) {
  Registry r;
  r.AddGauge("g", "help", {"path"}).With({"C:\\dir \"x\"\nnext"}).Set(1);
  EXPECT_NE(r.Render().find("g{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 1\n"), std::string::npos)
      << r.Render();
}

TEST(MetricsFormatTest, HelpEscapesBackslashAndNewlineButNotQuotes) {
  Registry r;
  r.AddGauge("g", "a \"quoted\" \\ help\nline two");
  EXPECT_NE(r.Render().find("# HELP g a \"quoted\" \\\\ help\\nline two\n"), std::string::npos)
      << r.Render();
}

TEST(MetricsFormatTest, UnlabelledFamiliesRenderZeroAndLabelledEmptyOnesNothing) {
  Registry r;
  r.AddCounter("plain_total", "p");
  r.AddCounter("labelled_total", "l", {"x"});
  EXPECT_EQ(r.Render(),
            "# HELP plain_total p\n"
            "# TYPE plain_total counter\n"
            "plain_total 0\n");
}

TEST(MetricsFormatTest, HistogramHasCumulativeBucketsInfSumAndCount) {
  Registry r;
  auto& h = r.AddHistogram("lat_seconds", "Latency.", {"path"}, {0.1, 1});
  h.With({"x"}).Observe(0.05);
  h.With({"x"}).Observe(0.1);  // le is inclusive
  h.With({"x"}).Observe(0.5);
  h.With({"x"}).Observe(7);
  EXPECT_EQ(r.Render(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{path=\"x\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{path=\"x\",le=\"1\"} 3\n"
            "lat_seconds_bucket{path=\"x\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{path=\"x\"} 7.65\n"
            "lat_seconds_count{path=\"x\"} 4\n");
}

TEST(MetricsFormatTest, ValuesRoundTripAndSpecialsUsePrometheusSpelling) {
  auto fmt = [](double v) {
    std::string s;
    AppendValue(s, v);
    return s;
  };
  EXPECT_EQ(fmt(1763832000), "1763832000");  // timestamps keep every digit
  EXPECT_EQ(fmt(0.25), "0.25");
  EXPECT_EQ(fmt(-3), "-3");
  EXPECT_EQ(fmt(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(fmt(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(fmt(std::nan("")), "NaN");
}

TEST(MetricsFormatTest, InvalidNamesAreSanitized) {
  EXPECT_EQ(SanitizeName("ck-requests.total", false), "ck_requests_total");
  EXPECT_EQ(SanitizeName("9lives", false), "_lives");
  EXPECT_EQ(SanitizeName("a:b", false), "a:b");
  EXPECT_EQ(SanitizeName("a:b", true), "a_b");
  EXPECT_EQ(SanitizeName("", true), "_");
  Registry r;
  r.AddGauge("bad name", "h", {"bad-label"}).With({"v"}).Set(1);
  EXPECT_NE(r.Render().find("bad_name{bad_label=\"v\"} 1"), std::string::npos) << r.Render();
}

TEST(MetricsRegistryTest, ReRegisteringReturnsTheSameFamily) {
  Registry r;
  auto& a = r.AddCounter("c_total", "h", {"x"});
  auto& b = r.AddCounter("c_total", "other help", {"x"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.With({"1"}), &b.With({"1"}));
}

TEST(MetricsRegistryTest, TypeConflictIsDetachedAndNotRendered) {
  Registry r;
  r.AddCounter("m", "counter").With({}).Inc();
  r.AddGauge("m", "gauge").With({}).Set(42);  // a programming error; must not corrupt output
  EXPECT_EQ(r.Render(), "# HELP m counter\n# TYPE m counter\nm 1\n");
}

TEST(MetricsRegistryTest, MissingLabelValuesAreEmptyAndExtraOnesDropped) {
  Registry r;
  auto& f = r.AddGauge("g", "h", {"a", "b"});
  EXPECT_EQ(&f.With({"x"}), &f.With({"x", ""}));
  EXPECT_EQ(&f.With({"x", "y", "z"}), &f.With({"x", "y"}));
  EXPECT_EQ(&f.With(std::vector<std::string>{"x", "y"}), &f.With({"x", "y"}));
}

TEST(MetricsRegistryTest, CounterIgnoresNegativeIncrements) {
  Counter c;
  c.Inc(2);
  c.Inc(-5);
  EXPECT_EQ(c.Value(), 2);
}

TEST(MetricsRegistryTest, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& f = r.AddCounter("n_total", "h", {"t"});
  auto& h = r.AddHistogram("d_seconds", "h", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        f.With({t % 2 ? "odd" : "even"}).Inc();
        h.With({}).Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.With({"odd"}).Value(), 20000);
  EXPECT_EQ(f.With({"even"}).Value(), 20000);
  EXPECT_EQ(h.With({}).Read().cumulative.back(), 40000u);
}

TEST(MetricsRegistryTest, DefaultIsOneProcessRegistry) { EXPECT_EQ(&Default(), &Default()); }

}  // namespace
}  // namespace ck::metrics
