// A bulk run seen from the pipeline thread: submit inputs, take results in input order, read progress, cancel from any thread.
using System;

namespace MgLicense.Native
{
    /// <summary>One result of a bulk run: the input's position, and either the result document or the engine's error.</summary>
    internal readonly struct BulkResult
    {
        internal BulkResult(ulong index, JsonElement? result, EngineException? error)
        {
            Index = index;
            Result = result;
            Error = error;
        }

        internal ulong Index { get; }

        internal JsonElement? Result { get; }

        internal EngineException? Error { get; }
    }

    internal sealed unsafe class EngineBulk : IDisposable
    {
        private ulong handle;

        internal EngineBulk(ulong handle) => this.handle = handle;

        /// <summary>Queues one request; false when results must be taken first (MGL_BUSY).</summary>
        internal bool TrySubmit(byte[] requestJson, out ulong index)
        {
            MglStatus status;
            IntPtr outJson;
            fixed (byte* p = requestJson)
            {
                status = NativeMethods.mgl_bulk_submit(handle, p, (nuint)requestJson.Length, out index, out outJson);
            }

            string? detail = EngineClient.TakeString(outJson);
            if (status == MglStatus.Busy)
            {
                return false;
            }

            if (status != MglStatus.Ok)
            {
                throw EngineException.From(status, detail);
            }

            return true;
        }

        internal void FinishInput() => NativeMethods.mgl_bulk_finish_input(handle);

        /// <summary>
        /// The next result in input order, waiting up to <paramref name="timeoutMilliseconds"/>; null when none is ready yet.
        /// <paramref name="finished"/> is set once every result has been handed over, or the run was cancelled.
        /// </summary>
        internal BulkResult? Next(uint timeoutMilliseconds, out bool finished)
        {
            finished = false;
            MglStatus status = NativeMethods.mgl_bulk_next(handle, timeoutMilliseconds, out ulong index, out IntPtr outJson);
            if (status == MglStatus.Ok)
            {
                try
                {
                    return new BulkResult(index, EngineClient.TakeJson(outJson), null);
                }
                catch (EngineException unreadable)
                {
                    return new BulkResult(index, null, unreadable);
                }
            }

            string? text = EngineClient.TakeString(outJson);
            switch (status)
            {
                case MglStatus.Pending:
                    return null;
                case MglStatus.Done:
                    finished = true;
                    return null;
                case MglStatus.Cancelled:
                    // Only the run as a whole is ever cancelled: a cancelled run hands nothing more over.
                    finished = true;
                    return null;
                default:
                    return new BulkResult(index, null, EngineException.From(status, text));
            }
        }

        /// <summary>Counts for Write-Progress (docs/abi.md, "Bulk runs").</summary>
        internal JsonElement? Progress()
        {
            MglStatus status = NativeMethods.mgl_bulk_progress(handle, out IntPtr outJson);
            string? text = EngineClient.TakeString(outJson);
            return status == MglStatus.Ok && text is not null ? Json.Parse(text) : null;
        }

        /// <summary>Safe from any thread: StopProcessing calls it while the pipeline thread waits in <see cref="Next"/>.</summary>
        internal void Cancel() => NativeMethods.mgl_bulk_cancel(handle);

        public void Dispose()
        {
            ulong h = handle;
            handle = 0;
            if (h != 0)
            {
                NativeMethods.mgl_bulk_free(h);
            }
        }
    }
}
