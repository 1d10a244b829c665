// Shared plumbing for every MgLicense cmdlet: reaching the process-wide engine and reporting its errors the same way everywhere.
using System.Collections;
using System.Management.Automation;
using System.Reflection;
using MgLicense.Native;

namespace MgLicense.Commands
{
    public abstract class MgLicenseCmdlet : PSCmdlet
    {
        private EngineClient? engine;

        /// <summary>The engine; a missing or mismatched native library stops the cmdlet with the reason.</summary>
        internal EngineClient Engine
        {
            get
            {
                if (engine is null)
                {
                    try
                    {
                        engine = EngineClient.GetShared(UserAgent());
                    }
                    catch (EngineUnavailableException e)
                    {
                        ThrowTerminatingError(new ErrorRecord(e, "NativeEngineUnavailable", ErrorCategory.ResourceUnavailable, null));
                    }
                    catch (EngineException e)
                    {
                        ThrowEngineError(e, null);
                    }
                }

                return engine!;
            }
        }

        /// <summary>Writes the engine error, or stops the cmdlet when the error would repeat for every input.</summary>
        internal void ReportEngineError(EngineException e, object? target)
        {
            ErrorRecord? record = EngineErrors.ToErrorRecord(e, target, out bool terminating);
            if (record is null)
            {
                return;
            }

            if (terminating)
            {
                ThrowTerminatingError(record);
            }

            WriteError(record);
        }

        /// <summary>For cmdlets that manage the connection, where any failure ends the command.</summary>
        internal void ThrowEngineError(EngineException e, object? target)
        {
            ErrorRecord? record = EngineErrors.ToErrorRecord(e, target, out _);
            if (record is not null)
            {
                ThrowTerminatingError(record);
            }
        }

        private string UserAgent()
        {
            string module = typeof(MgLicenseCmdlet).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? typeof(MgLicenseCmdlet).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
            int plus = module.IndexOf('+');
            if (plus >= 0)
            {
                module = module.Substring(0, plus);
            }

            object? powershell = (SessionState.PSVariable.GetValue("PSVersionTable") as Hashtable)?["PSVersion"];
            return $"MgLicense/{module} PowerShell/{powershell ?? "unknown"}";
        }
    }
}
