// `varsam store init|info --store DIR|URI [--json]` (docs/cli.md; docs/storage.md).
//
// `init` creates what a store needs (SQLite: the directory and its three files; PostgreSQL:
// roles, schemas, tables and grants) and is idempotent; `info` opens an existing store and
// prints its backend, location, and per part the schema version and the rows of each table.
// A URI's password is never printed: not in the location, not in an error.

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cli.h"
#include "varsam/core.h"
#include "varsam/store.h"

namespace varsam::cli {
namespace {

struct StoreCommandOptions {
  std::string store;
  bool json = false;
};

// The password a postgresql:// URI carries (user:password@host, or ?password=...), "" when none.
std::string UriPassword(std::string_view uri) {
  std::string password;
  const size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos) return password;
  const std::string_view rest = uri.substr(scheme + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    if (colon != std::string_view::npos) password = std::string(userinfo.substr(colon + 1));
  }
  const size_t query = uri.find('?');
  if (password.empty() && query != std::string_view::npos) {
    std::string_view params = uri.substr(query + 1);
    while (!params.empty()) {
      const size_t amp = params.find('&');
      const std::string_view param = params.substr(0, amp);
      if (param.starts_with("password=")) password = std::string(param.substr(9));
      params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
    }
  }
  return password;
}

// `text` with every occurrence of `secret` replaced (a second guard behind the backends, which
// already leave the password out of locations and messages).
std::string Redact(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

// A usage error for a --store value that is neither a directory nor a PostgreSQL URI.
bool CheckStoreArgument(const std::string& store) {
  if (store.empty()) {
    std::cerr << "varsam: --store: give a directory or a postgresql:// URI\n";
    return false;
  }
  const bool postgres = store.starts_with("postgresql://") || store.starts_with("postgres://");
  if (!postgres && store.find("://") != std::string::npos) {
    std::cerr << "varsam: --store: the only URI scheme is postgresql:// (or a directory)\n";
    return false;
  }
  return true;
}

nlohmann::ordered_json InfoToJson(const store::StoreInfo& info, const std::string& password) {
  nlohmann::ordered_json o;
  o["backend"] = info.backend;
  o["location"] = Redact(info.location, password);
  o["parts"] = nlohmann::ordered_json::array();
  for (const store::PartInfo& part : info.parts) {
    nlohmann::ordered_json p;
    p["part"] = std::string(store::PartName(part.part));
    p["schema_version"] = part.schema_version;
    p["rows"] = nlohmann::ordered_json::object();
    for (const auto& row : part.rows) p["rows"][row.first] = row.second;
    o["parts"].push_back(std::move(p));
  }
  return o;
}

std::string DescribeInfo(const store::StoreInfo& info, const std::string& password) {
  std::string out =
      Cat({"backend   ", info.backend, "\nlocation  ", Redact(info.location, password), "\n"});
  for (const store::PartInfo& part : info.parts) {
    const std::string_view name = store::PartName(part.part);
    std::string line = Cat({name, std::string(10 - std::min<size_t>(name.size(), 9), ' '),
                            "schema ", std::to_string(part.schema_version), "  "});
    for (size_t i = 0; i < part.rows.size(); ++i) {
      line +=
          Cat({i == 0 ? "" : ", ", part.rows[i].first, " ", std::to_string(part.rows[i].second)});
    }
    out += line + "\n";
  }
  return out;
}

int FailRedacted(const absl::Status& status, const std::string& password) {
  std::cerr << "varsam: " << Redact(std::string(status.message()), password) << "\n";
  return ExitFor(status);
}

// Opens the existing store at `options.store` and prints its info.
int PrintInfo(const StoreCommandOptions& options, const std::string& password,
              std::string_view headline) {
  store::StoreOptions open;
  open.create = false;
  absl::StatusOr<std::unique_ptr<store::Store>> opened = store::Store::Open(options.store, open);
  if (!opened.ok()) return FailRedacted(opened.status(), password);
  absl::StatusOr<store::StoreInfo> info = (*opened)->Info();
  if (!info.ok()) return FailRedacted(info.status(), password);
  if (options.json) {
    std::cout << DumpJson(InfoToJson(*info, password)) << "\n";
  } else {
    std::cout << headline << DescribeInfo(*info, password);
  }
  return kExitOk;
}

int RunInit(const StoreCommandOptions& options) {
  if (!CheckStoreArgument(options.store)) return kExitUsage;
  const std::string password = UriPassword(options.store);
  const absl::Status made = store::Store::Init(options.store);
  if (!made.ok()) return FailRedacted(made, password);
  return PrintInfo(options, password, "store initialised\n");
}

int RunInfo(const StoreCommandOptions& options) {
  if (!CheckStoreArgument(options.store)) return kExitUsage;
  return PrintInfo(options, UriPassword(options.store), "");
}

void AddStoreOptions(CLI::App* command, StoreCommandOptions* options) {
  command
      ->add_option("--store", options->store,
                   "A directory (embedded SQLite: journal.db, register.db, audit.db) or a "
                   "postgresql://user[:password]@host[:port]/database URI")
      ->required();
  command->add_flag("--json", options->json,
                    "Print one JSON object: backend, location, parts [{part, schema_version, "
                    "rows {table: count}}]");
}

}  // namespace

void AddStoreCommand(CLI::App& app, int* exit_code) {
  auto* store = app.add_subcommand(
      "store",
      "The store: the journal (identifiable), the register (pseudonymised) and the audit "
      "store.\nSee docs/storage.md.");
  store->require_subcommand(1);

  auto init_options = std::make_shared<StoreCommandOptions>();
  auto* init = store->add_subcommand(
      "init",
      "Create a store (SQLite: the directory and its three files; PostgreSQL: the three\n"
      "roles, schemas, tables and grants, run as a role that may create roles). Safe to run\n"
      "again on an existing store. Prints what `store info` prints.");
  AddStoreOptions(init, init_options.get());
  init->callback([init_options, exit_code] { *exit_code = RunInit(*init_options); });

  auto info_options = std::make_shared<StoreCommandOptions>();
  auto* info = store->add_subcommand(
      "info",
      "Show a store's backend, location, and per part (journal, register, audit) the\n"
      "schema version and the rows of each table. Exit 66 when there is no store there.\n"
      "Opening an older store migrates it to this version.");
  AddStoreOptions(info, info_options.get());
  info->callback([info_options, exit_code] { *exit_code = RunInfo(*info_options); });
}

}  // namespace varsam::cli
