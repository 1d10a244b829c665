/* bcryptprimitives.dll for Wine 8, which has none. Rust's standard library (1.78 and later)
 * calls ProcessPrng from it for random bytes (HashMap keys); Windows 10 and later have the real
 * DLL. This stub fills the buffer with RtlGenRandom (advapi32!SystemFunction036). It goes into
 * the test Wine prefix only (build/windows/cross.sh) and is never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
