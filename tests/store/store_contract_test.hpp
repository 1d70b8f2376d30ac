// The Store contract test, parameterized over a factory so every implementation runs the same
// cases: SqliteStore on ":memory:" and on a file today, PostgresStore later (add a factory to
// the INSTANTIATE_TEST_SUITE_P list in store_contract_test.cpp).
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/status.hpp"
#include "store/master_key.hpp"
#include "store/store.hpp"

namespace ck::store::testing {

struct StoreFactory {
  std::string name;  // test name suffix
  // A fresh, empty store sealing with `key`; files (if any) go under `dir`. Called again with
  // the same `dir` to reopen the same store (e.g. after Rekey) when `persistent`.
  std::function<Result<std::unique_ptr<Store>>(const MasterKey& key, const std::string& dir)> make;
  bool persistent = true;
};

// gtest prints parameters of failing tests with this (instead of a hex dump).
inline void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

}  // namespace ck::store::testing
