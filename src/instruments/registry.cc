// The instrument registry: built-ins from data/instruments/ plus what hosts load. Instruments
// are owned by the registry and never destroyed before it, so the pointers it hands out (and
// the band and flag strings the C API lends) stay valid.

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "definition.h"
#include "varsam/core.h"
#include "varsam/instruments.h"

namespace varsam::instruments {

// std::shared_mutex rather than absl::Mutex: pthread's rwlock is visible to ThreadSanitizer,
// Debian's prebuilt Abseil is not.
struct Registry::State {
  mutable std::shared_mutex mu;
  absl::flat_hash_map<std::string, const Instrument*> by_id;  // guarded by mu
  std::vector<std::string> order;                             // List() order; guarded by mu
  std::vector<std::unique_ptr<const Instrument>> owned;       // guarded by mu
};

Registry::Registry() : state_(std::make_unique<State>()) {}
Registry::~Registry() = default;

std::unique_ptr<Registry> Registry::WithBuiltins() {
  auto registry = std::make_unique<Registry>();
  for (const EmbeddedDefinition& file : BuiltinDefinitions()) {
    // The built-ins are checked by the test suite ("every built-in definition loads"); one
    // that did not load would be missing from the registry, never half-loaded.
    registry->Load(file.json).IgnoreError();
  }
  return registry;
}

Registry& Registry::Global() {
  static Registry* const global = WithBuiltins().release();  // lives until the process ends
  return *global;
}

const Instrument* Registry::Find(std::string_view id) const {
  std::shared_lock lock(state_->mu);
  const auto it = state_->by_id.find(absl::string_view(id.data(), id.size()));
  return it == state_->by_id.end() ? nullptr : it->second;
}

absl::StatusOr<const Instrument*> Registry::Get(std::string_view id) const {
  const Instrument* instrument = Find(id);
  if (instrument == nullptr) {
    // An id is safe to repeat; anything else the caller passed is not repeated.
    if (!internal::IsValidId(id)) return absl::NotFoundError("unknown instrument (not an id)");
    return absl::NotFoundError(Cat({"unknown instrument '", id, "'"}));
  }
  return instrument;
}

absl::StatusOr<const Instrument*> Registry::Load(std::string_view json) {
  VARSAM_ASSIGN_OR_RETURN(std::unique_ptr<const Instrument> instrument, Instrument::Parse(json));
  std::unique_lock lock(state_->mu);
  const Instrument* raw = instrument.get();
  if (!state_->by_id.emplace(raw->id(), raw).second) {
    return absl::AlreadyExistsError(Cat({"instrument '", raw->id(), "' is already loaded"}));
  }
  state_->order.push_back(raw->id());
  state_->owned.push_back(std::move(instrument));
  return raw;
}

absl::StatusOr<const Instrument*> Registry::Configure(std::string_view id,
                                                      const SettingValues& values) {
  VARSAM_ASSIGN_OR_RETURN(const Instrument* current, Get(id));
  // Definitions never change after loading, so the rebuild needs no lock; a concurrent
  // Configure of the same id may win the swap below, with its own complete instrument.
  SettingValues merged = current->setting_overrides();
  for (const auto& [name, value] : values) merged[name] = value;
  VARSAM_ASSIGN_OR_RETURN(std::unique_ptr<const Instrument> rebuilt,
                          Instrument::Parse(current->source_json(), merged));
  std::unique_lock lock(state_->mu);
  const Instrument* raw = rebuilt.get();
  state_->by_id[raw->id()] = raw;
  state_->owned.push_back(std::move(rebuilt));
  return raw;
}

std::vector<const Instrument*> Registry::List() const {
  std::shared_lock lock(state_->mu);
  std::vector<const Instrument*> out;
  out.reserve(state_->order.size());
  for (const std::string& id : state_->order) out.push_back(state_->by_id.at(id));
  return out;
}

nlohmann::ordered_json Registry::ToJson() const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const Instrument* instrument : List()) list.push_back(instrument->ToJson());
  return list;
}

}  // namespace varsam::instruments
