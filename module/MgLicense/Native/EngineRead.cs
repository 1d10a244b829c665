// A read seen from the pipeline thread: take its pages one by one while the engine fetches the next, cancel from any thread.
using System;
using System.Text;

namespace MgLicense.Native
{
    internal sealed unsafe class EngineRead : IDisposable
    {
        private ulong handle;

        internal EngineRead(ulong handle) => this.handle = handle;

        /// <summary>
        /// The next page (docs/abi.md, "Reads"), waiting up to <paramref name="timeoutMilliseconds"/>; null when it has not come
        /// yet. <paramref name="finished"/> is set after the last page, after the error that ended the read, or after a cancel.
        /// The error that ends a read is thrown. The page is copied into <paramref name="buffer"/> (grown when too small, kept
        /// by the caller from page to page): the caller reads every item of a page before it takes the next.
        /// </summary>
        internal JsonPage? Next(uint timeoutMilliseconds, out bool finished, ref byte[]? buffer)
        {
            finished = false;
            MglStatus status = NativeMethods.mgl_read_next(handle, timeoutMilliseconds, out IntPtr outJson);
            if (status == MglStatus.Ok)
            {
                return EngineClient.TakePage(outJson, ref buffer);
            }

            string? text = EngineClient.TakeString(outJson);
            switch (status)
            {
                case MglStatus.Pending:
                    return null;
                case MglStatus.Done:
                case MglStatus.Cancelled:
                    finished = true;
                    return null;
                default:
                    finished = true;
                    throw EngineException.From(status, text);
            }
        }

        /// <summary>Safe from any thread: StopProcessing calls it while the pipeline thread waits in <see cref="Next"/>.</summary>
        internal void Cancel() => NativeMethods.mgl_read_cancel(handle);

        public void Dispose()
        {
            ulong h = handle;
            handle = 0;
            if (h != 0)
            {
                NativeMethods.mgl_read_free(h);
            }
        }
    }

    internal sealed unsafe partial class EngineClient
    {
        /// <summary>Checks a read document and starts fetching its first page (docs/abi.md, "Reads").</summary>
        internal EngineRead StartRead(byte[] readJson)
        {
            MglStatus status;
            ulong read;
            IntPtr outJson;
            fixed (byte* p = readJson)
            {
                status = NativeMethods.mgl_read_start(handle, p, (nuint)readJson.Length, out read, out outJson);
            }

            string? detail = TakeString(outJson);
            if (status != MglStatus.Ok)
            {
                throw EngineException.From(status, detail);
            }

            return new EngineRead(read);
        }
    }
}
