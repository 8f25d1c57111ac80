/* splice_relay: relays bytes between two plain TCP sockets with splice(2) through one pipe per
 * direction, driven by libuv uv_poll handles on the event-loop thread. Bytes never enter
 * JavaScript and no thread is started. Linux only.
 *
 * spliceRelay(fdA, fdB, counts, onEnd, pipeSize) -> handle
 *   Duplicates both fds (the caller then closes Node's own: the duplicates are the last fds of
 *   both connections, so a relay costs two fds, as a JS relay does),
 *   relays a->b and b->a, and half-closes: when one side reads EOF, the other side gets
 *   shutdown(SHUT_WR) once that direction's pipe has drained. `counts` (a Float64Array of 4)
 *   is updated after every splice: [read from a, written to b, read from b, written to a].
 *   onEnd(errno, side) runs exactly once, asynchronously, after both duplicates and both pipes
 *   are closed: errno 0 when both directions finished, ECANCELED after spliceClose, else the
 *   error of the side (0 = a, 1 = b) that failed.
 * spliceClose(handle) cancels a running relay (no-op when it already ended).
 * splicePoolTrim() closes the idle pipes of the shared pool and returns how many.
 *
 * A direction holds a pipe only while bytes are in it: idle pipes go back to a pool shared by
 * all relays (pipe_pool.c), so 10,000 idle connections hold no pipes, only their two
 * duplicated fds, and the per-user pipe budget (fs.pipe-user-pages-soft) is not spent on them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>
#include "pipe_pool.h"

#define PUMP_ROUNDS 32 /* splice rounds per direction per wakeup, so one relay cannot hog the loop */

typedef struct {
  int src, dst;       /* side indexes: 0 = a, 1 = b */
  pool_pipe_t pipe;   /* r = -1 when the direction holds no pipe */
  size_t in_pipe;     /* bytes read from src and not yet written to dst */
  bool eof, shut;
} dir_t;

typedef struct relay {
  napi_env env;
  int fd[2];
  uv_poll_t poll[2];
  int events[2];
  dir_t dir[2];
  size_t pipe_size; /* capacity asked for new pipes (0: the kernel's default) */
  struct live *live;
  double *counts;
  napi_ref counts_ref, cb_ref;
  napi_async_context async;
  bool running, teardown;
  int err, err_side, closing, refs;
  struct relay *prev, *next; /* the live list, for env teardown */
} relay_t;

typedef struct live {
  relay_t *head;
  pipe_pool_t pool;
} live_t;

static void release(relay_t *r) {
  if (--r->refs == 0) free(r);
}

static void unlink_live(relay_t *r) {
  live_t *live = NULL;
  if (!r->teardown) napi_get_instance_data(r->env, (void **)&live);
  if (r->prev != NULL) r->prev->next = r->next;
  else if (live != NULL && live->head == r) live->head = r->next;
  if (r->next != NULL) r->next->prev = r->prev;
  r->prev = r->next = NULL;
}

static void close_fds(relay_t *r) {
  for (int i = 0; i < 2; i++) {
    if (r->fd[i] >= 0) close(r->fd[i]);
    pipe_close(&r->dir[i].pipe); /* may hold bytes that will never be sent: not pooled */
    r->fd[i] = -1;
  }
}

/* Both poll handles are closed: release the fds, then tell JS (unless the env is going away). */
static void on_closed(uv_handle_t *h) {
  relay_t *r = h->data;
  if (--r->closing > 0) return;
  close_fds(r);
  if (!r->teardown) {
    unlink_live(r);
    napi_env env = r->env;
    napi_handle_scope scope;
    napi_open_handle_scope(env, &scope);
    napi_value cb, recv, argv[2], result;
    napi_get_reference_value(env, r->cb_ref, &cb);
    napi_get_global(env, &recv); /* napi_make_callback needs an object receiver */
    napi_create_int32(env, r->err, &argv[0]);
    napi_create_int32(env, r->err_side, &argv[1]);
    napi_status st = napi_make_callback(env, r->async, recv, cb, 2, argv, &result);
    if (st == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
    napi_delete_reference(env, r->cb_ref);
    napi_delete_reference(env, r->counts_ref);
    napi_async_destroy(env, r->async);
    napi_close_handle_scope(env, scope);
  }
  release(r);
}

static void finish(relay_t *r, int err, int side) {
  if (!r->running) return;
  r->running = false;
  if (err != 0 && err != ECANCELED) {
    /* A failed relay must not look like a complete stream to either peer (a FIN says "all
     * sent"). The duplicates are the connections' last fds (Node closes its own at the
     * hand-off), so closing them with SO_LINGER 0 sends a reset instead. */
    struct linger reset = {1, 0};
    for (int i = 0; i < 2; i++)
      if (r->fd[i] >= 0) (void)setsockopt(r->fd[i], SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  r->err = err;
  r->err_side = side;
  r->closing = 2;
  for (int i = 0; i < 2; i++) uv_close((uv_handle_t *)&r->poll[i], on_closed);
}

/* Moves what it can in direction d; returns false when the relay failed (and is finishing). */
static bool pump(relay_t *r, int d) {
  dir_t *x = &r->dir[d];
  double *read_count = &r->counts[2 * d], *write_count = &r->counts[2 * d + 1];
  if (x->pipe.r < 0 && !x->eof && !pipe_pool_get(&r->live->pool, r->pipe_size, &x->pipe)) {
    finish(r, errno, -1); /* out of fds or pipe budget: this relay ends, the others go on */
    return false;
  }
  for (int round = 0; round < PUMP_ROUNDS; round++) {
    bool progress = false;
    if (x->in_pipe > 0) {
      ssize_t n = splice(x->pipe.r, NULL, r->fd[x->dst], NULL, x->in_pipe,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        x->in_pipe -= (size_t)n;
        *write_count += (double)n;
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        finish(r, errno, x->dst);
        return false;
      }
    }
    if (!x->eof && x->in_pipe < x->pipe.cap) {
      ssize_t n = splice(r->fd[x->src], NULL, x->pipe.w, NULL, x->pipe.cap - x->in_pipe,
                         SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        x->in_pipe += (size_t)n;
        *read_count += (double)n;
        progress = true;
      } else if (n == 0) {
        x->eof = true;
        progress = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        finish(r, errno, x->src);
        return false;
      }
    }
    if (x->eof && x->in_pipe == 0 && !x->shut) {
      x->shut = true; /* the pipe drained after EOF: pass the half-close on */
      if (shutdown(r->fd[x->dst], SHUT_WR) != 0 && errno != ENOTCONN) {
        finish(r, errno, x->dst);
        return false;
      }
    }
    if (!progress) break;
  }
  if (x->in_pipe == 0 && x->pipe.r >= 0) pipe_pool_put(&r->live->pool, &x->pipe);
  return true;
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Level-triggered interest: a direction with bytes in its pipe waits for its destination to
 * take them; an empty one waits for its source. Both directions done: the relay ends. */
static void update_polls(relay_t *r) {
  if (r->dir[0].shut && r->dir[1].shut) {
    finish(r, 0, -1);
    return;
  }
  int want[2] = {0, 0};
  for (int d = 0; d < 2; d++) {
    const dir_t *x = &r->dir[d];
    if (x->in_pipe > 0) want[x->dst] |= UV_WRITABLE;
    else if (!x->eof) want[x->src] |= UV_READABLE;
  }
  for (int s = 0; s < 2; s++) {
    if (want[s] == r->events[s]) continue;
    r->events[s] = want[s];
    int rc = want[s] == 0 ? uv_poll_stop(&r->poll[s]) : uv_poll_start(&r->poll[s], want[s], on_poll);
    if (rc != 0) {
      finish(r, -rc, s);
      return;
    }
  }
}

static void on_poll(uv_poll_t *h, int status, int events) {
  relay_t *r = h->data;
  if (!r->running) return;
  int side = h == &r->poll[0] ? 0 : 1;
  if (status < 0) {
    finish(r, -status, side);
    return;
  }
  for (int d = 0; d < 2; d++) {
    const dir_t *x = &r->dir[d];
    bool mine = ((events & UV_READABLE) && x->src == side) || ((events & UV_WRITABLE) && x->dst == side);
    if (mine && !pump(r, d)) return;
  }
  update_polls(r);
}

/* The JS handle was collected: the relay itself may still be running (it holds its own ref). */
static void drop_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release(data);
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[128];
  snprintf(msg, sizeof msg, "spliceRelay: %s failed (errno %d)", what, err);
  napi_throw_error(env, "ESPLICE", msg);
  return NULL;
}

static napi_value splice_relay(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t fd_a = -1, fd_b = -1, pipe_size = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  napi_valuetype cb_type = napi_undefined;
  if (argc >= 4) napi_typeof(env, argv[3], &cb_type);
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd_a) != napi_ok || fd_a < 0 ||
      napi_get_value_int32(env, argv[1], &fd_b) != napi_ok || fd_b < 0 ||
      napi_get_typedarray_info(env, argv[2], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || length < 4 || cb_type != napi_function) {
    napi_throw_type_error(env, NULL, "spliceRelay(fdA, fdB, counts: Float64Array(4), onEnd, pipeSize?)");
    return NULL;
  }
  if (argc >= 5) napi_get_value_int32(env, argv[4], &pipe_size);
  live_t *live = NULL;
  napi_get_instance_data(env, (void **)&live);
  uv_loop_t *loop = NULL;
  if (live == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, NULL, "spliceRelay: no event loop");
    return NULL;
  }
  relay_t *r = calloc(1, sizeof *r);
  if (r == NULL) return throw_errno(env, "calloc", ENOMEM);
  r->env = env;
  r->err_side = -1;
  r->fd[0] = r->fd[1] = -1;
  for (int d = 0; d < 2; d++) r->dir[d].pipe.r = r->dir[d].pipe.w = -1;
  r->live = live;
  r->pipe_size = pipe_size > 0 ? (size_t)pipe_size : 0;
  int fds[2] = {fd_a, fd_b};
  for (int i = 0; i < 2; i++) {
    r->fd[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
    if (r->fd[i] < 0) {
      int err = errno;
      close_fds(r);
      free(r);
      return throw_errno(env, "dup", err);
    }
    r->dir[i].src = i;
    r->dir[i].dst = 1 - i;
  }
  for (int i = 0; i < 2; i++) {
    int rc = uv_poll_init(loop, &r->poll[i], r->fd[i]);
    if (rc != 0) {
      if (i == 1) {
        /* the first handle is initialized: it must be closed through the loop */
        r->refs = 1;
        r->teardown = true;
        r->closing = 1;
        uv_close((uv_handle_t *)&r->poll[0], on_closed);
      } else {
        close_fds(r);
        free(r);
      }
      return throw_errno(env, "uv_poll_init", -rc);
    }
    r->poll[i].data = r;
  }
  napi_value name, handle;
  napi_create_string_utf8(env, "weft.spliceRelay", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &r->async);
  napi_create_reference(env, argv[2], 1, &r->counts_ref);
  napi_create_reference(env, argv[3], 1, &r->cb_ref);
  r->counts = data;
  r->running = true;
  r->refs = 2; /* the running relay, and the JS handle */
  r->next = live->head;
  if (live->head != NULL) live->head->prev = r;
  live->head = r;
  update_polls(r);
  napi_create_external(env, r, drop_handle, NULL, &handle);
  return handle;
}

static napi_value splice_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "spliceClose(handle)");
    return NULL;
  }
  finish(data, ECANCELED, -1);
  return NULL;
}

static napi_value splice_pool_trim(napi_env env, napi_callback_info info) {
  (void)info;
  live_t *live = NULL;
  napi_get_instance_data(env, (void **)&live);
  napi_value v;
  napi_create_int32(env, live == NULL ? 0 : pipe_pool_trim(&live->pool), &v);
  return v;
}

/* The env is going away (worker exit): close every live relay without calling into JS. */
static void teardown(void *arg) {
  live_t *live = arg;
  for (relay_t *r = live->head, *next; r != NULL; r = next) {
    next = r->next;
    r->teardown = true;
    r->prev = r->next = NULL;
    finish(r, ECANCELED, -1);
  }
  live->head = NULL;
  pipe_pool_trim(&live->pool);
  free(live);
}

napi_status splice_relay_init(napi_env env, napi_value exports);

napi_status splice_relay_init(napi_env env, napi_value exports) {
  live_t *live = calloc(1, sizeof *live);
  if (live == NULL) return napi_generic_failure;
  napi_set_instance_data(env, live, NULL, NULL);
  napi_add_env_cleanup_hook(env, teardown, live);
  napi_value fn;
  napi_create_function(env, "spliceRelay", NAPI_AUTO_LENGTH, splice_relay, NULL, &fn);
  napi_set_named_property(env, exports, "spliceRelay", fn);
  napi_create_function(env, "spliceClose", NAPI_AUTO_LENGTH, splice_close, NULL, &fn);
  napi_set_named_property(env, exports, "spliceClose", fn);
  napi_create_function(env, "splicePoolTrim", NAPI_AUTO_LENGTH, splice_pool_trim, NULL, &fn);
  return napi_set_named_property(env, exports, "splicePoolTrim", fn);
}
