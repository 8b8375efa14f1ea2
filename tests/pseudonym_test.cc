// Tests for include/varsam/pseudonym.h (docs/anonymisation.md): keyed pseudonyms.
//
// Known answers were computed independently with Python's standard library (hmac, hashlib,
// base64.urlsafe_b64encode without '=') — the same vectors scripts/bench-pseudonym-vs-python.py
// checks — and every pseudonym is also recomputed here with OpenSSL's one-shot HMAC() and
// EVP_EncodeBlock, which share no code with the library's midstate path. Identity numbers are
// Skatteverket's official test numbers only.

#include "varsam/pseudonym.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "varsam/core.h"
#include "varsam/hierarchy.h"
#include "varsam/ident.h"
#include "varsam/store.h"

namespace an = varsam::anonymize;
using an::HmacEngine;
using an::Pseudonymizer;

namespace {

const varsam::Date kToday(2026, 11, 28);

// Epoch 1: key bytes 0..31; epoch 2: 32..63; anything else: no key.
absl::Status TestKeys(std::int32_t epoch, std::span<std::uint8_t, 32> key) {
  if (epoch != 1 && epoch != 2) return absl::NotFoundError("no such key epoch");
  for (std::size_t i = 0; i < 32; ++i) {
    key[i] = static_cast<std::uint8_t>(i + (epoch == 2 ? 32 : 0));
  }
  return absl::OkStatus();
}

std::array<std::uint8_t, 32> KeyOf(std::int32_t epoch) {
  std::array<std::uint8_t, 32> k{};
  REQUIRE(TestKeys(epoch, k).ok());
  return k;
}

Pseudonymizer Make(std::int32_t epoch, HmacEngine engine = HmacEngine::kMidstate) {
  an::PseudonymOptions options;
  options.today = kToday;
  options.engine = engine;
  auto p = Pseudonymizer::Create(epoch, TestKeys, options);
  REQUIRE(p.ok());
  return std::move(*p);
}

std::string Hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

// The reference: OpenSSL's one-shot HMAC() and EVP_EncodeBlock (standard base64, then made
// URL-safe and unpadded) on the documented input "varsam-pseudonym/1" NUL kind NUL value.
std::string Reference(std::int32_t epoch, std::string_view kind, std::string_view normalized) {
  std::string message("varsam-pseudonym/1");
  message.push_back('\0');
  message.append(kind);
  message.push_back('\0');
  message.append(normalized);
  const auto key = KeyOf(epoch);
  unsigned char mac[32];
  unsigned int n = 0;
  REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
               reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
               &n) != nullptr);
  REQUIRE(n == 32);
  unsigned char b64[64];
  const int len = EVP_EncodeBlock(b64, mac, 32);
  std::string s(reinterpret_cast<char*>(b64), static_cast<std::size_t>(len));
  std::replace(s.begin(), s.end(), '+', '-');
  std::replace(s.begin(), s.end(), '/', '_');
  s.erase(std::remove(s.begin(), s.end(), '='), s.end());
  return varsam::Cat({"p1_", s});
}

struct KnownAnswer {
  const char* kind;
  const char* value;
  const char* epoch1;
  const char* epoch2;
};

// Python: "p1_" + base64.urlsafe_b64encode(hmac.new(key, b"varsam-pseudonym/1\0" + kind +
// b"\0" + value, hashlib.sha256).digest()).rstrip(b"=")
constexpr KnownAnswer kKnown[] = {
    {"personnummer", "198501012382", "p1_ZwC28aGh_IzNaxHKcKgiTkoFBJ5U1lbqCv2QHivv4f8",
     "p1_uZkaVyedczdXE_QvqtKFQC_Ks3L_OPILITXTcQRmdlQ"},
    {"personnummer", "201001012390", "p1_DyzqBE6JRzqMk3XD5aq2moPn9x_mt02qbExkSdLzMRw",
     "p1_r7ey6pHcRzIoxpCEI_AaSWM6qUQbjz3gpdVEdwMly-8"},
    {"client_ref", "K-1001", "p1_uJWlZPbkGkz5z7HIYbhtxIh9EKJSacTF148uzj7gA6Y",
     "p1_T-N4dZ9V60lj0jQrEMQ-qpkwQ_LNf--KQKAdybN44q4"},
    {"case_ref", "K-1001", "p1_S9YC_bcJhDWHhg9HPjyY3ibAWML7LD1p3OQCHLqeppM",
     "p1_5Jfzdm21ovxBmynJqCmaQuMePyZriYFTZXzEbw_V1Bg"},
    {"client_ref", "\xC3\x85sa-17", "p1_i8qtzVXoCEGqb-_3DI5ZvYWk_ckJwj3Lvfqe8QtwfS8",
     "p1_6aV4V9kBT6nKqKuj6z0e3d07IXKWKBkFjfOYrkjRXmU"},
};

}  // namespace

TEST_CASE("pseudonym: raw HMAC-SHA-256 passes the RFC 4231 test vectors", "[pseudonym]") {
  struct Vector {
    std::vector<std::uint8_t> key;
    std::vector<std::uint8_t> data;
    const char* mac;
  };
  std::vector<std::uint8_t> key25;
  for (std::uint8_t i = 1; i <= 25; ++i) key25.push_back(i);
  const std::vector<Vector> vectors = {
      // 4.2 Test Case 1
      {std::vector<std::uint8_t>(20, 0x0b), Bytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      // 4.3 Test Case 2
      {Bytes("Jefe"), Bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      // 4.4 Test Case 3
      {std::vector<std::uint8_t>(20, 0xaa), std::vector<std::uint8_t>(50, 0xdd),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      // 4.5 Test Case 4
      {key25, std::vector<std::uint8_t>(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      // 4.7 Test Case 6 (key longer than a block: hashed first)
      {std::vector<std::uint8_t>(131, 0xaa),
       Bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      // 4.8 Test Case 7
      {std::vector<std::uint8_t>(131, 0xaa),
       Bytes("This is a test using a larger than block-size key and a larger than block-size "
             "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const Vector& v : vectors) {
    CAPTURE(v.mac);
    CHECK(Hex(an::HmacSha256(v.key, v.data)) == v.mac);
  }
  // Empty key and message (the degenerate case) agree with OpenSSL's one-shot HMAC.
  unsigned char mac[32];
  unsigned int n = 0;
  const unsigned char nothing[1] = {0};
  REQUIRE(HMAC(EVP_sha256(), nothing, 0, nothing, 0, mac, &n) != nullptr);
  CHECK(Hex(an::HmacSha256({}, {})) == Hex(std::span<const std::uint8_t>(mac, 32)));
}

TEST_CASE("pseudonym: base64url without padding", "[pseudonym]") {
  std::array<std::uint8_t, 32> bytes{};
  std::array<char, 43> out{};
  an::Base64Url32(bytes, out);
  CHECK(std::string(out.data(), 43) == std::string(43, 'A'));
  bytes.fill(0xff);
  an::Base64Url32(bytes, out);
  CHECK(std::string(out.data(), 43) ==
        varsam::Cat({std::string(42, '_'), "8"}));  // 0xffff -> "__8"
  for (std::size_t i = 0; i < 32; ++i) bytes[i] = static_cast<std::uint8_t>(0xf8 + i);
  an::Base64Url32(bytes, out);
  // Python: base64.urlsafe_b64encode(bytes(range(0xf8, 0x100)) + bytes(range(0, 24)))
  CHECK(std::string(out.data(), 43) == "-Pn6-_z9_v8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc");
}

TEST_CASE("pseudonym: stable known answers, equal for every engine", "[pseudonym]") {
  for (const HmacEngine engine :
       {HmacEngine::kMidstate, HmacEngine::kEvpMdCopy, HmacEngine::kEvpMacDup}) {
    CAPTURE(static_cast<int>(engine));
    const Pseudonymizer e1 = Make(1, engine);
    const Pseudonymizer e2 = Make(2, engine);
    CHECK(e1.epoch() == 1);
    CHECK(e2.epoch() == 2);
    for (const KnownAnswer& k : kKnown) {
      CAPTURE(k.kind, k.value);
      CHECK(e1.Pseudonymize(k.kind, k.value).value() == k.epoch1);
      CHECK(e2.Pseudonymize(k.kind, k.value).value() == k.epoch2);
      CHECK(Reference(1, k.kind, k.value) == k.epoch1);
      CHECK(Reference(2, k.kind, k.value) == k.epoch2);
    }
  }
}

TEST_CASE("pseudonym: agrees with OpenSSL's one-shot HMAC on many inputs", "[pseudonym]") {
  const Pseudonymizer p = Make(1);
  // Lengths across the SHA-256 block boundaries of the inner hash (prefix 19 + kind + 1).
  for (std::size_t len = 1; len <= 200; ++len) {
    std::string value;
    for (std::size_t i = 0; i < len; ++i)
      value.push_back(static_cast<char>('a' + (i * 7 + len) % 26));
    CAPTURE(len);
    CHECK(p.Pseudonymize("client_ref", value).value() == Reference(1, "client_ref", value));
    CHECK(p.Pseudonymize("x", value).value() == Reference(1, "x", value));
  }
}

TEST_CASE("pseudonym: identity numbers are normalised to twelve digits", "[pseudonym]") {
  const Pseudonymizer p = Make(1);
  const std::string expected = kKnown[0].epoch1;  // 198501012382
  for (const char* form : {"198501012382", "19850101-2382", "850101-2382", "8501012382",
                           "  198501012382\n", "\t850101-2382 "}) {
    CAPTURE(form);
    CHECK(p.Pseudonymize("personnummer", form).value() == expected);
  }
  // The same digits as another kind are not normalised, and differ.
  CHECK(p.Pseudonymize("client_ref", "850101-2382").value() != expected);
  CHECK(p.Pseudonymize("client_ref", "198501012382").value() != expected);

  // Invalid numbers are refused; the message holds no part of the number.
  // A wrong check digit, made at run time so that no invalid number is written in the source.
  const std::string wrong_check_digit = varsam::Cat({"19850101238", "3"});
  for (const std::string& bad :
       {wrong_check_digit, varsam::Cat({"850101+", "2382x"}), std::string("19850132-2382"),
        std::string(""), std::string("   "), std::string("abc")}) {
    CAPTURE(bad);
    const auto got = p.Pseudonymize("personnummer", bad);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
    const std::string message(got.status().message());
    CHECK(message.find("personnummer") != std::string::npos);
    CHECK(message.find("2383") == std::string::npos);
    CHECK(message.find("850101") == std::string::npos);
    CHECK(message.find("850132") == std::string::npos);
  }
}

TEST_CASE("pseudonym: other kinds are trimmed, checked, and kept apart", "[pseudonym]") {
  const Pseudonymizer p = Make(1);
  CHECK(p.Pseudonymize("client_ref", " \tK-1001\r\n").value() == kKnown[2].epoch1);
  CHECK(p.Pseudonymize("client_ref", "k-1001").value() != kKnown[2].epoch1);  // no case folding
  CHECK(p.Pseudonymize("client_ref", "K-1001").value() !=
        p.Pseudonymize("case_ref", "K-1001").value());

  // Bad kinds.
  for (const char* kind : {"", "Client_Ref", "client-ref", "client ref", "klient_ä"}) {
    CAPTURE(kind);
    const auto got = p.Pseudonymize(kind, "K-1001");
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK_FALSE(p.Pseudonymize(std::string(65, 'a'), "K-1001").ok());
  CHECK(p.Pseudonymize(std::string(64, 'a'), "K-1001").ok());

  // Bad values: empty after trimming, NUL, not UTF-8. Messages never hold the value.
  for (const std::string& bad :
       {std::string(""), std::string(" \t "), std::string("K-\0-1", 4), std::string("K-\xff")}) {
    const auto got = p.Pseudonymize("client_ref", bad);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(got.status().message()).find("K-") == std::string::npos);
  }
}

TEST_CASE("pseudonym: different epochs and kinds give different pseudonyms", "[pseudonym]") {
  const Pseudonymizer e1 = Make(1);
  const Pseudonymizer e2 = Make(2);
  std::set<std::string> all;
  std::size_t made = 0;
  for (const char* kind : {"personnummer", "client_ref", "case_ref"}) {
    for (const char* value : {"198501012382", "201001012390", "K-1001"}) {
      for (const Pseudonymizer* p : {&e1, &e2}) {
        const auto got = p->Pseudonymize(kind, value);
        if (!got.ok()) continue;  // K-1001 is no personnummer
        all.insert(*got);
        ++made;
      }
    }
  }
  CHECK(made == 16);
  CHECK(all.size() == made);
}

TEST_CASE("pseudonym: the caller-buffer form writes 46 characters", "[pseudonym]") {
  const Pseudonymizer p = Make(2);
  std::array<char, an::kPseudonymLength> buffer{};
  REQUIRE(p.PseudonymizeInto("client_ref", "K-1001", buffer).ok());
  CHECK(std::string(buffer.data(), buffer.size()) == kKnown[2].epoch2);
  buffer.fill('#');
  CHECK_FALSE(p.PseudonymizeInto("personnummer", "K-1001", buffer).ok());
}

TEST_CASE("pseudonym: a missing key is refused with a clear status", "[pseudonym]") {
  an::PseudonymOptions options;
  options.today = kToday;
  const auto missing = Pseudonymizer::Create(7, TestKeys, options);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == absl::StatusCode::kFailedPrecondition);
  const std::string message(missing.status().message());
  CHECK(message.find("epoch 7") != std::string::npos);
  CHECK(message.find("no such key epoch") != std::string::npos);  // the callback's reason

  const auto zero = Pseudonymizer::Create(
      1, [](std::int32_t, std::span<std::uint8_t, 32>) { return absl::OkStatus(); }, options);
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.status().code() == absl::StatusCode::kFailedPrecondition);

  const auto none = Pseudonymizer::Create(1, an::PseudonymKeyProvider{}, options);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == absl::StatusCode::kFailedPrecondition);

  const auto negative = Pseudonymizer::Create(-1, TestKeys, options);
  REQUIRE_FALSE(negative.ok());
  CHECK(negative.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("pseudonym: the key is asked once and never appears in any output", "[pseudonym]") {
  int calls = 0;
  std::array<std::uint8_t, 32> copy{};
  an::PseudonymOptions options;
  options.today = kToday;
  const auto p = Pseudonymizer::Create(
      1,
      [&](std::int32_t epoch, std::span<std::uint8_t, 32> key) {
        ++calls;
        return TestKeys(epoch, key);
      },
      options);
  REQUIRE(p.ok());
  CHECK(calls == 1);
  copy = KeyOf(1);
  std::array<char, 43> key_b64{};
  an::Base64Url32(copy, key_b64);
  const std::string key_hex = Hex(copy);
  const std::string key_b64s(key_b64.data(), key_b64.size());
  const std::string key_raw(copy.begin(), copy.end());

  std::vector<std::string> outputs;
  for (const KnownAnswer& k : kKnown) outputs.push_back(p->Pseudonymize(k.kind, k.value).value());
  outputs.emplace_back(p->Pseudonymize("personnummer", "198501012383").status().ToString());
  outputs.emplace_back(p->Pseudonymize("BAD", "x").status().ToString());
  CHECK(calls == 1);
  for (const std::string& out : outputs) {
    CAPTURE(out);
    CHECK(out.find(key_hex.substr(0, 16)) == std::string::npos);
    CHECK(out.find(key_b64s.substr(3, 16)) == std::string::npos);
    CHECK(out.find(key_raw.substr(1, 8)) == std::string::npos);
  }
}

TEST_CASE("pseudonym: the register accepts the pseudonyms", "[pseudonym]") {
  const Pseudonymizer p = Make(2);
  const auto age = an::Hierarchy::Age().value();
  const auto geo = an::Hierarchy::Geography().value();
  varsam::store::EpisodeRow row;
  row.pseudonym = p.Pseudonymize("personnummer", "201001012390").value();
  row.key_epoch = p.epoch();
  row.age_band = age.Generalize("16", 1).value();  // "15-19"
  row.sex = "female";
  row.region = geo.Generalize("11120", 2).value();  // "01"
  row.case_kind = "utredning";
  row.intervention = "";
  row.start_period = an::Hierarchy::Dates().Generalize("2026-08-14", 2).value();  // "2026-Q3"
  row.end_period = an::Hierarchy::Dates().Generalize("2026-11-28", 1).value();    // "2026-11"
  row.outcome = "improved";
  row.record_key = 0x9e3779b97f4a7c15u;
  CHECK(row.age_band == "15-19");
  CHECK(row.region == "01");
  CHECK(row.start_period == "2026-Q3");
  CHECK(row.end_period == "2026-11");
  const auto vocabulary = varsam::store::RegisterVocabulary::Default();
  CHECK(varsam::store::ValidateEpisode(row, vocabulary).ok());
  // Every kind of value makes an acceptable pseudonym.
  for (const KnownAnswer& k : kKnown) {
    row.pseudonym = p.Pseudonymize(k.kind, k.value).value();
    CHECK(row.pseudonym.size() == an::kPseudonymLength);
    CHECK(varsam::store::ValidateEpisode(row, vocabulary).ok());
  }
}

TEST_CASE("pseudonym: const methods are safe from many threads", "[pseudonym]") {
  const Pseudonymizer p = Make(1);
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const KnownAnswer& k = kKnown[static_cast<std::size_t>(i + t) % std::size(kKnown)];
        if (p.Pseudonymize(k.kind, k.value).value_or("") != k.epoch1) ++wrong[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong == std::vector<int>(4, 0));
}

TEST_CASE("pseudonym: a moved-from pseudonymizer refuses instead of crashing", "[pseudonym]") {
  Pseudonymizer a = Make(1);
  Pseudonymizer b = std::move(a);
  CHECK(b.Pseudonymize("client_ref", "K-1001").value() == kKnown[2].epoch1);
  // NOLINTNEXTLINE(bugprone-use-after-move): the documented moved-from behaviour
  CHECK(a.Pseudonymize("client_ref", "K-1001").status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

namespace {
TEST_CASE("pseudonym: no pseudonym holds an identity number the register would refuse",
          "[pseudonym]") {
  // About 2 in 10^9 raw MACs would (base64url digits forming a valid number); those are derived
  // again. Here: 100,000 pseudonyms, every one free of identity numbers and accepted by the

  const Pseudonymizer p = Make(2);
  int with_many_digits = 0;
  for (int i = 0; i < 100000; ++i) {
    const auto pseudonym = p.Pseudonymize("client_ref", varsam::Cat({"K", std::to_string(i)}));
    REQUIRE(pseudonym.ok());
    const auto digits = std::count_if(pseudonym->begin(), pseudonym->end(),
                                      [](char c) { return c >= '0' && c <= '9'; });
    with_many_digits += digits >= 10;
    REQUIRE(varsam::ident::FindAll(*pseudonym, kToday).empty());
  }
  CHECK(with_many_digits > 0);  // the scan really ran on some
}
}  // namespace
