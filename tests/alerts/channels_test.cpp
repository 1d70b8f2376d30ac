// Alert channels against real servers on loopback: email through the aiosmtpd sink with
// STARTTLS (and refused when the server cannot do STARTTLS), the generic webhook (signed, as
// the deploy receiver checks it) and the Slack-compatible hook through the webhook receiver.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "daemon/alerts/email_channel.hpp"
#include "daemon/alerts/http_channels.hpp"
#include "tests/alerts/alert_servers.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::alerts {
namespace {

using testing::HookReceiver;
using testing::LoopbackTls;
using testing::SmtpSink;

AlertNotice Firing() {
  AlertNotice n;
  n.state = AlertNotice::State::kFiring;
  n.id = 42;
  n.key = "expiry:web:0A1B:7d";
  n.kind = "expiry";
  n.subject = "web";
  n.severity = AlertSeverity::kCritical;
  n.message = "Managed certificate web (serial 0A1B) expires in 6 days, at 2026-11-28T12:00:00Z";
  n.opened_at = TimePoint(std::chrono::seconds(1'795'000'000));
  return n;
}

class ChannelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveSystemPython()) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  }
  config::AlertChannelConfig Email(const std::string& smtp, const std::string& ca_file) {
    config::AlertChannelConfig c;
    c.name = "email";
    c.type = "email";
    c.smtp = smtp;
    c.from = "certkeeper@example.com";
    c.to = {"ops@example.com", "oncall@example.com"};
    c.ca_bundle = ca_file;
    c.timeout = std::chrono::seconds(10);
    return c;
  }

  testing::TempDir tmp_;
  FakeClock clock_{TimePoint(std::chrono::seconds(1'795'000'100))};
};

TEST_F(ChannelsTest, EmailArrivesOverStartTls) {
  auto tls = LoopbackTls::Create(tmp_, "smtp");
  ASSERT_TRUE(tls.has_value());
  SmtpSink sink(tmp_, "mail", tls);
  ASSERT_TRUE(sink.ok()) << sink.log();
  EmailChannel ch(Email(sink.url(), tls->ca_file), clock_);
  ASSERT_OK(ch.Send(Firing()));
  auto messages = sink.Messages();
  ASSERT_EQ(messages.size(), 1u) << sink.log();
  const std::string& m = messages[0];
  EXPECT_NE(m.find("Subject: [certkeeper] FIRING critical: Managed certificate web (serial 0A1B) "
                   "expires in 6 days"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("From: certkeeper <certkeeper@example.com>"), std::string::npos);
  EXPECT_NE(m.find("To: ops@example.com, oncall@example.com"), std::string::npos);
  EXPECT_NE(m.find("Date: " + Rfc5322Date(clock_.Now())), std::string::npos);
  EXPECT_NE(m.find("Message-ID: <"), std::string::npos);
  EXPECT_NE(m.find("@example.com>"), std::string::npos);
  EXPECT_NE(m.find("Key:      expiry:web:0A1B:7d"), std::string::npos) << m;
  EXPECT_NE(m.find("expires in 6 days, at 2026-11-28T12:00:00Z"), std::string::npos);
  auto env = sink.Envelopes();
  ASSERT_EQ(env.size(), 1u);
  EXPECT_EQ(env[0]["mail_from"], "certkeeper@example.com");
  EXPECT_EQ(env[0]["rcpt_tos"], nlohmann::json({"ops@example.com", "oncall@example.com"}));
  EXPECT_EQ(env[0]["tls"], true) << "the message went over TLS";

  // A resolved notice says so in the subject.
  AlertNotice resolved = Firing();
  resolved.state = AlertNotice::State::kResolved;
  resolved.resolved_at = clock_.Now();
  ASSERT_OK(ch.Send(resolved));
  messages = sink.Messages();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_NE(messages[1].find("Subject: [certkeeper] RESOLVED: Managed certificate web"),
            std::string::npos);
}

TEST_F(ChannelsTest, EmailOverImplicitTls) {
  auto tls = LoopbackTls::Create(tmp_, "smtps");
  ASSERT_TRUE(tls.has_value());
  SmtpSink sink(tmp_, "mail", tls, /*implicit_tls=*/true);
  ASSERT_TRUE(sink.ok()) << sink.log();
  ASSERT_EQ(sink.url().rfind("smtps://", 0), 0u);
  EmailChannel ch(Email(sink.url(), tls->ca_file), clock_);
  ASSERT_OK(ch.Send(Firing()));
  auto env = sink.Envelopes();
  ASSERT_EQ(env.size(), 1u) << sink.log();
  EXPECT_EQ(env[0]["tls"], true);
  EXPECT_NE(sink.Messages()[0].find("Subject: [certkeeper] FIRING critical"), std::string::npos);
}

TEST_F(ChannelsTest, EmailRefusesAServerWithoutStartTls) {
  SmtpSink plain(tmp_, "plain", std::nullopt);
  ASSERT_TRUE(plain.ok()) << plain.log();
  EmailChannel ch(Email(plain.url(), ""), clock_);
  Status st = ch.Send(Firing());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  EXPECT_NE(st.message().find("STARTTLS"), std::string::npos) << st.message();
  EXPECT_TRUE(plain.Messages().empty()) << "nothing may be sent in clear text";

  // starttls = "none" (allowed by the config for loopback sinks only) does send.
  auto cfg = Email(plain.url(), "");
  cfg.starttls_required = false;
  EmailChannel clear(cfg, clock_);
  ASSERT_OK(clear.Send(Firing()));
  EXPECT_EQ(plain.Messages().size(), 1u);
}

TEST_F(ChannelsTest, EmailRefusesAnUntrustedServerCertificate) {
  auto tls = LoopbackTls::Create(tmp_, "smtp");
  auto other = LoopbackTls::Create(tmp_, "other");
  ASSERT_TRUE(tls && other);
  SmtpSink sink(tmp_, "mail", tls);
  ASSERT_TRUE(sink.ok()) << sink.log();
  EmailChannel ch(Email(sink.url(), other->ca_file), clock_);
  Status st = ch.Send(Firing());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("ca_bundle"), std::string::npos) << st.message();
  EXPECT_TRUE(sink.Messages().empty());
}

// A listening socket that never accepts: the TCP handshake completes (backlog), then the
// server says nothing, like a hung mail or web server.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() {
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(ChannelsTest, HungServersFailWithinTheTimeout) {
  SilentServer silent;
  ASSERT_GT(silent.port(), 0);
  auto cfg = Email("smtp://127.0.0.1:" + std::to_string(silent.port()), "");
  cfg.timeout = std::chrono::seconds(2);
  EmailChannel mail(cfg, clock_);
  auto start = std::chrono::steady_clock::now();
  Status st = mail.Send(Firing());
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.ToString();
  EXPECT_GE(took, std::chrono::milliseconds(1900));
  EXPECT_LT(took, std::chrono::seconds(5));

  config::AlertChannelConfig hook;
  hook.name = "hook";
  hook.type = "webhook";
  hook.url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/x";
  hook.timeout = std::chrono::seconds(2);
  WebhookChannel web(hook, clock_);
  start = std::chrono::steady_clock::now();
  EXPECT_FALSE(web.Send(Firing()).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ChannelsTest, SignedWebhookCarriesTheAlert) {
  const std::string secret = tmp_.WriteFile("hook-secret", "alert-hook-secret\n", 0600);
  HookReceiver receiver(tmp_, "hooks", secret);  // verifies the signature like deploy pushes
  ASSERT_TRUE(receiver.ok());
  config::AlertChannelConfig c;
  c.name = "hook";
  c.type = "webhook";
  c.url = receiver.url();
  c.secret_file = secret;
  SystemClock wall;  // the receiver checks the timestamp against its own clock
  WebhookChannel ch(c, wall);
  ASSERT_OK(ch.Send(Firing()));
  auto bodies = receiver.Bodies();
  ASSERT_EQ(bodies.size(), 1u);
  const auto& b = bodies[0];
  EXPECT_EQ(b["state"], "firing");
  EXPECT_EQ(b["id"], 42);
  EXPECT_EQ(b["key"], "expiry:web:0A1B:7d");
  EXPECT_EQ(b["kind"], "expiry");
  EXPECT_EQ(b["subject"], "web");
  EXPECT_EQ(b["severity"], "critical");
  EXPECT_EQ(b["message"], Firing().message);
  EXPECT_EQ(b["opened_at"], FormatRfc3339(Firing().opened_at));
  EXPECT_TRUE(b["resolved_at"].is_null());

  // A wrong secret is refused by the receiver, and the channel reports it.
  const std::string wrong = tmp_.WriteFile("wrong-secret", "not-it\n", 0600);
  c.secret_file = wrong;
  WebhookChannel bad(c, wall);
  Status st = bad.Send(Firing());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("HTTP 401"), std::string::npos) << st.message();
}

TEST_F(ChannelsTest, UnsignedWebhookAndSlack) {
  HookReceiver receiver(tmp_, "hooks");
  ASSERT_TRUE(receiver.ok());
  config::AlertChannelConfig c;
  c.name = "hook";
  c.type = "webhook";
  c.url = receiver.url();
  WebhookChannel hook(c, clock_);
  AlertNotice resolved = Firing();
  resolved.state = AlertNotice::State::kResolved;
  resolved.resolved_at = clock_.Now();
  ASSERT_OK(hook.Send(resolved));

  c.name = "chat";
  c.type = "slack";
  SlackChannel slack(c);
  ASSERT_OK(slack.Send(Firing()));
  auto bodies = receiver.Bodies();
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0]["state"], "resolved");
  EXPECT_EQ(bodies[0]["resolved_at"], FormatRfc3339(clock_.Now()));
  const auto& s = bodies[1];
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s.size(), 1u) << "Slack incoming webhooks take {\"text\": ...}";
  const std::string text = s["text"];
  EXPECT_EQ(text.rfind("[certkeeper] FIRING critical: Managed certificate web", 0), 0u) << text;
  EXPECT_NE(text.find("expires in 6 days"), std::string::npos);
  for (unsigned char ch : text) EXPECT_LT(ch, 0x80) << "plain text, no emoji";
}

TEST_F(ChannelsTest, WebhookErrorsNameTheUrl) {
  config::AlertChannelConfig c;
  c.name = "hook";
  c.type = "webhook";
  c.url = "http://127.0.0.1:" + std::to_string(testing::PickFreePort()) + "/x";
  c.timeout = std::chrono::seconds(3);
  WebhookChannel hook(c, clock_);
  Status st = hook.Send(Firing());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(c.url), std::string::npos) << st.message();
}

}  // namespace
}  // namespace ck::alerts
