/* Drives the MgLicense C ABI the way a C caller would: reprocesses one user against the
 * emulator, pages through a read, then walks the failure paths (NULL arguments, invalid JSON
 * and UTF-8, handles released twice or of the wrong kind, cancellation, a refused sign-in).
 *
 * usage: abi_test <graph-emulator binary> <tenant.json>
 * Prints one line per check and "N passed, N failed" at the end; exits 1 on any failure. */

#define _POSIX_C_SOURCE 200809L
#include "mglicense.h"

#ifdef _WIN32
#include "abi_test_win32.h" /* Winsock and a Windows child process in place of the POSIX headers */
#else
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void set_nonblocking(int fd) { fcntl(fd, F_SETFL, O_NONBLOCK); }
#endif

static int passed, failed;

#define CHECK(cond, what)                                                          \
  do {                                                                             \
    if (cond) { passed++; printf("ok   %s\n", what); }                            \
    else { failed++; printf("FAIL %s (%s:%d)\n", what, __FILE__, __LINE__); }     \
  } while (0)

static pid_t emulator_pid;
static char base_url[256];
static int port;

#ifdef _WIN32
static void start_emulator(const char *binary, const char *tenant) {
  port = win32_start_emulator(binary, tenant, base_url, sizeof base_url);
}
#else
static void start_emulator(const char *binary, const char *tenant) {
  int fds[2];
  if (pipe(fds) != 0) { perror("pipe"); exit(2); }
  emulator_pid = fork();
  if (emulator_pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    execl(binary, binary, "--users", tenant, "--port", "0", (char *)NULL);
    perror("exec graph-emulator");
    _exit(127);
  }
  close(fds[1]);
  size_t n = 0;
  char c;
  while (n + 1 < sizeof base_url && read(fds[0], &c, 1) == 1 && c != '\n') base_url[n++] = c;
  base_url[n] = '\0';
  /* The rest of its output is not needed; the pipe stays open so it never gets SIGPIPE. */
  const char *colon = strrchr(base_url, ':');
  if (strncmp(base_url, "http://127.0.0.1:", 17) != 0 || !colon) {
    fprintf(stderr, "emulator did not print its URL (got '%s')\n", base_url);
    exit(2);
  }
  port = atoi(colon + 1);
}
#endif

/* A minimal HTTP/1.1 exchange with the emulator's admin API (loopback only). */
static char *http(const char *method, const char *path, const char *body) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); exit(2); }
  char request[2048];
  int len = snprintf(request, sizeof request,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     method, path, strlen(body), body);
  if (write(s, request, (size_t)len) != len) { perror("write"); exit(2); }
  size_t cap = 1 << 16, used = 0;
  char *answer = malloc(cap);
  ssize_t r;
  while ((r = read(s, answer + used, cap - used - 1)) > 0) {
    used += (size_t)r;
    if (used + 1 >= cap) answer = realloc(answer, cap *= 2);
  }
  answer[used] = '\0';
  close(s);
  return answer;
}

/* The string value following "key": in a JSON text (enough for the documents used here). */
static char *json_string(const char *json, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  const char *p = strstr(json, pattern);
  if (!p) return NULL;
  p = strchr(p + strlen(pattern), '"');
  if (!p) return NULL;
  const char *end = strchr(p + 1, '"');
  if (!end) return NULL;
  return strndup(p + 1, (size_t)(end - p - 1));
}

/* A loopback server that answers only when the test makes it: a listening socket, never blocking.
   A request sent to it stays unanswered however fast the machine, until held_answer() writes. */
static int held_listener = -1, held_conn = -1;
static char held_head[4096];
static size_t held_head_len;

static int held_server(void) {
  held_listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(held_listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(held_listener, 4) != 0 ||
      getsockname(held_listener, (struct sockaddr *)&addr, &len) != 0) {
    perror("held server");
    exit(2);
  }
  set_nonblocking(held_listener);
  return ntohs(addr.sin_port);
}

/* Takes what has arrived, without waiting: 1 once a whole request head has been read. */
static int held_request_arrived(void) {
  if (held_conn < 0) {
    held_conn = accept(held_listener, NULL, NULL);
    if (held_conn < 0) return 0;
    set_nonblocking(held_conn);
  }
  while (held_head_len + 1 < sizeof held_head) {
    ssize_t r = read(held_conn, held_head + held_head_len, sizeof held_head - held_head_len - 1);
    if (r <= 0) break;
    held_head_len += (size_t)r;
  }
  held_head[held_head_len] = '\0';
  return strstr(held_head, "\r\n\r\n") != NULL;
}

static void held_answer(const char *body) {
  char answer[1024];
  int len = snprintf(answer, sizeof answer,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s", strlen(body), body);
  if (write(held_conn, answer, (size_t)len) != len) { perror("held answer"); exit(2); }
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)size + 1);
  if (fread(text, 1, (size_t)size, f) != (size_t)size) { perror("read"); exit(2); }
  text[size] = '\0';
  fclose(f);
  return text;
}

static MglStatus call_json(MglStatus (*fn)(MglHandle, const uint8_t *, size_t, char **),
                           MglHandle h, const char *json, char **out) {
  return fn(h, (const uint8_t *)json, strlen(json), out);
}

static int contains(const char *haystack, const char *needle) {
  return haystack && strstr(haystack, needle) != NULL;
}

static int occurrences(const char *haystack, const char *needle) {
  int n = 0;
  for (const char *p = haystack; p && (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <graph-emulator> <tenant.json>\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  char *tenant = read_file(argv[2]);
  char *user_id = json_string(strstr(tenant, "\"users\""), "id");
  char *tenant_id = json_string(tenant, "tenantId");
  if (!user_id || !tenant_id) { fprintf(stderr, "no user or tenantId in %s\n", argv[2]); return 2; }
  int user_count = occurrences(strstr(tenant, "\"users\""), "\"userPrincipalName\"");
  start_emulator(argv[1], argv[2]);
  char *token_answer = http("POST", "/_emulator/tokens", "{\"roles\":[\"User.ReadWrite.All\"]}");
  char *token = json_string(strstr(token_answer, "\r\n\r\n"), "access_token");
  if (!token) { fprintf(stderr, "no token from the emulator: %s\n", token_answer); return 2; }

  char *out = NULL;
  MglStatus st;
  char json[4096];

  CHECK(mgl_abi_version() == MGL_ABI_VERSION, "the library reports the header's ABI version");

  /* A client. */
  MglHandle client = 0;
  st = mgl_client_new(NULL, 0, &client, &out);
  CHECK(st == MGL_OK && client != 0, "client_new with no configuration");
  CHECK(contains(out, "\"identityKeys\":[\"UserId\",\"Id\"]")
            && contains(out, "\"path\":\"/users/{user-id}/reprocessLicenseAssignment\""),
        "client_new names the identity keys and each operation's path");
  mgl_string_free(out);
  {
    MglHandle empty = 0;
    st = mgl_client_new((const uint8_t *)"", 0, &empty, NULL);
    CHECK(st == MGL_OK && empty != 0 && mgl_client_free(empty) == MGL_OK, "client_new with an empty configuration");
  }

  snprintf(json, sizeof json,
           "{\"name\":\"Emulator\",\"graphEndpoint\":\"%s\",\"azureADEndpoint\":\"%s\"}", base_url, base_url);
  st = call_json(mgl_client_add_environment, client, json, &out);
  CHECK(st == MGL_OK && contains(out, "User-defined"), "add_environment for the emulator");
  mgl_string_free(out);

  const char *reprocess_fmt = "{\"operation\":\"reprocessLicenseAssignment\",\"identity\":{\"UserId\":\"%s\"}}";
  snprintf(json, sizeof json, reprocess_fmt, user_id);
  st = call_json(mgl_invoke, client, json, &out);
  CHECK(st == MGL_NOT_CONNECTED && contains(out, "Connect-MgGraph"), "invoke before connect says to connect");
  mgl_string_free(out);

  snprintf(json, sizeof json, "{\"accessToken\":\"%s\",\"environment\":\"Emulator\"}", token);
  st = call_json(mgl_client_connect, client, json, &out);
  CHECK(st == MGL_OK && contains(out, "\"environment\":\"Emulator\"") && !contains(out, token),
        "connect with an access token; the context never shows the token");
  mgl_string_free(out);

  /* The path a user takes: reprocess one seeded user. */
  snprintf(json, sizeof json, reprocess_fmt, user_id);
  st = call_json(mgl_invoke, client, json, &out);
  CHECK(st == MGL_OK && contains(out, "\"status\":200") && contains(out, user_id),
        "reprocess a seeded user: 200 and the user object");
  CHECK(contains(out, "\"request-id\""), "the result carries the response headers");
  mgl_string_free(out);

  snprintf(json, sizeof json, reprocess_fmt, "no-such-user@contoso.com");
  st = call_json(mgl_invoke, client, json, &out);
  CHECK(st == MGL_GRAPH_ERROR && contains(out, "\"code\":\"Request_ResourceNotFound\"") &&
            contains(out, "\"status\":404") && contains(out, "[Request_ResourceNotFound] : "),
        "an unknown user gives Graph's 404 in the error detail");
  mgl_string_free(out);

  /* Asynchronous requests: start, poll, release. */
  MglHandle request = 0;
  snprintf(json, sizeof json, reprocess_fmt, user_id);
  st = mgl_request_start(client, (const uint8_t *)json, strlen(json), &request, &out);
  CHECK(st == MGL_OK && request != 0 && request != client, "request_start gives a new handle");
  mgl_string_free(out);
  /* A zero timeout on a request that has not been answered yet: still running, with its progress. */
  st = mgl_request_wait(request, 0, &out);
  CHECK(st == MGL_OK || (st == MGL_PENDING && out != NULL && contains(out, "\"elapsedSeconds\"")
                         && contains(out, "\"throttleWaitSeconds\"")),
        "request_wait while running says how long and whether a throttle holds it");
  while (st == MGL_PENDING) {
    mgl_string_free(out);
    out = NULL;
    st = mgl_request_wait(request, 50, &out);
  }
  CHECK(st == MGL_OK && contains(out, user_id), "request_wait returns the answer");
  mgl_string_free(out);
  st = mgl_request_wait(request, 0, &out);
  CHECK(st == MGL_INVALID_ARGUMENT && contains(out, "already taken"), "a result is handed over once");
  mgl_string_free(out);
  CHECK(mgl_request_free(request) == MGL_OK, "request_free");
  CHECK(mgl_request_free(request) == MGL_INVALID_HANDLE, "a second request_free is an error, not a crash");
  st = mgl_request_wait(request, 0, &out);
  CHECK(st == MGL_INVALID_HANDLE && contains(out, "invalidHandle"), "wait after release is refused");
  mgl_string_free(out);

  /* Cancellation racing completion: either answer is fine, nothing else. */
  st = mgl_request_start(client, (const uint8_t *)json, strlen(json), &request, NULL);
  CHECK(st == MGL_OK, "request_start with a NULL out_json");
  CHECK(mgl_request_cancel(request) == MGL_OK, "request_cancel");
  st = mgl_request_wait(request, UINT32_MAX, &out);
  CHECK(st == MGL_CANCELLED || st == MGL_OK, "a cancelled request ends cancelled or answered");
  mgl_string_free(out);
  CHECK(mgl_request_free(request) == MGL_OK, "release a cancelled request");

  /* Releasing a request that is still running cancels it. */
  st = mgl_request_start(client, (const uint8_t *)json, strlen(json), &request, NULL);
  CHECK(st == MGL_OK && mgl_request_free(request) == MGL_OK, "release a request in flight");

  /* A request sent from the waiting thread ("onWaitingThread"): it goes out and progresses only while someone
     waits, so short waits carry it on until it is answered; released half-way or cancelled before any wait,
     everything it holds is let go (valgrind checks that). */
  char local_json[512];
  snprintf(local_json, sizeof local_json,
           "{\"operation\":\"reprocessLicenseAssignment\",\"identity\":{\"UserId\":\"%s\"},\"onWaitingThread\":true}", user_id);
  {
    /* Against a server that answers only when told to, so nothing depends on how fast anything is: the
       first wait cannot find an answer, and only the waits after the answer was written can take it. */
    int held_port = held_server();
    MglHandle held_client = 0;
    st = mgl_client_new(NULL, 0, &held_client, NULL);
    char held_json[512];
    snprintf(held_json, sizeof held_json,
             "{\"name\":\"Held\",\"graphEndpoint\":\"http://127.0.0.1:%d\",\"azureADEndpoint\":\"http://127.0.0.1:%d\"}",
             held_port, held_port);
    st |= call_json(mgl_client_add_environment, held_client, held_json, NULL);
    char held_connect[4096];
    snprintf(held_connect, sizeof held_connect, "{\"accessToken\":\"%s\",\"environment\":\"Held\"}", token);
    st |= call_json(mgl_client_connect, held_client, held_connect, NULL);
    CHECK(st == MGL_OK, "a client connected to a server that answers when told to");
    st = mgl_request_start(held_client, (const uint8_t *)local_json, strlen(local_json), &request, NULL);
    CHECK(st == MGL_OK, "request_start on the waiting thread");
    out = NULL;
    st = mgl_request_wait(request, 0, &out);
    CHECK(st == MGL_PENDING && contains(out, "elapsedSeconds"),
          "a request on the waiting thread is pending while unanswered, with its progress");
    /* Short waits carry it on: they send it, and once it is answered, they take the answer. The loop is
       bounded by a count of waits, not by time. */
    int answered = 0, waits = 0;
    while (st == MGL_PENDING && waits < 100000) {
      mgl_string_free(out);
      out = NULL;
      if (!answered && held_request_arrived()) {
        char body[256];
        snprintf(body, sizeof body, "{\"id\":\"%s\"}", user_id);
        held_answer(body);
        answered = 1;
      }
      st = mgl_request_wait(request, 5, &out);
      waits++;
    }
    CHECK(answered && contains(held_head, "POST /v1.0/users/") && st == MGL_OK && contains(out, user_id),
          "a request on the waiting thread is carried on by short waits until answered");
    mgl_string_free(out);
    CHECK(mgl_request_free(request) == MGL_OK, "release a request answered on the waiting thread");
    CHECK(mgl_client_free(held_client) == MGL_OK, "release the client of the held server");
    close(held_conn);
    close(held_listener);
  }
  st = mgl_request_start(client, (const uint8_t *)local_json, strlen(local_json), &request, NULL);
  out = NULL;
  st = mgl_request_wait(request, 0, &out);
  mgl_string_free(out);
  CHECK(mgl_request_free(request) == MGL_OK, "release a request on the waiting thread half-way");
  st = mgl_request_start(client, (const uint8_t *)local_json, strlen(local_json), &request, NULL);
  CHECK(st == MGL_OK && mgl_request_cancel(request) == MGL_OK, "cancel a request on the waiting thread before any wait");
  out = NULL;
  st = mgl_request_wait(request, UINT32_MAX, &out);
  CHECK(st == MGL_CANCELLED && contains(out, "cancelled"), "it ends cancelled, without being sent");
  mgl_string_free(out);
  CHECK(mgl_request_free(request) == MGL_OK, "release a cancelled request on the waiting thread");

  /* Cancellation racing every phase of a call (before it is sent, while it waits, as the answer arrives),
     over and over: each request ends cancelled or answered, each bulk run hands over answers in order or
     stops, and every handle and document is released (valgrind checks the last part). */
  int race_ok = 1;
  for (int i = 0; i < 40; i++) {
    struct timespec pause = {0, (long)(i % 8) * 150000L};
    MglHandle racing = 0;
    st = mgl_request_start(client, (const uint8_t *)json, strlen(json), &racing, NULL);
    race_ok &= st == MGL_OK;
    nanosleep(&pause, NULL);
    race_ok &= mgl_request_cancel(racing) == MGL_OK;
    out = NULL;
    st = mgl_request_wait(racing, UINT32_MAX, &out);
    race_ok &= (st == MGL_CANCELLED || (st == MGL_OK && contains(out, user_id)));
    mgl_string_free(out);
    race_ok &= mgl_request_free(racing) == MGL_OK;

    MglHandle racing_bulk = 0;
    const char *race_options = "{\"throttleLimit\":2}";
    st = mgl_bulk_start(client, (const uint8_t *)race_options, strlen(race_options), &racing_bulk, NULL);
    race_ok &= st == MGL_OK;
    for (int k = 0; k < 3; k++) {
      uint64_t at = 0;
      race_ok &= mgl_bulk_submit(racing_bulk, (const uint8_t *)json, strlen(json), &at, NULL) == MGL_OK && at == (uint64_t)k;
    }
    mgl_bulk_finish_input(racing_bulk);
    nanosleep(&pause, NULL);
    race_ok &= mgl_bulk_cancel(racing_bulk) == MGL_OK;
    uint64_t next_index = 0;
    for (;;) {
      uint64_t at = 99;
      out = NULL;
      st = mgl_bulk_next(racing_bulk, 1000, &at, &out);
      mgl_string_free(out);
      if (st == MGL_OK) {
        race_ok &= at == next_index++;
        continue;
      }
      race_ok &= st == MGL_CANCELLED || st == MGL_DONE;
      break;
    }
    race_ok &= mgl_bulk_free(racing_bulk) == MGL_OK;
  }
  CHECK(race_ok, "cancel racing requests and bulk runs 40 times: cancelled or answered, in order, all released");

  /* A bulk run: answers in input order; an input that can never be sent is refused at once. */
  MglHandle bulk = 0;
  const char *bulk_options = "{\"throttleLimit\":4}";
  st = mgl_bulk_start(client, (const uint8_t *)bulk_options, strlen(bulk_options), &bulk, NULL);
  CHECK(st == MGL_OK && bulk != 0, "bulk_start");
  uint64_t index = 99;
  const char *inputs[3];
  char first[512], third[512];
  snprintf(first, sizeof first, reprocess_fmt, user_id);
  snprintf(third, sizeof third, reprocess_fmt, "no-such-user@contoso.com");
  inputs[0] = first;
  inputs[1] = "{\"operation\":\"reprocessLicenseAssignment\",\"identity\":{}}";
  inputs[2] = third;
  int submitted = 1;
  uint64_t expected_index[3] = {0, 99, 1};
  MglStatus expected_submit[3] = {MGL_OK, MGL_INVALID_ARGUMENT, MGL_OK};
  for (int i = 0; i < 3; i++) {
    index = 99;
    st = mgl_bulk_submit(bulk, (const uint8_t *)inputs[i], strlen(inputs[i]), &index, &out);
    submitted &= st == expected_submit[i] && index == expected_index[i];
    if (i == 1) submitted &= contains(out, "InputObject has null value for InputObject.UserId");
    mgl_string_free(out);
  }
  CHECK(submitted, "bulk_submit numbers queued inputs in order and refuses an identity without a user at once");
  CHECK(mgl_bulk_finish_input(bulk) == MGL_OK, "bulk_finish_input");
  MglStatus expected[2] = {MGL_OK, MGL_GRAPH_ERROR};
  int in_order = 1;
  for (int i = 0; i < 2; i++) {
    do {
      st = mgl_bulk_next(bulk, 100, &index, &out);
    } while (st == MGL_PENDING);
    in_order &= st == expected[i] && index == (uint64_t)i;
    mgl_string_free(out);
  }
  CHECK(in_order, "bulk_next hands results over in input order with each one's status");
  st = mgl_bulk_next(bulk, 0, &index, &out);
  CHECK(st == MGL_DONE, "bulk_next says done when all are handed over");
  mgl_string_free(out);
  st = mgl_bulk_progress(bulk, &out);
  CHECK(st == MGL_OK && contains(out, "\"submitted\":2") && contains(out, "\"failed\":1"), "bulk_progress counts");
  mgl_string_free(out);
  st = mgl_bulk_next(bulk, 0, NULL, &out);
  CHECK(st == MGL_NULL_ARGUMENT, "bulk_next refuses a NULL out_index");
  mgl_string_free(out);
  CHECK(mgl_bulk_free(bulk) == MGL_OK, "bulk_free");
  CHECK(mgl_bulk_free(bulk) == MGL_INVALID_HANDLE, "a second bulk_free is an error, not a crash");
  CHECK(mgl_bulk_cancel(client) == MGL_INVALID_HANDLE, "a client handle is not a bulk handle");

  /* Request context. */
  st = call_json(mgl_client_set_request_context, client, "{\"maxRetry\":11}", &out);
  CHECK(st == MGL_INVALID_ARGUMENT && contains(out, "at most 10"), "MaxRetry above 10 is refused");
  mgl_string_free(out);
  st = call_json(mgl_client_set_request_context, client, "{\"maxRetry\":5}", &out);
  CHECK(st == MGL_OK && contains(out, "\"maxRetry\":5") && contains(out, "\"retryDelaySeconds\":3"),
        "set_request_context changes only what it is given");
  mgl_string_free(out);

  /* NULL arguments. */
  st = mgl_invoke(client, NULL, 10, &out);
  CHECK(st == MGL_NULL_ARGUMENT && contains(out, "nullArgument"), "NULL json is refused");
  mgl_string_free(out);
  st = mgl_client_new(NULL, 0, NULL, &out);
  CHECK(st == MGL_NULL_ARGUMENT && contains(out, "out_client"), "NULL out_client is refused by name");
  mgl_string_free(out);
  st = mgl_request_start(client, (const uint8_t *)json, strlen(json), NULL, NULL);
  CHECK(st == MGL_NULL_ARGUMENT, "NULL out_request is refused, NULL out_json tolerated");
  CHECK(mgl_client_context(client, NULL) == MGL_OK, "NULL out_json is allowed");

  /* Invalid JSON and UTF-8. */
  st = call_json(mgl_invoke, client, "{\"operation\":", &out);
  CHECK(st == MGL_INVALID_JSON && contains(out, "invalidJson"), "truncated JSON is refused");
  mgl_string_free(out);
  st = call_json(mgl_invoke, client, "{\"operation\":\"deleteUser\",\"identity\":\"x\"}", &out);
  CHECK(st == MGL_INVALID_JSON && contains(out, "deleteUser"), "an unknown operation is refused by name");
  mgl_string_free(out);
  const uint8_t bad_utf8[] = {'{', '"', 0xff, 0xfe, '"', '}'};
  st = mgl_invoke(client, bad_utf8, sizeof bad_utf8, &out);
  CHECK(st == MGL_INVALID_UTF8 && contains(out, "offset 2"), "invalid UTF-8 is refused with its offset");
  mgl_string_free(out);
  st = call_json(mgl_invoke, client,
                 "{\"operation\":\"reprocessLicenseAssignment\",\"identity\":{\"DriveId\":\"d\"}}", &out);
  CHECK(st == MGL_INVALID_ARGUMENT && contains(out, "InputObject has null value for InputObject.UserId"),
        "an identity without UserId gives the official message");
  mgl_string_free(out);
  st = call_json(mgl_invoke, client,
                 "{\"operation\":\"reprocessLicenseAssignment\",\"identity\":\"u\",\"headers\":{\"X\":\"a\\r\\nB: c\"}}", &out);
  CHECK(st == MGL_INVALID_ARGUMENT && contains(out, "'X'"), "a header with a line break is refused by name");
  mgl_string_free(out);

  /* Handles of the wrong kind. */
  st = mgl_request_wait(client, 0, &out);
  CHECK(st == MGL_INVALID_HANDLE, "a client handle is not a request handle");
  mgl_string_free(out);
  CHECK(mgl_request_cancel(12345678) == MGL_INVALID_HANDLE, "a handle never issued is refused");

  /* Reads: every page of the users, then released; a read cancelled, one released while running. */
  MglHandle read = 0;
  const char *read_all = "{\"resource\":\"users\",\"select\":[\"id\"],\"pageSize\":3,\"all\":true}";
  st = mgl_read_start(client, (const uint8_t *)read_all, strlen(read_all), &read, &out);
  CHECK(st == MGL_OK && read != 0, "read_start for every user, three a page");
  mgl_string_free(out);
  int pages = 0, items = 0, pages_ok = 1;
  for (;;) {
    st = mgl_read_next(read, 100, &out);
    if (st == MGL_PENDING) { mgl_string_free(out); continue; }
    if (st != MGL_OK) break;
    pages++;
    items += occurrences(out, "\"id\":");
    pages_ok &= contains(out, "\"items\"") && contains(out, "\"status\":200");
    mgl_string_free(out);
  }
  CHECK(st == MGL_DONE && pages_ok && pages == (user_count + 2) / 3 && items == user_count,
        "read_next hands over each page, then says done");
  mgl_string_free(out);
  st = mgl_read_next(read, 0, &out);
  CHECK(st == MGL_DONE, "read_next after the last page still says done");
  mgl_string_free(out);
  CHECK(mgl_read_free(read) == MGL_OK, "read_free");
  CHECK(mgl_read_free(read) == MGL_INVALID_HANDLE, "a second read_free is an error, not a crash");
  st = mgl_read_next(read, 0, &out);
  CHECK(st == MGL_INVALID_HANDLE, "read_next after release is refused");
  mgl_string_free(out);
  st = mgl_read_start(client, (const uint8_t *)read_all, strlen(read_all), &read, NULL);
  CHECK(st == MGL_OK && mgl_read_cancel(read) == MGL_OK, "read_cancel");
  do {
    st = mgl_read_next(read, 100, &out);
    mgl_string_free(out);
  } while (st == MGL_PENDING);
  CHECK(st == MGL_CANCELLED, "a cancelled read says cancelled");
  CHECK(mgl_read_free(read) == MGL_OK, "release a cancelled read");
  st = mgl_read_start(client, (const uint8_t *)read_all, strlen(read_all), &read, NULL);
  CHECK(st == MGL_OK && mgl_read_free(read) == MGL_OK, "release a read in flight");
  const char *bad_read = "{\"resource\":\"users\",\"pageSize\":0}";
  st = mgl_read_start(client, (const uint8_t *)bad_read, strlen(bad_read), &read, &out);
  CHECK(st == MGL_INVALID_ARGUMENT && contains(out, "-PageSize"), "a read with a bad page size is refused before anything is sent");
  mgl_string_free(out);
  st = mgl_read_next(client, 0, &out);
  CHECK(st == MGL_INVALID_HANDLE, "a client handle is not a read handle");
  mgl_string_free(out);
  CHECK(mgl_read_free(0) == MGL_OK, "read_free(0) is accepted");

  /* Raw calls: a GET answered with its body as bytes, a refused answer handed over as an answer,
   * another host refused before anything is sent, a call released in flight. */
  MglHandle raw = 0;
  const char *raw_get = "{\"uri\":\"v1.0/users?$select=id&$top=2\"}";
  st = mgl_raw_start(client, (const uint8_t *)raw_get, strlen(raw_get), NULL, 0, &raw, &out);
  CHECK(st == MGL_OK && raw != 0, "raw_start for a GET without a body");
  mgl_string_free(out);
  do {
    st = mgl_raw_wait(raw, 100, &out);
    if (st == MGL_PENDING) mgl_string_free(out);
  } while (st == MGL_PENDING);
  CHECK(st == MGL_OK && contains(out, "\"status\":200") && contains(out, "\"length\":"), "raw_wait gives the answer's document");
  mgl_string_free(out);
  MglBytes answer = {NULL, 0};
  st = mgl_raw_body(raw, &answer, NULL);
  CHECK(st == MGL_OK && answer.len > 0 && answer.ptr && answer.ptr[0] == '{', "raw_body gives the answer's bytes");
  st = mgl_raw_body(raw, NULL, &out);
  CHECK(st == MGL_NULL_ARGUMENT && contains(out, "out_body"), "raw_body without a place to write is refused by name");
  mgl_string_free(out);
  CHECK(mgl_raw_free(raw) == MGL_OK, "raw_free");
  CHECK(mgl_raw_free(raw) == MGL_INVALID_HANDLE, "a second raw_free is an error, not a crash");
  const char *raw_missing = "{\"method\":\"patch\",\"uri\":\"/v1.0/users/no-such-user\",\"contentType\":\"application/json\"}";
  const char *patch = "{\"usageLocation\":\"US\"}";
  st = mgl_raw_start(client, (const uint8_t *)raw_missing, strlen(raw_missing), (const uint8_t *)patch, strlen(patch), &raw, NULL);
  CHECK(st == MGL_OK, "raw_start for a PATCH with a body");
  st = mgl_raw_wait(raw, UINT32_MAX, &out);
  CHECK(st == MGL_OK && !contains(out, "\"status\":2") && contains(out, "\"error\""), "a refused answer comes back as an answer, with its error");
  mgl_string_free(out);
  CHECK(mgl_raw_free(raw) == MGL_OK, "release an answered raw call");
  const char *raw_elsewhere = "{\"uri\":\"https://graph.example.invalid/v1.0/users\"}";
  st = mgl_raw_start(client, (const uint8_t *)raw_elsewhere, strlen(raw_elsewhere), NULL, 0, &raw, &out);
  CHECK(st == MGL_INVALID_ARGUMENT && contains(out, "not on the connected"), "a URL on another host is refused before anything is sent");
  mgl_string_free(out);
  st = mgl_raw_start(client, (const uint8_t *)raw_get, strlen(raw_get), NULL, 0, &raw, NULL);
  CHECK(st == MGL_OK && mgl_raw_cancel(raw) == MGL_OK, "raw_cancel");
  st = mgl_raw_wait(raw, UINT32_MAX, &out);
  CHECK(st == MGL_CANCELLED || st == MGL_OK, "a cancelled raw call ends cancelled (or answered, if the answer came first)");
  mgl_string_free(out);
  CHECK(mgl_raw_free(raw) == MGL_OK, "release a cancelled raw call");
  st = mgl_raw_start(client, (const uint8_t *)raw_get, strlen(raw_get), NULL, 0, &raw, NULL);
  CHECK(st == MGL_OK && mgl_raw_free(raw) == MGL_OK, "release a raw call in flight");
  CHECK(mgl_raw_wait(client, 0, &out) == MGL_INVALID_HANDLE, "a client handle is not a raw call handle");
  mgl_string_free(out);
  CHECK(mgl_raw_free(0) == MGL_OK, "raw_free(0) is accepted");

  /* Sign-in that fails: an app the login side does not know. The secret is never echoed, and the
   * failure ends the connection that was, as the official module resets its session. */
  const char *secret = "c-abi-test-secret-0123456789";
  snprintf(json, sizeof json,
           "{\"environment\":\"Emulator\",\"clientId\":\"00000000-0000-4000-8000-00000000abcd\","
           "\"tenantId\":\"%s\",\"clientSecret\":\"%s\"}", tenant_id, secret);
  st = call_json(mgl_client_connect, client, json, &out);
  CHECK(st == MGL_AUTHENTICATION_FAILED && contains(out, "AADSTS700016") && !contains(out, secret),
        "client_connect with an unknown app: authentication failed, naming the AADSTS code, not the secret");
  mgl_string_free(out);
  /* mgl_signin_start takes the secret as its own buffer, named by the document. */
  MglHandle signin = 0;
  MglBytes secrets[1] = {{(const uint8_t *)secret, strlen(secret)}};
  snprintf(json, sizeof json,
           "{\"environment\":\"Emulator\",\"clientId\":\"00000000-0000-4000-8000-00000000abcd\","
           "\"tenantId\":\"%s\",\"clientSecret\":{\"secret\":0}}", tenant_id);
  st = mgl_signin_start(client, (const uint8_t *)json, strlen(json), secrets, 1, &signin, &out);
  CHECK(st == MGL_OK && signin != 0, "signin_start with the secret in its own buffer");
  mgl_string_free(out);
  do {
    st = mgl_signin_wait(signin, 100, &out);
    if (st == MGL_PENDING) mgl_string_free(out);
  } while (st == MGL_PENDING);
  CHECK(st == MGL_AUTHENTICATION_FAILED && contains(out, "\"events\"") && !contains(out, secret),
        "signin_wait ends in the refusal, with the events");
  mgl_string_free(out);
  st = mgl_signin_wait(signin, 0, &out);
  CHECK(st == MGL_INVALID_ARGUMENT && contains(out, "already taken"), "a sign-in's outcome is handed over once");
  mgl_string_free(out);
  CHECK(mgl_signin_free(signin) == MGL_OK, "signin_free");
  st = mgl_signin_start(client, (const uint8_t *)json, strlen(json), secrets, 0, &signin, &out);
  CHECK(st == MGL_INVALID_JSON && contains(out, "names no buffer"), "a secret the call did not hand over is refused");
  mgl_string_free(out);
  st = mgl_signin_start(client, (const uint8_t *)json, strlen(json), NULL, 1, &signin, &out);
  CHECK(st == MGL_NULL_ARGUMENT && contains(out, "secrets"), "secrets NULL with a count is refused");
  mgl_string_free(out);
  CHECK(mgl_signin_free(signin) == MGL_INVALID_HANDLE, "a second signin_free is an error, not a crash");
  st = mgl_client_context(client, &out);
  CHECK(st == MGL_OK && out && strcmp(out, "null") == 0, "a failed sign-in ends the connection that was");
  mgl_string_free(out);
  snprintf(json, sizeof json, "{\"accessToken\":\"%s\",\"environment\":\"Emulator\"}", token);
  st = call_json(mgl_client_connect, client, json, &out);
  CHECK(st == MGL_OK, "connect again with the access token");
  mgl_string_free(out);

  /* A device-code sign-in waits for a person: its message comes as an event, then it is cancelled. */
  snprintf(json, sizeof json, "{\"environment\":\"Emulator\",\"flow\":\"deviceCode\",\"tenantId\":\"%s\"}", tenant_id);
  st = mgl_signin_start(client, (const uint8_t *)json, strlen(json), NULL, 0, &signin, NULL);
  CHECK(st == MGL_OK, "signin_start for a device code");
  int shown = 0;
  for (int i = 0; i < 300 && !shown; i++) {
    st = mgl_signin_wait(signin, 100, &out);
    shown = st == MGL_PENDING && contains(out, "enter the code");
    mgl_string_free(out);
  }
  CHECK(shown, "the device-code message arrives as an event while the sign-in waits");
  CHECK(mgl_signin_cancel(signin) == MGL_OK, "signin_cancel");
  st = mgl_signin_wait(signin, UINT32_MAX, &out);
  CHECK(st == MGL_CANCELLED, "a cancelled sign-in ends cancelled");
  mgl_string_free(out);
  CHECK(mgl_signin_free(signin) == MGL_OK, "release a cancelled sign-in");
  st = mgl_signin_start(client, (const uint8_t *)json, strlen(json), NULL, 0, &signin, NULL);
  CHECK(st == MGL_OK && mgl_signin_free(signin) == MGL_OK, "release a sign-in in flight");
  CHECK(mgl_signin_cancel(client) == MGL_INVALID_HANDLE, "a client handle is not a sign-in handle");

  /* Disconnect forgets the token. */
  st = mgl_client_disconnect(client, &out);
  CHECK(st == MGL_OK && contains(out, "Emulator"), "disconnect returns the context that was");
  mgl_string_free(out);
  st = mgl_client_context(client, &out);
  CHECK(st == MGL_OK && out && strcmp(out, "null") == 0, "no context after disconnect");
  mgl_string_free(out);

  /* Release. */
  mgl_string_free(NULL);
  CHECK(mgl_client_free(0) == MGL_OK, "client_free(0) is accepted");
  CHECK(mgl_request_free(0) == MGL_OK, "request_free(0) is accepted");
  CHECK(mgl_client_free(client) == MGL_OK, "client_free");
  CHECK(mgl_client_free(client) == MGL_INVALID_HANDLE, "a second client_free is an error, not a crash");
  st = mgl_client_context(client, &out);
  CHECK(st == MGL_INVALID_HANDLE, "use after release is refused");
  mgl_string_free(out);

  kill(emulator_pid, SIGTERM);
  waitpid(emulator_pid, NULL, 0);
  free(tenant); free(user_id); free(tenant_id); free(token_answer); free(token);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
