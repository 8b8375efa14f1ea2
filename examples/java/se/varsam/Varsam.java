// Varsam.java — a Java binding of the varsam C API (capi/varsam.h) through JNA (Java 17, JNA
// 5; Debian's libjna-java), for case systems written in Java.
//
// Loading: the system property varsam.library, else the environment variable VARSAM_LIBRARY,
// names the file (e.g. build/release/libvarsam.so.0); otherwise "libvarsam.so.0" (the SONAME)
// is found through the dynamic loader's search path. The first use checks that the library's
// major version is the one this binding was written for.
//
// Ownership (docs/c-api.md, "Memory and ownership"): every string the library returns through a
// char** is owned by the caller; this binding copies it into a Java String (UTF-8) and frees it
// with varsam_free, always, also on failure. Borrowed strings (varsam_version_string,
// varsam_last_error, varsam_status_name, varsam_id_error_message, the band and flag codes of a
// score) are read as Pointer and copied, never freed. Engines, contexts and in-memory models are
// AutoCloseable; close() calls varsam_engine_close, varsam_context_free or varsam_model_close
// exactly once, and a Cleaner does it for one that is never closed (a last resort: close
// engines yourself, their final checkpoint is written then).
//
// Errors: a status other than VARSAM_OK throws VarsamException carrying the varsam_status and
// varsam_last_error(), read on the calling thread right after the failed call (the message is
// per thread and valid until the next varsam_* call). A policy refusal is
// PermissionDeniedException. Strings go in as NUL-terminated UTF-8 with their byte length. JSON
// goes in and out as text: hosts parse it with the JSON library they already use.
//
// Threading: as the C API, every call may be made from any number of threads at once; an
// Engine and a Context may be shared between threads; close an Engine only when no call on it
// runs.
//
// Copyright the varsam authors. Licensed under the Apache License, Version 2.0.
package se.varsam;

import com.sun.jna.Callback;
import com.sun.jna.IntegerType;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.DoubleByReference;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

public final class Varsam {
  private Varsam() {}

  /** The major version of the varsam.h this binding was written against. */
  public static final int HEADER_VERSION_MAJOR = 0;

  static final int MAX_FLAGS = 8;

  /** varsam_status: equal to absl::StatusCode, one to one. */
  public enum Status {
    OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS,
    PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE,
    UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED;

    /** The value of varsam_status (the ordinal: the values are 0 to 16 in this order). */
    public int code() {
      return ordinal();
    }

    static Status of(int code) {
      return code >= 0 && code < values().length ? values()[code] : UNKNOWN;
    }
  }

  /** A varsam call returned a status other than VARSAM_OK. */
  public static class VarsamException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String libraryMessage;

    VarsamException(int status, String message) {
      super(Varsam.statusName(status) + ": " + message);
      this.status = status;
      this.libraryMessage = message;
    }

    /** The varsam_status as an int (3 for invalid_argument). */
    public int statusCode() {
      return status;
    }

    public Status status() {
      return Status.of(status);
    }

    /** The stable lower-case name ("invalid_argument"). */
    public String statusName() {
      return Varsam.statusName(status);
    }

    /** varsam_last_error() right after the call; never personal data. */
    public String libraryMessage() {
      return libraryMessage;
    }
  }

  /** VARSAM_PERMISSION_DENIED: the policy refused; the message names the rule. */
  public static final class PermissionDeniedException extends VarsamException {
    private static final long serialVersionUID = 1L;
    PermissionDeniedException(String message) {
      super(Status.PERMISSION_DENIED.code(), message);
    }
  }

  /** The result of varsam_id_check. */
  public static final class IdResult {
    public boolean valid;
    public int error; // varsam_id_error: 0 none, 1 format, 2 check digit, 3 no such date, 4 century, 5 serial
    public String errorMessage; // null when valid
    public int kind; // 1 personnummer, 2 samordningsnummer, 3 interimsnummer
    public int sex; // 1 female, 2 male
    public boolean officialTestNumber;
    public int birthYear, birthMonth, birthDay;
    public String normalized; // "YYYYMMDDNNNN"; null when not valid
  }

  /** The result of varsam_score. */
  public static final class Score {
    public boolean scored;
    public double total; // NaN when not scored
    public int bandIndex; // -1 when none
    public String band; // null when none
    public int answered, missing;
    public boolean prorated;
    public int flagBits;
    public int flagCount;
    public int maxSeverity; // varsam_severity
    public String[] flags; // the first VARSAM_SCORE_MAX_FLAGS codes raised
    public int[] flagSeverities;
  }

  // ---- The native declarations -----------------------------------------------------------

  /** size_t. */
  public static final class SizeT extends IntegerType {
    private static final long serialVersionUID = 1L;
    public SizeT() {
      this(0);
    }

    public SizeT(long value) {
      super(Native.SIZE_T_SIZE, value, true);
    }
  }

  @Structure.FieldOrder({"struct_size", "valid", "error", "kind", "sex", "official_test_number",
                         "birth_year", "birth_month", "birth_day", "normalized"})
  public static final class IdResultStruct extends Structure {
    public int struct_size;
    public int valid, error, kind, sex, official_test_number, birth_year, birth_month, birth_day;
    public byte[] normalized = new byte[13];
  }

  @Structure.FieldOrder({"struct_size", "sex", "age", "previous_total"})
  public static final class RespondentStruct extends Structure {
    public int struct_size;
    public int sex;
    public int age;
    public double previous_total;
  }

  @Structure.FieldOrder({"struct_size", "scored", "total", "band_index", "band", "answered",
                         "missing", "prorated", "flag_bits", "flag_count", "max_severity",
                         "flags", "flag_severities"})
  public static final class ScoreResultStruct extends Structure {
    public int struct_size;
    public int scored;
    public double total;
    public int band_index;
    public Pointer band;
    public int answered, missing, prorated, flag_bits, flag_count, max_severity;
    public Pointer[] flags = new Pointer[MAX_FLAGS];
    public int[] flag_severities = new int[MAX_FLAGS];
  }

  /** varsam_key_callback. */
  public interface KeyCallback extends Callback {
    int invoke(Pointer userData, Pointer privateKey);
  }

  /** varsam_pseudonym_key_callback. */
  public interface PseudonymKeyCallback extends Callback {
    int invoke(Pointer userData, int epoch, Pointer key);
  }

  @Structure.FieldOrder({"struct_size", "audit_key", "audit_key_user_data", "pseudonym_key",
                         "pseudonym_key_user_data"})
  public static final class EngineKeysStruct extends Structure {
    public int struct_size;
    public KeyCallback audit_key;
    public Pointer audit_key_user_data;
    public PseudonymKeyCallback pseudonym_key;
    public Pointer pseudonym_key_user_data;
  }

  /** The C functions, as JNA maps them. Strings in are NUL-terminated UTF-8 byte[]. */
  public interface Lib extends Library {
    int varsam_version_number();
    Pointer varsam_version_string();
    Pointer varsam_last_error();
    Pointer varsam_status_name(int status);
    void varsam_free(Pointer memory);

    int varsam_id_check(byte[] number, SizeT length, int today, IdResultStruct result);
    Pointer varsam_id_error_message(int error);
    int varsam_id_find(byte[] text, SizeT length, int today, PointerByReference json);

    int varsam_score(byte[] instrument, double[] responses, SizeT count,
                     RespondentStruct respondent, ScoreResultStruct result);
    int varsam_score_json(byte[] request, SizeT length, PointerByReference json);
    int varsam_instrument_list(PointerByReference json);

    int varsam_engine_open_with_keys(byte[] options, SizeT length, EngineKeysStruct keys,
                                     PointerByReference engine);
    void varsam_engine_close(Pointer engine);
    int varsam_engine_audit_public_key(Pointer engine, byte[] keyHex);

    int varsam_context_from_json(byte[] json, SizeT length, PointerByReference context);
    int varsam_context_to_json(Pointer context, PointerByReference json);
    void varsam_context_free(Pointer context);

    int varsam_policy_check(Pointer context, byte[] action, byte[] resource, SizeT length,
                            PointerByReference json);
    int varsam_engine_check(Pointer engine, Pointer context, byte[] action, byte[] resource,
                            SizeT length, PointerByReference json);
    int varsam_engine_score(Pointer engine, Pointer context, byte[] request, SizeT length,
                            PointerByReference json);
    int varsam_engine_journal_append(Pointer engine, Pointer context, byte[] measurement,
                                     SizeT length, LongByReference id);
    int varsam_engine_journal_history(Pointer engine, Pointer context, byte[] clientRef,
                                      PointerByReference json);
    int varsam_engine_suggestions_open(Pointer engine, Pointer context, PointerByReference json);
    int varsam_engine_decision_record(Pointer engine, Pointer context, byte[] suggestion,
                                      byte[] outcome, byte[] rationale, LongByReference id);
    int varsam_engine_override_rates(Pointer engine, Pointer context, int from, int to,
                                     PointerByReference json);
    int varsam_engine_audit_verify(Pointer engine, Pointer context, PointerByReference json);

    int varsam_register_submit(Pointer engine, Pointer context, byte[] submissions, SizeT length);
    int varsam_register_submit_cases(Pointer engine, Pointer context, byte[] cases, SizeT length,
                                     int threads, PointerByReference json);
    int varsam_register_export(Pointer engine, Pointer context, byte[] options, SizeT length,
                               PointerByReference json);

    int varsam_model_train(Pointer engine, Pointer context, byte[] spec, SizeT length,
                           byte[] title, PointerByReference json);
    int varsam_model_add(Pointer engine, Pointer context, byte[] model, SizeT length,
                         PointerByReference json);
    int varsam_model_apply(Pointer engine, Pointer context, byte[] modelId, byte[] caseJson,
                           SizeT length, PointerByReference json);
    int varsam_model_list(Pointer engine, Pointer context, PointerByReference json);
    int varsam_model_card(byte[] model, SizeT length, byte[] format, PointerByReference text);
    int varsam_model_open(byte[] model, SizeT length, PointerByReference handle);
    void varsam_model_close(Pointer model);
    int varsam_model_score(Pointer model, Pointer[] levels, double[] numbers, SizeT count,
                           DoubleByReference probability, IntByReference points);

    int varsam_insight_query(Pointer engine, Pointer context, byte[] query, SizeT length,
                             byte[] format, PointerByReference text);
  }

  /** The loaded library (see the file's comment for where it is found). */
  public static final Lib LIB = load();

  private static Lib load() {
    String path = System.getProperty("varsam.library");
    if (path == null || path.isEmpty()) path = System.getenv("VARSAM_LIBRARY");
    if (path == null || path.isEmpty()) path = "libvarsam.so.0";
    Lib lib = Native.load(path, Lib.class);
    int major = lib.varsam_version_number() / 1000000;
    if (major != HEADER_VERSION_MAJOR) {
      throw new UnsatisfiedLinkError("varsam: " + path + " is major version " + major
                                     + ", this binding needs " + HEADER_VERSION_MAJOR);
    }
    return lib;
  }

  private static final Cleaner CLEANER = Cleaner.create();

  // ---- Helpers --------------------------------------------------------------------------

  static byte[] utf8(String s) {
    if (s == null) throw new NullPointerException();
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** NUL-terminated UTF-8 for a const char* argument; null stays null (NULL). */
  static byte[] utf8z(String s) {
    if (s == null) return null;
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return Arrays.copyOf(b, b.length + 1);
  }

  static SizeT len(byte[] b) {
    return new SizeT(b == null ? 0 : b.length);
  }

  /** Copies a borrowed NUL-terminated UTF-8 string; never frees it. */
  static String borrowed(Pointer p) {
    return p == null ? null : p.getString(0, "UTF-8");
  }

  /** Throws for a status other than OK, with this thread's last error. Call right after the
   * failed call, before any other varsam call on the thread. */
  static void check(int status) {
    if (status == 0) return;
    String message = borrowed(LIB.varsam_last_error());
    if (status == Status.PERMISSION_DENIED.code()) throw new PermissionDeniedException(message);
    throw new VarsamException(status, message);
  }

  /** Takes a string returned through a char**: reads the error first, copies, always frees. */
  static String take(int status, PointerByReference out) {
    Pointer owned = out.getValue();
    try {
      check(status);
      if (owned == null) {
        throw new VarsamException(Status.INTERNAL.code(), "returned OK without a result");
      }
      return owned.getString(0, "UTF-8");
    } finally {
      LIB.varsam_free(owned); // varsam_free(NULL) does nothing
    }
  }

  // ---- Calls without an engine ------------------------------------------------------------

  public static int versionNumber() {
    return LIB.varsam_version_number();
  }

  public static String version() {
    return borrowed(LIB.varsam_version_string());
  }

  public static String statusName(int status) {
    return borrowed(LIB.varsam_status_name(status));
  }

  /** Checks one identity number; today is YYYYMMDD, 0 for today in Sweden. An invalid number
   * is a result with valid false, not an exception. */
  public static IdResult checkId(String number, int today) {
    byte[] text = utf8(number);
    IdResultStruct r = new IdResultStruct();
    r.struct_size = r.size();
    check(LIB.varsam_id_check(text, len(text), today, r));
    IdResult result = new IdResult();
    result.valid = r.valid == 1;
    result.error = r.error;
    result.kind = r.kind;
    result.sex = r.sex;
    result.officialTestNumber = r.official_test_number == 1;
    result.birthYear = r.birth_year;
    result.birthMonth = r.birth_month;
    result.birthDay = r.birth_day;
    if (result.valid) {
      int n = 0;
      while (n < r.normalized.length && r.normalized[n] != 0) n++;
      result.normalized = new String(r.normalized, 0, n, StandardCharsets.US_ASCII);
    } else {
      result.errorMessage = borrowed(LIB.varsam_id_error_message(r.error));
    }
    return result;
  }

  /** The identity numbers in a free text, as varsam_id_find's JSON array (offsets and lengths
   * in bytes of the UTF-8 text). */
  public static String findIds(String text, int today) {
    byte[] data = utf8(text);
    PointerByReference out = new PointerByReference();
    return take(LIB.varsam_id_find(data, len(data), today, out), out);
  }

  /** Scores one form; a missing answer is Double.NaN. */
  public static Score score(String instrument, double[] responses) {
    return score(instrument, responses, 0, -1, Double.NaN);
  }

  /** Scores one form. sex: 0 unknown, 1 female, 2 male; age negative when unknown;
   * previousTotal NaN when none. */
  public static Score score(String instrument, double[] responses, int sex, int age,
                            double previousTotal) {
    RespondentStruct who = new RespondentStruct();
    who.struct_size = who.size();
    who.sex = sex;
    who.age = age;
    who.previous_total = previousTotal;
    ScoreResultStruct r = new ScoreResultStruct();
    r.struct_size = r.size();
    check(LIB.varsam_score(utf8z(instrument), responses, new SizeT(responses.length), who, r));
    Score s = new Score();
    s.scored = r.scored == 1;
    s.total = r.total;
    s.bandIndex = r.band_index;
    s.band = borrowed(r.band);
    s.answered = r.answered;
    s.missing = r.missing;
    s.prorated = r.prorated == 1;
    s.flagBits = r.flag_bits;
    s.flagCount = r.flag_count;
    s.maxSeverity = r.max_severity;
    int listed = Math.min(r.flag_count, MAX_FLAGS);
    s.flags = new String[listed];
    s.flagSeverities = new int[listed];
    for (int i = 0; i < listed; i++) {
      s.flags[i] = borrowed(r.flags[i]);
      s.flagSeverities[i] = r.flag_severities[i];
    }
    return s;
  }

  /** varsam_score_json: the result as `varsam score --json` prints it. */
  public static String scoreJson(String request) {
    byte[] data = utf8(request);
    PointerByReference out = new PointerByReference();
    return take(LIB.varsam_score_json(data, len(data), out), out);
  }

  /** Every instrument known, as a JSON array. */
  public static String instruments() {
    PointerByReference out = new PointerByReference();
    return take(LIB.varsam_instrument_list(out), out);
  }

  /** The built-in pack's decision, not audited (varsam_policy_check). */
  public static String policyCheck(Context context, String action, String resourceJson) {
    byte[] resource = resourceJson == null ? null : utf8(resourceJson);
    PointerByReference out = new PointerByReference();
    return take(LIB.varsam_policy_check(context.pointer(), utf8z(action), resource,
                                        len(resource), out), out);
  }

  /** A model file's card as "markdown" or "html" (varsam_model_card). */
  public static String modelCard(String modelJson, String format) {
    byte[] data = utf8(modelJson);
    PointerByReference out = new PointerByReference();
    return take(LIB.varsam_model_card(data, len(data), utf8z(format), out), out);
  }

  // ---- Handles --------------------------------------------------------------------------

  /** A native handle freed exactly once: by close(), or by the Cleaner when unreachable. */
  private abstract static class Handle implements AutoCloseable {
    private final AtomicReference<Pointer> pointer;
    private final Cleaner.Cleanable cleanable;

    Handle(Pointer p, java.util.function.Consumer<Pointer> free) {
      AtomicReference<Pointer> ref = new AtomicReference<>(p);
      this.pointer = ref;
      this.cleanable = CLEANER.register(this, () -> {
        Pointer q = ref.getAndSet(null);
        if (q != null) free.accept(q);
      });
    }

    Pointer pointer() {
      Pointer p = pointer.get();
      if (p == null) throw new IllegalStateException("varsam: used after close()");
      return p;
    }

    @Override
    public void close() {
      cleanable.clean();
    }
  }

  static Pointer open(int status, PointerByReference out) {
    check(status);
    return out.getValue();
  }

  /** An access context (varsam_context), from its JSON form. Immutable: share it between
   * threads freely. */
  public static final class Context extends Handle {
    public Context(String json) {
      super(fromJson(json), LIB::varsam_context_free);
    }

    private static Pointer fromJson(String json) {
      byte[] data = utf8(json);
      PointerByReference out = new PointerByReference();
      return open(LIB.varsam_context_from_json(data, len(data), out), out);
    }

    public String toJson() {
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_context_to_json(pointer(), out), out);
    }
  }

  /** A model file read into memory (varsam_model_open): scores cases with no engine; nothing
   * read, stored or audited. Any number of threads may score at once. */
  public static final class Model extends Handle {
    public Model(String modelJson) {
      super(openModel(modelJson), LIB::varsam_model_close);
    }

    private static Pointer openModel(String modelJson) {
      byte[] data = utf8(modelJson);
      PointerByReference out = new PointerByReference();
      return open(LIB.varsam_model_open(data, len(data), out), out);
    }

    /** varsam_model_score: levels[i] is feature i's level in the file's order (null: not
     * given), numbers[i] an intake total (NaN: none; numbers may be null). Returns the
     * probability (NaN for an evidence-based model); points[0] receives the points. */
    public double score(String[] levels, double[] numbers, int[] points) {
      Pointer[] pointers = new Pointer[levels.length];
      Memory[] keep = new Memory[levels.length];
      for (int i = 0; i < levels.length; i++) {
        if (levels[i] == null) continue;
        byte[] b = utf8z(levels[i]);
        keep[i] = new Memory(b.length);
        keep[i].write(0, b, 0, b.length);
        pointers[i] = keep[i];
      }
      DoubleByReference probability = new DoubleByReference();
      IntByReference total = new IntByReference();
      check(LIB.varsam_model_score(pointer(), pointers, numbers, new SizeT(levels.length),
                                   probability, total));
      if (points != null && points.length > 0) points[0] = total.getValue();
      Arrays.fill(keep, null);
      return probability.getValue();
    }
  }

  /** A varsam engine (store, policy packs, audit log). Every call is guard, audit event, work;
   * a refusal throws PermissionDeniedException naming the rule. */
  public static final class Engine extends Handle {
    /** varsam_engine_open_with_keys. optionsJson as docs/c-api.md ("Opening"); auditKey the 32
     * raw bytes of the Ed25519 signing key; pseudonymKey (may be null: no register submission)
     * gives the 32-byte key of an epoch, null to refuse. Both are asked for once, during the
     * open, on this thread. */
    public Engine(String optionsJson, byte[] auditKey, IntFunction<byte[]> pseudonymKey) {
      super(openEngine(optionsJson, auditKey, pseudonymKey), LIB::varsam_engine_close);
    }

    public Engine(String optionsJson, byte[] auditKey) {
      this(optionsJson, auditKey, null);
    }

    private static int fill(byte[] key, Pointer buffer) {
      if (key == null || key.length != 32) return Status.UNAUTHENTICATED.code();
      buffer.write(0, key, 0, 32);
      return 0;
    }

    private static Pointer openEngine(String optionsJson, byte[] auditKey,
                                      IntFunction<byte[]> pseudonymKey) {
      EngineKeysStruct keys = new EngineKeysStruct();
      keys.struct_size = keys.size();
      keys.audit_key = (userData, buffer) -> fill(auditKey, buffer);
      if (pseudonymKey != null) {
        keys.pseudonym_key = (userData, epoch, buffer) -> fill(pseudonymKey.apply(epoch), buffer);
      }
      byte[] data = utf8(optionsJson);
      PointerByReference out = new PointerByReference();
      int status = LIB.varsam_engine_open_with_keys(data, len(data), keys, out);
      // The callbacks are called only during the open: reachable until it has returned.
      java.lang.ref.Reference.reachabilityFence(keys);
      return open(status, out);
    }

    public String auditPublicKey() {
      byte[] hex = new byte[65];
      Varsam.check(LIB.varsam_engine_audit_public_key(pointer(), hex));
      return new String(hex, 0, 64, StandardCharsets.US_ASCII);
    }

    public String check(Context context, String action, String resourceJson) {
      byte[] resource = resourceJson == null ? null : utf8(resourceJson);
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_engine_check(pointer(), context.pointer(), utf8z(action), resource,
                                          len(resource), out), out);
    }

    /** Action "score": the varsam_score_json result plus "suggestions". */
    public String score(Context context, String requestJson) {
      byte[] data = utf8(requestJson);
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_engine_score(pointer(), context.pointer(), data, len(data), out),
                  out);
    }

    public long journalAppend(Context context, String measurementJson) {
      byte[] data = utf8(measurementJson);
      LongByReference id = new LongByReference();
      Varsam.check(LIB.varsam_engine_journal_append(pointer(), context.pointer(), data, len(data),
                                                    id));
      return id.getValue();
    }

    public String journalHistory(Context context, String clientRef) {
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_engine_journal_history(pointer(), context.pointer(),
                                                    utf8z(clientRef), out), out);
    }

    public String openSuggestions(Context context) {
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_engine_suggestions_open(pointer(), context.pointer(), out), out);
    }

    /** Action "decision.record"; outcome "accepted", "rejected" or "modified". Returns the
     * decision's id. */
    public long recordDecision(Context context, String suggestionId, String outcome,
                               String rationale) {
      LongByReference id = new LongByReference();
      Varsam.check(LIB.varsam_engine_decision_record(pointer(), context.pointer(),
                                                     utf8z(suggestionId), utf8z(outcome),
                                                     utf8z(rationale), id));
      return id.getValue();
    }

    public String overrideRates(Context context, int fromYyyymmdd, int toYyyymmdd) {
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_engine_override_rates(pointer(), context.pointer(), fromYyyymmdd,
                                                   toYyyymmdd, out), out);
    }

    /** Action "audit.read": the verification report ({"ok", "events", ...}). */
    public String verifyAudit(Context context) {
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_engine_audit_verify(pointer(), context.pointer(), out), out);
    }

    public void registerSubmit(Context context, String submissionsJson) {
      byte[] data = utf8(submissionsJson);
      Varsam.check(LIB.varsam_register_submit(pointer(), context.pointer(), data, len(data)));
    }

    public String registerSubmitCases(Context context, String casesJsonLines, int threads) {
      byte[] data = utf8(casesJsonLines);
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_register_submit_cases(pointer(), context.pointer(), data, len(data),
                                                   threads, out), out);
    }

    /** Action "register.export"; optionsJson null for the defaults. */
    public String registerExport(Context context, String optionsJson) {
      byte[] data = optionsJson == null ? null : utf8(optionsJson);
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_register_export(pointer(), context.pointer(), data, len(data), out),
                  out);
    }

    public String modelTrain(Context context, String specJson, String title) {
      byte[] data = utf8(specJson);
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_model_train(pointer(), context.pointer(), data, len(data),
                                         utf8z(title), out), out);
    }

    public String modelAdd(Context context, String modelJson) {
      byte[] data = utf8(modelJson);
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_model_add(pointer(), context.pointer(), data, len(data), out), out);
    }

    public String modelApply(Context context, String modelId, String caseJson) {
      byte[] data = utf8(caseJson);
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_model_apply(pointer(), context.pointer(), utf8z(modelId), data,
                                         len(data), out), out);
    }

    public String models(Context context) {
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_model_list(pointer(), context.pointer(), out), out);
    }

    /** Action "insight.query": a protected table; format "json", "csv" or "html". */
    public String insightQuery(Context context, String queryJson, String format) {
      byte[] data = utf8(queryJson);
      PointerByReference out = new PointerByReference();
      return take(LIB.varsam_insight_query(pointer(), context.pointer(), data, len(data),
                                           utf8z(format), out), out);
    }
  }
}
