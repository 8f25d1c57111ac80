/* tls_front: the gateway's client-facing TLS, in C on the event-loop thread.
 *
 * Why it exists: measured with `npm run bench:gateway`, a bare node:tls server (no HTTP at all)
 * completes 0.68-0.74x HAProxy's new handshakes per CPU-second: OpenSSL's share and the
 * kernel's are the same in both, and Node adds 100-150 us of JavaScript and GC per connection
 * (a net.Socket and a TLSSocket, their events, timers and teardown). This addon accepts,
 * handshakes and runs the TLS record layer itself, with the OpenSSL that Node links (its
 * symbols are exported by the node binary; the headers are Node's), and calls into JavaScript
 * only once a handshake has completed, and then with the plaintext.
 *
 * Shape (all on the loop thread; libuv TCP handles; OpenSSL over memory BIOs, as Node's own
 * TLSWrap does):
 *   init(callbacks)                        once per env: the JavaScript functions below
 *   createContext(chainPem, keyPem, ciphers, suites) -> ctx   a certificate and key (throws on
 *                                          bad PEM or a key that does not match)
 *   listen(id, host, port, backlog, handshakeMs, maxConns, ciphers, suites, alpnWire) -> listener
 *   listenerPort(listener) -> bound port
 *   setDefault(listener, ctx | null)       the certificate for handshakes without SNI
 *   closeListener(listener)                stops accepting; open connections go on
 *   write(id, chunk) / writev(id, chunks) -> bytes queued in the kernel-bound queue, -1 if gone
 *   shutdown(id)                           close_notify, then TCP FIN once written
 *   close(id)                              drops the connection now
 *   readStart(id) / readStop(id)           flow control from the JavaScript stream
 *   bytes(id) -> [ciphertext read, ciphertext written]
 * Callbacks (napi_make_callback, so promise jobs and nextTicks run after each):
 *   onConnection(listenerId, id, alpn, servername, address, port)   handshake done
 *   onData(id, buffer)  onEnd(id)  onDrain(id)  onShutdown(id) (close_notify and FIN written)
 *   onClose(id, errorCode | undefined, bytesRead, bytesWritten)   closed by the addon
 *   onFailure(listenerId, reason)          a handshake failed or a connection was refused
 *   onServername(listenerId, name) -> ctx | undefined     a ClientHello with SNI
 * A connection's id is a number (slot + generation): a stale id is ignored, never reused.
 * Every size is capped: one read of at most 64 KiB enters OpenSSL at a time, and reading stops
 * while JavaScript holds its stream paused. */
#include <errno.h>
#define NAPI_VERSION 8 /* napi_add_async_cleanup_hook */
#include <node_api.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define READ_SIZE 65536      /* one socket read */
#define PLAIN_MAX 65536      /* plaintext handed to JavaScript per onData call, at most */
#define SLOT_BITS 22         /* connection ids: slot + generation * 2^22 */
#define MAX_SLOTS (1u << SLOT_BITS)

enum { CB_CONNECTION, CB_DATA, CB_END, CB_DRAIN, CB_SHUTDOWN, CB_CLOSE, CB_FAILURE, CB_SERVERNAME, CB_COUNT };
static const char *const CB_NAMES[CB_COUNT] = {"onConnection", "onData",  "onEnd",     "onDrain",
                                               "onShutdown",   "onClose", "onFailure", "onServername"};

typedef struct conn conn_t;
typedef struct listener listener_t;

typedef struct env_state {
  napi_env env;
  napi_ref cb[CB_COUNT];
  bool ready;
  napi_async_context async;
  conn_t **slots;
  uint32_t nslots, cap;
  uint32_t *free_slots;
  uint32_t nfree;
  uint32_t gen;
  conn_t *conns;         /* every live connection, for env teardown */
  listener_t *listeners; /* every listener not yet freed */
  unsigned handles;      /* libuv handles open (their close callbacks are in this module) */
  bool teardown;         /* the env is going away: no more JavaScript */
  napi_async_cleanup_hook_handle hook;
  char rbuf[READ_SIZE];
  char pbuf[PLAIN_MAX];
} env_t;

struct listener {
  env_t *st;
  uv_tcp_t tcp;
  int32_t id;
  SSL_CTX *base; /* accepts; no certificate: the servername callback picks one */
  SSL_CTX *dflt; /* the certificate without SNI (owned reference), or NULL */
  uint32_t handshake_ms, max_conns, open;
  bool closed;   /* closeListener called, or env teardown */
  bool handle_open;
  unsigned char *alpn; /* wire format, owned */
  unsigned alpn_len;
  listener_t *prev, *next;
};

enum { S_HANDSHAKE, S_OPEN, S_CLOSING };

struct conn {
  env_t *st;
  listener_t *l;
  uv_tcp_t tcp;
  uv_timer_t timer;
  SSL *ssl;
  BIO *rbio, *wbio;
  uint32_t slot, gen;
  int state;
  int handles; /* libuv handles not yet closed */
  bool handed;  /* JavaScript knows this connection */
  bool reading; /* JavaScript wants bytes */
  bool in_read; /* inside deliver(): no recursion */
  bool ended;   /* end of input delivered */
  bool shut;    /* shutdown requested */
  bool want_drain;
  const char *fail; /* a handshake failure reason set by a callback */
  int close_err;    /* libuv error that closed it, 0 for an orderly close */
  size_t queued;    /* bytes handed to uv_write and not yet written */
  double bytes_in, bytes_out;
  conn_t *prev, *next;
};

typedef struct {
  uv_write_t req;
  conn_t *c;
  size_t len;
  char data[];
} wreq_t;

/* ---------------------------------------------------------------- JavaScript calls */

static double conn_id(const conn_t *c) { return (double)c->gen * (double)MAX_SLOTS + (double)c->slot; }

/* The connection for an id until it is freed, closing or not. */
static conn_t *lookup_any(env_t *st, napi_env env, napi_value v) {
  double id;
  if (st == NULL || napi_get_value_double(env, v, &id) != napi_ok || !(id >= 0)) return NULL;
  uint64_t n = (uint64_t)id;
  uint32_t slot = (uint32_t)(n & (MAX_SLOTS - 1));
  uint32_t gen = (uint32_t)(n >> SLOT_BITS);
  if (slot >= st->nslots) return NULL;
  conn_t *c = st->slots[slot];
  if (c == NULL || c->gen != gen) return NULL;
  return c;
}

/* The connection for an id while it is not closing. */
static conn_t *lookup(env_t *st, napi_env env, napi_value v) {
  conn_t *c = lookup_any(st, env, v);
  return c == NULL || c->state == S_CLOSING ? NULL : c;
}

/* Calls callback `which` with argv; returns the result in *out when out != NULL (inside the
 * caller's handle scope). An exception goes to the process's uncaughtException handling, as
 * it would from one of Node's own sockets. */
static bool call_js(env_t *st, int which, size_t argc, napi_value *argv, napi_value *out) {
  napi_env env = st->env;
  napi_value fn, recv, result;
  if (!st->ready || napi_get_reference_value(env, st->cb[which], &fn) != napi_ok) return false;
  napi_get_undefined(env, &recv);
  napi_get_global(env, &recv);
  napi_status s = napi_make_callback(env, st->async, recv, fn, argc, argv, &result);
  if (s == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
    return false;
  }
  if (s != napi_ok) return false;
  if (out != NULL) *out = result;
  return true;
}

static napi_value str(napi_env env, const char *s, size_t len) {
  napi_value v;
  napi_create_string_latin1(env, s, len, &v);
  return v;
}

static napi_value num(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

static void notify_failure(listener_t *l, const char *reason) {
  env_t *st = l->st;
  if (st->teardown) return;
  napi_handle_scope scope;
  napi_open_handle_scope(st->env, &scope);
  napi_value argv[2] = {num(st->env, l->id), str(st->env, reason, strlen(reason))};
  call_js(st, CB_FAILURE, 2, argv, NULL);
  napi_close_handle_scope(st->env, scope);
}

static void notify_conn(conn_t *c, int which) {
  env_t *st = c->st;
  napi_handle_scope scope;
  napi_open_handle_scope(st->env, &scope);
  napi_value argv[1] = {num(st->env, conn_id(c))};
  call_js(st, which, 1, argv, NULL);
  napi_close_handle_scope(st->env, scope);
}

/* ---------------------------------------------------------------- lifetime */

static void teardown_done(env_t *st);

/* A listener is freed once its handle is closed and its last connection is gone; JavaScript
 * hears of it (onFailure 'listener-closed') so it can forget the listener's handlers, which
 * connections accepted before closeListener still use. */
static void listener_maybe_free(listener_t *l) {
  if (l->handle_open || l->open > 0) return;
  env_t *st = l->st;
  if (l->prev != NULL) l->prev->next = l->next;
  else st->listeners = l->next;
  if (l->next != NULL) l->next->prev = l->prev;
  notify_failure(l, "listener-closed");
  SSL_CTX_free(l->base);
  SSL_CTX_free(l->dflt);
  free(l->alpn);
  free(l);
}

static void conn_free(conn_t *c) {
  env_t *st = c->st;
  {
    if (c->handed && !st->teardown) {
      napi_handle_scope scope;
      napi_open_handle_scope(st->env, &scope);
      napi_value argv[4] = {num(st->env, conn_id(c)), NULL, num(st->env, c->bytes_in),
                            num(st->env, c->bytes_out)};
      if (c->close_err != 0) argv[1] = str(st->env, uv_err_name(c->close_err), strlen(uv_err_name(c->close_err)));
      else napi_get_undefined(st->env, &argv[1]);
      call_js(st, CB_CLOSE, 4, argv, NULL);
      napi_close_handle_scope(st->env, scope);
    }
    st->slots[c->slot] = NULL;
    st->free_slots[st->nfree++] = c->slot;
    if (c->prev != NULL) c->prev->next = c->next;
    else st->conns = c->next;
    if (c->next != NULL) c->next->prev = c->prev;
  }
  SSL_free(c->ssl); /* frees both BIOs */
  listener_t *l = c->l;
  l->open--;
  listener_maybe_free(l);
  free(c);
}

static void on_handle_closed(uv_handle_t *h) {
  conn_t *c = h->data;
  env_t *st = c->st;
  if (--c->handles == 0) conn_free(c);
  st->handles--;
  if (st->teardown) teardown_done(st);
}

static void conn_close(conn_t *c, int err) {
  if (c->state == S_CLOSING) return;
  c->state = S_CLOSING;
  c->close_err = err;
  uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

/* ---------------------------------------------------------------- output */

static void on_written(uv_write_t *req, int status) {
  wreq_t *w = (wreq_t *)req;
  conn_t *c = w->c;
  c->queued -= w->len;
  free(w);
  if (status < 0) {
    conn_close(c, status);
    return;
  }
  if (c->state == S_CLOSING) return;
  if (c->queued == 0 && c->want_drain) {
    c->want_drain = false;
    if (c->handed) notify_conn(c, CB_DRAIN);
  }
}

#define BIO_KEEP 16384 /* a memory BIO that grew past this is replaced once empty */

/* A fresh, empty memory BIO in place of one that grew large (a big response or a burst of
 * input): a mem BIO keeps its largest size for good, and an idle connection should not hold
 * a megabyte it used once. */
static BIO *new_mem_bio(void) {
  BIO *b = BIO_new(BIO_s_mem());
  if (b != NULL) BIO_set_mem_eof_return(b, -1);
  return b;
}

static bool bio_large(BIO *b) {
  BUF_MEM *bm = NULL;
  BIO_get_mem_ptr(b, &bm);
  return bm != NULL && bm->max > BIO_KEEP;
}

static void shrink_wbio(conn_t *c) {
  if (!bio_large(c->wbio)) return;
  BIO *b = new_mem_bio();
  if (b == NULL) return;
  SSL_set0_wbio(c->ssl, b); /* frees the old one */
  c->wbio = b;
}

static void shrink_rbio(conn_t *c) {
  if (BIO_ctrl_pending(c->rbio) != 0 || !bio_large(c->rbio)) return;
  BIO *b = new_mem_bio();
  if (b == NULL) return;
  SSL_set0_rbio(c->ssl, b);
  c->rbio = b;
}

/* Moves what OpenSSL produced to the socket: straight to the kernel when nothing is queued,
 * else (or for what the kernel did not take) into a uv_write of its own. */
static int flush_out(conn_t *c) {
  char *p;
  long len = BIO_get_mem_data(c->wbio, &p);
  if (len <= 0 || c->state == S_CLOSING) {
    (void)BIO_reset(c->wbio);
    return 0;
  }
  size_t off = 0;
  if (c->queued == 0) {
    uv_buf_t b = uv_buf_init(p, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n > 0) off = (size_t)n;
    else if (n != UV_EAGAIN && n != UV_ENOSYS) {
      (void)BIO_reset(c->wbio);
      return n;
    }
  }
  c->bytes_out += (double)off;
  if (off < (size_t)len) {
    size_t rest = (size_t)len - off;
    wreq_t *w = malloc(sizeof *w + rest);
    if (w == NULL) {
      (void)BIO_reset(c->wbio);
      return UV_ENOMEM;
    }
    w->c = c;
    w->len = rest;
    memcpy(w->data, p + off, rest);
    uv_buf_t b = uv_buf_init(w->data, (unsigned)rest);
    int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (r < 0) {
      free(w);
      (void)BIO_reset(c->wbio);
      return r;
    }
    c->queued += rest;
    c->bytes_out += (double)rest;
  }
  (void)BIO_reset(c->wbio);
  shrink_wbio(c);
  return 0;
}

/* ---------------------------------------------------------------- input */

/* A bounded, stable label for why OpenSSL failed, e.g. "wrong_version_number". */
static const char *failure_reason(char *buf, size_t size) {
  unsigned long e = ERR_peek_last_error();
  const char *r = e == 0 ? NULL : ERR_reason_error_string(e);
  if (r == NULL) return "protocol";
  size_t i = 0;
  for (; r[i] != 0 && i + 1 < size; i++) {
    char ch = r[i];
    buf[i] = ch == ' ' ? '_' : (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
  }
  buf[i] = 0;
  return buf;
}

static void handshake_failed(conn_t *c, const char *reason) {
  ERR_clear_error();
  notify_failure(c->l, reason);
  (void)flush_out(c); /* the alert, when OpenSSL wrote one */
  conn_close(c, 0);
}

/* Hands decrypted bytes to JavaScript until OpenSSL has no more, JavaScript pauses, or the
 * connection ends. */
static void deliver(conn_t *c) {
  if (c->in_read || !c->handed) return;
  env_t *st = c->st;
  c->in_read = true;
  while (c->state == S_OPEN && c->reading && !c->ended) {
    size_t have = 0;
    int err = SSL_ERROR_NONE;
    while (have < PLAIN_MAX) {
      int n = SSL_read(c->ssl, st->pbuf + have, (int)(PLAIN_MAX - have));
      if (n > 0) {
        have += (size_t)n;
        continue;
      }
      err = SSL_get_error(c->ssl, n);
      break;
    }
    /* SSL_read may have written (a KeyUpdate answer, an alert). */
    int ferr = flush_out(c);
    if (have > 0) {
      napi_handle_scope scope;
      napi_open_handle_scope(st->env, &scope);
      napi_value argv[2];
      argv[0] = num(st->env, conn_id(c));
      void *data;
      bool made = napi_create_buffer_copy(st->env, have, st->pbuf, &data, &argv[1]) == napi_ok;
      if (made) call_js(st, CB_DATA, 2, argv, NULL);
      napi_close_handle_scope(st->env, scope);
      if (!made) {
        conn_close(c, UV_ENOMEM); /* the bytes cannot be handed on: the stream cannot go on */
        break;
      }
      if (c->state != S_OPEN) break;
    }
    if (ferr < 0) {
      conn_close(c, ferr);
      break;
    }
    if (have == PLAIN_MAX) continue;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_NONE) break;
    if (err == SSL_ERROR_ZERO_RETURN) {
      /* close_notify: the client will send no more. */
      c->ended = true;
      uv_read_stop((uv_stream_t *)&c->tcp);
      notify_conn(c, CB_END);
      break;
    }
    /* A bad record: the connection cannot go on. */
    ERR_clear_error();
    conn_close(c, UV_EPROTO);
    break;
  }
  c->in_read = false;
}

static void handshake_done(conn_t *c) {
  env_t *st = c->st;
  uv_timer_stop(&c->timer);
  c->state = S_OPEN;
  c->handed = true;
  c->reading = true;
  const unsigned char *alpn = NULL;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
  const char *sni = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
  struct sockaddr_storage ss;
  int sl = sizeof ss;
  char addr[64] = "";
  int port = 0;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0) {
    if (ss.ss_family == AF_INET6) {
      uv_ip6_name((struct sockaddr_in6 *)&ss, addr, sizeof addr);
      port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    } else if (ss.ss_family == AF_INET) {
      uv_ip4_name((struct sockaddr_in *)&ss, addr, sizeof addr);
      port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
  }
  napi_handle_scope scope;
  napi_open_handle_scope(st->env, &scope);
  napi_value argv[6] = {num(st->env, c->l->id), num(st->env, conn_id(c)),
                        str(st->env, (const char *)alpn, alpn == NULL ? 0 : alpn_len),
                        str(st->env, sni == NULL ? "" : sni, sni == NULL ? 0 : strlen(sni)),
                        str(st->env, addr, strlen(addr)), num(st->env, port)};
  call_js(st, CB_CONNECTION, 6, argv, NULL);
  napi_close_handle_scope(st->env, scope);
  /* Application data that came with the client's Finished. */
  if (c->state == S_OPEN) deliver(c);
}

static void advance_handshake(conn_t *c) {
  int r = SSL_do_handshake(c->ssl);
  int ferr = flush_out(c);
  if (ferr < 0) {
    ERR_clear_error();
    conn_close(c, ferr);
    return;
  }
  if (r == 1) {
    handshake_done(c);
    return;
  }
  int err = SSL_get_error(c->ssl, r);
  if (err == SSL_ERROR_WANT_READ) return;
  char buf[64];
  handshake_failed(c, c->fail != NULL ? c->fail : failure_reason(buf, sizeof buf));
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  conn_t *c = h->data;
  *buf = uv_buf_init(c->st->rbuf, READ_SIZE);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = s->data;
  if (c->state == S_CLOSING || nread == 0) return;
  if (nread < 0) {
    if (c->state == S_HANDSHAKE) {
      handshake_failed(c, "reset");
      return;
    }
    if (nread == UV_EOF) {
      /* FIN without close_notify: taken as the end of input, as Node and most servers do. */
      uv_read_stop(s);
      if (!c->ended) {
        c->ended = true;
        notify_conn(c, CB_END);
      }
      return;
    }
    conn_close(c, (int)nread);
    return;
  }
  c->bytes_in += (double)nread;
  if (BIO_write(c->rbio, buf->base, (int)nread) != (int)nread) {
    conn_close(c, UV_ENOMEM);
    return;
  }
  if (c->state == S_HANDSHAKE) advance_handshake(c);
  else deliver(c);
  if (c->state != S_CLOSING) shrink_rbio(c);
  /* JavaScript paused while bytes were delivered: stop reading until it resumes. */
  if (c->state == S_OPEN && !c->reading) uv_read_stop(s);
}

static void on_handshake_timeout(uv_timer_t *t) {
  conn_t *c = t->data;
  if (c->state == S_HANDSHAKE) handshake_failed(c, "timeout");
}

/* ---------------------------------------------------------------- accept */

static int on_servername(SSL *ssl, int *alert, void *arg) {
  (void)arg;
  conn_t *c = SSL_get_app_data(ssl);
  if (c == NULL) return SSL_TLSEXT_ERR_ALERT_FATAL;
  listener_t *l = c->l;
  const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  SSL_CTX *ctx = NULL;
  if (name == NULL || name[0] == 0) {
    ctx = l->dflt;
  } else if (!l->st->teardown) {
    env_t *st = l->st;
    napi_handle_scope scope;
    napi_open_handle_scope(st->env, &scope);
    napi_value argv[2] = {num(st->env, l->id), str(st->env, name, strlen(name))}, result;
    void *found = NULL;
    napi_valuetype t;
    if (call_js(st, CB_SERVERNAME, 2, argv, &result) && napi_typeof(st->env, result, &t) == napi_ok &&
        t == napi_external && napi_get_value_external(st->env, result, &found) == napi_ok)
      ctx = found;
    napi_close_handle_scope(st->env, scope);
  }
  if (ctx == NULL || c->state != S_HANDSHAKE) {
    c->fail = "no-certificate";
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  if (SSL_set_SSL_CTX(ssl, ctx) == NULL) {
    c->fail = "no-certificate";
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                   unsigned inlen, void *arg) {
  (void)arg;
  conn_t *c = SSL_get_app_data(ssl);
  if (c == NULL || c->l->alpn_len == 0) return SSL_TLSEXT_ERR_NOACK;
  unsigned char *sel = NULL;
  /* The server's order wins, as with node:tls's ALPNProtocols. */
  if (SSL_select_next_proto(&sel, outlen, c->l->alpn, c->l->alpn_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_ALERT_FATAL; /* RFC 7301: no_application_protocol */
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

static uint32_t take_slot(env_t *st) {
  if (st->nfree > 0) return st->free_slots[--st->nfree];
  if (st->nslots == st->cap) {
    uint32_t cap = st->cap == 0 ? 1024 : st->cap * 2;
    if (cap > MAX_SLOTS) cap = MAX_SLOTS;
    if (cap == st->cap) return UINT32_MAX;
    conn_t **slots = realloc(st->slots, cap * sizeof *slots);
    if (slots == NULL) return UINT32_MAX;
    st->slots = slots;
    uint32_t *fr = realloc(st->free_slots, cap * sizeof *fr);
    if (fr == NULL) return UINT32_MAX;
    st->free_slots = fr;
    st->cap = cap;
  }
  return st->nslots++;
}

static void on_refused_closed(uv_handle_t *h) {
  env_t *st = h->data;
  free(h);
  st->handles--;
  if (st->teardown) teardown_done(st);
}

static void refuse(listener_t *l, const char *reason) {
  uv_tcp_t *t = malloc(sizeof *t);
  if (t == NULL) return;
  uv_tcp_init(l->tcp.loop, t);
  t->data = l->st;
  l->st->handles++;
  if (uv_accept((uv_stream_t *)&l->tcp, (uv_stream_t *)t) == 0) notify_failure(l, reason);
  uv_close((uv_handle_t *)t, on_refused_closed);
}

static void on_connection(uv_stream_t *server, int status) {
  listener_t *l = server->data;
  env_t *st = l->st;
  if (status < 0 || st->teardown || l->closed) return;
  if (l->open >= l->max_conns) {
    refuse(l, "max-connections");
    return;
  }
  uint32_t slot = take_slot(st);
  conn_t *c = slot == UINT32_MAX ? NULL : calloc(1, sizeof *c);
  if (c == NULL) {
    if (slot != UINT32_MAX) st->free_slots[st->nfree++] = slot;
    refuse(l, "no-memory");
    return;
  }
  c->st = st;
  c->l = l;
  c->slot = slot;
  c->gen = ++st->gen & 0x7fffffffu;
  c->state = S_HANDSHAKE;
  uv_tcp_init(server->loop, &c->tcp);
  uv_timer_init(server->loop, &c->timer);
  c->tcp.data = c;
  c->timer.data = c;
  c->handles = 2;
  st->handles += 2;
  st->slots[slot] = c;
  c->next = st->conns;
  if (st->conns != NULL) st->conns->prev = c;
  st->conns = c;
  l->open++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    conn_close(c, 0);
    return;
  }
  c->ssl = SSL_new(l->base);
  c->rbio = BIO_new(BIO_s_mem());
  c->wbio = BIO_new(BIO_s_mem());
  if (c->ssl == NULL || c->rbio == NULL || c->wbio == NULL) {
    BIO_free(c->rbio);
    BIO_free(c->wbio);
    c->rbio = c->wbio = NULL;
    conn_close(c, UV_ENOMEM);
    return;
  }
  BIO_set_mem_eof_return(c->rbio, -1);
  BIO_set_mem_eof_return(c->wbio, -1);
  SSL_set_bio(c->ssl, c->rbio, c->wbio);
  SSL_set_app_data(c->ssl, c);
  SSL_set_accept_state(c->ssl);
  uv_tcp_nodelay(&c->tcp, 1);
  uv_timer_start(&c->timer, on_handshake_timeout, l->handshake_ms, 0);
  uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* ---------------------------------------------------------------- contexts */

static napi_value throw_ssl(napi_env env, const char *what) {
  char msg[256];
  unsigned long e = ERR_peek_last_error();
  const char *r = e == 0 ? NULL : ERR_reason_error_string(e);
  snprintf(msg, sizeof msg, "%s%s%s", what, r == NULL ? "" : ": ", r == NULL ? "" : r);
  ERR_clear_error();
  napi_throw_error(env, "ERR_WEFT_TLS", msg);
  return NULL;
}

static bool get_string(napi_env env, napi_value v, char **out) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return false;
  *out = malloc(len + 1);
  if (*out == NULL) return false;
  napi_get_value_string_utf8(env, v, *out, len + 1, &len);
  return true;
}

/* A server context with weft's settings: TLS 1.2 at least, no renegotiation, the cipher lists
 * given (Node's defaults, passed from JavaScript), session ids scoped to weft's gateway. */
static SSL_CTX *new_ctx(napi_env env, napi_value ciphers, napi_value suites) {
  char *c12 = NULL, *c13 = NULL;
  if (!get_string(env, ciphers, &c12) || !get_string(env, suites, &c13)) {
    free(c12);
    napi_throw_type_error(env, NULL, "ciphers and suites must be strings");
    return NULL;
  }
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  bool ok = ctx != NULL && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
            SSL_CTX_set_cipher_list(ctx, c12) == 1 && SSL_CTX_set_ciphersuites(ctx, c13) == 1 &&
            SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"weft-gateway", 12) == 1;
  free(c12);
  free(c13);
  if (!ok) {
    SSL_CTX_free(ctx);
    throw_ssl(env, "TLS context");
    return NULL;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  /* An idle connection holds no record buffers (nginx sets the same). */
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx, on_alpn, NULL);
  return ctx;
}

static void drop_ctx(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  SSL_CTX_free(data);
}

static napi_value create_context(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "createContext(chainPem, keyPem, ciphers, suites)");
    return NULL;
  }
  char *chain = NULL, *key = NULL;
  if (!get_string(env, argv[0], &chain) || !get_string(env, argv[1], &key)) {
    free(chain);
    napi_throw_type_error(env, NULL, "createContext: PEM strings expected");
    return NULL;
  }
  SSL_CTX *ctx = new_ctx(env, argv[2], argv[3]);
  if (ctx == NULL) {
    free(chain);
    free(key);
    return NULL;
  }
  const char *bad = NULL;
  BIO *b = BIO_new_mem_buf(chain, -1);
  X509 *leaf = b == NULL ? NULL : PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
  if (leaf == NULL || SSL_CTX_use_certificate(ctx, leaf) != 1) bad = "certificate";
  X509_free(leaf);
  while (bad == NULL) {
    X509 *ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
    if (ca == NULL) {
      unsigned long e = ERR_peek_last_error();
      if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE) ERR_clear_error();
      else bad = "certificate chain";
      break;
    }
    if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
      X509_free(ca);
      bad = "certificate chain";
    }
  }
  BIO_free(b);
  if (bad == NULL) {
    BIO *kb = BIO_new_mem_buf(key, -1);
    EVP_PKEY *pkey = kb == NULL ? NULL : PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    if (pkey == NULL || SSL_CTX_use_PrivateKey(ctx, pkey) != 1) bad = "private key";
    else if (SSL_CTX_check_private_key(ctx) != 1) bad = "private key does not match the certificate";
    EVP_PKEY_free(pkey);
    BIO_free(kb);
  }
  OPENSSL_cleanse(key, strlen(key));
  free(key);
  free(chain);
  if (bad != NULL) {
    SSL_CTX_free(ctx);
    return throw_ssl(env, bad);
  }
  napi_value out;
  napi_create_external(env, ctx, drop_ctx, NULL, &out);
  return out;
}

/* ---------------------------------------------------------------- listeners */

static void drop_listener(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  (void)hint;
  /* The JavaScript handle went away; the listener lives until closed (closeListener or env
   * teardown), like a net.Server that is listening. */
}

static void on_listener_closed(uv_handle_t *h) {
  listener_t *l = h->data;
  env_t *st = l->st;
  l->handle_open = false;
  listener_maybe_free(l);
  st->handles--;
  if (st->teardown) teardown_done(st);
}

static listener_t *get_listener(napi_env env, napi_value v) {
  void *p = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  napi_get_value_external(env, v, &p);
  return p;
}

static napi_value listen_tls(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  env_t *st = NULL;
  napi_get_instance_data(env, (void **)&st);
  int32_t id, port, backlog;
  uint32_t hs_ms, max_conns;
  char host[64];
  size_t hl;
  void *alpn = NULL;
  size_t alpn_len = 0;
  bool is_buf = false;
  if (argc < 9) is_buf = false;
  else napi_is_buffer(env, argv[8], &is_buf);
  if (st == NULL || !st->ready || argc < 9 || napi_get_value_int32(env, argv[0], &id) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], host, sizeof host, &hl) != napi_ok ||
      napi_get_value_int32(env, argv[2], &port) != napi_ok ||
      napi_get_value_int32(env, argv[3], &backlog) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &hs_ms) != napi_ok ||
      napi_get_value_uint32(env, argv[5], &max_conns) != napi_ok || !is_buf ||
      napi_get_buffer_info(env, argv[8], &alpn, &alpn_len) != napi_ok || alpn_len > 255) {
    napi_throw_type_error(env, NULL,
                          "listen(id, host, port, backlog, handshakeMs, maxConns, ciphers, suites, alpnWire) "
                          "after init()");
    return NULL;
  }
  SSL_CTX *base = new_ctx(env, argv[6], argv[7]);
  if (base == NULL) return NULL;
  SSL_CTX_set_tlsext_servername_callback(base, on_servername);
  listener_t *l = calloc(1, sizeof *l);
  if (l == NULL) {
    SSL_CTX_free(base);
    napi_throw_error(env, "ENOMEM", "listen: out of memory");
    return NULL;
  }
  l->st = st;
  l->id = id;
  l->base = base;
  l->handshake_ms = hs_ms == 0 ? 1 : hs_ms;
  l->max_conns = max_conns;
  if (alpn_len > 0) {
    l->alpn = malloc(alpn_len);
    if (l->alpn != NULL) memcpy(l->alpn, alpn, alpn_len);
    l->alpn_len = l->alpn == NULL ? 0 : (unsigned)alpn_len;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_tcp_init(loop, &l->tcp);
  l->tcp.data = l;
  l->handle_open = true;
  st->handles++;
  l->next = st->listeners;
  if (st->listeners != NULL) st->listeners->prev = l;
  st->listeners = l;
  struct sockaddr_storage ss;
  int r = strchr(host, ':') != NULL ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss)
                                    : uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
  if (r == 0) r = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss, 0);
  if (r == 0) r = uv_listen((uv_stream_t *)&l->tcp, backlog > 0 ? backlog : 511, on_connection);
  if (r != 0) {
    l->closed = true;
    uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
    char msg[160];
    snprintf(msg, sizeof msg, "listen %s %s:%d", uv_err_name(r), host, port);
    napi_throw_error(env, uv_err_name(r), msg);
    return NULL;
  }
  napi_value out;
  napi_create_external(env, l, drop_listener, NULL, &out);
  return out;
}

static napi_value listener_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  listener_t *l = argc < 1 ? NULL : get_listener(env, argv[0]);
  int port = 0;
  if (l != NULL && !l->closed) {
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    if (uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &sl) == 0)
      port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
  }
  return num(env, port);
}

static napi_value set_default(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  listener_t *l = argc < 2 ? NULL : get_listener(env, argv[0]);
  if (l == NULL) {
    napi_throw_type_error(env, NULL, "setDefault(listener, ctx | null)");
    return NULL;
  }
  napi_valuetype t;
  void *ctx = NULL;
  napi_typeof(env, argv[1], &t);
  if (t == napi_external) napi_get_value_external(env, argv[1], &ctx);
  if (ctx != NULL) SSL_CTX_up_ref(ctx);
  SSL_CTX_free(l->dflt);
  l->dflt = ctx;
  return NULL;
}

static napi_value close_listener(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  listener_t *l = argc < 1 ? NULL : get_listener(env, argv[0]);
  if (l != NULL && !l->closed) {
    l->closed = true;
    uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
  }
  return NULL;
}

/* ---------------------------------------------------------------- connection calls */

static conn_t *conn_arg(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  env_t *st = NULL;
  napi_get_instance_data(env, (void **)&st);
  napi_get_cb_info(env, info, argc, argv, NULL, NULL);
  return *argc < 1 ? NULL : lookup(st, env, argv[0]);
}

#define WRITE_SLICE (1 << 20) /* plaintext encrypted per step: the memory BIO never holds much more */

/* Encrypts `len` bytes in slices, sending whenever a slice's worth is waiting (write_result
 * sends the rest, so a writev's chunks leave in one syscall); false (connection closed) on a
 * TLS or socket error. */
static bool write_plain(conn_t *c, const void *data, size_t len) {
  while (len > 0) {
    int chunk = len > WRITE_SLICE ? WRITE_SLICE : (int)len;
    int n = SSL_write(c->ssl, data, chunk);
    if (n <= 0) {
      ERR_clear_error();
      conn_close(c, UV_EPROTO);
      return false;
    }
    int ferr = BIO_ctrl_pending(c->wbio) >= WRITE_SLICE ? flush_out(c) : 0;
    if (ferr < 0) {
      conn_close(c, ferr);
      return false;
    }
    data = (const char *)data + n;
    len -= (size_t)n;
  }
  return true;
}

/* Returns the bytes queued behind the kernel after this write, or -1 when the connection is gone. */
static napi_value write_result(napi_env env, conn_t *c, bool ok) {
  if (!ok) return num(env, -1);
  int ferr = flush_out(c);
  if (ferr < 0) {
    conn_close(c, ferr);
    return num(env, -1);
  }
  if (c->queued > 0) c->want_drain = true;
  return num(env, (double)c->queued);
}

/* Encrypts one chunk: a Buffer, or a string taken as latin1 (how the HTTP/1 server writes its
 * heads: no Buffer is made for them in JavaScript). */
static bool write_value(napi_env env, conn_t *c, napi_value v, bool *ok) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_string) {
    size_t len;
    if (napi_get_value_string_latin1(env, v, NULL, 0, &len) != napi_ok) return false;
    char *buf = len < PLAIN_MAX ? c->st->pbuf : malloc(len + 1);
    if (buf == NULL) {
      conn_close(c, UV_ENOMEM);
      *ok = false;
      return true;
    }
    napi_get_value_string_latin1(env, v, buf, len + 1, &len);
    *ok = write_plain(c, buf, len);
    if (buf != c->st->pbuf) free(buf);
    return true;
  }
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok) return false;
  *ok = write_plain(c, data, len);
  return true;
}

static napi_value conn_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  conn_t *c = conn_arg(env, info, &argc, argv);
  if (c == NULL || c->state != S_OPEN || c->shut) return num(env, -1);
  bool ok = true;
  if (argc < 2 || !write_value(env, c, argv[1], &ok)) {
    napi_throw_type_error(env, NULL, "write(id, buffer | latin1 string)");
    return NULL;
  }
  return write_result(env, c, ok);
}

static napi_value conn_writev(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  conn_t *c = conn_arg(env, info, &argc, argv);
  if (c == NULL || c->state != S_OPEN || c->shut) return num(env, -1);
  uint32_t n = 0;
  bool is_array = false;
  if (argc >= 2) napi_is_array(env, argv[1], &is_array);
  if (!is_array || napi_get_array_length(env, argv[1], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "writev(id, chunks)");
    return NULL;
  }
  bool ok = true;
  for (uint32_t i = 0; i < n && ok; i++) {
    napi_value el;
    if (c->state != S_OPEN) return num(env, -1);
    if (napi_get_element(env, argv[1], i, &el) != napi_ok || !write_value(env, c, el, &ok)) {
      napi_throw_type_error(env, NULL, "writev(id, chunks)");
      return NULL;
    }
  }
  return write_result(env, c, ok);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  conn_t *c = req->data;
  free(req);
  if (c->state == S_CLOSING) return;
  if (status < 0) conn_close(c, status);
  else if (c->handed) notify_conn(c, CB_SHUTDOWN);
}

static napi_value conn_shutdown(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  conn_t *c = conn_arg(env, info, &argc, argv);
  if (c == NULL || c->state != S_OPEN || c->shut) return NULL;
  c->shut = true;
  (void)SSL_shutdown(c->ssl); /* queues close_notify; the answer is not waited for */
  ERR_clear_error();
  int ferr = flush_out(c);
  uv_shutdown_t *req = ferr < 0 ? NULL : malloc(sizeof *req);
  if (req != NULL) req->data = c;
  if (req == NULL || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
    free(req);
    conn_close(c, ferr < 0 ? ferr : 0);
  }
  return NULL;
}

static napi_value conn_destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  conn_t *c = conn_arg(env, info, &argc, argv);
  if (c != NULL) {
    c->handed = false; /* JavaScript destroyed it: no onClose */
    conn_close(c, 0);
  }
  return NULL;
}

static napi_value conn_read_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  conn_t *c = conn_arg(env, info, &argc, argv);
  if (c == NULL || c->state != S_OPEN || c->reading) return NULL;
  c->reading = true;
  if (c->ended) return NULL;
  deliver(c); /* bytes OpenSSL already holds */
  if (c->state == S_OPEN && c->reading && !c->ended)
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  return NULL;
}

static napi_value conn_read_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  conn_t *c = conn_arg(env, info, &argc, argv);
  if (c == NULL || c->state != S_OPEN) return NULL;
  c->reading = false;
  if (!c->in_read) uv_read_stop((uv_stream_t *)&c->tcp);
  return NULL;
}

static napi_value conn_bytes(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  env_t *st = NULL;
  napi_get_instance_data(env, (void **)&st);
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  /* A closing connection's counts too: JavaScript reads them when it learns of the close
   * (a write that failed) before onClose has delivered them. */
  conn_t *c = argc < 1 ? NULL : lookup_any(st, env, argv[0]);
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, num(env, c == NULL ? 0 : c->bytes_in));
  napi_set_element(env, out, 1, num(env, c == NULL ? 0 : c->bytes_out));
  return out;
}

/* ---------------------------------------------------------------- init and teardown */

static napi_value init_callbacks(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  env_t *st = NULL;
  napi_get_instance_data(env, (void **)&st);
  if (st == NULL || argc < 1) {
    napi_throw_type_error(env, NULL, "init(callbacks)");
    return NULL;
  }
  napi_value fns[CB_COUNT];
  for (int i = 0; i < CB_COUNT; i++) {
    napi_valuetype t = napi_undefined;
    if (napi_get_named_property(env, argv[0], CB_NAMES[i], &fns[i]) != napi_ok ||
        napi_typeof(env, fns[i], &t) != napi_ok || t != napi_function) {
      napi_throw_type_error(env, NULL, "init: every callback must be a function");
      return NULL;
    }
  }
  for (int i = 0; i < CB_COUNT; i++) {
    if (st->cb[i] != NULL) napi_delete_reference(env, st->cb[i]);
    napi_create_reference(env, fns[i], 1, &st->cb[i]);
  }
  if (!st->ready) {
    napi_value name;
    napi_create_string_utf8(env, "weft.tlsFront", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, NULL, name, &st->async);
  }
  st->ready = true;
  return NULL;
}

/* Everything the env opened is closed: libuv will not call into this module again. */
static void teardown_done(env_t *st) {
  if (st->handles > 0) return;
  napi_async_cleanup_hook_handle hook = st->hook;
  free(st->slots);
  free(st->free_slots);
  free(st);
  napi_remove_async_cleanup_hook(hook);
}

/* The env is going away (worker exit, process teardown): close every handle without calling
 * JavaScript, and hold the teardown (an async cleanup hook) until their close callbacks have
 * run, since those are code in this module, which Node unloads after the hooks. */
static void teardown(napi_async_cleanup_hook_handle hook, void *arg) {
  env_t *st = arg;
  st->teardown = true;
  st->hook = hook;
  for (conn_t *c = st->conns; c != NULL; c = c->next) {
    if (c->state != S_CLOSING) {
      c->state = S_CLOSING;
      uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
      uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    }
  }
  for (listener_t *l = st->listeners; l != NULL; l = l->next) {
    if (!l->closed) {
      l->closed = true;
      uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
    }
  }
  teardown_done(st);
}

#define EXPORT(name, fn)                                                 \
  do {                                                                   \
    napi_value f;                                                        \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);     \
    napi_set_named_property(env, exports, name, f);                      \
  } while (0)

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  env_t *st = calloc(1, sizeof *st);
  if (st == NULL) return NULL;
  st->env = env;
  napi_set_instance_data(env, st, NULL, NULL);
  napi_add_async_cleanup_hook(env, teardown, st, NULL);
  EXPORT("init", init_callbacks);
  EXPORT("createContext", create_context);
  EXPORT("listen", listen_tls);
  EXPORT("listenerPort", listener_port);
  EXPORT("setDefault", set_default);
  EXPORT("closeListener", close_listener);
  EXPORT("write", conn_write);
  EXPORT("writev", conn_writev);
  EXPORT("shutdown", conn_shutdown);
  EXPORT("close", conn_destroy);
  EXPORT("readStart", conn_read_start);
  EXPORT("readStop", conn_read_stop);
  EXPORT("bytes", conn_bytes);
  napi_value v;
  napi_create_string_latin1(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, exports, "openssl", v);
  return exports;
}
