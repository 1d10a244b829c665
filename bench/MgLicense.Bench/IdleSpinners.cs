// Keeps every CPU out of idle for the "busy" profile, without taking time from anything else.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace MgLicense.Bench
{
    /// <summary>
    /// One spinning thread per CPU, each of the lowest scheduling class Linux has (SCHED_IDLE): it runs only when nothing
    /// else wants that CPU and gives way at once to any thread that wakes. So no CPU is ever idle, and a thread woken by an
    /// answer never waits for a sleeping CPU to come back (on a virtual machine, an exit to the hypervisor and back), but
    /// no measured process loses its turn. What a call costs with and without that wait is the difference.
    /// </summary>
    internal sealed class IdleSpinners : IDisposable
    {
        private const int SchedIdle = 5;
        private readonly List<Thread> threads = new List<Thread>();
        private volatile bool stop;

        [StructLayout(LayoutKind.Sequential)]
        private struct SchedParam
        {
            public int Priority;
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int sched_setscheduler(int pid, int policy, ref SchedParam param);

        private IdleSpinners()
        {
        }

        /// <summary>The spinners, running; null with the reason when this machine cannot have them.</summary>
        public static IdleSpinners? Start(out string? why)
        {
            why = null;
            if (!OperatingSystem.IsLinux())
            {
                why = "SCHED_IDLE is Linux's";
                return null;
            }
            var spinners = new IdleSpinners();
            int failures = 0, started = 0, errno = 0;
            using var ready = new CountdownEvent(Environment.ProcessorCount);
            for (int i = 0; i < Environment.ProcessorCount; i++)
            {
                var thread = new Thread(() =>
                {
                    var param = new SchedParam();
                    // pid 0: the calling thread.
                    bool idle = sched_setscheduler(0, SchedIdle, ref param) == 0;
                    if (idle) Interlocked.Increment(ref started);
                    else
                    {
                        Interlocked.Exchange(ref errno, Marshal.GetLastPInvokeError());
                        Interlocked.Increment(ref failures);
                    }
                    ready.Signal();
                    if (!idle) return;
                    while (!spinners.stop) Thread.SpinWait(64);
                })
                { IsBackground = true, Name = "idle spinner " + i };
                spinners.threads.Add(thread);
                thread.Start();
            }
            ready.Wait();
            if (failures > 0)
            {
                spinners.Dispose();
                why = $"sched_setscheduler(SCHED_IDLE) failed with errno {errno}";
                return null;
            }
            return spinners;
        }

        public void Dispose()
        {
            stop = true;
            foreach (Thread t in threads) t.Join();
        }
    }
}
