/* Windows support for abi_test.c, included in place of its POSIX headers when _WIN32 is
 * defined (build/windows/cross.sh builds it with mingw-w64 and runs it under Wine; on Windows
 * itself it builds the same way). It provides what abi_test.c takes from POSIX:
 *   - the emulator as a child process whose first stdout line is read through a pipe
 *     (win32_start_emulator), stopped with kill()/waitpid() at the end;
 *   - read/write/close on sockets (the admin API's, the held server's) as Winsock
 *     recv/send/closesocket (in the Windows build those names are used only on sockets), and
 *     set_nonblocking as ioctlsocket(FIONBIO);
 *   - signal(SIGPIPE, ...) as nothing (Windows has no SIGPIPE);
 *   - strndup and nanosleep, which mingw-w64's C runtime lacks. */
#ifndef ABI_TEST_WIN32_H
#define ABI_TEST_WIN32_H

#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

static HANDLE win32_emulator_process;

/* Starts "<binary> --users <tenant> --port 0", reads the URL it prints first into url, and
 * returns its port (the emulator's stdout pipe stays open, as in the POSIX version). */
static int win32_start_emulator(const char *binary, const char *tenant, char *url, size_t url_size) {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) { fprintf(stderr, "WSAStartup failed\n"); exit(2); }

  SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
  HANDLE read_end, write_end;
  if (!CreatePipe(&read_end, &write_end, &inherit, 0)) { fprintf(stderr, "CreatePipe failed\n"); exit(2); }
  SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);

  char command[4096];
  snprintf(command, sizeof command, "\"%s\" --users \"%s\" --port 0", binary, tenant);
  STARTUPINFOA startup = {0};
  startup.cb = sizeof startup;
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  startup.hStdOutput = write_end;
  startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  PROCESS_INFORMATION process;
  if (!CreateProcessA(NULL, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &process)) {
    fprintf(stderr, "cannot start %s (error %lu)\n", binary, GetLastError());
    exit(2);
  }
  CloseHandle(write_end);
  CloseHandle(process.hThread);
  win32_emulator_process = process.hProcess;

  size_t n = 0;
  char c;
  DWORD got;
  while (n + 1 < url_size && ReadFile(read_end, &c, 1, &got, NULL) && got == 1 && c != '\n') {
    if (c != '\r') url[n++] = c;
  }
  url[n] = '\0';
  const char *colon = strrchr(url, ':');
  if (strncmp(url, "http://127.0.0.1:", 17) != 0 || !colon) {
    fprintf(stderr, "emulator did not print its URL (got '%s')\n", url);
    exit(2);
  }
  return atoi(colon + 1);
}

#define kill(pid, sig) ((void)(pid), (void)(sig), TerminateProcess(win32_emulator_process, 0))
#define waitpid(pid, status, options) \
  ((void)(pid), (void)(status), (void)(options), WaitForSingleObject(win32_emulator_process, 10000))

/* Windows has no SIGPIPE: a closed socket is an error return, never a signal. */
#define SIGPIPE SIGTERM
#define signal(sig, handler) ((void)(sig), (void)(handler))

#define read(s, buffer, size) recv((SOCKET)(s), (char *)(buffer), (int)(size), 0)
#define write(s, buffer, size) send((SOCKET)(s), (const char *)(buffer), (int)(size), 0)
#define close(s) closesocket((SOCKET)(s))

/* A socket that never blocks: accept and recv return at once when nothing has come. */
static void set_nonblocking(int s) {
  u_long on = 1;
  ioctlsocket((SOCKET)s, FIONBIO, &on);
}

static char *strndup(const char *s, size_t n) {
  size_t length = strnlen(s, n);
  char *copy = malloc(length + 1);
  if (!copy) return NULL;
  memcpy(copy, s, length);
  copy[length] = '\0';
  return copy;
}

/* Sub-millisecond pauses matter to the cancellation races: spin on the performance counter
 * rather than round up to Sleep's milliseconds. */
static int win32_nanosleep(const struct timespec *pause) {
  LARGE_INTEGER frequency, start, now;
  QueryPerformanceFrequency(&frequency);
  QueryPerformanceCounter(&start);
  double seconds = (double)pause->tv_sec + (double)pause->tv_nsec / 1e9;
  if (seconds >= 0.002) Sleep((DWORD)(seconds * 1000.0));
  do QueryPerformanceCounter(&now);
  while ((double)(now.QuadPart - start.QuadPart) / (double)frequency.QuadPart < seconds);
  return 0;
}
#define nanosleep(pause, remaining) ((void)(remaining), win32_nanosleep(pause))

#endif
