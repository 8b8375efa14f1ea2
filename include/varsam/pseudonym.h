// varsam/pseudonym.h — keyed pseudonyms for the register (docs/anonymisation.md).
//
// A pseudonym is HMAC-SHA-256 (RFC 2104, FIPS 180-4) of a normalised identifier under the key
// of a *key epoch*:
//
//   mac       = HMAC-SHA-256(key[epoch], "varsam-pseudonym/1" NUL kind NUL normalised-value)
//   pseudonym = "p1_" + base64url(mac) without padding          (46 characters)
//
// `kind` says what the identifier is ("personnummer", "client_ref", ...), so equal strings of
// different kinds never give the same pseudonym. The "1" of "p1_" is the version of this
// construction (not the epoch); the epoch id travels beside the pseudonym in every register row
// (store::EpisodeRow::key_epoch). The pseudonym passes the store's pattern check
// (store::ValidateEpisode: "p" + digit + "_" + 43 base64url characters).
//
// In the rare case (about 2 in 10^9) that a pseudonym's characters happen to contain a valid
// identity number (ten or more digits in a row with a real date and check digit), which the
// register would refuse, the MAC is taken again over value NUL n for n = 1, 2, ... until it does
// not: still deterministic, and unambiguous since values hold no NUL.
//
// Normalisation (what makes two spellings of one identifier the same pseudonym):
//  - kind "personnummer": any form ident::Check() accepts (YYYYMMDDNNNN, YYYYMMDD-NNNN,
//    YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN; surrounding ASCII white space removed first),
//    personnummer or samordningsnummer, becomes the twelve digits YYYYMMDDNNNN (the century of
//    ten-digit forms is resolved against PseudonymOptions::today). An invalid number is
//    InvalidArgument; the message never contains the number.
//  - every other kind: surrounding ASCII white space (space, tab, CR, LF, VT, FF) is removed;
//    nothing else is changed (no case folding: host ids are compared as the host wrote them).
//    The value must then be non-empty UTF-8 without NUL.
//  - a kind is 1..64 characters of [a-z0-9_].
//
// THE KEY STAYS WITH THE HOST (the "pseudonymisation domain" of EDPB Guidelines 01/2025 on
// pseudonymisation). varsam asks the host's PseudonymKeyProvider for an epoch's 32-byte key
// once, when a Pseudonymizer is created, derives the HMAC's keyed inner and outer SHA-256
// states from it and wipes the key (OPENSSL_cleanse); the states are wiped when the
// Pseudonymizer is destroyed. Neither the key nor anything derived from it is ever written to a
// store, a log, a message or an output.
//
// PSEUDONYMISED IS NOT ANONYMOUS. While the host holds an epoch's key, anyone with the key and
// a personnummer can recompute that person's pseudonym and find the person's rows: such rows
// are personal data (GDPR Art 4(5), recital 26: pseudonymised data "which could be attributed
// to a natural person by the use of additional information should be considered to be
// information on an identifiable natural person"). DESTROYING AN EPOCH'S KEY makes every row of
// that epoch unlinkable: without the key the HMAC cannot be recomputed or inverted, so the
// pseudonym no longer links the row to anyone. Those rows can then become anonymous in the
// sense of recital 26 — provided their other attributes (generalised by varsam/hierarchy.h and
// released k-anonymously, varsam/kanonymity.h) do not single a person out either. Hosts rotate
// epochs (e.g. yearly) and destroy old keys as their retention rules require.
//
// Speed: the per-call path copies two precomputed SHA-256 states, hashes one or two blocks each
// and encodes base64url; it allocates nothing but the returned string (PseudonymizeInto writes
// into the caller's buffer and allocates nothing). docs/anonymisation.md has the measurements.
//
// Thread safety: a Pseudonymizer is immutable after Create; its const methods may be called
// from any number of threads at once.

#ifndef VARSAM_PSEUDONYM_H_
#define VARSAM_PSEUDONYM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/core.h"

namespace varsam::anonymize {

// The host's key callback: fills `key` with the 32-byte secret key of `epoch` and returns OK,
// or returns an error when it has no such key (never created, or destroyed). Called only by
// Pseudonymizer::Create. The same shape as audit::KeyProvider, with the epoch.
using PseudonymKeyProvider =
    std::function<absl::Status(std::int32_t epoch, std::span<std::uint8_t, 32> key)>;

inline constexpr std::size_t kPseudonymLength = 46;          // "p1_" + 43
inline constexpr std::string_view kPseudonymPrefix = "p1_";  // construction version 1
inline constexpr std::string_view kPseudonymDomain = "varsam-pseudonym/1";  // HMAC input prefix

// Well-known kinds. Any other [a-z0-9_]{1,64} is accepted as well and normalised by trimming.
inline constexpr std::string_view kKindPersonnummer = "personnummer";  // also samordningsnummer
inline constexpr std::string_view kKindClientRef = "client_ref";
inline constexpr std::string_view kKindCaseRef = "case_ref";

// How the keyed states are kept and copied per call. The default is the fastest; the others
// exist so bench_pseudonym can measure the choice (docs/anonymisation.md). All give identical
// pseudonyms.
enum class HmacEngine : std::uint8_t {
  kMidstate = 0,   // OpenSSL's SHA-256 block functions on copied midstates (no allocation)
  kEvpMdCopy = 1,  // EVP_MD_CTX_copy_ex of keyed inner/outer EVP digests
  kEvpMacDup = 2,  // EVP_MAC_CTX_dup of an initialised EVP_MAC HMAC context
};

struct PseudonymOptions {
  // The reference date for the century of ten-digit identity numbers (ident::Check).
  Date today = TodayInSweden();
  HmacEngine engine = HmacEngine::kMidstate;
};

class Pseudonymizer {
 public:
  // Asks `keys` for the key of `epoch` (0 or more) and precomputes the keyed states; the key
  // itself is wiped before returning. Errors: InvalidArgument for a negative epoch;
  // FailedPrecondition when the callback fails (its message is included; the key is "missing")
  // or gives an all-zero key (an unfilled buffer). No pseudonym can be made without a key.
  static absl::StatusOr<Pseudonymizer> Create(std::int32_t epoch, const PseudonymKeyProvider& keys,
                                              PseudonymOptions options = {});

  Pseudonymizer(Pseudonymizer&&) noexcept;
  Pseudonymizer& operator=(Pseudonymizer&&) noexcept;
  ~Pseudonymizer();  // wipes the keyed states

  std::int32_t epoch() const { return epoch_; }

  // The pseudonym of `value` of kind `kind` (see the top of this file), 46 characters.
  // InvalidArgument (naming the kind, never the value) for a bad kind or value.
  absl::StatusOr<std::string> Pseudonymize(std::string_view kind, std::string_view value) const;

  // The same into the caller's buffer (not NUL-terminated); allocates nothing.
  absl::Status PseudonymizeInto(std::string_view kind, std::string_view value,
                                std::span<char, kPseudonymLength> out) const;

  struct State;  // private: the keyed states (pseudonym.cc)

 private:
  Pseudonymizer(std::int32_t epoch, Date today, std::unique_ptr<State> state);

  std::int32_t epoch_ = 0;
  Date today_;
  std::unique_ptr<State> state_;
};

// Raw HMAC-SHA-256 (RFC 2104) with any key length, by the same code the pseudonyms use (keys
// longer than 64 bytes are hashed first). Exposed for the RFC 4231 test vectors.
std::array<std::uint8_t, 32> HmacSha256(std::span<const std::uint8_t> key,
                                        std::span<const std::uint8_t> message);

// base64url (RFC 4648 §5) without padding of 32 bytes: 43 characters.
void Base64Url32(std::span<const std::uint8_t, 32> bytes, std::span<char, 43> out);

}  // namespace varsam::anonymize

#endif  // VARSAM_PSEUDONYM_H_
