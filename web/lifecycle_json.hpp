// The JSON shapes of the lifecycle endpoints, in one place for both sides: the handlers write
// them and the CLI (daemon/cli/) reads them back. Times are RFC 3339 UTC strings, absent times
// are null. The *FromJson functions never throw: a missing or mistyped field is an
// InvalidArgument naming the field.
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.hpp"
#include "web/lifecycle_types.hpp"

namespace ck::web {

nlohmann::json ToJson(const DeployTargetView& d);
nlohmann::json ToJson(const ManagedCertificateView& m);
nlohmann::json ToJson(const DaemonStatusView& s);
nlohmann::json ToJson(const RenewResult& r);
nlohmann::json ToJson(const PinSetView& p);
// Includes the private key ("privkey"): only for the bundle endpoint's response body.
nlohmann::json ToJson(const BundleView& b);
// "details" is the parsed details_json object (null when empty, the raw text when not JSON).
nlohmann::json ToJson(const EventView& e);

Result<ManagedCertificateView> ManagedFromJson(const nlohmann::json& j);
Result<DaemonStatusView> DaemonStatusFromJson(const nlohmann::json& j);
Result<RenewResult> RenewResultFromJson(const nlohmann::json& j);
Result<PinSetView> PinSetFromJson(const nlohmann::json& j);
Result<BundleView> BundleFromJson(const nlohmann::json& j);
Result<EventView> EventFromJson(const nlohmann::json& j);

}  // namespace ck::web
