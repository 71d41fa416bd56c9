/*
 * bcryptprimitives.dll for Wine 8 (Debian 12), which lacks it: Rust's standard library (1.78
 * and later) gets its random numbers from bcryptprimitives.dll!ProcessPrng, which every Windows
 * 10 and 11 has, so without this DLL every Rust .exe stops at load under that Wine.
 *
 * Test-only: scripts/cross-check.sh builds it with mingw-w64 and copies it into the Wine prefix
 * of the Windows tests. It is never part of the app or its installers.
 */
#include <windows.h>
#include <ntsecapi.h>

/* Same contract as the real export: fill the buffer, always succeed. RtlGenRandom takes a
 * ULONG length, so a larger request is filled in chunks. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
    while (size > 0) {
        ULONG chunk = size > 0x7fffffffUL ? 0x7fffffffUL : (ULONG)size;
        if (!RtlGenRandom(data, chunk)) {
            /* The real ProcessPrng cannot fail; callers do not check. Stop loudly instead of
             * handing back predictable bytes. */
            RaiseException(0xC00000E5 /* STATUS_INTERNAL_ERROR */, EXCEPTION_NONCONTINUABLE, 0, NULL);
        }
        data += chunk;
        size -= chunk;
    }
    return TRUE;
}
