// Varsam.cs — a C# binding of the varsam C API (capi/varsam.h) over P/Invoke, for case systems
// written in .NET (Mono 6 or .NET 6+; C# 7, no unsafe code, no package).
//
// Loading: the library is imported as "libvarsam.so.0" (its SONAME), found through the dynamic
// loader's search path: installed (the package's lib directory), or LD_LIBRARY_PATH naming a
// build folder. Mono binds an import when it compiles the calling method, so a path cannot be
// chosen at run time from the program itself; to load another file use a <dllmap> in
// Varsam.dll.config (Mono) or NativeLibrary.SetDllImportResolver (.NET 6+). The first use of
// Varsam checks that the library's major version is the one this binding was written for.
//
// Ownership (docs/c-api.md, "Memory and ownership"): every string the library returns through a
// char** is owned by the caller; this binding copies it into a .NET string and frees it with
// varsam_free, always, also on failure. Borrowed strings (varsam_version_string,
// varsam_last_error, varsam_status_name, varsam_id_error_message, the band and flag codes of a
// score) are returned as IntPtr and copied, never freed: an import declared to return `string`
// would make the marshaller free them. Engines, contexts and in-memory models are SafeHandles:
// Dispose() (or the finaliser, as a last resort) calls varsam_engine_close, varsam_context_free
// and varsam_model_close exactly once.
//
// Errors: a status other than VARSAM_OK throws VarsamException carrying the varsam_status and
// varsam_last_error(), read on the calling thread right after the failed call (the message is
// per thread and valid until the next varsam_* call). A policy refusal is PermissionDenied.
// Strings go in as NUL-terminated UTF-8 with their byte length. JSON goes in and out as text:
// hosts parse it with the JSON library they already use.
//
// Threading: as the C API, every call may be made from any number of threads at once; an
// Engine and a Context may be shared between threads; Dispose an Engine only when no call on it
// runs.
//
// Copyright the varsam authors. Licensed under the Apache License, Version 2.0.

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace VarsamBinding
{
    /// <summary>varsam_status: equal to absl::StatusCode, one to one.</summary>
    public enum Status
    {
        Ok = 0, Cancelled = 1, Unknown = 2, InvalidArgument = 3, DeadlineExceeded = 4,
        NotFound = 5, AlreadyExists = 6, PermissionDenied = 7, ResourceExhausted = 8,
        FailedPrecondition = 9, Aborted = 10, OutOfRange = 11, Unimplemented = 12, Internal = 13,
        Unavailable = 14, DataLoss = 15, Unauthenticated = 16,
    }

    /// <summary>A varsam call returned a status other than VARSAM_OK.</summary>
    public class VarsamException : Exception
    {
        public Status Status { get; }
        /// <summary>The stable lower-case name ("invalid_argument").</summary>
        public string StatusName { get; }
        /// <summary>varsam_last_error() right after the call; never personal data.</summary>
        public string LibraryMessage { get; }

        public VarsamException(Status status, string message)
            : base(Varsam.StatusName(status) + ": " + message)
        {
            Status = status;
            StatusName = Varsam.StatusName(status);
            LibraryMessage = message;
        }
    }

    /// <summary>VARSAM_PERMISSION_DENIED: the policy refused; the message names the rule.</summary>
    public sealed class PermissionDeniedException : VarsamException
    {
        public PermissionDeniedException(string message) : base(Status.PermissionDenied, message) { }
    }

    /// <summary>The result of varsam_id_check.</summary>
    public sealed class IdResult
    {
        public bool Valid;
        public int Error;              // varsam_id_error: 0 none, 1 format, 2 check digit, ...
        public string ErrorMessage;    // null when valid
        public int Kind;               // 1 personnummer, 2 samordningsnummer, 3 interimsnummer
        public int Sex;                // 1 female, 2 male
        public bool OfficialTestNumber;
        public int BirthYear, BirthMonth, BirthDay;
        public string Normalized;      // "YYYYMMDDNNNN"; null when not valid
    }

    /// <summary>The result of varsam_score.</summary>
    public sealed class Score
    {
        public bool Scored;
        public double Total;           // NaN when not scored
        public int BandIndex;          // -1 when none
        public string Band;            // null when none
        public int Answered, Missing;
        public bool Prorated;
        public uint FlagBits;
        public int FlagCount;
        public int MaxSeverity;        // varsam_severity
        public string[] Flags;         // the first VARSAM_SCORE_MAX_FLAGS codes raised
        public int[] FlagSeverities;
    }

    internal static class Native
    {
        internal const string Lib = "libvarsam.so.0";
        internal const int MaxFlags = 8;

        [StructLayout(LayoutKind.Sequential)]
        internal struct IdResult
        {
            public uint struct_size;
            public int valid, error, kind, sex, official_test_number;
            public int birth_year, birth_month, birth_day;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 13)] public byte[] normalized;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct Respondent
        {
            public uint struct_size;
            public int sex;
            public int age;
            public double previous_total;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct ScoreResult
        {
            public uint struct_size;
            public int scored;
            public double total;
            public int band_index;
            public IntPtr band;
            public int answered, missing, prorated;
            public uint flag_bits;
            public int flag_count, max_severity;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = MaxFlags)] public IntPtr[] flags;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = MaxFlags)] public int[] flag_severities;
        }

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int KeyCallback(IntPtr userData, IntPtr privateKey);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int PseudonymKeyCallback(IntPtr userData, int epoch, IntPtr key);

        [StructLayout(LayoutKind.Sequential)]
        internal struct EngineKeys
        {
            public uint struct_size;
            public IntPtr audit_key;
            public IntPtr audit_key_user_data;
            public IntPtr pseudonym_key;
            public IntPtr pseudonym_key_user_data;
        }

        [DllImport(Lib)] internal static extern int varsam_version_number();
        [DllImport(Lib)] internal static extern IntPtr varsam_version_string();
        [DllImport(Lib)] internal static extern IntPtr varsam_last_error();
        [DllImport(Lib)] internal static extern IntPtr varsam_status_name(int status);
        [DllImport(Lib)] internal static extern void varsam_free(IntPtr memory);

        [DllImport(Lib)] internal static extern int varsam_id_check(
            byte[] number, UIntPtr length, int today, ref IdResult result);
        [DllImport(Lib)] internal static extern IntPtr varsam_id_error_message(int error);
        [DllImport(Lib)] internal static extern int varsam_id_find(
            byte[] text, UIntPtr length, int today, out IntPtr json);

        [DllImport(Lib)] internal static extern int varsam_score(
            byte[] instrument, double[] responses, UIntPtr count, ref Respondent respondent,
            ref ScoreResult result);
        [DllImport(Lib)] internal static extern int varsam_score_json(
            byte[] request, UIntPtr length, out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_instrument_list(out IntPtr json);

        [DllImport(Lib)] internal static extern int varsam_engine_open_with_keys(
            byte[] options, UIntPtr length, ref EngineKeys keys, out EngineHandle engine);
        [DllImport(Lib)] internal static extern void varsam_engine_close(IntPtr engine);
        [DllImport(Lib)] internal static extern int varsam_engine_audit_public_key(
            EngineHandle engine, byte[] keyHex);

        [DllImport(Lib)] internal static extern int varsam_context_from_json(
            byte[] json, UIntPtr length, out ContextHandle context);
        [DllImport(Lib)] internal static extern int varsam_context_to_json(
            ContextHandle context, out IntPtr json);
        [DllImport(Lib)] internal static extern void varsam_context_free(IntPtr context);

        [DllImport(Lib)] internal static extern int varsam_policy_check(
            ContextHandle context, byte[] action, byte[] resource, UIntPtr length, out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_engine_check(
            EngineHandle engine, ContextHandle context, byte[] action, byte[] resource,
            UIntPtr length, out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_engine_score(
            EngineHandle engine, ContextHandle context, byte[] request, UIntPtr length,
            out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_engine_journal_append(
            EngineHandle engine, ContextHandle context, byte[] measurement, UIntPtr length,
            out long id);
        [DllImport(Lib)] internal static extern int varsam_engine_journal_history(
            EngineHandle engine, ContextHandle context, byte[] clientRef, out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_engine_suggestions_open(
            EngineHandle engine, ContextHandle context, out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_engine_decision_record(
            EngineHandle engine, ContextHandle context, byte[] suggestion, byte[] outcome,
            byte[] rationale, out long id);
        [DllImport(Lib)] internal static extern int varsam_engine_override_rates(
            EngineHandle engine, ContextHandle context, int from, int to, out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_engine_audit_verify(
            EngineHandle engine, ContextHandle context, out IntPtr json);

        [DllImport(Lib)] internal static extern int varsam_register_submit(
            EngineHandle engine, ContextHandle context, byte[] submissions, UIntPtr length);
        [DllImport(Lib)] internal static extern int varsam_register_submit_cases(
            EngineHandle engine, ContextHandle context, byte[] cases, UIntPtr length, int threads,
            out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_register_export(
            EngineHandle engine, ContextHandle context, byte[] options, UIntPtr length,
            out IntPtr json);

        [DllImport(Lib)] internal static extern int varsam_model_train(
            EngineHandle engine, ContextHandle context, byte[] spec, UIntPtr length, byte[] title,
            out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_model_add(
            EngineHandle engine, ContextHandle context, byte[] model, UIntPtr length,
            out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_model_apply(
            EngineHandle engine, ContextHandle context, byte[] modelId, byte[] caseJson,
            UIntPtr length, out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_model_list(
            EngineHandle engine, ContextHandle context, out IntPtr json);
        [DllImport(Lib)] internal static extern int varsam_model_card(
            byte[] model, UIntPtr length, byte[] format, out IntPtr text);
        [DllImport(Lib)] internal static extern int varsam_model_open(
            byte[] model, UIntPtr length, out ModelHandle handle);
        [DllImport(Lib)] internal static extern void varsam_model_close(IntPtr model);
        [DllImport(Lib)] internal static extern int varsam_model_score(
            ModelHandle model, IntPtr[] levels, double[] numbers, UIntPtr count,
            out double probability, out int points);

        [DllImport(Lib)] internal static extern int varsam_insight_query(
            EngineHandle engine, ContextHandle context, byte[] query, UIntPtr length,
            byte[] format, out IntPtr text);
    }

    /// <summary>A varsam_engine*, closed with varsam_engine_close.</summary>
    public sealed class EngineHandle : SafeHandle
    {
        private EngineHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle() { Native.varsam_engine_close(handle); return true; }
    }

    /// <summary>A varsam_context*, freed with varsam_context_free.</summary>
    public sealed class ContextHandle : SafeHandle
    {
        private ContextHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle() { Native.varsam_context_free(handle); return true; }
    }

    /// <summary>A varsam_model*, closed with varsam_model_close.</summary>
    public sealed class ModelHandle : SafeHandle
    {
        private ModelHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle() { Native.varsam_model_close(handle); return true; }
    }

    /// <summary>The calls that need no engine: version, identity numbers, instruments.</summary>
    public static class Varsam
    {
        /// <summary>The major version of the varsam.h this binding was written against.</summary>
        public const int HeaderVersionMajor = 0;

        static Varsam()
        {
            CheckMajor();
        }

        [System.Runtime.CompilerServices.MethodImpl(
            System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void CheckMajor()
        {
            int major = Native.varsam_version_number() / 1000000;
            if (major != HeaderVersionMajor)
            {
                throw new DllNotFoundException("varsam: the library is major version " + major +
                                               ", this binding needs " + HeaderVersionMajor);
            }
        }

        /// <summary>Makes sure the library is loaded and of the right major version.</summary>
        public static void Load() { }

        public static int VersionNumber() { return Native.varsam_version_number(); }
        public static string Version() { return Borrowed(Native.varsam_version_string()); }

        public static string StatusName(Status status)
        {
            return Borrowed(Native.varsam_status_name((int)status));
        }

        /// <summary>Checks one identity number; today is YYYYMMDD, 0 for today in Sweden.
        /// An invalid number is a result with Valid false, not an exception.</summary>
        public static IdResult CheckId(string number, int today = 0)
        {
            byte[] text = Encoding.UTF8.GetBytes(number);
            var r = new Native.IdResult();
            r.struct_size = (uint)Marshal.SizeOf(typeof(Native.IdResult));
            r.normalized = new byte[13];
            Check(Native.varsam_id_check(text, (UIntPtr)text.Length, today, ref r));
            var result = new IdResult
            {
                Valid = r.valid == 1, Error = r.error, Kind = r.kind, Sex = r.sex,
                OfficialTestNumber = r.official_test_number == 1, BirthYear = r.birth_year,
                BirthMonth = r.birth_month, BirthDay = r.birth_day,
            };
            if (result.Valid)
            {
                int n = Array.IndexOf(r.normalized, (byte)0);
                result.Normalized = Encoding.ASCII.GetString(r.normalized, 0, n < 0 ? 13 : n);
            }
            else
            {
                result.ErrorMessage = Borrowed(Native.varsam_id_error_message(r.error));
            }
            return result;
        }

        /// <summary>The identity numbers in a free text, as varsam_id_find's JSON array
        /// (offsets and lengths in bytes of the UTF-8 text).</summary>
        public static string FindIds(string text, int today = 0)
        {
            byte[] data = Encoding.UTF8.GetBytes(text);
            IntPtr json;
            int status = Native.varsam_id_find(data, (UIntPtr)data.Length, today, out json);
            return Take(status, json);
        }

        /// <summary>Scores one form; a missing answer is double.NaN. sex: 0 unknown, 1 female,
        /// 2 male; age negative when unknown.</summary>
        public static Score Score(string instrument, double[] responses, int sex = 0,
                                  int age = -1, double previousTotal = double.NaN)
        {
            var who = new Native.Respondent
            {
                struct_size = (uint)Marshal.SizeOf(typeof(Native.Respondent)), sex = sex,
                age = age, previous_total = previousTotal,
            };
            var r = new Native.ScoreResult();
            r.struct_size = (uint)Marshal.SizeOf(typeof(Native.ScoreResult));
            r.flags = new IntPtr[Native.MaxFlags];
            r.flag_severities = new int[Native.MaxFlags];
            Check(Native.varsam_score(Utf8z(instrument), responses, (UIntPtr)responses.Length,
                                      ref who, ref r));
            int listed = Math.Min(r.flag_count, Native.MaxFlags);
            var score = new Score
            {
                Scored = r.scored == 1, Total = r.total, BandIndex = r.band_index,
                Band = r.band == IntPtr.Zero ? null : Borrowed(r.band), Answered = r.answered,
                Missing = r.missing, Prorated = r.prorated == 1, FlagBits = r.flag_bits,
                FlagCount = r.flag_count, MaxSeverity = r.max_severity,
                Flags = new string[listed], FlagSeverities = new int[listed],
            };
            for (int i = 0; i < listed; i++)
            {
                score.Flags[i] = Borrowed(r.flags[i]);
                score.FlagSeverities[i] = r.flag_severities[i];
            }
            return score;
        }

        /// <summary>varsam_score_json: the result as `varsam score --json` prints it.</summary>
        public static string ScoreJson(string request)
        {
            byte[] data = Utf8(request);
            IntPtr json;
            int status = Native.varsam_score_json(data, (UIntPtr)data.Length, out json);
            return Take(status, json);
        }

        /// <summary>Every instrument known, as a JSON array.</summary>
        public static string Instruments()
        {
            IntPtr json;
            int status = Native.varsam_instrument_list(out json);
            return Take(status, json);
        }

        /// <summary>The built-in pack's decision, not audited (varsam_policy_check).</summary>
        public static string PolicyCheck(Context context, string action, string resourceJson = null)
        {
            byte[] resource = resourceJson == null ? null : Utf8(resourceJson);
            IntPtr json;
            int status = Native.varsam_policy_check(
                context.Handle, Utf8z(action), resource,
                (UIntPtr)(resource == null ? 0 : resource.Length), out json);
            return Take(status, json);
        }

        /// <summary>A model file's card as "markdown" or "html" (varsam_model_card).</summary>
        public static string ModelCard(string modelJson, string format = "markdown")
        {
            byte[] data = Utf8(modelJson);
            IntPtr text;
            int status = Native.varsam_model_card(data, (UIntPtr)data.Length, Utf8z(format),
                                                  out text);
            return Take(status, text);
        }

        // ---- helpers shared by the classes of this file ----

        internal static byte[] Utf8(string s)
        {
            if (s == null) throw new ArgumentNullException();
            return Encoding.UTF8.GetBytes(s);
        }

        /// <summary>NUL-terminated UTF-8, for the C API's const char* arguments; null stays
        /// null (NULL: the optional arguments).</summary>
        internal static byte[] Utf8z(string s)
        {
            if (s == null) return null;
            byte[] bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Copies a borrowed NUL-terminated UTF-8 string; never frees it.</summary>
        internal static string Borrowed(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            byte[] bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Throws for a status other than OK, with this thread's last error. Call
        /// right after the failed call, before any other varsam call on the thread.</summary>
        internal static void Check(int status)
        {
            if (status == (int)Status.Ok) return;
            string message = Borrowed(Native.varsam_last_error());
            if (status == (int)Status.PermissionDenied) throw new PermissionDeniedException(message);
            throw new VarsamException((Status)status, message);
        }

        /// <summary>Takes a string the library returned through a char**: reads the error first
        /// (the message is gone after the next call), copies, and always frees.</summary>
        internal static string Take(int status, IntPtr owned)
        {
            try
            {
                Check(status);
                if (owned == IntPtr.Zero)
                {
                    throw new VarsamException(Status.Internal, "returned OK without a result");
                }
                return Borrowed(owned);
            }
            finally
            {
                Native.varsam_free(owned);  // varsam_free(NULL) does nothing
            }
        }
    }

    /// <summary>An access context (varsam_context), from its JSON form. Immutable: share it
    /// between threads freely.</summary>
    public sealed class Context : IDisposable
    {
        internal readonly ContextHandle Handle;

        public Context(string json)
        {
            Varsam.Load();
            byte[] data = Varsam.Utf8(json);
            ContextHandle handle;
            int status = Native.varsam_context_from_json(data, (UIntPtr)data.Length, out handle);
            if (status != (int)Status.Ok) handle.Dispose();
            Varsam.Check(status);
            Handle = handle;
        }

        public string ToJson()
        {
            IntPtr json;
            int status = Native.varsam_context_to_json(Handle, out json);
            return Varsam.Take(status, json);
        }

        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>A model file read into memory (varsam_model_open): scores cases with no
    /// engine; nothing read, stored or audited. Any number of threads may score at once.</summary>
    public sealed class Model : IDisposable
    {
        private readonly ModelHandle handle;

        public Model(string modelJson)
        {
            Varsam.Load();
            byte[] data = Varsam.Utf8(modelJson);
            int status = Native.varsam_model_open(data, (UIntPtr)data.Length, out handle);
            if (status != (int)Status.Ok) handle.Dispose();
            Varsam.Check(status);
        }

        /// <summary>varsam_model_score: levels[i] is feature i's level in the file's order (null:
        /// not given), numbers[i] an intake total (NaN: none; numbers may be null).</summary>
        public double Score(string[] levels, double[] numbers, out int points)
        {
            var pointers = new IntPtr[levels.Length];
            try
            {
                for (int i = 0; i < levels.Length; i++)
                {
                    if (levels[i] == null) continue;
                    byte[] bytes = Varsam.Utf8z(levels[i]);
                    pointers[i] = Marshal.AllocHGlobal(bytes.Length);
                    Marshal.Copy(bytes, 0, pointers[i], bytes.Length);
                }
                double probability;
                Varsam.Check(Native.varsam_model_score(handle, pointers, numbers,
                                                       (UIntPtr)levels.Length, out probability,
                                                       out points));
                return probability;
            }
            finally
            {
                foreach (IntPtr p in pointers) if (p != IntPtr.Zero) Marshal.FreeHGlobal(p);
            }
        }

        public void Dispose() { handle.Dispose(); }
    }

    /// <summary>A varsam engine (store, policy packs, audit log). Every call is guard, audit
    /// event, work; a refusal throws PermissionDeniedException naming the rule.</summary>
    public sealed class Engine : IDisposable
    {
        private readonly EngineHandle handle;

        /// <summary>varsam_engine_open_with_keys. optionsJson as docs/c-api.md ("Opening");
        /// auditKey the 32 raw bytes of the Ed25519 signing key; pseudonymKey (may be null: no
        /// register submission) gives the 32-byte key of an epoch, null to refuse. Both are
        /// asked for once, during the open, on this thread.</summary>
        public Engine(string optionsJson, byte[] auditKey, Func<int, byte[]> pseudonymKey = null)
        {
            Varsam.Load();
            Native.KeyCallback audit = (userData, buffer) => Fill(auditKey, buffer);
            Native.PseudonymKeyCallback pseudonym =
                (userData, epoch, buffer) => Fill(pseudonymKey(epoch), buffer);
            var keys = new Native.EngineKeys
            {
                struct_size = (uint)Marshal.SizeOf(typeof(Native.EngineKeys)),
                audit_key = Marshal.GetFunctionPointerForDelegate(audit),
                pseudonym_key = pseudonymKey == null
                    ? IntPtr.Zero : Marshal.GetFunctionPointerForDelegate(pseudonym),
            };
            byte[] data = Varsam.Utf8(optionsJson);
            int status = Native.varsam_engine_open_with_keys(data, (UIntPtr)data.Length,
                                                             ref keys, out handle);
            GC.KeepAlive(audit);
            GC.KeepAlive(pseudonym);
            if (status != (int)Status.Ok) handle.Dispose();
            Varsam.Check(status);
        }

        private static int Fill(byte[] key, IntPtr buffer)
        {
            if (key == null || key.Length != 32) return (int)Status.Unauthenticated;
            Marshal.Copy(key, 0, buffer, 32);
            return (int)Status.Ok;
        }

        /// <summary>Writes the final checkpoint and closes (once; no call may run).</summary>
        public void Dispose() { handle.Dispose(); }

        public string AuditPublicKey()
        {
            byte[] hex = new byte[65];
            Varsam.Check(Native.varsam_engine_audit_public_key(handle, hex));
            return Encoding.ASCII.GetString(hex, 0, 64);
        }

        public string Check(Context context, string action, string resourceJson = null)
        {
            byte[] resource = resourceJson == null ? null : Varsam.Utf8(resourceJson);
            IntPtr json;
            int status = Native.varsam_engine_check(
                handle, context.Handle, Varsam.Utf8z(action), resource,
                (UIntPtr)(resource == null ? 0 : resource.Length), out json);
            return Varsam.Take(status, json);
        }

        /// <summary>Action "score": the varsam_score_json result plus "suggestions".</summary>
        public string Score(Context context, string requestJson)
        {
            byte[] data = Varsam.Utf8(requestJson);
            IntPtr json;
            int status = Native.varsam_engine_score(handle, context.Handle, data,
                                                    (UIntPtr)data.Length, out json);
            return Varsam.Take(status, json);
        }

        public long JournalAppend(Context context, string measurementJson)
        {
            byte[] data = Varsam.Utf8(measurementJson);
            long id;
            Varsam.Check(Native.varsam_engine_journal_append(handle, context.Handle, data,
                                                             (UIntPtr)data.Length, out id));
            return id;
        }

        public string JournalHistory(Context context, string clientRef)
        {
            IntPtr json;
            int status = Native.varsam_engine_journal_history(handle, context.Handle,
                                                              Varsam.Utf8z(clientRef), out json);
            return Varsam.Take(status, json);
        }

        public string OpenSuggestions(Context context)
        {
            IntPtr json;
            int status = Native.varsam_engine_suggestions_open(handle, context.Handle, out json);
            return Varsam.Take(status, json);
        }

        /// <summary>Action "decision.record"; outcome "accepted", "rejected" or "modified".
        /// Returns the decision's id.</summary>
        public long RecordDecision(Context context, string suggestionId, string outcome,
                                   string rationale)
        {
            long id;
            Varsam.Check(Native.varsam_engine_decision_record(
                handle, context.Handle, Varsam.Utf8z(suggestionId), Varsam.Utf8z(outcome),
                Varsam.Utf8z(rationale), out id));
            return id;
        }

        public string OverrideRates(Context context, int fromYyyymmdd, int toYyyymmdd)
        {
            IntPtr json;
            int status = Native.varsam_engine_override_rates(handle, context.Handle, fromYyyymmdd,
                                                             toYyyymmdd, out json);
            return Varsam.Take(status, json);
        }

        /// <summary>Action "audit.read": the verification report ({"ok", "events", ...}).</summary>
        public string VerifyAudit(Context context)
        {
            IntPtr json;
            int status = Native.varsam_engine_audit_verify(handle, context.Handle, out json);
            return Varsam.Take(status, json);
        }

        public void RegisterSubmit(Context context, string submissionsJson)
        {
            byte[] data = Varsam.Utf8(submissionsJson);
            Varsam.Check(Native.varsam_register_submit(handle, context.Handle, data,
                                                       (UIntPtr)data.Length));
        }

        public string RegisterSubmitCases(Context context, string casesJsonLines, int threads = 1)
        {
            byte[] data = Varsam.Utf8(casesJsonLines);
            IntPtr json;
            int status = Native.varsam_register_submit_cases(handle, context.Handle, data,
                                                             (UIntPtr)data.Length, threads,
                                                             out json);
            return Varsam.Take(status, json);
        }

        public string RegisterExport(Context context, string optionsJson = null)
        {
            byte[] data = optionsJson == null ? null : Varsam.Utf8(optionsJson);
            IntPtr json;
            int status = Native.varsam_register_export(
                handle, context.Handle, data, (UIntPtr)(data == null ? 0 : data.Length), out json);
            return Varsam.Take(status, json);
        }

        public string ModelTrain(Context context, string specJson, string title = null)
        {
            byte[] data = Varsam.Utf8(specJson);
            IntPtr json;
            int status = Native.varsam_model_train(handle, context.Handle, data,
                                                   (UIntPtr)data.Length, Varsam.Utf8z(title),
                                                   out json);
            return Varsam.Take(status, json);
        }

        public string ModelAdd(Context context, string modelJson)
        {
            byte[] data = Varsam.Utf8(modelJson);
            IntPtr json;
            int status = Native.varsam_model_add(handle, context.Handle, data,
                                                 (UIntPtr)data.Length, out json);
            return Varsam.Take(status, json);
        }

        public string ModelApply(Context context, string modelId, string caseJson)
        {
            byte[] data = Varsam.Utf8(caseJson);
            IntPtr json;
            int status = Native.varsam_model_apply(handle, context.Handle, Varsam.Utf8z(modelId),
                                                   data, (UIntPtr)data.Length, out json);
            return Varsam.Take(status, json);
        }

        public string Models(Context context)
        {
            IntPtr json;
            int status = Native.varsam_model_list(handle, context.Handle, out json);
            return Varsam.Take(status, json);
        }

        /// <summary>Action "insight.query": a protected table; format "json", "csv" or
        /// "html".</summary>
        public string InsightQuery(Context context, string queryJson, string format = "json")
        {
            byte[] data = Varsam.Utf8(queryJson);
            IntPtr text;
            int status = Native.varsam_insight_query(handle, context.Handle, data,
                                                     (UIntPtr)data.Length, Varsam.Utf8z(format),
                                                     out text);
            return Varsam.Take(status, text);
        }
    }
}
