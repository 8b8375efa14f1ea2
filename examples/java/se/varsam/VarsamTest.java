// VarsamTest.java — the tests of the Java binding (Varsam.java, JNA) against a built libvarsam,
// run by CTest ("java: JNA binding"):
//
//   javac -cp /usr/share/java/jna.jar -d classes examples/java/se/varsam/*.java
//   VARSAM_LIBRARY=build/release/libvarsam.so.0 \
//       java -cp classes:/usr/share/java/jna.jar se.varsam.VarsamTest
//
// Exits 0 when every check holds, 1 otherwise (each failure printed). Identity numbers are
// Skatteverket's official test numbers (data/skatteverket-testpersonnummer.txt) or derived from
// one here (another check digit); clients of the register are synthetic host references, every
// answer to an instrument made up. Expected values are computed here from the inputs.
//
// Copyright the varsam authors. Licensed under the Apache License, Version 2.0.
package se.varsam;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import se.varsam.Varsam.Context;
import se.varsam.Varsam.Engine;
import se.varsam.Varsam.IdResult;
import se.varsam.Varsam.Model;
import se.varsam.Varsam.PermissionDeniedException;
import se.varsam.Varsam.Score;
import se.varsam.Varsam.Status;
import se.varsam.Varsam.VarsamException;

public final class VarsamTest {
  private static int failures;
  private static int checks;

  private static void expect(boolean ok, String what) {
    checks++;
    if (!ok) {
      failures++;
      System.err.println("FAILED: " + what);
    }
  }

  private static void expectEqual(Object want, Object got, String what) {
    expect(Objects.equals(want, got), what + ": want " + want + ", got " + got);
  }

  interface Call {
    void run() throws Exception;
  }

  /** Runs call, which must throw VarsamException with status want. */
  private static VarsamException expectThrows(Status want, Call call, String what)
      throws Exception {
    try {
      call.run();
    } catch (VarsamException e) {
      expectEqual(want, e.status(), what + " (status)");
      expectEqual(want.code(), e.statusCode(), what + " (status code)");
      expectEqual(Varsam.statusName(want.code()), e.statusName(), what + " (status name)");
      expect(!e.libraryMessage().isEmpty(), what + " (a message)");
      return e;
    }
    expect(false, what + ": no exception");
    return null;
  }

  private static final byte[] AUDIT_KEY = new byte[32];

  static {
    for (int i = 0; i < 32; i++) AUDIT_KEY[i] = (byte) (i + 1);
  }

  private static final String OFFICER =
      "{\"actor\": \"a-17\", \"role\": \"handlaggare\", "
      + "\"organisation\": {\"kind\": \"socialnamnd\", \"id\": \"0180\"}, "
      + "\"purpose\": \"handlaggning\", \"case\": {\"ref\": \"c-9\", \"kind\": \"utredning\", "
      + "\"led_to_investigation\": true, \"client\": \"k-1\"}, \"subject_client\": \"k-1\", "
      + "\"time\": \"2026-11-28T10:00:00Z\", \"ethics_approval\": null}";

  private static String followUp(String role, String purpose, String orgKind) {
    return "{\"actor\": \"a-17\", \"role\": \"" + role + "\", \"organisation\": {\"kind\": \""
        + orgKind + "\", \"id\": \"0180\"}, \"purpose\": \"" + purpose
        + "\", \"time\": \"2026-11-28T10:00:00Z\"}";
  }

  private static String analystInCase(String kind) {
    return OFFICER.replace("handlaggare", "analytiker").replace("handlaggning", "uppfoljning")
        .replace("utredning", kind);
  }

  private static String options(Path store, String more) {
    return "{\"store\": " + Json.quote(store.toString()) + more + "}";
  }

  private static void deleteTree(Path dir) throws Exception {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> array(Object o) {
    return (List<Object>) o;
  }

  private static void testVersion() {
    String version = Varsam.version();
    int[] parts = Arrays.stream(version.split("\\.")).mapToInt(Integer::parseInt).toArray();
    expectEqual(3, parts.length, "version has three parts");
    expectEqual(parts[0] * 1000000 + parts[1] * 1000 + parts[2], Varsam.versionNumber(),
                "version number matches the string");
    expectEqual(Varsam.HEADER_VERSION_MAJOR, Varsam.versionNumber() / 1000000, "major version");
    expectEqual("permission_denied", Varsam.statusName(Status.PERMISSION_DENIED.code()),
                "status name");
  }

  /** The Luhn check digit of the nine digits YYMMDDNNN. */
  private static int luhn(String nine) {
    int total = 0;
    for (int i = 0; i < 9; i++) {
      int v = (nine.charAt(i) - '0') * (i % 2 == 0 ? 2 : 1);
      total += v / 10 + v % 10;
    }
    return (10 - total % 10) % 10;
  }

  private static void testIdCheck() throws Exception {
    // Official test numbers: born 1980-01-02 (female) and 2000-02-29 (male).
    Object[][] cases = {{"198001022386", 19800102, 1}, {"200002292399", 20000229, 2}};
    for (Object[] c : cases) {
      String n = (String) c[0];
      expectEqual(n.charAt(11) - '0', luhn(n.substring(2, 11)), "the test's Luhn agrees: " + n);
      IdResult r = Varsam.checkId(n, 20261128);
      expect(r.valid && r.officialTestNumber && r.kind == 1, "official number valid: " + n);
      expectEqual(n, r.normalized, "normalized");
      expectEqual(c[1], r.birthYear * 10000 + r.birthMonth * 100 + r.birthDay, "birth date");
      expectEqual(c[2], r.sex, "sex from the second-to-last digit");
    }
    expectEqual("198001022386", Varsam.checkId("800102-2386", 20261128).normalized,
                "ten-digit form normalised");
    IdResult bad = Varsam.checkId("19800102238" + ((6 + 1) % 10), 20261128);
    expect(!bad.valid && bad.error == 2 && bad.normalized == null, "changed check digit");
    expect(bad.errorMessage != null && !bad.errorMessage.isEmpty()
           && !bad.errorMessage.contains("2387"), "the reason, without the number");
    VarsamException e = expectThrows(Status.INVALID_ARGUMENT,
                                     () -> Varsam.checkId("198001022386", 20261332),
                                     "a date that does not exist");
    expect(e != null && !e.getMessage().contains("2386"), "no part of the number in the message");

    // Byte offsets in UTF-8: "Å" and "å" are two bytes each.
    String text = "Åsa på (800102-2386) i går";
    List<Object> matches = array(Json.parse(Varsam.findIds(text, 20261128)));
    expectEqual(1, matches.size(), "one number found");
    Map<String, Object> m = object(matches.get(0));
    int offset = text.substring(0, text.indexOf("800102")).getBytes(StandardCharsets.UTF_8).length;
    expectEqual((double) offset, m.get("offset"), "offset in bytes");
    expectEqual(11.0, m.get("length"), "length in bytes");
    expectEqual("198001022386", m.get("normalized"), "found number normalised");
  }

  private static void testScore() throws Exception {
    double[] phq9 = {1, 1, 2, 1, 0, 1, 1, 0, 1};
    double sum = Arrays.stream(phq9).sum();
    Score s = Varsam.score("phq9", phq9);
    expect(s.scored, "PHQ-9 scored");
    expectEqual(sum, s.total, "PHQ-9 total is the sum of the answers");
    expectEqual("mild", s.band, "5..9 is mild");
    expectEqual(9, s.answered, "answered");
    expect(Arrays.asList(s.flags).contains("suicide_risk_followup"),
           "item 9 answered above 0 raises a flag");
    expectEqual(3, s.maxSeverity, "that flag is critical");
    expectEqual(s.flags.length, s.flagCount, "every flag listed");

    double[] missing = phq9.clone();
    missing[4] = Double.NaN;
    expectEqual(1, Varsam.score("phq9", missing).missing, "NaN is a missing answer");
    expectThrows(Status.NOT_FOUND, () -> Varsam.score("no-such-instrument", phq9),
                 "unknown instrument");
    double[] outOfRange = phq9.clone();
    outOfRange[0] = 7;
    VarsamException e = expectThrows(Status.INVALID_ARGUMENT,
                                     () -> Varsam.score("phq9", outOfRange), "answer out of range");
    expect(e != null && e.libraryMessage().contains("item"), "the message names the item");

    Map<String, Object> json = object(Json.parse(Varsam.scoreJson(
        "{\"instrument\": \"phq9\", \"responses\": [1,1,2,1,0,1,1,0,1]}")));
    expectEqual(sum, json.get("total"), "score_json total");
    expect(array(Json.parse(Varsam.instruments())).stream()
           .anyMatch(i -> "phq9".equals(object(i).get("id"))), "phq9 in the instrument list");
  }

  private static void testEngineCaseAndAudit() throws Exception {
    Path store = Files.createTempDirectory("varsam-java-");
    expectThrows(Status.UNAUTHENTICATED, () -> new Engine(options(store, ""), new byte[5]).close(),
                 "a short audit key is refused");
    expectThrows(Status.INVALID_ARGUMENT,
                 () -> new Engine(options(store, ", \"no_such_option\": 1"), AUDIT_KEY).close(),
                 "unknown option");
    try (Engine engine = new Engine(options(store, ", \"checkpoint_every_events\": 4"), AUDIT_KEY);
         Context officer = new Context(OFFICER);
         Context system = new Context(OFFICER.replace("handlaggare", "system"));
         Context auditor = new Context(followUp("arbetsledare", "tillsyn", "socialnamnd"))) {
      expectEqual(64, engine.auditPublicKey().length(), "public key as 64 hex digits");
      expectEqual("k-1", object(Json.parse(officer.toJson())).get("subject_client"),
                  "context round trip");
      expectThrows(Status.INVALID_ARGUMENT, () -> new Context(OFFICER.replace("handlaggare", "chef")),
                   "bad role");
      expectEqual("allow", object(Json.parse(Varsam.policyCheck(officer, "score", null)))
                  .get("decision"), "the built-in pack allows scoring in the case");
      int events = 0;
      expectEqual("allow", object(Json.parse(engine.check(officer, "score", null))).get("decision"),
                  "an officer may score in the case");
      events++;

      Map<String, Object> scored = object(Json.parse(engine.score(
          officer, "{\"instrument\": \"phq9\", \"responses\": [1,1,2,1,0,1,1,0,1]}")));
      events++;
      expectEqual(8.0, scored.get("total"), "guarded score total");
      List<Object> suggestions = array(scored.get("suggestions"));
      expect(!suggestions.isEmpty(), "the flag became a suggestion");
      String suggestion = (String) object(suggestions.get(0)).get("id");
      expect(engine.openSuggestions(officer).contains(suggestion), "it is open");
      events++;

      VarsamException denied = expectThrows(
          Status.PERMISSION_DENIED,
          () -> engine.recordDecision(system, suggestion, "accepted", "auto"),
          "a system may not decide");
      events++;
      expect(denied instanceof PermissionDeniedException, "PermissionDeniedException");
      expect(denied != null && denied.libraryMessage().contains("human-decides"),
             "the refusal names the rule");
      expect(engine.recordDecision(officer, suggestion, "accepted", "agreed") > 0,
             "the officer's decision has an id");
      events++;
      expectThrows(Status.FAILED_PRECONDITION,
                   () -> engine.recordDecision(officer, suggestion, "rejected", "again"),
                   "decided twice");
      events++;
      expect(!engine.openSuggestions(officer).contains(suggestion), "no longer open");
      events++;

      expectThrows(Status.PERMISSION_DENIED, () -> engine.verifyAudit(officer),
                   "an officer may not read the audit log");
      events++;
      Map<String, Object> report = object(Json.parse(engine.verifyAudit(auditor)));
      events++;
      expectEqual(true, report.get("ok"), "the audit log verifies");
      expectEqual((double) events, report.get("events"), "one event per call");
      expectEqual(true, report.get("signatures_checked"), "signatures checked");
    }
    deleteTree(store);
  }

  // Synthetic clients: client i is female when i is odd, aged 25 + i % 30; clients 1, 3 and 5
  // in familjebehandling, the rest stodsamtal; men drop out at i % 5 < 3, women at i % 5 == 0.
  private static final int CLIENTS = 200;

  private static boolean female(int i) {
    return i % 2 == 1;
  }

  private static String intervention(int i) {
    return i == 1 || i == 3 || i == 5 ? "familjebehandling" : "stodsamtal";
  }

  private static boolean dropout(int i) {
    return female(i) ? i % 5 == 0 : i % 5 < 3;
  }

  private static String caseLines(int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < to; i++) {
      sb.append("{\"case\": {\"ref\": \"c-").append(i)
          .append("\", \"kind\": \"insats\", \"led_to_investigation\": true, \"client\": \"q-")
          .append(i).append("\"}, \"episodes\": [{\"client_ref\": \"q-").append(i)
          .append("\", \"age\": ").append(25 + i % 30)
          .append(", \"sex\": \"").append(female(i) ? "female" : "male")
          .append("\", \"postal_code\": \"11120\", \"intervention\": \"").append(intervention(i))
          .append("\", \"start\": \"2025-02-03\", \"end\": \"2025-09-30\", \"outcome\": \"")
          .append(dropout(i) ? "dropout" : "completed").append("\"}]}\n");
    }
    return sb.toString();
  }

  private static void testRegisterModelsAndInsights() throws Exception {
    Path store = Files.createTempDirectory("varsam-java-");
    List<Integer> epochs = new ArrayList<>();
    try (Engine engine = new Engine(options(store, ", \"register\": {\"key_epoch\": 1}"),
                                    AUDIT_KEY, epoch -> {
                                      epochs.add(epoch);
                                      byte[] key = new byte[32];
                                      Arrays.fill(key, (byte) 5);
                                      return key;
                                    });
         Context analyst = new Context(followUp("analytiker", "uppfoljning", "socialnamnd"));
         Context provider = new Context(followUp("analytiker", "uppfoljning", "privat_utforare"));
         Context officer = new Context(OFFICER.replace("utredning", "insats"));
         Context inCase = new Context(analystInCase("insats"));
         Context report = new Context(analystInCase("anmalan").replace(
             "\"led_to_investigation\": true", "\"led_to_investigation\": false"))) {
      expectEqual(List.of(1), epochs, "the pseudonym key of epoch 1, asked once");
      Map<String, Object> submitted = object(Json.parse(
          engine.registerSubmitCases(analyst, caseLines(0, CLIENTS - 1), 2)));
      expectEqual((double) (CLIENTS - 1), submitted.get("submitted"), "every case line in");
      // One more episode through register_submit, in an insats case: client k-1, a man in
      // stodsamtal (counted below as client CLIENTS - 1, read as client 30's intervention and
      // client 0's sex).
      engine.registerSubmit(inCase, "[{\"client_ref\": \"k-1\", \"age\": 30, \"sex\": \"male\","
                                    + " \"intervention\": \"stodsamtal\", \"start\": \"2025-02-03\"}]");
      expectThrows(Status.PERMISSION_DENIED,
                   () -> engine.registerSubmit(report, "[{\"client_ref\": \"k-1\", \"age\": 30,"
                                                       + " \"start\": \"2025-02-03\"}]"),
                   "a report that led to no investigation stays out");
      expectThrows(Status.INVALID_ARGUMENT,
                   () -> engine.registerSubmit(inCase, "[{\"client_ref\": \"k-1\","
                                                       + " \"start\": \"2025-02-03\"}]"),
                   "an episode without its age");
      Map<String, Object> release = object(Json.parse(engine.registerExport(analyst, "{\"k\": 5}")));
      expectEqual((double) CLIENTS, object(release.get("report")).get("records_in"),
                  "every episode released from");
      Map<String, Integer> classes = new HashMap<>();
      for (Object row : array(release.get("rows"))) {
        classes.merge(String.valueOf(array(row).subList(0, 7)), 1, Integer::sum);
      }
      expect(!classes.isEmpty() && classes.values().stream().allMatch(n -> n >= 5),
             "every released class has 5 or more");
      expect(!engine.registerExport(analyst, null).contains("q-1\""), "no client reference released");

      // A model trained from the register, applied in a case, decided by the officer.
      String spec = "{\"target\": \"dropout\", \"population\": {\"case_kinds\": [\"insats\"]},"
          + " \"features\": [\"age_band\", \"sex\"], \"fairness\": {\"bootstrap\": 0},"
          + " \"learner\": {\"kind\": \"logistic\", \"l2\": 1, \"folds\": 3, \"seed\": 5},"
          + " \"min_support\": 5}";
      String trainedText = engine.modelTrain(analyst, spec, "Avbrott, syntetiskt");
      Map<String, Object> trained = object(Json.parse(trainedText));
      String id = (String) trained.get("id");
      expectEqual(32, id.length(), "model id");
      Map<String, Double> coefficients = new HashMap<>();
      for (Object c : array(object(trained.get("model")).get("coefficients"))) {
        coefficients.put((String) object(c).get("name"), (Double) object(c).get("estimate"));
      }
      // Whichever sex is the reference level, the women's effect is below the men's.
      expect(coefficients.getOrDefault("sex=female", 0.0) < coefficients.getOrDefault("sex=male", 0.0),
             "men drop out more in the synthetic register");
      expectThrows(Status.PERMISSION_DENIED, () -> engine.modelTrain(provider, spec, null),
                   "a private provider may not train");
      expectEqual(1, array(Json.parse(engine.models(analyst))).size(), "one model kept");

      Map<String, Object> applied = object(Json.parse(
          engine.modelApply(officer, id, "{\"age_band\": \"25-29\", \"sex\": \"male\"}")));
      expectEqual(trained.get("sha256"), applied.get("sha256"), "the applied model's hash");
      String suggestion = (String) applied.get("suggestion");
      expect(engine.openSuggestions(officer).contains(suggestion),
             "the prediction is an open suggestion");
      engine.recordDecision(officer, suggestion, "accepted", "Samtal bokat.");
      expectEqual("[]", engine.openSuggestions(officer).replace(" ", ""), "decided");
      expectThrows(Status.NOT_FOUND, () -> engine.modelApply(officer, "0".repeat(32), "{}"),
                   "unknown model");

      // The same file in memory: the same probability as the guarded apply.
      String file = Json.rawMember(trainedText, "model");
      try (Model model = new Model(file)) {
        int[] points = new int[1];
        double p = model.score(new String[] {"25-29", "male"}, null, points);
        expect(Math.abs(p - (Double) applied.get("probability")) < 1e-12,
               "varsam_model_score equals varsam_model_apply: " + p);
        expectEqual(applied.get("points"), (double) points[0], "the same points");
        double woman = model.score(new String[] {"25-29", "female"}, null, points);
        expect(woman < p, "a woman's probability is lower");
        expectThrows(Status.INVALID_ARGUMENT,
                     () -> model.score(new String[] {"25-29"}, null, points),
                     "one level per feature");
      }
      expect(Varsam.modelCard(file, "markdown").contains("Avbrott, syntetiskt"),
             "the card names the model");
      expectThrows(Status.DATA_LOSS,
                   () -> new Model(file.replace("Avbrott, syntetiskt", "Annat")).close(),
                   "a changed file does not match its hash");

      // Group insights: people by intervention and sex with margins.
      String query = "{\"measure\": {\"kind\": \"people\"}, \"dimensions\": [\"intervention\","
          + " \"sex\"], \"margins\": true}";
      Map<String, Object> table = object(Json.parse(engine.insightQuery(analyst, query, "json")));
      expectEqual("varsam-insight/1", table.get("format"), "insight format");
      List<Object> cells = array(table.get("cells"));
      expectEqual(9, cells.size(), "3 x 3 cells with margins");
      for (Object o : cells) {
        Map<String, Object> cell = object(o);
        List<Object> levels = array(cell.get("levels"));
        int want = 0;
        for (int i = 0; i < CLIENTS; i++) {
          String inter = intervention(i == CLIENTS - 1 ? 30 : i);
          String sex = female(i == CLIENTS - 1 ? 0 : i) ? "female" : "male";
          if ((levels.get(0) == null || inter.equals(levels.get(0)))
              && (levels.get(1) == null || sex.equals(levels.get(1)))) {
            want++;
          }
        }
        String status = (String) cell.get("status");
        if (status.equals("published")) {
          expectEqual((double) want, cell.get("value"), "published count " + levels);
        }
        if (want > 0 && want < 5) expectEqual("protected", status, "fewer than 5 people " + levels);
        if (status.equals("protected")) expect(cell.get("value") == null, "no value when protected");
      }
      expectThrows(Status.PERMISSION_DENIED, () -> engine.insightQuery(provider, query, "json"),
                   "a private provider may not query");
      String csv = engine.insightQuery(analyst, query, "csv");
      expect(csv.startsWith("intervention,sex,value") && csv.contains(".."),
             "CSV with protected cells");
      expectThrows(Status.INVALID_ARGUMENT, () -> engine.insightQuery(analyst, query, "xml"),
                   "unknown format");
    }
    deleteTree(store);
  }

  /** The context is freed once: close() twice is harmless, use after close is refused. */
  private static void testHandles() {
    Context c = new Context(OFFICER);
    c.close();
    c.close();
    boolean refused = false;
    try {
      c.toJson();
    } catch (IllegalStateException e) {
      refused = true;
    }
    expect(refused, "a closed context is not used");
  }

  public static void main(String[] args) {
    Map<String, Call> tests = new LinkedHashMap<>();
    tests.put("version", VarsamTest::testVersion);
    tests.put("identity numbers", VarsamTest::testIdCheck);
    tests.put("instruments", VarsamTest::testScore);
    tests.put("handles", VarsamTest::testHandles);
    tests.put("engine, decisions and audit", VarsamTest::testEngineCaseAndAudit);
    tests.put("register, models and insights", VarsamTest::testRegisterModelsAndInsights);
    for (Map.Entry<String, Call> t : tests.entrySet()) {
      int before = failures;
      try {
        t.getValue().run();
      } catch (Throwable e) {
        failures++;
        System.err.println("FAILED: " + t.getKey() + ": " + e);
        e.printStackTrace();
      }
      System.out.println((failures == before ? "ok      " : "FAILED  ") + t.getKey());
    }
    System.out.println(checks + " checks, " + failures + " failed");
    System.exit(failures == 0 ? 0 : 1);
  }
}

/** A minimal JSON reader for the test (objects as Map, arrays as List, numbers as Double): the
 * binding itself hands JSON over as text. */
final class Json {
  private final String s;
  private int pos;

  private Json(String text) {
    s = text;
  }

  static Object parse(String text) {
    Json p = new Json(text);
    Object v = p.value();
    p.space();
    if (p.pos != text.length()) throw new IllegalArgumentException("trailing text at " + p.pos);
    return v;
  }

  /** The exact text of a top-level object's member (a model file handed back unchanged). */
  static String rawMember(String text, String key) {
    Json p = new Json(text);
    p.space();
    p.expect('{');
    while (true) {
      p.space();
      String k = p.string();
      p.space();
      p.expect(':');
      p.space();
      int start = p.pos;
      p.value();
      if (k.equals(key)) return text.substring(start, p.pos);
      p.space();
      if (p.s.charAt(p.pos++) == '}') throw new IllegalArgumentException("no member " + key);
    }
  }

  static String quote(String v) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : v.toCharArray()) {
      if (c == '"' || c == '\\') sb.append('\\').append(c);
      else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
      else sb.append(c);
    }
    return sb.append('"').toString();
  }

  private void space() {
    while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
  }

  private void expect(char c) {
    if (s.charAt(pos) != c) throw new IllegalArgumentException("expected " + c + " at " + pos);
    pos++;
  }

  private Object value() {
    space();
    char c = s.charAt(pos);
    if (c == '{') {
      pos++;
      Map<String, Object> o = new LinkedHashMap<>();
      space();
      if (s.charAt(pos) == '}') {
        pos++;
        return o;
      }
      while (true) {
        space();
        String k = string();
        space();
        expect(':');
        o.put(k, value());
        space();
        if (s.charAt(pos++) == '}') return o;
      }
    }
    if (c == '[') {
      pos++;
      List<Object> a = new ArrayList<>();
      space();
      if (s.charAt(pos) == ']') {
        pos++;
        return a;
      }
      while (true) {
        a.add(value());
        space();
        if (s.charAt(pos++) == ']') return a;
      }
    }
    if (c == '"') return string();
    if (s.startsWith("true", pos)) {
      pos += 4;
      return true;
    }
    if (s.startsWith("false", pos)) {
      pos += 5;
      return false;
    }
    if (s.startsWith("null", pos)) {
      pos += 4;
      return null;
    }
    int start = pos;
    while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) pos++;
    return Double.parseDouble(s.substring(start, pos));
  }

  private String string() {
    expect('"');
    StringBuilder sb = new StringBuilder();
    while (s.charAt(pos) != '"') {
      char c = s.charAt(pos++);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      char e = s.charAt(pos++);
      switch (e) {
        case 'n' -> sb.append('\n');
        case 't' -> sb.append('\t');
        case 'r' -> sb.append('\r');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'u' -> {
          sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
          pos += 4;
        }
        default -> sb.append(e);
      }
    }
    pos++;
    return sb.toString();
  }
}
