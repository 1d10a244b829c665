// Turns the engine's error detail into the ErrorRecord a user of the official module would see, in one place for every cmdlet.
using System;
using System.Management.Automation;
using System.Security.Authentication;
using MgLicense.Native;

namespace MgLicense.Commands
{
    internal static class EngineErrors
    {
        /// <summary>
        /// The record for an engine error, or null when nothing should be shown (a cancelled request).
        /// <paramref name="terminating"/> is true for errors that every later pipeline input would hit too
        /// (not connected, token refused, a bad argument that is not this input's own value, engine bug), so the cmdlet stops
        /// instead of repeating them.
        /// </summary>
        internal static ErrorRecord? ToErrorRecord(EngineException e, object? target, out bool terminating)
        {
            terminating = false;
            switch (e.Kind)
            {
                case "cancelled":
                    return null;
                case "graph":
                    return new ErrorRecord(new Exception(e.Message), e.Code ?? "GraphError", ErrorCategory.InvalidOperation, target)
                    {
                        // The engine lays the details out as the official cmdlets show them (docs/abi.md, "Error detail").
                        ErrorDetails = new ErrorDetails(e.Details ?? e.Message),
                    };
                case "notConnected":
                    // As the official cmdlets write it: a non-terminating error with no error id of its own, category
                    // NotSpecified and no target, so `try { Get-MgUser } catch { }` without -ErrorAction Stop goes on.
                    return new ErrorRecord(new AuthenticationException(e.Message, e), string.Empty,
                        ErrorCategory.NotSpecified, null);
                case "authenticationFailed":
                    terminating = true;
                    return new ErrorRecord(new AuthenticationException(e.Message, e), "AuthenticationFailed",
                        ErrorCategory.AuthenticationError, target);
                case "invalidArgument":
                    // A value of this input alone (an unusable user id) is reported for it, and the next input goes on, as the
                    // official cmdlet's per-item Graph error would; anything else (an identity without a user, where the official
                    // cmdlet stops too, or -Headers) would come back for every input.
                    terminating = e.Input is null;
                    return new ErrorRecord(new ArgumentException(e.Message, e), "InvalidArgument", ErrorCategory.InvalidArgument, target);
                case "unknownEnvironment":
                    // The environment cmdlets and Connect-MgGraph raise these with the official cmdlets' exception types
                    // themselves (EnvironmentErrors); this is for any other caller.
                    terminating = true;
                    return new ErrorRecord(new ArgumentException(e.Message, e), "UnknownEnvironment", ErrorCategory.InvalidArgument, target);
                case "builtInEnvironment":
                    terminating = true;
                    return new ErrorRecord(new InvalidOperationException(e.Message, e), "BuiltInEnvironment", ErrorCategory.InvalidOperation, target);
                case "transport":
                    return new ErrorRecord(e, "TransportError", ErrorCategory.ConnectionError, target);
                case "timeout":
                    return new ErrorRecord(e, "Timeout", ErrorCategory.OperationTimeout, target);
                default:
                    // invalidJson, invalidHandle, panic, runtime, …: a bug on our side, not something the user can fix per item.
                    terminating = true;
                    return new ErrorRecord(e, "Engine" + PascalCase(e.Kind), ErrorCategory.NotSpecified, target);
            }
        }

        private static string PascalCase(string name) =>
            name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);
    }

    /// <summary>
    /// The environment errors as the official Authentication module raises them. Its cmdlets throw these exceptions
    /// straight out of ProcessRecord, so PowerShell makes the record: a terminating error whose FullyQualifiedErrorId is
    /// the exception's type name ("System.InvalidOperationException,…"), category NotSpecified, no target. Throwing the
    /// same exceptions gives the same record.
    /// </summary>
    internal static class EnvironmentErrors
    {
        /// <summary>
        /// Add-, Set- and Remove-MgEnvironment on a built-in cloud: InvalidOperationException "Cannot remove built-in
        /// environment Global." (AddMgEnvironment.cs, SetMgEnvironment.cs, RemoveMgEnvironment.cs); Remove-MgEnvironment of a name no environment has:
        /// ArgumentException "Environment X not found." for parameter "name" (GraphSettings.RemoveEnvironment). Other errors
        /// are left to the caller.
        /// </summary>
        internal static void ThrowOfficial(EngineException e)
        {
            switch (e.Kind)
            {
                case "builtInEnvironment":
                    throw new InvalidOperationException(e.Message, e);
                case "unknownEnvironment":
                    throw new ArgumentException(e.Message, "name", e);
            }
        }
    }
}
